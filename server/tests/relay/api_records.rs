//! REST reads over the demo company for every demo user: exactly the records the policy allows, hidden
//! field groups absent (not null), single reads answer 404 for hidden and missing alike, and reads are
//! audited.

use reqwest::StatusCode;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

use app::domain::{access, companion_groups, DocId, FieldGroup, LinkedRecord, RecordKind, RecordMeta, UserId};

use crate::support::{assert_error, start, USERS};

fn uid(v: &Value) -> Option<UserId> {
    v.as_str().map(UserId::new)
}

/// Every record as the admin sees it (the admin sees all), by kind.
async fn everything(s: &crate::support::TestServer, admin: &str) -> BTreeMap<RecordKind, Vec<Value>> {
    let mut out = BTreeMap::new();
    for kind in RecordKind::ALL {
        let (status, list) = s.get(&format!("/api/v1/{}", kind.plural()), admin).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        out.insert(kind, list.as_array().unwrap().clone());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_demo_user_reads_exactly_their_slice() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let all = everything(&s, &admin).await;
    let dir = server::demo::demo_directory();

    // The admin sees every group of every record.
    for (kind, list) in &all {
        assert!(!list.is_empty(), "{kind:?}");
        for r in list {
            assert_eq!(r["kind"], kind.as_str());
            for g in companion_groups(*kind) {
                assert!(r.get(g.as_str()).is_some_and(|v| v.is_object()), "admin lacks {g:?} on {r}");
            }
        }
    }
    let customer_owner: BTreeMap<String, Option<UserId>> =
        all[&RecordKind::Customer].iter().map(|c| (c["id"].as_str().unwrap().to_string(), uid(&c["owner"]))).collect();
    // Records that link to each customer: their readers read the customer too (implicit read).
    let mut linked: BTreeMap<String, Vec<LinkedRecord>> = BTreeMap::new();
    for (kind, records) in &all {
        for r in records {
            if let Some(c) = r["customer"].as_str() {
                linked.entry(c.to_string()).or_default().push(LinkedRecord { kind: *kind, owner: uid(&r["owner"]) });
            }
        }
    }
    let meta = |kind: RecordKind, r: &Value| RecordMeta {
        kind,
        owner: uid(&r["owner"]),
        customer_owner: r["customer"].as_str().and_then(|c| customer_owner.get(c).cloned().flatten()),
        linked: match kind {
            RecordKind::Customer => linked.get(r["id"].as_str().unwrap()).cloned().unwrap_or_default(),
            _ => Vec::new(),
        },
    };

    for user in USERS {
        let token = s.token(user).await;
        let me = UserId::new(user);
        for (kind, records) in &all {
            let (status, list) = s.get(&format!("/api/v1/{}", kind.plural()), &token).await;
            assert_eq!(status, StatusCode::OK, "{user} {kind:?}: {list}");
            let got: BTreeMap<String, Value> =
                list.as_array().unwrap().iter().map(|r| (r["id"].as_str().unwrap().to_string(), r.clone())).collect();
            let want: BTreeSet<String> = records
                .iter()
                .filter(|r| access(&me, &dir, &meta(*kind, r)).visible())
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), want, "{user} reads the wrong {kind:?} set");
            for r in records.iter().filter(|r| want.contains(r["id"].as_str().unwrap())) {
                let acc = access(&me, &dir, &meta(*kind, r));
                let mine = &got[r["id"].as_str().unwrap()];
                for g in FieldGroup::COMPANIONS {
                    let present = mine.as_object().unwrap().contains_key(g.as_str());
                    assert_eq!(present, acc.group(g).can_read(), "{user} {kind:?} {g:?}: {mine}");
                    if present {
                        assert_eq!(mine[g.as_str()], r[g.as_str()], "{user} sees a different {g:?}");
                    }
                }
                if !acc.money.can_read() {
                    assert!(mine.get("lifetime_value").is_none(), "{user} sees lifetime value: {mine}");
                }
            }
        }
    }
    s.stop().await;
}

