//! Which stage moves are risky enough to ask before making them.

use crate::domain::{Directory, StageId};

/// Why a stage move deserves a confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveRisk {
    /// Into a won stage: the deal is won and enters the customer's cooperation history (hard to undo:
    /// reopening does not take the order back out of the history).
    Wins,
    /// Forward over `n` (≥ 1) stages in between, e.g. a mis-drop two columns too far.
    Skips(usize),
}

/// The risk of moving a deal from `from` to `to` in `dir`'s pipeline; `None` for an ordinary step (one stage
/// forward, or any move back). Unknown stages are ordinary: the move's own rules refuse them.
pub fn move_risk(dir: &Directory, from: &StageId, to: &StageId) -> Option<MoveRisk> {
    let pos = |id: &StageId| dir.stages.iter().position(|s| &s.id == id);
    let (Some(a), Some(b)) = (pos(from), pos(to)) else { return None };
    if dir.stages[b].won && !dir.stages[a].won {
        return Some(MoveRisk::Wins);
    }
    (b > a + 1).then(|| MoveRisk::Skips(b - a - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn risk(from: &str, to: &str) -> Option<MoveRisk> {
        move_risk(&Directory::default(), &StageId::new(from), &StageId::new(to))
    }

    #[test]
    fn winning_and_skipping_stages_are_risky_single_steps_and_moves_back_are_not() {
        assert_eq!(risk("initial", "needs"), None);
        assert_eq!(risk("proposal", "needs"), None);
        assert_eq!(risk("negotiation", "initial"), None);
        assert_eq!(risk("initial", "proposal"), Some(MoveRisk::Skips(1)));
        assert_eq!(risk("negotiation", "won"), Some(MoveRisk::Wins));
        assert_eq!(risk("initial", "won"), Some(MoveRisk::Wins), "first stage straight to won");
        assert_eq!(risk("initial", "nowhere"), None);
    }
}
