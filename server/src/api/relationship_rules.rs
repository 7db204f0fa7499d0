//! `GET /api/v1/settings/relationship` (everyone signed in: the Today page and the tier suggestions
//! follow these rules on every device) and `PUT` (admins): the churn rules, the visit interval of each
//! tier and the tier rules, stored in the directory document beside the policy (`directory.churn`,
//! `directory.relationship`). A `PUT` replaces all three parts; a value out of range is refused with 400
//! naming the field, and nothing is stored.

use axum::{
    extract::{rejection::JsonRejection, State},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use app::domain::relationship::{TierRules, VisitIntervals};
use app::domain::{ChurnRules, Directory, Role};

use crate::{
    auth::{AuthUser, ClientAddr},
    error::{json_rejection, ApiError},
    AppState,
};

use super::admin::change_directory;

/// The relationship settings as one JSON object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationshipSettings {
    pub churn: ChurnRules,
    pub visits: VisitIntervals,
    pub tiers: TierRules,
}

impl RelationshipSettings {
    fn of(dir: &Directory) -> Self {
        RelationshipSettings {
            churn: dir.churn.clone(),
            visits: dir.relationship.visits.clone(),
            tiers: dir.relationship.tiers.clone(),
        }
    }
}

async fn read(user: AuthUser, State(state): State<AppState>) -> Result<Json<RelationshipSettings>, ApiError> {
    user.profile(&state)?;
    Ok(Json(RelationshipSettings::of(&state.hub.directory())))
}

async fn replace(
    admin: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<RelationshipSettings>, ApiError> {
    admin.require_role(&state, &[Role::Admin])?;
    let Json(body) = body.map_err(json_rejection)?;
    let new = parse(body)?;
    new.churn.validate()?;
    let rules = app::domain::relationship::RelationshipRules { visits: new.visits.clone(), tiers: new.tiers.clone() };
    rules.validate()?;
    change_directory(&state, &admin.user, addr, move |d| {
        d.churn = new.churn.clone();
        d.relationship = rules.clone();
    })
    .await?;
    Ok(Json(RelationshipSettings::of(&state.hub.directory())))
}

/// The body as settings; an unknown or missing field anywhere is refused by name (a typo must not be
/// dropped silently while the rest is saved).
fn parse(body: Value) -> Result<RelationshipSettings, ApiError> {
    const KNOWN: [(&str, &[&str]); 3] = [
        ("churn", &["inactive_days", "max_satisfaction"]),
        ("visits", &["key", "normal", "low_frequency"]),
        ("tiers", &["currency", "key_lifetime", "key_last_year", "low_last_year"]),
    ];
    let top = body.as_object().ok_or_else(|| ApiError::bad_request("the body is a JSON object"))?;
    for (part, fields) in KNOWN {
        let Some(obj) = top.get(part).and_then(Value::as_object) else {
            return Err(ApiError::bad_request(format!("{part}: missing (an object)")));
        };
        if let Some(k) = obj.keys().find(|k| !fields.contains(&k.as_str())) {
            return Err(ApiError::bad_request(format!("{part}.{k}: unknown field")));
        }
    }
    serde_json::from_value(body).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/settings/relationship", get(read).put(replace))
}
