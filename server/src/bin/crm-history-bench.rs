//! `crm-history-bench`: how long a record's history, an as-of view and an undo take. Prints, asserts nothing.
//!
//! Builds a deal with `--changes` changes (a mix of stage moves, renames, note edits and amount changes in
//! its money companion, each stamped a minute apart), stores them in a fresh SQLite store with their
//! provenance (one row per change, as the relay records it), then times, as the REST endpoints do them:
//! reading the provenance back, `history` over both documents, `as_of` at the middle of the record's life,
//! and `undo` of an early change. Targets (issue 13): history ≤ 200 ms, as-of ≤ 100 ms.
//!
//! Run: `cargo run --release -p server --bin crm-history-bench -- --changes 1000`.

use std::time::{Duration, Instant};

use app::domain::docs::{init_companion, init_record, read_companion, read_record, write_companion_at, write_record};
use app::domain::history::{self, Author, ProvenanceMap};
use app::domain::{
    access, Directory, DocId, FieldGroup, Money, Opportunity, OpportunityMoney, RecordKind, RecordMeta, Role, StageId,
    Timestamp, User, UserId,
};
use automerge::{AutoCommit, Automerge, ChangeHash};
use clap::Parser;
use server::docstore::{open_sqlite, DocMeta, DocStore, Origin};

#[derive(Parser, Debug)]
#[command(name = "crm-history-bench", about = "History, as-of and undo timings (prints, asserts nothing)")]
struct Args {
    /// Changes to the record (main document and money companion together).
    #[arg(long, default_value_t = 1_000)]
    changes: usize,
    /// Timed runs of each operation (the median and the worst are printed).
    #[arg(long, default_value_t = 15)]
    runs: usize,
}

const T0: i64 = 1_767_225_600_000;

fn minute(n: usize) -> Timestamp {
    Timestamp::from_millis(T0 + n as i64 * 60_000)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `f` `runs` times; prints median and worst.
fn time<T>(what: &str, runs: usize, mut f: impl FnMut() -> T) -> T {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    times.sort();
    println!("{what:<48} median {:>8.2} ms   worst {:>8.2} ms", ms(times[times.len() / 2]), ms(times[times.len() - 1]));
    last.expect("at least one run")
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rep = UserId::new("rep1");
    let mut dir = Directory::new();
    dir.users.push(User { id: rep.clone(), name: "Rep One".into(), role: Role::SalesRep, team: None, disabled: false });
    let stages: Vec<StageId> = dir.stages.iter().filter(|s| !s.won).map(|s| s.id.clone()).collect();
    let id = DocId::from_bytes(rand::random());

    // The record and its changes.
    let t = Instant::now();
    let o = Opportunity::new("ERP rollout", "OPP-2026-0001", &stages[0], Some(rep.clone()), &rep, minute(0), &dir)?;
    let mut main = AutoCommit::new();
    init_record(&mut main, &o)?;
    let mut money = AutoCommit::new();
    let m =
        OpportunityMoney { expected_amount: Some(Money::new(1_000_000, "CNY")?), win_probability: 10, quotes: vec![] };
    init_companion(&mut money, &id, minute(0), &rep, &m)?;
    let mut early: Option<ChangeHash> = None;
    for i in 1..args.changes.saturating_sub(2) {
        let at = minute(i);
        if i % 4 == 3 {
            let mut m: OpportunityMoney = read_companion(&money)?;
            m.expected_amount = Some(Money::new(1_000_000 + i as i64 * 100, "CNY")?);
            write_companion_at(&mut money, &m, at)?;
            continue;
        }
        let mut o: Opportunity = read_record(&main)?;
        match i % 4 {
            0 => o.stage = stages[i % stages.len()].clone(),
            1 => o.name = format!("ERP rollout, phase {i}"),
            _ => o.notes.set(&format!("{}\nCalled on day {i}: interested.", o.notes.as_str())),
        }
        o.updated_at = at;
        write_record(&mut main, &o)?;
        if i == 5 {
            early = main.get_heads().first().copied();
        }
    }
    let (main, money): (Automerge, Automerge) = (main.document().clone(), money.document().clone());
    let n_changes = main.get_changes(&[]).len() + money.get_changes(&[]).len();
    println!(
        "record: {n_changes} changes ({} main, {} money), built in {:.0} ms",
        main.get_changes(&[]).len(),
        money.get_changes(&[]).len(),
        ms(t.elapsed())
    );

    // Stored with provenance as the relay stores it: one row per change, received a second after it was made.
    let data = server::testing::temp_dir("history-bench");
    let store = open_sqlite(&data)?;
    let mut items = Vec::new();
    for (did, doc) in [(id.clone(), &main), (id.companion(FieldGroup::Money), &money)] {
        for c in doc.get_changes(&[]) {
            let origin = Origin {
                author: Author::User(rep.clone()),
                received_at: Timestamp::from_millis(c.timestamp() * 1000 + 1_000),
                changes: vec![c.hash()],
            };
            items.push((did.clone(), c.raw_bytes().to_vec(), DocMeta::read(doc), origin));
        }
    }
    let t = Instant::now();
    store.append_batch(&items)?;
    println!("stored {} chunks with their provenance in {:.0} ms", items.len(), ms(t.elapsed()));

    let provenance: ProvenanceMap = time("provenance of both documents (SQLite)", args.runs, || {
        let mut p = ProvenanceMap::new();
        p.extend(store.provenance(&id).expect("provenance"));
        p.extend(store.provenance(&id.companion(FieldGroup::Money)).expect("provenance"));
        p
    });
    let meta =
        RecordMeta { kind: RecordKind::Opportunity, owner: Some(rep.clone()), customer_owner: None, linked: vec![] };
    let acc = access(&rep, &dir, &meta);
    let docs = [(FieldGroup::Base, &main), (FieldGroup::Money, &money)];
    let entries = time(&format!("history of {n_changes} changes"), args.runs, || {
        let mut h = history::history(&docs, &provenance, &acc).expect("history");
        history::name_authors(&mut h, &dir);
        h
    });
    println!("  {} entries, {} KB as JSON", entries.len(), serde_json::to_vec(&entries)?.len() / 1024);
    time("history filtered to one field (stage)", args.runs, || {
        history::filter(history::history(&docs, &provenance, &acc).expect("history"), Some("stage"), None)
    });
    let middle = minute(args.changes / 2);
    let view = time("as-of view at the middle of its life", args.runs, || {
        history::as_of(&id, &main, &[(FieldGroup::Money, &money)], &provenance, &acc, middle).expect("as of")
    });
    println!("  as of {middle}: {}", view.map(|v| v.title().to_string()).unwrap_or_default());
    time("as-of view now (every change)", args.runs, || {
        history::as_of(&id, &main, &[(FieldGroup::Money, &money)], &provenance, &acc, minute(args.changes + 1))
            .expect("as of")
    });
    if let Some(early) = early {
        time("undo of an early change (skips what changed since)", args.runs, || {
            let mut doc = AutoCommit::load(&main.save()).expect("load");
            history::undo(&mut doc, &early, minute(args.changes + 2)).expect("undo")
        });
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
