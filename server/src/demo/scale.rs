//! A large synthetic slice for the client benchmark (`--demo --demo-scale N`): `N` customers and `2N`
//! opportunities (each with its money companion), all maintained/owned by one demo seller, so that one
//! signed-in user sees `3N` records. Deterministic: the same `N`, seed and `now` give the same documents.
//! Built and stored in batches so memory stays flat and `Hub::create_docs` gets bounded inputs.

use app::domain::ops::{format_number, CUSTOMER_PREFIX, OPPORTUNITY_PREFIX};
use app::domain::{
    docs, Companion, Customer, CustomerTier, Directory, DocId, DomainError, FollowUp, LeadSource, Money, Opportunity,
    OpportunityMoney, Record, StageEntry, Timestamp, UserId, DAY_MS,
};
use automerge::{ActorId, AutoCommit, Automerge};
use chrono::Datelike;
use rand::{rngs::StdRng, Rng, SeedableRng};

use super::names::{COMPANIES, PRODUCTS};

/// The demo user who owns the whole scaled slice.
pub const SCALE_OWNER: &str = "rep1";
/// Customers per `create_docs` call (each brings two opportunities and their money documents: 5 docs).
pub const BATCH: usize = 1_000;
/// Numbers of the scaled records start here, clear of the small demo company's.
const FIRST_NUMBER: u32 = 10_001;

fn doc(rng: &mut StdRng) -> AutoCommit {
    let actor: [u8; 16] = rng.random();
    AutoCommit::new().with_actor(ActorId::from(actor.to_vec()))
}

/// The documents of scaled customers `from..to` (customer `i` has opportunities `2i` and `2i+1`).
/// Each range draws from its own seed, so batches are independent and the whole set deterministic.
pub fn build_batch(
    dir: &Directory,
    now: Timestamp,
    seed: u64,
    from: usize,
    to: usize,
) -> Result<Vec<(DocId, Automerge)>, DomainError> {
    let mut rng = StdRng::seed_from_u64(seed ^ (from as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let owner = UserId::new(SCALE_OWNER);
    let team = dir.user(&owner).and_then(|u| u.team.clone());
    let year = now.date().year();
    let stages = &dir.stages;
    let open_stages: Vec<usize> = (0..stages.len()).filter(|&s| !stages[s].won).collect();
    let mut out = Vec::with_capacity((to - from) * 5);
    for i in from..to {
        let (company, industry, region) = COMPANIES[i % COMPANIES.len()];
        let created = Timestamp(now.0 - rng.random_range(30..700) * DAY_MS);
        let cid = DocId::from_bytes(rng.random());
        let cname = format!("{company} #{}", i + 1);
        let mut c = Customer::new(
            &cname,
            &format_number(CUSTOMER_PREFIX, year, FIRST_NUMBER + i as u32),
            Some(owner.clone()),
            &owner,
            created,
        )?;
        c.team = team.clone();
        c.industry = industry.to_string();
        c.region = region.to_string();
        c.tier = [CustomerTier::Key, CustomerTier::Normal, CustomerTier::Normal, CustomerTier::LowFrequency][i % 4];
        c.updated_at = created;
        c.validate(dir)?;
        let mut d = doc(&mut rng);
        docs::init_record(&mut d, &c)?;
        out.push((cid.clone(), d.document().clone()));

        for k in 0..2 {
            let n = 2 * i + k;
            let oid = DocId::from_bytes(rng.random());
            let product = PRODUCTS[n % PRODUCTS.len()];
            let stage_ix = open_stages[rng.random_range(0..open_stages.len())];
            let opened = Timestamp(created.0 + rng.random_range(1..25) * DAY_MS);
            let mut o = Opportunity::new(
                &format!("{cname} · {product}"),
                &format_number(OPPORTUNITY_PREFIX, year, FIRST_NUMBER + n as u32),
                &stages[0].id,
                Some(owner.clone()),
                &owner,
                opened,
                dir,
            )?;
            o.team = team.clone();
            o.customer = Some(cid.clone());
            o.source = LeadSource::ALL[n % LeadSource::ALL.len()];
            o.stage = stages[stage_ix].id.clone();
            o.stage_history = (0..=stage_ix)
                .map(|s| StageEntry {
                    stage: stages[s].id.clone(),
                    entered_at: Timestamp(opened.0 + s as i64 * DAY_MS),
                    by: owner.clone(),
                })
                .collect();
            // Some overdue, most ahead; never before the deal was opened.
            let close = Timestamp(now.0 + rng.random_range(-20..120) * DAY_MS);
            o.expected_close = Some(close.max(Timestamp(opened.0 + 10 * DAY_MS)));
            o.next_follow_up = Some(Timestamp(now.0 + rng.random_range(-5..20) * DAY_MS));
            if n % 3 == 0 {
                o.follow_ups = vec![FollowUp {
                    id: "f0".into(),
                    at: Timestamp(opened.0 + DAY_MS),
                    by: owner.clone(),
                    note: "首次拜访 First visit".into(),
                }];
            }
            o.updated_at = o.stage_history.last().map_or(opened, |e| e.entered_at);
            o.validate(dir)?;
            let mut d = doc(&mut rng);
            docs::init_record(&mut d, &o)?;
            out.push((oid.clone(), d.document().clone()));

            let money = OpportunityMoney {
                expected_amount: Some(Money::new(rng.random_range(50..2_000) * 100_000, "CNY")?),
                win_probability: stages[stage_ix].probability,
                quotes: Vec::new(),
            };
            money.validate()?;
            let mut d = doc(&mut rng);
            docs::init_companion(&mut d, &oid, opened, &owner, &money)?;
            out.push((oid.companion(OpportunityMoney::GROUP), d.document().clone()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::{docs::read_kind, DocKind, RecordKind};

    #[test]
    fn batches_are_deterministic_valid_and_owned_by_one_user() {
        let dir = super::super::demo_directory();
        let now = Timestamp(1_780_000_000_000);
        let a = build_batch(&dir, now, 7, 10, 20).unwrap();
        let b = build_batch(&dir, now, 7, 10, 20).unwrap();
        assert_eq!(a.len(), 50);
        assert_eq!(
            a.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
            b.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>()
        );
        let other = build_batch(&dir, now, 7, 20, 30).unwrap();
        // A larger range validates too (every branch of the random choices is taken).
        assert_eq!(build_batch(&dir, now, 7, 0, 400).unwrap().len(), 2000);
        assert!(other.iter().all(|(id, _)| a.iter().all(|(x, _)| x != id)));
        let count = |k: DocKind| a.iter().filter(|(_, d)| read_kind(d).unwrap() == Some(k)).count();
        assert_eq!(count(DocKind::Record(RecordKind::Customer)), 10);
        assert_eq!(count(DocKind::Record(RecordKind::Opportunity)), 20);
        for (_, d) in &a {
            match read_kind(d).unwrap() {
                Some(DocKind::Record(RecordKind::Opportunity)) => {
                    docs::validate_record_doc(d, &dir).unwrap();
                    let o: Opportunity = docs::read_record(d).unwrap();
                    assert_eq!(o.owner, Some(UserId::new(SCALE_OWNER)));
                }
                Some(DocKind::Record(_)) => {
                    docs::validate_record_doc(d, &dir).unwrap();
                }
                Some(DocKind::Companion(_)) => {
                    docs::validate_companion_doc(d).unwrap();
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}
