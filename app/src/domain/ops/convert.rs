//! Converting a qualified lead into an opportunity, a customer (new or existing) and a contact.

use crate::domain::vocab::normalize_name;
use crate::domain::{
    Contact, ContactPii, Customer, Directory, DocId, DomainError, Lead, LeadPii, LeadStatus, Opportunity,
    OpportunityMoney, Timestamp, UserId,
};

/// The ids and number the caller allocated for the new records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversionIds {
    pub opportunity: DocId,
    pub opportunity_number: String,
    pub contact: DocId,
}

/// Which customer the new opportunity belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerChoice {
    /// Create a customer unless one with the same (normalized) name exists; then return the matches
    /// so the user can choose.
    NewUnlessMatch { id: DocId, number: String },
    /// Create a customer even though similar ones exist (the user chose so).
    New { id: DocId, number: String },
    /// Attach to this existing customer.
    Existing(DocId),
}

/// An existing customer whose name matches the lead's company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerMatch {
    pub id: DocId,
    pub name: String,
    pub number: String,
    pub owner: Option<UserId>,
}

/// The records a conversion produces; the caller writes them into documents.
#[derive(Clone, Debug, PartialEq)]
pub struct Conversion {
    /// The lead, now `converted` and pointing at the opportunity.
    pub lead: Lead,
    pub opportunity: Opportunity,
    pub opportunity_money: OpportunityMoney,
    pub customer_id: DocId,
    /// The customer to create, when not attaching to an existing one.
    pub new_customer: Option<Customer>,
    pub contact: Contact,
    /// The lead's phone and e-mail, carried over when the caller could read them.
    pub contact_pii: Option<ContactPii>,
}

/// Either the conversion, or the existing customers the user must choose between first.
#[derive(Clone, Debug, PartialEq)]
pub enum ConvertOutcome {
    Converted(Box<Conversion>),
    Matches(Vec<CustomerMatch>),
}

/// Everything a conversion needs.
#[derive(Clone, Debug)]
pub struct ConvertRequest<'a> {
    pub lead_id: &'a DocId,
    pub lead: &'a Lead,
    pub lead_pii: Option<&'a LeadPii>,
    /// The customers the caller knows, to find duplicates and the chosen existing one.
    pub customers: &'a [(&'a DocId, &'a Customer)],
    pub choice: CustomerChoice,
    pub ids: ConversionIds,
    pub by: &'a UserId,
    pub now: Timestamp,
    pub dir: &'a Directory,
}

/// Existing customers whose normalized name equals `name`'s.
pub fn customer_matches(name: &str, customers: &[(&DocId, &Customer)]) -> Vec<CustomerMatch> {
    let want = normalize_name(name);
    if want.is_empty() {
        return Vec::new();
    }
    customers
        .iter()
        .filter(|(_, c)| normalize_name(&c.name) == want)
        .map(|(id, c)| CustomerMatch {
            id: (*id).clone(),
            name: c.name.clone(),
            number: c.number.clone(),
            owner: c.owner.clone(),
        })
        .collect()
}

