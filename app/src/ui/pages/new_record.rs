//! "New lead / customer / contact / opportunity": a form page (`/new/:kind`, `?customer=<id>` to prefill
//! the customer). Required fields are checked with a message on each wrong field; the owner defaults to
//! the signed-in user and lists only whom they may assign (`may_assign`); phone/email and the amount
//! are offered only when the user may write that companion group (`access`, as the relay decides).
//! Saving is local (works offline); the new record opens; sync pushes it when it can.

mod draft;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;
use std::collections::HashMap;

use self::draft::{Built, Draft, Env, Errors};
use super::list::status_text;
use crate::domain::ops::{CUSTOMER_PREFIX, OPPORTUNITY_PREFIX};
use crate::domain::{CustomerTier, DocId, FieldId, LeadSource, RecordKind, UserId};
use crate::i18n::{I18n, K};
use crate::store::{ClientStore, StoreError};
use crate::ui::components::ctx::{now, Ctx};
use crate::ui::components::custom_fields::{choices, input_type};
use crate::ui::components::form::{form_error_summary, FormInput, FormSelect};
use crate::ui::components::owner::owner_choices;

/// The "New …" text for a kind.
pub fn new_label(kind: RecordKind) -> K {
    match kind {
        RecordKind::Lead => K::NewLead,
        RecordKind::Customer => K::NewCustomer,
        RecordKind::Contact => K::NewContact,
        _ => K::NewOpportunity,
    }
}

/// May the signed-in user create a record of `kind` at all (is there anyone they may make its owner)?
pub fn may_create(ctx: Ctx, kind: RecordKind) -> bool {
    if kind == RecordKind::Activity {
        return false;
    }
    let Some(me) = ctx.me_id() else { return false };
    ctx.directory().with(|d| d.as_ref().is_some_and(|d| !owner_choices(&me, d, kind, None, true, "").is_empty()))
}

/// A "New …" link styled as a button, shown only to users who may create that kind.
#[component]
pub fn NewButton(
    kind: RecordKind,
    #[prop(optional)] customer: Option<DocId>,
    #[prop(optional)] label: Option<K>,
) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let href = match &customer {
        Some(c) => format!("/new/{}?customer={c}", kind.as_str()),
        None => format!("/new/{}", kind.as_str()),
    };
    let label = label.unwrap_or(new_label(kind));
    view! {
        <Show when=move || may_create(ctx, kind)>
            <A href=href.clone() attr:class="button primary new-button">
                <span aria-hidden="true">"+ "</span>
                {move || i18n.t(label)}
            </A>
        </Show>
    }
}

#[component]
pub fn NewRecordPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let kind = Memo::new(move |_| {
        params.with(|p| p.get("kind").and_then(|k| RecordKind::parse(&k).ok())).filter(|k| *k != RecordKind::Activity)
    });
    move || match kind.get() {
        Some(kind) => {
            let customer = query.with_untracked(|q| q.get("customer")).unwrap_or_default();
            view! { <NewRecordForm kind=kind customer=customer /> }.into_any()
        }
        None => view! { <super::record::Missing /> }.into_any(),
    }
}

/// The inputs, one signal each.
#[derive(Clone, Copy)]
struct Inputs {
    name: RwSignal<String>,
    company: RwSignal<String>,
    contact_name: RwSignal<String>,
    source: RwSignal<String>,
    title: RwSignal<String>,
    industry: RwSignal<String>,
    region: RwSignal<String>,
    tier: RwSignal<String>,
    customer: RwSignal<String>,
    stage: RwSignal<String>,
    amount: RwSignal<String>,
    close: RwSignal<String>,
    close_bad: RwSignal<bool>,
    phone: RwSignal<String>,
    email: RwSignal<String>,
    owner: RwSignal<String>,
    custom: StoredValue<Vec<(FieldId, RwSignal<String>)>>,
}

