//! "rep2 will see 14 more deals": the effect of a directory change before it is saved, computed on this
//! device by `domain::people::access_effect` (the relay's own `access`) over the records held here. An
//! admin's device holds every record, so for an admin the figures are exact.

use leptos::prelude::*;
use std::collections::HashMap;

use crate::domain::people::{access_effect, AccessChange};
use crate::domain::{Directory, FieldGroup, RecordKind, RecordMeta, RecordView};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::Ctx;

/// The policy facts of every record this device holds.
pub fn record_metas(ctx: Ctx) -> Memo<Vec<RecordMeta>> {
    let store = ctx.store;
    Memo::new(move |_| {
        let customers = store.records(RecordKind::Customer);
        let owners: HashMap<_, _> =
            customers.with(|cs| cs.iter().map(|c| (c.id().clone(), c.owner().cloned())).collect());
        let mut out = Vec::new();
        for kind in RecordKind::ALL {
            store.records(kind).with(|vs| {
                out.extend(vs.iter().map(|v: &RecordView| {
                    let customer_owner = v.customer().and_then(|c| owners.get(c).cloned().flatten());
                    v.meta(customer_owner)
                }))
            });
        }
        out
    })
}

fn kind_word(kind: RecordKind) -> K {
    match kind {
        RecordKind::Lead => K::WordLeads,
        RecordKind::Opportunity => K::WordDeals,
        RecordKind::Customer => K::WordCustomers,
        RecordKind::Contact => K::WordContacts,
        RecordKind::Activity => K::WordActivities,
    }
}

fn group_word(group: FieldGroup) -> K {
    match group {
        FieldGroup::Money => K::WordAmounts,
        FieldGroup::Pii => K::WordPersonalDetails,
        FieldGroup::Service => K::WordServiceDetails,
        FieldGroup::Base => K::WordDeals,
    }
}

/// One sentence per direction of one change ("rep2 will see 14 more deals").
pub fn sentences(i18n: I18n, dir: &Directory, c: &AccessChange) -> Vec<String> {
    let who = dir.user(&c.user).map(|u| u.name.clone()).unwrap_or_else(|| c.user.to_string());
    let what = match c.seen.group {
        None => i18n.t(kind_word(c.seen.kind)).to_string(),
        Some(g) => i18n
            .t(K::WordGroupOf)
            .replace("{group}", i18n.t(group_word(g)))
            .replace("{kind}", i18n.t(kind_word(c.seen.kind))),
    };
    let mut out = Vec::new();
    for (n, key) in [(c.gained, K::EffectGain), (c.lost, K::EffectLose)] {
        if n > 0 {
            out.push(i18n.t(key).replace("{user}", &who).replace("{n}", &n.to_string()).replace("{what}", &what));
        }
    }
    out
}

/// The preview of `after` against the directory as it is now.
#[component]
pub fn EffectPreview(#[prop(into)] after: Signal<Option<Directory>>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let metas = record_metas(ctx);
    // `Err(text)`: nothing to compare yet (the directory is loading, or the form is not filled in).
    let lines = Memo::new(move |_| {
        let Some(before) = ctx.directory().get() else { return Err(K::EffectNothing) };
        let Some(after) = after.get() else { return Err(K::EffectFillIn) };
        let changes = metas.with(|m| access_effect(&before, &after, m));
        Ok(changes.iter().flat_map(|c| sentences(i18n, &after, c)).collect::<Vec<_>>())
    });
    view! {
        <section class="effect" aria-label=move || i18n.t(K::EffectTitle)>
            <h3>{move || i18n.t(K::EffectTitle)}</h3>
            {move || match lines.get() {
                Err(k) => view! { <p class="muted">{i18n.t(k)}</p> }.into_any(),
                Ok(l) if l.is_empty() => view! { <p class="muted">{i18n.t(K::EffectNone)}</p> }.into_any(),
                Ok(l) => view! { <ul class="effect-lines">{l.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul> }.into_any(),
            }}
        </section>
    }
}
