//! Materialized views: a record's main struct plus whichever companion groups the reader has, as
//! plain data for lists, boards, the dashboard and the REST API. Hidden groups are `None` and absent
//! from the JSON.

use autosurgeon::ReadDoc;
use serde::{Deserialize, Serialize};

use super::{read_companion, read_head, read_record, DocKind};
use crate::domain::{
    Access, Activity, Contact, ContactPii, Customer, CustomerMoney, CustomerService, DocId, DomainError, FieldGroup,
    Lead, LeadPii, Money, Opportunity, OpportunityMoney, RecordKind, RecordMeta, TeamId, Timestamp, UserId,
};

/// A lead with its `pii` group when the reader has it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeadView {
    pub id: DocId,
    #[serde(flatten)]
    pub base: Lead,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pii: Option<LeadPii>,
}

/// An opportunity with its `money` group when the reader has it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpportunityView {
    pub id: DocId,
    #[serde(flatten)]
    pub base: Opportunity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub money: Option<OpportunityMoney>,
}

/// A customer with its `money` and `service` groups when the reader has them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerView {
    pub id: DocId,
    #[serde(flatten)]
    pub base: Customer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub money: Option<CustomerMoney>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<CustomerService>,
    /// Sum of the cooperation history per currency; present only with `money`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_value: Option<Vec<Money>>,
}

/// A contact with its `pii` group when the reader has it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: DocId,
    #[serde(flatten)]
    pub base: Contact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pii: Option<ContactPii>,
}

/// An activity (no companions).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityView {
    pub id: DocId,
    #[serde(flatten)]
    pub base: Activity,
}

/// Any record's materialized view. JSON: `{"kind": "lead", "id": ..., <base fields>, "pii": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordView {
    Lead(LeadView),
    Opportunity(OpportunityView),
    Customer(CustomerView),
    Contact(ContactView),
    Activity(ActivityView),
}

macro_rules! on_base {
    ($self:expr, $b:ident => $e:expr) => {
        match $self {
            RecordView::Lead(v) => {
                let $b = &v.base;
                $e
            }
            RecordView::Opportunity(v) => {
                let $b = &v.base;
                $e
            }
            RecordView::Customer(v) => {
                let $b = &v.base;
                $e
            }
            RecordView::Contact(v) => {
                let $b = &v.base;
                $e
            }
            RecordView::Activity(v) => {
                let $b = &v.base;
                $e
            }
        }
    };
}

impl RecordView {
    /// Builds the view from a main document and the companion documents the reader holds (others are
    /// simply not passed). Companions of a group the kind does not have are refused.
    pub fn from_docs<D: ReadDoc>(
        id: &DocId,
        main: &D,
        companions: &[(FieldGroup, &D)],
    ) -> Result<RecordView, DomainError> {
        let kind = match read_head(main)?.kind {
            DocKind::Record(k) => k,
            k => return Err(DomainError::invalid("kind", format!("{:?} is not a record kind", k.as_str()))),
        };
        for (g, _) in companions {
            if !crate::domain::companion_groups(kind).contains(g) {
                return Err(DomainError::invalid("group", format!("a {} has no {} group", kind.as_str(), g.as_str())));
            }
        }
        let find = |g: FieldGroup| companions.iter().find(|(cg, _)| *cg == g).map(|(_, d)| *d);
        let id = id.clone();
        Ok(match kind {
            RecordKind::Lead => RecordView::Lead(LeadView {
                id,
                base: read_record(main)?,
                pii: find(FieldGroup::Pii).map(read_companion).transpose()?,
            }),
            RecordKind::Opportunity => RecordView::Opportunity(OpportunityView {
                id,
                base: read_record(main)?,
                money: find(FieldGroup::Money).map(read_companion).transpose()?,
            }),
            RecordKind::Customer => {
                let money: Option<CustomerMoney> = find(FieldGroup::Money).map(read_companion).transpose()?;
                RecordView::Customer(CustomerView {
                    id,
                    base: read_record(main)?,
                    lifetime_value: money.as_ref().map(|m| m.lifetime_value()),
                    money,
                    service: find(FieldGroup::Service).map(read_companion).transpose()?,
                })
            }
            RecordKind::Contact => RecordView::Contact(ContactView {
                id,
                base: read_record(main)?,
                pii: find(FieldGroup::Pii).map(read_companion).transpose()?,
            }),
            RecordKind::Activity => RecordView::Activity(ActivityView { id, base: read_record(main)? }),
        })
    }

