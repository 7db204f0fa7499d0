//! The demo company's records, made deterministically from a seed: customers (with cooperation history and
//! service events), contacts, opportunities in every stage (plus won and lost ones), leads (some in the
//! unassigned pool) and activities (including complaints). Pure: `now` and the seed come in.

use app::domain::{
    docs, Activity, ActivityKind, Companion, Contact, ContactPii, CooperationEntry, Customer, CustomerEvent,
    CustomerMoney, CustomerService, CustomerTier, Directory, DocId, DomainError, FollowUp, Lead, LeadPii, LeadSource,
    LeadStatus, LongText, Money, Opportunity, OpportunityMoney, OpportunityStatus, Quote, Record, ServiceEvent,
    ServiceEventKind, StageEntry, TeamId, Timestamp, UserId, DAY_MS,
};
use automerge::{ActorId, AutoCommit, Automerge};
use rand::{rngs::StdRng, seq::IndexedRandom, Rng, SeedableRng};

use app::domain::ops::{format_number, CUSTOMER_PREFIX, OPPORTUNITY_PREFIX};
use chrono::Datelike;

use super::names::*;

const CUSTOMER_MAINTAINERS: &[&str] = &[
    "rep1",
    "rep2",
    "rep3",
    "accountmgr",
    "rep1",
    "accountmgr",
    "rep2",
    "rep3",
    "accountmgr",
    "manager",
    "rep1",
    "rep2",
    "accountmgr",
    "rep3",
];
const SELLERS: &[&str] = &["rep1", "rep2", "rep3", "manager"];
const OPPORTUNITIES: usize = 26;
const LEADS: usize = 34;
const POOL_LEADS: usize = 9;

struct Builder<'a> {
    rng: StdRng,
    dir: &'a Directory,
    now: Timestamp,
    docs: Vec<(DocId, Automerge)>,
}

fn u(id: &str) -> UserId {
    UserId::new(id)
}

impl<'a> Builder<'a> {
    fn id(&mut self) -> DocId {
        DocId::from_bytes(self.rng.random())
    }

    fn days_ago(&mut self, min: i64, max: i64) -> Timestamp {
        let d = self.rng.random_range(min..=max);
        let jitter = self.rng.random_range(0..DAY_MS / 2);
        Timestamp(self.now.0 - d * DAY_MS - jitter)
    }

    fn doc(&mut self) -> AutoCommit {
        let actor: [u8; 16] = self.rng.random();
        AutoCommit::new().with_actor(ActorId::from(actor.to_vec()))
    }

    fn record<R: Record>(&mut self, id: &DocId, r: R) -> Result<(), DomainError> {
        r.validate(self.dir)?;
        let mut doc = self.doc();
        docs::init_record(&mut doc, &r)?;
        self.docs.push((id.clone(), doc.document().clone()));
        Ok(())
    }

    /// Records carry their owner's team.
    fn team_of(&self, owner: Option<&UserId>) -> Option<TeamId> {
        owner.and_then(|o| self.dir.user(o)).and_then(|u| u.team.clone())
    }

    fn companion<C: Companion>(
        &mut self,
        record: &DocId,
        at: Timestamp,
        by: &UserId,
        c: &C,
    ) -> Result<(), DomainError> {
        c.validate()?;
        let mut doc = self.doc();
        docs::init_companion(&mut doc, record, at, by, c)?;
        self.docs.push((record.companion(C::GROUP), doc.document().clone()));
        Ok(())
    }

    fn phone(&mut self) -> String {
        format!(
            "+86 1{}{} {:04} {:04}",
            self.rng.random_range(3..=9),
            self.rng.random_range(0..=9),
            self.rng.random_range(0..10_000),
            self.rng.random_range(0..10_000)
        )
    }
}

struct Cust {
    id: DocId,
    name: String,
    owner: UserId,
    created: Timestamp,
    money: CustomerMoney,
}

