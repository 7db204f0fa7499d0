//! A lead's or contact's personal data after (and for admins, before) its erasure: everyone who sees the
//! record sees "Personal data erased on … by …" in place of the phone and email; an admin sees "Erase
//! personal data", asked first, which calls the relay (`POST /api/v1/{kind}/{id}/erase`): erasure must reach
//! the relay's store and every device, so it is not an offline edit. The page updates when the mark and the
//! index change sync back.

use leptos::prelude::*;
use std::sync::Arc;

use crate::domain::{may_erase_pii, DocId};
use crate::i18n::{I18n, K};
use crate::ui::api;
use crate::ui::components::confirm::{Ask, Confirm};
use crate::ui::components::ctx::Ctx;

/// Is this record's personal data erased (reactive)? Pages hide the phone and email then.
pub fn pii_erased(ctx: Ctx, id: DocId) -> Memo<bool> {
    let rec = ctx.store.record(id);
    Memo::new(move |_| rec.with(|r| r.as_ref().is_some_and(|v| v.pii_erased().is_some())))
}

#[component]
pub fn PiiErasure(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let confirm = Confirm::use_confirm();
    let rec = ctx.store.record(id.clone());
    let mark = Memo::new(move |_| rec.with(|r| r.as_ref().and_then(|v| v.pii_erased().cloned())));
    let may_erase = Memo::new(move |_| {
        let Some(kind) = rec.with(|r| r.as_ref().filter(|v| v.pii_erased().is_none()).map(|v| v.kind())) else {
            return false;
        };
        ctx.me_id().is_some_and(|me| ctx.directory().with(|d| d.as_ref().is_some_and(|d| may_erase_pii(&me, d, kind))))
    });
    let busy = RwSignal::new(false);
    let ask = move |_| {
        let Some((kind, title)) = rec.with_untracked(|r| r.as_ref().map(|v| (v.kind(), v.title().to_string()))) else {
            return;
        };
        let token = ctx.store.session().with_untracked(|s| s.as_ref().map(|s| s.token.clone())).unwrap_or_default();
        let path = format!("/api/v1/{}/{}/erase", kind.plural(), id);
        confirm.ask(Ask {
            title: i18n.t(K::ErasePiiTitle).replace("{record}", &title),
            detail: i18n.t(K::ErasePiiDetail).to_string(),
            on_confirm: Arc::new(move || {
                let (token, path) = (token.clone(), path.clone());
                busy.set(true);
                leptos::task::spawn_local(async move {
                    let r = api::post::<serde_json::Value>(&token, &path, None).await;
                    busy.set(false);
                    if let Err(e) = r {
                        ctx.report(i18n.t(K::ErasePiiFailed).replace("{reason}", &e.to_string()));
                    }
                });
            }),
            on_cancel: None,
        });
    };
    view! {
        {move || {
            mark.get().map(|m| {
                let text = i18n
                    .t(K::ErasePiiDone)
                    .replace("{date}", &i18n.date(m.at))
                    .replace("{name}", &ctx.user_name(&m.by));
                view! { <p class="pii-erased" role="note">{text}</p> }
            })
        }}
        <Show when=move || may_erase.get()>
            <div class="pii-erase">
                <button type="button" class="danger" disabled=move || busy.get() on:click=ask.clone()>
                    {move || i18n.t(K::ErasePii)}
                </button>
            </div>
        </Show>
    }
}
