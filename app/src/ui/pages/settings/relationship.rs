//! Settings → customer relationship rules (admins): churn warnings (days without activity, satisfaction
//! threshold), the visit interval of each tier, and the tier rules (lifetime value or the last 12 months).
//! Saved into the directory document like every setting; the relay refuses anyone but an admin and
//! checks the same ranges (`ChurnRules::validate`, `RelationshipRules::validate`).

use leptos::prelude::*;
use std::collections::BTreeMap;

use crate::domain::parse_amount;
use crate::domain::relationship::{RelationshipRules, TierRules, VisitIntervals};
use crate::domain::{ChurnRules, Directory};
use crate::i18n::{I18n, K, RK};
use crate::ui::components::ctx::Ctx;
use crate::ui::components::form::{form_error_summary, FormInput};

/// What is wrong, per control.
type Errors = BTreeMap<&'static str, RK>;

/// The form as typed (every value a string until saved).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RulesDraft {
    pub inactive_days: String,
    pub max_satisfaction: String,
    pub key: String,
    pub normal: String,
    pub low_frequency: String,
    pub currency: String,
    pub key_lifetime: String,
    pub key_last_year: String,
    pub low_last_year: String,
}

/// Minor units as a person types them: whole units, with two decimals only when there are cents.
fn amount_text(minor: i64) -> String {
    if minor % 100 == 0 {
        (minor / 100).to_string()
    } else {
        format!("{}.{:02}", minor / 100, minor % 100)
    }
}

impl RulesDraft {
    pub fn of(dir: &Directory) -> RulesDraft {
        let (v, t) = (&dir.relationship.visits, &dir.relationship.tiers);
        RulesDraft {
            inactive_days: dir.churn.inactive_days.to_string(),
            max_satisfaction: dir.churn.max_satisfaction.to_string(),
            key: v.key.to_string(),
            normal: v.normal.to_string(),
            low_frequency: v.low_frequency.to_string(),
            currency: t.currency.clone(),
            key_lifetime: amount_text(t.key_lifetime),
            key_last_year: amount_text(t.key_last_year),
            low_last_year: amount_text(t.low_last_year),
        }
    }

    /// The rules, or what is wrong with each control (the same ranges the relay checks).
    pub fn build(&self) -> Result<(ChurnRules, RelationshipRules), Errors> {
        let mut errs = Errors::new();
        let mut days = |name: &'static str, s: &str| match s.trim().parse::<u32>() {
            Ok(d) if (1..=3650).contains(&d) => d,
            _ => {
                errs.insert(name, RK::ErrDays);
                1
            }
        };
        let inactive_days = days("inactive_days", &self.inactive_days);
        let key = days("key", &self.key);
        let normal = days("normal", &self.normal);
        let low_frequency = days("low_frequency", &self.low_frequency);
        let max_satisfaction = match self.max_satisfaction.trim().parse::<u8>() {
            Ok(s) if (1..=5).contains(&s) => s,
            _ => {
                errs.insert("max_satisfaction", RK::ErrScore);
                1
            }
        };
        let currency = self.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            errs.insert("currency", RK::ErrCurrency);
        }
        let mut amount = |name: &'static str, s: &str| {
            parse_amount(s.trim()).unwrap_or_else(|| {
                errs.insert(name, RK::ErrAmount);
                0
            })
        };
        let key_lifetime = amount("key_lifetime", &self.key_lifetime);
        let key_last_year = amount("key_last_year", &self.key_last_year);
        let low_last_year = amount("low_last_year", &self.low_last_year);
        if !errs.contains_key("key_last_year") && !errs.contains_key("low_last_year") && key_last_year < low_last_year {
            errs.insert("key_last_year", RK::ErrKeyBelowLow);
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        let churn = ChurnRules { inactive_days, max_satisfaction };
        let rules = RelationshipRules {
            visits: VisitIntervals { key, normal, low_frequency },
            tiers: TierRules { currency, key_lifetime, key_last_year, low_last_year },
        };
        // The domain is the judge; the checks above only name the control.
        match (churn.validate(), rules.validate()) {
            (Ok(()), Ok(())) => Ok((churn, rules)),
            _ => Err(Errors::from([("", RK::ErrDays)])),
        }
    }
}

/// The form's inputs, one signal per control.
#[derive(Clone, Copy)]
struct Inputs {
    inactive_days: RwSignal<String>,
    max_satisfaction: RwSignal<String>,
    key: RwSignal<String>,
    normal: RwSignal<String>,
    low_frequency: RwSignal<String>,
    currency: RwSignal<String>,
    key_lifetime: RwSignal<String>,
    key_last_year: RwSignal<String>,
    low_last_year: RwSignal<String>,
}

impl Inputs {
    fn new() -> Inputs {
        let s = || RwSignal::new(String::new());
        Inputs {
            inactive_days: s(),
            max_satisfaction: s(),
            key: s(),
            normal: s(),
            low_frequency: s(),
            currency: s(),
            key_lifetime: s(),
            key_last_year: s(),
            low_last_year: s(),
        }
    }