    pub fn id(&self) -> &DocId {
        match self {
            RecordView::Lead(v) => &v.id,
            RecordView::Opportunity(v) => &v.id,
            RecordView::Customer(v) => &v.id,
            RecordView::Contact(v) => &v.id,
            RecordView::Activity(v) => &v.id,
        }
    }

    pub fn kind(&self) -> RecordKind {
        match self {
            RecordView::Lead(_) => RecordKind::Lead,
            RecordView::Opportunity(_) => RecordKind::Opportunity,
            RecordView::Customer(_) => RecordKind::Customer,
            RecordView::Contact(_) => RecordKind::Contact,
            RecordView::Activity(_) => RecordKind::Activity,
        }
    }

    pub fn owner(&self) -> Option<&UserId> {
        on_base!(self, b => b.owner.as_ref())
    }

    /// The archive mark, when the record is archived (lists, boards and search leave it out).
    pub fn archived(&self) -> Option<&crate::domain::ops::Archived> {
        on_base!(self, b => b.archived.as_ref())
    }

    /// The erasure mark of a lead's or contact's personal data (other kinds have none).
    pub fn pii_erased(&self) -> Option<&crate::domain::ops::PiiErased> {
        match self {
            RecordView::Lead(v) => v.base.pii_erased.as_ref(),
            RecordView::Contact(v) => v.base.pii_erased.as_ref(),
            _ => None,
        }
    }

    pub fn team(&self) -> Option<&TeamId> {
        on_base!(self, b => b.team.as_ref())
    }

    pub fn updated_at(&self) -> Timestamp {
        on_base!(self, b => b.updated_at)
    }

    /// The display name (subject for activities).
    pub fn title(&self) -> &str {
        match self {
            RecordView::Lead(v) => &v.base.name,
            RecordView::Opportunity(v) => &v.base.name,
            RecordView::Customer(v) => &v.base.name,
            RecordView::Contact(v) => &v.base.name,
            RecordView::Activity(v) => &v.base.subject,
        }
    }

    /// The customer this record belongs to (opportunities, contacts, activities).
    pub fn customer(&self) -> Option<&DocId> {
        match self {
            RecordView::Opportunity(v) => v.base.customer.as_ref(),
            RecordView::Contact(v) => v.base.customer.as_ref(),
            RecordView::Activity(v) => v.base.customer.as_ref(),
            RecordView::Lead(_) | RecordView::Customer(_) => None,
        }
    }

    /// The policy's view of this record, given the linked customer's maintainer.
    pub fn meta(&self, customer_owner: Option<UserId>) -> RecordMeta {
        RecordMeta { kind: self.kind(), owner: self.owner().cloned(), customer_owner, linked: Vec::new() }
    }

    /// Drops every companion group `access` may not read (the base itself is the caller's business).
    pub fn redact(&mut self, access: &Access) {
        let can = |g: FieldGroup| access.group(g).can_read();
        match self {
            RecordView::Lead(v) if !can(FieldGroup::Pii) => v.pii = None,
            RecordView::Contact(v) if !can(FieldGroup::Pii) => v.pii = None,
            RecordView::Opportunity(v) if !can(FieldGroup::Money) => v.money = None,
            RecordView::Customer(v) => {
                if !can(FieldGroup::Money) {
                    v.money = None;
                    v.lifetime_value = None;
                }
                if !can(FieldGroup::Service) {
                    v.service = None;
                }
            }
            _ => {}
        }
    }

    /// The companion groups present in this view.
    pub fn groups(&self) -> Vec<FieldGroup> {
        let mut out = Vec::new();
        match self {
            RecordView::Lead(v) if v.pii.is_some() => out.push(FieldGroup::Pii),
            RecordView::Contact(v) if v.pii.is_some() => out.push(FieldGroup::Pii),
            RecordView::Opportunity(v) if v.money.is_some() => out.push(FieldGroup::Money),
            RecordView::Customer(v) => {
                if v.money.is_some() {
                    out.push(FieldGroup::Money);
                }
                if v.service.is_some() {
                    out.push(FieldGroup::Service);
                }
            }
            _ => {}
        }
        out
    }
}
