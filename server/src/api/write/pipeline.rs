//! A deal's change: base fields, its `money` group, and `stage`/`status` through the domain's pipeline
//! operations (`app::domain::ops`): a move records the stage history and the stage's win probability; a
//! won stage (or `"status": "won"`) wins the deal and, where the writer may write the customer's money,
//! adds its line to the cooperation history; `"status": "lost"` needs `lost_reason`; `"closed"` closes;
//! `"active"` reopens a lost or closed deal.

use automerge::Automerge;
use serde_json::{Map, Value};

use app::domain::{access, ops, CustomerMoney, DocId, Opportunity, OpportunityMoney, RecordMeta, StageId};

use super::fields::{group_patch, overlay};
use super::kinds::{companion_write, current_companion, patch_main, Ctx, Write, PIPELINE};
use super::WriteError;

fn text<'a>(body: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, WriteError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(WriteError::invalid(key, "must be a string")),
    }
}

pub async fn patch_opportunity(
    ctx: &Ctx<'_>,
    id: &DocId,
    meta: &RecordMeta,
    doc: &Automerge,
    body: &Map<String, Value>,
) -> Result<Vec<Write>, WriteError> {
    let (me, now, dir) = (ctx.user, ctx.now, ctx.dir);
    let stage = text(body, "stage")?.map(|s| StageId::new(s.to_string()));
    let status = text(body, "status")?;
    let reason = text(body, "lost_reason")?;
    if reason.is_some() && !matches!(status, Some("lost" | "closed")) {
        return Err(WriteError::invalid("lost_reason", "is given with \"status\": \"lost\" or \"closed\""));
    }
    // The deal's money as the writer knows it (with the body's changes), when they may read it.
    let current = current_companion::<OpportunityMoney>(ctx, id, meta).await?;
    let (old_money, money_doc) = match current {
        Some((m, d)) => (Some(m), d),
        None => (None, None),
    };
    let mut money = old_money.clone();
    if let Some(p) = group_patch(body, "money")? {
        let Some(m) = money.as_ref() else {
            return Err(WriteError::forbidden("money", "you may not write the money of this deal"));
        };
        money = Some(overlay(m, p, &[], "money.")?);
    }
    let may_write_money = access(me, dir, meta).money.can_write();
    // The customer's cooperation history, when a win may land there and the writer may write it.
    let customer = autosurgeon::hydrate_prop::<_, Option<DocId>, _, _>(doc, automerge::ROOT, "customer").ok().flatten();
    let mut history: Option<(DocId, CustomerMoney, Option<Automerge>)> = None;
    if let Some(c) = customer.as_ref().filter(|_| status == Some("won") || stage.is_some()) {
        if let Some(cmeta) = ctx.state.hub.record_meta(c).filter(|m| access(me, dir, m).money.can_write()) {
            if let Some((cm, cdoc)) = current_companion::<CustomerMoney>(ctx, c, &cmeta).await? {
                history = Some((c.clone(), cm, cdoc));
            }
        }
    }
    let old_history = history.as_ref().map(|(_, cm, _)| cm.clone());
    let dom = WriteError::domain;
    let main = patch_main::<Opportunity>(ctx, id, doc, body, &PIPELINE, |opp| {
        let win = |opp: &mut Opportunity,
                   money: &mut Option<OpportunityMoney>,
                   history: &mut Option<(DocId, CustomerMoney, Option<Automerge>)>| {
            let m = money.as_mut().ok_or_else(|| {
                WriteError::forbidden("money", "winning a deal records its amount: you may not read this deal's money")
            })?;
            ops::win(id, opp, m, history.as_mut().map(|(_, cm, _)| cm), me, now, dir).map(|_| ()).map_err(dom)
        };
        match status {
            None => {}
            Some("won") => win(opp, &mut money, &mut history)?,
            Some("lost") => {
                let reason = reason.ok_or_else(|| WriteError::invalid("lost_reason", "a lost deal needs a reason"))?;
                ops::lose(opp, money.as_mut(), reason, now).map_err(dom)?
            }
            Some("closed") => ops::close(opp, reason, now).map_err(dom)?,
            Some("active") => ops::reopen(opp, money.as_mut(), now, dir).map_err(dom)?,
            Some(other) => {
                return Err(WriteError::invalid("status", &format!("{other:?} is not won, lost, closed or active")))
            }
        }
        // Naming the stage the deal is in changes nothing (also for a won deal).
        if let Some(to) = stage.as_ref().filter(|to| **to != opp.stage) {
            match dir.stage(to) {
                None => return Err(WriteError::invalid("stage", &format!("unknown stage {:?}", to.as_str()))),
                Some(s) if s.won => win(opp, &mut money, &mut history)?,
                Some(_) => ops::move_stage(opp, money.as_mut(), to, me, now, dir).map_err(dom)?,
            }
        }
        Ok(())
    })?;
    let mut writes = Vec::new();
    // Money first (a win reads its amount), then the deal, then the customer's history.
    if let (Some(old), Some(new)) = (old_money.as_ref(), money.as_ref()) {
        if (may_write_money && new != old) || group_patch(body, "money")?.is_some() {
            writes.extend(companion_write(ctx, id, money_doc.as_ref(), old, new)?);
        }
    }
    writes.extend(main);
    if let (Some((c, new, cdoc)), Some(old)) = (history.as_ref(), old_history.as_ref()) {
        if new != old {
            writes.extend(companion_write(ctx, c, cdoc.as_ref(), old, new)?);
        }
    }
    Ok(writes)
}
