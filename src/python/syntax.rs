//! Edits on Python syntax that several transforms need, built from tokens so
//! that comments and the user's layout survive.

use ruff_python_ast::token::{Token, TokenKind, Tokens, parenthesized_range};
use ruff_python_ast::{AnyNodeRef, ArgOrKeyword, Arguments};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::text::edit::Edit;
use crate::text::source::SourceFile;

/// The tokens that lie entirely within `range`.
pub fn tokens_within(tokens: &Tokens, range: TextRange) -> &[Token] {
    let all: &[Token] = tokens;
    let first = all.partition_point(|token| token.start() < range.start());
    let last = all.partition_point(|token| token.end() <= range.end());
    &all[first..last.max(first)]
}

/// The range of an argument including any parentheses around its value.
fn argument_range(argument: ArgOrKeyword, arguments: &Arguments, tokens: &Tokens) -> TextRange {
    match argument {
        ArgOrKeyword::Arg(expr) => {
            parenthesized_range(expr.into(), AnyNodeRef::from(arguments), tokens)
                .unwrap_or(expr.range())
        }
        ArgOrKeyword::Keyword(keyword) => keyword.range(),
    }
}

/// The edit that adds `argument` (`response_model=UserRead`) as a call's
/// last argument, in the call's own layout: `f(a, b)` → `f(a, b, argument)`;
/// one argument per line with a trailing comma gains a line; a call hugging
/// its arguments on one indented line extends that line. A call on one line
/// that would grow past `line_length` is laid out as black would: the
/// arguments on one indented line if they fit there, else one per line with
/// a trailing comma (not when the call holds comments or multi-line
/// arguments, which are left in place).
pub fn append_argument(
    source: &SourceFile,
    tokens: &Tokens,
    arguments: &Arguments,
    argument: &str,
    line_length: usize,
) -> Vec<Edit> {
    let close = arguments.end() - TextSize::new(1);
    let ranges: Vec<TextRange> = arguments
        .iter_source_order()
        .map(|item| argument_range(item, arguments, tokens))
        .collect();
    let Some(last) = ranges.last().copied() else {
        return vec![Edit::insertion(argument.to_string(), close)];
    };
    let after_last = tokens_within(tokens, TextRange::new(last.end(), close));
    let trailing_comma = after_last
        .iter()
        .any(|token| token.kind() == TokenKind::Comma);
    let ending = source.line_ending().as_str();
    let close_on_own_line = source.starts_line(close)
        || source
            .slice(TextRange::new(source.line_start(close), close))
            .trim()
            .is_empty();
    if trailing_comma {
        if close_on_own_line {
            let indent = source.indentation_at(last.start());
            return vec![Edit::insertion(
                format!("{indent}{argument},{ending}"),
                source.line_start(close),
            )];
        }
        let comma = after_last
            .iter()
            .find(|token| token.kind() == TokenKind::Comma)
            .expect("a trailing comma");
        return vec![Edit::insertion(format!(" {argument},"), comma.end())];
    }
    // One argument per line without a trailing comma: a comma after the
    // last (before any comment), and the new argument on a line of its own.
    let one_per_line = ranges.len() > 1
        && ranges
            .windows(2)
            .all(|pair| source.line_number(pair[0].end()) < source.line_number(pair[1].start()));
    if close_on_own_line && source.starts_line(last.start()) && (one_per_line || ranges.len() == 1)
    {
        let indent = source.indentation_at(last.start());
        return vec![
            Edit::insertion(",", last.end()),
            Edit::insertion(
                format!("{indent}{argument},{ending}"),
                source.line_start(close),
            ),
        ];
    }
    let appended = Edit::insertion(format!(", {argument}"), last.end());
    let line_start = source.line_start(last.end());
    let line = source
        .slice(TextRange::new(line_start, source.full_line_end(last.end())))
        .trim_end_matches(['\n', '\r']);
    let width = line.chars().count() + argument.chars().count() + 2;
    let one_line = source.line_number(arguments.start()) == source.line_number(close);
    let has_comments = tokens_within(tokens, arguments.range())
        .iter()
        .any(|token| token.kind() == TokenKind::Comment);
    let arguments_on_one_line =
        source.line_number(ranges[0].start()) == source.line_number(last.end());
    if width <= line_length || !arguments_on_one_line || has_comments {
        return vec![appended];
    }
    let mut items: Vec<&str> = ranges.iter().map(|range| source.slice(*range)).collect();
    items.push(argument);
    vec![Edit::replacement(
        laid_out(source, arguments, &items, one_line, line_length),
        arguments.range(),
    )]
}

