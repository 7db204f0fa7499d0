//! How sessions end for long-lived connections: [`SessionEvents`] announces ended sessions (logout,
//! revocation, a disabled user) and [`SessionWatch`] resolves when one session ends, expiry included.

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;

use app::domain::UserId;

use crate::accounts::{Accounts, SessionId};

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    Expired,
    LoggedOut,
    Revoked,
    UserDisabled,
}

/// A session (or all of a user's sessions) ended; long-lived connections listen for these.
#[derive(Clone, Debug)]
pub struct SessionEnded {
    pub user: UserId,
    /// `None` = every session of the user.
    pub session: Option<SessionId>,
    pub reason: EndReason,
}

/// The broadcast of ended sessions. Cheap to clone.
#[derive(Clone)]
pub struct SessionEvents {
    tx: broadcast::Sender<SessionEnded>,
}

impl Default for SessionEvents {
    fn default() -> Self {
        SessionEvents { tx: broadcast::channel(1024).0 }
    }
}

impl SessionEvents {
    pub fn publish(&self, ended: SessionEnded) {
        // No receivers is fine: nobody is connected.
        let _ = self.tx.send(ended);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SessionEnded> {
        self.tx.subscribe()
    }
}

/// Resolves when a session ends (see [`super::AuthUser::watch`]).
pub struct SessionWatch {
    pub(super) rx: broadcast::Receiver<SessionEnded>,
    pub(super) accounts: Accounts,
    pub(super) user: UserId,
    pub(super) session: SessionId,
    pub(super) expires_at: DateTime<Utc>,
}

impl SessionWatch {
    pub async fn ended(mut self) -> EndReason {
        let left = (self.expires_at - Utc::now()).to_std().unwrap_or_default();
        let expiry = tokio::time::sleep(left);
        tokio::pin!(expiry);
        loop {
            tokio::select! {
                _ = &mut expiry => return EndReason::Expired,
                ev = self.rx.recv() => match ev {
                    Ok(e) if e.user == self.user && e.session.as_ref().is_none_or(|s| s == &self.session) => {
                        return e.reason;
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Events were missed: ask the store whether this session still stands.
                        let (id, user) = (self.session.clone(), self.user.clone());
                        let alive = self
                            .accounts
                            .run(move |s| {
                                let session = s.session(&id)?;
                                let account = s.account(&user)?;
                                Ok(session.is_some() && account.is_some_and(|a| !a.disabled))
                            })
                            .await;
                        if !matches!(alive, Ok(true)) {
                            return EndReason::Revoked;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        // Nobody can announce an end any more: only expiry is left.
                        (&mut expiry).await;
                        return EndReason::Expired;
                    }
                },
            }
        }
    }
}
