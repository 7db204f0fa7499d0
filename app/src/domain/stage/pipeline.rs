//! Changing the pipeline (admins, Settings → Pipeline): which new list of stages may replace the current one.
//! A change must not strand a deal: a stage that deals are in may not be removed, and whether it wins may
//! not flip (an active deal would sit in a winning stage, or a won deal in an open one). Renaming,
//! reordering, probabilities and new stages are always fine. The settings page checks before saving, and
//! the relay's write gate checks the same with its own counts (`gate::check_write`).

use std::collections::BTreeMap;

use super::StageDef;
use crate::domain::{DomainError, StageId};

/// Deals per stage id (every deal: open, won, lost, archived).
pub type StagesInUse = BTreeMap<StageId, usize>;

/// Why a pipeline change is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    #[error("stage {name:?} still has {deals} deal(s): move them to another stage first")]
    RemovedInUse { id: StageId, name: String, deals: usize },
    #[error("whether stage {name:?} wins cannot change while it has {deals} deal(s)")]
    WonFlipInUse { id: StageId, name: String, deals: usize },
    #[error("stage {0:?}: a stage needs a name")]
    NoName(StageId),
    #[error("stage {0:?} appears twice")]
    Duplicate(StageId),
    #[error("stage {0:?}: probability is not within 0-100")]
    Probability(StageId),
    #[error("the pipeline needs at least one stage")]
    Empty,
    #[error("one stage must win the deal")]
    NoWon,
}

impl PipelineError {
    /// As a domain error about the directory's `stages`.
    pub fn into_domain(self) -> DomainError {
        DomainError::invalid("stages", self.to_string())
    }
}

/// Every reason `after` may not replace `before`, given the deals per stage (empty: it may).
pub fn check_pipeline(before: &[StageDef], after: &[StageDef], in_use: &StagesInUse) -> Vec<PipelineError> {
    let mut errs = Vec::new();
    if after.is_empty() {
        errs.push(PipelineError::Empty);
    } else if !after.iter().any(|s| s.won) {
        errs.push(PipelineError::NoWon);
    }
    for (i, s) in after.iter().enumerate() {
        if s.id.as_str().trim().is_empty() || after[..i].iter().any(|o| o.id == s.id) {
            errs.push(PipelineError::Duplicate(s.id.clone()));
        }
        if s.name_en.trim().is_empty() && s.name_zh.trim().is_empty() {
            errs.push(PipelineError::NoName(s.id.clone()));
        }
        if s.probability > 100 {
            errs.push(PipelineError::Probability(s.id.clone()));
        }
    }
    for old in before {
        let deals = in_use.get(&old.id).copied().unwrap_or(0);
        if deals == 0 {
            continue;
        }
        let name = old.name_en.clone();
        match after.iter().find(|s| s.id == old.id) {
            None => errs.push(PipelineError::RemovedInUse { id: old.id.clone(), name, deals }),
            Some(new) if new.won != old.won => {
                errs.push(PipelineError::WonFlipInUse { id: old.id.clone(), name, deals })
            }
            Some(_) => {}
        }
    }
    errs
}

/// A fresh stage id for a stage named `name` that no stage in `stages` has (`proposal`, `proposal_2`, ...).
pub fn new_stage_id(name: &str, stages: &[StageDef]) -> StageId {
    let mut base: String = name
        .trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    base = base.split('_').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("_");
    if base.is_empty() {
        base = "stage".into();
    }
    let taken = |id: &str| stages.iter().any(|s| s.id.as_str() == id);
    let mut id = base.clone();
    let mut n = 2;
    while taken(&id) {
        id = format!("{base}_{n}");
        n += 1;
    }
    StageId::new(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_use(pairs: &[(&str, usize)]) -> StagesInUse {
        pairs.iter().map(|(s, n)| (StageId::new(*s), *n)).collect()
    }

    #[test]
    fn renaming_reordering_and_adding_are_fine() {
        let before = StageDef::defaults();
        let mut after = before.clone();
        after.swap(1, 2);
        after[0].name_en = "First call".into();
        after[0].probability = 15;
        after.insert(3, StageDef::new("trial", "Trial", "试用", 60, false));
        assert_eq!(check_pipeline(&before, &after, &in_use(&[("initial", 4), ("won", 2)])), vec![]);
    }

    #[test]
    fn a_change_that_strands_deals_is_refused_with_the_stage_and_count() {
        let before = StageDef::defaults();
        let mut after: Vec<StageDef> = before.iter().filter(|s| s.id.as_str() != "proposal").cloned().collect();
        let used = in_use(&[("proposal", 3), ("negotiation", 1)]);
        let errs = check_pipeline(&before, &after, &used);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].to_string(),
            "stage \"Proposal / quote\" still has 3 deal(s): move them to another stage first"
        );
        // Unused, it may go.
        assert_eq!(check_pipeline(&before, &after, &in_use(&[("negotiation", 1)])), vec![]);
        // Flipping "won" on a stage with deals is refused, on an empty one fine.
        after[2].won = true;
        let errs = check_pipeline(&before, &after, &in_use(&[("negotiation", 1)]));
        assert!(matches!(&errs[..], [PipelineError::WonFlipInUse { deals: 1, .. }]), "{errs:?}");
        assert_eq!(check_pipeline(&before, &after, &in_use(&[])), vec![]);
    }

    #[test]
    fn shape_errors() {
        let before = StageDef::defaults();
        assert_eq!(check_pipeline(&before, &[], &in_use(&[])), vec![PipelineError::Empty]);
        let mut after = before.clone();
        after.iter_mut().for_each(|s| s.won = false);
        after[0].name_en.clear();
        after[0].name_zh.clear();
        after[1].probability = 101;
        after.push(after[2].clone());
        let errs = check_pipeline(&before, &after, &in_use(&[]));
        assert_eq!(
            errs,
            vec![
                PipelineError::NoWon,
                PipelineError::NoName(StageId::new("initial")),
                PipelineError::Probability(StageId::new("needs")),
                PipelineError::Duplicate(StageId::new("proposal")),
            ]
        );
    }

    #[test]
    fn new_ids_are_free_slugs() {
        let stages = StageDef::defaults();
        assert_eq!(new_stage_id("Proposal", &stages).as_str(), "proposal_2");
        assert_eq!(new_stage_id("  Site visit! ", &stages).as_str(), "site_visit");
        assert_eq!(new_stage_id("试用", &stages).as_str(), "stage");
    }
}
