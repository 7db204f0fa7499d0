//! Inline editors: a labelled value that is editable in place when the user may write it, and saved
//! locally the moment it changes (no save button). Read-only values render as text with the same label.

use leptos::prelude::*;

/// One labelled field. `on_commit` gets the new text when the user leaves the field or presses Enter.
#[component]
pub fn TextField(
    #[prop(into)] label: Signal<String>,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] editable: Signal<bool>,
    on_commit: Callback<String>,
    #[prop(optional)] input_type: Option<&'static str>,
) -> impl IntoView {
    let input_type = input_type.unwrap_or("text");
    view! {
        <div class="field">
            <label class="field-label">
                <span>{move || label.get()}</span>
                {move || {
                    if editable.get() {
                        view! {
                            <input
                                type=input_type
                                class="field-input"
                                prop:value=move || value.get()
                                on:change=move |e| on_commit.run(event_target_value(&e))
                            />
                        }
                            .into_any()
                    } else {
                        view! {
                            <input type=input_type class="field-input" readonly=true prop:value=move || value.get() />
                        }
                            .into_any()
                    }
                }}
            </label>
        </div>
    }
}

/// The `<option>`s of a select over `(value, text)` pairs, the one equal to `current` selected.
pub fn select_options(options: Vec<(String, String)>, current: &str) -> impl IntoView {
    options
        .into_iter()
        .map(|(v, t)| {
            let sel = v == current;
            view! {
                <option value=v selected=sel>
                    {t}
                </option>
            }
        })
        .collect_view()
}

/// A labelled choice among `options` (value, text).
#[component]
pub fn SelectField(
    #[prop(into)] label: Signal<String>,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] options: Signal<Vec<(String, String)>>,
    #[prop(into)] editable: Signal<bool>,
    on_commit: Callback<String>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label class="field-label">
                <span>{move || label.get()}</span>
                <select
                    class="field-input"
                    disabled=move || !editable.get()
                    on:change=move |e| on_commit.run(event_target_value(&e))
                >
                    {move || select_options(options.get(), &value.get())}
                </select>
            </label>
        </div>
    }
}

/// A read-only labelled value (for what the role may see but not change, or derived numbers).
#[component]
pub fn ReadField(#[prop(into)] label: Signal<String>, #[prop(into)] value: Signal<String>) -> impl IntoView {
    view! {
        <div class="field">
            <span class="field-label">
                <span>{move || label.get()}</span>
                <output class="field-value">{move || value.get()}</output>
            </span>
        </div>
    }
}
