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
    // The common ends first: an edit of a long note touches a few characters, and Myers over the whole text
    // costs its length times the edit for every change of the history.
    let prefix: usize = old.chars().zip(new.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
    let (old_rest, new_rest) = (&old[prefix..], &new[prefix..]);
    let suffix: usize =
        old_rest.chars().rev().zip(new_rest.chars().rev()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
    let (old_mid, new_mid) = (&old_rest[..old_rest.len() - suffix], &new_rest[..new_rest.len() - suffix]);
    let mut out: Vec<TextEdit> = Vec::new();
    let mut push = |op: TextOp, text: &str| match out.last_mut() {
        _ if text.is_empty() => {}
        Some(last) if last.op == op => last.text.push_str(text),
        _ => out.push(TextEdit { op, text: text.to_string() }),
    };
    push(TextOp::Keep, &old[..prefix]);
    // No deadline: the domain reads no clock.
    let d = TextDiff::configure().algorithm(Algorithm::Myers).diff_chars(old_mid, new_mid);
    for change in d.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => TextOp::Keep,
            ChangeTag::Insert => TextOp::Insert,
            ChangeTag::Delete => TextOp::Delete,
        };
        push(op, change.value());
    }
    push(TextOp::Keep, &old_rest[old_rest.len() - suffix..]);
    shorten(out)
}

/// Cuts long kept runs to their ends.
fn shorten(mut out: Vec<TextEdit>) -> Vec<TextEdit> {
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
        assert_eq!(diff("same", "same"), vec![TextEdit { op: TextOp::Keep, text: "same".into() }]);
        let d = diff("会议在周一", "会议在周二下午");
        let text = |op| d.iter().filter(|e| e.op == op).map(|e| e.text.as_str()).collect::<String>();
        assert_eq!(
            (text(TextOp::Keep), text(TextOp::Delete), text(TextOp::Insert)),
            ("会议在周".into(), "一".into(), "二下午".into())
        );
    }
}
