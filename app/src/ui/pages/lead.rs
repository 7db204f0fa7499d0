//! The lead page: inline fields, contact details when the role sees them, and conversion into an
//! opportunity (offering the existing customers whose name matches).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use super::list::status_text;
use super::record::{access_of, pii_erased, save, PiiErasure};
use crate::domain::ops::{
    convert_lead, provisional_number, ConversionIds, ConvertOutcome, ConvertRequest, CustomerChoice, CustomerMatch,
    CUSTOMER_PREFIX, OPPORTUNITY_PREFIX,
};
use crate::domain::{
    ActivityView, Customer, DocId, Lead, LeadPii, LeadSource, LeadStatus, LeadView, RecordKind, RecordView,
};
use crate::i18n::{I18n, K};
use crate::store::{new_doc_id, StoreError};
use crate::ui::components::ctx::{now, Ctx};
use crate::ui::components::custom_fields::CustomFields;
use crate::ui::components::fields::{SelectField, TextField};
use crate::ui::components::log_relationship::{ActivityList, LogRelationship};
use crate::ui::components::notes::LiveNotes;
use crate::ui::components::owner::OwnerField;

#[component]
pub fn LeadDetail(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let rec = ctx.store.record(id.clone());
    let l = Memo::new(move |_| match rec.get() {
        Some(RecordView::Lead(l)) => Some(l),
        _ => None,
    });
    let acc = access_of(ctx, id.clone());
    let base_w = Signal::derive(move || acc.get().base.can_write());
    let pii_w = Signal::derive(move || acc.get().pii.can_write());
    let erased = pii_erased(ctx, id.clone());
    let label = move |k: K| Signal::derive(move || i18n.t(k).to_string());
    let get =
        move |f: fn(&LeadView) -> String| Signal::derive(move || l.with(|l| l.as_ref().map(f).unwrap_or_default()));
    let statuses = Signal::derive(move || {
        LeadStatus::ALL.iter().map(|s| (s.as_str().to_string(), status_text(i18n, s.as_str()))).collect::<Vec<_>>()
    });
    let sources = Signal::derive(move || {
        LeadSource::ALL.iter().map(|s| (s.as_str().to_string(), status_text(i18n, s.as_str()))).collect::<Vec<_>>()
    });
    let (i1, i2, i3, i4, i5, i6, i7) =
        (id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
    let pii_save = move |id: DocId, what: &'static str, v: String| {
        let store = ctx.store;
        ctx.run(async move {
            store
                .update_companion::<LeadPii>(id, format!("{what}: {v}"), move |p| {
                    let v = v.trim().to_string();
                    if what == "phone" {
                        p.phone = v
                    } else {
                        p.email = v
                    }
                    Ok(())
                })
                .await
        });
    };
    let convertible = move || {
        base_w.get()
            && l.with(|l| {
                l.as_ref().is_some_and(|l| !matches!(l.base.status, LeadStatus::Converted | LeadStatus::Disqualified))
            })
    };
    view! {
        <div class="record-grid">
            <section class="card">
                <h2>{move || i18n.t(K::Details)}</h2>
                <TextField label=label(K::Name) value=get(|l| l.base.name.clone()) editable=base_w
                    on_commit=Callback::new(move |v: String| save::<Lead>(ctx, i1.clone(), format!("{}: {v}", i18n.t(K::Name)), move |l| { l.name = v.trim().to_string(); Ok(()) })) />
                <TextField label=label(K::Company) value=get(|l| l.base.company.clone()) editable=base_w
                    on_commit=Callback::new(move |v: String| save::<Lead>(ctx, i2.clone(), format!("{}: {v}", i18n.t(K::Company)), move |l| { l.company = v.trim().to_string(); Ok(()) })) />
                <TextField label=label(K::ContactName) value=get(|l| l.base.contact_name.clone()) editable=base_w
                    on_commit=Callback::new(move |v: String| save::<Lead>(ctx, i3.clone(), format!("{}: {v}", i18n.t(K::ContactName)), move |l| { l.contact_name = v.trim().to_string(); Ok(()) })) />
                <SelectField label=label(K::Status) value=get(|l| l.base.status.as_str().to_string()) options=statuses
                    editable=Signal::derive(move || base_w.get() && l.with(|l| l.as_ref().is_some_and(|l| l.base.status != LeadStatus::Converted)))
                    on_commit=Callback::new(move |v: String| {
                        if let Ok(s) = LeadStatus::parse(&v) {
                            save::<Lead>(ctx, i4.clone(), format!("{}: {v}", i18n.t(K::Status)), move |l| { l.status = s; Ok(()) })
                        }
                    }) />
                <SelectField label=label(K::Source) value=get(|l| l.base.source.as_str().to_string()) options=sources editable=base_w
                    on_commit=Callback::new(move |v: String| {
                        if let Ok(s) = LeadSource::parse(&v) {
                            save::<Lead>(ctx, i5.clone(), format!("{}: {v}", i18n.t(K::Source)), move |l| { l.source = s; Ok(()) })
                        }
                    }) />
                <OwnerField id=id.clone() />
                <Show when=move || !erased.get() && l.with(|l| l.as_ref().is_some_and(|l| l.pii.is_some()))>
                    <TextField label=label(K::Phone) input_type="tel" value=get(|l| l.pii.as_ref().map(|p| p.phone.clone()).unwrap_or_default()) editable=pii_w
                        on_commit={ let id = i6.clone(); Callback::new(move |v: String| pii_save(id.clone(), "phone", v)) } />
                    <TextField label=label(K::Email) input_type="email" value=get(|l| l.pii.as_ref().map(|p| p.email.clone()).unwrap_or_default()) editable=pii_w
                        on_commit={ let id = i7.clone(); Callback::new(move |v: String| pii_save(id.clone(), "email", v)) } />
                </Show>
                <PiiErasure id=id.clone() />
            </section>
            <Show when=convertible>
                <ConvertLead lead=l />
            </Show>
            <section class="card">
                <h2>{move || i18n.t(K::Activities)}</h2>
                <ActivityList keep=of_lead of=id.clone() />
                <LogRelationship customer=Signal::derive(|| None::<DocId>) lead=id.clone() />
            </section>
            <CustomFields id=id.clone() />
            <section class="card">
                <LiveNotes id=id.clone() label=label(K::Notes) editable=base_w />
            </section>
        </div>
    }
}