    fn fill(&self, d: RulesDraft) {
        self.inactive_days.set(d.inactive_days);
        self.max_satisfaction.set(d.max_satisfaction);
        self.key.set(d.key);
        self.normal.set(d.normal);
        self.low_frequency.set(d.low_frequency);
        self.currency.set(d.currency);
        self.key_lifetime.set(d.key_lifetime);
        self.key_last_year.set(d.key_last_year);
        self.low_last_year.set(d.low_last_year);
    }

    fn draft(&self) -> RulesDraft {
        RulesDraft {
            inactive_days: self.inactive_days.get_untracked(),
            max_satisfaction: self.max_satisfaction.get_untracked(),
            key: self.key.get_untracked(),
            normal: self.normal.get_untracked(),
            low_frequency: self.low_frequency.get_untracked(),
            currency: self.currency.get_untracked(),
            key_lifetime: self.key_lifetime.get_untracked(),
            key_last_year: self.key_last_year.get_untracked(),
            low_last_year: self.low_last_year.get_untracked(),
        }
    }
}

/// The rules form, shown on the settings page to admins.
#[component]
pub fn RelationshipRulesForm() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let dir = ctx.directory();
    let inputs = Inputs::new();
    // Filled from the directory once it is here (later remote edits do not overwrite what is being typed).
    Effect::new(move |filled: Option<bool>| {
        if filled == Some(true) {
            return true;
        }
        match dir.with(|d| d.as_ref().map(RulesDraft::of)) {
            Some(d) => {
                inputs.fill(d);
                true
            }
            None => false,
        }
    });
    let errors = RwSignal::new(Errors::new());
    let saving = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let err = move |k: &'static str| Signal::derive(move || errors.with(|e| e.get(k).map(|m| i18n.t(*m).to_string())));
    let label = move |k: RK| Signal::derive(move || i18n.t(k).to_string());
    let tier = move |k: K| Signal::derive(move || i18n.t(k).to_string());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saved.set(false);
        let draft = inputs.draft();
        let (churn, rules) = match draft.build() {
            Ok(r) => r,
            Err(e) => {
                errors.set(e);
                return;
            }
        };
        errors.set(Errors::new());
        saving.set(true);
        let store = ctx.store;
        leptos::task::spawn_local(async move {
            let r = store
                .update_directory("relationship rules".into(), move |d| {
                    d.churn = churn;
                    d.relationship = rules;
                    Ok(())
                })
                .await;
            saving.set(false);
            match r {
                Ok(()) => saved.set(true),
                Err(e) => ctx.report(e),
            }
        });
    };
    let summary = move || errors.with(|e| (!e.is_empty()).then(|| form_error_summary(i18n, None)));
    view! {
        <form class="card settings-form rules-form" novalidate=true aria-labelledby="h-rules" on:submit=submit>
            <h2 id="h-rules">{move || i18n.t(RK::RulesTitle)}</h2>
            <p class="muted">{move || i18n.t(RK::RulesHint)}</p>
            {summary}
            <fieldset>
                <legend>{move || i18n.t(RK::ChurnRulesHeading)}</legend>
                <FormInput name="inactive_days" label=label(RK::InactiveDaysLabel) value=inputs.inactive_days error=err("inactive_days") input_type="number" required=true />
                <FormInput name="max_satisfaction" label=label(RK::MaxSatisfactionLabel) value=inputs.max_satisfaction error=err("max_satisfaction") input_type="number" required=true />
            </fieldset>
            <fieldset>
                <legend>{move || i18n.t(RK::VisitIntervalsHeading)}</legend>
                <FormInput name="key" label=tier(K::TierKey) value=inputs.key error=err("key") input_type="number" required=true />
                <FormInput name="normal" label=tier(K::TierNormal) value=inputs.normal error=err("normal") input_type="number" required=true />
                <FormInput name="low_frequency" label=tier(K::TierLow) value=inputs.low_frequency error=err("low_frequency") input_type="number" required=true />
            </fieldset>
            <fieldset>
                <legend>{move || i18n.t(RK::TierRulesHeading)}</legend>
                <p class="muted">{move || i18n.t(RK::TierRulesHint)}</p>
                <FormInput name="currency" label=label(RK::RulesCurrency) value=inputs.currency error=err("currency") required=true />
                <FormInput name="key_lifetime" label=label(RK::KeyLifetimeLabel) value=inputs.key_lifetime error=err("key_lifetime") autocomplete="transaction-amount" required=true />
                <FormInput name="key_last_year" label=label(RK::KeyLastYearLabel) value=inputs.key_last_year error=err("key_last_year") autocomplete="transaction-amount" required=true />
                <FormInput name="low_last_year" label=label(RK::LowLastYearLabel) value=inputs.low_last_year error=err("low_last_year") autocomplete="transaction-amount" required=true />
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || saving.get()>
                    {move || if saving.get() { i18n.t(K::Saving) } else { i18n.t(RK::SaveRules) }}
                </button>
            </div>
            <Show when=move || saved.get()>
                <p role="status" class="muted">{move || i18n.t(RK::RulesSaved)}</p>
            </Show>
        </form>
    }
}
