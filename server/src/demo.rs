//! The demo company (`--demo`) and the first-run administrator.
//!
//! # Layout
//! - `demo.rs`: the people (directory users + accounts, password `demo`), seeding only an empty store,
//!   and the first-run admin with a random one-time password.
//! - `demo/records.rs`: the records, generated deterministically from a seed.
//! - `demo/scale.rs`: `--demo-scale N`, a large deterministic slice owned by one seller (benchmarks).
//! - `demo/names.rs`: word lists (companies, people, products), Chinese and English.
//!
//! Seeding is idempotent: people are added only when there are no accounts, records only when the
//! document store holds no record; a restart with `--demo` changes nothing.

mod names;
mod records;
mod scale;

use chrono::Utc;

use app::domain::history::Author;
use app::domain::{Directory, Role, Team, TeamId, Timestamp, User, UserId};

use crate::{
    accounts::{Account, StoreError},
    audit::{AuditAction, AuditEvent},
    auth::password,
    AppState,
};

/// The demo password of every demo user.
pub const DEMO_PASSWORD: &str = "demo";

/// The seed of the demo records (same seed, same company).
const SEED: u64 = 2026;

/// (id, name, role, team)
const PEOPLE: &[(&str, &str, Role, Option<&str>)] = &[
    ("admin", "系统管理员 Admin", Role::Admin, None),
    ("manager", "李娜 Li Na", Role::SalesManager, Some("east")),
    ("rep1", "张伟 Zhang Wei", Role::SalesRep, Some("east")),
    ("rep2", "王芳 Wang Fang", Role::SalesRep, Some("east")),
    ("rep3", "陈杰 Chen Jie", Role::SalesRep, Some("west")),
    ("accountmgr", "刘洋 Liu Yang", Role::AccountManager, None),
    ("marketing", "赵敏 Zhao Min", Role::Marketing, None),
    ("aftersales", "孙磊 Sun Lei", Role::AfterSales, None),
    ("analyst", "周婷 Zhou Ting", Role::Analyst, None),
];

/// The demo directory: team `east` (manager `manager`; rep1, rep2), team `west` (rep3, no manager), and one
/// user per other role; default stages and policy.
pub fn demo_directory() -> Directory {
    let mut dir = Directory::new();
    dir.teams = vec![
        Team {
            id: TeamId::new("east"),
            name: "华东销售部 East Sales".into(),
            manager: Some(UserId::new("manager")),
            parent: None,
        },
        Team { id: TeamId::new("west"), name: "西部销售部 West Sales".into(), manager: None, parent: None },
    ];
    dir.users = PEOPLE
        .iter()
        .map(|(id, name, role, team)| User {
            id: UserId::new(*id),
            name: name.to_string(),
            role: *role,
            team: team.map(TeamId::new),
            disabled: false,
        })
        .collect();
    dir
}

/// Seeds the demo company into whatever part of the store is empty (see the module doc).
pub async fn seed_if_empty(state: &AppState) -> anyhow::Result<()> {
    let accounts = state.accounts.run(|s| s.count_accounts()).await?;
    if accounts == 0 {
        let demo = demo_directory();
        let hashes = futures_util::future::try_join_all(
            demo.users.iter().map(|_| password::hash_async(DEMO_PASSWORD.to_string())),
        )
        .await?;
        let now = Utc::now();
        let rows: Vec<Account> = demo
            .users
            .iter()
            .zip(hashes)
            .map(|(u, h)| Account {
                user: u.id.clone(),
                password_hash: h,
                disabled: false,
                created_at: now,
                must_change_password: false,
            })
            .collect();
        state
            .accounts
            .run(move |s| {
                for a in &rows {
                    match s.insert_account(a) {
                        Ok(()) | Err(StoreError::Duplicate(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            })
            .await?;
        state
            .hub
            .update_directory(move |d| {
                for t in demo.teams {
                    if d.team(&t.id).is_none() {
                        d.teams.push(t);
                    }
                }
                for u in demo.users {
                    if d.user(&u.id).is_none() {
                        d.users.push(u);
                    }
                }
            })
            .await?;
        tracing::info!("demo company: people created (password `{DEMO_PASSWORD}`)");
    }
    if state.hub.is_empty().await? {
        let dir = state.hub.directory();
        let now = Timestamp::from_datetime(Utc::now());
        let docs = tokio::task::spawn_blocking(move || records::build(&dir, now, SEED)).await??;
        let n = docs.len();
        state.hub.create_docs(docs, Author::Relay).await?;
        tracing::info!(documents = n, "demo company: records created");
        seed_scale(state, now).await?;
    }
    Ok(())
}

/// `--demo-scale N`: N customers and 2N opportunities owned by `scale::SCALE_OWNER`, stored in batches.
async fn seed_scale(state: &AppState, now: Timestamp) -> anyhow::Result<()> {
    let n = state.config.demo_scale;
    let mut from = 0;
    while from < n {
        let to = (from + scale::BATCH).min(n);
        let dir = state.hub.directory();
        let docs = tokio::task::spawn_blocking(move || scale::build_batch(&dir, now, SEED, from, to)).await??;
        state.hub.create_docs(docs, Author::Relay).await?;
        from = to;
    }
    if n > 0 {
        tracing::info!(customers = n, opportunities = 2 * n, owner = scale::SCALE_OWNER, "demo scale: records created");
    }
    Ok(())
}

/// On a store without accounts, creates the administrator `admin` with a random one-time password and
/// returns it (the caller prints it). `None` when accounts exist already.
pub async fn first_run_admin(state: &AppState) -> anyhow::Result<Option<String>> {
    if state.accounts.run(|s| s.count_accounts()).await? > 0 {
        return Ok(None);
    }
    let password = password::random_password();
    let hash = password::hash_async(password.clone()).await?;
    let admin = UserId::new("admin");
    // The printed setup password is one-time: the admin sets their own at first sign-in.
    let account = Account {
        user: admin.clone(),
        password_hash: hash,
        disabled: false,
        created_at: Utc::now(),
        must_change_password: true,
    };
    state.accounts.run(move |s| s.insert_account(&account)).await?;
    let id = admin.clone();
    state
        .hub
        .update_directory(move |d| match d.users.iter_mut().find(|u| u.id == id) {
            // An admin entry without an account (the accounts table was lost): make it usable again.
            Some(u) => {
                u.role = Role::Admin;
                u.disabled = false;
            }
            None => {
                d.users.push(User { id, name: "Administrator".into(), role: Role::Admin, team: None, disabled: false })
            }
        })
        .await?;
    state.audit.append(AuditEvent::new(AuditAction::SetupAdminCreated, None).target(&admin)).await;
    Ok(Some(password))
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::gate::validate_directory;

    #[test]
    fn demo_directory_is_consistent() {
        let d = demo_directory();
        validate_directory(&d).unwrap();
        assert!(d.manages(&UserId::new("manager"), &UserId::new("rep2")));
        assert!(!d.manages(&UserId::new("manager"), &UserId::new("rep3")));
    }
}
