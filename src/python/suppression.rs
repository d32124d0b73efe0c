//! Comments that opt a line out of transforms:
//! `# fastapi-codemod: ignore`, `# fastapi-codemod: ignore[name, …]`,
//! and ruff's `# noqa` / `# noqa: CODE, …` for transforms that mirror a ruff rule.

use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_text_size::Ranged;

use crate::text::source::SourceFile;

/// What a line's comments (or several lines' together) suppress.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LineSuppression {
    /// `# fastapi-codemod: ignore` with no list, or a bare `# noqa`.
    everything: bool,
    transforms: Vec<String>,
    ruff_codes: Vec<String>,
}

/// Suppression comments of a file, by line.
#[derive(Debug, Default)]
pub struct Suppressions {
    lines: HashMap<usize, LineSuppression>,
}

impl Suppressions {
    pub fn from_tokens(tokens: &Tokens, source: &SourceFile) -> Self {
        let mut lines: HashMap<usize, LineSuppression> = HashMap::default();
        // Most files have no such comment at all: look for its words first.
        if !may_suppress(source.text()) {
            return Suppressions { lines };
        }
        for token in tokens
            .iter()
            .filter(|token| token.kind() == TokenKind::Comment)
        {
            let comment = source.slice(token.range());
            let Some(parsed) = parse_comment(comment) else {
                continue;
            };
            let entry = lines.entry(source.line_number(token.start())).or_default();
            entry.everything |= parsed.everything;
            entry.transforms.extend(parsed.transforms);
            entry.ruff_codes.extend(parsed.ruff_codes);
        }
        Suppressions { lines }
    }

    /// Whether the file has no suppression comment at all.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether `transform` (mirroring ruff's `ruff_code`, if any) is
    /// suppressed on a one-based line.
    pub fn is_suppressed(&self, line: usize, transform: &str, ruff_code: Option<&str>) -> bool {
        self.lines
            .get(&line)
            .is_some_and(|entry| entry.covers(transform, ruff_code))
    }

    /// What the comments on any of `lines` suppress together, if anything.
    pub fn over(&self, lines: impl IntoIterator<Item = usize>) -> Option<LineSuppression> {
        if self.lines.is_empty() {
            return None;
        }
        let mut merged: Option<LineSuppression> = None;
        for line in lines {
            if let Some(entry) = self.lines.get(&line) {
                let merged = merged.get_or_insert_with(LineSuppression::default);
                merged.everything |= entry.everything;
                merged.transforms.extend(entry.transforms.iter().cloned());
                merged.ruff_codes.extend(entry.ruff_codes.iter().cloned());
            }
        }
        merged
    }
}

impl LineSuppression {
    /// Whether these comments suppress `transform` (mirroring ruff's `ruff_code`, if any).
    pub fn covers(&self, transform: &str, ruff_code: Option<&str>) -> bool {
        self.everything
            || self.transforms.iter().any(|name| name == transform)
            || ruff_code.is_some_and(|code| self.ruff_codes.iter().any(|listed| listed == code))
    }
}

/// Whether a text may hold a suppression comment: `fastapi-codemod:` or
/// `noqa` in any case.
fn may_suppress(text: &str) -> bool {
    // `noqa` in any case, after a `#` on its line: only the few `#`s are
    // looked at, not every byte.
    text.contains("fastapi-codemod")
        || memchr::memchr_iter(b'#', text.as_bytes()).any(|at| {
            let rest = &text.as_bytes()[at..];
            let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
            line.windows(4)
                .any(|window| window.eq_ignore_ascii_case(b"noqa"))
        })
}

fn parse_comment(comment: &str) -> Option<LineSuppression> {
    let mut result = LineSuppression::default();
    let mut found = false;
    // A comment may hold several directives: `# noqa: E501  # fastapi-codemod: ignore`.
    for part in comment
        .split('#')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        if let Some(rest) = part.strip_prefix("fastapi-codemod:") {
            let rest = rest.trim_start();
            let Some(after) = rest.strip_prefix("ignore") else {
                continue;
            };
            let after = after.trim_start();
            if let Some(list) = after.strip_prefix('[') {
                let Some(list) = list.split(']').next() else {
                    continue;
                };
                result.transforms.extend(
                    list.split(',')
                        .map(str::trim)
                        .filter(|name| !name.is_empty())
                        .map(String::from),
                );
            } else {
                result.everything = true;
            }
            found = true;
        } else if let Some(rest) = strip_prefix_ignore_case(part, "noqa") {
            found = true;
            match rest.trim_start().strip_prefix(':') {
                Some(codes) => result.ruff_codes.extend(
                    codes
                        .split([',', ' '])
                        .map(str::trim)
                        .take_while(|code| code.is_empty() || is_rule_code(code))
                        .filter(|code| !code.is_empty())
                        .map(String::from),
                ),
                None if rest.trim().is_empty() => result.everything = true,
                None => found = false,
            }
        }
    }
    found.then_some(result)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn is_rule_code(code: &str) -> bool {
    let letters = code.chars().take_while(char::is_ascii_uppercase).count();
    letters > 0 && code.len() > letters && code[letters..].chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suppressed(comment: &str, transform: &str, code: Option<&str>) -> bool {
        let source = format!("x = 1  {comment}\n");
        let parsed = ruff_python_parser::parse_module(&source).unwrap();
        let file = SourceFile::new(&source);
        Suppressions::from_tokens(parsed.tokens(), &file).is_suppressed(1, transform, code)
    }

    #[test]
    fn directives() {
        assert!(suppressed("# fastapi-codemod: ignore", "param-style", None));
        assert!(suppressed(
            "# fastapi-codemod: ignore[param-style]",
            "param-style",
            None
        ));
        assert!(suppressed(
            "# fastapi-codemod: ignore[a, param-style]",
            "param-style",
            None
        ));
        assert!(!suppressed(
            "# fastapi-codemod: ignore[other-transform]",
            "param-style",
            None
        ));
        assert!(suppressed(
            "# noqa: FAST002",
            "param-style",
            Some("FAST002")
        ));
        assert!(suppressed(
            "# noqa:E501,FAST002",
            "param-style",
            Some("FAST002")
        ));
        assert!(suppressed("# noqa", "param-style", Some("FAST002")));
        assert!(!suppressed("# noqa: E501", "param-style", Some("FAST002")));
        assert!(!suppressed("# noqa: FAST002", "other-transform", None));
        assert!(suppressed(
            "# type: ignore  # noqa: FAST002",
            "param-style",
            Some("FAST002")
        ));
        assert!(!suppressed(
            "# just a comment",
            "param-style",
            Some("FAST002")
        ));
    }
}
