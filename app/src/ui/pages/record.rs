//! A record page: loads the record's documents while open (so edits merge live and others see us),
//! shows who else is here, and hands the body to the page for its kind.

mod activity;
mod archive;
pub(crate) mod as_of;
mod erase;
mod history;
pub(crate) mod values;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use activity::ActivityDetail;
use archive::ArchiveControls;
use as_of::{AsOfControl, AsOfView};
pub use erase::{pii_erased, PiiErasure};
use history::RecordHistory;

use super::{customer::CustomerDetail, lead::LeadDetail, opportunity::OpportunityDetail};
use crate::domain::{ActivityView, Contact, ContactPii, DocId, RecordKind, RecordView};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::Ctx;
use crate::ui::components::custom_fields::CustomFields;
use crate::ui::components::fields::{ReadField, TextField};
use crate::ui::components::log_relationship::{ActivityList, LogRelationship};
use crate::ui::components::notes::LiveNotes;
use crate::ui::components::owner::OwnerField;
use crate::ui::components::presence::PresenceAvatars;
use crate::ui::components::search::kind_name;

// Shared with components (which must not import pages): defined beside `Ctx`, named here for the pages.
pub use crate::ui::components::ctx::{access_of, save};

#[component]
pub fn RecordPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| DocId::parse(&s).ok())));
    move || match id.get() {
        Some(id) => view! { <RecordBody id=id /> }.into_any(),
        None => view! { <Missing /> }.into_any(),
    }
}

/// A record id this device does not have (hidden from the user, or not synced yet).
#[component]
pub fn Missing() -> impl IntoView {
    let i18n = I18n::use_i18n();
    view! { <p class="empty card">{move || i18n.t(K::NotFound)}</p> }
}

/// An address that is no page of the app (the router's fallback): not to be confused with [`Missing`].
#[component]
pub fn PageNotFound() -> impl IntoView {
    let i18n = I18n::use_i18n();
    view! {
        <section class="not-found card">
            <h1>{move || i18n.t(K::PageNotFound)}</h1>
            <p>{move || i18n.t(K::PageNotFoundHint)}</p>
            <A href="/" attr:class="button primary">{move || i18n.t(K::GoToday)}</A>
        </section>
    }
}

#[component]
fn RecordBody(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let store = ctx.store;
    let rec = store.record(id.clone());
    // Keep the documents loaded (live merges, presence) while the page is open.
    // On a direct load the local store is still opening: wait until it is ready and has the record.
    let opened = StoredValue::new(false);
    let ready = store.ready();
    {
        let id = id.clone();
        Effect::new(move |started: Option<bool>| {
            if started == Some(true) {
                return true;
            }
            if !ready.get() || rec.with(|r| r.is_none()) {
                return false;
            }
            let id = id.clone();
            leptos::task::spawn_local(async move {
                if store.open_record(id).await.is_ok() {
                    opened.set_value(true);
                }
            });
            true
        });
    }
    {
        let id = id.clone();
        on_cleanup(move || {
            if opened.try_get_value().unwrap_or(false) {
                store.close_record(id);
            }
        });
    }
    let kind = Memo::new(move |_| rec.with(|r| r.as_ref().map(|v| v.kind())));
    let title = move || rec.with(|r| r.as_ref().map(|v| v.title().to_string()).unwrap_or_default());
    let id_body = id.clone();
    let id_then = id.clone();
    // The time the page shows the record as of (`None`: now, editable).
    let as_of = RwSignal::new(None::<crate::domain::Timestamp>);
    view! {
        <article class="record">
            <Show when=move || kind.get().is_some() fallback=|| view! { <Missing /> }>
                <header class="record-header">
                    <div>
                        <span class="chip">{move || kind.get().map(|k| i18n.t(kind_name(k))).unwrap_or_default()}</span>
                        <h1>{title}</h1>
                        <ArchiveControls id=id.clone() />
                    </div>
                    <PresenceAvatars id=id.clone() />
                </header>
                {
                    let id = id_body.clone();
                    let then = id_then.clone();
                    move || match kind.get() {
                        Some(_) if as_of.get().is_some() => view! { <AsOfView id=then.clone() at=as_of /> }.into_any(),
                        Some(RecordKind::Opportunity) => view! { <OpportunityDetail id=id.clone() /> }.into_any(),
                        Some(RecordKind::Customer) => view! { <CustomerDetail id=id.clone() /> }.into_any(),
                        Some(RecordKind::Lead) => view! { <LeadDetail id=id.clone() /> }.into_any(),
                        Some(RecordKind::Contact) => view! { <ContactDetail id=id.clone() /> }.into_any(),
                        Some(RecordKind::Activity) => view! { <ActivityDetail id=id.clone() /> }.into_any(),
                        None => ().into_any(),
                    }
                }
                <AsOfControl at=as_of />
                <RecordHistory id=id.clone() />
            </Show>
        </article>
    }
}

