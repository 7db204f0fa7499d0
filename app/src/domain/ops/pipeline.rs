//! Moving opportunities through the pipeline: stages, win, lose, close, reopen.

use crate::domain::vocab;
use crate::domain::{
    CooperationEntry, CustomerMoney, Directory, DocId, DomainError, Opportunity, OpportunityMoney, OpportunityStatus,
    StageEntry, StageId, Timestamp, UserId,
};

fn require_active(opp: &Opportunity) -> Result<(), DomainError> {
    if opp.status == OpportunityStatus::Active {
        Ok(())
    } else {
        Err(DomainError::NotAllowed(format!("the deal is {}; reopen it first", opp.status)))
    }
}

/// Moves an active opportunity to `to`: records `{stage, entered_at, by}` in the stage history and sets
/// the win probability to the stage's default. Moving to the won stage wins the deal and requires an
/// expected amount (in `money`) and an expected close date; prefer [`win`], which also records the
/// amount in the customer's cooperation history. Moving to the current stage changes nothing.
pub fn move_stage(
    opp: &mut Opportunity,
    money: Option<&mut OpportunityMoney>,
    to: &StageId,
    by: &UserId,
    now: Timestamp,
    dir: &Directory,
) -> Result<(), DomainError> {
    require_active(opp)?;
    let stage = dir.stage(to).ok_or_else(|| DomainError::UnknownStage(to.to_string()))?;
    if &opp.stage == to {
        return Ok(());
    }
    if stage.won {
        let amount = money.as_ref().and_then(|m| m.expected_amount.as_ref());
        match amount {
            None => return Err(DomainError::invalid("expected_amount", "a won deal needs an amount")),
            Some(a) if a.amount_minor <= 0 => {
                return Err(DomainError::invalid("expected_amount", "a won deal needs an amount above zero"))
            }
            Some(a) => a.validate("expected_amount")?,
        }
        if opp.expected_close.is_none() {
            return Err(DomainError::invalid("expected_close", "a won deal needs a close date"));
        }
    }
    let now = now.max(opp.created_at);
    opp.stage = to.clone();
    opp.stage_history.push(StageEntry { stage: to.clone(), entered_at: now, by: by.clone() });
    opp.updated_at = now.max(opp.updated_at);
    if stage.won {
        opp.status = OpportunityStatus::Won;
        opp.closed_at = Some(now);
    }
    if let Some(m) = money {
        m.win_probability = stage.probability;
    }
    Ok(())
}

/// Wins a deal: moves it to the (first) won stage (see [`move_stage`]) and records its amount in the
/// customer's cooperation history when `customer_money` is given. Idempotent: winning a won deal again
/// changes nothing but still records a missing history entry. Returns whether an entry was added.
pub fn win(
    opp_id: &DocId,
    opp: &mut Opportunity,
    money: &mut OpportunityMoney,
    customer_money: Option<&mut CustomerMoney>,
    by: &UserId,
    now: Timestamp,
    dir: &Directory,
) -> Result<bool, DomainError> {
    if opp.customer.is_none() {
        return Err(DomainError::invalid("customer", "a won deal needs a customer"));
    }
    if opp.status != OpportunityStatus::Won {
        let won =
            dir.stages.iter().find(|s| s.won).ok_or_else(|| DomainError::invalid("stage", "no won stage defined"))?;
        let won_id = won.id.clone();
        move_stage(opp, Some(money), &won_id, by, now, dir)?;
    }
    Ok(match customer_money {
        Some(cm) => record_win(cm, opp_id, opp, money)?,
        None => false,
    })
}

/// Records a won deal in its customer's cooperation history, keyed by the opportunity's id so it lands
/// exactly once (also when two devices record it concurrently). Returns whether it was added.
pub fn record_win(
    customer_money: &mut CustomerMoney,
    opp_id: &DocId,
    opp: &Opportunity,
    money: &OpportunityMoney,
) -> Result<bool, DomainError> {
    if opp.status != OpportunityStatus::Won {
        return Err(DomainError::NotAllowed("only won deals enter the cooperation history".into()));
    }
    let key = opp_id.to_string();
    if customer_money.orders.contains_key(&key) {
        return Ok(false);
    }
    let amount = money
        .expected_amount
        .clone()
        .ok_or_else(|| DomainError::invalid("expected_amount", "a won deal needs an amount"))?;
    amount.validate("expected_amount")?;
    customer_money.orders.insert(
        key,
        CooperationEntry {
            title: opp.name.clone(),
            amount,
            signed_at: opp.closed_at.unwrap_or(opp.updated_at),
            opportunity: Some(opp_id.clone()),
            entry_kind: Default::default(),
            product: String::new(),
            note: String::new(),
        },
    );
    Ok(true)
}

