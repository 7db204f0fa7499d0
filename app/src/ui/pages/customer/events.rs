//! The customer's relationship: everything that happened with it, newest first (important events,
//! after-sales events imported with its service group, and every activity logged on it, with a case's
//! status and a visit's score), and the form to log more.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::domain::{CustomerView, DocId, RecordKind, RecordView, Timestamp};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::Ctx;
use crate::ui::components::log_relationship::{activity_details, kind_text, LogRelationship};
use crate::ui::pages::list::status_text;

/// One line of the timeline.
#[derive(Clone, PartialEq)]
struct Line {
    at: Timestamp,
    text: String,
    details: String,
    link: Option<DocId>,
}

#[component]
pub fn Relationship(id: DocId, customer: Memo<Option<CustomerView>>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let activities = ctx.store.records(RecordKind::Activity);
    let id_a = id.clone();
    // Kinds go through the string table (never a raw `ticket:` or `call:`).
    let lines = Memo::new(move |_| {
        let mut out: Vec<Line> = Vec::new();
        customer.with(|c| {
            let Some(c) = c else { return };
            out.extend(c.base.events.iter().map(|e| Line {
                at: e.at,
                text: e.title.clone(),
                details: String::new(),
                link: None,
            }));
            for e in c.service.iter().flat_map(|s| s.events.iter()) {
                out.push(Line {
                    at: e.at,
                    text: format!("{} · {}", status_text(i18n, e.kind.as_str()), e.title),
                    details: if e.open { i18n.t(K::EventOpen).to_string() } else { String::new() },
                    link: None,
                });
            }
        });
        activities.with(|vs| {
            for v in vs {
                if let RecordView::Activity(a) = v {
                    if a.base.customer.as_ref() == Some(&id_a) {
                        let (_, subject) = crate::domain::ops::split_kind_prefix(&a.base.subject);
                        out.push(Line {
                            at: a.base.at,
                            text: format!("{} · {subject}", i18n.t(kind_text(a.base.kind))),
                            details: activity_details(i18n, ctx, a),
                            link: Some(a.id.clone()),
                        });
                    }
                }
            }
        });
        out.sort_by_key(|e| std::cmp::Reverse(e.at));
        out
    });
    let cust = Signal::derive({
        let id = id.clone();
        move || Some(id.clone())
    });
    view! {
        <section class="card">
            <h2>{move || i18n.t(K::Events)}</h2>
            <Show when=move || lines.with(Vec::is_empty)>
                <p class="muted empty-note">{move || i18n.t(K::NoEvents)}</p>
            </Show>
            <ol class="timeline">
                {move || lines.get().into_iter().map(|l| view! {
                    <li>
                        {match l.link {
                            Some(id) => view! { <A href=format!("/r/{id}")>{l.text}</A> }.into_any(),
                            None => view! { <span>{l.text}</span> }.into_any(),
                        }}
                        {(!l.details.is_empty()).then(|| view! { <span>" · "{l.details}</span> })}
                        <span class="muted">" · "{i18n.date(l.at)}</span>
                    </li>
                }).collect_view()}
            </ol>
            <LogRelationship customer=cust />
        </section>
    }
}
