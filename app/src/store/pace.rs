//! [`ViewPace`]: when views changed by sync reach the screen.
//!
//! A single remote change is shown at once (live editing must feel live). During a bulk sync, thousands of
//! views change per second and every publication makes the lists and boards recompute over all records, so
//! publications are spaced at least [`BUSY_GAP_MS`] apart and what arrives in between is shown together.

/// The least time between two publications while sync is busy.
pub const BUSY_GAP_MS: f64 = 500.0;
/// Sync counts as busy with more documents than this pending.
pub const BUSY_PENDING: usize = 64;

/// What to do with views that just changed through sync.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PaceAction {
    /// Publish them now.
    Now,
    /// Keep them and publish everything kept after this many ms (schedule one flush).
    After(u32),
    /// Keep them: a flush is already scheduled.
    Join,
}

/// The pacing state: when views were last published and whether a flush is scheduled.
#[derive(Debug, Default)]
pub struct ViewPace {
    last_ms: Option<f64>,
    scheduled: bool,
}

impl ViewPace {
    /// Views changed at `now_ms` with `pending` documents still syncing.
    pub fn offer(&mut self, now_ms: f64, pending: usize) -> PaceAction {
        if self.scheduled {
            return PaceAction::Join;
        }
        let gap = if pending > BUSY_PENDING { BUSY_GAP_MS } else { 0.0 };
        match self.last_ms {
            Some(last) if now_ms - last < gap => {
                self.scheduled = true;
                PaceAction::After((last + gap - now_ms).ceil() as u32)
            }
            _ => {
                self.last_ms = Some(now_ms);
                PaceAction::Now
            }
        }
    }

    /// The scheduled flush ran at `now_ms`.
    pub fn flushed(&mut self, now_ms: f64) {
        self.scheduled = false;
        self.last_ms = Some(now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_sync_publishes_every_change_at_once() {
        let mut p = ViewPace::default();
        for t in 0..20 {
            assert_eq!(p.offer(f64::from(t), 1), PaceAction::Now);
        }
    }

    #[test]
    fn a_busy_sync_spaces_publications_and_joins_changes_in_between() {
        let mut p = ViewPace::default();
        assert_eq!(p.offer(1000.0, 5000), PaceAction::Now);
        assert_eq!(p.offer(1100.0, 5000), PaceAction::After(400));
        assert_eq!(p.offer(1200.0, 5000), PaceAction::Join);
        assert_eq!(p.offer(1499.0, 5000), PaceAction::Join);
        p.flushed(1500.0);
        assert_eq!(p.offer(1600.0, 10), PaceAction::Now, "quiet again: at once");
        assert_eq!(p.offer(1700.0, 100), PaceAction::After(400));
    }
}
