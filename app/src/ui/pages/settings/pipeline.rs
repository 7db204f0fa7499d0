//! Settings → Pipeline (admins): the deal stages in order, each with its English and Chinese name, its default
//! win probability and whether reaching it wins the deal; add, rename, reorder, remove. The whole list is
//! edited as a draft and saved at once, after `domain::pipeline::check_pipeline` (a change may not strand
//! deals: a stage with deals cannot be removed, nor can its winning flip); the relay's write gate checks the
//! same with its own counts, and everyone's board follows through sync.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::domain::pipeline::{check_pipeline, new_stage_id, PipelineError, StagesInUse};
use crate::domain::{may_write_directory, Directory, RecordKind, RecordView, StageDef, StageId};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::Ctx;

/// One stage being edited.
#[derive(Clone, Copy)]
struct Row {
    id: StoredValue<StageId>,
    name_en: RwSignal<String>,
    name_zh: RwSignal<String>,
    probability: RwSignal<String>,
    won: RwSignal<bool>,
}

impl Row {
    fn new(s: &StageDef) -> Row {
        Row {
            id: StoredValue::new(s.id.clone()),
            name_en: RwSignal::new(s.name_en.clone()),
            name_zh: RwSignal::new(s.name_zh.clone()),
            probability: RwSignal::new(s.probability.to_string()),
            won: RwSignal::new(s.won),
        }
    }

    fn stage(&self) -> Result<StageDef, StageId> {
        let id = self.id.get_value();
        let probability = self.probability.get_untracked().trim().parse::<u8>().map_err(|_| id.clone())?;
        Ok(StageDef {
            id,
            name_en: self.name_en.get_untracked().trim().to_string(),
            name_zh: self.name_zh.get_untracked().trim().to_string(),
            probability,
            won: self.won.get_untracked(),
        })
    }
}

/// A refusal in the UI's language.
fn message(i18n: I18n, e: &PipelineError, dir: &Directory) -> String {
    let name = |id: &StageId| dir.stage(id).map(|s| i18n.stage_name(s)).unwrap_or_else(|| id.to_string());
    match e {
        PipelineError::RemovedInUse { id, deals, .. } => {
            i18n.t(K::StageRemovedInUse).replace("{stage}", &name(id)).replace("{n}", &deals.to_string())
        }
        PipelineError::WonFlipInUse { id, deals, .. } => {
            i18n.t(K::StageWonFlipInUse).replace("{stage}", &name(id)).replace("{n}", &deals.to_string())
        }
        PipelineError::NoName(_) => i18n.t(K::StageNeedsName).to_string(),
        PipelineError::Duplicate(id) => format!("{}: {id}", i18n.t(K::StageDuplicate)),
        PipelineError::Probability(_) => i18n.t(K::StageProbabilityRange).to_string(),
        PipelineError::Empty => i18n.t(K::StageNeedsOne).to_string(),
        PipelineError::NoWon => i18n.t(K::StageNeedsWon).to_string(),
    }
}

/// Deals per stage among the records this device holds (an admin's device holds every deal).
fn deals_per_stage(views: &[RecordView]) -> StagesInUse {
    let mut out: StagesInUse = BTreeMap::new();
    for v in views {
        if let RecordView::Opportunity(o) = v {
            *out.entry(o.base.stage.clone()).or_default() += 1;
        }
    }
    out
}

/// Links between the settings pages.
#[component]
pub fn SettingsTabs() -> impl IntoView {
    let i18n = I18n::use_i18n();
    view! {
        <nav class="settings-tabs" aria-label=move || i18n.t(K::Settings)>
            <A href="/settings/fields">{move || i18n.t(K::CustomFieldsTitle)}</A>
            <A href="/settings/pipeline">{move || i18n.t(K::PipelineStages)}</A>
            <A href="/settings/policy">{move || i18n.t(K::PolicyTitle)}</A>
        </nav>
    }
}

