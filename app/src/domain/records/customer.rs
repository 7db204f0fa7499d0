//! Customer (客户): an organisation we sell to, maintained by an account owner.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{line, validate_common, Companion, Record, MAX_LINE};
use crate::domain::money::totals_by_currency;
use crate::domain::time::lenient;
use crate::domain::vocab::{self, str_enum, LongText};
use crate::domain::{
    CustomValue, Directory, DocId, DomainError, FieldGroup, FieldId, Money, RecordKind, TeamId, Timestamp, UserId,
};

str_enum!(
    /// How important a customer is.
    CustomerTier("tier") {
        Key = "key",
        Normal = "normal",
        LowFrequency = "low_frequency",
    }
);

str_enum!(
    /// What kind of after-sales event happened.
    ServiceEventKind("kind") {
        Complaint = "complaint",
        Ticket = "ticket",
        Visit = "visit",
        Feedback = "feedback",
    }
);

/// An important event in the relationship (visible with the customer's base fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct CustomerEvent {
    #[key]
    #[autosurgeon(hydrate = "line::one")]
    pub id: String,
    pub at: Timestamp,
    #[autosurgeon(hydrate = "line::one")]
    pub title: String,
}

/// A customer's main document (`base` group). `owner` is the maintainer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct Customer {
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<UserId>,
    #[autosurgeon(missing = "Default::default")]
    pub team: Option<TeamId>,
    /// Human-readable number, e.g. `CUS-2026-0007`.
    #[autosurgeon(hydrate = "line::one")]
    pub number: String,
    #[autosurgeon(hydrate = "line::one")]
    pub name: String,
    #[autosurgeon(hydrate = "line::one")]
    pub industry: String,
    #[autosurgeon(hydrate = "line::one")]
    pub region: String,
    pub tier: CustomerTier,
    /// Tags such as `VIP`, `big_account`, `churn_risk` or free-form ones.
    #[autosurgeon(missing = "Default::default", hydrate = "line::many")]
    pub tags: Vec<String>,
    #[autosurgeon(missing = "Default::default")]
    pub events: Vec<CustomerEvent>,
    pub notes: LongText,
    #[autosurgeon(missing = "Default::default")]
    pub custom: BTreeMap<FieldId, CustomValue>,
    /// Set while the record is archived: hidden from lists and search, kept whole (see `ops::archive`).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<crate::domain::ops::Archived>,
}

str_enum!(
    /// What a hand-written cooperation-history entry is.
    #[derive(Default)]
    EntryKind("entry_kind") {
        #[default]
        Order = "order",
        Contract = "contract",
        Renewal = "renewal",
    }
);

/// One order, contract or renewal in the cooperation history (written by hand, or by an import of won
/// deals). Won deals in the app are not written here: see `relationship::cooperation_history`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct CooperationEntry {
    #[autosurgeon(hydrate = "line::one")]
    pub title: String,
    pub amount: Money,
    pub signed_at: Timestamp,
    /// The won opportunity it came from, if any.
    #[autosurgeon(missing = "Default::default")]
    pub opportunity: Option<DocId>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub entry_kind: EntryKind,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub product: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub note: String,
}

/// A customer's `money` companion: the cooperation history.
///
/// `orders` is a map keyed by entry id; an entry from a won opportunity is keyed by the opportunity's id,
/// so winning the same deal on two devices at once still yields one entry after merging.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct CustomerMoney {
    #[autosurgeon(missing = "Default::default")]
    pub orders: BTreeMap<String, CooperationEntry>,
}

impl CustomerMoney {
    /// Lifetime value: the sum of all orders, per currency.
    pub fn lifetime_value(&self) -> Vec<Money> {
        totals_by_currency(self.orders.values().map(|o| &o.amount))
    }

    /// How many orders came from won opportunities.
    pub fn won_deals(&self) -> usize {
        self.orders.values().filter(|o| o.opportunity.is_some()).count()
    }
}

/// A complaint, ticket, visit or feedback in the after-sales history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct ServiceEvent {
    #[key]
    #[autosurgeon(hydrate = "line::one")]
    pub id: String,
    pub kind: ServiceEventKind,
    pub at: Timestamp,
    #[autosurgeon(hydrate = "line::one")]
    pub title: String,
    pub open: bool,
    #[autosurgeon(missing = "Default::default")]
    pub resolved_at: Option<Timestamp>,
}

/// A customer's `service` companion.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct CustomerService {
    /// 1-5, `None` until rated.
    #[autosurgeon(hydrate = "lenient::opt_u8", missing = "Default::default")]
    pub satisfaction: Option<u8>,
    #[autosurgeon(missing = "Default::default")]
    pub events: Vec<ServiceEvent>,
}

impl CustomerService {
    pub fn open_complaints(&self) -> impl Iterator<Item = &ServiceEvent> {
        self.events.iter().filter(|e| e.kind == ServiceEventKind::Complaint && e.open)
    }
}

