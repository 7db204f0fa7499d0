//! Live notes: a textarea bound to the record's Automerge Text. Local typing becomes character splices
//! (merged with others' typing character by character); remote typing updates the textarea in place and
//! keeps the caret where it was relative to the text around it.

use automerge::{AutoCommit, Cursor, ReadDoc, TextEncoding, ROOT};
use leptos::html;
use leptos::prelude::*;
use std::task::Poll;

use super::ctx::Ctx;
use crate::domain::DocId;
use crate::store::ClientStore;

/// The single edit that turns `old` into `new`: (start, deleted, inserted), in characters.
pub fn diff(old: &str, new: &str) -> (usize, usize, String) {
    let o: Vec<char> = old.chars().collect();
    let n: Vec<char> = new.chars().collect();
    let prefix = o.iter().zip(&n).take_while(|(a, b)| a == b).count();
    let max_suffix = o.len().min(n.len()) - prefix;
    let suffix = o.iter().rev().zip(n.iter().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();
    let inserted: String = n[prefix..n.len() - suffix].iter().collect();
    (prefix, o.len() - prefix - suffix, inserted)
}

/// Where a caret at `caret` (characters) goes when `(start, deleted, inserted)` is applied before or around it.
pub fn shift_caret(caret: usize, start: usize, deleted: usize, inserted: usize) -> usize {
    if caret <= start {
        caret
    } else if caret >= start + deleted {
        caret - deleted + inserted
    } else {
        start + inserted
    }
}

fn utf16_to_chars(s: &str, utf16: u32) -> usize {
    let mut units = 0u32;
    for (i, c) in s.chars().enumerate() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16() as u32;
    }
    s.chars().count()
}

fn chars_to_utf16(s: &str, chars: usize) -> u32 {
    s.chars().take(chars).map(|c| c.len_utf16() as u32).sum()
}

/// Applies `(start, deleted, inserted)` to `text` (character positions).
pub fn apply(text: &str, start: usize, deleted: usize, inserted: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let start = start.min(chars.len());
    let end = (start + deleted).min(chars.len());
    chars[..start].iter().chain(inserted.chars().collect::<Vec<_>>().iter()).chain(chars[end..].iter()).collect()
}

/// Rebases a local edit made on `seen` onto `current` (= `seen` plus edits from others that the
/// textarea did not show yet): returns the edit's start in `current`.
pub fn rebase(seen: &str, current: &str, start: usize, deleted: usize) -> usize {
    if seen == current {
        return start;
    }
    let (r_start, r_deleted, r_inserted) = diff(seen, current);
    let r_ins = r_inserted.chars().count();
    // Text others inserted exactly at our caret stays after our edit: each person's typing stays in one
    // piece (Automerge keeps a run of characters together; so do we).
    if r_start < start && r_start + r_deleted <= start {
        start - r_deleted + r_ins
    } else if r_start >= start + deleted {
        start
    } else {
        // Overlapping edits: keep ours at the start of theirs.
        r_start.min(start)
    }
}

/// The notes text object of a record document.
fn notes_obj(d: &AutoCommit) -> Option<automerge::ObjId> {
    match d.get(ROOT, "notes").ok()?? {
        (automerge::Value::Object(automerge::ObjType::Text), obj) => Some(obj),
        _ => None,
    }
}

/// Character index → the document's text index units.
fn to_units(d: &AutoCommit, text: &str, chars: usize) -> usize {
    let prefix = text.chars().take(chars);
    match d.text_encoding() {
        TextEncoding::Utf8CodeUnit => prefix.map(char::len_utf8).sum(),
        TextEncoding::Utf16CodeUnit => prefix.map(char::len_utf16).sum(),
        TextEncoding::UnicodeCodePoint | TextEncoding::GraphemeCluster => prefix.count(),
    }
}

