//! What the relay answered: the progress of a running job, the dry run's report (every rejected row with its
//! reason, warnings, ignored columns, likely duplicates) and the summary of a stored import.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::A;

use super::{JobState, Report};
use crate::domain::import::preview::likely_duplicates;
use crate::domain::{DocId, RecordKind};
use crate::i18n::{I18n, K};
use crate::ui::api;
use crate::ui::components::ctx::Ctx;

/// Rejected rows shown on the page (all of them are in the CSV download).
const SHOWN: usize = 200;

fn kind_word(kind: &str) -> K {
    match kind {
        "leads" | "lead" => K::WordLeads,
        "customers" | "customer" => K::WordCustomers,
        "contacts" | "contact" => K::WordContacts,
        _ => K::WordDeals,
    }
}

/// "10,000 deals, 7 customers": the kind imported first, then what it made on the way (customers).
fn counts_text(i18n: I18n, r: &Report) -> String {
    let mut counts: Vec<(&String, &usize)> = r.counts.iter().collect();
    counts.sort_by_key(|(k, _)| **k != r.kind);
    counts
        .into_iter()
        .map(|(k, n)| format!("{} {}", i18n.number(*n as f64), i18n.t(kind_word(k))))
        .collect::<Vec<_>>()
        .join(", ")
}

