//! One file through the transforms: parse, run, apply fixes, re-parse, and
//! repeat until nothing changes. Pure: text in, outcome out.
//!
//! A result is only returned if it parses. A file whose fixes break it, that
//! does not settle within [`MAX_PASSES`], or on which a transform panics is
//! left exactly as it was, and the outcome says why.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use ruff_python_ast::ModModule;
use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_python_parser::{Parsed, parse_module};
use ruff_text_size::{Ranged, TextRange, TextSize};

use rustc_hash::FxHashSet as HashSet;

use crate::project::Project;
use crate::project::transform::{FileContext, Findings, Transform, TransformOptions};
use crate::python::bindings;
use crate::python::fastapi::FastApiFacts;
use crate::python::imports::{explicit_re_exports, import_removals};
use crate::python::suppression::Suppressions;
use crate::text::edit::{Finding, Fix, Safety};
use crate::text::fix_loop::apply_fixes;
use crate::text::source::SourceFile;

/// How many rounds of fixing a file may take before it is declared not to converge.
pub const MAX_PASSES: usize = 10;

/// Nesting deeper than this is refused before any transform walks it; the
/// CPython compiler gives up on such code too.
pub const MAX_NESTING: usize = 500;

/// Which transforms run on a file and which of their fixes apply.
#[derive(Debug, Clone)]
pub struct Selection {
    pub transforms: Vec<&'static Transform>,
    /// Apply fixes marked unsafe as well.
    pub unsafe_fixes: bool,
    pub options: TransformOptions,
    /// Someone deciding fix by fix which to apply (`apply --interactive`):
    /// only the fixes it admits apply, and each is recorded in
    /// [`FileOutcome::reviewed`].
    pub review: Option<std::sync::Arc<dyn FixReview>>,
}

/// Decides, fix by fix, which fixes apply.
pub trait FixReview: Send + Sync + std::fmt::Debug {
    /// Whether the fix `key` names applies.
    fn admits(&self, key: &FixKey) -> bool;

    /// Whether no fix of `module` applies, whatever it is: a run then
    /// need not fix the module to know it changes nothing.
    fn admits_none_in(&self, _module: &str) -> bool {
        false
    }
}

/// A fix as a person reviewing it knows it, the same from one run to the
/// next while the files do not change, and from one fixing pass to the
/// next: the module, the transform, the title, each edit's replaced text
/// and its replacement (but for import lines, which depend on what other
/// fixes imported), and which of the fixes alike in one pass it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FixKey {
    pub module: String,
    pub transform: &'static str,
    pub title: String,
    pub edits: Vec<(String, String)>,
    pub occurrence: usize,
}

/// A fix that applied while a review was on: its key, its pass, what the
/// findings it answers said, and the lines it changes as they were and became, with three
/// lines of context, from `line` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewedFix {
    pub key: FixKey,
    /// The fixing pass it applied in, from 0: a later pass sees the text
    /// earlier ones made.
    pub pass: usize,
    pub message: String,
    /// The line of the first finding it answers.
    pub found_at: usize,
    /// Every edit's new text, import lines too.
    pub texts: Vec<String>,
    pub line: usize,
    pub before: String,
    pub after: String,
}

/// What to do with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Report findings only.
    Check,
    /// Report findings and compute the fixed text.
    Fix,
}

/// A finding located for people: one-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedFinding {
    pub line: usize,
    pub column: usize,
    /// Where what it found ends (exclusive), the same way.
    pub end: (usize, usize),
    pub transform: &'static str,
    pub message: String,
    /// Whether a fix would be applied with the current options.
    pub fixable: bool,
    /// That fix's edits, placed on the text the finding was made on.
    pub fix: Option<LocatedFix>,
}

/// A fix placed for people: its title and edits by line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedFix {
    pub title: String,
    pub edits: Vec<LocatedEdit>,
}

/// Replace from `start` up to `end` (one-based line and column, in
/// characters; `end` exclusive) with `content`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedEdit {
    pub start: (usize, usize),
    pub end: (usize, usize),
    pub content: String,
}

