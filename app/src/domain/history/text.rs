//! A compact, readable diff of long text: runs kept, inserted and deleted, by character, with long kept
//! runs cut to their ends so an entry stays small however long the note.

use serde::{Deserialize, Serialize};
use similar::{Algorithm, ChangeTag, TextDiff};

/// Characters of context kept at each end of an unchanged run.
const CONTEXT: usize = 20;

/// One run of a text diff. JSON: `{"op": "keep" | "insert" | "delete", "text": ..}`; a kept run longer
/// than twice the context reads `"start…end"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextEdit {
    pub op: TextOp,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextOp {
    Keep,
    Insert,
    Delete,
}

/// The runs that turn `old` into `new`.
pub(super) fn diff(old: &str, new: &str) -> Vec<TextEdit> {
    // No deadline: the domain reads no clock (and Myers on notes-sized text is quick).
    let d = TextDiff::configure().algorithm(Algorithm::Myers).diff_chars(old, new);
    let mut out: Vec<TextEdit> = Vec::new();
    for change in d.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => TextOp::Keep,
            ChangeTag::Insert => TextOp::Insert,
            ChangeTag::Delete => TextOp::Delete,
        };
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(change.value()),
            _ => out.push(TextEdit { op, text: change.value().to_string() }),
        }
    }
    for e in out.iter_mut().filter(|e| e.op == TextOp::Keep) {
        let n = e.text.chars().count();
        if n > 2 * CONTEXT + 1 {
            let head: String = e.text.chars().take(CONTEXT).collect();
            let tail: String = e.text.chars().skip(n - CONTEXT).collect();
            e.text = format!("{head}…{tail}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_merged_and_long_kept_runs_cut() {
        let old = format!("{}call back monday", "x".repeat(60));
        let new = format!("{}call back tuesday", "x".repeat(60));
        let d = diff(&old, &new);
        assert_eq!(d.first().unwrap().op, TextOp::Keep);
        assert!(d.first().unwrap().text.contains('…'));
        let inserted: String = d.iter().filter(|e| e.op == TextOp::Insert).map(|e| e.text.as_str()).collect();
        let deleted: String = d.iter().filter(|e| e.op == TextOp::Delete).map(|e| e.text.as_str()).collect();
        assert_eq!(deleted, "mon");
        assert_eq!(inserted, "tues");
        assert_eq!(diff("", "hi"), vec![TextEdit { op: TextOp::Insert, text: "hi".into() }]);
    }
}
