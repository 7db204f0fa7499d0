//! The tier a customer's cooperation history suggests (`relationship::suggested_tier`, the admin's tier
//! rules), shown beside the chosen one with the last 12 months' revenue. Readers who may not read the
//! customer's `money` group get a plain "no suggestion" (the rules compare money they may not see).

use leptos::prelude::*;

use super::ctx::{now, Ctx};
use crate::domain::relationship::{cooperation_history, revenue, suggested_tier};
use crate::domain::{CustomerTier, DocId, Money, OpportunityView, RecordKind, RecordView};
use crate::i18n::{I18n, K, RK};

fn tier_text(t: CustomerTier) -> K {
    match t {
        CustomerTier::Key => K::TierKey,
        CustomerTier::Normal => K::TierNormal,
        CustomerTier::LowFrequency => K::TierLow,
    }
}

/// What the history suggests, for one reader: the chosen tier and (suggested, last 12 months). The
/// lifetime value is shown by the customer page itself.
#[derive(Clone, Debug, PartialEq)]
struct Suggestion {
    chosen: CustomerTier,
    suggested: Option<(CustomerTier, Money)>,
}

#[component]
pub fn SuggestedTier(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let rec = ctx.store.record(id.clone());
    let opps = ctx.store.records(RecordKind::Opportunity);
    let dir = ctx.directory();
    let s = Memo::new(move |_| {
        let rules = dir.with(|d| d.as_ref().map(|d| d.relationship.tiers.clone()))?;
        rec.with(|r| {
            // Without the customer's `money` group its orders are unknown: suggesting from won deals alone
            // would call a long-standing customer "low frequency".
            let sees_money = r.as_ref().is_some_and(|r| ctx.access(r).money.can_read());
            let Some(RecordView::Customer(c)) = r else { return None };
            opps.with(|vs| {
                let deals: Vec<&OpportunityView> = vs
                    .iter()
                    .filter_map(|v| match v {
                        RecordView::Opportunity(o) if o.base.customer.as_ref() == Some(&c.id) => Some(o),
                        _ => None,
                    })
                    .collect();
                let history = cooperation_history(&c.id, c.money.as_ref(), &deals);
                let t = now();
                let suggested = sees_money.then(|| {
                    suggested_tier(&history, &rules, t).zip(revenue(&history, &rules, t)).map(|(tier, (_, year))| {
                        let m = |a| Money { amount_minor: a, currency: rules.currency.clone() };
                        (tier, m(year))
                    })
                });
                let suggested = suggested.flatten();
                Some(Suggestion { chosen: c.base.tier, suggested })
            })
        })
    });
    move || {
        s.get().map(|s| match s.suggested {
            Some((tier, year)) => {
                let verdict = if tier == s.chosen { RK::TierMatches } else { RK::TierDiffers };
                view! {
                    <div class="field tier-suggestion" role="group" aria-label=move || i18n.t(RK::SuggestedTier)>
                        <span class="field-label">{move || i18n.t(RK::SuggestedTier)}</span>
                        <strong>{move || i18n.t(tier_text(tier))}</strong>
                        <span class="muted">
                            {move || i18n.t(verdict)}" · "{move || i18n.t(RK::LastTwelveMonths)}" "{i18n.money(&year)}
                        </span>
                    </div>
                }
                .into_any()
            }
            None => view! {
                <div class="field tier-suggestion" role="group" aria-label=move || i18n.t(RK::SuggestedTier)>
                    <span class="field-label">{move || i18n.t(RK::SuggestedTier)}</span>
                    <span class="muted">{move || i18n.t(RK::TierNoData)}</span>
                </div>
            }
            .into_any(),
        })
    }
}
