//! Reconnect delays: exponential backoff with full jitter, capped.

/// Backoff policy for reconnecting the sync socket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// Delay ceiling of the first retry, in ms.
    pub base_ms: u32,
    /// Largest ceiling, in ms.
    pub max_ms: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base_ms: 500, max_ms: 30_000 }
    }
}

impl Backoff {
    /// The ceiling before retry number `attempt` (0-based): `base · 2^attempt`, at most `max`.
    pub fn ceiling_ms(&self, attempt: u32) -> u32 {
        let exp = 1u64 << attempt.min(31);
        (u64::from(self.base_ms) * exp).min(u64::from(self.max_ms)) as u32
    }

    /// The delay before retry `attempt` given a uniform random `unit` in [0, 1): "equal jitter", half the
    /// ceiling fixed and half random, so clients that lost the relay together do not return together, yet
    /// no retry comes immediately.
    pub fn delay_ms(&self, attempt: u32, unit: f64) -> u32 {
        let ceiling = self.ceiling_ms(attempt);
        let unit = if unit.is_finite() { unit.clamp(0.0, 1.0) } else { 0.5 };
        let half = ceiling / 2;
        half + (f64::from(ceiling - half) * unit) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let b = Backoff::default();
        assert_eq!(b.ceiling_ms(0), 500);
        assert_eq!(b.ceiling_ms(1), 1000);
        assert_eq!(b.ceiling_ms(5), 16_000);
        assert_eq!(b.ceiling_ms(6), 30_000);
        assert_eq!(b.ceiling_ms(1000), 30_000);
    }

    #[test]
    fn delays_stay_within_half_and_full_ceiling() {
        let b = Backoff::default();
        for attempt in 0..40 {
            let c = b.ceiling_ms(attempt);
            for unit in [0.0, 0.25, 0.5, 0.999_999, 1.0, f64::NAN, -3.0] {
                let d = b.delay_ms(attempt, unit);
                assert!(d >= c / 2 && d <= c, "attempt {attempt} unit {unit}: {d} outside [{}, {c}]", c / 2);
            }
        }
        assert_ne!(b.delay_ms(3, 0.1), b.delay_ms(3, 0.9), "jitter must spread retries");
    }
}
