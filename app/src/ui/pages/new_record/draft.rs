//! A new record as the person typed it (plain strings) and its checks: either the record, with the
//! companion group the user may write, or one message per wrong field (keyed like the inputs).

use std::collections::{BTreeMap, HashMap};

use crate::domain::ops::{provisional_number, CUSTOMER_PREFIX, OPPORTUNITY_PREFIX};
use crate::domain::parse_amount;
use crate::domain::{
    access, may_assign, Access, Companion, Contact, ContactPii, Customer, CustomerTier, Directory, DocId, DomainError,
    FieldId, Lead, LeadPii, LeadSource, Money, Opportunity, OpportunityMoney, Record, RecordKind, RecordMeta, StageId,
    Timestamp, UserId,
};
use crate::i18n::{Locale, K};
use crate::ui::components::ctx::parse_date_input;
use crate::ui::components::custom_fields::parse_custom;
use crate::ui::components::owner::team_of;

/// The currency of amounts entered in the form.
const CURRENCY: &str = "CNY";

/// What was typed. `close_bad`: the browser rejected the typed close date (it then reports "").
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub name: String,
    pub company: String,
    pub contact_name: String,
    pub source: String,
    pub title: String,
    pub industry: String,
    pub region: String,
    pub tier: String,
    pub customer: String,
    pub stage: String,
    pub amount: String,
    pub close: String,
    pub close_bad: bool,
    pub phone: String,
    pub email: String,
    pub owner: String,
    pub custom: BTreeMap<FieldId, String>,
}

/// A checked new record and the companion to create with it (when the user may write that group).
#[derive(Clone, Debug)]
pub enum Built {
    Lead(Lead, Option<LeadPii>),
    Customer(Customer),
    Contact(Contact, Option<ContactPii>),
    Opportunity(Opportunity, Option<OpportunityMoney>),
}

/// What the checks need besides the draft.
pub struct Env<'a> {
    pub me: &'a UserId,
    pub dir: &'a Directory,
    pub now: Timestamp,
    /// The customers on this device: id → maintainer.
    pub customers: &'a HashMap<DocId, Option<UserId>>,
    pub locale: Locale,
}

/// Messages by input key (`name`, `amount`, `custom.<id>`, …); the key "" is about the whole form.
pub type Errors = BTreeMap<String, String>;

impl Draft {
    pub fn owner(&self) -> Option<UserId> {
        let o = self.owner.trim();
        (!o.is_empty()).then(|| UserId::new(o))
    }

    fn customer_id(&self) -> Option<Result<DocId, DomainError>> {
        let c = self.customer.trim();
        (!c.is_empty()).then(|| DocId::parse(c))
    }

    /// What the user would be allowed on the record as drafted (which companion fields to offer): the
    /// same `access` the relay applies to the new documents.
    pub fn access(
        &self,
        kind: RecordKind,
        me: &UserId,
        dir: &Directory,
        customers: &HashMap<DocId, Option<UserId>>,
    ) -> Access {
        let customer_owner = match self.customer_id() {
            Some(Ok(id)) => customers.get(&id).cloned().flatten(),
            _ => None,
        };
        access(me, dir, &RecordMeta { kind, owner: self.owner(), customer_owner, linked: Vec::new() })
    }