/// Why a file could not be processed. The file is then left as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// The file could not be read, or is not text the engine edits.
    Unreadable {
        message: String,
    },
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    TooDeeplyNested {
        line: usize,
    },
    /// Fixes from these transforms produced text that does not parse.
    BrokenOutput {
        transforms: Vec<&'static str>,
        message: String,
    },
    NotConverged {
        transforms: Vec<&'static str>,
    },
    Panic {
        message: String,
    },
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::Unreadable { message } => write!(f, "{message}"),
            FileError::Syntax {
                line,
                column,
                message,
            } => {
                write!(f, "syntax error at {line}:{column}: {message}")
            }
            FileError::TooDeeplyNested { line } => {
                write!(
                    f,
                    "expression nested more than {MAX_NESTING} levels deep at line {line}"
                )
            }
            FileError::BrokenOutput {
                transforms,
                message,
            } => write!(
                f,
                "internal error: fixes from {} produced invalid Python ({message}); file left unchanged",
                transforms.join(", ")
            ),
            FileError::NotConverged { transforms } => write!(
                f,
                "internal error: fixes did not converge after {MAX_PASSES} passes ({}); file left unchanged",
                transforms.join(", ")
            ),
            FileError::Panic { message } => {
                write!(
                    f,
                    "internal error: a transform panicked ({message}); file left unchanged"
                )
            }
        }
    }
}

/// The result of processing one file.
#[derive(Debug, Clone, Default)]
pub struct FileOutcome {
    /// Findings on the original text, in order.
    pub findings: Vec<LocatedFinding>,
    /// The new file contents (BOM included), when fixing changed anything.
    pub fixed: Option<String>,
    /// The contents the fixes started from (BOM included), when they changed
    /// anything: what a diff is made against.
    pub original: Option<String>,
    /// How many fixes each transform applied.
    pub applied: BTreeMap<&'static str, usize>,
    /// The titles of the fixes applied, in the order they landed, each once.
    pub applied_titles: Vec<String>,
    pub error: Option<FileError>,
    /// The plans the file's transforms looked at, by type (see [`crate::project::plan`]).
    pub consulted: Vec<std::any::TypeId>,
    /// When the file changed: the names its new text binds at module level.
    pub bound_names: Vec<String>,
    /// When the file changed: the modules its new text imports at module
    /// level, absolute.
    pub imports: Vec<String>,
    /// When to write this file among the project's: 0 for files that other
    /// changes rely on (they keep a plan's promise) and that rely on no
    /// other such file, 1 for those relying only on rank 0, and so on;
    /// every other file comes last. A run stopped between two writes then
    /// leaves no module importing a name that is not written.
    pub write_rank: usize,
    /// While a review is on: the fixes that applied, in order.
    pub reviewed: Vec<ReviewedFix>,
}

/// Runs the selected transforms over a file's decoded contents, as a file
/// on its own.
pub fn process(contents: &str, selection: &Selection, mode: Mode) -> FileOutcome {
    process_module(contents, selection, mode, &Project::default(), None, false)
}

/// Runs the selected transforms over one module of a project.
pub fn process_module(
    contents: &str,
    selection: &Selection,
    mode: Mode,
    project: &Project,
    module_name: Option<&str>,
    is_package: bool,
) -> FileOutcome {
    match parse_file(contents) {
        Ok(file) => process_parsed(file, selection, mode, project, module_name, is_package),
        Err(error) => FileOutcome {
            error: Some(error),
            ..FileOutcome::default()
        },
    }
}

/// A file's text with its syntax tree, checked to be safe to walk.
pub struct ParsedFile {
    pub source: SourceFile,
    pub parsed: Parsed<ModModule>,
}

/// Parses a file's contents, refusing syntax errors and nesting too deep to
/// walk; a panic inside the parser is an error too.
pub fn parse_file(contents: impl Into<String>) -> Result<ParsedFile, FileError> {
    let contents = contents.into();
    let parsed = catch_unwind(AssertUnwindSafe(move || {
        let source = SourceFile::from_contents(contents);
        parse_checked(&source).map(|parsed| ParsedFile { source, parsed })
    }));
    parsed.unwrap_or_else(|payload| {
        Err(FileError::Panic {
            message: panic_message(&*payload),
        })
    })
}

