//! Sign-in. Once signed in, the app opens offline from the local store (the session is remembered).
//! A one-time password (first run, or set by an admin) leads to choosing one's own password first: the
//! relay serves nothing else to such a session, so the app is not started until it is done.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{I18n, Locale, K};
use crate::session::Session;
use crate::store::{ClientStore, StoreError};
use crate::ui::pages::profile::PasswordForm;

#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let store = ClientStore::use_store();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // Signed in with a one-time password: the session and that password, until a new one is set.
    let one_time = RwSignal::new(None::<(Session, String)>);
    let start = move |s: Session| {
        spawn_local(async move {
            if let Err(e) = store.start_session(s).await {
                error.set(Some(e.to_string()));
            }
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let (u, p) = (username.get_untracked().trim().to_string(), password.get_untracked());
        spawn_local(async move {
            let r = crate::session::login(&u, &p).await;
            busy.set(false);
            match r {
                Ok(s) if s.must_change_password => one_time.set(Some((s, p))),
                Ok(s) => start(s),
                Err(e) => error.set(Some(match e {
                    StoreError::Login { status: 401, .. } => i18n.t(K::WrongPassword).to_string(),
                    StoreError::Offline(_) => i18n.t(K::SignInOffline).to_string(),
                    other => other.to_string(),
                })),
            }
        });
    };
    let set_password = move || {
        one_time.get().map(|(s, pw)| {
            let token = s.token.clone();
            let done = Callback::new(move |_| {
                let mut s = s.clone();
                s.must_change_password = false;
                start(s);
            });
            view! {
                <main class="signin">
                    <section class="signin-card set-password">
                        <h1>{move || i18n.t(K::ChooseYourPassword)}</h1>
                        <p>{move || i18n.t(K::OneTimeExplained)}</p>
                        <PasswordForm token=Signal::derive(move || token.clone()) one_time=pw on_done=done />
                    </section>
                </main>
            }
        })
    };
    view! {
        <Show when=move || one_time.with(|o| o.is_none()) fallback=set_password>
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
        </Show>
    }
}
