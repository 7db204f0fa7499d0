//! The customer's cooperation history (历史合作记录) as this reader may see it: its won deals, read from the
//! deals (`relationship::cooperation_history`, so a win on any device shows here exactly once, with its
//! amount only for readers of the deal's money), and the orders, contracts and renewals written by hand
//! into the customer's `money` group, which whoever may write that group adds here.

use leptos::prelude::*;
use leptos_router::components::A;
use std::collections::HashMap;

use crate::domain::relationship::{
    add_entry, cooperation_history, entry_key, history_value, HistoryEntry, HistorySource, NewEntry,
};
use crate::domain::{
    Access, CustomerMoney, CustomerView, DocId, EntryKind, Money, OpportunityView, RecordKind, RecordView,
};
use crate::i18n::{I18n, K};
use crate::store::{new_doc_id, StoreError};
use crate::ui::components::ctx::{date_input_value, now, parse_date_input, Ctx};
use crate::ui::components::form::{form_error_summary, FormInput, FormSelect};
use crate::domain::parse_amount;

/// The currency of hand-written entries (the company's books).
const CURRENCY: &str = "CNY";

/// The history lines of one customer, reactive (shared by the lifetime value and the history card).
#[derive(Clone, Copy)]
pub struct HistoryLines(Memo<Vec<HistoryEntry>>);

impl HistoryLines {
    pub fn new(ctx: Ctx, id: DocId, customer: Memo<Option<CustomerView>>) -> HistoryLines {
        let opps = ctx.store.records(RecordKind::Opportunity);
        HistoryLines(Memo::new(move |_| {
            let money = customer.with(|c| c.as_ref().and_then(|c| c.money.clone()));
            opps.with(|vs| {
                let deals: Vec<&OpportunityView> = vs
                    .iter()
                    .filter_map(|v| match v {
                        RecordView::Opportunity(o) => Some(o),
                        _ => None,
                    })
                    .collect();
                cooperation_history(&id, money.as_ref(), &deals)
            })
        }))
    }

    /// The lifetime value: the sum of the amounts the reader sees, per currency.
    pub fn lifetime_value(&self, i18n: I18n) -> String {
        let totals = self.0.with(|h| history_value(h));
        if totals.is_empty() {
            return i18n.money(&Money::zero(CURRENCY));
        }
        totals.iter().map(|m| i18n.money(m)).collect::<Vec<_>>().join(" · ")
    }
}

fn entry_kind_text(kind: EntryKind) -> K {
    match kind {
        EntryKind::Order => K::EntryOrder,
        EntryKind::Contract => K::EntryContract,
        EntryKind::Renewal => K::EntryRenewal,
    }
}