fn problems_csv(rows: &[super::job::RowProblem]) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let _ = w.write_record(["row", "column", "reason"]);
    for p in rows {
        let _ = w.write_record([p.row.to_string(), p.column.clone().unwrap_or_default(), p.reason.clone()]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[component]
pub fn Progress(dry_run: bool, state: Option<JobState>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let percent = state.as_ref().map(JobState::percent).unwrap_or(0);
    let text = match &state {
        Some(s) if s.phase == "building" => i18n
            .t(K::ImportBuilding)
            .replace("{done}", &i18n.number(s.done as f64))
            .replace("{total}", &i18n.number(s.total as f64)),
        Some(s) if s.phase == "storing" => i18n.t(K::ImportStoring).to_string(),
        Some(s) if s.phase == "finished" => i18n.t(K::ImportFinishing).to_string(),
        Some(s) => i18n.t(K::ImportChecking).replace("{total}", &i18n.number(s.total as f64)),
        None => i18n.t(K::ImportStarting).to_string(),
    };
    let heading = if dry_run { K::CheckingFile } else { K::Importing };
    view! {
        <section class="card import-progress" aria-label=move || i18n.t(heading)>
            <h2>{move || i18n.t(heading)}</h2>
            <div
                class="progress"
                role="progressbar"
                aria-label=move || i18n.t(K::ImportProgress)
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=percent.to_string()
                aria-valuetext=text.clone()
            >
                // Through CSSOM (`style:`), which the CSP allows; a `style` attribute it refuses.
                <div class="progress-fill" style:width=format!("{percent}%")></div>
            </div>
            <p role="status">{text}</p>
        </section>
    }
}

#[component]
pub fn DryRun(
    report: Arc<Report>,
    /// The file's own names of the columns the relay names (see `ImportCtx::column_names`).
    columns: std::collections::BTreeMap<String, String>,
    on_import: Callback<()>,
    on_back: Callback<()>,
) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    // Problems name the columns as the person's file does.
    let rename = |list: &[super::job::RowProblem]| -> Vec<super::job::RowProblem> {
        list.iter()
            .map(|p| {
                let mut p = p.clone();
                if let Some(c) = p.column.as_ref().and_then(|c| columns.get(c)) {
                    p.column = Some(c.clone());
                }
                p
            })
            .collect()
    };
    let mut r = (*report).clone();
    r.rejected = rename(&r.rejected);
    r.warnings = rename(&r.warnings);
    let r = Arc::new(r);
    // Likely duplicates: planned names against the records of that kind this device holds.
    let duplicates = {
        let planned: Vec<(usize, RecordKind, String)> = report
            .records
            .iter()
            .filter_map(|p| Some((p.row, RecordKind::parse(&p.kind).ok()?, p.name.clone())))
            .collect();
        let mut existing: Vec<(DocId, RecordKind, String)> = Vec::new();
        for kind in [RecordKind::Lead, RecordKind::Opportunity, RecordKind::Customer, RecordKind::Contact] {
            if planned.iter().any(|(_, k, _)| *k == kind) {
                ctx.store.records(kind).with_untracked(|vs| {
                    existing.extend(vs.iter().map(|v| (v.id().clone(), kind, v.title().to_string())))
                });
            }
        }
        likely_duplicates(&planned, &existing)
    };
    let clean = report.rejected.is_empty();
    let headline = if clean {
        i18n.t(K::DryRunClean)
            .replace("{rows}", &i18n.number(report.rows as f64))
            .replace("{what}", &counts_text(i18n, &report))
    } else {
        i18n.t(K::DryRunRejected)
            .replace("{bad}", &i18n.number(report.rejected_rows as f64))
            .replace("{rows}", &i18n.number(report.rows as f64))
    };
    let download = {
        let rejected = r.rejected.clone();
        move |_| {
            if let Err(e) = api::save_file("rejected-rows.csv", "text/csv", &problems_csv(&rejected)) {
                ctx.report(e);
            }
        }
    };
    let more = report.rejected.len().saturating_sub(SHOWN);
    let problem_rows = |list: &[super::job::RowProblem], n: usize| {
        list.iter()
            .take(n)
            .map(|p| {
                view! {
                    <tr>
                        <td class="num">{p.row}</td>
                        <td>{p.column.clone().unwrap_or_default()}</td>
                        <td>{p.reason.clone()}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    let problems_table = move |list: Vec<super::job::RowProblem>, n: usize, label: K| {
        view! {
            <div class="table-scroll import-problems">
                <table class="data-table" aria-label=move || i18n.t(label)>
                    <thead>
                        <tr>
                            <th scope="col" class="num">{move || i18n.t(K::RowNumber)}</th>
                            <th scope="col">{move || i18n.t(K::ColumnInFile)}</th>
                            <th scope="col">{move || i18n.t(K::Reason)}</th>
                        </tr>
                    </thead>
                    <tbody>{problem_rows(&list, n)}</tbody>
                </table>
            </div>
        }
    };
    let dup_rows = duplicates
        .iter()
        .take(SHOWN)
        .map(|d| {
            let what = match (&d.existing, d.earlier_row) {
                (Some(id), _) => view! { <A href=format!("/r/{id}")>{i18n.t(K::ExistingRecord)}</A> }.into_any(),
                (None, Some(row)) => {
                    view! { <span>{i18n.t(K::SameAsRow).replace("{row}", &row.to_string())}</span> }.into_any()
                }
                (None, None) => view! { <span></span> }.into_any(),
            };
            view! {
                <tr>
                    <td class="num">{d.row}</td>
                    <td>{d.name.clone()}</td>
                    <td>{what}</td>
                </tr>
            }
        })
        .collect_view();
    let n_dups = duplicates.len();
    view! {
        <section class="card import-report" aria-label=move || i18n.t(K::DryRunTitle)>
            <h2>{move || i18n.t(K::DryRunTitle)}</h2>
            <p role="status" class=if clean { "notice" } else { "notice notice-error" }>{headline}</p>
            {(!clean).then(|| view! {
                <h3>{move || i18n.t(K::RejectedRows)}</h3>
                <p class="muted">{move || i18n.t(K::NothingImportedWhileRejected)}</p>
                {problems_table(r.rejected.clone(), SHOWN, K::RejectedRows)}
                {(more > 0).then(|| view! { <p class="muted">{i18n.t(K::MoreRejected).replace("{n}", &i18n.number(more as f64))}</p> })}
                <button type="button" on:click=download.clone()>{move || i18n.t(K::DownloadRejected)}</button>
            })}
            {(n_dups > 0).then(|| view! {
                <h3>{move || i18n.t(K::LikelyDuplicates)}</h3>
                <p class="muted">{i18n.t(K::DuplicatesHelp).replace("{n}", &i18n.number(n_dups as f64))}</p>
                <div class="table-scroll">
                    <table class="data-table" aria-label=move || i18n.t(K::LikelyDuplicates)>
                        <thead>
                            <tr>
                                <th scope="col" class="num">{move || i18n.t(K::RowNumber)}</th>
                                <th scope="col">{move || i18n.t(K::Name)}</th>
                                <th scope="col">{move || i18n.t(K::SameAs)}</th>
                            </tr>
                        </thead>
                        <tbody>{dup_rows}</tbody>
                    </table>
                </div>
            })}
            {(!r.warnings.is_empty()).then(|| view! {
                <h3>{move || i18n.t(K::ImportWarnings)}</h3>
                {problems_table(r.warnings.clone(), 50, K::ImportWarnings)}
            })}
            {(!r.ignored_columns.is_empty()).then(|| view! {
                <h3>{move || i18n.t(K::IgnoredColumns)}</h3>
                <ul>
                    {r.ignored_columns.iter().map(|c| view! { <li><strong>{c.column.clone()}</strong>": "{c.reason.clone()}</li> }).collect_view()}
                </ul>
            })}
            <div class="actions">
                <button type="button" class="primary" disabled=!clean on:click=move |_| on_import.run(())>
                    {i18n.t(K::ImportNRecords).replace("{what}", &counts_text(i18n, &report))}
                </button>
                <button type="button" on:click=move |_| on_back.run(())>{move || i18n.t(K::BackToMapping)}</button>
            </div>
        </section>
    }
}

fn list_path(kind: &str) -> &'static str {
    match kind {
        "leads" => "/leads",
        "customers" => "/customers",
        "contacts" => "/contacts",
        _ => "/opportunities",
    }
}

#[component]
pub fn Summary(report: Arc<Report>, on_again: Callback<()>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let headline = i18n.t(K::ImportDone).replace("{what}", &counts_text(i18n, &report));
    let mut kinds: Vec<&String> = report.counts.keys().collect();
    kinds.sort_by_key(|k| **k != report.kind);
    let lists = kinds
        .into_iter()
        .map(|k| {
            let label = i18n.t(K::OpenList).replace("{what}", i18n.t(kind_word(k)));
            view! { <li><A href=list_path(k)>{label}</A></li> }
        })
        .collect_view();
    // The records of the kind imported (not the customers made on the way).
    let firsts = report
        .records
        .iter()
        .filter(|p| RecordKind::parse(&p.kind).is_ok_and(|k| k.plural() == report.kind))
        .filter_map(|p| Some((p.id.clone()?, p.name.clone())))
        .take(10)
        .map(|(id, name)| view! { <li><A href=format!("/r/{id}")>{name}</A></li> })
        .collect_view();
    view! {
        <section class="card import-summary" aria-label=move || i18n.t(K::ImportSummary)>
            <h2>{move || i18n.t(K::ImportSummary)}</h2>
            <p role="status" class="notice">{headline}</p>
            <ul class="admin-links">{lists}</ul>
            <h3>{move || i18n.t(K::FirstRecords)}</h3>
            <ul>{firsts}</ul>
            <button type="button" on:click=move |_| on_again.run(())>{move || i18n.t(K::ImportAnother)}</button>
        </section>
    }
}