    /// Checks everything and builds the record, or says what is wrong with each field.
    pub fn build(&self, kind: RecordKind, env: &Env) -> Result<Built, Errors> {
        let t = |k: K| env.locale.t(k).to_string();
        let mut errs = Errors::new();
        let name = self.name.trim();
        if name.is_empty() {
            errs.insert("name".into(), t(K::ErrName));
        }
        let owner = self.owner();
        if !may_assign(env.me, env.dir, kind, None, owner.as_ref(), true) {
            errs.insert("owner".into(), t(K::ErrOwner));
        }
        let customer = match self.customer_id() {
            Some(Ok(id)) if env.customers.contains_key(&id) => Some(id),
            Some(_) => {
                errs.insert("customer".into(), t(K::ErrCustomer));
                None
            }
            None => None,
        };
        let acc = self.access(kind, env.me, env.dir, env.customers);
        let mut custom = BTreeMap::new();
        for def in env.dir.custom_fields.iter().filter(|d| d.kind == kind) {
            let raw = self.custom.get(&def.id).map(String::as_str).unwrap_or("");
            match parse_custom(def, raw, env.locale) {
                Ok(Some(v)) => {
                    custom.insert(def.id.clone(), v);
                }
                Ok(None) => {}
                Err(m) => {
                    errs.insert(format!("custom.{}", def.id), m);
                }
            }
        }
        // Opportunity-only inputs, checked up front so every wrong field is reported at once.
        let mut stage = StageId::new(self.stage.trim());
        let mut amount = None;
        let mut close = None;
        if kind == RecordKind::Opportunity {
            if self.stage.trim().is_empty() {
                if let Some(first) = env.dir.stages.first() {
                    stage = first.id.clone();
                }
            }
            if env.dir.stage(&stage).is_none() {
                errs.insert("stage".into(), t(K::ErrStage));
            }
            if acc.money.can_write() && !self.amount.trim().is_empty() {
                match parse_amount(&self.amount).and_then(|m| Money::new(m, CURRENCY).ok()) {
                    Some(m) => amount = Some(m),
                    None => {
                        errs.insert("amount".into(), t(K::ErrAmount));
                    }
                }
            }
            if self.close_bad {
                errs.insert("close".into(), t(K::ErrDate));
            } else if !self.close.trim().is_empty() {
                match parse_date_input(&self.close) {
                    Some(d) => close = Some(d),
                    None => {
                        errs.insert("close".into(), t(K::ErrDate));
                    }
                }
            }
        }
        if matches!(kind, RecordKind::Lead | RecordKind::Contact) && acc.pii.can_write() {
            let p = self.lead_pii();
            if (LeadPii { phone: p.phone, email: String::new() }).validate().is_err() {
                errs.insert("phone".into(), t(K::ErrPhone));
            }
            if (LeadPii { phone: String::new(), email: p.email }).validate().is_err() {
                errs.insert("email".into(), t(K::ErrEmail));
            }
        }
        if !errs.is_empty() {
            return Err(errs);
        }

        let team = team_of(env.dir, owner.as_ref());
        let (me, now) = (env.me, env.now);
        // A stand-in of the right shape: `save_built` gives the record a reserved number (taken only once the
        // draft is valid, so a form sent back for corrections uses none).
        let placeholder = |prefix: &str| provisional_number(prefix, now, 0);
        let built = (|| -> Result<Built, DomainError> {
            Ok(match kind {
                RecordKind::Lead => {
                    let mut r = Lead::new(name, owner.clone(), me, now)?;
                    r.company = self.company.trim().to_string();
                    r.contact_name = self.contact_name.trim().to_string();
                    r.source = LeadSource::parse(self.source.trim()).unwrap_or(LeadSource::Other);
                    r.team = team.clone();
                    r.custom = custom.clone();
                    let pii = acc.pii.can_write().then(|| self.lead_pii());
                    Built::Lead(r, pii)
                }
                RecordKind::Customer => {
                    let number = placeholder(CUSTOMER_PREFIX);
                    let mut r = Customer::new(name, &number, owner.clone(), me, now)?;
                    r.industry = self.industry.trim().to_string();
                    r.region = self.region.trim().to_string();
                    r.tier = CustomerTier::parse(self.tier.trim()).unwrap_or(CustomerTier::Normal);
                    r.team = team.clone();
                    r.custom = custom.clone();
                    Built::Customer(r)
                }
                RecordKind::Contact => {
                    let mut r = Contact::new(name, customer.clone(), owner.clone(), me, now)?;
                    r.title = self.title.trim().to_string();
                    r.team = team.clone();
                    r.custom = custom.clone();
                    let pii = acc.pii.can_write().then(|| {
                        let LeadPii { phone, email } = self.lead_pii();
                        ContactPii { phone, email }
                    });
                    Built::Contact(r, pii)
                }
                RecordKind::Opportunity | RecordKind::Activity => {
                    let number = placeholder(OPPORTUNITY_PREFIX);
                    let mut r = Opportunity::new(name, &number, &stage, owner.clone(), me, now, env.dir)?;
                    r.customer = customer.clone();
                    r.expected_close = close;
                    r.team = team.clone();
                    r.custom = custom.clone();
                    let probability = env.dir.stage(&stage).map_or(0, |s| s.probability);
                    let money = acc.money.can_write().then(|| OpportunityMoney {
                        expected_amount: amount.clone(),
                        win_probability: probability,
                        quotes: Vec::new(),
                    });
                    Built::Opportunity(r, money)
                }
            })
        })();
        let built = built.map_err(|e| self.explain(e, env.locale))?;
        built.validate(env.dir).map_err(|e| self.explain(e, env.locale))?;
        Ok(built)
    }

    fn lead_pii(&self) -> LeadPii {
        LeadPii { phone: self.phone.trim().to_string(), email: self.email.trim().to_string() }
    }

    /// A domain error as a message on the field it names (the whole form when it names none we show).
    fn explain(&self, e: DomainError, locale: Locale) -> Errors {
        let (key, msg) = match &e {
            DomainError::Invalid { field, .. } => match field.as_str() {
                "phone" => ("phone".to_string(), locale.t(K::ErrPhone).to_string()),
                "email" => ("email".to_string(), locale.t(K::ErrEmail).to_string()),
                "stage" => ("stage".to_string(), locale.t(K::ErrStage).to_string()),
                f @ ("name" | "company" | "contact_name" | "title" | "industry" | "region") => {
                    (f.to_string(), e.to_string())
                }
                f if f.starts_with("custom.") => (f.to_string(), e.to_string()),
                _ => (String::new(), e.to_string()),
            },
            DomainError::UnknownStage(_) => ("stage".to_string(), locale.t(K::ErrStage).to_string()),
            _ => (String::new(), e.to_string()),
        };
        Errors::from([(key, msg)])
    }
}

impl Built {
    /// The record's own checks (against the directory) and its companion's.
    fn validate(&self, dir: &Directory) -> Result<(), DomainError> {
        match self {
            Built::Lead(r, p) => {
                r.validate(dir)?;
                p.as_ref().map_or(Ok(()), Companion::validate)
            }
            Built::Customer(r) => r.validate(dir),
            Built::Contact(r, p) => {
                r.validate(dir)?;
                p.as_ref().map_or(Ok(()), Companion::validate)
            }
            Built::Opportunity(r, m) => {
                r.validate(dir)?;
                m.as_ref().map_or(Ok(()), Companion::validate)
            }
        }
    }
}