/// Brings a customer's cooperation history up to date with its won deals (for whoever holds the
/// customer's money group, e.g. when the deal's owner could not write it). Returns how many were added.
pub fn sync_cooperation_history(
    customer_id: &DocId,
    customer_money: &mut CustomerMoney,
    deals: &[(&DocId, &Opportunity, &OpportunityMoney)],
) -> usize {
    deals
        .iter()
        .filter(|(_, o, _)| o.status == OpportunityStatus::Won && o.customer.as_ref() == Some(customer_id))
        .filter(|(id, o, m)| record_win(customer_money, id, o, m).unwrap_or(false))
        .count()
}

/// Loses an active deal (from any stage) with a reason; the win probability drops to 0.
pub fn lose(
    opp: &mut Opportunity,
    money: Option<&mut OpportunityMoney>,
    reason: &str,
    now: Timestamp,
) -> Result<(), DomainError> {
    require_active(opp)?;
    vocab::required_text("lost_reason", reason, 500)?;
    let now = now.max(opp.created_at);
    opp.status = OpportunityStatus::Lost;
    opp.lost_reason = Some(reason.trim().to_string());
    opp.closed_at = Some(now);
    opp.updated_at = now.max(opp.updated_at);
    if let Some(m) = money {
        m.win_probability = 0;
    }
    Ok(())
}

/// Closes an active deal without a win or loss (cancelled, duplicate), optionally saying why.
pub fn close(opp: &mut Opportunity, reason: Option<&str>, now: Timestamp) -> Result<(), DomainError> {
    require_active(opp)?;
    if let Some(r) = reason {
        vocab::max_text("lost_reason", r, 500)?;
    }
    let now = now.max(opp.created_at);
    opp.status = OpportunityStatus::Closed;
    opp.lost_reason = reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    opp.closed_at = Some(now);
    opp.updated_at = now.max(opp.updated_at);
    Ok(())
}

