//! What a fix does across the project, as the protocol's `WorkspaceEdit`:
//! the fix's group is found in a run that admits every fix (what must land
//! with it, as `apply --interactive` asks it together), then the project
//! runs again admitting only that group, and every file that run changes
//! becomes an edit (by the lines that differ), a created module a
//! `CreateFile` with its text, a moved one a `RenameFile`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::{
    CreateFile, CreateFileOptions, DeleteFile, DocumentChangeOperation, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, Range, RenameFile, ResourceOp, TextDocumentEdit,
    TextEdit, Uri, WorkspaceEdit,
};

use super::super::review::land_together;
use super::documents::{Encoding, Lines, path_to_uri};
use super::workspace::ProjectSnapshot;
use crate::project::pipeline::{FixKey, FixReview, Mode, ReviewedFix};
use crate::project::run::ProjectRun;
use crate::text::files::FileChange;

/// Admits every fix, so that a run records each.
#[derive(Debug)]
struct EveryFix;

impl FixReview for EveryFix {
    fn admits(&self, _key: &FixKey) -> bool {
        true
    }
}

/// Whether a fix, by its transform and title, is one a code action makes.
pub type Pick = Box<dyn Fn(&'static str, &str) -> bool + Send + Sync>;

/// The fixes a code action makes: in one module, those `pick` takes by
/// transform and title.
pub struct Wanted {
    pub path: PathBuf,
    pub module: String,
    pub pick: Pick,
}

impl Wanted {
    fn takes(&self, key: &FixKey) -> bool {
        key.module == self.module && (self.pick)(key.transform, &key.title)
    }
}

impl std::fmt::Debug for Wanted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Wanted({})", self.path.display())
    }
}

/// Admits the wanted fixes and the fixes of their groups, known by module,
/// transform, title and occurrence, however the text around them reads: a
/// fix that came in a later pass, after another fix that is not made now,
/// comes in an earlier one, its import edit shaped by other imports.
#[derive(Debug)]
struct TheseFixes {
    wanted: Wanted,
    group: HashSet<(String, &'static str, String, usize)>,
    /// The modules of the wanted fixes and of their group.
    modules: HashSet<String>,
}

impl FixReview for TheseFixes {
    fn admits(&self, key: &FixKey) -> bool {
        self.wanted.takes(key)
            || self.group.contains(&(
                key.module.clone(),
                key.transform,
                key.title.clone(),
                key.occurrence,
            ))
    }

