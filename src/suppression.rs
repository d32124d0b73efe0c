//! Comments that opt a line out of transforms:
//! `# fastapi-codemod: ignore`, `# fastapi-codemod: ignore[name, …]`,
//! and ruff's `# noqa` / `# noqa: CODE, …` for transforms that mirror a ruff rule.

use std::collections::HashMap;

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_text_size::Ranged;

use crate::source::SourceFile;

/// What one line's comments suppress.
#[derive(Debug, Default, Clone)]
struct LineSuppression {
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
        let mut lines: HashMap<usize, LineSuppression> = HashMap::new();
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

    /// Whether `transform` (mirroring ruff's `ruff_code`, if any) is
    /// suppressed on a one-based line.
    pub fn is_suppressed(&self, line: usize, transform: &str, ruff_code: Option<&str>) -> bool {
        let Some(entry) = self.lines.get(&line) else {
            return false;
        };
        entry.everything
            || entry.transforms.iter().any(|name| name == transform)
            || ruff_code.is_some_and(|code| entry.ruff_codes.iter().any(|listed| listed == code))
    }
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
        assert!(suppressed(
            "# fastapi-codemod: ignore",
            "annotated-params",
            None
        ));
        assert!(suppressed(
            "# fastapi-codemod: ignore[annotated-params]",
            "annotated-params",
            None
        ));
        assert!(suppressed(
            "# fastapi-codemod: ignore[a, annotated-params]",
            "annotated-params",
            None
        ));
        assert!(!suppressed(
            "# fastapi-codemod: ignore[response-model]",
            "annotated-params",
            None
        ));
        assert!(suppressed(
            "# noqa: FAST002",
            "annotated-params",
            Some("FAST002")
        ));
        assert!(suppressed(
            "# noqa:E501,FAST002",
            "annotated-params",
            Some("FAST002")
        ));
        assert!(suppressed("# noqa", "annotated-params", Some("FAST002")));
        assert!(!suppressed(
            "# noqa: E501",
            "annotated-params",
            Some("FAST002")
        ));
        assert!(!suppressed("# noqa: FAST002", "response-model", None));
        assert!(suppressed(
            "# type: ignore  # noqa: FAST002",
            "annotated-params",
            Some("FAST002")
        ));
        assert!(!suppressed(
            "# just a comment",
            "annotated-params",
            Some("FAST002")
        ));
    }
}
