//! Property: replicas of a record's documents that receive the same changes, merged in any order, end
//! with the same heads and the same materialized view.

use automerge::{ActorId, AutoCommit};
use proptest::prelude::*;

use super::{init_companion, init_record, read_companion, read_record, write_companion, write_record, RecordView};
use crate::domain::ops::{lose, move_stage, reopen};
use crate::domain::testkit::{company, u};
use crate::domain::{DocId, FieldGroup, FollowUp, Money, Opportunity, OpportunityMoney, StageId, Timestamp};

const T0: Timestamp = Timestamp(1_767_225_600_000);

#[derive(Clone, Debug)]
enum Op {
    Name(usize, String),
    Insert(usize, usize, String),
    Delete(usize, usize, usize),
    Stage(usize, usize),
    Lose(usize),
    Reopen(usize),
    Amount(usize, i64),
    FollowUp(usize, u8),
    /// Replica `.1` receives everything replica `.0` has (a partial sync mid-way).
    Merge(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let r = 0..4usize;
    prop_oneof![
        (r.clone(), "[a-z 商机]{1,8}").prop_map(|(i, s)| Op::Name(i, s)),
        (r.clone(), 0..40usize, "[a-z 笔记]{1,4}").prop_map(|(i, p, s)| Op::Insert(i, p, s)),
        (r.clone(), 0..40usize, 1..4usize).prop_map(|(i, p, n)| Op::Delete(i, p, n)),
        (r.clone(), 0..4usize).prop_map(|(i, s)| Op::Stage(i, s)),
        r.clone().prop_map(Op::Lose),
        r.clone().prop_map(Op::Reopen),
        (r.clone(), 0..1_000_000i64).prop_map(|(i, a)| Op::Amount(i, a)),
        (r.clone(), any::<u8>()).prop_map(|(i, n)| Op::FollowUp(i, n)),
        (r.clone(), r).prop_map(|(a, b)| Op::Merge(a, b)),
    ]
}

struct Replica {
    main: AutoCommit,
    money: AutoCommit,
}

fn apply(replicas: &mut [Replica], op: &Op, step: i64) {
    let n = replicas.len();
    let dir = company();
    let now = T0.plus_days(step);
    // Operations may be refused by the domain (e.g. moving a lost deal); that is fine, nothing panics.
    let edit = |rep: &mut Replica, f: &mut dyn FnMut(&mut Opportunity, &mut OpportunityMoney)| {
        let mut o: Opportunity = read_record(&rep.main).unwrap();
        let mut m: OpportunityMoney = read_companion(&rep.money).unwrap();
        f(&mut o, &mut m);
        write_record(&mut rep.main, &o).unwrap();
        write_companion(&mut rep.money, &m).unwrap();
    };
    match op {
        Op::Name(i, s) => edit(&mut replicas[i % n], &mut |o, _| o.name = s.clone()),
        Op::Insert(i, p, s) => edit(&mut replicas[i % n], &mut |o, _| {
            let at = p % (o.notes.char_len() + 1);
            o.notes.splice(at, 0, s).unwrap();
        }),
        Op::Delete(i, p, len) => edit(&mut replicas[i % n], &mut |o, _| {
            let l = o.notes.char_len();
            if l > 0 {
                let at = p % l;
                let _ = o.notes.splice(at, (*len).min(l - at), "");
            }
        }),
        Op::Stage(i, s) => edit(&mut replicas[i % n], &mut |o, m| {
            let to = dir.stages[s % 4].id.clone();
            let _ = move_stage(o, Some(m), &to, &u("rep1"), now, &dir);
        }),
        Op::Lose(i) => edit(&mut replicas[i % n], &mut |o, m| {
            let _ = lose(o, Some(m), "price", now);
        }),
        Op::Reopen(i) => edit(&mut replicas[i % n], &mut |o, m| {
            let _ = reopen(o, Some(m), now, &dir);
        }),
        Op::Amount(i, a) => {
            edit(&mut replicas[i % n], &mut |_, m| m.expected_amount = Some(Money::new(*a, "CNY").unwrap()))
        }
        Op::FollowUp(i, k) => edit(&mut replicas[i % n], &mut |o, _| {
            o.follow_ups.push(FollowUp {
                id: format!("f{k}-{step}"),
                at: now,
                by: u("rep1"),
                note: format!("note {k}"),
            })
        }),
        Op::Merge(a, b) => {
            let (a, b) = (a % n, b % n);
            if a != b {
                let mut main = replicas[a].main.clone();
                let mut money = replicas[a].money.clone();
                replicas[b].main.merge(&mut main).unwrap();
                replicas[b].money.merge(&mut money).unwrap();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_in_any_merge_order(
        n in 2..=4usize,
        ops in prop::collection::vec(op(), 1..30),
        order_keys in prop::collection::vec(any::<u32>(), 4),
    ) {
        let dir = company();
        let id = DocId::from_bytes([1; 16]);
        let mut o = Opportunity::new("Deal", "OPP-2026-0001", &StageId::new("initial"), Some(u("rep1")), &u("rep1"), T0, &dir).unwrap();
        o.notes = "start".into();
        o.expected_close = Some(T0.plus_days(60));
        let mut main = AutoCommit::new().with_actor(ActorId::from(vec![100; 16]));
        init_record(&mut main, &o).unwrap();
        let mut money = AutoCommit::new().with_actor(ActorId::from(vec![100; 16]));
        init_companion(&mut money, &id, T0, &u("rep1"), &OpportunityMoney { win_probability: 10, ..Default::default() }).unwrap();
        let mut replicas: Vec<Replica> = (0..n)
            .map(|i| Replica {
                main: main.fork().with_actor(ActorId::from(vec![i as u8 + 1; 16])),
                money: money.fork().with_actor(ActorId::from(vec![i as u8 + 1; 16])),
            })
            .collect();
        for (step, op) in ops.iter().enumerate() {
            apply(&mut replicas, op, step as i64);
        }
        // Merge everything into every replica, each in its own order.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|i| order_keys[*i]);
        let snapshot: Vec<(AutoCommit, AutoCommit)> = replicas.iter().map(|r| (r.main.clone(), r.money.clone())).collect();
        for (k, r) in replicas.iter_mut().enumerate() {
            let rotated = order.iter().cycle().skip(k).take(n);
            for &j in rotated {
                let (mut m, mut c) = snapshot[j].clone();
                r.main.merge(&mut m).unwrap();
                r.money.merge(&mut c).unwrap();
            }
        }
        let view = |r: &Replica| RecordView::from_docs(&id, &r.main, &[(FieldGroup::Money, &r.money)]).unwrap();
        let first = view(&replicas[0]);
        let mut heads0 = (replicas[0].main.get_heads(), replicas[0].money.get_heads());
        heads0.0.sort();
        heads0.1.sort();
        for r in replicas.iter_mut() {
            let mut h = (r.main.get_heads(), r.money.get_heads());
            h.0.sort();
            h.1.sort();
            prop_assert_eq!(&h, &heads0);
            prop_assert_eq!(view(r), first.clone());
        }
        // The merged record still reads as a record (it may fail validation, e.g. won and lost at once,
        // which the relay's gate would have refused on the way in).
        let merged: Opportunity = read_record(&replicas[0].main).unwrap();
        prop_assert!(!merged.stage_history.is_empty());
    }
}
