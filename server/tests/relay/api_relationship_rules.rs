//! The relationship settings over REST: everyone reads them, only an admin replaces them, a value out of
//! range is refused naming the field and changes nothing, and an accepted change is what the directory
//! document (synced to every device) then holds.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{assert_error, start};

const PATH: &str = "/api/v1/settings/relationship";

fn edited() -> Value {
    json!({
        "churn": { "inactive_days": 45, "max_satisfaction": 3 },
        "visits": { "key": 14, "normal": 60, "low_frequency": 120 },
        "tiers": { "currency": "CNY", "key_lifetime": 50_000_000, "key_last_year": 20_000_000, "low_last_year": 100_000 }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_replace_the_rules_others_only_read_them() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let rep = s.token("rep1").await;

    let (status, before) = s.get(PATH, &rep).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["visits"], json!({ "key": 30, "normal": 90, "low_frequency": 180 }));
    assert_eq!(before["churn"], json!({ "inactive_days": 60, "max_satisfaction": 2 }));

    for user in ["rep1", "manager", "accountmgr"] {
        let token = s.token(user).await;
        let (status, body) = s.call(Method::PUT, PATH, Some(&token), Some(edited())).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }
    assert_eq!(s.get(PATH, &admin).await.1, before, "a refused edit changes nothing");

    let mut bad = edited();
    bad["visits"]["key"] = json!(0);
    let (status, body) = s.call(Method::PUT, PATH, Some(&admin), Some(bad)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert!(body["message"].as_str().unwrap().contains("relationship.visits.key"), "{body}");
    let mut bad = edited();
    bad["churn"]["max_satisfaction"] = json!(9);
    let (status, body) = s.call(Method::PUT, PATH, Some(&admin), Some(bad)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert!(body["message"].as_str().unwrap().contains("churn.max_satisfaction"), "{body}");
    let mut bad = edited();
    bad["visits"]["weekly"] = json!(7);
    let (status, body) = s.call(Method::PUT, PATH, Some(&admin), Some(bad)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(body["message"], "visits.weekly: unknown field");
    assert_eq!(s.get(PATH, &admin).await.1, before, "bad input changes nothing");

    let (status, body) = s.call(Method::PUT, PATH, Some(&admin), Some(edited())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, edited());
    assert_eq!(s.get(PATH, &rep).await.1, edited(), "every reader sees the new rules");
    s.stop().await;
}