/// Reopens a lost or closed deal in the stage it was in, with that stage's win probability. Won deals
/// stay won: their amount is already in the customer's history.
pub fn reopen(
    opp: &mut Opportunity,
    money: Option<&mut OpportunityMoney>,
    now: Timestamp,
    dir: &Directory,
) -> Result<(), DomainError> {
    match opp.status {
        OpportunityStatus::Active => return Err(DomainError::NotAllowed("the deal is already active".into())),
        OpportunityStatus::Won => return Err(DomainError::NotAllowed("a won deal cannot be reopened".into())),
        OpportunityStatus::Lost | OpportunityStatus::Closed => {}
    }
    let stage = dir.stage(&opp.stage).ok_or_else(|| DomainError::UnknownStage(opp.stage.to_string()))?;
    opp.status = OpportunityStatus::Active;
    opp.lost_reason = None;
    opp.closed_at = None;
    opp.updated_at = now.max(opp.updated_at);
    if let Some(m) = money {
        m.win_probability = stage.probability;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::{company, u};
    use crate::domain::{Money, Record};

    const NOW: Timestamp = Timestamp(1_767_225_600_000);

    fn deal() -> (Opportunity, OpportunityMoney, Directory) {
        let dir = company();
        let mut o =
            Opportunity::new("Deal", "OPP-2026-0001", &StageId::new("initial"), Some(u("rep1")), &u("rep1"), NOW, &dir)
                .unwrap();
        o.customer = Some(DocId::from_bytes([5; 16]));
        (o, OpportunityMoney { win_probability: 10, ..Default::default() }, dir)
    }

    fn s(id: &str) -> StageId {
        StageId::new(id)
    }

    #[test]
    fn moving_records_history_and_default_probability() {
        let (mut o, mut m, dir) = deal();
        move_stage(&mut o, Some(&mut m), &s("proposal"), &u("rep1"), NOW.plus_days(3), &dir).unwrap();
        assert_eq!(o.stage, s("proposal"));
        assert_eq!(m.win_probability, 50);
        assert_eq!(
            o.stage_history.last().unwrap(),
            &StageEntry { stage: s("proposal"), entered_at: NOW.plus_days(3), by: u("rep1") }
        );
        assert_eq!(o.stage_entered_at(), NOW.plus_days(3));
        // Same stage: nothing recorded.
        move_stage(&mut o, Some(&mut m), &s("proposal"), &u("rep1"), NOW.plus_days(4), &dir).unwrap();
        assert_eq!(o.stage_history.len(), 2);
        let e = move_stage(&mut o, None, &s("nowhere"), &u("rep1"), NOW, &dir).unwrap_err();
        assert_eq!(e, DomainError::UnknownStage("nowhere".into()));
        o.validate(&dir).unwrap();
    }

    #[test]
    fn moving_to_won_requires_amount_and_close_date() {
        let (mut o, mut m, dir) = deal();
        let e = move_stage(&mut o, Some(&mut m), &s("won"), &u("rep1"), NOW, &dir).unwrap_err();
        assert_eq!(e.to_string(), "expected_amount: a won deal needs an amount");
        m.expected_amount = Some(Money::new(0, "CNY").unwrap());
        assert!(move_stage(&mut o, Some(&mut m), &s("won"), &u("rep1"), NOW, &dir).is_err());
        m.expected_amount = Some(Money::new(500_000, "CNY").unwrap());
        let e = move_stage(&mut o, Some(&mut m), &s("won"), &u("rep1"), NOW, &dir).unwrap_err();
        assert_eq!(e.to_string(), "expected_close: a won deal needs a close date");
        o.expected_close = Some(NOW.plus_days(10));
        move_stage(&mut o, Some(&mut m), &s("won"), &u("rep1"), NOW.plus_days(9), &dir).unwrap();
        assert_eq!((o.status, o.closed_at, m.win_probability), (OpportunityStatus::Won, Some(NOW.plus_days(9)), 100));
        o.validate(&dir).unwrap();
        assert!(matches!(
            move_stage(&mut o, None, &s("initial"), &u("rep1"), NOW, &dir),
            Err(DomainError::NotAllowed(_))
        ));
    }

    #[test]
    fn win_lands_in_cooperation_history_exactly_once() {
        let (mut o, mut m, dir) = deal();
        let id = DocId::from_bytes([2; 16]);
        m.expected_amount = Some(Money::new(100_000, "CNY").unwrap());
        o.expected_close = Some(NOW.plus_days(5));
        let mut cm = CustomerMoney::default();
        assert!(win(&id, &mut o, &mut m, Some(&mut cm), &u("rep1"), NOW.plus_days(5), &dir).unwrap());
        assert!(!win(&id, &mut o, &mut m, Some(&mut cm), &u("rep1"), NOW.plus_days(6), &dir).unwrap());
        assert_eq!(cm.orders.len(), 1);
        let e = &cm.orders[&id.to_string()];
        assert_eq!(
            (e.amount.amount_minor, e.signed_at, e.opportunity.clone()),
            (100_000, NOW.plus_days(5), Some(id.clone()))
        );
        assert_eq!(o.stage_history.len(), 2, "winning twice moves once");
        // Without the customer's money group the deal is still won; the history catches up later.
        let (mut o2, mut m2, _) = deal();
        let id2 = DocId::from_bytes([3; 16]);
        m2.expected_amount = Some(Money::new(7, "CNY").unwrap());
        o2.expected_close = Some(NOW);
        assert!(!win(&id2, &mut o2, &mut m2, None, &u("rep1"), NOW, &dir).unwrap());
        let cust = o.customer.clone().unwrap();
        let added = sync_cooperation_history(&cust, &mut cm, &[(&id, &o, &m), (&id2, &o2, &m2)]);
        assert_eq!((added, cm.orders.len()), (1, 2));
        assert_eq!(sync_cooperation_history(&cust, &mut cm, &[(&id, &o, &m), (&id2, &o2, &m2)]), 0);
        assert_eq!(cm.lifetime_value(), vec![Money::new(100_007, "CNY").unwrap()]);
    }

    #[test]
    fn win_needs_a_customer() {
        let (mut o, mut m, dir) = deal();
        o.customer = None;
        let e = win(&DocId::from_bytes([2; 16]), &mut o, &mut m, None, &u("rep1"), NOW, &dir).unwrap_err();
        assert_eq!(e.to_string(), "customer: a won deal needs a customer");
    }

    #[test]
    fn lose_close_and_reopen() {
        let (mut o, mut m, dir) = deal();
        move_stage(&mut o, Some(&mut m), &s("negotiation"), &u("rep1"), NOW, &dir).unwrap();
        assert_eq!(lose(&mut o, Some(&mut m), "  ", NOW).unwrap_err().to_string(), "lost_reason: must not be empty");
        lose(&mut o, Some(&mut m), "price too high", NOW.plus_days(1)).unwrap();
        assert_eq!(
            (o.status, o.lost_reason.as_deref(), m.win_probability),
            (OpportunityStatus::Lost, Some("price too high"), 0)
        );
        o.validate(&dir).unwrap();
        assert!(lose(&mut o, None, "again", NOW).is_err());
        reopen(&mut o, Some(&mut m), NOW.plus_days(2), &dir).unwrap();
        assert_eq!((o.status, o.stage.clone(), m.win_probability), (OpportunityStatus::Active, s("negotiation"), 75));
        assert_eq!((o.lost_reason.clone(), o.closed_at), (None, None));
        assert!(reopen(&mut o, None, NOW, &dir).is_err());
        close(&mut o, Some("duplicate"), NOW.plus_days(3)).unwrap();
        assert_eq!(o.status, OpportunityStatus::Closed);
        o.validate(&dir).unwrap();
        reopen(&mut o, None, NOW.plus_days(4), &dir).unwrap();
        o.validate(&dir).unwrap();
    }

    #[test]
    fn won_deals_are_not_reopened() {
        let (mut o, mut m, dir) = deal();
        m.expected_amount = Some(Money::new(1, "CNY").unwrap());
        o.expected_close = Some(NOW);
        win(&DocId::from_bytes([2; 16]), &mut o, &mut m, None, &u("rep1"), NOW, &dir).unwrap();
        assert!(matches!(reopen(&mut o, None, NOW, &dir), Err(DomainError::NotAllowed(_))));
        assert!(matches!(lose(&mut o, None, "x", NOW), Err(DomainError::NotAllowed(_))));
    }
}
