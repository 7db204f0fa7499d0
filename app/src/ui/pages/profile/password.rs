//! Choosing a new password: the profile page's form and the forced step after a one-time password. The
//! rules are shown before typing and checked at each field; the relay checks them again.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{I18n, K};
use crate::ui::api::{self, ApiError};
use crate::ui::components::form::FormInput;

/// Shortest password (the relay's `MIN_PASSWORD_CHARS`).
pub const MIN_CHARS: usize = 8;

/// Field errors of a password change (checked before sending).
fn check(i18n: I18n, current: &str, new: &str, again: &str) -> [Option<String>; 3] {
    let mut errs = [None, None, None];
    if current.is_empty() {
        errs[0] = Some(i18n.t(K::ErrCurrentPassword).to_string());
    }
    if new.chars().count() < MIN_CHARS {
        errs[1] = Some(i18n.t(K::PasswordRules).to_string());
    } else if new == current {
        errs[1] = Some(i18n.t(K::ErrSamePassword).to_string());
    }
    if errs[1].is_none() && new != again {
        errs[2] = Some(i18n.t(K::ErrPasswordsDiffer).to_string());
    }
    errs
}

/// The form. With `one_time` given (the password just used to sign in), the current-password field is not
/// asked again. `on_done` runs once the relay accepted the new password.
#[component]
pub fn PasswordForm(
    #[prop(into)] token: Signal<String>,
    #[prop(optional)] one_time: Option<String>,
    on_done: Callback<()>,
) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ask_current = one_time.is_none();
    let current = RwSignal::new(one_time.unwrap_or_default());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let errors = RwSignal::new([None::<String>, None, None]);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        done.set(false);
        let (c, n, a) = (current.get_untracked(), new.get_untracked(), again.get_untracked());
        let errs = check(i18n, &c, &n, &a);
        let ok = errs.iter().all(Option::is_none);
        errors.set(errs);
        if !ok {
            return;
        }
        busy.set(true);
        let body = serde_json::json!({ "current_password": c, "new_password": n });
        let token = token.get_untracked();
        spawn_local(async move {
            let r: Result<serde_json::Value, _> = api::post(&token, "/api/me/password", Some(body)).await;
            busy.set(false);
            match r {
                Ok(_) => {
                    new.set(String::new());
                    again.set(String::new());
                    if ask_current {
                        current.set(String::new());
                    }
                    done.set(true);
                    on_done.run(());
                }
                // The relay names the field first ("current_password: wrong password").
                Err(ApiError::Http { message, .. }) if message.starts_with("current_password") => {
                    errors.set([Some(i18n.t(K::ErrWrongCurrent).to_string()), None, None])
                }
                Err(ApiError::Http { message, .. }) => errors.set([None, Some(message), None]),
                Err(e) => errors.set([None, Some(e.to_string()), None]),
            }
        });
    };
    let err = move |i: usize| Signal::derive(move || errors.with(|e| e[i].clone()));
    view! {
        <form class="card password-form" on:submit=submit novalidate=true>
            <p class="muted" id="password-rules">{move || i18n.t(K::PasswordRules)}</p>
            <Show when=move || ask_current>
                <FormInput
                    name="current-password"
                    label=Signal::derive(move || i18n.t(K::CurrentPassword).to_string())
                    value=current
                    error=err(0)
                    input_type="password"
                    autocomplete="current-password"
                    required=true
                />
            </Show>
            <FormInput
                name="new-password"
                label=Signal::derive(move || i18n.t(K::NewPassword).to_string())
                value=new
                error=err(1)
                input_type="password"
                autocomplete="new-password"
                required=true
            />
            <FormInput
                name="new-password-again"
                label=Signal::derive(move || i18n.t(K::NewPasswordAgain).to_string())
                value=again
                error=err(2)
                input_type="password"
                autocomplete="new-password"
                required=true
            />
            <Show when=move || done.get()>
                <p role="status" class="notice">{move || i18n.t(K::PasswordChanged)}</p>
            </Show>
            <button type="submit" class="primary" disabled=move || busy.get()>
                {move || i18n.t(K::SetPassword)}
            </button>
        </form>
    }
}
