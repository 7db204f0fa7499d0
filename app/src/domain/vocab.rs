//! Small shared vocabulary for records: string enums stored as snake_case strings, long text that merges
//! character by character, and the document encoding of ids.

use automerge::{ChangeHash, ObjId, ObjType, Value};
use autosurgeon::{
    reconcile::{NoKey, StaleHeads, TextReconciler},
    Hydrate, HydrateError, Prop, ReadDoc, Reconcile, Reconciler,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{DocId, DomainError, FieldId};

/// Declares an enum stored (in documents and JSON) as a snake_case string, with `as_str`, `parse`, `ALL`.
macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident ($field:literal) { $($(#[$vm:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            /// Parses the snake_case name; the error names the field and lists what is allowed.
            pub fn parse(s: &str) -> Result<Self, $crate::domain::DomainError> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    $crate::domain::DomainError::invalid(
                        $field,
                        format!("{s:?} is not one of {}", allowed.join(", ")),
                    )
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).map_err(::serde::de::Error::custom)
            }
        }

        impl ::autosurgeon::Reconcile for $name {
            type Key<'a> = ::autosurgeon::reconcile::NoKey;
            fn reconcile<R: ::autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
                r.str(self.as_str())
            }
        }

        impl ::autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &str) -> Result<Self, ::autosurgeon::HydrateError> {
                $name::parse(s).map_err(|e| ::autosurgeon::HydrateError::unexpected($field, e.to_string()))
            }
            // A stock automerge-js client writes plain strings as Text (see `records::line`).
            fn hydrate_text<D: ::autosurgeon::ReadDoc>(
                doc: &D,
                obj: &::automerge::ObjId,
            ) -> Result<Self, ::autosurgeon::HydrateError> {
                Self::hydrate_string(&$crate::domain::records::line::text_value(doc, obj)?)
            }
        }
    };
}
pub(crate) use str_enum;

/// Long free text (notes, minutes): an Automerge `Text`, so concurrent typing merges character by character.
///
/// Edit it with [`LongText::splice`] (character positions) or [`LongText::set`] on a freshly read record,
/// then write the record back: the difference from the document's current text is written as text
/// operations (a diff, so an unchanged note writes nothing and a retyped word touches only that word).
/// Writing an edited note whose document has changed since it was read is refused (stale), because the
/// diff would undo the other edits; read again and re-apply.
#[derive(Clone, Debug, Default)]
pub struct LongText {
    value: String,
    /// The value and document heads when hydrated, to detect stale writes.
    read: Option<(String, Vec<ChangeHash>)>,
}

impl PartialEq for LongText {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for LongText {}

impl LongText {
    pub fn new(s: impl AsRef<str>) -> Self {
        LongText { value: s.as_ref().to_string(), read: None }
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// Length in characters (Unicode scalar values), the unit of [`LongText::splice`].
    pub fn char_len(&self) -> usize {
        self.value.chars().count()
    }

    /// Deletes `delete` characters at character position `pos` and inserts `insert` there.
    pub fn splice(&mut self, pos: usize, delete: usize, insert: &str) -> Result<(), DomainError> {
        let s = &self.value;
        let len = s.chars().count();
        if pos > len || delete > len - pos {
            return Err(DomainError::invalid(
                "notes",
                format!("edit at {pos}..{} is outside the text (length {len})", pos + delete),
            ));
        }
        let byte = |i: usize| s.char_indices().nth(i).map(|(b, _)| b).unwrap_or(s.len());
        let (start, end) = (byte(pos), byte(pos + delete));
        self.value.replace_range(start..end, insert);
        Ok(())
    }

    /// Replaces the whole value (written as the difference from the current text).
    pub fn set(&mut self, value: &str) {
        self.value = value.to_string();
    }
}

impl From<&str> for LongText {
    fn from(s: &str) -> Self {
        LongText::new(s)
    }
}

impl Serialize for LongText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LongText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(LongText::new(String::deserialize(d)?))
    }
}

impl Reconcile for LongText {
    type Key<'a> = NoKey;
    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        let mut t = r.text()?;
        if let Some((read_value, heads)) = &self.read {
            if *read_value != self.value && t.heads() != heads.as_slice() {
                return Err(StaleHeads { expected: heads.clone(), found: t.heads().to_vec() }.into());
            }
        }
        t.update(&self.value)
    }
}

