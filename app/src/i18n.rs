//! Chinese (zh-CN) and English for the client: a typed string table plus locale-aware formatting.
//!
//! Strings are a `K` enum with one arm per text: adding a key without both languages does not compile,
//! and a typo in a key is a compile error, which is what `leptos_i18n` would buy us. We use this table
//! instead of `leptos_i18n` 0.6 because that crate pulls in `leptos-use`, `leptos_meta`, ICU locale data
//! and a code generator (a slow build on this machine and a bigger bundle), while dates, numbers and money
//! are formatted by the browser's own `Intl` (the same CLDR data, zero bytes in our wasm).
//!
//! The locale comes from `navigator.language` (any `zh*` → zh-CN, otherwise English), may be switched in
//! the header, and is remembered in `localStorage`.

mod relationship;
mod strings;

use leptos::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::JsValue;

pub use relationship::RK;
pub use strings::K;

/// A key of one of the string tables (`K`, and `RK` for the customer relationship), in both languages.
pub trait Text: Copy {
    fn en(self) -> &'static str;
    fn zh(self) -> &'static str;
}

impl Text for K {
    fn en(self) -> &'static str {
        K::en(self)
    }
    fn zh(self) -> &'static str {
        K::zh(self)
    }
}

use crate::domain::{Money, StageDef, Timestamp};

const STORAGE_KEY: &str = "crm.locale";

/// A supported locale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Locale {
    En,
    ZhCn,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::ZhCn];

    /// The BCP 47 tag (for `Intl` and `<html lang>`).
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The locale's own name (what the language switch shows).
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::ZhCn => "简体中文",
        }
    }

    /// Picks a supported locale for a browser language tag.
    pub fn from_tag(tag: &str) -> Locale {
        if tag.trim().to_ascii_lowercase().starts_with("zh") {
            Locale::ZhCn
        } else {
            Locale::En
        }
    }

    /// The plural form of a counted text (see [`I18n::plural`]).
    pub fn plural<T: Text>(self, n: usize, one: T, other: T) -> &'static str {
        match self {
            Locale::En if n == 1 => one.en(),
            _ => self.t(other),
        }
    }

    /// The text of `key` in this locale.
    pub fn t(self, key: impl Text) -> &'static str {
        match self {
            Locale::En => key.en(),
            Locale::ZhCn => key.zh(),
        }
    }
}

/// The locale context (a newtype around the signal, provided once by `App`).
#[derive(Clone, Copy)]
pub struct I18n(RwSignal<Locale>);

impl I18n {
    /// Reads the remembered or browser locale, provides the context and keeps `<html lang>` in step.
    pub fn provide() -> I18n {
        let initial = remembered().unwrap_or_else(|| {
            let lang = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
            Locale::from_tag(&lang)
        });
        let i18n = I18n(RwSignal::new(initial));
        provide_context(i18n);
        Effect::new(move |_| {
            let l = i18n.0.get();
            if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
                let _ = root.set_attribute("lang", l.tag());
            }
        });
        i18n
    }

    pub fn use_i18n() -> I18n {
        expect_context::<I18n>()
    }

    pub fn locale(&self) -> Locale {
        self.0.get()
    }

    pub fn set(&self, l: Locale) {
        if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = s.set_item(STORAGE_KEY, l.tag());
        }
        self.0.set(l);
    }

    /// The text of `key` (reactive: re-renders on a locale switch).
    pub fn t(&self, key: impl Text) -> &'static str {
        self.0.get().t(key)
    }

    /// `one` for a count of 1 in English, `other` otherwise (Chinese has no plural: always `other`).
    pub fn plural<T: Text>(&self, n: usize, one: T, other: T) -> &'static str {
        self.0.get().plural(n, one, other)
    }

    /// A stage's name in the current locale.
    pub fn stage_name(&self, s: &StageDef) -> String {
        match self.0.get() {
            Locale::En => s.name_en.clone(),
            Locale::ZhCn => s.name_zh.clone(),
        }
    }

    /// Money for people: `¥12,345.00` / `CN¥12,345.00` per locale.
    pub fn money(&self, m: &Money) -> String {
        format_money(self.0.get(), m)
    }

    /// Money in short form for headline figures: `CN¥2.5M` / `¥249万` (`Intl` compact notation).
    pub fn money_compact(&self, m: &Money) -> String {
        let l = self.0.get();
        let major = m.amount_minor as f64 / 10f64.powi(minor_exponent(&m.currency));
        let f = with_formatter(l, &format!("money-compact:{}", m.currency), |l| {
            let o = js_sys::Object::new();
            set(&o, "style", "currency");
            set(&o, "currency", m.currency.as_str());
            set(&o, "notation", "compact");
            set(&o, "maximumSignificantDigits", 3.0);
            js_sys::Intl::NumberFormat::new(&locales(l), &o).format()
        });
        f.call1(&JsValue::NULL, &JsValue::from_f64(major))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| m.to_string())
    }

    /// A calendar date (UTC instant shown in the browser's time zone), e.g. `Mar 1, 2026` / `2026年3月1日`.
    pub fn date(&self, t: Timestamp) -> String {
        format_date(self.0.get(), t)
    }

    /// A calendar month from `YYYY-MM`, e.g. `Jul 2026` / `2026年7月` (the text itself when malformed).
    pub fn month(&self, ym: &str) -> String {
        let l = self.0.get();
        let Some((y, m)) = ym.split_once('-').and_then(|(y, m)| Some((y.parse::<u32>().ok()?, m.parse::<u32>().ok()?)))
        else {
            return ym.to_string();
        };
        let f = with_formatter(l, "month", |l| {
            let o = js_sys::Object::new();
            set(&o, "year", "numeric");
            set(&o, "month", "short");
            set(&o, "timeZone", "UTC");
            js_sys::Intl::DateTimeFormat::new(&locales(l), &o).format()
        });
        // The 15th of that month, UTC (formatted in UTC: no time zone can move it to another month).
        let mid = js_sys::Date::utc(f64::from(y), f64::from(m) - 1.0) + 14.0 * 86_400_000.0;
        let utc = js_sys::Date::new(&JsValue::from_f64(mid));
        f.call1(&JsValue::NULL, &utc).ok().and_then(|v| v.as_string()).unwrap_or_else(|| ym.to_string())
    }

    /// A plain number with grouping.
    pub fn number(&self, n: f64) -> String {
        format_number(self.0.get(), n)
    }

    /// A percentage from a 0-1 ratio.
    pub fn percent(&self, ratio: f64) -> String {
        with_formatter(self.0.get(), "percent", |l| {
            let o = js_sys::Object::new();
            set(&o, "style", "percent");
            set(&o, "maximumFractionDigits", 0.0);
            js_sys::Intl::NumberFormat::new(&locales(l), &o).format()
        })
        .call1(&JsValue::NULL, &JsValue::from_f64(ratio))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| format!("{:.0}%", ratio * 100.0))
    }
}

