//! One row's cells, parsed one column at a time. Every problem is collected (a row reports all its bad
//! cells at once), named by row and column as the file writes them.

use csv::StringRecord;

use super::table::Table;
use super::RowError;
use crate::domain::{vocab, DomainError, Money, Timestamp};

/// A row being read: its cells, and the errors and warnings found so far.
pub(crate) struct Row<'a> {
    pub line: usize,
    table: &'a Table,
    record: &'a StringRecord,
    pub errors: Vec<RowError>,
    pub warnings: Vec<RowError>,
}

impl<'a> Row<'a> {
    pub fn new(table: &'a Table, line: usize, record: &'a StringRecord) -> Row<'a> {
        Row { line, table, record, errors: Vec::new(), warnings: Vec::new() }
    }

    /// The column's name as the file writes it (or as asked, when the file lacks it).
    pub fn column_name(&self, col: &str) -> String {
        self.table.column(col).map_or_else(|| col.to_string(), |i| self.table.headers[i].clone())
    }

    /// The trimmed cell ("" when the file has no such column).
    pub fn text(&self, col: &str) -> &'a str {
        self.table.column(col).and_then(|i| self.record.get(i)).map_or("", str::trim)
    }

    pub fn fail(&mut self, col: Option<&str>, reason: impl Into<String>) {
        let column = col.map(|c| self.column_name(c));
        self.errors.push(RowError { row: self.line, column, reason: reason.into() });
    }

    pub fn warn(&mut self, col: &str, reason: impl Into<String>) {
        let column = Some(self.column_name(col));
        self.warnings.push(RowError { row: self.line, column, reason: reason.into() });
    }

    /// A domain error about `field`, reported at the column that holds it (`columns`: field → column).
    pub fn fail_domain(&mut self, e: DomainError, columns: &[(&str, &str)]) {
        match e {
            DomainError::Invalid { field, reason } => {
                let base = field.split(['.', '[']).next().unwrap_or(&field);
                match columns.iter().find(|(f, _)| *f == base) {
                    Some((_, col)) => self.fail(Some(col), reason),
                    None => self.fail(None, format!("{field}: {reason}")),
                }
            }
            DomainError::UnknownStage(s) => {
                let col = columns.iter().find(|(f, _)| *f == "stage").map(|(_, c)| *c);
                self.fail(col, format!("unknown stage {s:?}"))
            }
            other => self.fail(None, other.to_string()),
        }
    }

    /// A required single-line value.
    pub fn required(&mut self, col: &str) -> &'a str {
        let v = self.text(col);
        if v.is_empty() {
            self.fail(Some(col), "missing");
        }
        v
    }

    /// An optional date (`YYYY-MM-DD` or RFC 3339).
    pub fn date(&mut self, col: &str) -> Option<Timestamp> {
        let v = self.text(col);
        if v.is_empty() {
            return None;
        }
        match Timestamp::parse(col, v) {
            Ok(t) => Some(t),
            Err(_) => {
                self.fail(Some(col), format!("{v:?} is not a date (YYYY-MM-DD)"));
                None
            }
        }
    }

    /// An optional amount in major units ("1054", "1054.5", "1054.50") as money in `currency`.
    pub fn amount(&mut self, col: &str, currency: &str) -> Option<Money> {
        let v = self.text(col);
        if v.is_empty() {
            return None;
        }
        match crate::domain::parse_amount(v).ok_or_else(|| format!("{v:?} is not an amount (like 1234.50)")).and_then(
            |minor| {
                Money::new(minor, currency).map_err(|e| match e {
                    DomainError::Invalid { reason, .. } => reason,
                    other => other.to_string(),
                })
            },
        ) {
            Ok(m) => Some(m),
            Err(reason) => {
                self.fail(Some(col), reason);
                None
            }
        }
    }

    /// An optional whole number within `0..=max`.
    pub fn number(&mut self, col: &str, max: u8) -> Option<u8> {
        let v = self.text(col);
        if v.is_empty() {
            return None;
        }
        match v.parse::<u8>() {
            Ok(n) if n <= max => Some(n),
            _ => {
                self.fail(Some(col), format!("{v:?} is not a whole number from 0 to {max}"));
                None
            }
        }
    }

    /// A value parsed by a domain parser (enums); the reason drops the parser's field prefix.
    pub fn parse<T>(&mut self, col: &str, f: impl FnOnce(&str) -> Result<T, DomainError>) -> Option<T> {
        let v = self.text(col);
        if v.is_empty() {
            return None;
        }
        match f(v) {
            Ok(t) => Some(t),
            Err(DomainError::Invalid { reason, .. }) => {
                self.fail(Some(col), reason);
                None
            }
            Err(e) => {
                self.fail(Some(col), e.to_string());
                None
            }
        }
    }

    /// A phone number in any common notation, normalized to what the phone field holds (digits, spaces,
    /// `+ - ( )`): dots become dashes; an extension (`x123`, `ext. 123`) cannot be held and is dropped with
    /// a warning.
    pub fn phone(&mut self, col: &str) -> String {
        let v = self.text(col);
        let (number, extension) = split_extension(v);
        let normalized: String = number.trim().chars().map(|c| if c == '.' || c == '/' { '-' } else { c }).collect();
        match vocab::phone(col, &normalized) {
            Ok(()) => {
                if let Some(ext) = extension {
                    self.warn(col, format!("extension {ext} dropped (the phone field holds the number only)"));
                }
                normalized
            }
            Err(_) => {
                self.fail(Some(col), format!("{v:?} is not a phone number"));
                String::new()
            }
        }
    }

    /// An optional e-mail address.
    pub fn email(&mut self, col: &str) -> String {
        let v = self.text(col);
        match vocab::email(col, v) {
            Ok(()) => v.to_string(),
            Err(_) => {
                self.fail(Some(col), format!("{v:?} is not an e-mail address"));
                String::new()
            }
        }
    }
}

