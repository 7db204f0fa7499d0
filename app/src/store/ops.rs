//! Domain operations run against the device's documents: hydrate the records (main and companions) the
//! operation needs, run the pure operation from `domain::ops`, write back only what changed, rebuild views.

use automerge::AutoCommit;

use super::{Replica, Storage, StoreError};
use crate::domain::docs;
use crate::domain::ops::{self, ConversionIds, ConvertOutcome, ConvertRequest, CustomerChoice, CustomerMatch};
use crate::domain::records::{Companion, Record};
use crate::domain::{
    Customer, Directory, DocId, DomainError, Lead, LeadPii, Opportunity, OpportunityMoney, RecordView, StageId,
    Timestamp, UserId,
};

/// What converting a lead did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Converted {
    /// Customers with the same name exist: ask the user, then call again with a choice.
    Matches(Vec<CustomerMatch>),
    /// Done: the new opportunity, the customer (new or existing) and the new contact.
    Done { opportunity: DocId, customer: DocId, contact: DocId },
}

/// How to attach a converted lead to a customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerPick {
    /// A new customer unless one with the same name exists (then [`Converted::Matches`]).
    NewUnlessMatch,
    /// A new customer even if similar ones exist.
    New,
    /// This existing customer.
    Existing(DocId),
}

/// What an operation changed: documents to sync (main documents first) and the views it rebuilt.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Touched {
    pub docs: Vec<DocId>,
    pub views: Vec<(DocId, Option<RecordView>)>,
}

/// What a conversion needs to know about the device's other records (from the views the caller holds).
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// The customers, to find duplicates and the chosen existing one.
    pub customers: Vec<(DocId, Customer)>,
    /// The numbers the new records get (taken from the device's reserved blocks by the caller).
    pub numbers: NewNumbers,
}

/// Numbers for a conversion's new opportunity and (unless an existing customer is picked) customer.
#[derive(Clone, Debug, Default)]
pub struct NewNumbers {
    pub opportunity: String,
    pub customer: Option<String>,
}

impl Known {
    /// Gathers what a conversion needs from views.
    pub fn from_views<'a>(views: impl IntoIterator<Item = &'a RecordView>) -> Known {
        let mut k = Known::default();
        for v in views {
            if let RecordView::Customer(c) = v {
                k.customers.push((c.id.clone(), c.base.clone()));
            }
        }
        k
    }
}

/// What the caller decides and knows for a conversion.
#[derive(Clone, Debug)]
pub struct ConvertInput {
    pub pick: CustomerPick,
    pub ids: NewIds,
    pub known: Known,
}

/// Fresh ids for what a conversion may create.
#[derive(Clone, Debug)]
pub struct NewIds {
    pub opportunity: DocId,
    pub customer: DocId,
    pub contact: DocId,
}

impl<S: Storage> Replica<S> {
    /// Runs `f` on a record's main struct and its companion `C` (`None` when this device does not hold the
    /// companion) and writes both back. The view is rebuilt.
    pub async fn update_with_companion<R: Record, C: Companion, T>(
        &self,
        id: &DocId,
        summary: String,
        f: impl FnOnce(&mut R, Option<&mut C>) -> Result<T, DomainError>,
    ) -> Result<(T, RecordView), StoreError> {
        let cid = id.companion(C::GROUP);
        if !self.docs().load(id).await? {
            return Err(StoreError::NotFound(id.clone()));
        }
        let has_companion = self.docs().load(&cid).await?;
        let mut r: R = self.docs().read(id, docs::read_record).ok_or_else(|| StoreError::NotFound(id.clone()))??;
        let mut c: Option<C> = match has_companion {
            true => self.docs().read(&cid, docs::read_companion).transpose()?,
            false => None,
        };
        let out = f(&mut r, c.as_mut())?;
        self.write_back(id, &summary, |d| docs::write_record(d, &r)).await?;
        if let Some(c) = &c {
            self.write_back(&cid, &summary, |d| docs::write_companion(d, c)).await?;
        }
        let view = self.refresh_view(id).await?.ok_or_else(|| StoreError::NotFound(id.clone()))?;
        Ok((out, view))
    }

