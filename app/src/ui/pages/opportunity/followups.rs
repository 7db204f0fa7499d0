//! The deal's follow-up timeline (follow-ups and linked activities). Logging one is the shared
//! `components::log_relationship` form.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::domain::ops::deal_timeline;
use crate::domain::{DocId, OpportunityView, RecordKind, RecordView};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::Ctx;
use crate::ui::pages::list::status_text;

#[component]
pub fn FollowUpTimeline(id: DocId, opp: Memo<Option<OpportunityView>>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let activities = ctx.store.records(RecordKind::Activity);
    // One entry per logged activity (domain::ops::deal_timeline), kinds through the string table.
    let items = Signal::derive(move || {
        let follow_ups = opp.with(|o| o.as_ref().map(|o| o.base.follow_ups.clone())).unwrap_or_default();
        activities.with(|vs| {
            let linked = vs.iter().filter_map(|v| match v {
                RecordView::Activity(a) if a.base.opportunity.as_ref() == Some(&id) => Some(a),
                _ => None,
            });
            deal_timeline(&follow_ups, linked)
        })
    });
    view! {
        <Show when=move || items.with(|i| i.is_empty())>
            <p class="muted empty-note">{move || i18n.t(K::NothingLogged)}</p>
        </Show>
        <ol class="timeline">
            {move || {
                items
                    .get()
                    .into_iter()
                    .map(|e| {
                        let when = i18n.date(e.at);
                        let who = e.by.as_ref().map(|u| ctx.user_name(u)).unwrap_or_default();
                        let text = match e.kind {
                            Some(k) => format!("{} · {}", status_text(i18n, k.as_str()), e.text),
                            None => e.text.clone(),
                        };
                        view! {
                            <li>
                                {match e.activity {
                                    Some(id) => view! { <A href=format!("/r/{id}")>{text}</A> }.into_any(),
                                    None => view! { <span>{text}</span> }.into_any(),
                                }}
                                <span class="muted">" · "{when}" · "{who}</span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ol>
    }
}