/// Splits a trailing extension off a phone number: `("283-437-3886", Some("x88321"))`.
fn split_extension(v: &str) -> (&str, Option<&str>) {
    let lower = v.to_ascii_lowercase();
    for marker in ["ext.", "ext", "x"] {
        if let Some(pos) = lower.rfind(marker) {
            let digits = lower[pos + marker.len()..].trim();
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && pos > 0 {
                return (&v[..pos], Some(v[pos..].trim()));
            }
        }
    }
    (v, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(csv: &str) -> Table {
        Table::read(csv.as_bytes(), 100).unwrap()
    }

    #[test]
    fn phones_in_many_notations() {
        let t = table(
            "phone\n+1-532-344-1362\n001-672-799-2170x5610\n985.939.5411x2641\n(283)437-3886x88321\n4953467238\ncall me\n",
        );
        let got: Vec<(String, usize, usize)> = t
            .rows
            .iter()
            .map(|(line, rec)| {
                let mut r = Row::new(&t, *line, rec);
                let p = r.phone("phone");
                (p, r.warnings.len(), r.errors.len())
            })
            .collect();
        assert_eq!(
            got,
            [
                ("+1-532-344-1362".to_string(), 0, 0),
                ("001-672-799-2170".to_string(), 1, 0),
                ("985-939-5411".to_string(), 1, 0),
                ("(283)437-3886".to_string(), 1, 0),
                ("4953467238".to_string(), 0, 0),
                (String::new(), 0, 1),
            ]
        );
        let (line, rec) = &t.rows[5];
        let mut r = Row::new(&t, *line, rec);
        r.phone("phone");
        assert_eq!(r.errors[0].to_string(), "row 7, column phone: \"call me\" is not a phone number");
    }

    #[test]
    fn cell_errors_name_row_and_column() {
        let t = table("Close_Date,value,score\nsoon,12.345,101\n");
        let (line, rec) = &t.rows[0];
        let mut r = Row::new(&t, *line, rec);
        assert_eq!(r.date("close_date"), None);
        assert_eq!(r.amount("value", "USD"), None);
        assert_eq!(r.number("score", 100), None);
        let msgs: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "row 2, column Close_Date: \"soon\" is not a date (YYYY-MM-DD)",
                "row 2, column value: \"12.345\" is not an amount (like 1234.50)",
                "row 2, column score: \"101\" is not a whole number from 0 to 100",
            ]
        );
    }
}