    fn admits_none_in(&self, module: &str) -> bool {
        !self.modules.contains(module)
    }
}

/// How the client takes edits.
#[derive(Debug, Clone, Copy, Default)]
pub struct EditSupport {
    /// `documentChanges` (versioned edits, in order).
    pub document_changes: bool,
    /// Resource operations: creating and renaming files.
    pub create: bool,
    pub rename: bool,
    pub delete: bool,
}

/// The project run that makes the fixes `wanted` picks and what must land
/// with them, and which whole-file changes of it belong to them; `None`
/// when no such fix applies.
pub fn run_fixes(
    project: &ProjectSnapshot,
    wanted: Wanted,
) -> Option<(ProjectRun, Vec<(PathBuf, &'static str)>)> {
    let files = project.files();
    let every = project.inputs.selections(Some(Arc::new(EveryFix)));
    let run_files = project.inputs.run_files(&every);
    let explored = project.inputs.run(&run_files, &files, Mode::Fix);
    let picked = |path: &Path, fix: &ReviewedFix| path == wanted.path && wanted.takes(&fix.key);
    let (group, changes) = land_together(&explored, &run_files, &picked);
    drop(explored);
    if group.is_empty() {
        return None;
    }
    let group: HashSet<(String, &'static str, String, usize)> = group
        .into_iter()
        .map(|key| (key.module, key.transform, key.title, key.occurrence))
        .collect();
    let modules = group
        .iter()
        .map(|(module, ..)| module.clone())
        .chain([wanted.module.clone()])
        .collect();
    let only = project.inputs.selections(Some(Arc::new(TheseFixes {
        wanted,
        group,
        modules,
    })));
    let run_files = project.inputs.run_files(&only);
    let run = project.inputs.run(&run_files, &files, Mode::Fix);
    Some((run, changes))
}

/// The edit that turns each file into what `run` made of it: the Python
/// files it changed, and the whole-file changes in `changes`.
pub fn workspace_edit(
    project: &ProjectSnapshot,
    run: &ProjectRun,
    changes: &[(PathBuf, &'static str)],
    versions: &HashMap<PathBuf, i32>,
    encoding: Encoding,
    support: EditSupport,
) -> WorkspaceEdit {
    let mut operations: Vec<DocumentChangeOperation> = Vec::new();
    // `Uri` caches its parts, which clippy takes for a mutable key; its
    // hash and equality are its text's.
    #[allow(clippy::mutable_key_type)]
    let mut by_uri: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    let mut edit_file =
        |path: &Path, before: &str, after: &str, operations: &mut Vec<DocumentChangeOperation>| {
            let Some(uri) = path_to_uri(path) else { return };
            let edits = line_edits(before, after, encoding);
            if edits.is_empty() {
                return;
            }
            if support.document_changes {
                operations.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier {
                        uri,
                        version: versions.get(path).copied(),
                    },
                    edits: edits.into_iter().map(OneOf::Left).collect(),
                }));
            } else {
                by_uri.entry(uri).or_default().extend(edits);
            }
        };
    // Whole-file changes first: what the files' edits rely on.
    for made in &run.changes {
        let ours = changes
            .iter()
            .any(|(path, by)| path == made.change.path() && *by == made.made_by);
        if !ours || made.error.is_some() {
            continue;
        }
        match (&made.change, &made.after) {
            (FileChange::Create { path, .. }, Some(after)) => {
                let Some(uri) = path_to_uri(path) else {
                    continue;
                };
                if support.document_changes && support.create {
                    operations.push(DocumentChangeOperation::Op(ResourceOp::Create(
                        CreateFile {
                            uri,
                            options: Some(CreateFileOptions {
                                overwrite: Some(false),
                                ignore_if_exists: Some(false),
                            }),
                            annotation_id: None,
                        },
                    )));
                }
                edit_file(path, "", strip_bom(after), &mut operations);
            }
            (FileChange::Edit { path, .. }, Some(after)) => {
                let before = made.before.as_deref().unwrap_or_default();
                if made.before.is_none()
                    && support.document_changes
                    && support.create
                    && let Some(uri) = path_to_uri(path)
                {
                    operations.push(DocumentChangeOperation::Op(ResourceOp::Create(
                        CreateFile {
                            uri,
                            options: None,
                            annotation_id: None,
                        },
                    )));
                }
                edit_file(path, strip_bom(before), strip_bom(after), &mut operations);
            }
            (FileChange::Move { from, to, .. }, after) => {
                if !(support.document_changes && support.rename) {
                    continue;
                }
                let (Some(old_uri), Some(new_uri)) = (path_to_uri(from), path_to_uri(to)) else {
                    continue;
                };
                operations.push(DocumentChangeOperation::Op(ResourceOp::Rename(
                    RenameFile {
                        old_uri,
                        new_uri,
                        options: None,
                        annotation_id: None,
                    },
                )));
                if let (Some(before), Some(after)) = (&made.before, after) {
                    edit_file(to, strip_bom(before), strip_bom(after), &mut operations);
                }
            }
            (FileChange::Remove { path }, _) => {
                if !(support.document_changes && support.delete) {
                    continue;
                }
                let Some(uri) = path_to_uri(path) else {
                    continue;
                };
                operations.push(DocumentChangeOperation::Op(ResourceOp::Delete(
                    DeleteFile { uri, options: None },
                )));
            }
            _ => {}
        }
    }
    let open = &project.open;
    for (file, outcome) in project.inputs.files().iter().zip(&run.files) {
        let (Some(after), None) = (&outcome.fixed, &outcome.error) else {
            continue;
        };
        let before = match open.get(&file.path) {
            Some(text) => text.clone(),
            None => match outcome.original.as_deref() {
                Some(original) => original.to_string(),
                None => continue,
            },
        };
        edit_file(
            &file.path,
            strip_bom(&before),
            strip_bom(after),
            &mut operations,
        );
    }
    if support.document_changes {
        WorkspaceEdit {
            changes: None,
            document_changes: Some(DocumentChanges::Operations(operations)),
            change_annotations: None,
        }
    } else {
        WorkspaceEdit {
            changes: Some(by_uri.into_iter().collect()),
            document_changes: None,
            change_annotations: None,
        }
    }
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The edits that turn `before` into `after`, one per run of lines that
/// differ, in order and not overlapping.
pub fn line_edits(before: &str, after: &str, encoding: Encoding) -> Vec<TextEdit> {
    if before == after {
        return Vec::new();
    }
    let diff = similar::TextDiff::from_lines(before, after);
    let old_lines = diff.old_slices();
    let new_lines = diff.new_slices();
    let mut old_offsets = Vec::with_capacity(old_lines.len() + 1);
    let mut offset = 0;
    for line in old_lines {
        old_offsets.push(offset);
        offset += line.len();
    }
    old_offsets.push(offset);
    let lines = Lines::of(before);
    let mut edits = Vec::new();
    for operation in diff.ops() {
        let (tag, old, new) = operation.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            continue;
        }
        let start = lines.position_at(before, old_offsets[old.start], encoding);
        let end = lines.position_at(before, old_offsets[old.end], encoding);
        let text: String = new_lines[new].concat();
        edits.push(TextEdit {
            range: Range::new(start, end),
            new_text: text,
        });
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies edits as a client does: each range is of the text before any.
    fn apply(text: &str, edits: &[TextEdit]) -> String {
        let lines = Lines::of(text);
        let mut result = text.to_string();
        let mut sorted: Vec<&TextEdit> = edits.iter().collect();
        sorted.sort_by_key(|edit| {
            std::cmp::Reverse((edit.range.start.line, edit.range.start.character))
        });
        for edit in sorted {
            let start = lines.offset(text, edit.range.start, Encoding::Utf16);
            let end = lines.offset(text, edit.range.end, Encoding::Utf16);
            result.replace_range(start..end, &edit.new_text);
        }
        result
    }

    #[test]
    fn line_edits_rebuild_the_new_text() {
        let cases = [
            ("a\nb\nc\n", "a\nB\nc\nd\n"),
            (
                "x = 1\r\ny = 2\r\n",
                "from typing import Annotated\r\n\r\nx = 1\r\ny = 3\r\n",
            ),
            ("no newline", "no newline at all"),
            ("", "created = True\n"),
            ("é = '😀'\nkeep\n", "keep\n"),
        ];
        for (before, after) in cases {
            let edits = line_edits(before, after, Encoding::Utf16);
            assert_eq!(apply(before, &edits), after, "{before:?} → {after:?}");
        }
    }
}
