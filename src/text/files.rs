//! Changes to whole files, as data: a file to create, one to move or to
//! remove, or a text file that is not Python (`.gitignore`, `.env`, `pyproject.toml`) to
//! edit. Edits of such files are made on their current contents, in their
//! own layout: lines are appended in the file's line ending, dotenv keys are
//! merged without touching those present, and TOML keeps its formatting and
//! comments (`toml_edit`).

use std::path::PathBuf;

/// A change to a whole file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileChange {
    /// A file that must not exist yet. `module` names it when it is a Python
    /// module, so that promises to define names in it can be checked.
    Create {
        path: PathBuf,
        contents: String,
        module: Option<String>,
    },
    /// A file moved to a path that must not exist yet, with new contents or
    /// as it is. A module of the project moved with no contents of its own
    /// takes what its run makes of it: the text its fixes leave, which is
    /// then written at `to` and not where it was.
    Move {
        from: PathBuf,
        to: PathBuf,
        contents: Option<String>,
    },
    /// A file removed, after every other file is written: a package's
    /// `__init__.py` that a move emptied, or the old place of a move a
    /// stopped run had already written.
    Remove { path: PathBuf },
    /// A text file edited where it is (created when missing).
    Edit { path: PathBuf, edit: TextEdit },
}

impl FileChange {
    /// The path the change leaves behind, which must exist no more once
    /// every file is written: a move's old place, a removed file.
    pub fn removes(&self) -> Option<&PathBuf> {
        match self {
            FileChange::Move { from, .. } => Some(from),
            FileChange::Remove { path } => Some(path),
            FileChange::Create { .. } | FileChange::Edit { .. } => None,
        }
    }

    /// The path the change writes (or, for a removal, removes).
    pub fn path(&self) -> &PathBuf {
        match self {
            FileChange::Create { path, .. }
            | FileChange::Edit { path, .. }
            | FileChange::Remove { path } => path,
            FileChange::Move { to, .. } => to,
        }
    }
}

/// How a text file that is not Python changes.
#[derive(Debug, Clone, PartialEq)]
pub enum TextEdit {
    /// Lines added at the end, each unless the file has it already
    /// (`.gitignore`'s `.env`).
    AppendLines(Vec<String>),
    /// `KEY=value` entries of a dotenv file, each added when its key is
    /// missing. A key the file has is never changed: when its value
    /// differs, the edit is refused.
    MergeEnv(Vec<(String, String)>),
    /// TOML settings: a value set at a key of a table (tables made as
    /// needed) when the key is missing, or a string added to an array when
    /// the array lacks it (`[project] dependencies`).
    Toml(Vec<TomlEdit>),
}

/// One setting of a TOML document.
#[derive(Debug, Clone, PartialEq)]
pub enum TomlEdit {
    /// `table` (a dotted path such as `["tool", "ruff"]`) `key = value`,
    /// when the key is missing; refused when it holds another value.
    Set {
        table: Vec<String>,
        key: String,
        value: TomlValue,
    },
    /// `item` added to the array at `table.key` (made when missing).
    AddToArray {
        table: Vec<String>,
        key: String,
        item: String,
    },
}

/// A TOML value a setting writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TomlValue {
    String(String),
    Integer(i64),
    Boolean(bool),
}

impl TomlValue {
    fn to_toml(&self) -> toml_edit::Value {
        match self {
            TomlValue::String(text) => text.as_str().into(),
            TomlValue::Integer(number) => (*number).into(),
            TomlValue::Boolean(flag) => (*flag).into(),
        }
    }

    fn matches(&self, existing: &toml_edit::Value) -> bool {
        match (self, existing) {
            (TomlValue::String(text), toml_edit::Value::String(found)) => found.value() == text,
            (TomlValue::Integer(number), toml_edit::Value::Integer(found)) => {
                found.value() == number
            }
            (TomlValue::Boolean(flag), toml_edit::Value::Boolean(found)) => found.value() == flag,
            _ => false,
        }
    }
}