/// Builds every record document of the demo company.
pub fn build(dir: &Directory, now: Timestamp, seed: u64) -> Result<Vec<(DocId, Automerge)>, DomainError> {
    let mut b = Builder { rng: StdRng::seed_from_u64(seed), dir, now, docs: Vec::new() };
    let admin = u("admin");
    let year = now.date().year();

    // Customers first (their money docs are written after the won deals add to them).
    let mut customers = Vec::new();
    for (i, owner) in CUSTOMER_MAINTAINERS.iter().enumerate() {
        let (name, _, _) = COMPANIES[i];
        let created = b.days_ago(200, 500);
        let mut money = CustomerMoney::default();
        for k in 0..b.rng.random_range(0..3) {
            let amount = b.rng.random_range(20..400) * 100_000;
            let signed = Timestamp(created.0 + b.rng.random_range(1..150) * DAY_MS);
            money.orders.insert(
                format!("order-{i}-{k}"),
                CooperationEntry {
                    title: format!("{} #{}", PRODUCTS[(i + k) % PRODUCTS.len()], k + 1),
                    amount: Money::new(amount, "CNY")?,
                    signed_at: signed,
                    opportunity: None,
                    entry_kind: Default::default(),
                    product: String::new(),
                    note: String::new(),
                },
            );
        }
        customers.push(Cust { id: b.id(), name: name.to_string(), owner: u(owner), created, money });
    }

    // Opportunities in every stage, won and lost ones too; owners follow the customer's maintainer when
    // that is a seller, else rotate through the sellers.
    let stages = dir.stages.clone();
    for i in 0..OPPORTUNITIES {
        let c = i % customers.len();
        let owner = if SELLERS.contains(&customers[c].owner.as_str()) {
            customers[c].owner.clone()
        } else {
            u(SELLERS[i % SELLERS.len()])
        };
        let lost = i % 7 == 5;
        let stage_ix = if lost { b.rng.random_range(0..stages.len() - 1) } else { i % stages.len() };
        let stage = &stages[stage_ix];
        let created = b.days_ago(20, 180).max(customers[c].created);
        let id = b.id();
        let number = format_number(OPPORTUNITY_PREFIX, year, i as u32 + 1);
        let product = PRODUCTS[i % PRODUCTS.len()];
        let name = format!("{} · {}", customers[c].name, product);
        let mut o = Opportunity::new(&name, &number, &stages[0].id, Some(owner.clone()), &owner, created, dir)?;
        o.team = b.team_of(Some(&owner));
        o.customer = Some(customers[c].id.clone());
        o.source = *LeadSource::ALL.choose(&mut b.rng).unwrap_or(&LeadSource::Other);
        let step = (now.0 - created.0) / (stage_ix as i64 + 2);
        o.stage_history = (0..=stage_ix)
            .map(|s| StageEntry {
                stage: stages[s].id.clone(),
                entered_at: Timestamp(created.0 + step * s as i64),
                by: owner.clone(),
            })
            .collect();
        o.stage = stage.id.clone();
        o.expected_close = Some(Timestamp(created.0 + b.rng.random_range(30..150) * DAY_MS));
        o.follow_ups = (0..b.rng.random_range(0..3))
            .map(|k| FollowUp {
                id: format!("f{k}"),
                at: Timestamp(created.0 + step * k as i64 + DAY_MS),
                by: owner.clone(),
                note: ACTIVITY_SUBJECTS[(i + k) % ACTIVITY_SUBJECTS.len()].to_string(),
            })
            .collect();
        o.notes = LongText::new(format!(
            "客户关注交付周期和售后支持。Customer cares about lead time and support. ({product})"
        ));
        let amount = Money::new(b.rng.random_range(50..2_000) * 100_000, "CNY")?;
        let closed = Timestamp(now.0 - b.rng.random_range(1..15) * DAY_MS).max(created);
        if lost {
            o.status = OpportunityStatus::Lost;
            o.lost_reason = Some(LOST_REASONS[i % LOST_REASONS.len()].to_string());
            o.closed_at = Some(closed);
        } else if stage.won {
            o.status = OpportunityStatus::Won;
            o.closed_at = Some(closed);
            customers[c].money.orders.insert(
                id.to_string(),
                CooperationEntry {
                    title: name.clone(),
                    amount: amount.clone(),
                    signed_at: closed,
                    opportunity: Some(id.clone()),
                    entry_kind: Default::default(),
                    product: String::new(),
                    note: String::new(),
                },
            );
        } else {
            // Some follow-ups are overdue, some due today, some later.
            o.next_follow_up = Some(Timestamp(now.0 + b.rng.random_range(-3..8) * DAY_MS));
        }
        o.updated_at = o.closed_at.unwrap_or(created).max(o.stage_history.last().map_or(created, |e| e.entered_at));
        let quotes = if stage_ix >= 2 {
            vec![Quote {
                id: "q1".into(),
                title: format!("报价 Quote {number}"),
                amount: amount.clone(),
                at: o.stage_history[2].entered_at,
            }]
        } else {
            Vec::new()
        };
        let probability = if lost { 0 } else { stage.probability };
        let money = OpportunityMoney { expected_amount: Some(amount), win_probability: probability, quotes };
        b.record(&id, o)?;
        b.companion(&id, created, &owner, &money)?;
    }

    // Customers, their money and service groups, and their contacts.
    for (i, c) in customers.iter().enumerate() {
        let (_, industry, region) = COMPANIES[i];
        let mut r = Customer::new(
            &c.name,
            &format_number(CUSTOMER_PREFIX, year, i as u32 + 1),
            Some(c.owner.clone()),
            &admin,
            c.created,
        )?;
        r.team = b.team_of(Some(&c.owner));
        r.industry = industry.to_string();
        r.region = region.to_string();
        r.tier = [CustomerTier::Key, CustomerTier::Normal, CustomerTier::Normal, CustomerTier::LowFrequency][i % 4];
        r.tags = match i % 5 {
            0 => vec!["VIP".into(), "大客户 big account".into()],
            3 => vec!["流失风险 churn-risk".into()],
            _ => Vec::new(),
        };
        r.events = vec![CustomerEvent {
            id: "e1".into(),
            at: Timestamp(c.created.0 + 5 * DAY_MS),
            title: "签订框架协议 Framework agreement signed".into(),
        }];
        r.notes = LongText::new("重要客户，每季度回访。Key account, quarterly check-ins.");
        r.updated_at = Timestamp(c.created.0 + 5 * DAY_MS);
        b.record(&c.id, r)?;
        b.companion(&c.id, c.created, &admin, &c.money)?;
        let mut events = Vec::new();
        for k in 0..b.rng.random_range(0..3) {
            let kind = [ServiceEventKind::Complaint, ServiceEventKind::Ticket, ServiceEventKind::Feedback][(i + k) % 3];
            let at = b.days_ago(1, 90);
            let open = kind == ServiceEventKind::Complaint && k == 0;
            events.push(ServiceEvent {
                id: format!("s{k}"),
                kind,
                at,
                title: COMPLAINTS[(i + k) % COMPLAINTS.len()].to_string(),
                open,
                resolved_at: if open { None } else { Some(Timestamp(at.0 + DAY_MS)) },
            });
        }
        let service = CustomerService { satisfaction: Some(b.rng.random_range(1..=5)), events };
        b.companion(&c.id, c.created, &admin, &service)?;

        for k in 0..b.rng.random_range(1..=2) {
            let person = PEOPLE[(i * 2 + k) % PEOPLE.len()];
            let id = b.id();
            let mut ct = Contact::new(person, Some(c.id.clone()), Some(c.owner.clone()), &c.owner, c.created)?;
            ct.team = b.team_of(Some(&c.owner));
            ct.title = TITLES[(i + k) % TITLES.len()].to_string();
            let pii = ContactPii {
                phone: b.phone(),
                email: format!("contact{}.{}@customer{}.example.cn", i + 1, k + 1, i + 1),
            };
            b.record(&id, ct)?;
            b.companion(&id, c.created, &c.owner, &pii)?;
        }
    }

    // Leads: a pool of unassigned ones first, the rest owned across the sellers.
    for i in 0..LEADS {
        let owner = if i < POOL_LEADS { None } else { Some(u(SELLERS[i % SELLERS.len()])) };
        let by = owner.clone().unwrap_or_else(|| u("marketing"));
        let (company, _, _) = COMPANIES[(i + CUSTOMER_MAINTAINERS.len()) % COMPANIES.len()];
        let person = PEOPLE[(i * 3 + 1) % PEOPLE.len()];
        let created = b.days_ago(0, 60);
        let id = b.id();
        let mut l = Lead::new(&format!("{company} · {}", PRODUCTS[i % PRODUCTS.len()]), owner, &by, created)?;
        l.team = b.team_of(l.owner.as_ref());
        l.company = company.to_string();
        l.contact_name = person.to_string();
        l.source = LeadSource::ALL[i % LeadSource::ALL.len()];
        l.status =
            [LeadStatus::New, LeadStatus::Contacted, LeadStatus::Qualified, LeadStatus::New, LeadStatus::Disqualified]
                [i % 5];
        l.score = b.rng.random_range(10..=95);
        l.notes = LongText::new("展会上留下名片，对移动端感兴趣。Met at the fair; interested in mobile.");
        let pii = LeadPii { phone: b.phone(), email: format!("lead{}@prospect{}.example.com", i + 1, i + 1) };
        b.record(&id, l)?;
        b.companion(&id, created, &by, &pii)?;
    }

    // Activities: sellers' calls, visits, meetings and e-mails; after-sales complaints and service visits;
    // the account manager's check-ins with their customers.
    for i in 0..30 {
        let (owner, kind, c) = if i < 20 {
            let kind = [ActivityKind::Call, ActivityKind::Visit, ActivityKind::Meeting, ActivityKind::Email][i % 4];
            (u(SELLERS[i % SELLERS.len()]), kind, i % customers.len())
        } else if i < 26 {
            let kind = if i % 2 == 0 { ActivityKind::Complaint } else { ActivityKind::Service };
            (u("aftersales"), kind, (i * 5) % customers.len())
        } else {
            let own: Vec<usize> =
                (0..customers.len()).filter(|&k| customers[k].owner.as_str() == "accountmgr").collect();
            (u("accountmgr"), ActivityKind::Visit, own[i % own.len()])
        };
        let at = b.days_ago(0, 45);
        let id = b.id();
        let subject = match kind {
            ActivityKind::Complaint => COMPLAINTS[i % COMPLAINTS.len()],
            ActivityKind::Service => "售后巡检 Service check-up",
            _ => ACTIVITY_SUBJECTS[i % ACTIVITY_SUBJECTS.len()],
        };
        let mut a = Activity::new(kind, subject, at, &owner, at)?;
        a.team = b.team_of(Some(&owner));
        a.customer = Some(customers[c].id.clone());
        a.outcome = "已记录，待跟进 Logged, follow-up pending".into();
        if i % 3 == 0 {
            a.next_step = "发送资料 Send brochure".into();
            a.next_step_at = Some(Timestamp(now.0 + b.rng.random_range(-2..5) * DAY_MS));
        }
        b.record(&id, a)?;
    }
    Ok(b.docs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::{docs::read_kind, DocKind, RecordKind};

    fn dir() -> Directory {
        super::super::demo_directory()
    }

    #[test]
    fn deterministic_and_complete() {
        let now = Timestamp(1_780_000_000_000);
        let a = build(&dir(), now, 7).unwrap();
        let b = build(&dir(), now, 7).unwrap();
        assert_eq!(
            a.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
            b.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>()
        );
        let count = |k: DocKind| a.iter().filter(|(_, d)| read_kind(d).unwrap() == Some(k)).count();
        assert_eq!(count(DocKind::Record(RecordKind::Opportunity)), OPPORTUNITIES);
        assert_eq!(count(DocKind::Record(RecordKind::Lead)), LEADS);
        assert_eq!(count(DocKind::Record(RecordKind::Customer)), CUSTOMER_MAINTAINERS.len());
        assert!(count(DocKind::Record(RecordKind::Contact)) >= CUSTOMER_MAINTAINERS.len());
        assert_eq!(count(DocKind::Record(RecordKind::Activity)), 30);
        // Every stage is used, and there are won and lost deals.
        let opps: Vec<Opportunity> = a
            .iter()
            .filter(|(_, d)| read_kind(d).unwrap() == Some(DocKind::Record(RecordKind::Opportunity)))
            .map(|(_, d)| docs::read_record(d).unwrap())
            .collect();
        for s in &dir().stages {
            assert!(opps.iter().any(|o| o.stage == s.id && o.status != OpportunityStatus::Lost), "stage {}", s.id);
        }
        assert!(opps.iter().any(|o| o.status == OpportunityStatus::Lost));
        assert!(opps.iter().any(|o| o.status == OpportunityStatus::Won));
        let leads: Vec<Lead> = a
            .iter()
            .filter(|(_, d)| read_kind(d).unwrap() == Some(DocKind::Record(RecordKind::Lead)))
            .map(|(_, d)| docs::read_record(d).unwrap())
            .collect();
        assert_eq!(leads.iter().filter(|l| l.owner.is_none()).count(), POOL_LEADS);
        // Every document validates as the relay's gate would.
        for (_, d) in &a {
            match read_kind(d).unwrap() {
                Some(DocKind::Record(_)) => {
                    docs::validate_record_doc(d, &dir()).unwrap();
                }
                Some(DocKind::Companion(_)) => {
                    docs::validate_companion_doc(d).unwrap();
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}