    async fn write_back(
        &self,
        id: &DocId,
        summary: &str,
        f: impl FnOnce(&mut AutoCommit) -> Result<(), DomainError>,
    ) -> Result<(), StoreError> {
        let before = self.docs().write(id, |d| d.get_heads());
        self.docs().write(id, f).ok_or_else(|| StoreError::NotFound(id.clone()))??;
        let after = self.docs().write(id, |d| d.get_heads());
        if before != after {
            self.docs().note_pending(id, summary.to_string());
            self.docs().persist(id).await?;
        }
        Ok(())
    }

    /// Moves an opportunity to another stage (history entry, default win probability).
    pub async fn move_stage(
        &self,
        opp: &DocId,
        to: &StageId,
        by: &UserId,
        now: Timestamp,
        dir: &Directory,
    ) -> Result<RecordView, StoreError> {
        let summary = format!("stage → {}", dir.stage(to).map(|s| s.name_en.as_str()).unwrap_or(to.as_str()));
        let ((), view) = self
            .update_with_companion::<Opportunity, OpportunityMoney, _>(opp, summary, |o, m| {
                ops::move_stage(o, m, to, by, now, dir)
            })
            .await?;
        Ok(view)
    }

    /// Loses a deal with a reason.
    pub async fn lose(&self, opp: &DocId, reason: &str, now: Timestamp) -> Result<RecordView, StoreError> {
        let ((), view) = self
            .update_with_companion::<Opportunity, OpportunityMoney, _>(opp, format!("lost: {reason}"), |o, m| {
                ops::lose(o, m, reason, now)
            })
            .await?;
        Ok(view)
    }

    /// Reopens a lost or closed deal.
    pub async fn reopen(&self, opp: &DocId, now: Timestamp, dir: &Directory) -> Result<RecordView, StoreError> {
        let ((), view) = self
            .update_with_companion::<Opportunity, OpportunityMoney, _>(opp, "reopened".into(), |o, m| {
                ops::reopen(o, m, now, dir)
            })
            .await?;
        Ok(view)
    }

    /// Wins a deal. Nothing is written into the customer's documents: its cooperation history lists won
    /// deals at read time (`relationship::cooperation_history`), so the win shows there for every reader
    /// whichever device won it, offline included. Returns the documents changed (for sync).
    pub async fn win(&self, opp: &DocId, by: &UserId, now: Timestamp, dir: &Directory) -> Result<Touched, StoreError> {
        let money_id = opp.companion(crate::domain::FieldGroup::Money);
        if !self.docs().load(opp).await? {
            return Err(StoreError::NotFound(opp.clone()));
        }
        if !self.docs().load(&money_id).await? {
            return Err(DomainError::NotAllowed("the deal's amount is not on this device".into()).into());
        }
        let mut o: Opportunity =
            self.docs().read(opp, docs::read_record).ok_or_else(|| StoreError::NotFound(opp.clone()))??;
        let mut m: OpportunityMoney = self
            .docs()
            .read(&money_id, docs::read_companion)
            .ok_or_else(|| StoreError::NotFound(money_id.clone()))??;
        ops::win(opp, &mut o, &mut m, None, by, now, dir)?;
        let summary = "won".to_string();
        self.write_back(opp, &summary, |d| docs::write_record(d, &o)).await?;
        self.write_back(&money_id, &summary, |d| docs::write_companion(d, &m)).await?;
        let mut t = Touched { docs: vec![opp.clone(), money_id], views: Vec::new() };
        t.views.push((opp.clone(), self.refresh_view(opp).await?));
        Ok(t)
    }

