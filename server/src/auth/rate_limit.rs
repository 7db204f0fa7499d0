//! Login throttling that slows attackers down without locking the account's owner out.
//!
//! Failures are counted per (account, address) pair, per address and per account. A pair gets a few free
//! failures, then each further attempt of that pair must wait twice as long as the previous one (1 s, 2 s,
//! 4 s … capped). An address that fails for many accounts (password spraying) is slowed down the same way
//! for every account. An account that fails from many addresses is marked as under attack: each address then
//! gets a single free failure for it. What is never refused: the right password from an address that has not
//! failed for that account and is not spraying, so five wrong guesses by someone else cannot keep a
//! salesperson out of the CRM.
//!
//! Counters are forgotten after a quiet window; time is passed in so tests are deterministic.

use std::{
    collections::HashMap,
    hash::Hash,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// The limits (from `Config`).
#[derive(Clone, Copy, Debug)]
pub struct LoginPolicy {
    /// Free failures per (account, address) pair.
    pub free_failures: u32,
    /// Failures per address over all accounts before the address is slowed down.
    pub max_per_address: u32,
    /// Failures per account over all addresses that mark the account as under attack.
    pub account_alert: u32,
    /// The first wait after the free failures; each further failure doubles it.
    pub first_delay: Duration,
    /// The longest wait asked for.
    pub max_delay: Duration,
    /// A counter is forgotten after this long without a new failure.
    pub window: Duration,
}

/// What a refused attempt was slowed down by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Throttle {
    /// This account from this address.
    Pair,
    /// This address, over all accounts (spraying).
    Address,
}

impl Throttle {
    pub fn as_str(self) -> &'static str {
        match self {
            Throttle::Pair => "account_and_address",
            Throttle::Address => "address",
        }
    }
}

/// An attempt that must wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    pub retry_after_secs: u64,
    pub by: Throttle,
}

/// The counts after a failure, for the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failures {
    pub pair: u32,
    pub address: u32,
    pub account: u32,
    /// The account has failed from many addresses (`account_alert` reached).
    pub account_under_attack: bool,
}

#[derive(Clone, Copy, Debug)]
struct Counter {
    failures: u32,
    last: Instant,
}

#[derive(Default)]
struct Counters {
    pairs: HashMap<(String, Option<IpAddr>), Counter>,
    addresses: HashMap<IpAddr, Counter>,
    accounts: HashMap<String, Counter>,
}

/// The wait after `over` failures beyond the free ones: `first`, twice that, four times … capped at `max`.
fn backoff(over: u32, first: Duration, max: Duration) -> Duration {
    first.saturating_mul(1u32 << over.min(30)).min(max)
}

fn current<K: Eq + Hash>(map: &HashMap<K, Counter>, key: &K, now: Instant, window: Duration) -> Option<Counter> {
    map.get(key).copied().filter(|c| now.duration_since(c.last) < window)
}

fn bump<K: Eq + Hash>(map: &mut HashMap<K, Counter>, key: K, now: Instant, window: Duration) -> u32 {
    let c = map.entry(key).or_insert(Counter { failures: 0, last: now });
    if now.duration_since(c.last) >= window {
        c.failures = 0;
    }
    c.failures = c.failures.saturating_add(1);
    c.last = now;
    c.failures
}

/// `Some(seconds)` if a counter with `free` free failures still asks for a wait at `now`.
fn wait(counter: Option<Counter>, free: u32, now: Instant, p: &LoginPolicy) -> Option<u64> {
    let c = counter?;
    if c.failures < free.max(1) {
        return None;
    }
    let until = c.last + backoff(c.failures - free.max(1), p.first_delay, p.max_delay);
    let left = until.checked_duration_since(now).filter(|d| !d.is_zero())?;
    Some((left.as_secs_f64().ceil() as u64).max(1))
}

/// The login throttle: shared by every login request.
pub struct LoginLimiter {
    policy: LoginPolicy,
    inner: Mutex<Counters>,
}