/// The document's text index units → character index.
fn from_units(d: &AutoCommit, text: &str, units: usize) -> usize {
    let width = |c: char| match d.text_encoding() {
        TextEncoding::Utf8CodeUnit => c.len_utf8(),
        TextEncoding::Utf16CodeUnit => c.len_utf16(),
        TextEncoding::UnicodeCodePoint | TextEncoding::GraphemeCluster => 1,
    };
    let mut n = 0;
    for (i, c) in text.chars().enumerate() {
        if n >= units {
            return i;
        }
        n += width(c);
    }
    text.chars().count()
}

/// A cursor on the character just before character position `caret` (none at the very start).
fn anchor_at(store: ClientStore, id: &DocId, caret: usize) -> Option<Cursor> {
    let before = caret.checked_sub(1)?;
    store.with_doc(id, |d| {
        let obj = notes_obj(d)?;
        let text = d.text(&obj).ok()?;
        d.get_cursor(&obj, to_units(d, &text, before), None).ok()
    })?
}

/// Where the caret that followed `anchor` is now (character position).
fn caret_of(store: ClientStore, id: &DocId, anchor: &Cursor) -> Option<usize> {
    store.with_doc(id, |d| {
        let obj = notes_obj(d)?;
        let text = d.text(&obj).ok()?;
        let units = d.get_cursor_position(&obj, anchor, None).ok()?;
        Some(from_units(d, &text, units) + 1)
    })?
}

/// Our caret in the text: where it is in the textarea (`at`) and the character it follows in the
/// document, which stays right through others' concurrent typing (positions alone are ambiguous when
/// someone types at the same spot).
#[derive(Clone)]
struct Caret {
    at: usize,
    anchor: Option<Cursor>,
}