impl Customer {
    /// A new customer (tier `normal`).
    pub fn new(
        name: &str,
        number: &str,
        owner: Option<UserId>,
        by: &UserId,
        now: Timestamp,
    ) -> Result<Customer, DomainError> {
        vocab::required_text("name", name, MAX_LINE)?;
        vocab::required_text("number", number, 40)?;
        Ok(Customer {
            created_at: now,
            created_by: by.clone(),
            updated_at: now,
            owner,
            team: None,
            number: number.to_string(),
            name: name.trim().to_string(),
            industry: String::new(),
            region: String::new(),
            tier: CustomerTier::Normal,
            tags: Vec::new(),
            events: Vec::new(),
            notes: LongText::default(),
            custom: BTreeMap::new(),
            archived: None,
        })
    }
}

impl Record for Customer {
    const KIND: RecordKind = RecordKind::Customer;
    header_accessors!();
    fn validate_fields(&self, _dir: &Directory) -> Result<(), DomainError> {
        validate_common(self.created_at, self.updated_at, &self.created_by)?;
        vocab::required_text("name", &self.name, MAX_LINE)?;
        vocab::required_text("number", &self.number, 40)?;
        vocab::max_text("industry", &self.industry, MAX_LINE)?;
        vocab::max_text("region", &self.region, MAX_LINE)?;
        for (i, t) in self.tags.iter().enumerate() {
            vocab::required_text(&format!("tags[{i}]"), t, 50)?;
        }
        for (i, e) in self.events.iter().enumerate() {
            vocab::required_text(&format!("events[{i}].title"), &e.title, MAX_LINE)?;
        }
        Ok(())
    }
}

impl Companion for CustomerMoney {
    const KIND: RecordKind = RecordKind::Customer;
    const GROUP: FieldGroup = FieldGroup::Money;
    fn validate(&self) -> Result<(), DomainError> {
        for (id, o) in &self.orders {
            o.amount.validate(&format!("orders.{id}.amount"))?;
            vocab::required_text(&format!("orders.{id}.title"), &o.title, MAX_LINE)?;
            vocab::max_text(&format!("orders.{id}.product"), &o.product, MAX_LINE)?;
            vocab::max_text(&format!("orders.{id}.note"), &o.note, 2000)?;
        }
        Ok(())
    }
}

impl Companion for CustomerService {
    const KIND: RecordKind = RecordKind::Customer;
    const GROUP: FieldGroup = FieldGroup::Service;
    fn validate(&self) -> Result<(), DomainError> {
        if let Some(s) = self.satisfaction {
            if !(1..=5).contains(&s) {
                return Err(DomainError::invalid("satisfaction", format!("{s} is not within 1-5")));
            }
        }
        for (i, e) in self.events.iter().enumerate() {
            vocab::required_text(&format!("events[{i}].title"), &e.title, MAX_LINE)?;
            if e.open && e.resolved_at.is_some() {
                return Err(DomainError::invalid(format!("events[{i}].resolved_at"), "an open event is not resolved"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_fields_and_groups() {
        let dir = Directory::new();
        let mut c = Customer::new("Acme", "CUS-2026-0001", None, &UserId::new("a"), Timestamp(0)).unwrap();
        c.validate(&dir).unwrap();
        c.tags.push(" ".into());
        assert_eq!(c.validate(&dir).unwrap_err().to_string(), "tags[0]: must not be empty");
        let s = CustomerService { satisfaction: Some(0), events: vec![] };
        assert_eq!(s.validate().unwrap_err().to_string(), "satisfaction: 0 is not within 1-5");
        let mut m = CustomerMoney::default();
        m.orders.insert(
            "o1".into(),
            CooperationEntry {
                title: "t".into(),
                amount: Money { amount_minor: -3, currency: "CNY".into() },
                signed_at: Timestamp(0),
                opportunity: None,
                entry_kind: Default::default(),
                product: String::new(),
                note: String::new(),
            },
        );
        assert_eq!(m.validate().unwrap_err().to_string(), "orders.o1.amount.amount_minor: must not be negative");
    }

    #[test]
    fn lifetime_value_sums_per_currency() {
        let mut m = CustomerMoney::default();
        for (id, a, c) in [("a", 100, "CNY"), ("b", 250, "CNY"), ("c", 7, "USD")] {
            m.orders.insert(
                id.into(),
                CooperationEntry {
                    title: id.into(),
                    amount: Money::new(a, c).unwrap(),
                    signed_at: Timestamp(0),
                    opportunity: None,
                    entry_kind: Default::default(),
                    product: String::new(),
                    note: String::new(),
                },
            );
        }
        assert_eq!(m.lifetime_value(), vec![Money::new(350, "CNY").unwrap(), Money::new(7, "USD").unwrap()]);
    }
}