impl Inputs {
    fn new(owner: String, customer: String, stage: String) -> Inputs {
        let s = || RwSignal::new(String::new());
        Inputs {
            name: s(),
            company: s(),
            contact_name: s(),
            source: RwSignal::new(LeadSource::Other.as_str().to_string()),
            title: s(),
            industry: s(),
            region: s(),
            tier: RwSignal::new(CustomerTier::Normal.as_str().to_string()),
            customer: RwSignal::new(customer),
            stage: RwSignal::new(stage),
            amount: s(),
            close: s(),
            close_bad: RwSignal::new(false),
            phone: s(),
            email: s(),
            owner: RwSignal::new(owner),
            custom: StoredValue::new(Vec::new()),
        }
    }

    /// What is typed right now (reactive in the owner and customer, which decide the groups offered).
    fn draft(&self) -> Draft {
        Draft {
            name: self.name.get_untracked(),
            company: self.company.get_untracked(),
            contact_name: self.contact_name.get_untracked(),
            source: self.source.get_untracked(),
            title: self.title.get_untracked(),
            industry: self.industry.get_untracked(),
            region: self.region.get_untracked(),
            tier: self.tier.get_untracked(),
            customer: self.customer.get(),
            stage: self.stage.get_untracked(),
            amount: self.amount.get_untracked(),
            close: self.close.get_untracked(),
            close_bad: self.close_bad.get_untracked(),
            phone: self.phone.get_untracked(),
            email: self.email.get_untracked(),
            owner: self.owner.get(),
            custom: self.custom.with_value(|c| c.iter().map(|(id, v)| (id.clone(), v.get_untracked())).collect()),
        }
    }
}

/// Focuses the first control marked invalid (scrolls it into view on a phone).
fn focus_first_invalid() {
    use wasm_bindgen::JsCast;
    let first = document().query_selector(".new-record-form [aria-invalid=true]").ok().flatten();
    if let Some(el) = first.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

/// Creates the record and its companion locally; returns the new record's id.
async fn save_built(store: ClientStore, built: Built) -> Result<DocId, StoreError> {
    Ok(match built {
        Built::Lead(r, pii) => {
            let id = store.create_record(r).await?;
            if let Some(p) = pii {
                store.create_companion(id.clone(), p).await?;
            }
            id
        }
        Built::Customer(mut r) => {
            r.number = store.take_number(CUSTOMER_PREFIX);
            store.save_numbers().await?;
            store.create_record(r).await?
        }
        Built::Contact(r, pii) => {
            let id = store.create_record(r).await?;
            if let Some(p) = pii {
                store.create_companion(id.clone(), p).await?;
            }
            id
        }
        Built::Opportunity(mut r, money) => {
            r.number = store.take_number(OPPORTUNITY_PREFIX);
            store.save_numbers().await?;
            let id = store.create_record(r).await?;
            if let Some(m) = money {
                store.create_companion(id.clone(), m).await?;
            }
            id
        }
    })
}

/// The form once the directory says the user may create this kind; a short explanation otherwise.
#[component]
fn NewRecordForm(kind: RecordKind, customer: String) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let missing = move || {
        let k = if ctx.directory().with(|d| d.is_none()) { K::NoDirectory } else { K::MayNotCreate };
        view! { <p class="empty card">{move || i18n.t(k)}</p> }
    };
    view! {
        <section class="new-record">
            <h1>{move || i18n.t(new_label(kind))}</h1>
            <Show when=move || may_create(ctx, kind) fallback=missing>
                <FormBody kind=kind customer=customer.clone() />
            </Show>
        </section>
    }
}

