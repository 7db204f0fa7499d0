//! The roles of the sales organisation.

use serde::{Deserialize, Serialize};

use super::DomainError;

/// A user's role. What each may see and write is decided by [`super::policy`], not here.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    autosurgeon::Hydrate,
    autosurgeon::Reconcile,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    SalesManager,
    SalesRep,
    AccountManager,
    Marketing,
    AfterSales,
    Analyst,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::SalesManager,
        Role::SalesRep,
        Role::AccountManager,
        Role::Marketing,
        Role::AfterSales,
        Role::Analyst,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SalesManager => "sales_manager",
            Role::SalesRep => "sales_rep",
            Role::AccountManager => "account_manager",
            Role::Marketing => "marketing",
            Role::AfterSales => "after_sales",
            Role::Analyst => "analyst",
        }
    }

    pub fn parse(s: &str) -> Result<Role, DomainError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| DomainError::invalid("role", format!("unknown role {s:?}")))
    }
}
