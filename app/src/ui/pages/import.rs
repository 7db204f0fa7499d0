//! Import (everyone who may create records of some kind): pick a CSV file; the kind and format are
//! detected from its header where it tells them; columns of a file in no known layout are mapped to fields
//! (suggested from their names, custom fields included) and owner names to users; a dry run lists every
//! rejected row with its reason and the likely duplicates; then the import, with a progress bar fed by the
//! relay's import job, ends with a summary linking to the records. What a file means is decided by
//! `domain::import::preview` (pure); the relay checks and stores (`POST /api/v1/import`, `background`).
//!
//! # Layout
//! - `import.rs`: the page and its steps (choose → checked → imported).
//! - `import/file.rs`: reading the chosen file in the browser.
//! - `import/setup.rs`: kind, format, column and owner mapping.
//! - `import/job.rs`: running an import job on the relay and following its progress.
//! - `import/report.rs`: the dry-run report (rejected rows, duplicates), the progress bar, the summary.

mod file;
mod job;
mod report;
pub(crate) mod setup;

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::domain::import::preview::{self, FilePreview, IMPORT_KINDS};
use crate::domain::import::Format;
use crate::domain::{Directory, RecordKind};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::Ctx;

pub use job::{JobState, Report};

/// The chosen file: its name, text and what its header tells.
#[derive(Debug)]
pub struct Loaded {
    pub name: String,
    pub text: String,
    pub preview: FilePreview,
}

/// One owner name of the file and the user it goes to (`""`: not mapped).
#[derive(Clone, Debug, PartialEq)]
pub struct OwnerRow {
    pub name: String,
    pub rows: usize,
    pub user: RwSignal<String>,
}

/// Where the page is.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Choosing the file and how to read it.
    Setup,
    /// A job on the relay (dry run or import) and its progress.
    Running { dry_run: bool, state: Option<JobState> },
    /// The dry run's report.
    Checked(Arc<Report>),
    /// The import is stored: its report.
    Imported(Arc<Report>),
}

/// The page's state, shared by its sections (all `Copy`).
#[derive(Clone, Copy)]
pub struct ImportCtx {
    pub file: RwSignal<Option<Arc<Loaded>>>,
    pub kind: RwSignal<String>,
    pub format: RwSignal<String>,
    /// The field each column goes to (`""`: not imported), for the generic format.
    pub columns: RwSignal<Vec<RwSignal<String>>>,
    pub owners: RwSignal<Vec<OwnerRow>>,
    /// What happens to owner names mapped to nobody: reject, importer, pool.
    pub unknown: RwSignal<String>,
    pub step: RwSignal<Step>,
    pub error: RwSignal<Option<String>>,
    /// The page's owner: the column and owner choices' signals belong to it (not to whatever effect or
    /// handler makes them, which disposes them when it runs again or ends).
    pub page: StoredValue<Option<Owner>>,
}

impl ImportCtx {
    /// A signal owned by the page.
    pub fn keep(&self, v: String) -> RwSignal<String> {
        match self.page.get_value() {
            Some(o) => o.with(|| RwSignal::new(v)),
            None => RwSignal::new(v),
        }
    }

    /// Fresh column suggestions for the loaded file and the chosen kind (none without a file).
    pub fn suggest(&self, dir: &Directory) {
        let Some(f) = self.file.get_untracked() else { return };
        let kind = self.kind.with_untracked(|k| RecordKind::parse(k).unwrap_or(RecordKind::Opportunity));
        let s = preview::suggest_columns(&f.preview.headers, kind, dir);
        self.columns.set(s.into_iter().map(|c| self.keep(c.unwrap_or_default())).collect());
    }

    pub fn kind(&self) -> RecordKind {
        self.kind.with(|k| RecordKind::parse(k).unwrap_or(RecordKind::Opportunity))
    }

    pub fn format(&self) -> Format {
        self.format.with(|f| Format::parse(f).unwrap_or(Format::Generic))
    }

    /// The file as it is sent: in its own layout (maven, datablist) or rewritten with the mapped columns.
    pub fn outgoing(&self, dir: &crate::domain::Directory) -> Option<Result<String, String>> {
        let file = self.file.get()?;
        if self.format() != Format::Generic {
            return Some(Ok(file.text.clone()));
        }
        let mapping: Vec<Option<String>> =
            self.columns.get().iter().map(|c| Some(c.get()).filter(|v| !v.is_empty())).collect();
        let allowed = preview::targets(self.kind(), dir);
        Some(preview::remap(file.text.as_bytes(), &mapping, &allowed).map_err(|e| e.to_string()))
    }

    /// The file's own column names for the fields of the file as sent ("name" → "Deal Name"), so the report
    /// names the columns the person knows.
    pub fn column_names(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if self.format() == Format::Generic {
            let headers = self.file.with(|f| f.as_ref().map(|f| f.preview.headers.clone())).unwrap_or_default();
            for (h, c) in headers.into_iter().zip(self.columns.get()) {
                let field = c.get();
                if !field.is_empty() {
                    out.entry(field).or_default().push(h);
                }
            }
        }
        out.into_iter().map(|(k, v)| (k, v.join(" + "))).collect()
    }

