//! A windowed list: only the rows on screen (plus a few) are in the DOM, so 30,000 rows scroll smoothly.
//! Rows have a fixed height; the list is a scroll container with a spacer as tall as all rows.

use leptos::html;
use leptos::prelude::*;
use std::sync::Arc;

/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 6;

/// The first and last (exclusive) row to render for a viewport.
pub fn window(scroll_top: f64, viewport: f64, row_height: f64, total: usize) -> (usize, usize) {
    if total == 0 || row_height <= 0.0 {
        return (0, 0);
    }
    let first = (scroll_top.max(0.0) / row_height).floor() as usize;
    let visible = (viewport.max(row_height) / row_height).ceil() as usize + 1;
    let start = first.saturating_sub(OVERSCAN).min(total);
    let end = (first + visible + OVERSCAN).min(total);
    (start, end)
}

/// Renders `count` rows with `row(i)`; `row_height` in CSS pixels. `label` names the list for assistive tech.
#[component]
pub fn VirtualList(
    #[prop(into)] count: Signal<usize>,
    row_height: f64,
    #[prop(into)] label: Signal<String>,
    row: Arc<dyn Fn(usize) -> AnyView + Send + Sync>,
) -> impl IntoView {
    let scroller = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(800.0f64);
    Effect::new(move |_| {
        if let Some(el) = scroller.get() {
            viewport.set(el.client_height() as f64);
        }
    });
    let handle = window_event_listener(leptos::ev::resize, move |_| {
        if let Some(el) = scroller.get_untracked() {
            viewport.set(el.client_height() as f64);
        }
    });
    on_cleanup(move || handle.remove());
    // When the rows change (a new filter), start from the top.
    Effect::new(move |prev: Option<usize>| {
        let n = count.get();
        if prev.is_some_and(|p| p != n) {
            if let Some(el) = scroller.get_untracked() {
                el.set_scroll_top(0);
            }
            scroll_top.set(0.0);
        }
        n
    });
    let range = Memo::new(move |_| window(scroll_top.get(), viewport.get(), row_height, count.get()));
    view! {
        <div
            node_ref=scroller
            class="vlist"
            role="list"
            aria-label=move || label.get()
            on:scroll=move |_| {
                if let Some(el) = scroller.get_untracked() {
                    scroll_top.set(el.scroll_top() as f64);
                }
            }
        >
            <div class="vlist-spacer" style:height=move || format!("{}px", count.get() as f64 * row_height)>
                {move || {
                    let (start, end) = range.get();
                    let row = row.clone();
                    (start..end)
                        .map(|i| {
                            view! {
                                <div
                                    class="vlist-row"
                                    role="listitem"
                                    aria-setsize=move || count.get()
                                    aria-posinset=i + 1
                                    style:transform=format!("translateY({}px)", i as f64 * row_height)
                                    style:height=format!("{row_height}px")
                                >
                                    {row(i)}
                                </div>
                            }
                        })
                        .collect_view()
                }}
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_covers_the_viewport_plus_overscan() {
        assert_eq!(window(0.0, 480.0, 48.0, 30_000), (0, 17));
        let (s, e) = window(48_000.0, 480.0, 48.0, 30_000);
        assert_eq!((s, e), (994, 1017));
        assert_eq!(window(10e9, 480.0, 48.0, 30), (30, 30));
        assert_eq!(window(0.0, 480.0, 48.0, 0), (0, 0));
    }
}