/// A call's arguments (with their parentheses) laid out as black would:
/// on one indented line when the call was on one line and they fit there,
/// else one per line with a trailing comma.
fn laid_out(
    source: &SourceFile,
    arguments: &Arguments,
    items: &[&str],
    one_line: bool,
    line_length: usize,
) -> String {
    let ending = source.line_ending().as_str();
    let indent = source.indentation_at(arguments.start());
    let inner = format!("{indent}{}", source.indent_unit());
    let hugged = items.join(", ");
    if one_line && inner.chars().count() + hugged.chars().count() <= line_length {
        format!("({ending}{inner}{hugged}{ending}{indent})")
    } else {
        let mut text = format!("({ending}");
        for item in items {
            text.push_str(&format!("{inner}{item},{ending}"));
        }
        text.push_str(&format!("{indent})"));
        text
    }
}

/// The edit that replaces the argument at `index` (in source order) of a
/// call with `replacement`; a call on one line that would grow past
/// `line_length` is laid out again as black would (not one holding
/// comments).
pub fn replace_argument(
    source: &SourceFile,
    tokens: &Tokens,
    arguments: &Arguments,
    index: usize,
    replacement: &str,
    line_length: usize,
) -> Vec<Edit> {
    let ranges: Vec<TextRange> = arguments
        .iter_source_order()
        .map(|item| argument_range(item, arguments, tokens))
        .collect();
    let Some(&range) = ranges.get(index) else {
        return Vec::new();
    };
    let simple = vec![Edit::replacement(replacement.to_string(), range)];
    let line = source
        .slice(TextRange::new(
            source.line_start(range.start()),
            source.full_line_end(range.end()),
        ))
        .trim_end_matches(['\n', '\r']);
    let width =
        line.chars().count() - source.slice(range).chars().count() + replacement.chars().count();
    let close = arguments.end() - TextSize::new(1);
    let one_line = source.line_number(arguments.start()) == source.line_number(close);
    let has_comments = tokens_within(tokens, arguments.range())
        .iter()
        .any(|token| token.kind() == TokenKind::Comment);
    let arguments_on_one_line = ranges
        .first()
        .zip(ranges.last())
        .is_some_and(|(first, last)| {
            source.line_number(first.start()) == source.line_number(last.end())
        });
    if width <= line_length || !arguments_on_one_line || has_comments {
        return simple;
    }
    let items: Vec<&str> = ranges
        .iter()
        .enumerate()
        .map(|(position, item)| {
            if position == index {
                replacement
            } else {
                source.slice(*item)
            }
        })
        .collect();
    vec![Edit::replacement(
        laid_out(source, arguments, &items, one_line, line_length),
        arguments.range(),
    )]
}

/// The range to delete to remove the argument at `index` (in source order)
/// from a call, with its comma. Comments are kept; a line left empty is
/// removed whole.
pub fn argument_deletion(
    source: &SourceFile,
    tokens: &Tokens,
    arguments: &Arguments,
    index: usize,
) -> TextRange {
    let ranges: Vec<TextRange> = arguments
        .iter_source_order()
        .map(|argument| argument_range(argument, arguments, tokens))
        .collect();
    list_item_deletion(source, tokens, &ranges, index, arguments.inner_range())
}

