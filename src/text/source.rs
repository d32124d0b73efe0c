//! The text of one Python file and the style new code must follow in it.

use std::sync::OnceLock;

use ruff_source_file::{LineIndex, OneIndexed};
use ruff_text_size::{TextRange, TextSize};

/// A UTF-8 byte order mark, kept aside so transforms never see it.
const BOM: &str = "\u{feff}";

/// How lines end in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    CrLf,
    Cr,
}

impl LineEnding {
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
            LineEnding::Cr => "\r",
        }
    }

    /// The first line ending in `text`, or `\n` for a file with one line.
    pub fn detect(text: &str) -> Self {
        let bytes = text.as_bytes();
        match memchr_newline(bytes) {
            Some(i) if bytes[i] == b'\n' => LineEnding::Lf,
            Some(i) if bytes.get(i + 1) == Some(&b'\n') => LineEnding::CrLf,
            Some(_) => LineEnding::Cr,
            None => LineEnding::Lf,
        }
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n' || b == b'\r')
}

/// The quote character a file prefers for new string literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    Double,
    Single,
}

impl Quote {
    pub fn as_char(self) -> char {
        match self {
            Quote::Double => '"',
            Quote::Single => '\'',
        }
    }
}

/// One Python file as transforms see it: the text without its byte order mark,
/// plus the file's own conventions for line endings, indentation and quotes.
#[derive(Debug, Clone)]
pub struct SourceFile {
    text: String,
    has_bom: bool,
    line_ending: LineEnding,
    /// Detected on first use: most files never need them.
    indent_unit: OnceLock<String>,
    quote: OnceLock<Quote>,
    /// Built on the first question about lines: a file with nothing to
    /// report or fix never needs it.
    line_index: OnceLock<LineIndex>,
}

impl SourceFile {
    /// Takes the decoded contents of a file (a leading BOM is set aside).
    pub fn new(contents: &str) -> Self {
        Self::from_contents(contents.to_string())
    }

    /// Like [`SourceFile::new`], keeping the text it is given.
    pub fn from_contents(mut text: String) -> Self {
        let has_bom = text.starts_with(BOM);
        if has_bom {
            text.drain(..BOM.len());
        }
        let line_ending = LineEnding::detect(&text);
        SourceFile {
            text,
            has_bom,
            line_ending,
            indent_unit: OnceLock::new(),
            quote: OnceLock::new(),
            line_index: OnceLock::new(),
        }
    }

    fn lines(&self) -> &LineIndex {
        self.line_index
            .get_or_init(|| LineIndex::from_source_text(&self.text))
    }