fn remembered() -> Option<Locale> {
    let s = web_sys::window()?.local_storage().ok()??;
    let tag = s.get_item(STORAGE_KEY).ok()??;
    Locale::ALL.into_iter().find(|l| l.tag() == tag)
}

fn locales(l: Locale) -> js_sys::Array {
    js_sys::Array::of1(&JsValue::from_str(l.tag()))
}

fn set(o: &js_sys::Object, k: &str, v: impl Into<JsValue>) {
    let _ = js_sys::Reflect::set(o, &JsValue::from_str(k), &v.into());
}

thread_local! {
    /// `Intl` formatters are costly to build (a list of 30,000 rows formats a few dozen visible cells at a
    /// time, but each would build its own); keep one per locale and purpose.
    static FORMATTERS: RefCell<HashMap<(Locale, String), js_sys::Function>> = RefCell::new(HashMap::new());
}

fn with_formatter(l: Locale, purpose: &str, make: impl FnOnce(Locale) -> js_sys::Function) -> js_sys::Function {
    FORMATTERS.with(|f| f.borrow_mut().entry((l, purpose.to_string())).or_insert_with(|| make(l)).clone())
}

/// Minor units per major unit for the currencies we expect (ISO 4217 exponents).
fn minor_exponent(currency: &str) -> i32 {
    match currency {
        "JPY" | "KRW" | "VND" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
        _ => 2,
    }
}

pub fn format_money(l: Locale, m: &Money) -> String {
    let major = m.amount_minor as f64 / 10f64.powi(minor_exponent(&m.currency));
    let f = with_formatter(l, &format!("money:{}", m.currency), |l| {
        let o = js_sys::Object::new();
        set(&o, "style", "currency");
        set(&o, "currency", m.currency.as_str());
        js_sys::Intl::NumberFormat::new(&locales(l), &o).format()
    });
    f.call1(&JsValue::NULL, &JsValue::from_f64(major)).ok().and_then(|v| v.as_string()).unwrap_or_else(|| m.to_string())
}

pub fn format_date(l: Locale, t: Timestamp) -> String {
    let f = with_formatter(l, "date", |l| {
        let o = js_sys::Object::new();
        set(&o, "dateStyle", "medium");
        js_sys::Intl::DateTimeFormat::new(&locales(l), &o).format()
    });
    let d = js_sys::Date::new(&JsValue::from_f64(t.millis() as f64));
    f.call1(&JsValue::NULL, &d).ok().and_then(|v| v.as_string()).unwrap_or_else(|| t.date().to_string())
}

pub fn format_number(l: Locale, n: f64) -> String {
    let f =
        with_formatter(l, "number", |l| js_sys::Intl::NumberFormat::new(&locales(l), &js_sys::Object::new()).format());
    f.call1(&JsValue::NULL, &JsValue::from_f64(n)).ok().and_then(|v| v.as_string()).unwrap_or_else(|| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_locale_from_browser_tag() {
        assert_eq!(Locale::from_tag("zh-CN"), Locale::ZhCn);
        assert_eq!(Locale::from_tag("zh-TW"), Locale::ZhCn);
        assert_eq!(Locale::from_tag("en-US"), Locale::En);
        assert_eq!(Locale::from_tag(""), Locale::En);
    }

    #[test]
    fn english_counts_take_the_singular_for_one() {
        assert_eq!(Locale::En.plural(1, K::Deal, K::Deals), "deal");
        assert_eq!(Locale::En.plural(0, K::Deal, K::Deals), "deals");
        assert_eq!(Locale::En.plural(2, K::OpenComplaint, K::OpenComplaints), "{n} open complaints");
        assert_eq!(Locale::ZhCn.plural(1, K::Deal, K::Deals), "个商机");
    }

    #[test]
    fn every_key_has_both_languages() {
        for k in K::ALL {
            assert!(!k.en().is_empty() && !k.zh().is_empty(), "{k:?}");
        }
    }
}