impl TextEdit {
    /// The file's new contents from its current ones (`None`: it does not
    /// exist), or `Ok(None)` when nothing changes; an error says why the
    /// edit cannot be made.
    pub fn apply(&self, current: Option<&str>) -> Result<Option<String>, String> {
        let text = current.unwrap_or("");
        let ending = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let next = match self {
            TextEdit::AppendLines(lines) => {
                let present: Vec<&str> = text.lines().map(str::trim).collect();
                let missing: Vec<&String> = lines
                    .iter()
                    .filter(|line| !present.contains(&line.trim()))
                    .collect();
                if missing.is_empty() {
                    return Ok(None);
                }
                let mut next = text.to_string();
                if !next.is_empty() && !next.ends_with('\n') {
                    next.push_str(ending);
                }
                for line in missing {
                    next.push_str(line);
                    next.push_str(ending);
                }
                next
            }
            TextEdit::MergeEnv(entries) => {
                let existing: Vec<(String, String)> = text.lines().filter_map(env_entry).collect();
                let mut next = text.to_string();
                let mut changed = false;
                for (key, value) in entries {
                    match existing.iter().find(|(known, _)| known == key) {
                        Some((_, known)) if known == value => {}
                        Some(_) => {
                            return Err(format!(
                                "`{key}` is set in the file already, to another value; it is not overwritten"
                            ));
                        }
                        None => {
                            if !next.is_empty() && !next.ends_with('\n') {
                                next.push_str(ending);
                            }
                            next.push_str(&format!("{key}={}{ending}", env_value(value)));
                            changed = true;
                        }
                    }
                }
                if !changed {
                    return Ok(None);
                }
                next
            }
            TextEdit::Toml(edits) => {
                let mut document: toml_edit::DocumentMut = text
                    .parse()
                    .map_err(|error| format!("invalid TOML: {error}"))?;
                let mut changed = false;
                for edit in edits {
                    changed |= toml_edit_one(&mut document, edit)?;
                }
                if !changed {
                    return Ok(None);
                }
                document.to_string()
            }
        };
        Ok((current != Some(next.as_str())).then_some(next))
    }
}

/// The `KEY=value` entries of a dotenv file, quotes removed.
pub fn env_entries(text: &str) -> Vec<(String, String)> {
    text.lines().filter_map(env_entry).collect()
}

/// `KEY=value` (or `export KEY=value`) of a dotenv line, quotes removed.
fn env_entry(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    if line.starts_with('#') {
        return None;
    }
    let line = line.strip_prefix("export ").unwrap_or(line);
    let (key, value) = line.split_once('=')?;
    let value = value.trim();
    let unquoted = if let Some(inner) = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        unescape(inner)
    } else if let Some(inner) = value
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
    {
        inner.to_string()
    } else {
        value.to_string()
    };
    Some((key.trim().to_string(), unquoted))
}

/// A double-quoted dotenv value's escapes (`\n`, `\"`, `\\`) read back.
fn unescape(inner: &str) -> String {
    let mut value = String::with_capacity(inner.len());
    let mut characters = inner.chars();
    while let Some(character) = characters.next() {
        if character != '\\' {
            value.push(character);
            continue;
        }
        match characters.next() {
            Some('n') => value.push('\n'),
            Some('r') => value.push('\r'),
            Some('t') => value.push('\t'),
            Some(other) => value.push(other),
            None => value.push('\\'),
        }
    }
    value
}

