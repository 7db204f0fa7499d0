//! The record header's archive controls: an "Archived" chip, "Archive" for whoever may write the record,
//! "Restore" for the owner's sales manager or an admin (`domain::ops::archive`; the relay's write gate
//! judges the same rule).

use leptos::prelude::*;

use super::save;
use crate::domain::{ops, Activity, Contact, Customer, DocId, Lead, Opportunity, RecordKind};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::{now, Ctx};

/// Archives (`true`) or restores the record, as a local edit synced like any other.
fn set_mark(ctx: Ctx, id: DocId, kind: RecordKind, archive: bool) {
    let Some(me) = ctx.me_id() else { return };
    let at = now();
    let summary = if archive { "archive" } else { "restore" }.to_string();
    macro_rules! mark {
        ($r:ty) => {
            save::<$r>(ctx, id, summary, move |r| if archive { ops::archive(r, &me, at) } else { ops::restore(r) })
        };
    }
    match kind {
        RecordKind::Lead => mark!(Lead),
        RecordKind::Opportunity => mark!(Opportunity),
        RecordKind::Customer => mark!(Customer),
        RecordKind::Contact => mark!(Contact),
        RecordKind::Activity => mark!(Activity),
    }
}

#[component]
pub fn ArchiveControls(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let rec = ctx.store.record(id.clone());
    // (kind, archived, may archive, may restore)
    let state = Memo::new(move |_| {
        rec.with(|r| {
            r.as_ref().map(|v| {
                let may_restore = ctx.me_id().is_some_and(|me| {
                    ctx.directory().with(|d| d.as_ref().is_some_and(|d| ops::may_restore(&me, d, &v.meta(None))))
                });
                (v.kind(), v.archived().is_some(), ctx.access(v).base.can_write(), may_restore)
            })
        })
    });
    let archived = move || state.get().is_some_and(|s| s.1);
    // Copy (it holds only signals and the context), so each button's handler can use it.
    let mark = move |id: DocId, archive: bool| {
        if let Some((kind, ..)) = state.get_untracked() {
            set_mark(ctx, id, kind, archive);
        }
    };
    let (id_archive, id_restore) = (id.clone(), id);
    view! {
        <div class="archive-controls">
            <Show when=archived>
                <span class="chip chip-archived">{move || i18n.t(K::ArchivedChip)}</span>
            </Show>
            <Show when=move || state.get().is_some_and(|s| !s.1 && s.2)>
                <button
                    type="button"
                    class="secondary"
                    title=move || i18n.t(K::ArchiveHint)
                    on:click={
                        let id = id_archive.clone();
                        move |_| mark(id.clone(), true)
                    }
                >
                    {move || i18n.t(K::Archive)}
                </button>
            </Show>
            <Show when=move || state.get().is_some_and(|s| s.1 && s.3)>
                <button
                    type="button"
                    class="secondary"
                    on:click={
                        let id = id_restore.clone();
                        move |_| mark(id.clone(), false)
                    }
                >
                    {move || i18n.t(K::Restore)}
                </button>
            </Show>
        </div>
    }
}
