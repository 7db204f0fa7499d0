//! The customer list's relationship facts (`relationship::customer_facts`: last contact, satisfaction,
//! lifetime value, as far as the reader may see them): what the list sorts customers by and what each
//! row says about them.

use leptos::prelude::*;
use std::collections::HashMap;

pub use crate::domain::relationship::{compare_facts as compare, FactSort};
use crate::domain::relationship::{customer_facts, CustomerFacts};
use crate::domain::{Activity, CustomerView, DocId, OpportunityView, RecordKind, RecordView};
use crate::i18n::{I18n, K, RK};
use crate::ui::components::ctx::{now, Ctx};

pub type Facts = HashMap<DocId, CustomerFacts>;

/// Facts per customer, for the customer list only (other lists get an empty map and track nothing).
pub fn facts_memo(ctx: Ctx, kind: RecordKind) -> Memo<Facts> {
    let customers = ctx.store.records(RecordKind::Customer);
    let opps = ctx.store.records(RecordKind::Opportunity);
    let acts = ctx.store.records(RecordKind::Activity);
    Memo::new(move |_| {
        if kind != RecordKind::Customer {
            return Facts::new();
        }
        customers.with(|cs| {
            opps.with(|os| {
                acts.with(|as_| {
                    let cs: Vec<&CustomerView> = cs
                        .iter()
                        .filter_map(|v| if let RecordView::Customer(c) = v { Some(c) } else { None })
                        .collect();
                    let ds: Vec<&OpportunityView> = os
                        .iter()
                        .filter_map(|v| if let RecordView::Opportunity(o) = v { Some(o) } else { None })
                        .collect();
                    let acts: Vec<&Activity> = as_
                        .iter()
                        .filter_map(|v| if let RecordView::Activity(a) = v { Some(&a.base) } else { None })
                        .collect();
                    customer_facts(&cs, &ds, &acts, now())
                })
            })
        })
    })
}

/// "Last contact 2026/11/3 · Satisfaction 3.7 · Lifetime value ¥1.2M": what a customer row adds.
pub fn facts_text(i18n: I18n, f: &CustomerFacts) -> String {
    let mut parts = vec![match f.last_contact {
        Some(t) => format!("{} {}", i18n.t(RK::LastContact), i18n.date(t)),
        None => i18n.t(RK::NoContactYet).to_string(),
    }];
    if let Some(s) = f.satisfaction {
        parts.push(format!("{} {}", i18n.t(K::Satisfaction), i18n.number((s * 10.0).round() / 10.0)));
    }
    if !f.lifetime_value.is_empty() {
        let money: Vec<String> = f.lifetime_value.iter().map(|m| i18n.money_compact(m)).collect();
        parts.push(format!("{} {}", i18n.t(K::LifetimeValue), money.join(" + ")));
    }
    parts.join(" · ")
}