/// Runs the selected transforms over a parsed file.
pub fn process_parsed(
    file: ParsedFile,
    selection: &Selection,
    mode: Mode,
    project: &Project,
    module_name: Option<&str>,
    is_package: bool,
) -> FileOutcome {
    let place = Place {
        project,
        module_name,
        is_package,
    };
    match catch_unwind(AssertUnwindSafe(|| {
        process_unguarded(file, selection, mode, place)
    })) {
        Ok(outcome) => outcome,
        Err(payload) => FileOutcome {
            error: Some(FileError::Panic {
                message: panic_message(&*payload),
            }),
            ..FileOutcome::default()
        },
    }
}

pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Where a file sits: its project and module name.
#[derive(Clone, Copy)]
struct Place<'a> {
    project: &'a Project,
    module_name: Option<&'a str>,
    is_package: bool,
}

fn process_unguarded(
    file: ParsedFile,
    selection: &Selection,
    mode: Mode,
    place: Place,
) -> FileOutcome {
    let ParsedFile {
        source: original,
        parsed,
    } = file;

    let mut consulted: Vec<std::any::TypeId> = Vec::new();
    let first_findings = run_transforms(&original, &parsed, selection, place, &mut consulted);
    let mut outcome = FileOutcome {
        findings: locate(&original, &first_findings, selection),
        ..FileOutcome::default()
    };
    if mode == Mode::Check {
        outcome.consulted = consulted;
        return outcome;
    }

    // Which imports the original uses: those the fixes leave unused are
    // removed once the fixes settle, and no others.
    let imports_before = first_findings
        .iter()
        .any(|finding| {
            finding
                .fix
                .as_ref()
                .is_some_and(|fix| is_applicable(fix, selection))
        })
        .then(|| ImportUse::of(&original, &parsed));
    let mut current = original.clone();
    let mut findings = first_findings;
    drop(parsed);
    let mut last_tree: Option<Parsed<ModModule>> = None;
    for pass in 0..MAX_PASSES {
        // While a review is on: every distinct fix of this pass, with its
        // key and whether it is admitted (one fix may answer several findings).
        let mut seen: Vec<SeenFix> = Vec::new();
        let fixes: Vec<(&'static str, &Fix, Option<usize>)> = findings
            .iter()
            .filter_map(|finding| Some((finding, finding.fix.as_ref()?)))
            .filter(|(_, fix)| is_applicable(fix, selection))
            .filter_map(|(finding, fix)| {
                let Some(review) = &selection.review else {
                    return Some((finding.transform, fix, None));
                };
                if let Some(index) = seen.iter().position(|other| other.fix == fix) {
                    seen[index].messages.push(&finding.message);
                    return seen[index]
                        .admitted
                        .then_some((finding.transform, fix, Some(index)));
                }
                let key = fix_key(&current, place, finding.transform, fix, &seen);
                let admitted = review.admits(&key);
                seen.push(SeenFix {
                    key,
                    fix,
                    admitted,
                    messages: vec![&finding.message],
                    found: finding.range.start(),
                });
                admitted.then_some((finding.transform, fix, Some(seen.len() - 1)))
            })
            .collect();
        let settled = fixes.is_empty();
        let (text, applied) = if settled {
            (String::new(), Vec::new())
        } else {
            let only_fixes: Vec<&Fix> = fixes.iter().map(|(_, fix, _)| *fix).collect();
            apply_fixes(current.text(), &only_fixes)
        };
        // Fixes that can never land (a transform's own edits overlap) end
        // the loop as if there were none.
        if settled || applied.is_empty() {
            if current.text() != original.text() {
                if let (Some(before), Some(tree)) = (&imports_before, last_tree.take()) {
                    let (text, tree, pruned) = prune_imports(current, tree, before, place);
                    current = text;
                    last_tree = Some(tree);
                    let quoted = |names: &[String]| {
                        names
                            .iter()
                            .map(|name| format!("`{name}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    if !pruned.removed.is_empty() {
                        outcome.applied_titles.push(format!(
                            "remove imports left unused: {}",
                            quoted(&pruned.removed)
                        ));
                    }
                    if !pruned.re_exported.is_empty() {
                        outcome.applied_titles.push(format!(
                            "keep imports other modules take from here as explicit re-exports: {}",
                            quoted(&pruned.re_exported)
                        ));
                    }
                }
                outcome.fixed = Some(current.to_contents());
                outcome.original = Some(original.to_contents());
                if let Some(tree) = &last_tree {
                    outcome.bound_names = crate::python::fastapi::module_bound_names(tree.syntax());
                    outcome.imports = place
                        .module_name
                        .map(|module| {
                            crate::python::fastapi::imported_modules(
                                tree.syntax(),
                                module,
                                place.is_package,
                            )
                        })
                        .unwrap_or_default();
                }
            }
            outcome.consulted = consulted;
            return outcome;
        }
        let mut involved: Vec<&'static str> = applied.iter().map(|&index| fixes[index].0).collect();
        for name in &involved {
            *outcome.applied.entry(name).or_default() += 1;
        }
        let mut recorded: Vec<usize> = Vec::new();
        for &index in &applied {
            if let Some(reviewed) = fixes[index].2
                && !recorded.contains(&reviewed)
            {
                recorded.push(reviewed);
                let seen = &seen[reviewed];
                let mut fix =
                    reviewed_fix(&current, seen.fix, &seen.key, &seen.messages.join("; "));
                fix.pass = pass;
                fix.found_at = current.line_number(seen.found);
                outcome.reviewed.push(fix);
            }
        }
        for &index in &applied {
            let title = fixes[index].1.title();
            if !outcome.applied_titles.iter().any(|seen| seen == title) {
                outcome.applied_titles.push(title.to_string());
            }
        }
        involved.sort_unstable();
        involved.dedup();

        let next = current.with_text(text);
        let reparsed = match parse_module(next.text()) {
            Ok(reparsed) => reparsed,
            Err(error) => {
                outcome.applied.clear();
                outcome.applied_titles.clear();
                outcome.error = Some(FileError::BrokenOutput {
                    transforms: involved,
                    message: error.error.to_string(),
                });
                outcome.consulted = consulted;
                return outcome;
            }
        };
        findings = run_transforms(&next, &reparsed, selection, place, &mut consulted);
        current = next;
        last_tree = Some(reparsed);
    }
    let mut transforms: Vec<&'static str> = findings
        .iter()
        .filter(|finding| finding.fix.is_some())
        .map(|finding| finding.transform)
        .collect();
    transforms.sort_unstable();
    transforms.dedup();
    outcome.applied.clear();
    outcome.applied_titles.clear();
    outcome.error = Some(FileError::NotConverged { transforms });
    outcome.consulted = consulted;
    outcome
}

/// Which module-level imports a file binds, and which of them its code uses.
struct ImportUse {
    bound: HashSet<String>,
    used: HashSet<String>,
    /// Imports inside functions whose function names them: scope and name.
    used_locally: HashSet<(String, String)>,
}

impl ImportUse {
    fn of(source: &SourceFile, parsed: &Parsed<ModModule>) -> Self {
        let referenced = bindings::referenced_names(parsed.syntax(), parsed.tokens(), source);
        let bound: HashSet<String> = bindings::module_imports(parsed.syntax())
            .into_iter()
            .map(|binding| binding.local)
            .collect();
        let used = bound
            .iter()
            .filter(|name| referenced.contains(*name))
            .cloned()
            .collect();
        let used_locally = bindings::local_imports(parsed.syntax(), parsed.tokens(), source.text())
            .into_iter()
            .filter(|import| import.referenced)
            .map(|import| (import.scope, import.local))
            .collect();
        ImportUse {
            bound,
            used,
            used_locally,
        }
    }
}

/// What pruning did to a file's imports.
#[derive(Debug, Default)]
struct Pruned {
    /// Imports removed.
    removed: Vec<String>,
    /// Imports kept because other modules import them from here, now marked
    /// as explicit re-exports (`name as name`).
    re_exported: Vec<String>,
}

/// Removes the imports that the original used, or that fixes added, and
/// that nothing refers to any more. An explicit re-export (`name as name`)
/// stays. One that other modules import from this file stays too, written
/// as an explicit re-export, so that pyflakes sees why. Twice at most:
/// emptying an `if TYPE_CHECKING:` block frees `TYPE_CHECKING` itself. A
/// change that would not parse is not made.
fn prune_imports(
    mut current: SourceFile,
    mut tree: Parsed<ModModule>,
    before: &ImportUse,
    place: Place,
) -> (SourceFile, Parsed<ModModule>, Pruned) {
    let mut pruned = Pruned::default();
    for _ in 0..2 {
        let (mut unused, mut exported): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        for binding in bindings::unreferenced_imports(tree.syntax(), tree.tokens(), &current) {
            let name = binding.local;
            // Left alone: explicit re-exports, imports the original had
            // without using them, and names already seen.
            let unused_before = before.bound.contains(&name) && !before.used.contains(&name);
            if binding.explicit_re_export
                || unused_before
                || unused.contains(&name)
                || exported.contains(&name)
            {
                continue;
            }
            let imported_elsewhere = place
                .module_name
                .is_some_and(|module| place.project.index.is_imported_from(module, &name));
            if imported_elsewhere {
                exported.push(name);
            } else {
                unused.push(name);
            }
        }
        // Imports inside functions that the fixes left unnamed, by statement.
        let mut local: Vec<(&ruff_python_ast::Stmt, Vec<String>)> = Vec::new();
        for import in bindings::local_imports(tree.syntax(), tree.tokens(), current.text()) {
            if import.referenced
                || !before
                    .used_locally
                    .contains(&(import.scope.clone(), import.local.clone()))
            {
                continue;
            }
            match local
                .iter_mut()
                .find(|(statement, _)| std::ptr::eq(*statement, import.statement))
            {
                Some((_, names)) => names.push(import.local),
                None => local.push((import.statement, vec![import.local])),
            }
        }
        if unused.is_empty() && exported.is_empty() && local.is_empty() {
            break;
        }
        let mut edits = import_removals(tree.syntax(), tree.tokens(), &current, &unused);
        for (statement, names) in &local {
            edits.extend(crate::python::imports::local_import_removal(
                statement,
                tree.tokens(),
                &current,
                names,
            ));
            unused.extend(names.iter().cloned());
        }
        edits.extend(explicit_re_exports(tree.syntax(), &exported));
        let fix = Fix::new("tidy imports left unused", edits, Safety::Safe);
        let (text, applied) = apply_fixes(current.text(), &[&fix]);
        if applied.is_empty() || text == current.text() {
            break;
        }
        let next = current.with_text(text);
        let Ok(reparsed) = parse_module(next.text()) else {
            break;
        };
        pruned.removed.extend(unused);
        pruned.re_exported.extend(exported);
        current = next;
        tree = reparsed;
    }
    pruned.removed.sort();
    pruned.re_exported.sort();
    (current, tree, pruned)
}

/// A distinct fix of one pass while a review is on.
struct SeenFix<'f> {
    key: FixKey,
    fix: &'f Fix,
    admitted: bool,
    /// The messages of the findings it answers.
    messages: Vec<&'f str>,
    /// Where the first of them is.
    found: TextSize,
}

/// The key of a fix found on `current`, the first of its kind or the
/// next after those already `seen` in this pass, admitted or not.
fn fix_key(
    current: &SourceFile,
    place: Place,
    transform: &'static str,
    fix: &Fix,
    seen: &[SeenFix],
) -> FixKey {
    let mut key = FixKey {
        module: place.module_name.unwrap_or_default().to_string(),
        transform,
        title: fix.title().to_string(),
        edits: fix
            .edits()
            .iter()
            .map(|edit| {
                (
                    current.text()[edit.range()].to_string(),
                    edit.content().to_string(),
                )
            })
            // The imports a fix adds or extends depend on what other
            // fixes imported before it: they are not part of its identity.
            .filter(|(replaced, content)| !is_import(replaced) && !is_import(content))
            .collect(),
        occurrence: 0,
    };
    key.occurrence = seen
        .iter()
        .filter(|other| {
            FixKey {
                occurrence: 0,
                ..other.key.clone()
            } == key
        })
        .count();
    key
}

/// Whether an edit's text is import lines.
fn is_import(text: &str) -> bool {
    let text = text.trim_start();
    text.starts_with("from ") || text.starts_with("import ")
}

/// A fix that applied, with the lines it changes before and after it,
/// and three lines of context around them.
fn reviewed_fix(current: &SourceFile, fix: &Fix, key: &FixKey, message: &str) -> ReviewedFix {
    const CONTEXT: usize = 3;
    let text = current.text();
    let first = fix
        .edits()
        .first()
        .map_or(0, |edit| edit.start().to_usize());
    let last = fix.edits().last().map_or(0, |edit| edit.end().to_usize());
    let mut start = text[..first].rfind('\n').map_or(0, |at| at + 1);
    for _ in 0..CONTEXT {
        if start == 0 {
            break;
        }
        start = text[..start - 1].rfind('\n').map_or(0, |at| at + 1);
    }
    let mut end = last;
    for _ in 0..=CONTEXT {
        match text[end..].find('\n') {
            Some(at) => end += at + 1,
            None => {
                end = text.len();
                break;
            }
        }
    }
    let (changed, _) = apply_fixes(text, &[fix]);
    let grown = changed.len() as isize - text.len() as isize;
    let after_end = (end as isize + grown).max(start as isize) as usize;
    ReviewedFix {
        key: key.clone(),
        pass: 0,
        message: message.to_string(),
        found_at: 0,
        texts: fix
            .edits()
            .iter()
            .map(|edit| edit.content().to_string())
            .collect(),
        line: current.line_number(TextSize::new(start as u32)),
        before: text[start..end].to_string(),
        after: changed[start..after_end].to_string(),
    }
}

fn is_applicable(fix: &Fix, selection: &Selection) -> bool {
    fix.safety() != Safety::Unsafe || selection.unsafe_fixes
}

/// Parses a file, refusing syntax errors and nesting too deep to walk safely.
fn parse_checked(source: &SourceFile) -> Result<Parsed<ModModule>, FileError> {
    let parsed = match parse_module(source.text()) {
        Ok(parsed) => parsed,
        Err(error) => {
            let (line, column) = source.line_column(error.location.start());
            return Err(FileError::Syntax {
                line,
                column,
                message: error.error.to_string(),
            });
        }
    };
    if let Some(offset) = excessive_nesting(parsed.tokens()) {
        let line = source.line_number(offset.start());
        // Dropping a tree this deep recurses as deep as it is; leak it instead.
        std::mem::forget(parsed);
        return Err(FileError::TooDeeplyNested { line });
    }
    Ok(parsed)
}

/// The first token past which code may nest more than [`MAX_NESTING`]
/// levels, judged from tokens alone: every indentation level, every open
/// bracket, and every operator since the last comma at each bracket level
/// may add a level to the syntax tree.
fn excessive_nesting(tokens: &Tokens) -> Option<TextRange> {
    // Operators seen in the current element at each open bracket level.
    let mut operators: Vec<usize> = vec![0];
    let mut operator_total = 0usize;
    let mut indent = 0usize;
    for token in tokens.iter() {
        let kind = token.kind();
        match kind {
            TokenKind::Lpar | TokenKind::Lsqb | TokenKind::Lbrace => operators.push(0),
            TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace if operators.len() > 1 => {
                operator_total -= operators.pop().unwrap_or(0);
            }
            TokenKind::Comma | TokenKind::Newline | TokenKind::Colon | TokenKind::Semi => {
                let current = operators.last_mut().expect("the outermost level stays");
                operator_total -= *current;
                *current = 0;
            }
            TokenKind::Indent => indent += 1,
            TokenKind::Dedent => indent = indent.saturating_sub(1),
            _ if kind.is_operator()
                || matches!(
                    kind,
                    TokenKind::Not
                        | TokenKind::And
                        | TokenKind::Or
                        | TokenKind::Await
                        | TokenKind::Lambda
                        | TokenKind::If
                ) =>
            {
                *operators.last_mut().expect("the outermost level stays") += 1;
                operator_total += 1;
            }
            _ => {}
        }
        if indent + operators.len() - 1 + operator_total > MAX_NESTING {
            return Some(token.range());
        }
    }
    None
}

/// What the transforms report on a file's first pass, without fixing it.
#[derive(Debug, Clone, Default)]
pub struct FirstLook {
    pub findings: Vec<LocatedFinding>,
    /// Whether some finding carries a fix that would apply.
    pub has_fixes: bool,
    /// The plans the transforms looked up, by type.
    pub consulted: Vec<std::any::TypeId>,
}

/// Runs the selected transforms once over a parsed file whose facts are
/// known, and reports what they find; fixes nothing. The index pass uses
/// it against a recording index, so that a file that has nothing to fix,
/// and whose run the real index would not change, is finished on its
/// first parse.
pub fn first_look(
    file: &ParsedFile,
    facts: &FastApiFacts,
    selection: &Selection,
    project: &Project,
    module_name: Option<&str>,
    is_package: bool,
) -> Result<FirstLook, FileError> {
    let place = Place {
        project,
        module_name,
        is_package,
    };
    let looked = catch_unwind(AssertUnwindSafe(|| {
        let mut consulted = Vec::new();
        let findings = run_transforms_with(
            &file.source,
            &file.parsed,
            facts,
            selection,
            place,
            &mut consulted,
            true,
        );
        FirstLook {
            has_fixes: findings.iter().any(|finding| {
                finding
                    .fix
                    .as_ref()
                    .is_some_and(|fix| is_applicable(fix, selection))
            }),
            findings: locate(&file.source, &findings, selection),
            consulted,
        }
    }));
    looked.map_err(|payload| FileError::Panic {
        message: panic_message(&*payload),
    })
}

/// Findings placed by line and column, in order.
fn locate(source: &SourceFile, findings: &[Finding], selection: &Selection) -> Vec<LocatedFinding> {
    findings
        .iter()
        .map(|finding| {
            let (line, column) = source.line_column(finding.range.start());
            let fix = finding
                .fix
                .as_ref()
                .filter(|fix| is_applicable(fix, selection))
                .map(|fix| LocatedFix {
                    title: fix.title().to_string(),
                    edits: fix
                        .edits()
                        .iter()
                        .map(|edit| LocatedEdit {
                            start: source.line_column(edit.start()),
                            end: source.line_column(edit.end()),
                            content: edit.content().to_string(),
                        })
                        .collect(),
                });
            LocatedFinding {
                line,
                column,
                end: source.line_column(finding.range.end()),
                transform: finding.transform,
                message: finding.message.clone(),
                fixable: fix.is_some(),
                fix,
            }
        })
        .collect()
}

fn run_transforms(
    source: &SourceFile,
    parsed: &Parsed<ModModule>,
    selection: &Selection,
    place: Place,
    consulted: &mut Vec<std::any::TypeId>,
) -> Vec<Finding> {
    let facts = FastApiFacts::new(parsed.syntax());
    run_transforms_with(source, parsed, &facts, selection, place, consulted, false)
}

fn run_transforms_with(
    source: &SourceFile,
    parsed: &Parsed<ModModule>,
    facts: &FastApiFacts,
    selection: &Selection,
    place: Place,
    consulted: &mut Vec<std::any::TypeId>,
    first_look: bool,
) -> Vec<Finding> {
    let suppressions = Suppressions::from_tokens(parsed.tokens(), source);
    let context = || FileContext {
        source,
        module: parsed.syntax(),
        tokens: parsed.tokens(),
        facts,
        suppressions: &suppressions,
        options: &selection.options,
        project: place.project,
        module_name: place.module_name,
        selected: &selection.transforms,
        is_package: place.is_package,
        consulted: std::cell::RefCell::new(Vec::new()),
        types: crate::python::blocking::RememberedTypes::new(&place.project.index),
        first_look,
    };
    // The transforms in order, into findings and the plans they consulted.
    let run = |transforms: &[&'static Transform]| {
        let context = context();
        let mut findings = Findings::new(selection.unsafe_fixes);
        for transform in transforms {
            (transform.run)(&context, &mut findings);
            // A first look with a fix to make is thrown away: no need to go on.
            if first_look && findings.has_applicable_fix() {
                break;
            }
        }
        (findings.into_vec(), context.consulted.into_inner())
    };
    // A first look stops at its first fix, in order; a file run against the
    // project has the transforms' two halves run side by side (an editor
    // waits for one file), their findings kept in the transforms' order.
    let (mut findings, kinds) = if first_look {
        run(&selection.transforms)
    } else {
        let (first, second) = selection
            .transforms
            .split_at(selection.transforms.len() / 2);
        let ((mut findings, mut kinds), (more, more_kinds)) =
            rayon::join(|| run(first), || run(second));
        findings.extend(more);
        kinds.extend(more_kinds);
        (findings, kinds)
    };
    for kind in kinds {
        if !consulted.contains(&kind) {
            consulted.push(kind);
        }
    }
    // A transform whose output the project's pinned dependencies could not
    // run reports without fixing.
    for finding in &mut findings {
        if let Some((_, reason)) = place
            .project
            .held_back
            .iter()
            .find(|(name, _)| *name == finding.transform)
            && finding.fix.take().is_some()
        {
            finding.message = format!("{} (not fixed: {reason})", finding.message);
        }
    }
    findings.sort_by_key(|finding| (finding.range.start(), finding.transform));
    findings
}

#[cfg(test)]
mod tests {
    use ruff_text_size::TextSize;

    use super::*;
    use crate::text::edit::Edit;

    fn selection(transform: &'static Transform) -> Selection {
        Selection {
            transforms: vec![transform],
            unsafe_fixes: false,
            options: TransformOptions::default(),
            review: None,
        }
    }

    fn transform(name: &'static str, run: fn(&FileContext, &mut Findings)) -> &'static Transform {
        Box::leak(Box::new(Transform {
            name,
            summary: "test",
            source: "//! # test\n",
            run,
            ..Transform::BASE
        }))
    }

    fn fix_at_start(context: &FileContext, findings: &mut Findings, text: &str) {
        let transform = transform("test", |_, _| {});
        let fix = Fix::new(
            "insert",
            vec![Edit::insertion(text, TextSize::new(0))],
            Safety::Safe,
        );
        findings.push(
            transform,
            TextRange::empty(TextSize::new(0)),
            "found",
            Some(fix),
        );
        let _ = context;
    }

    #[test]
    fn a_panicking_transform_leaves_the_file_alone() {
        let boom = transform("boom", |_, _| panic!("boom"));
        let outcome = process("x = 1\n", &selection(boom), Mode::Fix);
        assert_eq!(outcome.fixed, None);
        assert_eq!(
            outcome.error,
            Some(FileError::Panic {
                message: "boom".into()
            })
        );
    }

    #[test]
    fn output_that_does_not_parse_is_refused_naming_the_transform() {
        let breaker = transform("breaker", |context, findings| {
            if context.source.text().starts_with("x") {
                fix_at_start(context, findings, "def (")
            }
        });
        let outcome = process("x = 1\n", &selection(breaker), Mode::Fix);
        assert_eq!(outcome.fixed, None);
        assert!(outcome.applied.is_empty());
        let Some(FileError::BrokenOutput { transforms, .. }) = outcome.error else {
            panic!("expected a broken-output error, got {:?}", outcome.error)
        };
        assert_eq!(transforms, ["test"]);
    }

    #[test]
    fn fixes_that_never_settle_are_refused() {
        let restless = transform("restless", |context, findings| {
            fix_at_start(context, findings, "#\n")
        });
        let outcome = process("x = 1\n", &selection(restless), Mode::Fix);
        assert_eq!(outcome.fixed, None);
        assert_eq!(
            outcome.error,
            Some(FileError::NotConverged {
                transforms: vec!["test"]
            })
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_any_walk() {
        let noop = transform("noop", |_, _| {});
        let source = format!("x = {}1\n", "not ".repeat(MAX_NESTING + 1));
        let outcome = process(&source, &selection(noop), Mode::Fix);
        assert_eq!(outcome.error, Some(FileError::TooDeeplyNested { line: 1 }));
        let shallow = process("x = ((1) + (2))\n", &selection(noop), Mode::Fix);
        assert_eq!(shallow.error, None);
    }
}
