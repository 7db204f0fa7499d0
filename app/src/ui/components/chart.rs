//! Small charts drawn with CSS (no chart library): labelled horizontal bars, a funnel with the
//! conversion from each step to the next, and a headline figure card. Every figure is also text, so a
//! screen reader (and a test) reads the numbers, not the bar widths.

use leptos::prelude::*;

/// One bar: its label, the value that sets its length, and the text shown beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
}

/// Bar length in percent of the longest bar (0 when every value is 0).
fn share(value: f64, max: f64) -> f64 {
    if max > 0.0 && value.is_finite() {
        (value / max * 100.0).clamp(0.0, 100.0)
    } else {
        0.0
    }
}

/// Horizontal bars, longest value = full width.
#[component]
pub fn BarChart(bars: Vec<Bar>, #[prop(into)] label: String) -> impl IntoView {
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    view! {
        <ul class="bars" aria-label=label>
            {bars
                .into_iter()
                .map(|b| {
                    let width = format!("{:.1}%", share(b.value, max));
                    let full = b.label.clone();
                    view! {
                        <li class="bar-row">
                            <span class="bar-label" title=full>{b.label}</span>
                            <span class="bar-track" aria-hidden="true">
                                <span class="bar-fill" style:width=width></span>
                            </span>
                            <span class="bar-value">{b.text}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// One step of a funnel: how many reached it, and the text of the conversion to the next step.
#[derive(Clone, Debug, PartialEq)]
pub struct FunnelStep {
    pub label: String,
    pub count: usize,
    /// E.g. "67% to next stage"; `None` on the last step.
    pub to_next: Option<String>,
}

/// A centred funnel: each step's bar is as wide as its share of the first (widest) step.
#[component]
pub fn FunnelChart(steps: Vec<FunnelStep>, #[prop(into)] label: String) -> impl IntoView {
    let max = steps.iter().map(|s| s.count as f64).fold(0.0, f64::max);
    view! {
        <ol class="funnel-chart" aria-label=label>
            {steps
                .into_iter()
                .map(|s| {
                    let width = format!("{:.1}%", share(s.count as f64, max).max(2.0));
                    view! {
                        <li class="funnel-step">
                            <div class="funnel-head">
                                <span class="funnel-label">{s.label}</span>
                                <span class="funnel-count">{s.count}</span>
                            </div>
                            <div class="funnel-track" aria-hidden="true">
                                <span class="funnel-fill" style:width=width></span>
                            </div>
                            {s.to_next.map(|t| view! { <p class="funnel-conv">"↓ "{t}</p> })}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

/// A headline figure: label, value (with its exact form as a tooltip) and an optional note.
#[component]
pub fn Kpi(
    #[prop(into)] label: String,
    #[prop(into)] value: String,
    #[prop(optional, into)] title: Option<String>,
    #[prop(optional, into)] note: Option<String>,
) -> impl IntoView {
    let name = label.clone();
    view! {
        <div class="stat card" role="group" aria-label=name>
            <span class="stat-label">{label}</span>
            <span class="stat-value" title=title>{value}</span>
            {note.map(|n| view! { <span class="stat-note">{n}</span> })}
        </div>
    }
}