/// A value as a dotenv file writes it, so that python-dotenv reads it back
/// the same: bare when it is plain; in single quotes when it holds `$`
/// (double quotes would expand `${…}`); else in double quotes with `\`,
/// `"` and line breaks escaped. An empty value is nothing after `=`.
fn env_value(value: &str) -> String {
    let plain = !value
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '#' | '"' | '\'' | '$' | '\\' | '`'));
    if plain {
        return value.to_string();
    }
    if value.contains('$') && !value.contains(['\'', '\n', '\r']) {
        return format!("'{value}'");
    }
    let mut quoted = String::from('"');
    for character in value.chars() {
        match character {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

fn toml_edit_one(document: &mut toml_edit::DocumentMut, edit: &TomlEdit) -> Result<bool, String> {
    let (table_path, key) = match edit {
        TomlEdit::Set { table, key, .. } | TomlEdit::AddToArray { table, key, .. } => (table, key),
    };
    let mut table: &mut toml_edit::Table = document.as_table_mut();
    for part in table_path {
        let entry = table.entry(part).or_insert_with(|| {
            let mut new = toml_edit::Table::new();
            new.set_implicit(true);
            toml_edit::Item::Table(new)
        });
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{}` is not a table", table_path.join(".")))?;
    }
    match edit {
        TomlEdit::Set { value, .. } => match table.get(key) {
            Some(existing) => {
                let same = existing
                    .as_value()
                    .is_some_and(|existing| value.matches(existing));
                if same {
                    Ok(false)
                } else {
                    Err(format!(
                        "`{}.{key}` is set already, to another value; it is not overwritten",
                        table_path.join(".")
                    ))
                }
            }
            None => {
                table.insert(key, toml_edit::value(value.to_toml()));
                Ok(true)
            }
        },
        TomlEdit::AddToArray { item, .. } => {
            let entry = table
                .entry(key)
                .or_insert_with(|| toml_edit::value(toml_edit::Array::new()));
            let array = entry
                .as_array_mut()
                .ok_or_else(|| format!("`{}.{key}` is not an array", table_path.join(".")))?;
            if array
                .iter()
                .any(|existing| existing.as_str() == Some(item.as_str()))
            {
                return Ok(false);
            }
            // One item per line when the array is laid out so.
            let multiline = array.iter().next().is_some_and(|first| {
                first
                    .decor()
                    .prefix()
                    .and_then(|prefix| prefix.as_str())
                    .is_some_and(|prefix| prefix.contains('\n'))
            });
            // A comment after the last item (after its comma, or before
            // the closing bracket) stays on that item's line.
            let trailing = array.trailing().as_str().unwrap_or_default().to_string();
            let mut comment = String::new();
            if multiline {
                if let Some(last) = array.iter_mut().last() {
                    let suffix = last
                        .decor()
                        .suffix()
                        .and_then(|suffix| suffix.as_str())
                        .unwrap_or_default()
                        .to_string();
                    if suffix.contains('#') {
                        comment = suffix.trim_end().to_string();
                        last.decor_mut().set_suffix("");
                    }
                }
                if comment.is_empty()
                    && let Some((line, _)) = trailing.split_once('\n')
                    && line.contains('#')
                {
                    comment = line.trim_end().to_string();
                }
            }
            let rest_of_trailing = if comment.is_empty() || !trailing.contains('#') {
                trailing.clone()
            } else {
                trailing
                    .split_once('\n')
                    .map_or(String::new(), |(_, rest)| format!("\n{rest}"))
            };
            array.push(item.as_str());
            if multiline && let Some(last) = array.iter_mut().last() {
                last.decor_mut().set_prefix(format!("{comment}\n    "));
                array.set_trailing(if rest_of_trailing.contains('\n') {
                    rest_of_trailing
                } else {
                    "\n".to_string()
                });
                array.set_trailing_comma(true);
            }
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_appended_once_in_the_file_line_ending() {
        let edit = TextEdit::AppendLines(vec![".env".into()]);
        assert_eq!(
            edit.apply(Some("__pycache__/\r\n")).unwrap().as_deref(),
            Some("__pycache__/\r\n.env\r\n")
        );
        assert_eq!(edit.apply(Some("dist\n.env\n")).unwrap(), None);
        assert_eq!(
            edit.apply(Some("dist")).unwrap().as_deref(),
            Some("dist\n.env\n")
        );
        assert_eq!(edit.apply(None).unwrap().as_deref(), Some(".env\n"));
    }

    #[test]
    fn env_keys_merge_and_present_ones_are_never_overwritten() {
        let edit = TextEdit::MergeEnv(vec![
            ("SECRET_KEY".into(), "s3cr3t".into()),
            ("DSN".into(), "postgresql://u:p w@db/app".into()),
        ]);
        assert_eq!(
            edit.apply(Some("# settings\nDEBUG=1\n"))
                .unwrap()
                .as_deref(),
            Some("# settings\nDEBUG=1\nSECRET_KEY=s3cr3t\nDSN=\"postgresql://u:p w@db/app\"\n")
        );
        // The same value already there: nothing to do.
        let same = "SECRET_KEY=\"s3cr3t\"\nDSN='postgresql://u:p w@db/app'\n";
        assert_eq!(edit.apply(Some(same)).unwrap(), None);
        // Another value: refused, and nothing written.
        let error = edit.apply(Some("export SECRET_KEY=other\n")).unwrap_err();
        assert!(
            error.contains("`SECRET_KEY` is set in the file already"),
            "{error}"
        );
    }

    #[test]
    fn a_comment_after_the_last_dependency_stays_on_its_line() {
        let edit = TextEdit::Toml(vec![TomlEdit::AddToArray {
            table: vec!["project".into()],
            key: "dependencies".into(),
            item: "pydantic-settings>=2".into(),
        }]);
        for (before, after) in [
            (
                "[project]\ndependencies = [\n    \"fastapi\",\n    \"sqlalchemy>=2\",  # orm\n]\n",
                "[project]\ndependencies = [\n    \"fastapi\",\n    \"sqlalchemy>=2\",  # orm\n    \"pydantic-settings>=2\",\n]\n",
            ),
            (
                "[project]\ndependencies = [\n    \"fastapi\",\n    \"sqlalchemy\"  # orm\n]\n",
                "[project]\ndependencies = [\n    \"fastapi\",\n    \"sqlalchemy\",  # orm\n    \"pydantic-settings>=2\",\n]\n",
            ),
        ] {
            assert_eq!(edit.apply(Some(before)).unwrap().as_deref(), Some(after));
        }
    }

    #[test]
    fn env_values_read_back_as_written() {
        for value in [
            "plain",
            "with space",
            "line1\nline2",
            "-----BEGIN KEY-----\nabc\n-----END KEY-----\n",
            "dollar$HOME",
            "quote\"and$dollar",
            "back\\slash",
            "",
        ] {
            let edit = TextEdit::MergeEnv(vec![("K".into(), value.into())]);
            let text = edit.apply(None).unwrap().unwrap();
            assert_eq!(text.lines().count(), 1, "{text}");
            assert_eq!(
                env_entries(&text),
                [("K".to_string(), value.to_string())],
                "{text}"
            );
            // Merging again finds the same value: nothing to do.
            assert_eq!(edit.apply(Some(&text)).unwrap(), None, "{text}");
        }
        assert_eq!(env_value("dollar$HOME"), "'dollar$HOME'");
        assert_eq!(env_value("line1\nline2"), "\"line1\\nline2\"");
    }

    #[test]
    fn toml_keeps_its_layout_and_comments() {
        let document = "\
[project]
name = \"app\"  # the name
dependencies = [
    \"fastapi\",
]

[tool.ruff]
line-length = 100
";
        let edit = TextEdit::Toml(vec![
            TomlEdit::AddToArray {
                table: vec!["project".into()],
                key: "dependencies".into(),
                item: "email-validator".into(),
            },
            TomlEdit::Set {
                table: vec!["tool".into(), "fastapi-codemod".into()],
                key: "target-version".into(),
                value: TomlValue::String("py311".into()),
            },
        ]);
        assert_eq!(
            edit.apply(Some(document)).unwrap().as_deref(),
            Some(
                "\
[project]
name = \"app\"  # the name
dependencies = [
    \"fastapi\",
    \"email-validator\",
]

[tool.ruff]
line-length = 100

[tool.fastapi-codemod]
target-version = \"py311\"
"
            )
        );
        let conflict = TextEdit::Toml(vec![TomlEdit::Set {
            table: vec!["tool".into(), "ruff".into()],
            key: "line-length".into(),
            value: TomlValue::Integer(88),
        }]);
        assert!(
            conflict
                .apply(Some(document))
                .unwrap_err()
                .contains("not overwritten")
        );
        let again = TextEdit::Toml(vec![TomlEdit::Set {
            table: vec!["tool".into(), "ruff".into()],
            key: "line-length".into(),
            value: TomlValue::Integer(100),
        }]);
        assert_eq!(again.apply(Some(document)).unwrap(), None);
    }
}