#[component]
fn FormBody(kind: RecordKind, customer: String) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let navigate = use_navigate();
    let dir = ctx.directory();
    let me = ctx.me_id().map(|u| u.to_string()).unwrap_or_default();
    let first_stage = dir.with_untracked(|d| d.as_ref().and_then(|d| d.stages.first()).map(|s| s.id.to_string()));
    let inputs = Inputs::new(me, customer.clone(), first_stage.unwrap_or_default());
    // The stage list may arrive after the page opened (first sync).
    Effect::new(move |_| {
        if inputs.stage.with_untracked(String::is_empty) {
            if let Some(s) = dir.with(|d| d.as_ref().and_then(|d| d.stages.first()).map(|s| s.id.to_string())) {
                inputs.stage.set(s);
            }
        }
    });
    let errors = RwSignal::new(Errors::new());
    let saving = RwSignal::new(false);
    let err = move |key: &'static str| Signal::derive(move || errors.with(|e| e.get(key).cloned()));
    let label = move |k: K| Signal::derive(move || i18n.t(k).to_string());

    let customer_views = ctx.store.records(RecordKind::Customer);
    let customers = Memo::new(move |_| {
        customer_views.with(|vs| {
            vs.iter().map(|v| (v.id().clone(), v.owner().cloned())).collect::<HashMap<DocId, Option<UserId>>>()
        })
    });
    let customer_options = Signal::derive(move || {
        let mut cs: Vec<(String, String)> =
            customer_views.with(|vs| vs.iter().map(|v| (v.id().to_string(), v.title().to_string())).collect());
        cs.sort_by_key(|c| c.1.to_lowercase());
        std::iter::once((String::new(), i18n.t(K::NoCustomer).to_string())).chain(cs).collect::<Vec<_>>()
    });
    let owner_options = Signal::derive(move || {
        let Some(me) = ctx.me_id() else { return Vec::new() };
        dir.with(|d| d.as_ref().map(|d| owner_choices(&me, d, kind, None, true, i18n.t(K::Unassigned))))
            .unwrap_or_default()
    });
    let stage_options = Signal::derive(move || {
        dir.with(|d| d.as_ref().map(|d| d.stages.iter().map(|s| (s.id.to_string(), i18n.stage_name(s))).collect()))
            .unwrap_or_default()
    });
    let sources = Signal::derive(move || {
        LeadSource::ALL.iter().map(|s| (s.as_str().to_string(), status_text(i18n, s.as_str()))).collect::<Vec<_>>()
    });
    let tiers = Signal::derive(move || {
        CustomerTier::ALL.iter().map(|t| (t.as_str().to_string(), status_text(i18n, t.as_str()))).collect::<Vec<_>>()
    });
    // Which companion groups the user may write on the record as drafted (owner, customer).
    let acc = Memo::new(move |_| {
        let Some(me) = ctx.me_id() else { return crate::domain::Access::NONE };
        let draft = inputs.draft();
        customers.with(|cs| {
            dir.with(|d| d.as_ref().map(|d| draft.access(kind, &me, d, cs))).unwrap_or(crate::domain::Access::NONE)
        })
    });
    let custom_defs: Vec<crate::domain::CustomFieldDef> = dir
        .with_untracked(|d| d.as_ref().map(|d| d.custom_fields.iter().filter(|f| f.kind == kind).cloned().collect()))
        .unwrap_or_default();
    inputs.custom.set_value(custom_defs.iter().map(|d| (d.id.clone(), RwSignal::new(String::new()))).collect());

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        let (Some(me), Some(d)) = (ctx.me_id(), dir.get_untracked()) else {
            errors.set(Errors::from([(String::new(), i18n.t(K::NoDirectory).to_string())]));
            return;
        };
        let built = customers.with_untracked(|cs| {
            let env = Env { me: &me, dir: &d, now: now(), customers: cs, locale: i18n.locale() };
            inputs.draft().build(kind, &env)
        });
        match built {
            Err(e) => {
                errors.set(e);
                // After the messages render: take the person to the first wrong field.
                set_timeout(focus_first_invalid, std::time::Duration::ZERO);
            }
            Ok(built) => {
                errors.set(Errors::new());
                saving.set(true);
                let store = ctx.store;
                let navigate = navigate.clone();
                leptos::task::spawn_local(async move {
                    let r = save_built(store, built).await;
                    saving.set(false);
                    match r {
                        Ok(id) => navigate(&format!("/r/{id}"), NavigateOptions::default()),
                        Err(e) => errors.set(Errors::from([(String::new(), e.to_string())])),
                    }
                });
            }
        }
    };
    let back = if customer.is_empty() { format!("/{}", kind.plural()) } else { format!("/r/{customer}") };
    let form_message = move || errors.with(|e| (!e.is_empty()).then(|| form_error_summary(i18n, e.get("").cloned())));
    let is = move |k: RecordKind| kind == k;
    let custom_inputs = inputs.custom.get_value();

    view! {
                <form class="card new-record-form" novalidate=true aria-label=move || i18n.t(new_label(kind)) on:submit=submit>
                    {form_message}
                    <FormInput name="name" label=label(K::Name) value=inputs.name error=err("name") required=true />
                    {is(RecordKind::Lead).then(|| view! {
                        <FormInput name="company" label=label(K::Company) value=inputs.company error=err("company") autocomplete="organization" />
                        <FormInput name="contact_name" label=label(K::ContactName) value=inputs.contact_name error=err("contact_name") />
                        <FormSelect name="source" label=label(K::Source) value=inputs.source options=sources error=err("source") />
                    })}
                    {is(RecordKind::Contact).then(|| view! {
                        <FormInput name="title" label=label(K::Title) value=inputs.title error=err("title") />
                    })}
                    {is(RecordKind::Customer).then(|| view! {
                        <FormInput name="industry" label=label(K::Industry) value=inputs.industry error=err("industry") />
                        <FormInput name="region" label=label(K::Region) value=inputs.region error=err("region") />
                        <FormSelect name="tier" label=label(K::Tier) value=inputs.tier options=tiers error=err("tier") />
                    })}
                    {matches!(kind, RecordKind::Contact | RecordKind::Opportunity).then(|| view! {
                        <FormSelect name="customer" label=label(K::Customer) value=inputs.customer options=customer_options error=err("customer") />
                    })}
                    {is(RecordKind::Opportunity).then(|| view! {
                        <FormSelect name="stage" label=label(K::Stage) value=inputs.stage options=stage_options error=err("stage") required=true />
                        <Show when=move || acc.get().money.can_write()>
                            <FormInput name="amount" label=Signal::derive(move || format!("{} (CNY)", i18n.t(K::Amount))) value=inputs.amount error=err("amount") autocomplete="transaction-amount" />
                        </Show>
                        <FormInput name="close" label=label(K::ExpectedClose) value=inputs.close error=err("close") input_type="date" bad=inputs.close_bad />
                    })}
                    {matches!(kind, RecordKind::Lead | RecordKind::Contact).then(|| view! {
                        <Show when=move || acc.get().pii.can_write()>
                            <FormInput name="phone" label=label(K::Phone) value=inputs.phone error=err("phone") input_type="tel" autocomplete="tel" />
                            <FormInput name="email" label=label(K::Email) value=inputs.email error=err("email") input_type="email" autocomplete="email" />
                        </Show>
                    })}
                    <FormSelect
                        name="owner"
                        label=label(if kind == RecordKind::Customer { K::Maintainer } else { K::Owner })
                        value=inputs.owner
                        options=owner_options
                        error=err("owner")
                    />
                    {custom_defs.into_iter().zip(custom_inputs).map(|(def, (_, value))| {
                        let key = format!("custom.{}", def.id);
                        let error = Signal::derive({ let key = key.clone(); move || errors.with(|e| e.get(&key).cloned()) });
                        let text = def.label.clone();
                        match choices(&def) {
                            Some(options) => view! {
                                <FormSelect name=key label=Signal::derive(move || text.clone()) value=value options=Signal::derive(move || options.clone()) error=error required=def.required />
                            }.into_any(),
                            None => view! {
                                <FormInput name=key label=Signal::derive(move || text.clone()) value=value error=error required=def.required input_type=input_type(&def.field_type) />
                            }.into_any(),
                        }
                    }).collect_view()}
                    <div class="form-actions">
                        <button type="submit" class="primary" disabled=move || saving.get()>
                            {move || i18n.t(if saving.get() { K::Saving } else { K::CreateRecord })}
                        </button>
                        <A href=back.clone() attr:class="button secondary">{move || i18n.t(K::Cancel)}</A>
                    </div>
                </form>
    }
}
