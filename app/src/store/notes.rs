//! Live notes: a text box edited against a record's `notes` Automerge Text while others type in it too.
//!
//! The text box shows the text as it was at some document heads ([`NotesSeen`]). Others' typing may reach
//! the document before the box shows it, so a position in the box is a position *at those heads*; Automerge
//! cursors taken at those heads say where it is now ([`map_pos`]). A local edit is spliced there
//! ([`splice_seen`]), and a remote update moves the caret the same way. No text diffing between versions:
//! a diff cannot tell which of two equal characters someone typed next to.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, MoveCursor, ObjId, ObjType, ReadDoc, TextEncoding, Value, ROOT};

/// What a notes box shows: the text, and the document heads it was read at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotesSeen {
    pub text: String,
    pub heads: Vec<ChangeHash>,
}

/// The record's `notes` text object (`None` when the notes are missing or a plain string).
pub fn notes_obj<D: ReadDoc>(doc: &D) -> Option<ObjId> {
    match doc.get(ROOT, "notes").ok()?? {
        (Value::Object(ObjType::Text), obj) => Some(obj),
        _ => None,
    }
}

/// The notes as the document has them now.
pub fn seen_now(doc: &mut AutoCommit) -> Option<NotesSeen> {
    let obj = notes_obj(doc)?;
    let text = doc.text(&obj).ok()?;
    Some(NotesSeen { text, heads: doc.get_heads() })
}

/// Width of a character in the document's text index units.
fn width(doc: &AutoCommit, c: char) -> usize {
    match doc.text_encoding() {
        TextEncoding::Utf8CodeUnit => c.len_utf8(),
        TextEncoding::Utf16CodeUnit => c.len_utf16(),
        TextEncoding::UnicodeCodePoint | TextEncoding::GraphemeCluster => 1,
    }
}

fn to_units(doc: &AutoCommit, text: &str, chars: usize) -> usize {
    text.chars().take(chars).map(|c| width(doc, c)).sum()
}

fn from_units(doc: &AutoCommit, text: &str, units: usize) -> usize {
    let mut n = 0;
    for (i, c) in text.chars().enumerate() {
        if n >= units {
            return i;
        }
        n += width(doc, c);
    }
    text.chars().count()
}

/// Where the gap at character `pos` of `seen` is in the document now (characters).
///
/// A gap is "just after the character before it": text others inserted at the same spot meanwhile ends up
/// after the gap, so a person's run of typing stays in one piece. If that character was deleted meanwhile,
/// the gap is where it was.
pub fn map_pos(doc: &AutoCommit, seen: &NotesSeen, pos: usize) -> usize {
    let Some(obj) = notes_obj(doc) else { return pos };
    let Ok(now) = doc.text(&obj) else { return pos };
    let len = now.chars().count();
    if pos == 0 {
        return 0;
    }
    let anchor = to_units(doc, &seen.text, pos - 1);
    let at = |mv: MoveCursor| {
        let cursor = doc.get_cursor_moving(&obj, anchor, Some(&seen.heads), mv).ok()?;
        doc.get_cursor_position(&obj, &cursor, None).ok()
    };
    match (at(MoveCursor::Before), at(MoveCursor::After)) {
        // Still there: both resolve to the character itself.
        (Some(before), Some(after)) if before == after => (from_units(doc, &now, after) + 1).min(len),
        // Deleted: `After` resolves to where it was.
        (_, Some(after)) => from_units(doc, &now, after).min(len),
        _ => pos.min(len),
    }
}

