//! Live notes: a textarea bound to the record's Automerge Text. Typing becomes character splices placed at
//! the characters the textarea showed (Automerge cursors, [`crate::store::notes`]), so two people typing at
//! once each keep their text in one piece; others' typing updates the textarea in place and the caret stays
//! next to the characters it was next to.

use leptos::html;
use leptos::prelude::*;

use super::ctx::Ctx;
use crate::domain::DocId;
use crate::store::notes::{diff, edit_at_caret, NotesSeen};

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
pub fn LiveNotes(
    id: DocId,
    #[prop(into)] label: Signal<String>,
    #[prop(into)] editable: Signal<bool>,
) -> impl IntoView {
    let ctx = Ctx::use_ctx();
    let store = ctx.store;
    let text = store.notes(id.clone());
    let area = NodeRef::<html::Textarea>::new();
    // What the textarea shows and, when the document is loaded, the heads that text was read at.
    let shown = StoredValue::new(String::new());
    let seen = StoredValue::new(None::<NotesSeen>);
    // An input method (pinyin…) is composing: leave the textarea alone until it is done.
    let composing = StoredValue::new(false);

    // Remote typing (and the first load): show the document's text, the caret following its characters.
    let id_fx = id.clone();
    Effect::new(move |_| {
        let fallback = text.get();
        let Some(el) = area.get() else { return };
        if composing.get_value() || el.value() != shown.get_value() {
            return;
        }
        let Some(now) = store.notes_seen(&id_fx) else {
            // Not loaded yet (or plain-string notes): show the stored view's text.
            if el.value() != fallback {
                el.set_value(&fallback);
            }
            shown.set_value(fallback);
            return;
        };
        let before = seen.get_value();
        if before.as_ref().is_some_and(|b| b.heads == now.heads) {
            return;
        }
        let old = el.value();
        let sel = |v: Option<u32>| v.map(|u| utf16_to_chars(&old, u));
        let (a, b) = (sel(el.selection_start().ok().flatten()), sel(el.selection_end().ok().flatten()));
        if old != now.text {
            el.set_value(&now.text);
        }
        if let (Some(before), Some(a), Some(b)) = (before, a, b) {
            let map = |p| store.notes_map_pos(&id_fx, &before, p).unwrap_or(p);
            let (a, b) = (map(a), map(b));
            let _ = el.set_selection_range(chars_to_utf16(&now.text, a), chars_to_utf16(&now.text, b));
        }
        shown.set_value(now.text.clone());
        seen.set_value(Some(now));
    });

    // Local typing: the one edit since what the textarea showed, spliced where those characters are now.
    let id_input = id.clone();
    let on_input = move || {
        let Some(el) = area.get() else { return };
        let typed = el.value();
        let before = shown.get_value();
        let caret = el.selection_end().ok().flatten().map(|u| utf16_to_chars(&typed, u)).unwrap_or(0);
        let edit = edit_at_caret(&before, &typed, caret);
        if edit.1 == 0 && edit.2.is_empty() {
            return;
        }
        let base = seen.get_value().or_else(|| store.notes_seen(&id_input)).filter(|s| s.text == before);
        let Some(base) = base else {
            // Notes that are not (yet) a text, or not loaded: a plain splice of the stored value.
            let (start, deleted, inserted) = diff(&before, &typed);
            shown.set_value(typed);
            let id = id_input.clone();
            leptos::task::spawn_local(async move {
                if let Err(e) = store.splice_notes(id, start, deleted, inserted).await {
                    ctx.report(e);
                }
            });
            return;
        };
        match store.splice_notes_seen(id_input.clone(), &base, edit) {
            Ok((now, caret)) => {
                if now.text != typed {
                    el.set_value(&now.text);
                    let c = chars_to_utf16(&now.text, caret);
                    let _ = el.set_selection_range(c, c);
                }
                shown.set_value(now.text.clone());
                seen.set_value(Some(now));
            }
            Err(e) => {
                // Put back what the document has: nothing typed is half-applied.
                let back = seen.get_value().map(|s| s.text).unwrap_or(before);
                el.set_value(&back);
                shown.set_value(back);
                ctx.report(e);
            }
        }
    };
    let on_compose_end = on_input.clone();

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
                    on:compositionstart=move |_| composing.set_value(true)
                    on:compositionend=move |_| {
                        composing.set_value(false);
                        on_compose_end();
                    }
                    on:input=move |_| {
                        if !composing.get_value() {
                            on_input();
                        }
                    }
                ></textarea>
            </label>
        </div>
    }
}
