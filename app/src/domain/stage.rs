//! Pipeline stages: data, not an enum, so admins can rename and reorder them.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::StageId;

pub mod pipeline;

/// One pipeline stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct StageDef {
    #[key]
    pub id: StageId,
    #[autosurgeon(hydrate = "super::records::line::one")]
    pub name_en: String,
    #[autosurgeon(hydrate = "super::records::line::one")]
    pub name_zh: String,
    /// Default win probability in percent (0-100) for an opportunity entering this stage.
    pub probability: u8,
    /// Reaching this stage wins the deal (contract signed).
    pub won: bool,
}

impl StageDef {
    fn new(id: &str, en: &str, zh: &str, probability: u8, won: bool) -> StageDef {
        StageDef { id: StageId::new(id), name_en: en.into(), name_zh: zh.into(), probability, won }
    }

    /// initial contact → needs confirmed → proposal/quote → negotiation → contract signed (won).
    pub fn defaults() -> Vec<StageDef> {
        vec![
            StageDef::new("initial", "Initial contact", "初步接触", 10, false),
            StageDef::new("needs", "Needs confirmed", "需求确认", 30, false),
            StageDef::new("proposal", "Proposal / quote", "方案报价", 50, false),
            StageDef::new("negotiation", "Negotiation", "谈判", 75, false),
            StageDef::new("won", "Contract signed", "签约成交", 100, true),
        ]
    }
}