#[component]
pub fn SettingsPipelinePage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let allowed = move || {
        let Some(me) = ctx.me_id() else { return false };
        ctx.directory().with(|d| d.as_ref().is_some_and(|d| may_write_directory(&me, d)))
    };
    let rows = RwSignal::new(Vec::<Row>::new());
    // The draft starts from the directory, and starts over when someone else changes the stages.
    let loaded = Memo::new(move |_| ctx.directory().with(|d| d.as_ref().map(|d| d.stages.clone())));
    Effect::new(move |_| {
        if let Some(stages) = loaded.get() {
            rows.set(stages.iter().map(Row::new).collect());
        }
    });
    let deals = ctx.store.records(RecordKind::Opportunity);
    let in_use = Memo::new(move |_| deals.with(|v| deals_per_stage(v)));
    let errors = RwSignal::new(Vec::<String>::new());
    let saved = RwSignal::new(false);
    let move_row = move |i: usize, up: bool| {
        rows.update(|r| {
            let j = if up { i.checked_sub(1) } else { Some(i + 1).filter(|j| *j < r.len()) };
            if let Some(j) = j {
                r.swap(i, j);
            }
        });
        saved.set(false);
    };
    let add = move |_| {
        let stages: Vec<StageDef> = rows.get_untracked().iter().filter_map(|r| r.stage().ok()).collect();
        let name = i18n.t(K::NewStage).to_string();
        let id = new_stage_id("new stage", &stages);
        let s = StageDef { id, name_en: name.clone(), name_zh: name, probability: 50, won: false };
        rows.update(|r| {
            let at = r.iter().position(|x| x.won.get_untracked()).unwrap_or(r.len());
            r.insert(at, Row::new(&s));
        });
        saved.set(false);
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let Some(dir) = ctx.directory().get_untracked() else { return };
        let mut draft = Vec::new();
        for r in rows.get_untracked() {
            match r.stage() {
                Ok(s) => draft.push(s),
                Err(_) => return errors.set(vec![i18n.t(K::StageProbabilityRange).to_string()]),
            }
        }
        let problems = check_pipeline(&dir.stages, &draft, &in_use.get_untracked());
        if !problems.is_empty() {
            return errors.set(problems.iter().map(|e| message(i18n, e, &dir)).collect());
        }
        errors.set(Vec::new());
        let used = in_use.get_untracked();
        let store = ctx.store;
        leptos::task::spawn_local(async move {
            let r = store
                .update_directory("change pipeline stages".into(), move |d| {
                    // Checked again against the directory as it is now (another admin may have changed it).
                    match check_pipeline(&d.stages, &draft, &used).into_iter().next() {
                        Some(e) => Err(e.into_domain()),
                        None => {
                            d.stages = draft;
                            Ok(())
                        }
                    }
                })
                .await;
            match r {
                Ok(()) => saved.set(true),
                Err(e) => errors.set(vec![e.to_string()]),
            }
        });
    };
    let refused = move || view! { <p class="notice">{i18n.t(K::SettingsNotAllowed)}</p> };
    view! {
        <section class="settings-page pipeline-settings">
            <header class="page-header">
                <h1>{move || i18n.t(K::PipelineStages)}</h1>
            </header>
            <SettingsTabs />
            <Show when=allowed fallback=refused>
                <p class="notice settings-hint">{move || i18n.t(K::PipelineHint)}</p>
                <form class="card pipeline-form" on:submit=save novalidate=true aria-label=move || i18n.t(K::PipelineStages)>
                    <ol class="stage-list">
                        {move || {
                            let list = rows.get();
                            let n = list.len();
                            list.into_iter()
                                .enumerate()
                                .map(|(i, r)| {
                                    let count = move || in_use.with(|u| u.get(&r.id.get_value()).copied().unwrap_or(0));
                                    let label = move |k: K| format!("{} ({})", i18n.t(k), r.name_en.get());
                                    view! {
                                        <li class="stage-row">
                                            <label class="field-label">
                                                <span>{move || i18n.t(K::StageNameEn)}</span>
                                                <input class="field-input" prop:value=move || r.name_en.get()
                                                    on:input=move |e| { r.name_en.set(event_target_value(&e)); saved.set(false); } />
                                            </label>
                                            <label class="field-label">
                                                <span>{move || i18n.t(K::StageNameZh)}</span>
                                                <input class="field-input" lang="zh-CN" prop:value=move || r.name_zh.get()
                                                    on:input=move |e| { r.name_zh.set(event_target_value(&e)); saved.set(false); } />
                                            </label>
                                            <label class="field-label stage-probability">
                                                <span>{move || i18n.t(K::WinProbability)}" %"</span>
                                                <input class="field-input" type="number" min="0" max="100" inputmode="numeric"
                                                    prop:value=move || r.probability.get()
                                                    on:input=move |e| { r.probability.set(event_target_value(&e)); saved.set(false); } />
                                            </label>
                                            <label class="check stage-won">
                                                <input type="checkbox" prop:checked=move || r.won.get()
                                                    on:change=move |e| { r.won.set(event_target_checked(&e)); saved.set(false); } />
                                                {move || i18n.t(K::StageWins)}
                                            </label>
                                            <span class="muted stage-deals">
                                                {move || i18n.t(K::StageDeals).replace("{n}", &count().to_string())}
                                            </span>
                                            <div class="stage-actions">
                                                <button type="button" disabled=i == 0 aria-label=move || label(K::MoveUp)
                                                    on:click=move |_| move_row(i, true)>"↑"</button>
                                                <button type="button" disabled=i + 1 == n aria-label=move || label(K::MoveDown)
                                                    on:click=move |_| move_row(i, false)>"↓"</button>
                                                <button type="button" aria-label=move || label(K::RemoveStage)
                                                    on:click=move |_| { rows.update(|x| { x.remove(i); }); saved.set(false); }>
                                                    {move || i18n.t(K::RemoveStage)}
                                                </button>
                                            </div>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ol>
                    // Beside the save button, where the eye is when it is pressed.
                    <Show when=move || errors.with(|e| !e.is_empty())>
                        <div class="form-error" role="alert">
                            <strong>{move || i18n.t(K::PipelineNotSaved)}</strong>
                            <ul>{move || errors.get().into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul>
                        </div>
                    </Show>
                    <div class="actions">
                        <button type="button" on:click=add>{move || i18n.t(K::AddStage)}</button>
                        <button type="submit" class="primary">{move || i18n.t(K::SaveChanges)}</button>
                    </div>
                    <Show when=move || saved.get()>
                        <p role="status" class="notice">{move || i18n.t(K::PipelineSaved)}</p>
                    </Show>
                </form>
            </Show>
        </section>
    }
}