impl LoginLimiter {
    pub fn new(policy: LoginPolicy) -> LoginLimiter {
        LoginLimiter { policy, inner: Mutex::new(Counters::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err` if an attempt for `account` from `addr` must wait now (checked before the password is).
    pub fn check(&self, account: &str, addr: Option<IpAddr>, now: Instant) -> Result<(), Wait> {
        let p = self.policy;
        let c = self.lock();
        if let Some(secs) =
            addr.and_then(|a| wait(current(&c.addresses, &a, now, p.window), p.max_per_address, now, &p))
        {
            return Err(Wait { retry_after_secs: secs, by: Throttle::Address });
        }
        let under_attack =
            current(&c.accounts, &account.to_string(), now, p.window).is_some_and(|a| a.failures >= p.account_alert);
        let free = if under_attack { 1 } else { p.free_failures };
        let pair = current(&c.pairs, &(account.to_string(), addr), now, p.window);
        match wait(pair, free, now, &p) {
            Some(secs) => Err(Wait { retry_after_secs: secs, by: Throttle::Pair }),
            None => Ok(()),
        }
    }

    /// Counts a wrong password (or unknown user) for `account` from `addr`.
    pub fn record_failure(&self, account: &str, addr: Option<IpAddr>, now: Instant) -> Failures {
        let p = self.policy;
        let mut c = self.lock();
        let pair = bump(&mut c.pairs, (account.to_string(), addr), now, p.window);
        let address = addr.map(|a| bump(&mut c.addresses, a, now, p.window)).unwrap_or(0);
        let account = bump(&mut c.accounts, account.to_string(), now, p.window);
        // Bound memory: forget quiet counters whenever the maps grow large.
        if c.pairs.len() + c.addresses.len() + c.accounts.len() > 30_000 {
            let fresh = |k: &Counter| now.duration_since(k.last) < p.window;
            c.pairs.retain(|_, k| fresh(k));
            c.addresses.retain(|_, k| fresh(k));
            c.accounts.retain(|_, k| fresh(k));
        }
        Failures { pair, address, account, account_under_attack: account >= p.account_alert }
    }

    /// A successful sign-in clears that pair only: the address's and the account's counts stay, so signing
    /// in to one's own account between guesses does not reset spraying or a distributed attack.
    pub fn record_success(&self, account: &str, addr: Option<IpAddr>) {
        self.lock().pairs.remove(&(account.to_string(), addr));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    const B: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)));

    fn policy() -> LoginPolicy {
        LoginPolicy {
            free_failures: 3,
            max_per_address: 20,
            account_alert: 10,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(900),
            window: Duration::from_secs(900),
        }
    }

    fn ip(n: u32) -> Option<IpAddr> {
        Some(IpAddr::V4(std::net::Ipv4Addr::from(0x0a01_0000 + n)))
    }

    #[test]
    fn a_pair_slows_down_with_growing_waits_and_other_addresses_are_not_affected() {
        let l = LoginLimiter::new(policy());
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(l.check("ann", A, t0).is_ok(), "free attempt {i}");
            l.record_failure("ann", A, t0);
        }
        // The 3rd failure asks for 1 s before the next attempt, the 4th for 2 s, the 5th for 4 s.
        assert_eq!(l.check("ann", A, t0), Err(Wait { retry_after_secs: 1, by: Throttle::Pair }));
        let t1 = t0 + Duration::from_secs(1);
        assert!(l.check("ann", A, t1).is_ok());
        l.record_failure("ann", A, t1);
        assert_eq!(l.check("ann", A, t1).unwrap_err().retry_after_secs, 2);
        l.record_failure("ann", A, t1 + Duration::from_secs(2));
        assert_eq!(l.check("ann", A, t1 + Duration::from_secs(2)).unwrap_err().retry_after_secs, 4);
        // The owner, elsewhere, is never asked to wait.
        assert!(l.check("ann", B, t1).is_ok());
        // Other accounts from the attacker's address are fine too (it has not sprayed).
        assert!(l.check("bob", A, t1).is_ok());
        // Quiet for the window: forgotten.
        assert!(l.check("ann", A, t1 + Duration::from_secs(902)).is_ok());
    }

    #[test]
    fn waits_are_capped() {
        let l = LoginLimiter::new(LoginPolicy { max_delay: Duration::from_secs(60), ..policy() });
        let t0 = Instant::now();
        for _ in 0..30 {
            l.record_failure("ann", A, t0);
        }
        assert_eq!(l.check("ann", A, t0).unwrap_err().retry_after_secs, 60);
    }

    #[test]
    fn spraying_from_one_address_slows_that_address_for_every_account() {
        let l = LoginLimiter::new(LoginPolicy { max_per_address: 5, ..policy() });
        let t0 = Instant::now();
        for (i, u) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            assert!(l.check(u, A, t0).is_ok(), "{i}");
            l.record_failure(u, A, t0);
        }
        assert_eq!(l.check("fresh", A, t0), Err(Wait { retry_after_secs: 1, by: Throttle::Address }));
        assert!(l.check("fresh", B, t0).is_ok());
    }

    #[test]
    fn an_account_attacked_from_many_addresses_never_refuses_a_clean_address() {
        let l = LoginLimiter::new(policy());
        let t0 = Instant::now();
        // Ten addresses fail once each: the account is now under attack.
        for n in 0..10 {
            assert!(l.check("ann", ip(n), t0).is_ok());
            let f = l.record_failure("ann", ip(n), t0);
            assert_eq!(f.account_under_attack, n == 9, "{f:?}");
        }
        // Each attacking address now waits after its single failure (instead of three free ones)…
        assert_eq!(l.check("ann", ip(3), t0).unwrap_err().by, Throttle::Pair);
        // …while an address that has not failed for ann (the owner's phone) is let through.
        assert!(l.check("ann", B, t0).is_ok());
        assert!(l.check("ann", ip(100), t0).is_ok());
    }

    #[test]
    fn success_clears_the_pair_but_not_the_address_or_account_counts() {
        let l = LoginLimiter::new(LoginPolicy { max_per_address: 4, ..policy() });
        let t0 = Instant::now();
        for _ in 0..3 {
            l.record_failure("ann", A, t0);
        }
        assert!(l.check("ann", A, t0).is_err());
        l.record_success("ann", A);
        assert!(l.check("ann", A, t0).is_ok());
        // The address keeps its three failures: one more and it is slowed for everyone.
        let f = l.record_failure("bob", A, t0);
        assert_eq!((f.pair, f.address, f.account), (1, 4, 1));
        assert_eq!(l.check("carl", A, t0).unwrap_err().by, Throttle::Address);
    }
}
