//! The record as it was at a time (issue 13, ARCHITECTURE.md §11): a date-and-time control beside the
//! History card, and in place of the live record a read-only view of its main fields then, computed on this
//! device from its own documents (`ClientStore::record_as_of`, `domain::history::as_of`) with the relay's
//! provenance when it answers, the cached one or the changes' own times when not (the view says which).

use leptos::prelude::*;

use super::values::{date_time, label, show};
use crate::domain::history::main_fields;
use crate::domain::{DocId, RecordView, Timestamp};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::{access_of, datetime_input_value, now, parse_datetime_input, Ctx};
use crate::ui::components::provenance::{provenance, Clock};

/// What the as-of view shows.
#[derive(Clone, Debug, PartialEq)]
enum Then {
    Working,
    /// The record then (`None`: it did not exist yet), and the clock it was computed on.
    Known(Option<Box<RecordView>>, Clock),
    Failed(String),
}

/// A date-and-time input bound to `at`, labelled `label`, never later than now (the record's card and the
/// board's header).
#[component]
pub fn AsOfInput(at: RwSignal<Option<Timestamp>>, label: K, class: &'static str) -> impl IntoView {
    let i18n = I18n::use_i18n();
    view! {
        <label class=class>
            <span>{move || i18n.t(label)}</span>
            <input
                type="datetime-local"
                prop:value=move || at.get().map(datetime_input_value).unwrap_or_default()
                max=move || datetime_input_value(now())
                on:change=move |ev| at.set(parse_datetime_input(&event_target_value(&ev)))
            />
        </label>
    }
}

/// The "As of" card: pick a time to see the record then; "Back to now" clears it.
#[component]
pub fn AsOfControl(at: RwSignal<Option<Timestamp>>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    view! {
        <section class="card as-of-control" aria-labelledby="as-of-heading">
            <h2 id="as-of-heading">{move || i18n.t(K::AsOf)}</h2>
            <div class="as-of-row">
                <AsOfInput at=at label=K::AsOfPick class="field-label" />
                <Show when=move || at.get().is_some()>
                    <button type="button" class="secondary" on:click=move |_| at.set(None)>
                        {move || i18n.t(K::AsOfBack)}
                    </button>
                </Show>
            </div>
        </section>
    }
}

/// The record at `at`, read-only, under a banner saying so.
#[component]
pub fn AsOfView(id: DocId, at: RwSignal<Option<Timestamp>>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let rec = ctx.store.record(id.clone());
    let acc = access_of(ctx, id.clone());
    let then = RwSignal::new(Then::Working);
    // Recomputed when the time, the record (a change arrived) or the reader's access changes; a late answer
    // for an older time is dropped.
    Effect::new(move |_| {
        let Some(t) = at.get() else { return };
        let (Some(kind), access) = (rec.with(|r| r.as_ref().map(RecordView::kind)), acc.get()) else { return };
        let id = id.clone();
        then.set(Then::Working);
        leptos::task::spawn_local(async move {
            let (prov, clock) = provenance(ctx, &id, kind).await;
            let got = ctx.store.record_as_of(id, &prov, &access, t).await;
            if at.get_untracked() == Some(t) {
                then.set(match got {
                    Ok(v) => Then::Known(v.map(Box::new), clock),
                    Err(e) => Then::Failed(e.to_string()),
                });
            }
        });
    });
    // Chosen below the record: bring the view, which replaces it, into sight.
    let top = NodeRef::<leptos::html::Section>::new();
    Effect::new(move |_| {
        if let Some(el) = top.get() {
            el.scroll_into_view();
        }
    });
    let banner = move || {
        let when = at.get().map(|t| date_time(i18n, t)).unwrap_or_default();
        i18n.t(K::AsOfBanner).replace("{time}", &when)
    };
    view! {
        <section class="card as-of" aria-labelledby="as-of-banner" node_ref=top>
            <div class="as-of-banner">
                <p id="as-of-banner" class="as-of-title" role="status">
                    {banner}
                </p>
                <button type="button" class="primary" on:click=move |_| at.set(None)>
                    {move || i18n.t(K::AsOfBack)}
                </button>
            </div>
            {move || match then.get() {
                Then::Working => view! { <p class="muted">{i18n.t(K::AsOfWorking)}</p> }.into_any(),
                Then::Failed(e) => view! { <p class="notice notice-error" role="alert">{e}</p> }.into_any(),
                Then::Known(None, _) => view! { <p class="notice">{i18n.t(K::AsOfNotYet)}</p> }.into_any(),
                Then::Known(Some(v), clock) => {
                    let rows = main_fields(&v)
                        .into_iter()
                        .map(|(field, value)| {
                            let (name, text) = (label(ctx, i18n, field), show(ctx, i18n, field, &value));
                            view! {
                                <div class="as-of-field">
                                    <dt>{name}</dt>
                                    <dd>{text}</dd>
                                </div>
                            }
                        })
                        .collect_view();
                    let clock = match clock {
                        Clock::Relay => K::AsOfRelayClock,
                        Clock::Cached => K::AsOfCachedClock,
                        Clock::Devices => K::AsOfDeviceClock,
                    };
                    view! {
                        <dl class="as-of-fields">{rows}</dl>
                        <p class="muted small as-of-clock">{i18n.t(clock)}</p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
