//! The CSV file as a header and rows of text, or a file-level error naming the row.

use csv::StringRecord;
use std::io::Read;

use super::ImportError;

/// A whole file, read and checked for shape (every row has as many fields as the header, all UTF-8).
pub(crate) struct Table {
    /// Column names as the file writes them (trimmed, byte-order mark removed).
    pub headers: Vec<String>,
    /// (row number, fields); the header is row 1.
    pub rows: Vec<(usize, StringRecord)>,
}

impl Table {
    pub fn read(mut input: impl Read, max_rows: usize) -> Result<Table, ImportError> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(|e| ImportError::Malformed { row: 1, reason: e.to_string() })?;
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ImportError::Empty);
        }
        let mut lines = Lines { body, offset: 0, line: 1 };
        let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(body);
        let headers: Vec<String> =
            reader.headers().map_err(|e| malformed(e, &mut lines))?.iter().map(|h| h.trim().to_string()).collect();
        for (i, h) in headers.iter().enumerate() {
            if headers[..i].iter().any(|o| o.eq_ignore_ascii_case(h)) {
                return Err(ImportError::DuplicateColumn(h.clone()));
            }
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| malformed(e, &mut lines))?;
            if rows.len() == max_rows {
                return Err(ImportError::TooManyRows { max: max_rows });
            }
            // A line of nothing but separators is an empty spreadsheet row, not a record.
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let line = lines.at(record.position());
            rows.push((line, record));
        }
        Ok(Table { headers, rows })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// The index of a column (case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h.eq_ignore_ascii_case(name))
    }

    /// Checks that every `required` column is present.
    pub fn require(
        &self,
        format: super::Format,
        kind: super::RecordKind,
        required: &[&str],
    ) -> Result<(), ImportError> {
        let missing: Vec<String> =
            required.iter().filter(|c| self.column(c).is_none()).map(|c| c.to_string()).collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ImportError::MissingColumns { format, kind: kind.plural(), missing, expected: required.join(", ") })
    }
}

/// Line numbers of record starts. The reader's own line count is off by one after CRLF (it counts the LF
/// as the start of the next record), so lines are counted here, from byte offsets, skipping the line
/// breaks (and blank lines) before a record.
struct Lines<'b> {
    body: &'b [u8],
    offset: usize,
    line: usize,
}

impl Lines<'_> {
    /// The line of the record at `pos` (positions come in increasing order).
    fn at(&mut self, pos: Option<&csv::Position>) -> usize {
        let Some(pos) = pos else { return self.line };
        let mut start = (pos.byte() as usize).min(self.body.len());
        while start < self.body.len() && matches!(self.body[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.offset {
            self.line += self.body[self.offset..start].iter().filter(|b| **b == b'\n').count();
            self.offset = start;
        }
        self.line
    }
}

fn malformed(e: csv::Error, lines: &mut Lines<'_>) -> ImportError {
    let mut row = |p: Option<&csv::Position>| lines.at(p);
    match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => ImportError::Malformed {
            row: row(pos.as_ref()),
            reason: format!("{len} fields where the header has {expected_len} (a stray comma or quote?)"),
        },
        csv::ErrorKind::Utf8 { pos, .. } => ImportError::Malformed {
            row: row(pos.as_ref()),
            reason: "not UTF-8 text (save the file as \"CSV UTF-8\")".into(),
        },
        _ => ImportError::Malformed { row: row(e.position()), reason: e.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_fields_crlf_and_bom() {
        let t = Table::read(&b"\xEF\xBB\xBFa,b\r\n1,\"x, y\"\r\n\r\n2,\"multi\nline\"\r\n3,z\r\n"[..], 10).unwrap();
        assert_eq!(t.headers, ["a", "b"]);
        assert_eq!(t.rows.len(), 3);
        assert_eq!(&t.rows[0].1[1], "x, y");
        assert_eq!(t.rows[0].0, 2);
        // Row numbers are the record's first line.
        assert_eq!(t.rows[1].0, 4);
        assert_eq!(t.rows[2].0, 6);
        assert_eq!(t.column("B"), Some(1));
    }

    #[test]
    fn file_level_errors_name_the_row() {
        assert_eq!(Table::read(&b"  \n"[..], 10).err(), Some(ImportError::Empty));
        let e = Table::read(&b"a,b\n1,2\n3\n"[..], 10).err().unwrap();
        assert_eq!(e.to_string(), "row 3: 1 fields where the header has 2 (a stray comma or quote?)");
        let e = Table::read(&b"a,b\n1,\xff\n"[..], 10).err().unwrap();
        assert!(matches!(e, ImportError::Malformed { row: 2, .. }), "{e}");
        assert_eq!(Table::read(&b"a,A\n"[..], 10).err(), Some(ImportError::DuplicateColumn("A".into())));
        assert_eq!(Table::read(&b"a\n1\n2\n3\n"[..], 2).err(), Some(ImportError::TooManyRows { max: 2 }));
    }
}
