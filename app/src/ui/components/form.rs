//! Form controls for entering a new record: a labelled input or select bound to a signal, with its
//! validation message tied to it (`aria-invalid`, `aria-describedby`), so people and tests find each
//! control by its label and hear what is wrong with it.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use super::fields::select_options;
use crate::i18n::{I18n, K};

/// The id of a control's message element (`name` is unique within the form).
fn message_id(name: &str) -> String {
    let slug: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("f-{slug}-msg")
}

/// Did the browser reject what was typed (e.g. half a date)? An `<input type=date>` then reports an
/// empty value, which must not pass for "no date".
pub fn bad_input(ev: &web_sys::Event) -> bool {
    let Some(target) = ev.target() else { return false };
    js_sys::Reflect::get(&target, &JsValue::from_str("validity"))
        .and_then(|v| js_sys::Reflect::get(&v, &JsValue::from_str("badInput")))
        .map(|b| b.is_truthy())
        .unwrap_or(false)
}

/// The message under a control (none: nothing rendered).
#[component]
fn Message(id: String, #[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <span class="field-error" id=id.clone()>
                    {e}
                </span>
            }
        })
    }
}

/// A labelled text input bound to `value`. `bad` (optional) is set when the browser rejects the input.
#[component]
pub fn FormInput(
    #[prop(into)] name: String,
    #[prop(into)] label: Signal<String>,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] input_type: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] bad: Option<RwSignal<bool>>,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let input_type = input_type.unwrap_or("text");
    let msg_id = message_id(&name);
    let described = msg_id.clone();
    let inputmode = (input_type == "text" && autocomplete == Some("transaction-amount")).then_some("decimal");
    view! {
        <div class="field" class:has-error=move || error.with(|e| e.is_some())>
            <label class="field-label">
                <span>
                    {move || label.get()}
                    {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
                </span>
                <input
                    type=input_type
                    class="field-input"
                    required=required
                    autocomplete=autocomplete.unwrap_or("off")
                    inputmode=inputmode
                    aria-invalid=move || if error.with(|e| e.is_some()) { "true" } else { "false" }
                    aria-describedby=move || error.with(|e| e.is_some()).then(|| described.clone())
                    prop:value=move || value.get()
                    on:input=move |e| {
                        if let Some(b) = bad {
                            b.set(bad_input(&e));
                        }
                        value.set(event_target_value(&e));
                    }
                />
            </label>
            <Message id=msg_id error=error />
        </div>
    }
}

/// A labelled choice among `options` (value, text) bound to `value`.
#[component]
pub fn FormSelect(
    #[prop(into)] name: String,
    #[prop(into)] label: Signal<String>,
    value: RwSignal<String>,
    #[prop(into)] options: Signal<Vec<(String, String)>>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let msg_id = message_id(&name);
    let described = msg_id.clone();
    view! {
        <div class="field" class:has-error=move || error.with(|e| e.is_some())>
            <label class="field-label">
                <span>
                    {move || label.get()}
                    {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
                </span>
                <select
                    class="field-input"
                    aria-invalid=move || if error.with(|e| e.is_some()) { "true" } else { "false" }
                    aria-describedby=move || error.with(|e| e.is_some()).then(|| described.clone())
                    on:change=move |e| value.set(event_target_value(&e))
                >
                    {move || select_options(options.get(), &value.get())}
                </select>
            </label>
            <Message id=msg_id error=error />
        </div>
    }
}

/// The alert above a form that has wrong fields: "nothing was saved, fix the marked fields", plus the
/// message that belongs to no one field, if any.
pub fn form_error_summary(i18n: I18n, general: Option<String>) -> impl IntoView {
    let mut lines = vec![i18n.t(K::FixErrors).to_string()];
    lines.extend(general);
    view! { <p role="alert" class="form-error notice notice-error">{lines.join(" ")}</p> }
}