/// The policy table of ARCHITECTURE.md §3, checked on the demo data without asking the policy function.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_checks_of_the_policy_table() {
    let s = start(|_| {}).await;
    let count = |v: &Value| v.as_array().unwrap().len();
    let admin = s.token("admin").await;
    let all = everything(&s, &admin).await;
    let owned_by = |kind: RecordKind, who: &str| all[&kind].iter().filter(|r| r["owner"] == who).count();

    // rep1: own opportunities only, with money; own and pool leads; never rep3's.
    let rep1 = s.token("rep1").await;
    let (_, opps) = s.get("/api/v1/opportunities", &rep1).await;
    assert!(count(&opps) > 0);
    assert!(opps.as_array().unwrap().iter().all(|o| o["owner"] == "rep1" && o["money"].is_object()), "{opps}");
    let (_, leads) = s.get("/api/v1/leads", &rep1).await;
    let pool = all[&RecordKind::Lead].iter().filter(|l| l["owner"].is_null()).count();
    assert!(pool > 0);
    assert_eq!(count(&leads), owned_by(RecordKind::Lead, "rep1") + pool);

    // manager: the team (rep1, rep2, self), not rep3.
    let manager = s.token("manager").await;
    let (_, opps) = s.get("/api/v1/opportunities", &manager).await;
    let team = ["manager", "rep1", "rep2"].iter().map(|u| owned_by(RecordKind::Opportunity, u)).sum::<usize>();
    assert_eq!(count(&opps), team);
    assert!(opps.as_array().unwrap().iter().all(|o| o["owner"] != "rep3"));

    // marketing: opportunities without money; no contacts; no activities; all leads without pii.
    let marketing = s.token("marketing").await;
    let (_, opps) = s.get("/api/v1/opportunities", &marketing).await;
    assert_eq!(count(&opps), all[&RecordKind::Opportunity].len());
    assert!(opps.as_array().unwrap().iter().all(|o| o.get("money").is_none()), "{opps}");
    let (_, contacts) = s.get("/api/v1/contacts", &marketing).await;
    assert_eq!(count(&contacts), 0);
    let (_, leads) = s.get("/api/v1/leads", &marketing).await;
    assert_eq!(count(&leads), all[&RecordKind::Lead].len());
    assert!(leads.as_array().unwrap().iter().all(|l| l.get("pii").is_none()));
    let (_, customers) = s.get("/api/v1/customers", &marketing).await;
    assert!(customers.as_array().unwrap().iter().all(|c| c.get("money").is_none() && c.get("service").is_none()));

    // after-sales: no leads or opportunities; all customers with service, no money; contacts with pii.
    let aftersales = s.token("aftersales").await;
    assert_eq!(count(&s.get("/api/v1/leads", &aftersales).await.1), 0);
    assert_eq!(count(&s.get("/api/v1/opportunities", &aftersales).await.1), 0);
    let (_, customers) = s.get("/api/v1/customers", &aftersales).await;
    assert_eq!(count(&customers), all[&RecordKind::Customer].len());
    assert!(customers.as_array().unwrap().iter().all(|c| c.get("money").is_none() && c["service"].is_object()));
    let (_, contacts) = s.get("/api/v1/contacts", &aftersales).await;
    assert!(contacts.as_array().unwrap().iter().all(|c| c["pii"].is_object()));

    // analyst: money yes, contacts and pii no.
    let analyst = s.token("analyst").await;
    let (_, opps) = s.get("/api/v1/opportunities", &analyst).await;
    assert!(opps.as_array().unwrap().iter().all(|o| o["money"].is_object()));
    assert_eq!(count(&s.get("/api/v1/contacts", &analyst).await.1), 0);
    let (_, leads) = s.get("/api/v1/leads", &analyst).await;
    assert!(leads.as_array().unwrap().iter().all(|l| l.get("pii").is_none()));

    // account manager: no leads; opportunities of own customers with their amounts (read only: the
    // cooperation history shows won deals with their amounts); own customers.
    let am = s.token("accountmgr").await;
    assert_eq!(count(&s.get("/api/v1/leads", &am).await.1), 0);
    let own: BTreeSet<&str> = all[&RecordKind::Customer]
        .iter()
        .filter(|c| c["owner"] == "accountmgr")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(!own.is_empty());
    let (_, opps) = s.get("/api/v1/opportunities", &am).await;
    assert!(count(&opps) > 0);
    for o in opps.as_array().unwrap() {
        assert!(own.contains(o["customer"].as_str().unwrap()) && o["money"].is_object(), "{o}");
    }
    let (_, customers) = s.get("/api/v1/customers", &am).await;
    assert_eq!(count(&customers), own.len());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_reads_hide_existence_and_are_audited() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let rep1 = s.token("rep1").await;
    let (_, opps) = s.get("/api/v1/opportunities", &admin).await;
    let opps = opps.as_array().unwrap();
    let mine = opps.iter().find(|o| o["owner"] == "rep1").unwrap();
    let theirs = opps.iter().find(|o| o["owner"] == "rep3").unwrap();

    let (status, got) = s.get(&format!("/api/v1/opportunities/{}", mine["id"].as_str().unwrap()), &rep1).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(&got, mine);
    let (status, hidden) = s.get(&format!("/api/v1/opportunities/{}", theirs["id"].as_str().unwrap()), &rep1).await;
    assert_error(status, &hidden, StatusCode::NOT_FOUND, "not_found");
    let missing = DocId::from_bytes([9; 16]);
    let (status, body) = s.get(&format!("/api/v1/opportunities/{missing}"), &rep1).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    // Hidden and missing read alike (apart from the id they echo).
    assert_eq!(
        hidden["message"].as_str().unwrap().replace(theirs["id"].as_str().unwrap(), "ID"),
        body["message"].as_str().unwrap().replace(missing.as_str(), "ID")
    );
    let (status, body) = s.get("/api/v1/opportunities/not-an-id", &rep1).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    // A record read under the wrong collection is not found either.
    let (status, _) = s.get(&format!("/api/v1/leads/{}", mine["id"].as_str().unwrap()), &rep1).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = s.get("/api/v1/opportunities?limit=0", &rep1).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = s.call(reqwest::Method::GET, "/api/v1/leads", None, None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");

    // Paging.
    let r = s.http.get(format!("{}/api/v1/leads?limit=5&offset=2", s.base)).bearer_auth(&rep1).send().await.unwrap();
    let total: usize = r.headers()["x-total-count"].to_str().unwrap().parse().unwrap();
    let page: Vec<Value> = r.json().await.unwrap();
    assert_eq!(page.len(), 5.min(total - 2));

    // The audit log names who read what; only admins read it.
    assert_eq!(s.get("/api/v1/opportunities", &rep1).await.0, StatusCode::OK);
    let reads = s.audit(&admin, "record_read").await;
    assert!(reads.iter().any(|e| e["actor"] == "rep1" && e["target"] == mine["id"]), "{reads:?}");
    assert!(reads.iter().any(|e| e["actor"] == "rep1"
        && e["target"] == "opportunities"
        && e["detail"]["ids"].as_array().is_some_and(|ids| ids.contains(&mine["id"]))));
    // The refused single read leaves no read entry for the hidden record.
    assert!(!reads.iter().any(|e| e["actor"] == "rep1" && e["target"] == theirs["id"]));
    let (status, body) = s.get("/api/v1/audit", &rep1).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, page) = s.get("/api/v1/audit?limit=2", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    let next = page["next_before"].as_i64().unwrap();
    let (_, older) = s.get(&format!("/api/v1/audit?limit=2&before={next}"), &admin).await;
    assert!(older["entries"][0]["id"].as_i64().unwrap() < next);
    let (status, body) = s.get("/api/v1/audit?limit=0", &admin).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_sync_changes_land_in_the_audit_log() {
    use automerge::{transaction::Transactable, ROOT};
    use server::testing::{Fetched, SyncClient};
    use std::time::Duration;

    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let rep1 = s.token("rep1").await;
    let (_, opps) = s.get("/api/v1/opportunities", &rep1).await;
    let id = DocId::parse(opps[0]["id"].as_str().unwrap()).unwrap();
    let mut c = SyncClient::connect(&format!("ws://{}/sync?token={rep1}", s.addr)).await.unwrap();
    assert!(matches!(c.fetch(&id, Duration::from_secs(10)).await.unwrap(), Fetched::Doc));
    // A rep may not reassign their own deal.
    c.change(&id, |tx| tx.put(ROOT, "owner", "rep2").map(|_| ())).await.unwrap();
    c.pump_until(Duration::from_secs(5), "a refusal", |c| c.refusal(&id).is_some()).await.unwrap();
    let mut entries = Vec::new();
    for _ in 0..50 {
        entries = s.audit(&admin, "refused_change").await;
        if !entries.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let e = entries.iter().find(|e| e["target"] == id.as_str()).unwrap_or_else(|| panic!("{entries:?}"));
    assert_eq!(e["actor"], "rep1");
    assert_eq!(e["detail"]["path"], "owner");
    assert!(e["detail"]["reason"].as_str().is_some_and(|r| !r.is_empty()));
    // REST still shows the relay's copy: the owner did not change.
    let (_, same) = s.get(&format!("/api/v1/opportunities/{id}"), &rep1).await;
    assert_eq!(same["owner"], "rep1");
    s.stop().await;
}