    /// The same file with new text; the BOM and the detected style carry over.
    pub fn with_text(&self, text: String) -> Self {
        SourceFile {
            text,
            has_bom: self.has_bom,
            line_ending: self.line_ending,
            indent_unit: self.indent_unit.clone(),
            quote: self.quote.clone(),
            line_index: OnceLock::new(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The full file contents to write back, BOM included.
    pub fn to_contents(&self) -> String {
        if self.has_bom {
            format!("{BOM}{}", self.text)
        } else {
            self.text.clone()
        }
    }

    pub fn line_ending(&self) -> LineEnding {
        self.line_ending
    }

    /// One level of indentation as the file writes it (four spaces when unknown).
    pub fn indent_unit(&self) -> &str {
        self.indent_unit
            .get_or_init(|| detect_indent_unit(&self.text))
    }

    pub fn quote(&self) -> Quote {
        *self.quote.get_or_init(|| detect_quote(&self.text))
    }

    pub fn slice(&self, range: TextRange) -> &str {
        &self.text[range]
    }

    /// One-based line and column (in characters) of an offset.
    pub fn line_column(&self, offset: TextSize) -> (usize, usize) {
        let location = self.lines().line_column(offset, &self.text);
        (location.line.get(), location.column.get())
    }

    /// One-based line number of an offset.
    pub fn line_number(&self, offset: TextSize) -> usize {
        self.lines().line_index(offset).get()
    }

    /// The offset where the line holding `offset` starts.
    pub fn line_start(&self, offset: TextSize) -> TextSize {
        let line = self.lines().line_index(offset);
        self.lines().line_start(line, &self.text)
    }

    /// The offset just past the line ending of the line holding `offset`.
    pub fn full_line_end(&self, offset: TextSize) -> TextSize {
        let line = self.lines().line_index(offset);
        let next = line.saturating_add(1);
        if next.get() > self.lines().line_count() {
            self.text_len()
        } else {
            self.lines().line_start(next, &self.text)
        }
    }

    /// The offset where a one-based line starts.
    pub fn start_of_line_number(&self, line: usize) -> TextSize {
        self.lines()
            .line_start(OneIndexed::new(line).unwrap_or(OneIndexed::MIN), &self.text)
    }

    /// The whitespace that opens the line holding `offset`.
    pub fn indentation_at(&self, offset: TextSize) -> &str {
        let start = self.line_start(offset);
        let line = &self.text[usize::from(start)..];
        let width = line.len() - line.trim_start_matches([' ', '\t']).len();
        &line[..width]
    }

    /// Whether only whitespace stands between the start of its line and `offset`.
    pub fn starts_line(&self, offset: TextSize) -> bool {
        let start = self.line_start(offset);
        self.text[TextRange::new(start, offset)].trim().is_empty()
    }

    pub fn text_len(&self) -> TextSize {
        TextSize::of(self.text.as_str())
    }
}

/// The indentation of the first indented line that starts a statement,
/// which is what the file uses for one level. Lines inside brackets (a
/// parenthesized import's hanging indent) and inside strings (a
/// docstring's text) are not statements, and are passed over.
fn detect_indent_unit(text: &str) -> String {
    let mut depth: usize = 0;
    // The open string: its quote and whether it is triple-quoted.
    let mut string: Option<(char, bool)> = None;
    for line in text.split_inclusive('\n') {
        let starts_statement = depth == 0 && string.is_none();
        let trimmed = line.trim_start_matches([' ', '\t']);
        if starts_statement
            && !trimmed.trim().is_empty()
            && !trimmed.starts_with('#')
            && trimmed.len() != line.len()
        {
            let indent = &line[..line.len() - trimmed.len()];
            if indent.starts_with('\t') {
                return "\t".to_string();
            }
            return indent.to_string();
        }
        // Brackets and strings opened or closed on this line.
        let characters: Vec<char> = line.chars().collect();
        let mut position = 0;
        while position < characters.len() {
            let character = characters[position];
            match string {
                Some((quote, triple)) => {
                    if character == '\\' {
                        position += 1;
                    } else if character == quote {
                        let closes =
                            !triple || characters[position..].iter().take(3).all(|c| *c == quote);
                        if closes {
                            if triple {
                                position += 2;
                            }
                            string = None;
                        }
                    } else if character == '\n' && !triple {
                        string = None;
                    }
                }
                None => match character {
                    '#' => break,
                    '"' | '\'' => {
                        let triple = characters[position..]
                            .iter()
                            .take(3)
                            .all(|c| *c == character)
                            && characters.len() >= position + 3;
                        string = Some((character, triple));
                        if triple {
                            position += 2;
                        }
                    }
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
            position += 1;
        }
    }
    "    ".to_string()
}

/// The quote used by most single-line string literals that could have used
/// either, judged roughly on the raw text; double quotes win a tie.
fn detect_quote(text: &str) -> Quote {
    let mut double = 0usize;
    let mut single = 0usize;
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with('#') {
            continue;
        }
        double += code.matches('"').count();
        single += code.matches('\'').count();
    }
    if single > double {
        Quote::Single
    } else {
        Quote::Double
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_set_aside_and_restored() {
        let file = SourceFile::new("\u{feff}x = 1\n");
        assert_eq!(file.text(), "x = 1\n");
        assert_eq!(file.to_contents(), "\u{feff}x = 1\n");
    }

    #[test]
    fn detects_line_endings() {
        assert_eq!(LineEnding::detect("a\r\nb\r\n"), LineEnding::CrLf);
        assert_eq!(LineEnding::detect("a\nb"), LineEnding::Lf);
        assert_eq!(LineEnding::detect("a\rb"), LineEnding::Cr);
        assert_eq!(LineEnding::detect("a"), LineEnding::Lf);
    }

    #[test]
    fn detects_indentation_and_quotes() {
        let file = SourceFile::new("def f():\n\tx = 'a'\n\treturn x\n");
        assert_eq!(file.indent_unit(), "\t");
        assert_eq!(file.quote(), Quote::Single);
        let file = SourceFile::new("# comment\ndef f():\n  return \"a\"\n");
        assert_eq!(file.indent_unit(), "  ");
        assert_eq!(file.quote(), Quote::Double);
        // A hanging indent inside brackets, and a docstring's text, are
        // not the indentation of a block.
        let file = SourceFile::new(
            "from a import (b,\n               c)\n\"\"\"\n      Text.\n\"\"\"\nx = [\n        1,\n]\n\n\nclass K:\n    y = \"(\"\n",
        );
        assert_eq!(file.indent_unit(), "    ");
    }
}

/// What a file held when it was first read, to tell whether it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub len: usize,
    pub hash: u64,
}

impl Fingerprint {
    /// A fast hash over eight bytes at a time: it tells an edit, not an attack.
    pub fn of(bytes: &[u8]) -> Self {
        const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut hash: u64 = bytes.len() as u64;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            hash = (hash ^ word).wrapping_mul(MULTIPLIER).rotate_left(29);
        }
        for &byte in chunks.remainder() {
            hash = (hash ^ u64::from(byte))
                .wrapping_mul(MULTIPLIER)
                .rotate_left(29);
        }
        Fingerprint {
            len: bytes.len(),
            hash,
        }
    }
}