/// Converts a lead. The opportunity starts in the directory's first stage with that stage's win
/// probability; it, the customer and the contact belong to the lead's owner (or `by` for a pool lead),
/// in that owner's team.
pub fn convert_lead(req: ConvertRequest<'_>) -> Result<ConvertOutcome, DomainError> {
    let ConvertRequest { lead_id, lead, lead_pii, customers, choice, ids, by, now, dir } = req;
    match lead.status {
        LeadStatus::Converted => return Err(DomainError::NotAllowed("the lead is already converted".into())),
        LeadStatus::Disqualified => {
            return Err(DomainError::NotAllowed("a disqualified lead cannot be converted".into()))
        }
        _ => {}
    }
    let first = dir.stages.first().ok_or_else(|| DomainError::invalid("stage", "the directory defines no stages"))?;
    let owner = lead.owner.clone().unwrap_or_else(|| by.clone());
    let team = dir.user(&owner).and_then(|u| u.team.clone());
    let customer_name = if lead.company.trim().is_empty() { lead.name.as_str() } else { lead.company.as_str() };

    let forced = matches!(choice, CustomerChoice::New { .. });
    let (customer_id, new_customer) = match choice {
        CustomerChoice::Existing(id) => {
            if !customers.iter().any(|(c, _)| **c == id) {
                return Err(DomainError::invalid("customer", format!("unknown customer {id}")));
            }
            (id, None)
        }
        CustomerChoice::NewUnlessMatch { id, number } | CustomerChoice::New { id, number } => {
            let matches = customer_matches(customer_name, customers);
            if !matches.is_empty() && !forced {
                return Ok(ConvertOutcome::Matches(matches));
            }
            if customers.iter().any(|(c, _)| **c == id) {
                return Err(DomainError::invalid("customer", "that customer id is already in use"));
            }
            let mut c = Customer::new(customer_name, &number, Some(owner.clone()), by, now)?;
            c.team = team.clone();
            (id, Some(c))
        }
    };

    let mut opportunity =
        Opportunity::new(&lead.name, &ids.opportunity_number, &first.id, Some(owner.clone()), by, now, dir)?;
    opportunity.team = team.clone();
    opportunity.customer = Some(customer_id.clone());
    opportunity.contact = Some(ids.contact.clone());
    opportunity.lead = Some(lead_id.clone());
    opportunity.source = lead.source;
    let opportunity_money =
        OpportunityMoney { expected_amount: None, win_probability: first.probability, quotes: Vec::new() };

    let contact_name =
        if lead.contact_name.trim().is_empty() { lead.name.as_str() } else { lead.contact_name.as_str() };
    let mut contact = Contact::new(contact_name, Some(customer_id.clone()), Some(owner), by, now)?;
    contact.team = team;
    let contact_pii = lead_pii.map(|p| ContactPii { phone: p.phone.clone(), email: p.email.clone() });

    let mut converted = lead.clone();
    converted.status = LeadStatus::Converted;
    converted.opportunity = Some(ids.opportunity.clone());
    converted.updated_at = now.max(lead.updated_at);

    Ok(ConvertOutcome::Converted(Box::new(Conversion {
        lead: converted,
        opportunity,
        opportunity_money,
        customer_id,
        new_customer,
        contact,
        contact_pii,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::{company, u};
    use crate::domain::{LeadSource, Record, StageId};

    const NOW: Timestamp = Timestamp(1_767_225_600_000);

    fn id(n: u8) -> DocId {
        DocId::from_bytes([n; 16])
    }

    fn lead() -> Lead {
        let mut l = Lead::new("ERP upgrade", Some(u("rep1")), &u("marketing"), Timestamp(NOW.0 - 1000)).unwrap();
        l.company = "Acme Co., Ltd.".into();
        l.contact_name = "Li Lei".into();
        l.source = LeadSource::Referral;
        l.status = LeadStatus::Qualified;
        l
    }

    fn ids() -> ConversionIds {
        ConversionIds { opportunity: id(2), opportunity_number: "OPP-2026-0001".into(), contact: id(4) }
    }

    fn req<'a>(
        lead: &'a Lead,
        pii: Option<&'a LeadPii>,
        customers: &'a [(&'a DocId, &'a Customer)],
        choice: CustomerChoice,
        dir: &'a Directory,
    ) -> ConvertRequest<'a> {
        static LEAD_ID: std::sync::OnceLock<DocId> = std::sync::OnceLock::new();
        static BY: std::sync::OnceLock<UserId> = std::sync::OnceLock::new();
        ConvertRequest {
            lead_id: LEAD_ID.get_or_init(|| id(1)),
            lead,
            lead_pii: pii,
            customers,
            choice,
            ids: ids(),
            by: BY.get_or_init(|| u("rep1")),
            now: NOW,
            dir,
        }
    }

    #[test]
    fn converts_into_new_customer_opportunity_and_contact() {
        let dir = company();
        let l = lead();
        let pii = LeadPii { phone: "13800138000".into(), email: "li@acme.cn".into() };
        let choice = CustomerChoice::NewUnlessMatch { id: id(3), number: "CUS-2026-0001".into() };
        let ConvertOutcome::Converted(c) = convert_lead(req(&l, Some(&pii), &[], choice, &dir)).unwrap() else {
            panic!("expected a conversion")
        };
        assert_eq!(c.lead.status, LeadStatus::Converted);
        assert_eq!(c.lead.opportunity, Some(id(2)));
        assert_eq!(c.opportunity.stage, StageId::new("initial"));
        assert_eq!(c.opportunity.customer, Some(id(3)));
        assert_eq!(c.opportunity.contact, Some(id(4)));
        assert_eq!(c.opportunity.lead, Some(id(1)));
        assert_eq!(c.opportunity.source, LeadSource::Referral);
        assert_eq!(c.opportunity.owner, Some(u("rep1")));
        assert_eq!(c.opportunity.team, Some(crate::domain::TeamId::new("east")));
        assert_eq!(c.opportunity_money.win_probability, 10);
        let cust = c.new_customer.as_ref().unwrap();
        assert_eq!((cust.name.as_str(), cust.number.as_str()), ("Acme Co., Ltd.", "CUS-2026-0001"));
        assert_eq!(c.contact.name, "Li Lei");
        assert_eq!(c.contact.customer, Some(id(3)));
        assert_eq!(c.contact_pii.as_ref().unwrap().email, "li@acme.cn");
        c.lead.validate(&dir).unwrap();
        c.opportunity.validate(&dir).unwrap();
        c.contact.validate(&dir).unwrap();
        cust.validate(&dir).unwrap();
    }

    #[test]
    fn returns_matches_instead_of_a_duplicate_customer() {
        let dir = company();
        let l = lead();
        let existing =
            Customer::new("ACME co ltd", "CUS-2025-0009", Some(u("rep1")), &u("rep1"), Timestamp(0)).unwrap();
        let other = Customer::new("Globex", "CUS-2025-0010", None, &u("rep1"), Timestamp(0)).unwrap();
        let (e, o) = (id(7), id(8));
        let customers = [(&e, &existing), (&o, &other)];
        let choice = CustomerChoice::NewUnlessMatch { id: id(3), number: "CUS-2026-0001".into() };
        let out = convert_lead(req(&l, None, &customers, choice, &dir)).unwrap();
        let ConvertOutcome::Matches(m) = out else { panic!("expected matches") };
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].id.clone(), m[0].number.as_str()), (id(7), "CUS-2025-0009"));

        // The user picks the existing one ...
        let out = convert_lead(req(&l, None, &customers, CustomerChoice::Existing(id(7)), &dir)).unwrap();
        let ConvertOutcome::Converted(c) = out else { panic!("expected a conversion") };
        assert_eq!((c.customer_id.clone(), c.new_customer.is_none()), (id(7), true));
        assert_eq!(c.opportunity.customer, Some(id(7)));
        assert!(c.contact_pii.is_none());
        // ... or insists on a new one.
        let choice = CustomerChoice::New { id: id(3), number: "CUS-2026-0001".into() };
        let ConvertOutcome::Converted(c) = convert_lead(req(&l, None, &customers, choice, &dir)).unwrap() else {
            panic!("expected a conversion")
        };
        assert!(c.new_customer.is_some());
    }

    #[test]
    fn refuses_converted_disqualified_and_unknown_customers() {
        let dir = company();
        let mut l = lead();
        let r = convert_lead(req(&l, None, &[], CustomerChoice::Existing(id(9)), &dir));
        assert_eq!(r.unwrap_err().to_string(), format!("customer: unknown customer {}", id(9)));
        l.status = LeadStatus::Disqualified;
        let choice = CustomerChoice::New { id: id(3), number: "CUS-2026-0001".into() };
        assert!(matches!(convert_lead(req(&l, None, &[], choice.clone(), &dir)), Err(DomainError::NotAllowed(_))));
        l.status = LeadStatus::Converted;
        assert!(matches!(convert_lead(req(&l, None, &[], choice, &dir)), Err(DomainError::NotAllowed(_))));
    }

    #[test]
    fn pool_leads_go_to_the_converting_user() {
        let dir = company();
        let mut l = lead();
        l.owner = None;
        l.company.clear();
        let choice = CustomerChoice::New { id: id(3), number: "CUS-2026-0001".into() };
        let ConvertOutcome::Converted(c) = convert_lead(req(&l, None, &[], choice, &dir)).unwrap() else {
            panic!("expected a conversion")
        };
        assert_eq!(c.opportunity.owner, Some(u("rep1")));
        assert_eq!(c.new_customer.unwrap().name, "ERP upgrade", "falls back to the lead's name");
    }
}
