//! Reports over REST equal the domain's analytics computed directly over the records the same user reads
//! through the REST API; amounts appear only for roles that see money; CSV on `Accept: text/csv`.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{start, TestServer};
use app::domain::analytics::{self, GroupBy, Period};
use app::domain::{Activity, CustomerView, OpportunityStatus, OpportunityView, RecordView, Timestamp};

async fn views(s: &TestServer, token: &str, plural: &str) -> Vec<RecordView> {
    let (status, list) = s.get(&format!("/api/v1/{plural}?limit=5000"), token).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    serde_json::from_value(list).unwrap()
}

/// The domain's figure as the wire carries it (through text, so floats compare as the relay's do).
fn v<T: serde::Serialize>(x: &T) -> Value {
    serde_json::from_str(&serde_json::to_string(x).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_equal_the_domain_over_what_the_user_reads() {
    let s = start(|_| {}).await;
    let dir = server::demo::demo_directory();
    for user in ["admin", "manager", "rep1", "marketing", "analyst"] {
        let token = s.token(user).await;
        let opps: Vec<OpportunityView> = views(&s, &token, "opportunities")
            .await
            .into_iter()
            .filter_map(|r| if let RecordView::Opportunity(o) = r { Some(o) } else { None })
            .collect();
        let customers: Vec<CustomerView> = views(&s, &token, "customers")
            .await
            .into_iter()
            .filter_map(|r| if let RecordView::Customer(c) = r { Some(c) } else { None })
            .collect();
        let acts: Vec<Activity> = views(&s, &token, "activities")
            .await
            .into_iter()
            .filter_map(|r| if let RecordView::Activity(a) = r { Some(a.base) } else { None })
            .collect();
        let all: Vec<&OpportunityView> = opps.iter().collect();
        let cs: Vec<&CustomerView> = customers.iter().collect();
        for period in [Period::All, Period::Year, Period::Quarter] {
            let now = Timestamp::from_datetime(chrono::Utc::now());
            let deals = analytics::in_period(&all, period.start(now, 0));
            let report = |name: &str| {
                let path = format!("/api/v1/reports/{name}?period={}", period.as_str());
                let token = token.clone();
                let s = &s;
                async move {
                    let (status, body) = s.get(&path, &token).await;
                    assert_eq!(status, StatusCode::OK, "{user} {path}: {body}");
                    assert_eq!(body["period"], period.as_str());
                    body["data"].clone()
                }
            };
            assert_eq!(report("summary").await, v(&analytics::summary(&deals)), "{user} summary");
            let sum = analytics::summary(&deals);
            assert_eq!(
                report("win-rate").await,
                v(&json!({"win_rate": sum.win_rate, "won": sum.won, "lost": sum.lost, "decided": sum.won + sum.lost})),
                "{user}"
            );
            assert_eq!(
                report("cycle").await,
                v(&json!({
                    "won": analytics::sales_cycle(&deals, OpportunityStatus::Won),
                    "lost": analytics::sales_cycle(&deals, OpportunityStatus::Lost),
                })),
                "{user}"
            );
            assert_eq!(report("lost-reasons").await, v(&analytics::lost_reasons(&deals)), "{user}");
            assert_eq!(report("by-owner").await, v(&analytics::summary_by(&deals, GroupBy::Owner, &cs)), "{user}");
            assert_eq!(report("by-team").await, v(&analytics::summary_by(&deals, GroupBy::Team, &cs)), "{user}");
            assert_eq!(report("by-region").await, v(&analytics::summary_by(&deals, GroupBy::Region, &cs)), "{user}");
            let funnel = report("funnel").await;
            assert_eq!(funnel["stages"], v(&analytics::per_stage(&all, &dir)), "{user}");
            assert_eq!(funnel["conversion"], v(&analytics::stage_conversion(&all, &dir)), "{user}");
            {
                let acts: Vec<&Activity> = acts.iter().collect();
                let got = report("customers").await;
                assert_eq!(
                    got,
                    v(&app::domain::relationship::customer_metrics(&cs, &all, &acts, &dir, period.start(now, 0), now)),
                    "{user}"
                );
            }
        }
        // Money only for roles that see it: the demo has won deals, so amounts show exactly when money does.
        let (_, s_all) = s.get("/api/v1/reports/summary", &token).await;
        let has_amounts = s_all["data"]["won_amount"].as_array().is_some_and(|a| !a.is_empty());
        assert_eq!(has_amounts, opps.iter().any(|o| o.money.is_some()), "{user}: {s_all}");
        if user == "marketing" {
            assert!(!has_amounts, "marketing sees no money");
        }
        if user == "admin" {
            assert!(has_amounts, "the demo has won deals with amounts");
        }
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_come_as_csv_and_refuse_unknown_names() {
    let s = start(|_| {}).await;
    let token = s.token("manager").await;
    let res = s
        .http
        .get(format!("{}/api/v1/reports/funnel", s.base))
        .bearer_auth(&token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = res.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("stage,amount,conversion,count,next_stage,reached,reached_next"));
    let stages = server::demo::demo_directory().stages;
    assert_eq!(lines.count(), stages.len());
    assert!(text.contains("\ninitial,"), "{text}");

    let res = s
        .http
        .get(format!("{}/api/v1/reports/by-owner?period=year", s.base))
        .bearer_auth(&token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert!(text.starts_with("group,active,closed,count,"), "{text}");
    assert!(text.contains("\nrep1,"), "{text}");

    let (status, _) = s.get("/api/v1/reports/horoscope", &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.get("/api/v1/reports/summary?period=decade", &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    s.stop().await;
}