/// The single edit that turns `old` into `new`: (start, deleted, inserted), in characters, as late as the
/// common prefix allows.
pub fn diff(old: &str, new: &str) -> (usize, usize, String) {
    let o: Vec<char> = old.chars().collect();
    let n: Vec<char> = new.chars().collect();
    let prefix = o.iter().zip(&n).take_while(|(a, b)| a == b).count();
    let max_suffix = o.len().min(n.len()) - prefix;
    let suffix = o.iter().rev().zip(n.iter().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();
    let inserted: String = n[prefix..n.len() - suffix].iter().collect();
    (prefix, o.len() - prefix - suffix, inserted)
}

/// Applies `(start, deleted, inserted)` to `text` (character positions).
pub fn apply(text: &str, start: usize, deleted: usize, inserted: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let start = start.min(chars.len());
    let end = (start + deleted).min(chars.len());
    chars[..start].iter().copied().chain(inserted.chars()).chain(chars[end..].iter().copied()).collect()
}

/// The one edit the user made in a box that showed `shown` and now holds `typed`, with the caret at
/// `caret` (characters) after it. Next to repeated characters a diff alone is ambiguous ("aa" → "aaa"):
/// the caret says where the typing really happened.
pub fn edit_at_caret(shown: &str, typed: &str, caret: usize) -> (usize, usize, String) {
    let (start, deleted, inserted) = diff(shown, typed);
    let n = inserted.chars().count();
    if let Some(c) = caret.checked_sub(n).filter(|&c| c < start) {
        let there: String = typed.chars().skip(c).take(n).collect();
        if apply(shown, c, deleted, &there) == typed {
            return (c, deleted, there);
        }
    }
    (start, deleted, inserted)
}

/// Applies an edit made to the text of `seen` to the document as it is now. Returns what the box should
/// show afterwards and where its caret goes (characters).
pub fn splice_seen(
    doc: &mut AutoCommit,
    seen: &NotesSeen,
    start: usize,
    deleted: usize,
    inserted: &str,
) -> Result<(NotesSeen, usize), String> {
    let obj = notes_obj(doc).ok_or("the notes are not a text")?;
    let seen_len = seen.text.chars().count();
    if start > seen_len || deleted > seen_len - start {
        return Err(format!("notes: edit at {start}+{deleted} is outside the text ({seen_len})"));
    }
    let (from, to) = if doc.get_heads() == seen.heads {
        (start, start + deleted)
    } else {
        let from = map_pos(doc, seen, start);
        (from, map_pos(doc, seen, start + deleted).max(from))
    };
    let now = doc.text(&obj).map_err(|e| e.to_string())?;
    let upos = to_units(doc, &now, from);
    let udel = to_units(doc, &now, to) - upos;
    doc.splice_text(&obj, upos, udel as isize, inserted).map_err(|e| e.to_string())?;
    let after = seen_now(doc).ok_or("the notes are not a text")?;
    Ok((after, from + inserted.chars().count()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::ActorId;

    fn doc_with(text: &str, actor: u8) -> AutoCommit {
        let mut d = AutoCommit::new().with_actor(ActorId::from(vec![actor; 16]));
        let obj = d.put_object(ROOT, "notes", ObjType::Text).unwrap();
        d.splice_text(&obj, 0, 0, text).unwrap();
        d
    }

    fn fork(d: &mut AutoCommit, actor: u8) -> AutoCommit {
        d.fork().with_actor(ActorId::from(vec![actor; 16]))
    }

    /// One person's notes box: what it shows and its caret.
    struct Box_ {
        seen: NotesSeen,
        caret: usize,
    }

    impl Box_ {
        fn open(doc: &mut AutoCommit, caret_at_end: bool) -> Self {
            let seen = seen_now(doc).unwrap();
            let caret = if caret_at_end { seen.text.chars().count() } else { 0 };
            Box_ { seen, caret }
        }
        /// Types one character at the caret, as the browser's input event would report it.
        fn type_char(&mut self, doc: &mut AutoCommit, c: char) {
            let typed = apply(&self.seen.text, self.caret, 0, &c.to_string());
            let (start, deleted, inserted) = edit_at_caret(&self.seen.text, &typed, self.caret + 1);
            let (seen, caret) = splice_seen(doc, &self.seen, start, deleted, &inserted).unwrap();
            self.seen = seen;
            self.caret = caret;
        }
        fn backspace(&mut self, doc: &mut AutoCommit) {
            let typed = apply(&self.seen.text, self.caret - 1, 1, "");
            let (start, deleted, inserted) = edit_at_caret(&self.seen.text, &typed, self.caret - 1);
            let (seen, caret) = splice_seen(doc, &self.seen, start, deleted, &inserted).unwrap();
            self.seen = seen;
            self.caret = caret;
        }
        /// A remote update is shown: the caret follows its gap.
        fn refresh(&mut self, doc: &mut AutoCommit) {
            self.caret = map_pos(doc, &self.seen, self.caret);
            self.seen = seen_now(doc).unwrap();
        }
    }

    fn notes(d: &AutoCommit) -> String {
        d.text(notes_obj(d).unwrap()).unwrap()
    }

    /// A tiny deterministic generator for interleavings.
    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn the_caret_says_where_repeated_characters_were_typed() {
        assert_eq!(edit_at_caret("aa", "aaa", 1), (0, 0, "a".into()));
        assert_eq!(edit_at_caret("aa", "aaa", 2), (1, 0, "a".into()));
        assert_eq!(edit_at_caret("aa", "aaa", 3), (2, 0, "a".into()));
        assert_eq!(edit_at_caret("abba", "aba", 1), (1, 1, String::new()));
        assert_eq!(edit_at_caret("hello", "help lo", 5), (3, 0, "p ".into()));
        assert_eq!(edit_at_caret("", "你好", 2), (0, 0, "你好".into()));
        // A caret that doesn't fit the edit (a paste replaced a selection) falls back to the diff.
        assert_eq!(edit_at_caret("abc", "aXc", 0), (1, 1, "X".into()));
    }

    #[test]
    fn two_people_typing_at_the_same_end_each_keep_their_text_in_one_piece() {
        let runs = [" alpha typed by rep1", " bravo typed by manager"];
        for seed0 in 0..60u64 {
            let mut seed = seed0;
            let mut a = doc_with("Call notes: aa", 1);
            let mut b = fork(&mut a, 2);
            let mut boxes = [Box_::open(&mut a, true), Box_::open(&mut b, true)];
            let mut next = [0usize, 0usize];
            while next[0] < runs[0].len() || next[1] < runs[1].len() {
                match lcg(&mut seed) % 6 {
                    // Someone types the next character of their run.
                    0..=2 => {
                        let who = (lcg(&mut seed) % 2) as usize;
                        if next[who] < runs[who].len() {
                            let c = runs[who].as_bytes()[next[who]] as char;
                            let doc = if who == 0 { &mut a } else { &mut b };
                            boxes[who].type_char(doc, c);
                            next[who] += 1;
                        }
                    }
                    // Changes reach the other document (the box may not show them yet).
                    3 => a.merge(&mut b).map(|_| ()).unwrap(),
                    4 => b.merge(&mut a).map(|_| ()).unwrap(),
                    // A box shows the remote update.
                    _ => {
                        let who = (lcg(&mut seed) % 2) as usize;
                        let doc = if who == 0 { &mut a } else { &mut b };
                        boxes[who].refresh(doc);
                    }
                }
            }
            a.merge(&mut b).unwrap();
            b.merge(&mut a).unwrap();
            let (ta, tb) = (notes(&a), notes(&b));
            assert_eq!(ta, tb, "seed {seed0}");
            for run in runs {
                assert!(ta.contains(run), "seed {seed0}: {run:?} not in one piece in {ta:?}");
            }
            assert!(ta.starts_with("Call notes: aa"), "seed {seed0}: {ta:?}");
        }
    }

    #[test]
    fn edits_land_next_to_what_the_box_showed_although_others_changed_the_text() {
        let mut a = doc_with("one two three", 1);
        let mut b = fork(&mut a, 2);
        let mut box_a = Box_::open(&mut a, false);
        box_a.caret = 7; // after "one two"
                         // Someone else rewrites the start; it reaches a's document but not a's box.
        let obj = notes_obj(&b).unwrap();
        b.splice_text(&obj, 0, 3, "ONE!!").unwrap();
        a.merge(&mut b).unwrap();
        box_a.type_char(&mut a, '2');
        assert_eq!(notes(&a), "ONE!! two2 three");
        assert_eq!(box_a.seen.text, "ONE!! two2 three");
        assert_eq!(box_a.caret, 10);
        box_a.backspace(&mut a);
        box_a.backspace(&mut a);
        assert_eq!(notes(&a), "ONE!! tw three");
        // The caret follows its gap when a remote update is shown.
        b.merge(&mut a).unwrap();
        b.splice_text(&obj, 0, 0, ">> ").unwrap();
        a.merge(&mut b).unwrap();
        box_a.refresh(&mut a);
        assert_eq!(box_a.caret, 11);
    }

    #[test]
    fn a_gap_whose_character_was_deleted_stays_where_it_was() {
        let mut a = doc_with("abcdef", 1);
        let mut b = fork(&mut a, 2);
        let box_seen = seen_now(&mut a).unwrap();
        let obj = notes_obj(&b).unwrap();
        b.splice_text(&obj, 1, 3, "").unwrap(); // "aef"
        a.merge(&mut b).unwrap();
        assert_eq!(map_pos(&a, &box_seen, 3), 1);
        assert_eq!(map_pos(&a, &box_seen, 5), 2);
        assert_eq!(map_pos(&a, &box_seen, 0), 0);
        assert_eq!(map_pos(&a, &box_seen, 6), 3);
    }

    #[test]
    fn out_of_range_edits_are_refused_and_change_nothing() {
        let mut a = doc_with("abc", 1);
        let seen = seen_now(&mut a).unwrap();
        assert!(splice_seen(&mut a, &seen, 2, 5, "x").is_err());
        assert!(splice_seen(&mut a, &seen, 9, 0, "x").is_err());
        assert_eq!(notes(&a), "abc");
        let mut plain = AutoCommit::new();
        plain.put(ROOT, "notes", "plain").unwrap();
        assert!(splice_seen(&mut plain, &seen, 0, 0, "x").is_err());
        assert_eq!(seen_now(&mut plain), None);
    }
}
