//! Live notes: a textarea bound to the record's Automerge Text. Local typing becomes character splices
//! (merged with others' typing character by character); remote typing updates the textarea in place and
//! keeps the caret where it was relative to the text around it.

use leptos::html;
use leptos::prelude::*;

use super::ctx::Ctx;
use crate::domain::DocId;

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

#[component]
pub fn LiveNotes(id: DocId, #[prop(into)] label: Signal<String>, #[prop(into)] editable: Signal<bool>) -> impl IntoView {
    let ctx = Ctx::use_ctx();
    let store = ctx.store;
    let text = store.notes(id.clone());
    let area = NodeRef::<html::Textarea>::new();
    // What the textarea showed after our last local edit or remote update.
    let shown = StoredValue::new(String::new());
    // Local splices not yet applied by the store: until they land, the store's text lags the textarea.
    let pending = RwSignal::new(0usize);

    Effect::new(move |_| {
        let remote = text.get();
        if pending.get() > 0 {
            return;
        }
        let Some(el) = area.get() else { return };
        let current = el.value();
        if current == remote {
            shown.set_value(remote);
            return;
        }
        let (start, deleted, inserted) = diff(&current, &remote);
        let ins = inserted.chars().count();
        let sel = |v: Option<u32>| v.map(|u| utf16_to_chars(&current, u));
        let (a, b) = (sel(el.selection_start().ok().flatten()), sel(el.selection_end().ok().flatten()));
        el.set_value(&remote);
        if let (Some(a), Some(b)) = (a, b) {
            let a = chars_to_utf16(&remote, shift_caret(a, start, deleted, ins));
            let b = chars_to_utf16(&remote, shift_caret(b, start, deleted, ins));
            let _ = el.set_selection_range(a, b);
        }
        shown.set_value(remote);
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
                        let now = el.value();
                        let before = shown.get_value();
                        let (start, deleted, inserted) = diff(&before, &now);
                        shown.set_value(now);
                        if deleted == 0 && inserted.is_empty() {
                            return;
                        }
                        pending.update(|p| *p += 1);
                        let id = id_input.clone();
                        leptos::task::spawn_local(async move {
                            let r = store.splice_notes(id, start, deleted, inserted).await;
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
    fn caret_moves_with_text_before_it() {
        assert_eq!(shift_caret(5, 0, 0, 3), 8);
        assert_eq!(shift_caret(2, 4, 1, 0), 2);
        assert_eq!(shift_caret(5, 3, 4, 1), 4);
    }
}
