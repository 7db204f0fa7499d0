//! Backups: `crm-server backup` copies the store of a running relay; `crm-server restore` brings it back
//! (refusing to overwrite a store that holds data, unless `--force`), and a relay on the restored folder
//! serves every record that existed when the backup was taken. And "your data": an approved export as a
//! zip of JSON and Automerge documents.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{start, start_with, TestServer};
use app::domain::RecordKind;
use server::Config;

fn crm_server(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_crm-server")).args(args).env_remove("CRM_DATA").output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Every record id of every kind the admin sees, archived or not.
async fn everything(s: &TestServer, admin: &str) -> BTreeMap<RecordKind, Vec<Value>> {
    let mut out = BTreeMap::new();
    for kind in RecordKind::ALL {
        let mut records = Vec::new();
        for archived in [false, true] {
            let (status, list) =
                s.get(&format!("/api/v1/{}?limit=5000&archived={archived}", kind.plural()), admin).await;
            assert_eq!(status, StatusCode::OK, "{list}");
            records.extend(list.as_array().unwrap().iter().cloned());
        }
        records.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        out.insert(kind, records);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_running_relay_restores_every_record() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let rep1 = s.token("rep1").await;
    let (status, lead) = s.post("/api/v1/leads", Some(&rep1), json!({"name": "Backed-up lead"})).await;
    assert_eq!(status, StatusCode::CREATED, "{lead}");
    let before = everything(&s, &admin).await;

    let root = std::env::temp_dir().join(format!("crm-backup-test-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&root).unwrap();
    let file = root.join("crm.backup");
    // Taken while the relay runs and while it is being written to.
    let writer = {
        let (http, base, rep1) = (s.http.clone(), s.base.clone(), rep1.clone());
        tokio::spawn(async move {
            for i in 0..20 {
                let _ = http
                    .post(format!("{base}/api/v1/leads"))
                    .bearer_auth(&rep1)
                    .json(&json!({"name": format!("Written during the backup {i}")}))
                    .send()
                    .await;
            }
        })
    };
    let (ok, out) = crm_server(&["backup", "--data", p(&s.data), "--to", p(&file)]);
    assert!(ok, "{out}");
    assert!(out.contains("backed up"), "{out}");
    writer.await.unwrap();
    let (ok, out) = crm_server(&["backup", "--data", p(&s.data), "--to", p(&file)]);
    assert!(!ok && out.contains("exists already"), "an existing backup is never overwritten: {out}");
    s.stop().await;

    // Restore refuses to replace a store with data in it.
    let restored = root.join("restored");
    let (ok, out) = crm_server(&["restore", "--from", p(&file), "--data", p(&restored)]);
    assert!(ok, "{out}");
    let (ok, out) = crm_server(&["restore", "--from", p(&file), "--data", p(&restored)]);
    assert!(!ok && out.contains("--force"), "{out}");
    let (ok, out) = crm_server(&["restore", "--from", p(&file), "--data", p(&restored), "--force"]);
    assert!(ok, "{out}");

    // A relay on the restored folder has every record that existed before the backup started.
    let s = start_with(Config::for_tests(&restored)).await;
    let admin = s.token("admin").await;
    let after = everything(&s, &admin).await;
    for (kind, records) in &before {
        let ids: Vec<&Value> = records.iter().map(|r| &r["id"]).collect();
        let have: Vec<&Value> = after[kind].iter().map(|r| &r["id"]).collect();
        for id in &ids {
            assert!(have.contains(id), "{kind:?} {id} missing after restore");
        }
        for r in records {
            let again = after[kind].iter().find(|a| a["id"] == r["id"]).unwrap();
            assert_eq!(again, r, "{kind:?} changed in the restore");
        }
    }
    assert!(after[&RecordKind::Lead].iter().any(|l| l["name"] == "Backed-up lead"));
    s.stop().await;
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_export_downloads_as_json_and_automerge_documents() {
    let s = start(|_| {}).await;
    let rep1 = s.token("rep1").await;
    let (status, r) = s.post("/api/v1/exports", Some(&rep1), json!({"kind": "all", "reason": "my data"})).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();
    let archive = format!("{}/api/v1/exports/{id}/archive", s.base);
    let res = s.http.get(&archive).bearer_auth(&rep1).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "not approved yet");
    let manager = s.token("manager").await;
    let (status, body) = s.post(&format!("/api/v1/exports/{id}/approve"), Some(&manager), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res = s.http.get(&archive).bearer_auth(&rep1).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut json_text = String::new();
    zip.by_name("records.json").unwrap().read_to_string(&mut json_text).unwrap();
    let records: Vec<Value> = serde_json::from_str(&json_text).unwrap();
    // Exactly what rep1 reads over REST, every kind.
    let mut want = 0;
    for kind in RecordKind::ALL {
        let (_, list) = s.get(&format!("/api/v1/{}?limit=5000", kind.plural()), &rep1).await;
        want += list.as_array().unwrap().len();
    }
    assert_eq!(records.len(), want);
    for r in &records {
        let rid = r["id"].as_str().unwrap();
        let mut bin = Vec::new();
        zip.by_name(&format!("documents/{rid}.automerge")).unwrap().read_to_end(&mut bin).unwrap();
        let doc = automerge::Automerge::load(&bin).unwrap();
        let view = app::domain::RecordView::from_docs(&app::domain::DocId::parse(rid).unwrap(), &doc, &[]).unwrap();
        assert_eq!(view.id().as_str(), rid);
        // A companion file exactly for the groups rep1 reads.
        for g in ["money", "pii", "service"] {
            assert_eq!(zip.by_name(&format!("documents/{rid}-{g}.automerge")).is_ok(), r.get(g).is_some(), "{rid} {g}");
        }
    }
    s.stop().await;
}
