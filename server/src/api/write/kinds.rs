//! What a create or a change writes, per record kind: the main document and the companion documents of
//! the groups the body names. Deals' `stage` and `status` go through `app::domain::ops` (pipeline).

use automerge::Automerge;
use serde_json::{Map, Value};

use app::domain::records::{Companion, Record};
use app::domain::{
    access, companion_groups, ops, Activity, ActivityKind, Contact, ContactPii, Customer, CustomerMoney,
    CustomerService, Directory, DocId, FieldGroup, Lead, LeadPii, Opportunity, OpportunityMoney, RecordKind,
    RecordMeta, StageId, Timestamp, UserId,
};

use super::fields::{self, group_patch, overlay, required_str, FIXED};
use super::WriteError;
use crate::AppState;

/// Who writes, when, against which directory.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub user: &'a UserId,
    pub dir: &'a Directory,
    pub now: Timestamp,
}

/// One document to store: the changes in `doc` (made on a copy of the current document), `new` when the
/// document must not exist yet.
pub struct Write {
    pub id: DocId,
    pub doc: Automerge,
    pub new: bool,
}

/// The deal keys the pipeline operations own.
pub(super) const PIPELINE: [&str; 3] = ["stage", "status", "lost_reason"];

/// The body without the restricted groups' objects and without `skip` keys: what goes onto the main struct.
fn base_patch(body: &Map<String, Value>, kind: RecordKind, skip: &[&str]) -> Map<String, Value> {
    let groups: Vec<&str> = companion_groups(kind).iter().map(|g| g.as_str()).collect();
    body.iter()
        .filter(|(k, _)| !groups.contains(&k.as_str()) && !skip.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Refuses group objects a kind does not have (`money` on a lead) by name.
fn known_groups(body: &Map<String, Value>, kind: RecordKind) -> Result<(), WriteError> {
    for g in [FieldGroup::Money, FieldGroup::Pii, FieldGroup::Service] {
        if body.contains_key(g.as_str()) && !companion_groups(kind).contains(&g) {
            return Err(WriteError::invalid(g.as_str(), &format!("a {} has no {} group", kind.as_str(), g.as_str())));
        }
    }
    Ok(())
}

/// The owner a new record names: the body's `owner` (a user id, or null for the lead pool), else the writer.
fn new_owner(ctx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Option<UserId>, WriteError> {
    match body.get("owner") {
        None => Ok(Some(ctx.user.clone())),
        Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(UserId::new(s.clone()))),
        Some(_) => Err(WriteError::invalid("owner", "must be a user id or null")),
    }
}

/// Records carry their owner's team (as imports and the client do) unless the body says otherwise.
fn follow_owner_team<R: Record>(dir: &Directory, rec: &mut R, body: &Map<String, Value>) -> Result<(), WriteError> {
    if body.contains_key("team") {
        return Ok(());
    }
    let team = rec.owner().and_then(|o| dir.user(o)).and_then(|u| u.team.clone());
    let patch: Map<String, Value> =
        [("team".to_string(), serde_json::to_value(team).unwrap_or(Value::Null))].into_iter().collect();
    *rec = overlay(rec, &patch, &[], "")?;
    Ok(())
}

/// A fresh number from the company's counter, issued to the writer, so the number gate accepts it.
async fn issue_number(state: &AppState, me: &UserId, prefix: &str, now: Timestamp) -> Result<String, WriteError> {
    let block = state.hub.reserve_numbers(me, prefix, now, 1).await?;
    Ok(ops::format_number(prefix, block.year, block.first))
}

/// The maintainer of the customer a record links to, as the policy needs it.
fn customer_owner(ctx: &Ctx<'_>, customer: Option<&DocId>) -> Option<UserId> {
    customer.and_then(|c| ctx.state.hub.record_meta(c)).and_then(|m| m.owner)
}

/// A new companion of a new record, from the body's group object; refused up front when the writer may
/// not write that group (the record does not exist yet, so the gate cannot be asked first).
fn new_companion<C: Companion + Default>(
    ctx: &Ctx<'_>,
    id: &DocId,
    meta: &RecordMeta,
    body: &Map<String, Value>,
    default: Option<C>,
) -> Result<Option<Write>, WriteError> {
    let g = C::GROUP;
    let value = match (group_patch(body, g.as_str())?, default) {
        (Some(p), d) => overlay(&d.unwrap_or_default(), p, &[], &format!("{}.", g.as_str()))?,
        (None, Some(d)) if access(ctx.user, ctx.dir, meta).group(g).can_write() => d,
        (None, _) => return Ok(None),
    };
    if !access(ctx.user, ctx.dir, meta).group(g).can_write() {
        return Err(WriteError::forbidden(g.as_str(), format!("you may not write the {} of this record", g.as_str())));
    }
    value.validate().map_err(WriteError::domain)?;
    let doc = fields::companion_doc(id, None, &value, ctx.user, ctx.now)?;
    Ok(Some(Write { id: id.companion(g), doc, new: true }))
}

/// The writes that create a record of `kind` with id `id` from `body`.
pub async fn create(
    ctx: &Ctx<'_>,
    kind: RecordKind,
    id: &DocId,
    body: &Map<String, Value>,
) -> Result<Vec<Write>, WriteError> {
    known_groups(body, kind)?;
    let (me, now, dir) = (ctx.user, ctx.now, ctx.dir);
    let owner = new_owner(ctx, body)?;
    let dom = WriteError::domain;
    let mut writes = Vec::new();
    macro_rules! main {
        ($rec:expr, $skip:expr) => {{
            let mut rec = overlay(&$rec, &base_patch(body, kind, $skip), &FIXED, "")?;
            follow_owner_team(dir, &mut rec, body)?;
            let meta = rec.meta(customer_owner(ctx, rec.customer()));
            writes.push(Write { id: id.clone(), doc: fields::main_doc(None, &rec)?, new: true });
            (rec, meta)
        }};
    }
    match kind {
        RecordKind::Lead => {
            let (_, meta) = main!(Lead::new(required_str(body, "name")?, owner, me, now).map_err(dom)?, &[]);
            writes.extend(new_companion::<LeadPii>(ctx, id, &meta, body, None)?);
        }
        RecordKind::Opportunity => {
            let stage = match body.get("stage") {
                None => {
                    dir.stages.iter().find(|s| !s.won).map(|s| s.id.clone()).unwrap_or_else(|| dir.stages[0].id.clone())
                }
                Some(Value::String(s)) => StageId::new(s.clone()),
                Some(_) => return Err(WriteError::invalid("stage", "must be a stage id")),
            };
            if dir.stage(&stage).is_some_and(|s| s.won) {
                return Err(WriteError::invalid("stage", "a new deal starts in an open stage; win it with PATCH"));
            }
            let number = match body.get("number").and_then(Value::as_str) {
                Some(n) => n.to_string(),
                None => issue_number(ctx.state, me, ops::OPPORTUNITY_PREFIX, now).await?,
            };
            let opp =
                Opportunity::new(required_str(body, "name")?, &number, &stage, owner, me, now, dir).map_err(dom)?;
            let (_, meta) = main!(opp, &["stage", "status"]);
            let probability = dir.stage(&stage).map_or(0, |s| s.probability);
            let money = OpportunityMoney { win_probability: probability, ..Default::default() };
            writes.extend(new_companion::<OpportunityMoney>(ctx, id, &meta, body, Some(money))?);
        }
        RecordKind::Customer => {
            let number = match body.get("number").and_then(Value::as_str) {
                Some(n) => n.to_string(),
                None => issue_number(ctx.state, me, ops::CUSTOMER_PREFIX, now).await?,
            };
            let (_, meta) =
                main!(Customer::new(required_str(body, "name")?, &number, owner, me, now).map_err(dom)?, &[]);
            writes.extend(new_companion::<CustomerMoney>(ctx, id, &meta, body, None)?);
            writes.extend(new_companion::<CustomerService>(ctx, id, &meta, body, None)?);
        }
        RecordKind::Contact => {
            let (_, meta) = main!(Contact::new(required_str(body, "name")?, None, owner, me, now).map_err(dom)?, &[]);
            writes.extend(new_companion::<ContactPii>(ctx, id, &meta, body, None)?);
        }
        RecordKind::Activity => {
            let activity_kind = ActivityKind::parse(required_str(body, "activity_kind")?)
                .map_err(|e| WriteError::invalid("activity_kind", &e.to_string()))?;
            let at = match body.get("at") {
                None => now,
                Some(v) => serde_json::from_value(v.clone())
                    .map_err(|_| WriteError::invalid("at", "not a time (milliseconds since 1970)"))?,
            };
            let mut a = Activity::new(activity_kind, required_str(body, "subject")?, at, me, now).map_err(dom)?;
            a.owner = owner;
            main!(a, &[]);
        }
    }
    Ok(writes)
}

/// The current companion `C` of record `id` (default when none), if the writer may read it.
pub(super) async fn current_companion<C: Companion + Default>(
    ctx: &Ctx<'_>,
    id: &DocId,
    meta: &RecordMeta,
) -> Result<Option<(C, Option<Automerge>)>, WriteError> {
    if !access(ctx.user, ctx.dir, meta).group(C::GROUP).can_read() {
        return Ok(None);
    }
    let doc = ctx.state.hub.load(&id.companion(C::GROUP)).await?;
    Ok(Some((fields::read_companion(doc.as_ref())?, doc)))
}

/// The write of companion `C` of `id` after its group object in `body` (none when the body has none or
/// nothing changes). A writer who may not read the group gets the gate's refusal, as over sync.
async fn patch_companion<C: Companion + Default>(
    ctx: &Ctx<'_>,
    id: &DocId,
    meta: &RecordMeta,
    body: &Map<String, Value>,
) -> Result<Option<Write>, WriteError> {
    let g = C::GROUP;
    let Some(p) = group_patch(body, g.as_str())? else { return Ok(None) };
    let Some((old, doc)) = current_companion::<C>(ctx, id, meta).await? else {
        return Err(WriteError::forbidden(g.as_str(), format!("you may not write the {} of this record", g.as_str())));
    };
    let new = overlay(&old, p, &[], &format!("{}.", g.as_str()))?;
    companion_write(ctx, id, doc.as_ref(), &old, &new)
}

pub(super) fn companion_write<C: Companion>(
    ctx: &Ctx<'_>,
    record: &DocId,
    doc: Option<&Automerge>,
    old: &C,
    new: &C,
) -> Result<Option<Write>, WriteError> {
    if doc.is_some() && old == new {
        return Ok(None);
    }
    new.validate().map_err(WriteError::domain)?;
    let written = fields::companion_doc(record, doc, new, ctx.user, ctx.now)?;
    Ok(Some(Write { id: record.companion(C::GROUP), doc: written, new: doc.is_none() }))
}

/// The main document's write after `body`'s base fields (none when nothing changes).
pub(super) fn patch_main<R: Record>(
    ctx: &Ctx<'_>,
    id: &DocId,
    doc: &Automerge,
    body: &Map<String, Value>,
    skip: &[&str],
    then: impl FnOnce(&mut R) -> Result<(), WriteError>,
) -> Result<Option<Write>, WriteError> {
    let old: R = fields::read(doc)?;
    let mut rec: R = overlay(&old, &base_patch(body, R::KIND, skip), &FIXED, "")?;
    if rec.owner() != old.owner() {
        follow_owner_team(ctx.dir, &mut rec, body)?;
    }
    then(&mut rec)?;
    if rec == old {
        return Ok(None);
    }
    let touched: Map<String, Value> =
        [("updated_at".to_string(), serde_json::to_value(ctx.now.max(old.created_at())).unwrap_or(Value::Null))]
            .into_iter()
            .collect();
    let rec = overlay(&rec, &touched, &[], "")?;
    Ok(Some(Write { id: id.clone(), doc: fields::main_doc(Some(doc), &rec)?, new: false }))
}

/// The writes that apply `body` to record `id`.
pub async fn patch(
    ctx: &Ctx<'_>,
    id: &DocId,
    meta: &RecordMeta,
    body: &Map<String, Value>,
) -> Result<Vec<Write>, WriteError> {
    known_groups(body, meta.kind)?;
    let doc = ctx.state.hub.load(id).await?.ok_or_else(|| crate::error::ApiError::not_found("the record is gone"))?;
    let mut writes: Vec<Option<Write>> = Vec::new();
    match meta.kind {
        RecordKind::Lead => {
            writes.push(patch_companion::<LeadPii>(ctx, id, meta, body).await?);
            writes.push(patch_main::<Lead>(ctx, id, &doc, body, &[], |_| Ok(()))?);
        }
        RecordKind::Opportunity => return super::pipeline::patch_opportunity(ctx, id, meta, &doc, body).await,
        RecordKind::Customer => {
            writes.push(patch_companion::<CustomerMoney>(ctx, id, meta, body).await?);
            writes.push(patch_companion::<CustomerService>(ctx, id, meta, body).await?);
            writes.push(patch_main::<Customer>(ctx, id, &doc, body, &[], |_| Ok(()))?);
        }
        RecordKind::Contact => {
            writes.push(patch_companion::<ContactPii>(ctx, id, meta, body).await?);
            writes.push(patch_main::<Contact>(ctx, id, &doc, body, &[], |_| Ok(()))?);
        }
        RecordKind::Activity => writes.push(patch_main::<Activity>(ctx, id, &doc, body, &[], |_| Ok(()))?),
    }
    Ok(writes.into_iter().flatten().collect())
}
