//! A pipeline change that would strand deals is refused by the relay itself (not only by the settings page):
//! the write gate counts each deal's stage from the catalog.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, Value, ROOT};

use super::{client, start, T};

fn stages(tx: &impl ReadDoc) -> automerge::ObjId {
    match tx.get(ROOT, "stages").unwrap() {
        Some((Value::Object(ObjType::List), id)) => id,
        other => panic!("stages: {other:?}"),
    }
}

#[tokio::test]
async fn removing_a_stage_with_deals_is_refused_by_the_relay() {
    let (hub, url, ids) = start().await;
    assert!(!ids.is_empty(), "the test company has deals in the first stage");
    let dir_id = hub.directory_doc_id();
    let mut admin = client(&url, "admin").await;
    admin.fetch(&dir_id, T).await.unwrap();

    // The first stage ("initial") holds the test deals: removing it is refused, nothing changes.
    admin
        .change(&dir_id, |tx| {
            let list = stages(tx);
            tx.delete(&list, 0)
        })
        .await
        .unwrap();
    admin.pump_until(T, "refusal", |c| c.refusal(&dir_id).is_some()).await.unwrap();
    let refused = admin.refusal(&dir_id).unwrap().refused.clone().unwrap();
    assert_eq!(refused.path, "stages");
    assert!(refused.reason.contains("still has"), "{}", refused.reason);
    assert_eq!(hub.directory().stages[0].id.as_str(), "initial");

    // Renaming a stage with deals is fine.
    let mut admin = client(&url, "admin").await;
    admin.fetch(&dir_id, T).await.unwrap();
    admin
        .change(&dir_id, |tx| {
            let list = stages(tx);
            let (_, first) = tx.get(&list, 0)?.unwrap();
            tx.put(&first, "name_en", "First call")
        })
        .await
        .unwrap();
    admin.pump_for(std::time::Duration::from_millis(300)).await.unwrap();
    assert!(admin.refusal(&dir_id).is_none(), "{:?}", admin.errors);
    let stored = hub.load(&dir_id).await.unwrap().unwrap();
    let (_, list) = stored.get(ROOT, "stages").unwrap().unwrap();
    let (_, first) = stored.get(&list, 0).unwrap().unwrap();
    assert_eq!(stored.get(&first, "name_en").unwrap().unwrap().0.as_str(), Some("First call"));
}
