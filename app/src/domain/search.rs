//! Search normalisation shared by the global search palette and the lists: what a record is found by and
//! how a query is split, so both find the same records.
//!
//! Chinese text is also indexed by its pinyin (`pinyin` crate, plain table, no tones): a record named
//! 广州恒信 is found by "广州", "guangzhou", "guangzhouheng" and by the initials "gz" / "gzhx", which is
//! how people type on a phone. Full-width forms and case are folded first (`ＡＢＣ` = `abc`).

use pinyin::ToPinyin;

/// The text a record is found by: `parts` joined, case- and width-folded, followed by the pinyin
/// (syllables run together) and pinyin initials of each part that has Chinese characters.
pub fn search_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut spelled = String::new();
    for part in parts {
        if part.is_empty() {
            continue;
        }
        out.push_str(&fold(part));
        out.push(' ');
        if part.chars().any(is_han) {
            let (full, initials) = pinyin_of(part);
            spelled.push_str(&full);
            spelled.push(' ');
            spelled.push_str(&initials);
            spelled.push(' ');
        }
    }
    out.push_str(&spelled);
    out
}

/// The words of a query, folded like [`search_text`]; a record matches when its text contains every word.
pub fn query_words(query: &str) -> Vec<String> {
    fold(query).split_whitespace().map(str::to_string).collect()
}

/// Whether `text` (from [`search_text`]) contains every word (from [`query_words`]).
pub fn matches(text: &str, words: &[String]) -> bool {
    words.iter().all(|w| text.contains(w.as_str()))
}

/// Lower case, full-width ASCII forms (`Ａ`, `１`, ideographic space) to their ASCII twins.
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_han(c: char) -> bool {
    c.to_pinyin().is_some()
}

/// The pinyin of `s` run together per word and the initials ("广州 恒信" → "guangzhou hengxin", "gz hx"
/// with the spaces dropped between Chinese characters): other characters are kept as they are (folded),
/// so a mixed name like "恒信ABC" reads "hengxinabc".
fn pinyin_of(s: &str) -> (String, String) {
    let mut full = String::new();
    let mut initials = String::new();
    for c in fold(s).chars() {
        match c.to_pinyin() {
            Some(p) => {
                full.push_str(p.plain());
                initials.push_str(&p.plain()[..1]);
            }
            None if c.is_whitespace() => {
                full.push(' ');
                initials.push(' ');
            }
            None => {
                full.push(c);
                initials.push(c);
            }
        }
    }
    (full, initials)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finds(name: &str, query: &str) -> bool {
        matches(&search_text([name]), &query_words(query))
    }

    #[test]
    fn chinese_names_are_found_by_pinyin_and_initials() {
        assert!(finds("广州恒信贸易", "广州"));
        assert!(finds("广州恒信贸易", "guangzhou"));
        assert!(finds("广州恒信贸易", "GuangZhou hengxin"));
        assert!(finds("广州恒信贸易", "gz"));
        assert!(finds("广州恒信贸易", "gzhxmy"));
        assert!(!finds("广州恒信贸易", "shanghai"));
        assert!(!finds("西安恒信", "gz"));
    }

    #[test]
    fn every_word_must_match_and_width_and_case_are_folded() {
        assert!(finds("Acme Trading 上海", "acme sh"));
        assert!(!finds("Acme Trading 上海", "acme bj"));
        assert!(finds("ＡＢＣ１２３", "abc123"));
        assert!(finds("OPP-2026-0042", "opp-2026"));
        assert!(query_words("  ").is_empty());
        assert!(finds("anything", ""), "no words: everything matches");
    }

    #[test]
    fn latin_text_gets_no_pinyin_tail() {
        assert_eq!(search_text(["Acme", "", "Berlin"]), "acme berlin ");
    }
}
