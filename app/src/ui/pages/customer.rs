//! Customer 360: tier, tags, satisfaction, maintainer, contacts, open and won deals, cooperation history,
//! events (relationship events, service and complaints, activities) and notes.

use leptos::prelude::*;
use leptos_router::components::A;

use super::list::status_text;
use super::record::{access_of, save};
use crate::domain::ops::split_kind_prefix;
use crate::domain::{
    Customer, CustomerService, CustomerTier, CustomerView, DocId, OpportunityStatus, RecordKind, RecordView, Timestamp,
};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::Ctx;
use crate::ui::components::custom_fields::CustomFields;
use crate::ui::components::fields::{ReadField, SelectField, TextField};
use crate::ui::components::notes::LiveNotes;
use crate::ui::components::owner::OwnerField;
use crate::ui::pages::new_record::NewButton;

#[component]
pub fn CustomerDetail(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let rec = ctx.store.record(id.clone());
    let c = Memo::new(move |_| match rec.get() {
        Some(RecordView::Customer(c)) => Some(c),
        _ => None,
    });
    let acc = access_of(ctx, id.clone());
    let base_w = Signal::derive(move || acc.get().base.can_write());
    let service_w = Signal::derive(move || acc.get().service.can_write());
    let label = move |k: K| Signal::derive(move || i18n.t(k).to_string());
    let get =
        move |f: fn(&CustomerView) -> String| Signal::derive(move || c.with(|c| c.as_ref().map(f).unwrap_or_default()));
    let tiers = Signal::derive(move || {
        CustomerTier::ALL.iter().map(|t| (t.as_str().to_string(), status_text(i18n, t.as_str()))).collect::<Vec<_>>()
    });
    let (i_name, i_tier, i_tags, i_ind, i_reg, i_sat) =
        (id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone());

    let contacts = ctx.store.records(RecordKind::Contact);
    let opps = ctx.store.records(RecordKind::Opportunity);
    let activities = ctx.store.records(RecordKind::Activity);
    let id_c = id.clone();
    let my_contacts = Memo::new(move |_| {
        contacts.with(|vs| {
            vs.iter()
                .filter(|v| v.customer() == Some(&id_c))
                .map(|v| (v.id().clone(), v.title().to_string()))
                .collect::<Vec<_>>()
        })
    });
    let id_o = id.clone();
    let my_opps = Memo::new(move |_| {
        opps.with(|vs| {
            vs.iter()
                .filter_map(|v| match v {
                    RecordView::Opportunity(o) if o.base.customer.as_ref() == Some(&id_o) => Some(o.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
    });
    let id_a = id.clone();
    // Everything that happened with this customer, newest first: (when, what, link). Kinds go through the
    // string table (never a raw `ticket:` or `call:`); old follow-up subjects keep no kind prefix either.
    let events = Memo::new(move |_| {
        let mut out: Vec<(Timestamp, String, Option<DocId>)> = Vec::new();
        c.with(|c| {
            if let Some(c) = c {
                out.extend(c.base.events.iter().map(|e| (e.at, e.title.clone(), None)));
                if let Some(s) = &c.service {
                    out.extend(s.events.iter().map(|e| {
                        let kind = status_text(i18n, e.kind.as_str());
                        let text = if e.open {
                            format!("{kind} · {} ({})", e.title, i18n.t(K::EventOpen))
                        } else {
                            format!("{kind} · {}", e.title)
                        };
                        (e.at, text, None)
                    }));
                }
            }
        });
        activities.with(|vs| {
            for v in vs {
                if let RecordView::Activity(a) = v {
                    if a.base.customer.as_ref() == Some(&id_a) {
                        let kind = status_text(i18n, a.base.kind.as_str());
                        let (_, subject) = split_kind_prefix(&a.base.subject);
                        out.push((a.base.at, format!("{kind} · {subject}"), Some(a.id.clone())));
                    }
                }
            }
        });
        out.sort_by_key(|e| std::cmp::Reverse(e.0));
        out
    });

    let opp_list = move |won: bool| {
        let wanted = if won { OpportunityStatus::Won } else { OpportunityStatus::Active };
        let empty = if won { K::NoWonOpportunities } else { K::NoOpenOpportunities };
        view! {
            <Show when=move || !my_opps.with(|os| os.iter().any(|o| o.base.status == wanted))>
                <p class="muted empty-note">{move || i18n.t(empty)}</p>
            </Show>
            <ul class="links">
                {move || {
                    my_opps
                        .get()
                        .into_iter()
                        .filter(|o| o.base.status == wanted)
                        .map(|o| {
                            let amount = o.money.as_ref().and_then(|m| m.expected_amount.clone());
                            view! {
                                <li>
                                    <A href=format!("/r/{}", o.id)>{o.base.name.clone()}</A>
                                    {amount.map(|m| view! { <span class="amount">" "{i18n.money(&m)}</span> })}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        }
    };

    view! {
        <div class="record-grid">
            <section class="card">
                <h2>{move || i18n.t(K::Details)}</h2>
                <TextField label=label(K::Name) value=get(|c| c.base.name.clone()) editable=base_w
                    on_commit=Callback::new(move |v: String| save::<Customer>(ctx, i_name.clone(), format!("{}: {v}", i18n.t(K::Name)), move |c| { c.name = v.trim().to_string(); Ok(()) })) />
                <ReadField label=label(K::Number) value=get(|c| c.base.number.clone()) />
                <SelectField label=label(K::Tier) value=get(|c| c.base.tier.as_str().to_string()) options=tiers editable=base_w
                    on_commit=Callback::new(move |v: String| {
                        if let Ok(t) = CustomerTier::parse(&v) {
                            save::<Customer>(ctx, i_tier.clone(), format!("{}: {v}", i18n.t(K::Tier)), move |c| { c.tier = t; Ok(()) })
                        }
                    }) />
                <TextField label=label(K::Tags) value=get(|c| c.base.tags.join(", ")) editable=base_w
                    on_commit=Callback::new(move |v: String| {
                        let tags: Vec<String> = v.split([',', '，']).map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
                        save::<Customer>(ctx, i_tags.clone(), format!("{}: {v}", i18n.t(K::Tags)), move |c| { c.tags = tags; Ok(()) })
                    }) />
                <TextField label=label(K::Industry) value=get(|c| c.base.industry.clone()) editable=base_w
                    on_commit=Callback::new(move |v: String| save::<Customer>(ctx, i_ind.clone(), format!("{}: {v}", i18n.t(K::Industry)), move |c| { c.industry = v.trim().to_string(); Ok(()) })) />
                <TextField label=label(K::Region) value=get(|c| c.base.region.clone()) editable=base_w
                    on_commit=Callback::new(move |v: String| save::<Customer>(ctx, i_reg.clone(), format!("{}: {v}", i18n.t(K::Region)), move |c| { c.region = v.trim().to_string(); Ok(()) })) />
                <OwnerField id=id.clone() />
                <Show when=move || c.with(|c| c.as_ref().is_some_and(|c| c.service.is_some()))>
                    <SelectField label=label(K::Satisfaction)
                        value=get(|c| c.service.as_ref().and_then(|s| s.satisfaction).map(|s| s.to_string()).unwrap_or_default())
                        options=Signal::derive(|| std::iter::once((String::new(), "—".to_string())).chain((1..=5).map(|n| (n.to_string(), "★".repeat(n)))).collect::<Vec<_>>())
                        editable=service_w
                        on_commit={
                            let id = i_sat.clone();
                            Callback::new(move |v: String| {
                                let s = v.parse::<u8>().ok();
                                let store = ctx.store;
                                let id = id.clone();
                                ctx.run(async move {
                                    store.update_companion::<CustomerService>(id, format!("satisfaction: {v}"), move |m| { m.satisfaction = s; Ok(()) }).await
                                });
                            })
                        } />
                </Show>
                <Show when=move || c.with(|c| c.as_ref().is_some_and(|c| c.lifetime_value.is_some()))>
                    <ReadField label=label(K::LifetimeValue)
                        value=Signal::derive(move || c.with(|c| c.as_ref().and_then(|c| c.lifetime_value.clone())).unwrap_or_default().iter().map(|m| i18n.money(m)).collect::<Vec<_>>().join(" · ")) />
                </Show>
            </section>
            <section class="card">
                <h2>{move || i18n.t(K::Contacts)}</h2>
                <Show when=move || my_contacts.with(Vec::is_empty)>
                    <p class="muted empty-note">{move || i18n.t(K::NoContacts)}</p>
                </Show>
                <ul class="links">
                    {move || my_contacts.get().into_iter().map(|(id, name)| view! { <li><A href=format!("/r/{id}")>{name}</A></li> }).collect_view()}
                </ul>
                <div class="section-actions">
                    <NewButton kind=RecordKind::Contact customer=id.clone() label=K::AddContact />
                </div>
                <h2>{move || i18n.t(K::OpenOpportunities)}</h2>
                {opp_list(false)}
                <div class="section-actions">
                    <NewButton kind=RecordKind::Opportunity customer=id.clone() />
                </div>
                <h2>{move || i18n.t(K::WonOpportunities)}</h2>
                {opp_list(true)}
            </section>
            <Show when=move || c.with(|c| c.as_ref().is_some_and(|c| c.money.is_some()))>
                <section class="card">
                    <h2>{move || i18n.t(K::ContractsOrders)}</h2>
                    <Show when=move || c.with(|c| c.as_ref().and_then(|c| c.money.as_ref()).is_none_or(|m| m.orders.is_empty()))>
                        <p class="muted empty-note">{move || i18n.t(K::NoOrders)}</p>
                    </Show>
                    <ol class="timeline">
                        {move || {
                            let mut orders: Vec<_> = c.with(|c| c.as_ref().and_then(|c| c.money.as_ref()).map(|m| m.orders.values().cloned().collect()).unwrap_or_default());
                            orders.sort_by_key(|e: &crate::domain::CooperationEntry| std::cmp::Reverse(e.signed_at));
                            orders.into_iter().map(|e| view! {
                                <li><strong>{e.title.clone()}</strong><span class="amount">" "{i18n.money(&e.amount)}</span><span class="muted">" · "{i18n.date(e.signed_at)}</span></li>
                            }).collect_view()
                        }}
                    </ol>
                </section>
            </Show>
            <section class="card">
                <h2>{move || i18n.t(K::Events)}</h2>
                <Show when=move || events.with(Vec::is_empty)>
                    <p class="muted empty-note">{move || i18n.t(K::NoEvents)}</p>
                </Show>
                <ol class="timeline">
                    {move || events.get().into_iter().map(|(at, text, link)| view! {
                        <li>
                            {match link {
                                Some(id) => view! { <A href=format!("/r/{id}")>{text}</A> }.into_any(),
                                None => view! { <span>{text}</span> }.into_any(),
                            }}
                            <span class="muted">" · "{i18n.date(at)}</span>
                        </li>
                    }).collect_view()}
                </ol>
            </section>
            <CustomFields id=id.clone() />
            <section class="card">
                <LiveNotes id=id.clone() label=label(K::Notes) editable=base_w />
            </section>
        </div>
    }
}
