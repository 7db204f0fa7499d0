//! The Leptos client: `App` (contexts, sign-in gate, router) and the pages and components below it.
//!
//! # Layout
//! - `pages/`: one file per page (sign-in, today, board, lists, record pages, new-record form, dashboard).
//! - `components/`: the app shell (navigation, sync state, refused changes, global search), inline
//!   editors, form controls, owner and custom-field editors, live notes, presence avatars, the windowed
//!   list, and `ctx` (who am I, what may I do).
//!
//! Components render and dispatch; state and rules come from `crate::store` (the data layer) and
//! `crate::domain` (policy, operations, analytics). Every control has an accessible name.

pub(crate) mod api;
mod components;
mod pages;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::domain::RecordKind;
use crate::i18n::I18n;
use crate::store::ClientStore;

/// The whole client.
#[component]
pub fn App() -> impl IntoView {
    I18n::provide();
    let store = ClientStore::provide();
    components::ctx::Ctx::provide(store);
    let signed_in = Memo::new(move |_| store.session().with(|s| s.is_some()));
    move || {
        if signed_in.get() {
            view! {
                <Router>
                    <components::shell::Shell>
                        <Routes fallback=|| view! { <pages::record::PageNotFound /> }>
                            <Route path=path!("/") view=pages::today::TodayPage />
                            <Route path=path!("/board") view=pages::board::BoardPage />
                            <Route path=path!("/leads") view=|| view! { <pages::list::ListPage kind=RecordKind::Lead /> } />
                            <Route
                                path=path!("/opportunities")
                                view=|| view! { <pages::list::ListPage kind=RecordKind::Opportunity /> }
                            />
                            <Route
                                path=path!("/customers")
                                view=|| view! { <pages::list::ListPage kind=RecordKind::Customer /> }
                            />
                            <Route
                                path=path!("/contacts")
                                view=|| view! { <pages::list::ListPage kind=RecordKind::Contact /> }
                            />
                            <Route path=path!("/r/:id") view=pages::record::RecordPage />
                            <Route path=path!("/new/:kind") view=pages::new_record::NewRecordPage />
                            <Route path=path!("/dashboard") view=pages::dashboard::DashboardPage />
                            <Route path=path!("/exports") view=pages::exports::ExportsPage />
                            <Route path=path!("/settings/fields") view=pages::settings::SettingsFieldsPage />
                            <Route path=path!("/settings/pipeline") view=pages::settings::pipeline::SettingsPipelinePage />
                            <Route path=path!("/settings/policy") view=pages::settings::policy::SettingsPolicyPage />
                            <Route path=path!("/profile") view=pages::profile::ProfilePage />
                            <Route path=path!("/people") view=pages::people::PeoplePage />
                            <Route path=path!("/audit") view=pages::audit::AuditPage />
                            <Route path=path!("/import") view=pages::import::ImportPage />
                        </Routes>
                    </components::shell::Shell>
                </Router>
            }
            .into_any()
        } else {
            view! { <pages::sign_in::SignInPage /> }.into_any()
        }
    }
}
