//! The board as it stood at a time (issue 13): a date-and-time control, and while one is chosen every deal
//! on this device placed by its main document then (`ClientStore::deals_as_of`, `domain::history::board_as_of`),
//! computed on the device, moving disabled, under a banner with "Back to now".
//!
//! The board uses the changes' own times, not the relay's provenance: asking the relay for the provenance
//! of thousands of deals is what "offline, on the device's own documents" rules out, and the provenance
//! cache holds only records opened lately (mixing both clocks on one board would be worse than either).

use leptos::prelude::*;

use crate::domain::{DocId, OpportunityView, RecordKind, Timestamp};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::Ctx;
use crate::ui::pages::record::as_of::AsOfInput;
use crate::ui::pages::record::values::date_time;

/// The deals as of the chosen time, or `None` while now (or while working it out).
pub(super) fn deals_then(ctx: Ctx, at: RwSignal<Option<Timestamp>>) -> RwSignal<Option<Vec<OpportunityView>>> {
    let then = RwSignal::new(None::<Vec<OpportunityView>>);
    let opps = ctx.store.records(RecordKind::Opportunity);
    Effect::new(move |_| {
        let Some(t) = at.get() else {
            then.set(None);
            return;
        };
        // Every deal on the device, now visible to this user (a deal since archived still stood on the board).
        let ids: Vec<DocId> = opps.with_untracked(|vs| vs.iter().map(|v| v.id().clone()).collect());
        then.set(None);
        leptos::task::spawn_local(async move {
            let started = js_sys::Date::now();
            let got = ctx.store.deals_as_of(&ids, &Default::default(), t).await;
            let ms = js_sys::Date::now() - started;
            if at.get_untracked() != Some(t) {
                return;
            }
            match got {
                Ok(deals) => {
                    leptos::logging::log!("board as of: {} of {} deals in {ms:.0} ms", deals.len(), ids.len());
                    then.set(Some(deals));
                }
                Err(e) => ctx.report(e),
            }
        });
    });
    then
}

/// The "As of" control in the board's header.
#[component]
pub(super) fn AsOfPicker(at: RwSignal<Option<Timestamp>>) -> impl IntoView {
    view! { <AsOfInput at=at label=K::AsOf class="field-label as-of-pick" /> }
}

/// The banner over the board while it shows a past time.
#[component]
pub(super) fn AsOfBanner(at: RwSignal<Option<Timestamp>>, working: Signal<bool>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let title = move || {
        let when = at.get().map(|t| date_time(i18n, t)).unwrap_or_default();
        i18n.t(K::AsOfBanner).replace("{time}", &when)
    };
    view! {
        <Show when=move || at.get().is_some()>
            <div class="as-of-banner board-as-of">
                <div>
                    <p class="as-of-title" role="status">
                        {title}
                    </p>
                    <p class="muted small">
                        {move || if working.get() { i18n.t(K::AsOfWorking) } else { i18n.t(K::AsOfBoardHint) }}
                    </p>
                </div>
                <button type="button" class="primary" on:click=move |_| at.set(None)>
                    {move || i18n.t(K::AsOfBack)}
                </button>
            </div>
        </Show>
    }
}