impl Hydrate for LongText {
    fn hydrate<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<Self, HydrateError> {
        match doc.get(obj, &prop)? {
            Some((Value::Object(ObjType::Text), id)) => {
                let value = doc.text(&id)?;
                Ok(LongText { read: Some((value.clone(), doc.get_heads())), value })
            }
            // Tolerated on read (another client may have written a plain string); the next write
            // replaces it with a Text object.
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                automerge::ScalarValue::Str(s) => Ok(LongText::new(s.as_str())),
                automerge::ScalarValue::Null => Ok(LongText::default()),
                _ => Err(HydrateError::unexpected("text", "a scalar".into())),
            },
            None => Ok(LongText::default()),
            Some(_) => Err(HydrateError::unexpected("text", "an object".into())),
        }
    }
}

// Document ids are stored as their bs58check string form.
impl Reconcile for DocId {
    type Key<'a> = NoKey;
    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.str(self.as_str())
    }
}

impl Hydrate for DocId {
    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        DocId::parse(s).map_err(|e| HydrateError::unexpected("a document id", e.to_string()))
    }
    fn hydrate_text<D: ReadDoc>(doc: &D, obj: &ObjId) -> Result<Self, HydrateError> {
        Self::hydrate_string(&super::records::line::text_value(doc, obj)?)
    }
}

// Custom field values are a map keyed by field id.
impl AsRef<str> for FieldId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for FieldId {
    fn from(s: String) -> Self {
        FieldId(s)
    }
}

/// Checks a required single-line value: trimmed non-empty and at most `max` characters.
pub(crate) fn required_text(field: &str, value: &str, max: usize) -> Result<(), DomainError> {
    if value.trim().is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    max_text(field, value, max)
}

/// Checks an optional single-line value's length.
pub(crate) fn max_text(field: &str, value: &str, max: usize) -> Result<(), DomainError> {
    if value.chars().count() > max {
        return Err(DomainError::invalid(field, format!("longer than {max} characters")));
    }
    Ok(())
}

/// Checks an e-mail address loosely (one `@`, something on both sides, a dot in the domain); empty is allowed.
pub(crate) fn email(field: &str, value: &str) -> Result<(), DomainError> {
    if value.is_empty() {
        return Ok(());
    }
    let ok = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        max_text(field, value, 254)
    } else {
        Err(DomainError::invalid(field, format!("{value:?} is not an e-mail address")))
    }
}

/// Checks a phone number loosely: digits with optional `+`, spaces, dashes, parentheses; empty is allowed.
pub(crate) fn phone(field: &str, value: &str) -> Result<(), DomainError> {
    if value.is_empty() {
        return Ok(());
    }
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
    if allowed && (5..=20).contains(&digits) {
        Ok(())
    } else {
        Err(DomainError::invalid(field, format!("{value:?} is not a phone number")))
    }
}

/// Normalizes a company or person name for duplicate detection: case-folded, whitespace and common
/// punctuation removed, full-width forms folded.
pub fn normalize_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace() && !".,-_()（）·'\"".contains(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    str_enum!(
        /// Test enum.
        Colour("colour") { Red = "red", DarkBlue = "dark_blue" }
    );

    #[test]
    fn str_enum_round_trips_and_names_the_field() {
        assert_eq!(Colour::parse("dark_blue").unwrap(), Colour::DarkBlue);
        assert_eq!(serde_json::to_string(&Colour::DarkBlue).unwrap(), "\"dark_blue\"");
        let e = Colour::parse("green").unwrap_err().to_string();
        assert_eq!(e, "colour: \"green\" is not one of red, dark_blue");
    }

    #[test]
    fn long_text_splices_by_character_and_refuses_out_of_range() {
        let mut t = LongText::new("客户很满意");
        t.splice(2, 1, "非常").unwrap();
        assert_eq!(t.as_str(), "客户非常满意");
        assert!(t.splice(7, 0, "x").is_err());
        assert!(t.splice(5, 2, "").is_err());
        t.splice(6, 0, "!").unwrap();
        assert_eq!(t.as_str(), "客户非常满意!");
    }

    #[test]
    fn checks_contact_details() {
        assert!(email("email", "a@b.cn").is_ok());
        assert!(email("email", "").is_ok());
        assert!(email("email", "a@b").is_err());
        assert!(email("email", "a b@c.cn").is_err());
        assert!(phone("phone", "+86 138-0013-8000").is_ok());
        assert!(phone("phone", "call me").is_err());
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize_name(" ACME  Co., Ltd. "), normalize_name("acme co ltd"));
        assert_eq!(normalize_name("华为（深圳）"), normalize_name("华为 深圳"));
        assert_eq!(normalize_name("ＡＢＣ"), "abc");
    }
}