#[component]
fn ContactDetail(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let rec = ctx.store.record(id.clone());
    let c = Memo::new(move |_| match rec.get() {
        Some(RecordView::Contact(c)) => Some(c),
        _ => None,
    });
    let acc = access_of(ctx, id.clone());
    let base_w = Signal::derive(move || acc.get().base.can_write());
    let pii_w = Signal::derive(move || acc.get().pii.can_write());
    let erased = pii_erased(ctx, id.clone());
    let text = move |f: fn(&crate::domain::ContactView) -> String| {
        Signal::derive(move || c.with(|c| c.as_ref().map(f).unwrap_or_default()))
    };
    let (i1, i2, i3, i4) = (id.clone(), id.clone(), id.clone(), id.clone());
    view! {
        <div class="record-grid">
            <section class="card">
                <h2>{move || i18n.t(K::Details)}</h2>
                <TextField
                    label=Signal::derive(move || i18n.t(K::Name).to_string())
                    value=text(|c| c.base.name.clone())
                    editable=base_w
                    on_commit=Callback::new(move |v: String| {
                        save::<Contact>(ctx, i1.clone(), format!("{}: {v}", i18n.t(K::Name)), move |c| {
                            c.name = v.trim().to_string();
                            Ok(())
                        })
                    })
                />
                <TextField
                    label=Signal::derive(move || i18n.t(K::Title).to_string())
                    value=text(|c| c.base.title.clone())
                    editable=base_w
                    on_commit=Callback::new(move |v: String| {
                        save::<Contact>(ctx, i2.clone(), format!("{}: {v}", i18n.t(K::Title)), move |c| {
                            c.title = v.trim().to_string();
                            Ok(())
                        })
                    })
                />
                <ReadField
                    label=Signal::derive(move || i18n.t(K::Customer).to_string())
                    value=Signal::derive(move || {
                        c.with(|c| c.as_ref().and_then(|c| c.base.customer.as_ref()).and_then(|id| ctx.customer_name(id))).unwrap_or_default()
                    })
                />
                <OwnerField id=id.clone() />
                <Show when=move || !erased.get() && c.with(|c| c.as_ref().is_some_and(|c| c.pii.is_some()))>
                    <TextField
                        label=Signal::derive(move || i18n.t(K::Phone).to_string())
                        input_type="tel"
                        value=text(|c| c.pii.as_ref().map(|p| p.phone.clone()).unwrap_or_default())
                        editable=pii_w
                        on_commit={
                            let id = i3.clone();
                            Callback::new(move |v: String| {
                                let store = ctx.store;
                                let id = id.clone();
                                ctx.run(async move {
                                    store.update_companion::<ContactPii>(id, "phone".into(), move |p| {
                                        p.phone = v.trim().to_string();
                                        Ok(())
                                    }).await
                                });
                            })
                        }
                    />
                    <TextField
                        label=Signal::derive(move || i18n.t(K::Email).to_string())
                        input_type="email"
                        value=text(|c| c.pii.as_ref().map(|p| p.email.clone()).unwrap_or_default())
                        editable=pii_w
                        on_commit={
                            let id = i4.clone();
                            Callback::new(move |v: String| {
                                let store = ctx.store;
                                let id = id.clone();
                                ctx.run(async move {
                                    store.update_companion::<ContactPii>(id, "email".into(), move |p| {
                                        p.email = v.trim().to_string();
                                        Ok(())
                                    }).await
                                });
                            })
                        }
                    />
                </Show>
                <PiiErasure id=id.clone() />
            </section>
            <section class="card">
                <h2>{move || i18n.t(K::Activities)}</h2>
                <ActivityList keep=of_contact of=id.clone() />
                <LogRelationship
                    customer=Signal::derive(move || c.with(|c| c.as_ref().and_then(|c| c.base.customer.clone())))
                    contact=id.clone()
                />
            </section>
            <CustomFields id=id.clone() />
            <section class="card">
                <LiveNotes id=id.clone() label=Signal::derive(move || i18n.t(K::Notes).to_string()) editable=base_w />
            </section>
        </div>
    }
}

fn of_contact(a: &ActivityView, contact: &DocId) -> bool {
    a.base.contact.as_ref() == Some(contact)
}

/// A labelled link to a related record by its name ("—" when there is none, or when the record is not on
/// this device: a link to "not on this device" helps nobody).
#[component]
fn RecordLink(label: K, #[prop(into)] target: Signal<Option<DocId>>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    view! {
        <div class="field">
            <span class="field-label">
                <span>{move || i18n.t(label)}</span>
                {move || {
                    let found = target.get().and_then(|id| {
                        let name = ctx.store.record(id.clone()).with(|r| r.as_ref().map(|v| v.title().to_string()));
                        Some((name.or_else(|| ctx.customer_name(&id))?, id))
                    });
                    match found {
                        Some((name, id)) => view! { <A href=format!("/r/{id}")>{name}</A> }.into_any(),
                        None => view! { <span class="muted">"—"</span> }.into_any(),
                    }
                }}
            </span>
        </div>
    }
}
