//! Login rate limiting: failed attempts are counted per account and per client address over a sliding
//! window; once either count reaches its limit, further attempts are refused (even with the right password)
//! until the oldest failure leaves the window. A successful login clears the account's count.

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Failure counters for logins.
pub struct LoginLimiter {
    max_per_account: u32,
    max_per_address: u32,
    window: Duration,
    inner: Mutex<Counters>,
}

#[derive(Default)]
struct Counters {
    accounts: HashMap<String, VecDeque<Instant>>,
    addresses: HashMap<IpAddr, VecDeque<Instant>>,
}

fn prune(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
}

/// Seconds until the oldest failure of a full queue leaves the window (at least 1).
fn retry_after(q: &VecDeque<Instant>, now: Instant, window: Duration) -> u64 {
    let oldest = q.front().copied().unwrap_or(now);
    (window.saturating_sub(now.duration_since(oldest)).as_secs_f64().ceil() as u64).max(1)
}

impl LoginLimiter {
    pub fn new(max_per_account: u32, max_per_address: u32, window: Duration) -> LoginLimiter {
        LoginLimiter { max_per_account, max_per_address, window, inner: Mutex::new(Counters::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err(seconds)` if an attempt for `account` from `addr` must be refused now.
    pub fn check(&self, account: &str, addr: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let mut c = self.lock();
        let window = self.window;
        let mut wait = 0;
        if let Some(q) = c.accounts.get_mut(account) {
            prune(q, now, window);
            if q.len() as u32 >= self.max_per_account {
                wait = wait.max(retry_after(q, now, window));
            }
        }
        if let Some(q) = addr.and_then(|a| c.addresses.get_mut(&a)) {
            prune(q, now, window);
            if q.len() as u32 >= self.max_per_address {
                wait = wait.max(retry_after(q, now, window));
            }
        }
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    pub fn record_failure(&self, account: &str, addr: Option<IpAddr>, now: Instant) {
        let mut c = self.lock();
        c.accounts.entry(account.to_string()).or_default().push_back(now);
        if let Some(a) = addr {
            c.addresses.entry(a).or_default().push_back(now);
        }
        // Bound memory: forget quiet keys whenever the maps grow large.
        if c.accounts.len() + c.addresses.len() > 10_000 {
            let window = self.window;
            c.accounts.retain(|_, q| {
                prune(q, now, window);
                !q.is_empty()
            });
            c.addresses.retain(|_, q| {
                prune(q, now, window);
                !q.is_empty()
            });
        }
    }

    pub fn record_success(&self, account: &str) {
        self.lock().accounts.remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    const B: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)));

    #[test]
    fn account_limit_then_window_expiry() {
        let l = LoginLimiter::new(3, 100, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(l.check("ann", A, t0).is_ok(), "attempt {i}");
            l.record_failure("ann", A, t0);
        }
        let wait = l.check("ann", B, t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, 50);
        // Other accounts are not affected.
        assert!(l.check("bob", A, t0).is_ok());
        assert!(l.check("ann", A, t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn address_limit_spans_accounts() {
        let l = LoginLimiter::new(100, 2, Duration::from_secs(60));
        let t0 = Instant::now();
        l.record_failure("ann", A, t0);
        l.record_failure("bob", A, t0);
        assert!(l.check("carl", A, t0).is_err());
        assert!(l.check("carl", B, t0).is_ok());
    }

    #[test]
    fn success_clears_the_account() {
        let l = LoginLimiter::new(2, 100, Duration::from_secs(60));
        let t0 = Instant::now();
        l.record_failure("ann", A, t0);
        l.record_success("ann");
        l.record_failure("ann", A, t0);
        assert!(l.check("ann", A, t0).is_ok());
    }
}
