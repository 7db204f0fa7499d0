//! Erasing a contact's personal data over REST (`POST /api/v1/contacts/{id}/erase`) against the real relay:
//! only admins (403 for others, 404 for what the caller cannot see), idempotent, audited without the values;
//! the `pii` companion leaves an open sync client, its index and the SQLite store (bytes included), and
//! neither REST nor a sync client can bring it back.

use std::time::Duration;

use automerge::transaction::Transactable;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::start;
use app::domain::docs::init_companion;
use app::domain::{ContactPii, DocId, FieldGroup, Timestamp, UserId};
use server::docstore::DocStore;
use server::sync::Hub;
use server::testing::{index_items, Fetched, SyncClient};

const T: Duration = Duration::from_secs(10);
const PHONE: &str = "+86 139 0571 2468";
const EMAIL: &str = "erase.me@example.com";
const NAME: &str = "Zhang Erasable";

fn refusal_path(c: &SyncClient, id: &DocId) -> Option<String> {
    c.refusal(id).and_then(|e| e.refused.as_ref()).map(|r| r.path.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_erases_a_contacts_personal_data_everywhere_for_good() {
    let s = start(|_| {}).await;
    let (admin, rep1) = (s.token("admin").await, s.token("rep1").await);
    let body = json!({"name": NAME, "pii": {"phone": PHONE, "email": EMAIL}});
    let (status, contact) = s.post("/api/v1/contacts", Some(&rep1), body).await;
    assert_eq!(status, StatusCode::CREATED, "{contact}");
    assert_eq!(contact["pii"]["phone"], PHONE);
    let id = DocId::parse(contact["id"].as_str().unwrap()).unwrap();
    let pii = id.companion(FieldGroup::Pii);
    let path = format!("/api/v1/contacts/{id}/erase");

    // rep1's device holds the companion, open.
    let mut device = SyncClient::connect(&format!("ws://{}/sync?token={rep1}", s.addr)).await.unwrap();
    assert_eq!(device.fetch(&pii, T).await.unwrap(), Fetched::Doc);
    let old_copy = device.doc(&pii).unwrap().clone();
    let index = Hub::index_doc_id_for(&UserId::new("rep1"));
    assert!(index_items(&mut device, &index).await.iter().any(|i| i.id == pii));

    // Only admins: the owner and their manager get 403; who cannot see the contact gets 404, as for an
    // unknown id; a kind without personal data is no collection to erase in.
    for who in ["rep1", "manager"] {
        let (status, body) = s.post(&path, Some(&s.token(who).await), json!({})).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::FORBIDDEN, Some("pii_erased")), "{who}: {body}");
    }
    let (status, _) = s.post(&path, Some(&s.token("analyst").await), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let unknown = format!("/api/v1/contacts/{}/erase", DocId::from_bytes([9; 16]));
    assert_eq!(s.post(&unknown, Some(&admin), json!({})).await.0, StatusCode::NOT_FOUND);
    let (_, customers) = s.get("/api/v1/customers", &admin).await;
    let customer = customers[0]["id"].as_str().unwrap();
    let (status, _) = s.post(&format!("/api/v1/customers/{customer}/erase"), Some(&admin), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(s.get(&format!("/api/v1/contacts/{id}"), &rep1).await.1["pii"]["phone"], PHONE, "nothing erased yet");

    // The admin erases: the answer carries the mark, no personal data.
    let (status, erased) = s.post(&path, Some(&admin), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["pii_erased"]["by"], "admin", "{erased}");
    assert!(erased.get("pii").is_none(), "{erased}");
    let at = erased["pii_erased"]["at"].clone();

    // The open device is told at once, its index drops the companion, and asking again gets nothing.
    device.pump_until(T, "doc-unavailable for the companion", |c| c.unavailable.contains(&pii)).await.unwrap();
    device.pump_for(Duration::from_millis(200)).await.ok();
    let items = index_items(&mut device, &index).await;
    assert!(!items.iter().any(|i| i.id == pii), "the companion left rep1's index");
    assert!(items.iter().any(|i| i.id == id), "the contact itself stays");
    assert_eq!(device.fetch(&pii, T).await.unwrap(), Fetched::Unavailable);
    let mut admin_device = SyncClient::connect(&format!("ws://{}/sync?token={admin}", s.addr)).await.unwrap();
    assert_eq!(admin_device.fetch(&pii, T).await.unwrap(), Fetched::Unavailable, "not even for an admin");
    let (_, read) = s.get(&format!("/api/v1/contacts/{id}"), &rep1).await;
    assert!(read.get("pii").is_none() && read["pii_erased"]["by"] == "admin", "{read}");

    // Audited once, naming the record and the admin, never the values.
    let entries = s.audit(&admin, "erase_pii").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!((entries[0]["actor"].as_str(), entries[0]["target"].as_str()), (Some("admin"), Some(id.as_str())));
    let text = entries[0].to_string();
    assert!(!text.contains("0571") && !text.contains(EMAIL), "{text}");

    // Idempotent: again answers the first mark, no second entry.
    let (status, again) = s.post(&path, Some(&admin), json!({})).await;
    assert_eq!((status, &again["pii_erased"]["at"]), (StatusCode::OK, &at), "{again}");
    assert_eq!(s.audit(&admin, "erase_pii").await.len(), 1);

    // Nobody brings it back: not over REST, not by replaying the old copy, not with a fresh genesis.
    for token in [&rep1, &admin] {
        let (status, body) = s.patch(&format!("/api/v1/contacts/{id}"), token, json!({"pii": {"phone": PHONE}})).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::FORBIDDEN, Some("pii")), "{body}");
    }
    // The device still holds its old copy (with the phone number): offered again from scratch, as after a
    // reinstall, it is refused.
    device.errors.clear();
    device.create(&pii, old_copy).await.unwrap();
    device.pump_until(T, "a refusal", |c| c.refusal(&pii).is_some()).await.unwrap();
    assert_eq!(refusal_path(&device, &pii).as_deref(), Some("pii"));
    let mut fresh = automerge::AutoCommit::new();
    let value = ContactPii { phone: PHONE.into(), email: String::new() };
    init_companion(&mut fresh, &id, Timestamp(0), &UserId::new("rep1"), &value).unwrap();
    admin_device.errors.clear();
    admin_device.create(&pii, fresh.document().clone()).await.unwrap();
    admin_device.pump_until(T, "a refusal", |c| c.refusal(&pii).is_some()).await.unwrap();
    assert_eq!(refusal_path(&admin_device, &pii).as_deref(), Some("pii"));
    // Nor is the mark taken off the contact.
    assert_eq!(admin_device.fetch(&id, T).await.unwrap(), Fetched::Doc);
    admin_device.change(&id, |tx| tx.delete(automerge::ROOT, "pii_erased")).await.unwrap();
    admin_device.pump_until(T, "a refusal", |c| c.refusal(&id).is_some()).await.unwrap();
    assert_eq!(refusal_path(&admin_device, &id).as_deref(), Some("pii_erased"));
    assert_eq!(s.get(&format!("/api/v1/contacts/{id}"), &admin).await.1["pii_erased"]["at"], at);
    device.close().await;
    admin_device.close().await;

    // The store has neither the companion nor its bytes (the contact's name, in the same store, is there).
    let data = s.stop_keeping_data().await;
    {
        let store = server::docstore::open_sqlite(&data).unwrap();
        assert!(store.load(&pii).unwrap().is_none());
        let listed = store.list().unwrap();
        assert!(!listed.iter().any(|(d, _)| d == &pii));
        assert!(listed.iter().any(|(d, m)| d == &id && m.pii_erased), "the mark is kept beside the contact");
    }
    let mut bytes = Vec::new();
    for file in ["crm.sqlite3", "crm.sqlite3-wal"] {
        bytes.extend(std::fs::read(data.join(file)).unwrap_or_default());
    }
    let has = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(has(NAME), "the check can see plain strings in the store");
    assert!(!has(PHONE) && !has(EMAIL), "the erased values are gone from the database file");
    let _ = std::fs::remove_dir_all(&data);
}
