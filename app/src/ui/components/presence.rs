//! Who else has this record open (and who is typing where): avatars from the store's presence signal.

use leptos::prelude::*;

use super::ctx::{initials, Ctx};
use crate::domain::DocId;
use crate::i18n::{I18n, K};

#[component]
pub fn PresenceAvatars(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let others = ctx.store.presence(id);
    view! {
        <Show when=move || others.with(|o| !o.is_empty())>
            <ul class="presence" aria-label=move || i18n.t(K::AlsoHere)>
                <For each=move || others.get() key=|p| (p.peer.clone(), p.field.clone()) let:p>
                    {
                        let label = match &p.field {
                            Some(f) => format!("{} {} ({f})", p.name, i18n.t(K::IsTyping)),
                            None => p.name.clone(),
                        };
                        let typing = p.field.is_some();
                        view! {
                            <li class="avatar" class:typing=typing title=label.clone() aria-label=label>
                                {initials(&p.name)}
                            </li>
                        }
                    }
                </For>
            </ul>
        </Show>
    }
}
