//! The role matrix over the demo company, on the real relay: for every user, the documents they receive by
//! sync (and list by REST) are exactly what `app::domain::access` allows, their index document lists exactly
//! those, and no frame they receive carries a byte of a document they may not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use app::domain::{access, companion_groups, Directory, DocId, DocKind, FieldGroup, LinkedRecord, RecordMeta, UserId};
use app::protocol::{self, Message};
use automerge::{transaction::Transactable, Automerge, ReadDoc, ROOT};
use server::docstore::DocMeta;
use server::testing::{get_json, index_items, Fetched, TestRelay};

const T: Duration = Duration::from_secs(10);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_crm-server"))
}

/// Every string value in a document (for the byte-leak check), at any depth.
fn strings(doc: &Automerge, obj: &automerge::ObjId, out: &mut Vec<String>) {
    for item in doc.map_range(obj, ..) {
        match item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => out.push(s.to_string()),
            automerge::ValueRef::Object(_) => strings(doc, &item.id(), out),
            _ => {}
        }
    }
    for item in doc.list_range(obj, ..) {
        match item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => out.push(s.to_string()),
            automerge::ValueRef::Object(_) => strings(doc, &item.id(), out),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_receives_exactly_its_slice() {
    let relay = TestRelay::demo(bin(), "roles").await;
    // The admin sees everything: the ground truth of which documents exist and what they hold.
    let (admin_login, mut admin) = relay.client("admin").await;
    let admin_index = DocId::parse(&admin_login.index_doc).unwrap();
    let all = index_items(&mut admin, &admin_index).await;
    assert!(all.len() > 20, "the demo company has records: {}", all.len());
    let dir_id = DocId::parse(&admin_login.directory_doc).unwrap();
    assert_eq!(admin.fetch(&dir_id, T).await.unwrap(), Fetched::Doc);
    let dir: Directory = autosurgeon::hydrate(admin.doc(&dir_id).unwrap()).unwrap();
    let mut metas: BTreeMap<DocId, DocMeta> = BTreeMap::new();
    let mut docs: BTreeMap<DocId, Automerge> = BTreeMap::new();
    let all_ids: Vec<DocId> = all.iter().map(|i| i.id.clone()).collect();
    admin.fetch_many(&all_ids, T).await.unwrap();
    admin.pump_for(Duration::from_millis(200)).await.unwrap();
    for item in &all {
        assert!(!admin.unavailable.contains(&item.id), "admin reads {item:?}");
        let d = admin.doc(&item.id).unwrap().clone();
        metas.insert(item.id.clone(), DocMeta::read(&d));
        docs.insert(item.id.clone(), d);
    }
    let record_meta = |id: &DocId| -> Option<RecordMeta> {
        let m = metas.get(id)?;
        let Some(DocKind::Record(kind)) = m.kind else { return None };
        let customer_owner = m.customer.as_ref().and_then(|c| metas.get(c)).and_then(|c| c.owner.clone());
        // Records linking to a customer (whose readers read the customer's main document too).
        let linked = metas
            .values()
            .filter(|l| l.customer.as_ref() == Some(id))
            .filter_map(|l| match l.kind {
                Some(DocKind::Record(kind)) => Some(LinkedRecord { kind, owner: l.owner.clone() }),
                _ => None,
            })
            .collect();
        Some(RecordMeta { kind, owner: m.owner.clone(), customer_owner, linked })
    };
    let expected = |user: &UserId| -> BTreeSet<DocId> {
        let mut out = BTreeSet::new();
        for (id, m) in &metas {
            match m.kind {
                Some(DocKind::Record(_)) if access(user, &dir, &record_meta(id).unwrap()).visible() => {
                    out.insert(id.clone());
                }
                Some(DocKind::Companion(g)) => {
                    let rec = record_meta(m.record.as_ref().unwrap()).unwrap();
                    if companion_groups(rec.kind).contains(&g) && access(user, &dir, &rec).group(g).can_read() {
                        out.insert(id.clone());
                    }
                }
                _ => {}
            }
        }
        out
    };
    // Every role of the demo company, each must see something different.
    let users: Vec<UserId> = dir.users.iter().filter(|u| !u.disabled).map(|u| u.id.clone()).collect();
    assert!(users.len() >= 9, "demo users: {users:?}");
    let mut slices = BTreeSet::new();
    for user in &users {
        let want = expected(user);
        let (login, mut c) = relay.client(user.as_str()).await;
        c.keep_frames = true;
        let index_id = DocId::parse(&login.index_doc).unwrap();
        let index: BTreeSet<DocId> = index_items(&mut c, &index_id).await.into_iter().map(|i| i.id).collect();
        assert_eq!(index, want, "{user}: index document lists exactly the readable documents");
        // Ask for every document of the company, and for the other users' index documents.
        let ids: Vec<DocId> = metas.keys().cloned().collect();
        c.fetch_many(&ids, T).await.unwrap();
        let got: BTreeSet<DocId> = ids.iter().filter(|id| !c.unavailable.contains(*id)).cloned().collect();
        assert_eq!(got, want, "{user}: documents received by sync");
        let others: Vec<DocId> = users.iter().filter(|o| *o != user).map(server::sync::Hub::index_doc_id_for).collect();
        c.fetch_many(&others, T).await.unwrap();
        assert!(others.iter().all(|o| c.unavailable.contains(o)), "{user} reads another user's index");
        assert_eq!(c.fetch(&dir_id, T).await.unwrap(), Fetched::Doc, "{user} reads the directory");
        // No frame is about a hidden document, and no frame holds a hidden document's text.
        let hidden: Vec<&DocId> = metas.keys().filter(|id| !want.contains(*id)).collect();
        let mut secrets = Vec::new();
        for id in &hidden {
            let mut s = Vec::new();
            strings(&docs[*id], &ROOT, &mut s);
            secrets.extend(
                s.into_iter().filter(|s| s.len() >= 8 && !s.chars().all(|c| c.is_ascii_lowercase() || c == '_')),
            );
        }
        // A secret that also appears in a visible document (e.g. a shared customer name) is not a leak.
        let mut visible_text = Vec::new();
        for id in want.iter() {
            strings(&docs[id], &ROOT, &mut visible_text);
        }
        secrets.retain(|s| !visible_text.iter().any(|v| v.contains(s.as_str())));
        secrets.retain(|s| !hidden.iter().any(|h| h.as_str() == s) && DocId::parse(s).is_err());
        for frame in &c.frames {
            match protocol::decode(frame).unwrap() {
                Message::Sync(s) | Message::Request(s) => {
                    assert!(
                        !hidden.contains(&&s.document_id),
                        "{user} received a sync message for hidden document {}",
                        s.document_id
                    );
                }
                Message::Ephemeral(e) => assert!(!hidden.contains(&&e.document_id)),
                _ => {}
            }
            for secret in &secrets {
                assert!(
                    !frame.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{user} received bytes of hidden text {secret:?}"
                );
            }
        }
        // REST lists the same records (main documents) the policy allows.
        let mut rest = BTreeSet::new();
        for kind in app::domain::RecordKind::ALL {
            let body = get_json(relay.relay().addr, &format!("/api/v1/{}", kind.plural()), &login.token).await.unwrap();
            let items = body
                .as_array()
                .cloned()
                .or_else(|| body.get("items").and_then(|v| v.as_array()).cloned())
                .unwrap_or_default();
            for item in items {
                rest.insert(DocId::parse(item["id"].as_str().unwrap()).unwrap());
            }
        }
        let want_records: BTreeSet<DocId> =
            want.iter().filter(|id| matches!(metas[*id].kind, Some(DocKind::Record(_)))).cloned().collect();
        assert_eq!(rest, want_records, "{user}: records listed by REST");
        slices.insert(want.into_iter().collect::<Vec<_>>());
        c.close().await;
    }
    assert!(slices.len() >= 6, "the roles see different slices");
    // The demo company has deals of rep1's whose customer someone else maintains: rep1 reads those
    // customers' main documents (their names), never their companions.
    let rep1 = UserId::new("rep1");
    let through_deals: Vec<&DocId> = metas
        .iter()
        .filter(|(id, m)| {
            m.kind == Some(DocKind::Record(app::domain::RecordKind::Customer))
                && m.owner.as_ref() != Some(&rep1)
                && metas.values().any(|d| d.customer.as_ref() == Some(*id) && d.owner.as_ref() == Some(&rep1))
        })
        .map(|(id, _)| id)
        .collect();
    assert!(!through_deals.is_empty(), "rep1 has deals of customers maintained by others");
    let rep1_slice = expected(&rep1);
    for c in through_deals {
        assert!(rep1_slice.contains(c), "rep1 reads customer {c} of their deal");
        assert!(!rep1_slice.contains(&c.companion(FieldGroup::Money)), "rep1 never reads its money");
    }
}

/// Right after a manager hands a deal of rep1's customer to rep2, rep2 reads that customer's main document
/// (its name) by sync and REST, and still none of its companions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reassigned_deal_brings_its_customer_name() {
    let relay = TestRelay::demo(bin(), "roles-reassign").await;
    let (rep1_login, mut rep1) = relay.client("rep1").await;
    let rep1_items = index_items(&mut rep1, &DocId::parse(&rep1_login.index_doc).unwrap()).await;
    let ids: Vec<DocId> = rep1_items.iter().filter(|i| i.kind == "opportunity").map(|i| i.id.clone()).collect();
    rep1.fetch_many(&ids, T).await.unwrap();
    let meta = |c: &server::testing::SyncClient, id: &DocId| DocMeta::read(c.doc(id).unwrap());
    let (rep2_login, mut rep2) = relay.client("rep2").await;
    let rep2_index = DocId::parse(&rep2_login.index_doc).unwrap();
    let rep2_before: BTreeSet<DocId> = index_items(&mut rep2, &rep2_index).await.into_iter().map(|i| i.id).collect();
    // A deal of a customer rep1 maintains that rep2 does not see yet.
    let (deal, customer) = ids
        .iter()
        .filter(|id| meta(&rep1, id).owner.as_ref().map(UserId::as_str) == Some("rep1"))
        .filter_map(|id| Some((id.clone(), meta(&rep1, id).customer?)))
        .find(|(_, c)| !rep2_before.contains(c))
        .expect("a deal of a customer rep2 does not see");
    let (_, mut manager) = relay.client("manager").await;
    assert_eq!(manager.fetch(&deal, T).await.unwrap(), Fetched::Doc);
    manager.change(&deal, |tx| tx.put(ROOT, "owner", "rep2")).await.unwrap();
    manager.pump_for(Duration::from_millis(300)).await.unwrap();
    assert!(manager.refusal(&deal).is_none(), "{:?}", manager.errors);
    // The relay updates rep2's index right after storing the change; look until it has (or time is up).
    let deadline = std::time::Instant::now() + T;
    let (login, mut fresh, index) = loop {
        let (login, mut fresh) = relay.client("rep2").await;
        let index_id = DocId::parse(&login.index_doc).unwrap();
        let index: BTreeSet<DocId> = index_items(&mut fresh, &index_id).await.into_iter().map(|i| i.id).collect();
        if (index.contains(&deal) && index.contains(&customer)) || std::time::Instant::now() > deadline {
            break (login, fresh, index);
        }
        fresh.close().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(index.contains(&deal) && index.contains(&customer), "rep2's index lists the deal and its customer");
    assert_eq!(fresh.fetch(&customer, T).await.unwrap(), Fetched::Doc);
    for g in [FieldGroup::Money, FieldGroup::Service] {
        assert!(!index.contains(&customer.companion(g)));
        assert_eq!(fresh.fetch(&customer.companion(g), T).await.unwrap(), Fetched::Unavailable);
    }
    let path = format!("/api/v1/customers/{customer}");
    let body = get_json(relay.relay().addr, &path, &login.token).await.unwrap();
    assert!(body["name"].as_str().is_some_and(|n| !n.is_empty()), "REST gives rep2 the name: {body}");
    assert!(body.get("money").is_none() && body.get("service").is_none(), "{body}");
}
