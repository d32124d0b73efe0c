//! The files an editor has open, as their buffers read (saved or not), and
//! positions in them: the engine counts lines and columns from one in
//! characters, the protocol from zero in the units the client and server
//! agreed on (UTF-16 unless the client offers another).

use std::path::{Path, PathBuf};

use lsp_types::{Position, PositionEncodingKind, Range, TextDocumentContentChangeEvent, Uri};

use crate::project::pipeline::LocatedFinding;

/// How columns are counted on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Utf32,
}

impl Encoding {
    /// The encoding to use, of those the client offers: UTF-32 (the
    /// engine's characters) first, then UTF-8, else UTF-16, which every
    /// client understands.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        let offered = offered.unwrap_or_default();
        if offered.contains(&PositionEncodingKind::UTF32) {
            Encoding::Utf32
        } else if offered.contains(&PositionEncodingKind::UTF8) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn width(self, character: char) -> usize {
        match self {
            Encoding::Utf8 => character.len_utf8(),
            Encoding::Utf16 => character.len_utf16(),
            Encoding::Utf32 => 1,
        }
    }
}

/// A text's lines, to turn positions into offsets and back.
#[derive(Debug, Clone, Default)]
pub struct Lines {
    /// The byte offset each line starts at.
    starts: Vec<usize>,
}

impl Lines {
    pub fn of(text: &str) -> Lines {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        let mut offset = 0;
        while offset < bytes.len() {
            match bytes[offset] {
                b'\n' => starts.push(offset + 1),
                b'\r' if bytes.get(offset + 1) != Some(&b'\n') => starts.push(offset + 1),
                _ => {}
            }
            offset += 1;
        }
        Lines { starts }
    }

    /// The byte offset of a protocol position; past a line's end is its
    /// end, past the last line the text's end.
    pub fn offset(&self, text: &str, position: Position, encoding: Encoding) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .copied()
            .unwrap_or(text.len());
        let line = &text[start..end];
        let line = line.trim_end_matches(['\n', '\r']);
        let mut units = 0;
        for (index, character) in line.char_indices() {
            if units >= position.character as usize {
                return start + index;
            }
            units += encoding.width(character);
        }
        start + line.len()
    }

    /// The protocol position of the engine's one-based line and character.
    pub fn position(
        &self,
        text: &str,
        (line, column): (usize, usize),
        encoding: Encoding,
    ) -> Position {
        let line = line.saturating_sub(1);
        let Some(&start) = self.starts.get(line) else {
            let last = self.starts.len().saturating_sub(1);
            return self.position_of_offset(text, last, text.len(), encoding);
        };
        let end = self.starts.get(line + 1).copied().unwrap_or(text.len());
        let characters = column.saturating_sub(1);
        let units: usize = text[start..end]
            .trim_end_matches(['\n', '\r'])
            .chars()
            .take(characters)
            .map(|character| encoding.width(character))
            .sum();
        Position::new(line as u32, units as u32)
    }

    /// The protocol position of a byte offset.
    pub fn position_at(&self, text: &str, offset: usize, encoding: Encoding) -> Position {
        let line = match self.starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        };
        self.position_of_offset(text, line, offset, encoding)
    }

    fn position_of_offset(
        &self,
        text: &str,
        line: usize,
        offset: usize,
        encoding: Encoding,
    ) -> Position {
        let start = self.starts[line];
        let units: usize = text[start..offset]
            .chars()
            .map(|character| encoding.width(character))
            .sum();
        Position::new(line as u32, units as u32)
    }
}

/// An open file as its buffer reads.
#[derive(Debug, Clone)]
pub struct Document {
    pub uri: Uri,
    pub path: PathBuf,
    pub version: i32,
    pub text: String,
    pub lines: Lines,
    /// What the engine found in `text`, as last published.
    pub findings: Vec<LocatedFinding>,
}

impl Document {
    pub fn new(uri: Uri, path: PathBuf, version: i32, text: String) -> Document {
        Document {
            uri,
            path,
            version,
            lines: Lines::of(&text),
            text,
            findings: Vec::new(),
        }
    }

    /// Applies the client's changes, in order: a change with a range
    /// replaces that range, one without replaces the whole text.
    pub fn change(
        &mut self,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
        encoding: Encoding,
    ) {
        for change in changes {
            match change.range {
                Some(range) => {
                    let start = self.lines.offset(&self.text, range.start, encoding);
                    let end = self
                        .lines
                        .offset(&self.text, range.end, encoding)
                        .max(start);
                    self.text.replace_range(start..end, &change.text);
                }
                None => self.text = change.text,
            }
            self.lines = Lines::of(&self.text);
        }
        self.version = version;
    }