#[component]
pub fn CooperationHistory(id: DocId, lines: HistoryLines, access: Memo<Access>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let shown = move || access.get().money.can_read() || ctx.sees_kind(RecordKind::Opportunity);
    let some_hidden = move || lines.0.with(|h| h.iter().any(|e| e.amount.is_none()));
    let id = StoredValue::new(id);
    view! {
        <Show when=shown>
            <section class="card">
                <h2>{move || i18n.t(K::ContractsOrders)}</h2>
                <Show when=move || lines.0.with(Vec::is_empty)>
                    <p class="muted empty-note">{move || i18n.t(K::NoOrders)}" "{move || i18n.t(K::HistoryHint)}</p>
                </Show>
                <Show when=some_hidden>
                    <p class="muted empty-note">{move || i18n.t(K::AmountHidden)}</p>
                </Show>
                <ol class="timeline history">
                    {move || lines.0.get().into_iter().map(|e| {
                        let (title, kind) = match &e.source {
                            HistorySource::WonDeal { opportunity } => (
                                view! { <A href=format!("/r/{opportunity}")>{e.title.clone()}</A> }.into_any(),
                                i18n.t(K::WonDeal),
                            ),
                            HistorySource::Entry { kind, .. } => (view! { <strong>{e.title.clone()}</strong> }.into_any(), i18n.t(entry_kind_text(*kind))),
                        };
                        let extra: Vec<String> = [&e.note].into_iter().filter(|s| !s.is_empty()).cloned().collect();
                        view! {
                            <li>
                                {title}
                                <span>" · "{kind}</span>
                                {e.amount.as_ref().map(|m| view! { <span class="amount">" · "{i18n.money(m)}</span> })}
                                <span class="muted">" · "{i18n.date(e.at)}</span>
                                {(!extra.is_empty()).then(|| view! { <span class="muted history-note">{extra.join(" · ")}</span> })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
                <Show when=move || access.get().money.can_write()>
                    <AddEntry id=id.get_value() />
                </Show>
            </section>
        </Show>
    }
}

/// Adds an order, contract or renewal by hand (to the customer's `money` group, started now if it was not),
/// folded until asked for: most visits to a customer page do not add one.
#[component]
fn AddEntry(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let kind = RwSignal::new(EntryKind::Order.as_str().to_string());
    let date = RwSignal::new(date_input_value(now()));
    let date_bad = RwSignal::new(false);
    let amount = RwSignal::new(String::new());
    let product = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let errors = RwSignal::new(HashMap::<&'static str, String>::new());
    let general = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let saving = RwSignal::new(false);
    let err = move |k: &'static str| Signal::derive(move || errors.with(|e| e.get(k).cloned()));
    let label = move |k: K| Signal::derive(move || i18n.t(k).to_string());
    let kinds = Signal::derive(move || {
        EntryKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), i18n.t(entry_kind_text(*k)).to_string()))
            .collect::<Vec<_>>()
    });
    let submit = Callback::new(move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saved.set(false);
        general.set(None);
        let mut errs = HashMap::new();
        let signed_at = match (date_bad.get_untracked(), parse_date_input(&date.get_untracked())) {
            (false, Some(t)) => t,
            _ => {
                errs.insert("date", i18n.t(K::ErrDate).to_string());
                now()
            }
        };
        let minor = parse_amount(&amount.get_untracked());
        if minor.is_none() {
            errs.insert("amount", i18n.t(K::ErrAmount).to_string());
        }
        if product.with_untracked(|p| p.trim().is_empty()) {
            errs.insert("product", i18n.t(K::ErrProduct).to_string());
        }
        let (Some(minor), true) = (minor, errs.is_empty()) else {
            errors.set(errs);
            return;
        };
        errors.set(HashMap::new());
        let entry = NewEntry {
            kind: EntryKind::parse(&kind.get_untracked()).unwrap_or_default(),
            signed_at,
            amount: match Money::new(minor, CURRENCY) {
                Ok(m) => m,
                Err(e) => return general.set(Some(e.to_string())),
            },
            product: product.get_untracked(),
            note: note.get_untracked(),
        };
        let (store, id) = (ctx.store, id.clone());
        let summary = format!("{}: {}", i18n.t(K::AddEntry), entry.product.trim());
        saving.set(true);
        leptos::task::spawn_local(async move {
            let r = async {
                let key = entry_key(&new_doc_id()?);
                store.update_companion::<CustomerMoney>(id, summary, move |m| add_entry(m, &key, entry)).await?;
                Ok::<_, StoreError>(())
            }
            .await;
            saving.set(false);
            match r {
                Ok(()) => {
                    amount.set(String::new());
                    product.set(String::new());
                    note.set(String::new());
                    saved.set(true);
                }
                Err(e) => general.set(Some(e.to_string())),
            }
        });
    });
    view! {
        <details class="add-entry">
        <summary>{move || i18n.t(K::AddToHistory)}</summary>
        <form class="log-activity" novalidate=true on:submit=move |ev| submit.run(ev) aria-label=move || i18n.t(K::AddToHistory)>
            {move || (errors.with(|e| !e.is_empty()) || general.with(Option::is_some))
                .then(|| form_error_summary(i18n, general.get()))}
            <FormSelect name="entry-kind" label=label(K::EntryType) value=kind options=kinds error=err("kind") />
            <FormInput name="entry-date" label=label(K::EntryDate) value=date error=err("date") input_type="date" bad=date_bad required=true />
            <FormInput name="entry-amount" label=Signal::derive(move || format!("{} ({CURRENCY})", i18n.t(K::Amount))) value=amount error=err("amount") required=true autocomplete="transaction-amount" />
            <FormInput name="entry-product" label=label(K::Product) value=product error=err("product") required=true />
            <FormInput name="entry-note" label=label(K::Note) value=note error=err("note") />
            <div class="log-actions">
                <button type="submit" class="primary" disabled=move || saving.get()>{move || i18n.t(K::AddEntry)}</button>
                <Show when=move || saved.get()>
                    <span role="status" class="muted">{move || i18n.t(K::EntryAdded)}</span>
                </Show>
            </div>
        </form>
        </details>
    }
}