/// The range to delete to remove item `index` of a comma-separated list
/// (call arguments, parameters) whose items span `ranges` within the
/// brackets' `inner` range, with its comma. Comments are kept; a line left
/// empty is removed whole.
pub fn list_item_deletion(
    source: &SourceFile,
    tokens: &Tokens,
    ranges: &[TextRange],
    index: usize,
    inner: TextRange,
) -> TextRange {
    let item = ranges[index];
    let inner_tokens = tokens_within(tokens, inner);
    let has_comments = inner_tokens
        .iter()
        .any(|token| token.kind() == TokenKind::Comment);

    if ranges.len() == 1 && !has_comments {
        return inner;
    }

    if let Some(next) = ranges.get(index + 1) {
        let between = tokens_within(tokens, TextRange::new(item.end(), next.start()));
        let only_comma = between.iter().all(|token| token.kind() == TokenKind::Comma);
        if only_comma {
            return TextRange::new(item.start(), next.start());
        }
        let comma_end = between
            .iter()
            .find(|token| token.kind() == TokenKind::Comma)
            .map_or(item.end(), Ranged::end);
        // On its own line the argument goes with the spaces after its comma;
        // after an opening bracket those spaces stay before the comment.
        let end = if source.starts_line(item.start()) {
            skip_spaces(source, comma_end)
        } else {
            comma_end
        };
        return widen_to_empty_line(source, TextRange::new(item.start(), end));
    }

    // The last argument: take the comma before it when it shares that line,
    // else its own trailing comma.
    if index > 0 {
        let previous = ranges[index - 1];
        let between = tokens_within(tokens, TextRange::new(previous.end(), item.start()));
        if between.iter().all(|token| token.kind() == TokenKind::Comma) {
            return TextRange::new(previous.end(), item.end());
        }
    }
    let after = tokens_within(tokens, TextRange::new(item.end(), inner.end()));
    let end = match after.first() {
        Some(token) if token.kind() == TokenKind::Comma => skip_spaces(source, token.end()),
        _ => item.end(),
    };
    widen_to_empty_line(source, TextRange::new(item.start(), end))
}

fn skip_spaces(source: &SourceFile, offset: TextSize) -> TextSize {
    let rest = &source.text()[usize::from(offset)..];
    let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    offset + TextSize::try_from(spaces).unwrap_or_default()
}

/// Widens a deletion to its whole line when nothing but whitespace would be
/// left on that line.
fn widen_to_empty_line(source: &SourceFile, range: TextRange) -> TextRange {
    let line_start = source.line_start(range.start());
    let line_end = source.full_line_end(range.end());
    let before = &source.text()[TextRange::new(line_start, range.start())];
    let after = &source.text()[TextRange::new(range.end(), line_end)];
    if before.trim().is_empty() && after.trim().is_empty() && after.ends_with(['\n', '\r']) {
        TextRange::new(line_start, line_end)
    } else {
        range
    }
}

/// An expression written over several lines, joined onto one as a
/// formatter would: no space inside brackets, one space elsewhere. `None`
/// when joining would lose something or change its look deliberately: a
/// comment, a string spanning lines, or a magic trailing comma.
pub fn join_lines(expression: &str) -> Option<String> {
    let parsed = ruff_python_parser::parse_expression(expression).ok()?;
    join_tokens(
        expression,
        parsed.tokens(),
        TextRange::up_to(TextSize::of(expression)),
    )
}

/// A parameter list `(…)` written over several lines, joined onto one, on
/// the same terms as [`join_lines`].
pub fn join_parameter_lines(parameters: &str) -> Option<String> {
    let prefix = "def f";
    let source = format!("{prefix}{parameters}: pass\n");
    let parsed = ruff_python_parser::parse_module(&source).ok()?;
    let start = TextSize::of(prefix);
    let range = TextRange::new(start, start + TextSize::of(parameters));
    join_tokens(&source, parsed.tokens(), range)
}

