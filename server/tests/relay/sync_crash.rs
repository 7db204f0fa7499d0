//! Crash safety: clients send changes while the relay process is SIGKILLed; after a restart on the same
//! data folder every change the relay had acknowledged (its answering sync message carried the new heads)
//! is there.

use std::path::Path;
use std::time::{Duration, Instant};

use app::domain::DocId;
use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, Value, ROOT};
use server::testing::{index_items, Fetched, SyncClient, TestRelay};

const T: Duration = Duration::from_secs(10);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_crm-server"))
}

fn notes(doc: &automerge::Automerge) -> String {
    match doc.get(ROOT, "notes").ok().flatten() {
        Some((Value::Object(ObjType::Text), id)) => doc.text(&id).unwrap_or_default(),
        _ => String::new(),
    }
}

/// Appends `tag:N;` to the notes of `id` again and again; returns the N the relay acknowledged.
async fn writer(mut c: SyncClient, id: DocId, tag: &'static str) -> Vec<u64> {
    let mut acked = Vec::new();
    for n in 0u64.. {
        let mark = format!("{tag}:{n};");
        let sent = c
            .change(&id, |tx| {
                let (_, text) = tx.get(ROOT, "notes")?.expect("notes");
                let len = tx.length(&text);
                tx.splice_text(&text, len, 0, &mark)
            })
            .await;
        if sent.is_err() {
            break;
        }
        let head = c.doc(&id).unwrap().get_heads();
        let wanted = id.clone();
        let ack = c
            .pump_until(Duration::from_secs(5), "ack", |c| {
                c.docs[&wanted].state.their_heads.as_ref().is_some_and(|h| head.iter().all(|x| h.contains(x)))
            })
            .await;
        if ack.is_err() {
            break;
        }
        acked.push(n);
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_changes_survive_sigkill() {
    let mut relay = TestRelay::demo(bin(), "crash").await;
    let mut tasks = Vec::new();
    let mut ids = Vec::new();
    for (user, tag) in [("rep1", "a"), ("rep2", "b"), ("manager", "c")] {
        let (login, mut c) = relay.client(user).await;
        let index = DocId::parse(&login.index_doc).unwrap();
        let items = index_items(&mut c, &index).await;
        // The manager writes a deal of rep1's (in their team); the reps their own.
        let id = items
            .iter()
            .filter(|i| i.kind == "opportunity")
            .map(|i| i.id.clone())
            .find(|id| !ids.iter().any(|(d, _)| d == id))
            .expect("an opportunity");
        assert_eq!(c.fetch(&id, T).await.unwrap(), Fetched::Doc);
        c.pump_for(Duration::from_millis(100)).await.unwrap();
        ids.push((id.clone(), tag));
        tasks.push(tokio::spawn(writer(c, id, tag)));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    relay.kill_and_restart().await;
    let mut acked = Vec::new();
    for t in tasks {
        acked.push(t.await.unwrap());
    }
    let total: usize = acked.iter().map(|a| a.len()).sum();
    assert!(total >= 6, "clients got acknowledgements before the kill ({total} in {:?})", started.elapsed());
    let (_, mut admin) = relay.client("admin").await;
    for ((id, tag), acked) in ids.iter().zip(acked) {
        assert_eq!(admin.fetch(id, T).await.unwrap(), Fetched::Doc);
        admin.pump_for(Duration::from_millis(100)).await.unwrap();
        let text = notes(admin.doc(id).unwrap());
        for n in acked {
            assert!(text.contains(&format!("{tag}:{n};")), "acknowledged change {tag}:{n} lost after SIGKILL");
        }
    }
}
