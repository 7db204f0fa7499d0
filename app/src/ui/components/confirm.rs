//! Asking before a risky change (winning a deal, skipping stages, handing a record to someone else): one
//! `alertdialog` for the whole app, opened through the `Confirm` context.
//!
//! Focus goes to "Cancel" when it opens (the safe answer for Enter), Escape cancels, and focus returns to
//! where it was when it closes.

use leptos::html;
use leptos::prelude::*;
use std::sync::Arc;

use crate::i18n::{I18n, K};

/// Something to do after the answer. A plain closure, not a `Callback`: those belong to the reactive owner
/// that made them (often an event handler's component), which may be gone by the time someone answers.
pub type Action = Arc<dyn Fn() + Send + Sync>;

/// A question and what to do on "Confirm".
#[derive(Clone)]
pub struct Ask {
    pub title: String,
    pub detail: String,
    pub on_confirm: Action,
    /// What to undo on "Cancel" (e.g. a select put back to the current value).
    pub on_cancel: Option<Action>,
}

/// The app's confirmation context (a `Copy` newtype over the open question).
#[derive(Clone, Copy)]
pub struct Confirm(RwSignal<Option<Ask>>, StoredValue<Option<web_sys::HtmlElement>, LocalStorage>);

impl Confirm {
    pub fn provide() -> Confirm {
        let c = Confirm(RwSignal::new(None), StoredValue::new_local(None));
        provide_context(c);
        c
    }

    pub fn use_confirm() -> Confirm {
        expect_context::<Confirm>()
    }

    /// Opens the question (replacing one still open).
    pub fn ask(&self, ask: Ask) {
        let active = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element())
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
        self.1.set_value(active);
        self.0.set(Some(ask));
    }

    fn close(&self, confirmed: bool) {
        let Some(ask) = self.0.get_untracked() else { return };
        self.0.set(None);
        if let Some(el) = self.1.get_value() {
            let _ = el.focus();
        }
        if confirmed {
            (ask.on_confirm)();
        } else if let Some(c) = ask.on_cancel {
            c();
        }
    }
}

#[component]
pub fn ConfirmDialog() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let confirm = Confirm::use_confirm();
    let cancel_ref = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if confirm.0.with(|a| a.is_some()) {
            if let Some(b) = cancel_ref.get() {
                let _ = b.focus();
            }
        }
    });
    view! {
        <Show when=move || confirm.0.with(|a| a.is_some())>
            <div class="overlay" on:click=move |_| confirm.close(false)>
                <div
                    class="confirm card"
                    role="alertdialog"
                    aria-modal="true"
                    aria-labelledby="confirm-title"
                    aria-describedby="confirm-detail"
                    on:click=|e| e.stop_propagation()
                    on:keydown=move |e| {
                        if e.key() == "Escape" {
                            e.stop_propagation();
                            confirm.close(false);
                        }
                    }
                >
                    <h2 id="confirm-title">{move || confirm.0.with(|a| a.as_ref().map(|a| a.title.clone()))}</h2>
                    <p id="confirm-detail">{move || confirm.0.with(|a| a.as_ref().map(|a| a.detail.clone()))}</p>
                    <div class="actions">
                        <button node_ref=cancel_ref class="secondary" on:click=move |_| confirm.close(false)>
                            {move || i18n.t(K::Cancel)}
                        </button>
                        <button class="primary" on:click=move |_| confirm.close(true)>
                            {move || i18n.t(K::Confirm)}
                        </button>
                    </div>
                </div>
            </div>
        </Show>
    }
}