    /// The protocol range of a finding.
    pub fn range_of(&self, finding: &LocatedFinding, encoding: Encoding) -> Range {
        let start = self
            .lines
            .position(&self.text, (finding.line, finding.column), encoding);
        let end = self.lines.position(&self.text, finding.end, encoding);
        Range::new(start, end.max(start))
    }
}

/// The path a `file:` URI names, percent-decoded.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let rest = text.strip_prefix("file://")?;
    // An authority other than none or `localhost` is another machine's.
    let path = match rest.find('/') {
        Some(0) => rest,
        Some(slash) if rest[..slash].eq_ignore_ascii_case("localhost") => &rest[slash..],
        _ => return None,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut bytes = Vec::with_capacity(path.len());
    let raw = path.as_bytes();
    let mut index = 0;
    while index < raw.len() {
        if raw[index] == b'%'
            && let Some(hex) = path.get(index + 1..index + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            bytes.push(byte);
            index += 3;
            continue;
        }
        bytes.push(raw[index]);
        index += 1;
    }
    let decoded = String::from_utf8(bytes).ok()?;
    Some(PathBuf::from(decoded))
}

/// The `file:` URI of an absolute path, percent-encoded.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let text = path.to_str()?;
    let mut uri = String::from("file://");
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(byte as char)
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_the_agreed_units() {
        let text = "a = 1\r\nb = \"é😀\" + c\nlast";
        let lines = Lines::of(text);
        // `c` is the 12th character of line 2 (one-based), after é (1
        // UTF-16 unit, 2 bytes) and 😀 (2 units, 4 bytes).
        assert_eq!(
            lines.position(text, (2, 12), Encoding::Utf32),
            Position::new(1, 11)
        );
        assert_eq!(
            lines.position(text, (2, 12), Encoding::Utf16),
            Position::new(1, 12)
        );
        assert_eq!(
            lines.position(text, (2, 12), Encoding::Utf8),
            Position::new(1, 15)
        );
        let offset = lines.offset(text, Position::new(1, 12), Encoding::Utf16);
        assert_eq!(&text[offset..offset + 1], "c");
        assert_eq!(
            lines.position_at(text, offset, Encoding::Utf16),
            Position::new(1, 12)
        );
        // A column past the end of its line stops at the line's end.
        assert_eq!(
            lines.position(text, (2, 99), Encoding::Utf16),
            Position::new(1, 13)
        );
        // Past the end of a line is its end, before the CRLF.
        assert_eq!(lines.offset(text, Position::new(0, 99), Encoding::Utf16), 5);
    }

    #[test]
    fn incremental_changes_apply_in_order() {
        let uri: Uri = "file:///project/app/main.py".parse().unwrap();
        let mut document = Document::new(
            uri,
            "/project/app/main.py".into(),
            1,
            "x = 1\ny = 2\n".into(),
        );
        let change =
            |start: (u32, u32), end: (u32, u32), text: &str| TextDocumentContentChangeEvent {
                range: Some(Range::new(
                    Position::new(start.0, start.1),
                    Position::new(end.0, end.1),
                )),
                range_length: None,
                text: text.to_string(),
            };
        document.change(
            2,
            vec![
                change((1, 4), (1, 5), "20"),
                change((0, 0), (0, 0), "# top\n"),
            ],
            Encoding::Utf16,
        );
        assert_eq!(document.text, "# top\nx = 1\ny = 20\n");
        assert_eq!(document.version, 2);
    }

    #[test]
    fn file_uris_and_paths_round_trip() {
        let path = Path::new("/home/me/my project/app/ünï.py");
        let uri = path_to_uri(path).unwrap();
        assert_eq!(
            uri.as_str(),
            "file:///home/me/my%20project/app/%C3%BCn%C3%AF.py"
        );
        assert_eq!(uri_to_path(&uri).unwrap(), path);
        let localhost: Uri = "file://localhost/srv/app.py".parse().unwrap();
        assert_eq!(uri_to_path(&localhost).unwrap(), Path::new("/srv/app.py"));
        let remote: Uri = "file://elsewhere/srv/app.py".parse().unwrap();
        assert_eq!(uri_to_path(&remote), None);
    }
}
