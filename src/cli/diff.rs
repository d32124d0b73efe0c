//! Unified diffs, optionally coloured.

use similar::TextDiff;

/// A unified diff with `--- a/PATH` / `+++ b/PATH` headers and three lines of context.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// A new file, as git shows it: `new file mode`, then every line added
/// against `/dev/null`.
pub fn created_diff(path: &str, new: &str) -> String {
    let hunks = TextDiff::from_lines("", new)
        .unified_diff()
        .context_radius(3)
        .header("/dev/null", &format!("b/{path}"))
        .to_string();
    format!("diff --git a/{path} b/{path}\nnew file mode 100644\n{hunks}")
}

/// A removed file, as git shows it: `deleted file mode`, then every line
/// removed against `/dev/null`.
pub fn deleted_diff(path: &str, old: &str) -> String {
    let hunks = TextDiff::from_lines(old, "")
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), "/dev/null")
        .to_string();
    format!("diff --git a/{path} b/{path}\ndeleted file mode 100644\n{hunks}")
}

/// A moved file, as git shows a rename: `rename from` / `rename to`, then
/// the hunks of what changed in it, if anything did.
pub fn renamed_diff(from: &str, to: &str, old: &str, new: &str) -> String {
    let mut text = format!("diff --git a/{from} b/{to}\nrename from {from}\nrename to {to}\n");
    if old != new {
        text.push_str(
            &TextDiff::from_lines(old, new)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{from}"), &format!("b/{to}"))
                .to_string(),
        );
    }
    text
}

/// Colours a unified diff for a terminal.
pub fn colorize(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + diff.len() / 4);
    for line in diff.split_inclusive('\n') {
        let colour = if line.starts_with("+++") || line.starts_with("---") {
            "\x1b[1m"
        } else if line.starts_with('+') {
            "\x1b[32m"
        } else if line.starts_with('-') {
            "\x1b[31m"
        } else if line.starts_with("@@") {
            "\x1b[36m"
        } else {
            ""
        };
        if colour.is_empty() {
            out.push_str(line);
        } else {
            let body = line.trim_end_matches(['\n', '\r']);
            out.push_str(colour);
            out.push_str(body);
            out.push_str("\x1b[0m");
            out.push_str(&line[body.len()..]);
        }
    }
    out
}