fn join_tokens(text: &str, tokens: &Tokens, range: TextRange) -> Option<String> {
    let tokens: Vec<&Token> = tokens_within(tokens, range)
        .iter()
        .filter(|token| {
            !matches!(
                token.kind(),
                TokenKind::NonLogicalNewline | TokenKind::Newline | TokenKind::EndOfFile
            )
        })
        .collect();
    if tokens.iter().any(|token| {
        token.kind() == TokenKind::Comment || text[token.range()].contains(['\n', '\r'])
    }) {
        return None;
    }
    let mut joined = String::with_capacity(range.len().into());
    for (index, token) in tokens.iter().enumerate() {
        if index > 0 {
            let previous = tokens[index - 1];
            let gap = &text[TextRange::new(previous.end(), token.start())];
            if gap.contains(['\n', '\r']) {
                let opens = matches!(
                    previous.kind(),
                    TokenKind::Lpar | TokenKind::Lsqb | TokenKind::Lbrace
                );
                let closes = matches!(
                    token.kind(),
                    TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace
                );
                if closes && previous.kind() == TokenKind::Comma {
                    return None;
                }
                if !opens && !closes {
                    joined.push(' ');
                }
            } else {
                joined.push_str(gap);
            }
        }
        joined.push_str(&text[token.range()]);
    }
    Some(joined)
}

#[cfg(test)]
mod tests {
    use ruff_python_ast::{Expr, Stmt};
    use ruff_python_parser::parse_module;

    use super::*;

    fn remove(source: &str, index: usize) -> String {
        let file = SourceFile::new(source);
        let parsed = parse_module(source).unwrap();
        let Stmt::Expr(statement) = &parsed.syntax().body[0] else {
            panic!("expected a call statement")
        };
        let Expr::Call(call) = statement.value.as_ref() else {
            panic!("expected a call")
        };
        let range = argument_deletion(&file, parsed.tokens(), &call.arguments, index);
        format!(
            "{}{}",
            &source[..usize::from(range.start())],
            &source[usize::from(range.end())..]
        )
    }

    #[test]
    fn removes_arguments_on_one_line() {
        assert_eq!(remove("Query(None)\n", 0), "Query()\n");
        assert_eq!(
            remove("Query(None, max_length=5)\n", 0),
            "Query(max_length=5)\n"
        );
        assert_eq!(
            remove("Query(max_length=5, default=None)\n", 1),
            "Query(max_length=5)\n"
        );
        assert_eq!(
            remove("Query((None), alias='q')\n", 0),
            "Query(alias='q')\n"
        );
        assert_eq!(remove("Query(\n    None,\n)\n", 0), "Query()\n");
    }

    #[test]
    fn removes_arguments_on_their_own_lines() {
        assert_eq!(
            remove("Query(\n    None,\n    max_length=5,\n)\n", 0),
            "Query(\n    max_length=5,\n)\n"
        );
        assert_eq!(
            remove("Query(\n    max_length=5,\n    default=None,\n)\n", 1),
            "Query(\n    max_length=5,\n)\n"
        );
        assert_eq!(
            remove("Query(\n    max_length=5,\n    default=None\n)\n", 1),
            "Query(\n    max_length=5,\n)\n"
        );
    }

    #[test]
    fn joins_lines_unless_something_would_be_lost() {
        assert_eq!(
            join_lines("Query(\n    min_length=3, max_length=50\n)").as_deref(),
            Some("Query(min_length=3, max_length=50)")
        );
        assert_eq!(
            join_lines("Query(\n    ge=1,\n    le=5\n)").as_deref(),
            Some("Query(ge=1, le=5)")
        );
        assert_eq!(join_lines("Query(\n    ge=1,\n)"), None);
        assert_eq!(
            join_lines("Query(\n    ge=1,  # at least one\n    le=5)"),
            None
        );
        assert_eq!(join_lines("Query(description=\"\"\"a\nb\"\"\")"), None);
        assert_eq!(
            join_lines("Query(pattern=\"^( a )$\")").as_deref(),
            Some("Query(pattern=\"^( a )$\")")
        );
    }

    #[test]
    fn keeps_comments() {
        assert_eq!(
            remove(
                "Query(\n    None,  # nothing by default\n    max_length=5,\n)\n",
                0
            ),
            "Query(\n    # nothing by default\n    max_length=5,\n)\n"
        );
        assert_eq!(
            remove("Query(None,  # search\n      max_length=5)\n", 0),
            "Query(  # search\n      max_length=5)\n"
        );
        assert_eq!(
            remove("Query(\n    # the default\n    None,\n)\n", 0),
            "Query(\n    # the default\n)\n"
        );
    }
}