fn of_lead(a: &ActivityView, lead: &DocId) -> bool {
    a.base.lead.as_ref() == Some(lead)
}

/// Which customer the user chose for a conversion.
#[derive(Clone)]
enum Pick {
    /// A new one unless the name matches existing ones (then ask).
    Auto,
    New,
    Existing(DocId),
}

/// Converts the lead. First try: a new customer unless one with the same name exists; if some do, the
/// user picks one of them or insists on a new customer.
#[component]
fn ConvertLead(lead: Memo<Option<LeadView>>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let navigate = use_navigate();
    let matches = RwSignal::new(Vec::<CustomerMatch>::new());
    let customers = ctx.store.records(RecordKind::Customer);

    let run = Callback::new(move |pick: Pick| {
        let (Some(me), Some(dir), Some(l)) = (ctx.me_id(), ctx.directory().get_untracked(), lead.get_untracked())
        else {
            return;
        };
        let t = now();
        let cust_views: Vec<(DocId, Customer)> = customers.with_untracked(|vs| {
            vs.iter()
                .filter_map(
                    |v| if let RecordView::Customer(c) = v { Some((c.id.clone(), c.base.clone())) } else { None },
                )
                .collect()
        });
        let refs: Vec<(&DocId, &Customer)> = cust_views.iter().map(|(i, c)| (i, c)).collect();
        let ids = (|| {
            Ok::<_, StoreError>(ConversionIds {
                opportunity: new_doc_id()?,
                // Stand-ins: the records get reserved numbers below, once the conversion is certain.
                opportunity_number: provisional_number(OPPORTUNITY_PREFIX, t, 0),
                contact: new_doc_id()?,
            })
        })();
        let (Ok(ids), Ok(placeholder)) = (ids, new_doc_id()) else { return };
        let number = provisional_number(CUSTOMER_PREFIX, t, 0);
        let outcome = convert_lead(ConvertRequest {
            lead_id: &l.id,
            lead: &l.base,
            lead_pii: l.pii.as_ref(),
            customers: &refs,
            choice: match pick {
                Pick::Auto => CustomerChoice::NewUnlessMatch { id: placeholder, number },
                Pick::New => CustomerChoice::New { id: placeholder, number },
                Pick::Existing(id) => CustomerChoice::Existing(id),
            },
            ids,
            by: &me,
            now: t,
            dir: &dir,
        });
        let conv = match outcome {
            Err(e) => return ctx.report(e),
            Ok(ConvertOutcome::Matches(m)) => return matches.set(m),
            Ok(ConvertOutcome::Converted(c)) => *c,
        };
        matches.set(Vec::new());
        let store = ctx.store;
        let lead_id = l.id.clone();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // The store picks each new document's id, so links are set as the records are created.
            let r = async {
                let mut opp = conv.opportunity;
                opp.number = store.take_number(OPPORTUNITY_PREFIX);
                let new_customer = conv.new_customer.map(|mut c| {
                    c.number = store.take_number(CUSTOMER_PREFIX);
                    c
                });
                store.save_numbers().await?;
                let customer_id = match new_customer {
                    Some(c) => store.create_record(c).await?,
                    None => conv.customer_id.clone(),
                };
                let mut contact = conv.contact;
                contact.customer = Some(customer_id.clone());
                let contact_id = store.create_record(contact).await?;
                if let Some(p) = conv.contact_pii {
                    store.create_companion(contact_id.clone(), p).await?;
                }
                opp.customer = Some(customer_id);
                opp.contact = Some(contact_id);
                let opp_id = store.create_record(opp).await?;
                store.create_companion(opp_id.clone(), conv.opportunity_money).await?;
                let converted = conv.lead;
                let oid = opp_id.clone();
                store
                    .update_record::<Lead>(lead_id, i18n.t(K::Convert).to_string(), move |l| {
                        l.status = converted.status;
                        l.opportunity = Some(oid);
                        l.updated_at = converted.updated_at;
                        Ok(())
                    })
                    .await?;
                Ok::<_, StoreError>(opp_id)
            }
            .await;
            match r {
                Ok(opp_id) => navigate(&format!("/r/{opp_id}"), NavigateOptions::default()),
                Err(e) => ctx.report(e),
            }
        });
    });
    view! {
        <section class="card">
            <h2>{move || i18n.t(K::Convert)}</h2>
            <Show
                when=move || matches.with(|m| !m.is_empty())
                fallback=move || view! {
                    <button class="primary" on:click=move |_| run.run(Pick::Auto)>
                        {move || i18n.t(K::Convert)}
                    </button>
                }
            >
                <p role="alert">{move || i18n.t(K::ConvertMatches)}</p>
                <ul class="links">
                    {move || matches.get().into_iter().map(|m| {
                        let id = m.id.clone();
                        view! {
                            <li>
                                <button class="secondary" on:click=move |_| run.run(Pick::Existing(id.clone()))>
                                    {move || i18n.t(K::UseExisting)}": "{m.name.clone()}" ("{m.number.clone()}")"
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <button class="secondary" on:click=move |_| run.run(Pick::New)>
                    {move || i18n.t(K::CreateNew)}
                </button>
            </Show>
        </section>
    }
}
