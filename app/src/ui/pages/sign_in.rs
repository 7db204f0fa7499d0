//! Sign-in. Once signed in, the app opens offline from the local store (the session is remembered).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{I18n, Locale, K};
use crate::store::{ClientStore, StoreError};

#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let store = ClientStore::use_store();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let (u, p) = (username.get_untracked().trim().to_string(), password.get_untracked());
        spawn_local(async move {
            let r = store.login(u, p).await;
            busy.set(false);
            if let Err(e) = r {
                error.set(Some(match e {
                    StoreError::Login { status: 401, .. } => i18n.t(K::WrongPassword).to_string(),
                    StoreError::Offline(_) => i18n.t(K::SignInOffline).to_string(),
                    other => other.to_string(),
                }));
            }
        });
    };
    view! {
        <main class="signin">
            <form class="card signin-card" on:submit=submit>
                <img src="/icons/icon-192.png" alt="" width="64" height="64" class="signin-logo" />
                <h1>{move || i18n.t(K::AppName)}</h1>
                <label class="field-label">
                    <span>{move || i18n.t(K::Username)}</span>
                    <input
                        class="field-input"
                        name="username"
                        autocomplete="username"
                        autocapitalize="none"
                        required=true
                        prop:value=move || username.get()
                        on:input=move |e| username.set(event_target_value(&e))
                    />
                </label>
                <label class="field-label">
                    <span>{move || i18n.t(K::Password)}</span>
                    <input
                        class="field-input"
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required=true
                        prop:value=move || password.get()
                        on:input=move |e| password.set(event_target_value(&e))
                    />
                </label>
                <Show when=move || error.with(|e| e.is_some())>
                    <p class="form-error" role="alert">{move || error.get().unwrap_or_default()}</p>
                </Show>
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { i18n.t(K::SigningIn) } else { i18n.t(K::SignIn) }}
                </button>
                <select
                    class="lang"
                    aria-label=move || i18n.t(K::Language)
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(l) = Locale::ALL.into_iter().find(|l| l.tag() == v) {
                            i18n.set(l);
                        }
                    }
                >
                    {Locale::ALL
                        .into_iter()
                        .map(|l| view! { <option value=l.tag() selected=move || i18n.locale() == l>{l.native_name()}</option> })
                        .collect_view()}
                </select>
            </form>
        </main>
    }
}