    /// Converts a lead into an opportunity (with its money group), a contact (with the lead's pii when this
    /// device has it) and, unless attaching to an existing one, a customer. The lead is marked converted.
    /// Returns the result and every document created or changed (for sync, main documents first).
    pub async fn convert_lead(
        &self,
        lead_id: &DocId,
        input: ConvertInput,
        by: &UserId,
        now: Timestamp,
        dir: &Directory,
    ) -> Result<(Converted, Touched), StoreError> {
        if !self.docs().load(lead_id).await? {
            return Err(StoreError::NotFound(lead_id.clone()));
        }
        let lead: Lead =
            self.docs().read(lead_id, docs::read_record).ok_or_else(|| StoreError::NotFound(lead_id.clone()))??;
        let pii_id = lead_id.companion(crate::domain::FieldGroup::Pii);
        let pii: Option<LeadPii> = match self.docs().load(&pii_id).await? {
            true => self.docs().read(&pii_id, docs::read_companion).transpose()?,
            false => None,
        };
        let ConvertInput { pick, ids, known } = input;
        let customers: Vec<(&DocId, &Customer)> = known.customers.iter().map(|(id, c)| (id, c)).collect();
        let customer_number = || {
            known
                .numbers
                .customer
                .clone()
                .ok_or_else(|| DomainError::invalid("number", "no number for the new customer"))
        };
        let choice = match pick {
            CustomerPick::Existing(id) => CustomerChoice::Existing(id),
            CustomerPick::New => CustomerChoice::New { id: ids.customer.clone(), number: customer_number()? },
            CustomerPick::NewUnlessMatch => {
                CustomerChoice::NewUnlessMatch { id: ids.customer.clone(), number: customer_number()? }
            }
        };
        let outcome = ops::convert_lead(ConvertRequest {
            lead_id,
            lead: &lead,
            lead_pii: pii.as_ref(),
            customers: &customers,
            choice,
            ids: ConversionIds {
                opportunity: ids.opportunity.clone(),
                opportunity_number: known.numbers.opportunity.clone(),
                contact: ids.contact.clone(),
            },
            by,
            now,
            dir,
        })?;
        let conv = match outcome {
            ConvertOutcome::Matches(m) => return Ok((Converted::Matches(m), Touched::default())),
            ConvertOutcome::Converted(c) => c,
        };
        let mut t = Touched::default();
        if let Some(customer) = &conv.new_customer {
            let v = self.create_record(&conv.customer_id, customer).await?;
            t.docs.push(conv.customer_id.clone());
            t.views.push((conv.customer_id.clone(), Some(v)));
        }
        let v = self.create_record(&ids.opportunity, &conv.opportunity).await?;
        t.docs.push(ids.opportunity.clone());
        t.views.push((ids.opportunity.clone(), Some(v)));
        let v = self.create_record(&ids.contact, &conv.contact).await?;
        t.docs.push(ids.contact.clone());
        t.views.push((ids.contact.clone(), Some(v)));
        let summary = "converted".to_string();
        self.write_back(lead_id, &summary, |d| docs::write_record(d, &conv.lead)).await?;
        t.views.push((lead_id.clone(), self.refresh_view(lead_id).await?));
        t.docs.push(lead_id.clone());
        let (cid, v) = self.create_companion(&ids.opportunity, &conv.opportunity_money, now, by).await?;
        t.docs.push(cid);
        t.views.push((ids.opportunity.clone(), v));
        if let Some(cp) = &conv.contact_pii {
            let (cid, v) = self.create_companion(&ids.contact, cp, now, by).await?;
            t.docs.push(cid);
            t.views.push((ids.contact.clone(), v));
        }
        let done = Converted::Done { opportunity: ids.opportunity, customer: conv.customer_id, contact: ids.contact };
        Ok((done, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Money, Role, TeamId, User};
    use crate::store::MemoryStorage;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    fn rep1() -> UserId {
        UserId::new("rep1")
    }

    fn now() -> Timestamp {
        Timestamp::from_millis(1_790_000_000_000)
    }

    fn dir() -> Directory {
        let mut d = Directory::new();
        d.users.push(User {
            id: rep1(),
            name: "Rep One".into(),
            role: Role::SalesRep,
            team: Some(TeamId::new("east")),
            disabled: false,
        });
        d
    }

    fn ids(n: u8) -> NewIds {
        NewIds {
            opportunity: DocId::from_bytes([n; 16]),
            customer: DocId::from_bytes([n + 1; 16]),
            contact: DocId::from_bytes([n + 2; 16]),
        }
    }

    #[test]
    fn convert_then_move_then_win_updates_docs_and_views() {
        block_on(async {
            let (r, _) = Replica::open(MemoryStorage::new(), 32).await.unwrap();
            let d = dir();
            let lead_id = DocId::from_bytes([1; 16]);
            let mut lead = Lead::new("Big order", Some(rep1()), &rep1(), now()).unwrap();
            lead.company = "Acme Ltd".into();
            r.create_record(&lead_id, &lead).await.unwrap();
            r.create_companion(&lead_id, &LeadPii { phone: "1".into(), email: "a@b.c".into() }, now(), &rep1())
                .await
                .unwrap();

            let numbers = NewNumbers { opportunity: "OPP-2026-0001".into(), customer: Some("CUS-2026-P0000AB".into()) };
            let known = Known { numbers: numbers.clone(), ..Known::default() };
            let input = ConvertInput { pick: CustomerPick::NewUnlessMatch, ids: ids(10), known };
            let (done, changed) = r.convert_lead(&lead_id, input, &rep1(), now(), &d).await.unwrap();
            let Converted::Done { opportunity, customer, contact } = done else { panic!("matches?") };
            assert_eq!(changed.docs.len(), 6, "customer, opportunity, contact, lead, money, contact pii");
            let customer_view = r.view(&customer).await.unwrap();
            assert!(matches!(customer_view, Some(RecordView::Customer(_))));
            assert!(matches!(r.view(&contact).await.unwrap(), Some(RecordView::Contact(c)) if c.pii.is_some()));
            let Some(RecordView::Lead(l)) = r.view(&lead_id).await.unwrap() else { panic!() };
            assert_eq!(l.base.opportunity.as_ref(), Some(&opportunity));

            // A second lead of the same company finds the match.
            let lead2 = DocId::from_bytes([2; 16]);
            let mut l2 = Lead::new("Second order", Some(rep1()), &rep1(), now()).unwrap();
            l2.company = "ACME ltd".into();
            r.create_record(&lead2, &l2).await.unwrap();
            let known = Known { numbers, ..Known::from_views(customer_view.iter()) };
            let input = ConvertInput { pick: CustomerPick::NewUnlessMatch, ids: ids(20), known };
            let (m, changed) = r.convert_lead(&lead2, input, &rep1(), now(), &d).await.unwrap();
            assert!(matches!(m, Converted::Matches(ref v) if v.len() == 1 && v[0].id == customer), "{m:?}");
            assert!(changed.docs.is_empty());

            let second = d.stages[1].id.clone();
            let view = r.move_stage(&opportunity, &second, &rep1(), now(), &d).await.unwrap();
            let RecordView::Opportunity(o) = view else { panic!() };
            assert_eq!(o.base.stage, second);
            assert_eq!(o.base.stage_history.len(), 2);

            r.update_with_companion::<Opportunity, OpportunityMoney, _>(&opportunity, "amount".into(), |o, m| {
                m.unwrap().expected_amount = Some(Money::new(500_000, "CNY")?);
                o.expected_close = Some(now());
                Ok(())
            })
            .await
            .unwrap();
            let changed = r.win(&opportunity, &rep1(), now(), &d).await.unwrap();
            assert_eq!(changed.docs.len(), 2, "the deal and its money: the customer's history is read from won deals");
            let Some(RecordView::Opportunity(o)) = r.view(&opportunity).await.unwrap() else { panic!() };
            assert_eq!(o.base.status, crate::domain::OpportunityStatus::Won);

            let err = r.lose(&opportunity, "too late", now()).await.unwrap_err();
            assert!(matches!(err, StoreError::Domain(_)), "{err:?}");
        });
    }
}