#[component]
pub fn LiveNotes(
    id: DocId,
    #[prop(into)] label: Signal<String>,
    #[prop(into)] editable: Signal<bool>,
) -> impl IntoView {
    let ctx = Ctx::use_ctx();
    let store = ctx.store;
    let text = store.notes(id.clone());
    let area = NodeRef::<html::Textarea>::new();
    // What the textarea showed after our last local edit or remote update.
    let shown = StoredValue::new(None::<String>);
    let caret = StoredValue::new(None::<Caret>);
    // Local splices not yet applied by the store.
    let pending = RwSignal::new(0usize);
    let id_now = id.clone();
    // The document's text right now (ahead of the `text` signal while changes are being persisted).
    let current = move || store.notes_now(&id_now).unwrap_or_else(|| text.get_untracked());

    // Remote typing: bring the textarea up to date, keeping the caret next to the same characters.
    let current_fx = current.clone();
    let id_fx = id.clone();
    Effect::new(move |_| {
        text.track();
        if pending.get() > 0 {
            return;
        }
        let Some(el) = area.get() else { return };
        let remote = current_fx();
        let now = el.value();
        if now == remote {
            shown.set_value(Some(remote));
            return;
        }
        let (start, deleted, inserted) = diff(&now, &remote);
        let ins = inserted.chars().count();
        let sel = |v: Option<u32>| v.map(|u| utf16_to_chars(&now, u));
        let (a, b) = (sel(el.selection_start().ok().flatten()), sel(el.selection_end().ok().flatten()));
        // Our typing caret follows its anchor character; any other selection shifts by the difference.
        let anchored = caret.get_value().filter(|c| Some(c.at) == a && a == b).and_then(|c| {
            let pos = caret_of(store, &id_fx, c.anchor.as_ref()?)?;
            caret.set_value(Some(Caret { at: pos, anchor: c.anchor }));
            Some(pos)
        });
        el.set_value(&remote);
        if let (Some(a), Some(b)) = (a, b) {
            let (a, b) = match anchored {
                Some(p) => (p, p),
                None => (shift_caret(a, start, deleted, ins), shift_caret(b, start, deleted, ins)),
            };
            let _ = el.set_selection_range(chars_to_utf16(&remote, a), chars_to_utf16(&remote, b));
        }
        shown.set_value(Some(remote));
    });

    let id_input = id.clone();
    let id_focus = id.clone();
    let id_blur = id.clone();
    view! {
        <div class="field field-notes">
            <label class="field-label">
                <span>{move || label.get()}</span>
                <textarea
                    node_ref=area
                    class="field-input notes"
                    rows="6"
                    readonly=move || !editable.get()
                    on:focus=move |_| store.set_presence(id_focus.clone(), Some("notes".into()))
                    on:blur=move |_| store.set_presence(id_blur.clone(), None)
                    on:input=move |_| {
                        let Some(el) = area.get() else { return };
                        let typed = el.value();
                        let doc_now = current();
                        let before = shown.get_value().unwrap_or_else(|| doc_now.clone());
                        let (start, deleted, inserted) = diff(&before, &typed);
                        if deleted == 0 && inserted.is_empty() {
                            return;
                        }
                        // Others' typing may have reached the document but not this textarea yet: place our
                        // edit in the document's text (after the character our caret follows when we keep
                        // typing where we were), and show that text with our edit.
                        let at = if doc_now == before {
                            start
                        } else {
                            caret
                                .get_value()
                                .filter(|c| c.at == start + deleted)
                                .and_then(|c| caret_of(store, &id_input, c.anchor.as_ref()?))
                                .map(|p| p.saturating_sub(deleted))
                                .unwrap_or_else(|| rebase(&before, &doc_now, start, deleted))
                        };
                        let ins = inserted.chars().count();
                        let after = apply(&doc_now, at, deleted, &inserted);
                        if after != typed {
                            let c = chars_to_utf16(&after, at + ins);
                            el.set_value(&after);
                            let _ = el.set_selection_range(c, c);
                        }
                        shown.set_value(Some(after));
                        pending.update(|p| *p += 1);
                        let id = id_input.clone();
                        leptos::task::spawn_local(async move {
                            let mut splice = Box::pin(store.splice_notes_text(id.clone(), at, deleted, inserted));
                            // The first poll writes the change into the loaded document (persisting comes
                            // after): anchor the caret on the character we just typed, before anything else
                            // can change the document.
                            let first = futures::poll!(splice.as_mut());
                            caret.set_value(Some(Caret { at: at + ins, anchor: anchor_at(store, &id, at + ins) }));
                            let r = match first {
                                Poll::Ready(r) => r,
                                Poll::Pending => splice.await,
                            };
                            pending.update(|p| *p -= 1);
                            if let Err(e) = r {
                                ctx.report(e);
                            }
                        });
                    }
                ></textarea>
            </label>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_finds_the_single_edit() {
        assert_eq!(diff("hello", "help lo"), (3, 0, "p l".into()));
        assert_eq!(diff("abc", "ac"), (1, 1, String::new()));
        assert_eq!(diff("", "你好"), (0, 0, "你好".into()));
        assert_eq!(diff("aaa", "aa"), (2, 1, String::new()));
    }

    #[test]
    fn local_edits_rebase_over_unseen_remote_text() {
        // We typed "X" at 5 in "hello"; meanwhile someone inserted "abc" at 0.
        assert_eq!(rebase("hello", "abchello", 5, 0), 8);
        // Their edit after ours leaves ours in place, also when it is right at our caret.
        assert_eq!(rebase("hello", "hello world", 2, 1), 2);
        assert_eq!(rebase("hello", "hello world", 5, 0), 5);
        assert_eq!(apply("abchello", 8, 0, "X"), "abchelloX");
        assert_eq!(apply("你好", 1, 1, "们"), "你们");
    }

    #[test]
    fn caret_moves_with_text_before_it() {
        assert_eq!(shift_caret(5, 0, 0, 3), 8);
        assert_eq!(shift_caret(2, 4, 1, 0), 2);
        assert_eq!(shift_caret(5, 3, 4, 1), 4);
    }
}
