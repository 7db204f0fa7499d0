//! Global search (`/` or Ctrl-K): over every record on this device, so it works offline.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use super::ctx::Ctx;
use crate::domain::search::{matches, query_words, search_text};
use crate::domain::{RecordKind, RecordView};
use crate::i18n::{I18n, K};

const MAX_RESULTS: usize = 30;

/// The words a record is found by (folded, Chinese also by pinyin: `domain::search`).
fn haystack(v: &RecordView) -> String {
    match v {
        RecordView::Lead(l) => search_text([v.title(), l.base.company.as_str(), l.base.contact_name.as_str()]),
        RecordView::Opportunity(o) => search_text([v.title(), o.base.number.as_str()]),
        RecordView::Customer(c) => search_text(
            [v.title(), c.base.number.as_str(), c.base.industry.as_str(), c.base.region.as_str()]
                .into_iter()
                .chain(c.base.tags.iter().map(String::as_str)),
        ),
        RecordView::Contact(c) => search_text([v.title(), c.base.title.as_str()]),
        RecordView::Activity(a) => search_text([v.title(), a.base.outcome.as_str()]),
    }
}

/// One record's kind, singular ("Customer"), for badges on a record.
pub fn kind_name(kind: RecordKind) -> K {
    match kind {
        RecordKind::Lead => K::KindLead,
        RecordKind::Opportunity => K::KindOpportunity,
        RecordKind::Customer => K::Customer,
        RecordKind::Contact => K::KindContact,
        RecordKind::Activity => K::KindActivity,
    }
}

pub fn kind_label(kind: RecordKind) -> K {
    match kind {
        RecordKind::Lead => K::Leads,
        RecordKind::Opportunity => K::Opportunities,
        RecordKind::Customer => K::Customers,
        RecordKind::Contact => K::Contacts,
        RecordKind::Activity => K::Activities,
    }
}

#[component]
pub fn SearchPalette(open: RwSignal<bool>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let navigate = use_navigate();
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(0usize);
    let input = NodeRef::<html::Input>::new();

    // `/` (outside text fields) and Ctrl-K / Cmd-K open; Escape closes.
    let handle = window_event_listener(ev::keydown, move |e| {
        let in_field = e
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        let k = e.key();
        let ctrl_k = (k == "k" || k == "K") && (e.ctrl_key() || e.meta_key());
        let slash = k == "/" && !in_field && !open.get_untracked();
        if ctrl_k || slash {
            e.prevent_default();
            open.set(true);
        } else if k == "Escape" && open.get_untracked() {
            open.set(false);
        }
    });
    on_cleanup(move || handle.remove());

    // On opening, the last query is shown selected, so typing replaces it (and Enter or the arrows still
    // reach its results). The input is created by `<Show>` when the palette opens, before it is in the
    // document (where focus and selection would be lost): focus and select it on the next frame.
    Effect::new(move |_| {
        if open.get() {
            if let Some(el) = input.get() {
                request_animation_frame(move || {
                    el.set_value(&query.get_untracked());
                    let _ = el.focus();
                    el.select();
                });
            }
        }
    });

    let results = Memo::new(move |_| {
        let words = query_words(&query.get());
        if words.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for kind in [RecordKind::Opportunity, RecordKind::Customer, RecordKind::Lead, RecordKind::Contact] {
            ctx.store.records(kind).with(|vs| {
                for v in vs {
                    if out.len() >= MAX_RESULTS {
                        break;
                    }
                    if v.archived().is_some() {
                        continue;
                    }
                    if matches(&haystack(v), &words) {
                        out.push((v.id().clone(), kind, v.title().to_string()));
                    }
                }
            });
        }
        out
    });

    let go = Callback::new(move |id: String| {
        open.set(false);
        query.set(String::new());
        navigate(&format!("/r/{id}"), NavigateOptions::default());
    });

    view! {
        <Show when=move || open.get()>
            <div class="overlay" on:click=move |_| open.set(false)>
                <div
                    class="palette"
                    role="dialog"
                    aria-modal="true"
                    aria-label=move || i18n.t(K::SearchEverything)
                    on:click=|e| e.stop_propagation()
                >
                    <input
                        node_ref=input
                        type="search"
                        class="palette-input"
                        role="combobox"
                        aria-expanded="true"
                        aria-controls="search-results"
                        aria-label=move || i18n.t(K::SearchEverything)
                        placeholder=move || i18n.t(K::SearchHint)
                        prop:value=move || query.get()
                        on:input=move |e| {
                            query.set(event_target_value(&e));
                            selected.set(0);
                        }
                        on:keydown=move |e| match e.key().as_str() {
                                "ArrowDown" => {
                                    e.prevent_default();
                                    let n = results.with(|r| r.len());
                                    selected.update(|s| *s = (*s + 1).min(n.saturating_sub(1)));
                                }
                                "ArrowUp" => {
                                    e.prevent_default();
                                    selected.update(|s| *s = s.saturating_sub(1));
                                }
                                "Enter" => {
                                    if let Some((id, _, _)) = results.with(|r| r.get(selected.get_untracked()).cloned()) {
                                        go.run(id.to_string());
                                    }
                                }
                                _ => {}
                        }
                    />
                    <ul id="search-results" class="palette-results" role="listbox" aria-label=move || i18n.t(K::Search)>
                        {move || {
                            let rs = results.get();
                            if rs.is_empty() && !query.with(|q| q.trim().is_empty()) {
                                return view! { <li class="muted empty">{i18n.t(K::NoResults)}</li> }.into_any();
                            }
                            rs.into_iter()
                                .enumerate()
                                .map(|(i, (id, kind, title))| {
                                    let id_s = id.to_string();
                                    view! {
                                        <li
                                            role="option"
                                            class="palette-item"
                                            aria-selected=move || (selected.get() == i).to_string()
                                            on:click=move |_| go.run(id_s.clone())
                                        >
                                            <span class="palette-title">{title}</span>
                                            <span class="chip">{i18n.t(kind_name(kind))}</span>
                                        </li>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        }}
                    </ul>
                    <button class="secondary" aria-label=move || i18n.t(K::Close) on:click=move |_| open.set(false)>
                        {move || i18n.t(K::Close)}
                    </button>
                </div>
            </div>
        </Show>
    }
}