    /// The owner mapping as the relay takes it.
    pub fn owner_map(&self) -> BTreeMap<String, String> {
        self.owners.with(|o| {
            o.iter().filter_map(|r| Some((r.name.clone(), Some(r.user.get()).filter(|u| !u.is_empty())?))).collect()
        })
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let ic = ImportCtx {
        file: RwSignal::new(None),
        kind: RwSignal::new(String::new()),
        format: RwSignal::new(Format::Generic.as_str().to_string()),
        columns: RwSignal::new(Vec::new()),
        owners: RwSignal::new(Vec::new()),
        unknown: RwSignal::new("reject".to_string()),
        step: RwSignal::new(Step::Setup),
        error: RwSignal::new(None),
        page: StoredValue::new(Owner::current()),
    };
    // The kinds this person may import (the relay's own rule).
    let kinds = Memo::new(move |_| {
        let me = ctx.me_id();
        ctx.directory().with(|d| match (me, d) {
            (Some(me), Some(d)) => {
                IMPORT_KINDS.into_iter().filter(|k| preview::may_import(&me, d, *k)).collect::<Vec<_>>()
            }
            _ => Vec::new(),
        })
    });
    // A kind this person may not import (or none yet) becomes the detected kind if allowed, else the first
    // allowed one. Tracks the kind too: a file may be read before the directory has arrived.
    Effect::new(move |_| {
        let ks = kinds.get();
        let current = ic.kind.get();
        if ks.is_empty() || ks.iter().any(|k| k.as_str() == current) {
            return;
        }
        let detected = ic.file.with_untracked(|f| f.as_ref().and_then(|f| f.preview.detected.map(|(_, k)| k)));
        if let Some(k) = detected.filter(|k| ks.contains(k)).or_else(|| ks.first().copied()) {
            ic.kind.set(k.as_str().to_string());
        }
    });
    setup::follow_mapping(ic);
    let token = move || ctx.store.session().with_untracked(|s| s.as_ref().map(|s| s.token.clone())).unwrap_or_default();
    let start = move |dry_run: bool| {
        ic.error.set(None);
        // Suggestions normally follow the file (`setup::follow_mapping`); once (1 run in 5 under load) the
        // page had none when "Check" was pressed, cause not found: make them now rather than check nothing.
        if ic.columns.with_untracked(Vec::is_empty) {
            ctx.directory().with_untracked(|d| d.as_ref().map(|d| ic.suggest(d)));
        }
        let Some(csv) = ctx.directory().with_untracked(|d| d.as_ref().and_then(|d| ic.outgoing(d))) else { return };
        let csv = match csv {
            Ok(c) => c,
            Err(e) => return ic.error.set(Some(e)),
        };
        let mut body = serde_json::json!({
            "kind": RecordKind::parse(&ic.kind.get_untracked()).map(|k| k.plural()).unwrap_or("opportunities"),
            "format": ic.format.get_untracked(),
            "csv": csv,
            "dry_run": dry_run,
            "background": true,
            "owners": ic.owner_map(),
            "unknown_owner": ic.unknown.get_untracked(),
        });
        if ic.kind() != RecordKind::Lead && ic.unknown.get_untracked() == "pool" {
            body["unknown_owner"] = "reject".into();
        }
        ic.step.set(Step::Running { dry_run, state: None });
        let token = token();
        spawn_local(async move {
            let r = job::run(&token, body, move |s| ic.step.set(Step::Running { dry_run, state: Some(s) })).await;
            match r {
                Ok((200, report)) if dry_run => ic.step.set(Step::Checked(Arc::new(report))),
                Ok((200, report)) => ic.step.set(Step::Imported(Arc::new(report))),
                // Rejected rows on a real import (someone changed users meanwhile): the report says why.
                Ok((422, report)) => ic.step.set(Step::Checked(Arc::new(report))),
                Ok((_, report)) => {
                    ic.error.set(Some(report.message.clone().unwrap_or_else(|| i18n.t(K::ImportFailed).to_string())));
                    ic.step.set(Step::Setup);
                }
                Err(e) => {
                    ic.error.set(Some(e.to_string()));
                    ic.step.set(Step::Setup);
                }
            }
        });
    };
    view! {
        <section class="import-page">
            <h1>{move || i18n.t(K::ImportTitle)}</h1>
            <Show
                when=move || !kinds.with(|k| k.is_empty()) || ctx.directory().with(|d| d.is_none())
                fallback=move || view! { <p class="notice">{i18n.t(K::ImportNotAllowed)}</p> }
            >
                <p class="muted">{move || i18n.t(K::ImportIntro)}</p>
                {move || ic.error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
                {move || match ic.step.get() {
                    Step::Setup => view! {
                        <setup::SetupForm ic=ic kinds=kinds on_check=Callback::new(move |_| start(true)) />
                    }.into_any(),
                    Step::Running { dry_run, state } => view! { <report::Progress dry_run=dry_run state=state /> }.into_any(),
                    Step::Checked(r) => view! {
                        <report::DryRun
                            report=r
                            columns=ic.column_names()
                            on_import=Callback::new(move |_| start(false))
                            on_back=Callback::new(move |_| ic.step.set(Step::Setup))
                        />
                    }.into_any(),
                    Step::Imported(r) => view! {
                        <report::Summary report=r on_again=Callback::new(move |_| {
                            ic.file.set(None);
                            ic.step.set(Step::Setup);
                        }) />
                    }.into_any(),
                }}
            </Show>
        </section>
    }
}
