//! Customer 360: details with the satisfaction that recent visits give (and its trend) and the lifetime
//! value, the relationship (events, service, everything logged, and a form to log more), the cooperation
//! history (won deals read from the deals, hand-written orders, contracts and renewals), contacts, open
//! deals, custom fields and notes. Each role sees the groups its policy lets it read.
//!
//! # Layout
//! - `events`: the relationship timeline and the log form.
//! - `history`: the cooperation history, the lifetime value, and adding an entry by hand.

mod events;
mod history;

use leptos::prelude::*;
use leptos_router::components::A;

use self::events::Relationship;
use self::history::{CooperationHistory, HistoryLines};
use super::list::status_text;
use super::record::{access_of, save};
use crate::domain::relationship::{satisfaction, Trend};
use crate::domain::{Activity, Customer, CustomerTier, CustomerView, DocId, OpportunityStatus, RecordKind, RecordView};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::{now, Ctx};
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
    let label = move |k: K| Signal::derive(move || i18n.t(k).to_string());
    let get =
        move |f: fn(&CustomerView) -> String| Signal::derive(move || c.with(|c| c.as_ref().map(f).unwrap_or_default()));
    let tiers = Signal::derive(move || {
        CustomerTier::ALL.iter().map(|t| (t.as_str().to_string(), status_text(i18n, t.as_str()))).collect::<Vec<_>>()
    });
    let (i_name, i_tier, i_tags, i_ind, i_reg) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());

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
    let open_deals = Memo::new(move |_| {
        opps.with(|vs| {
            vs.iter()
                .filter_map(|v| match v {
                    RecordView::Opportunity(o)
                        if o.base.customer.as_ref() == Some(&id_o) && o.base.status == OpportunityStatus::Active =>
                    {
                        Some(o.clone())
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
    });
    // Satisfaction follows the latest visit scores (an imported number until the first scored visit);
    // shown to whoever reads the customer's activities or its service group.
    let id_s = id.clone();
    let sat_text = Memo::new(move |_| {
        let imported = c.with(|c| c.as_ref().and_then(|c| c.service.as_ref()).and_then(|s| s.satisfaction));
        let s = activities.with(|vs| {
            let acts: Vec<&Activity> = vs
                .iter()
                .filter_map(|v| match v {
                    RecordView::Activity(a) if a.base.customer.as_ref() == Some(&id_s) => Some(&a.base),
                    _ => None,
                })
                .collect();
            satisfaction(&id_s, &acts, imported, now())
        });
        let Some(s) = s else { return i18n.t(K::NoSatisfaction).to_string() };
        let score = format!("{:.1}", s.score);
        let mut text = match s.from_visits {
            0 => i18n.t(K::SatisfactionImported).replace("{score}", &score),
            1 => i18n.t(K::SatisfactionFromOne).replace("{score}", &score),
            n => i18n.t(K::SatisfactionFrom).replace("{score}", &score).replace("{n}", &n.to_string()),
        };
        if let Some(t) = s.trend {
            let (arrow, k) = match t {
                Trend::Up => ("↑", K::TrendUp),
                Trend::Down => ("↓", K::TrendDown),
                Trend::Flat => ("→", K::TrendFlat),
            };
            text.push_str(&format!(" · {arrow} {}", i18n.t(k)));
        }
        text
    });
    let shows_satisfaction =
        move || ctx.sees_kind(RecordKind::Activity) || c.with(|c| c.as_ref().is_some_and(|c| c.service.is_some()));
    let lines = HistoryLines::new(ctx, id.clone(), c);
    let id_new = StoredValue::new(id.clone());

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
                <crate::ui::components::suggested_tier::SuggestedTier id=id.clone() />
                <Show when=shows_satisfaction>
                    <ReadField label=label(K::Satisfaction) value=sat_text />
                </Show>
                <Show when=move || acc.get().money.can_read()>
                    <ReadField label=label(K::LifetimeValue) value=Signal::derive(move || lines.lifetime_value(i18n)) />
                </Show>
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
            </section>
            <Relationship id=id.clone() customer=c />
            <CooperationHistory id=id.clone() lines=lines access=acc />
            <section class="card">
                // Roles without contacts (marketing, analysts) are not told "no contacts yet".
                <Show when=move || ctx.sees_kind(RecordKind::Contact)>
                    <h2>{move || i18n.t(K::Contacts)}</h2>
                    <Show when=move || my_contacts.with(Vec::is_empty)>
                        <p class="muted empty-note">{move || i18n.t(K::NoContacts)}</p>
                    </Show>
                    <ul class="links">
                        {move || my_contacts.get().into_iter().map(|(id, name)| view! { <li><A href=format!("/r/{id}")>{name}</A></li> }).collect_view()}
                    </ul>
                    <div class="section-actions">
                        <NewButton kind=RecordKind::Contact customer=id_new.get_value() label=K::AddContact />
                    </div>
                </Show>
                <Show when=move || ctx.sees_kind(RecordKind::Opportunity)>
                    <h2>{move || i18n.t(K::OpenOpportunities)}</h2>
                    <Show when=move || open_deals.with(Vec::is_empty)>
                        <p class="muted empty-note">{move || i18n.t(K::NoOpenOpportunities)}</p>
                    </Show>
                    <ul class="links">
                        {move || open_deals.get().into_iter().map(|o| {
                            let amount = o.money.as_ref().and_then(|m| m.expected_amount.clone());
                            view! {
                                <li>
                                    <A href=format!("/r/{}", o.id)>{o.base.name.clone()}</A>
                                    {amount.map(|m| view! { <span class="amount">" "{i18n.money(&m)}</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </Show>
                <div class="section-actions">
                    <NewButton kind=RecordKind::Opportunity customer=id.clone() />
                </div>
            </section>
            <CustomFields id=id.clone() />
            <section class="card">
                <LiveNotes id=id.clone() label=label(K::Notes) editable=base_w />
            </section>
        </div>
    }
}
