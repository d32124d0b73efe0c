//! The language server's live index: after any sequence of edits, each
//! taken in by re-summarizing that module only, every file's findings are
//! those of an index built from scratch on the edited files; and a whole
//! run over the edited files, taking the index passes of the files that
//! read as they did, is the run made from scratch.

use std::path::{Path, PathBuf};

use fastapi_codemod::project::live::{LiveFile, LiveProject};
use fastapi_codemod::project::pipeline::{FixKey, FixReview, LocatedFinding, Mode, Selection};
use fastapi_codemod::project::run::{Unwatched, process_project};
use fastapi_codemod::project::transform::TransformOptions;
use fastapi_codemod::text::edit::Safety;
use fastapi_codemod::transforms;
use proptest::prelude::*;

/// The blog example's Python files, in path order, with their texts.
fn example() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/blog_api");
    let mut files = Vec::new();
    let mut pending = vec![root.clone()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "py") {
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((path.strip_prefix(&root).unwrap().to_path_buf(), text));
            }
        }
    }
    files.sort();
    files
}

/// The file at `path` of the example; `nested` puts the example one level
/// down a project, in `blog/`, so that its modules have outer names
/// (`blog.app.main`) the project takes when a module imports by them.
fn live_file_in(path: &Path, nested: bool) -> LiveFile {
    let is_package = path.ends_with("__init__.py");
    let parts: Vec<String> = path
        .with_extension("")
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    let parts = if is_package {
        &parts[..parts.len() - 1]
    } else {
        &parts[..]
    };
    LiveFile {
        path: path.to_path_buf(),
        module_name: Some(parts.join(".")),
        outer_module_name: nested.then(|| format!("blog.{}", parts.join("."))),
        is_package,
        selection: 0,
    }
}

fn live_file(path: &Path) -> LiveFile {
    live_file_in(path, false)
}

fn selection() -> Selection {
    Selection {
        transforms: transforms::ALL
            .iter()
            .copied()
            .filter(|transform| transform.safety != Safety::OptIn)
            .collect(),
        unsafe_fixes: true,
        options: TransformOptions::default(),
        review: None,
    }
}

fn indexed(files: &[(PathBuf, String)]) -> LiveProject {
    let texts: Vec<String> = files.iter().map(|(_, text)| text.clone()).collect();
    LiveProject::index(
        files.iter().map(|(path, _)| live_file(path)).collect(),
        vec![selection()],
        &texts,
        &Unwatched,
    )
}

fn findings(project: &LiveProject, files: &[(PathBuf, String)]) -> Vec<Vec<LocatedFinding>> {
    files
        .iter()
        .enumerate()
        .map(|(position, (_, text))| project.check(position, text).findings)
        .collect()
}

/// The files whose findings in `files` differ between the live index and
/// one built fresh from `indexed_files` (each file's last text that
/// parsed: text that does not leaves the index as it was), with the
/// findings only one of them has.
fn differences(
    live: &LiveProject,
    indexed_files: &[(PathBuf, String)],
    files: &[(PathBuf, String)],
) -> Vec<String> {
    let fresh = indexed(indexed_files);
    let (ours, theirs) = (findings(live, files), findings(&fresh, files));
    let mut differences = Vec::new();
    for (position, (ours, theirs)) in ours.iter().zip(&theirs).enumerate() {
        let only = |a: &[LocatedFinding], b: &[LocatedFinding]| -> Vec<String> {
            a.iter()
                .filter(|finding| !b.contains(finding))
                .map(|finding| {
                    format!(
                        "{}:{} {} {} (fix {:?})",
                        finding.line,
                        finding.column,
                        finding.transform,
                        finding.message,
                        finding.fix.as_ref().map(|fix| &fix.title)
                    )
                })
                .collect()
        };
        let (live_only, fresh_only) = (only(ours, theirs), only(theirs, ours));
        if !live_only.is_empty() || !fresh_only.is_empty() {
            differences.push(format!(
                "{}: live only {live_only:#?}, fresh only {fresh_only:#?}",
                files[position].0.display()
            ));
        }
    }
    differences
}

/// Edits that change what other modules learn from a module: a
/// dependency's type, a re-export, a class, a raise, an alias, a router.
const EDITS: &[(&str, &str, &str)] = &[
    (
        "app/api/deps.py",
        "def get_current_user(",
        "def get_current_user_renamed(",
    ),
    ("app/api/deps.py", "-> models.User", "-> dict"),
    (
        "app/api/deps.py",
        "from app.database import get_db",
        "from app.database import get_db as get_db",
    ),
    ("app/models/__init__.py", "from", "# from"),
    ("app/schemas/__init__.py", "from", "# from"),
    ("app/database.py", "def get_db(", "def get_database("),
    (
        "app/api/routers/posts.py",
        "db: Session = D(get_db)",
        "db: Session = D(get_current_active_user)",
    ),
    ("app/api/routers/users.py", "HTTPException(", "ValueError("),
    ("app/schemas/user.py", "password", "passphrase"),
    (
        "app/api/routers/items.py",
        "router = f.APIRouter()",
        "router = object()",
    ),
    ("app/api/routers/posts.py", "def ", "def  broken ("),
    (
        "app/api/routers/items.py",
        "from app.api import deps",
        "from blog.app.api import deps",
    ),
];

fn parses(text: &str) -> bool {
    ruff_python_parser::parse_module(text).is_ok()
}

fn edited(files: &[(PathBuf, String)], edit: usize) -> Option<(usize, String)> {
    let (path, from, to) = EDITS[edit];
    let position = files.iter().position(|(file, _)| file == Path::new(path))?;
    let text = &files[position].1;
    text.contains(from)
        .then(|| (position, text.replacen(from, to, 1)))
}

#[test]
fn every_edit_alone_gives_the_findings_of_a_fresh_index() {
    let files = example();
    for edit in 0..EDITS.len() {
        let mut live = indexed(&files);
        let (position, text) =
            edited(&files, edit).unwrap_or_else(|| panic!("edit {edit} applies"));
        let mut now = files.clone();
        now[position].1 = text.clone();
        let texts: Vec<String> = now.iter().map(|(_, text)| text.clone()).collect();
        live.update(position, &text, &texts);
        let index_texts = if parses(&text) {
            now.clone()
        } else {
            files.clone()
        };
        assert_eq!(
            differences(&live, &index_texts, &now),
            Vec::<String>::new(),
            "edit {edit}: {:?}",
            EDITS[edit]
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any sequence of edits, undoing some, leaves the live index giving
    /// what a fresh one gives.
    #[test]
    fn any_sequence_of_edits_gives_the_findings_of_a_fresh_index(
        steps in prop::collection::vec((0..EDITS.len(), any::<bool>()), 1..6)
    ) {
        let original = example();
        let mut now = original.clone();
        let mut live = indexed(&now);
        let mut index_texts = now.clone();
        for (edit, undo) in steps {
            let Some((position, text)) = edited(&now, edit) else { continue };
            let text = if undo { original[position].1.clone() } else { text };
            now[position].1 = text.clone();
            if parses(&text) {
                index_texts[position].1 = text.clone();
            }
            let texts: Vec<String> = now.iter().map(|(_, text)| text.clone()).collect();
            live.update(position, &text, &texts);
        }
        prop_assert_eq!(differences(&live, &index_texts, &now), Vec::<String>::new());
    }
}

/// A change inside a function body that tells the index nothing new
/// leaves it as it is, and a change to what a module provides does not.
#[test]
fn only_changes_the_index_sees_make_it_change() {
    let files = example();
    let mut live = indexed(&files);
    let texts: Vec<String> = files.iter().map(|(_, text)| text.clone()).collect();
    let position = files
        .iter()
        .position(|(path, _)| path.ends_with("app/api/deps.py"))
        .unwrap();
    let comment = files[position].1.replacen("\n\n", "\n\n# a note\n", 1);
    assert!(!live.update(position, &comment, &texts));
    let (_, renamed) = edited(&files, 0).unwrap();
    assert!(live.update(position, &renamed, &texts));
    // Text that does not parse leaves the index as it was.
    assert!(!live.update(position, "def (:\n", &texts));
}

/// A whole run over the live project's files as they now read, as a code
/// action asks it, and the same run made from scratch, side by side.
fn runs_after(live: &LiveProject, now: &[(PathBuf, String)]) -> (String, String) {
    let inputs = live.run_inputs();
    let selections = inputs.selections(None);
    let files = inputs.run_files(&selections);
    let texts: Vec<String> = now.iter().map(|(_, text)| text.clone()).collect();
    let known = inputs.run(&files, &texts, Mode::Fix);
    let fresh = process_project(&files, &texts, Mode::Fix);
    (format!("{known:#?}"), format!("{fresh:#?}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// After any sequence of edits, in a project whose modules may take
    /// the outer names, a run that takes the index passes of the files
    /// that read as they did when the project was indexed is the run made
    /// from scratch.
    #[test]
    fn a_run_knowing_the_first_passes_is_the_run_from_scratch(
        nested in any::<bool>(),
        steps in prop::collection::vec((0..EDITS.len(), any::<bool>()), 0..5)
    ) {
        let original = example();
        let texts: Vec<String> = original.iter().map(|(_, text)| text.clone()).collect();
        let mut live = LiveProject::index(
            original.iter().map(|(path, _)| live_file_in(path, nested)).collect(),
            vec![selection()],
            &texts,
            &Unwatched,
        );
        let mut now = original.clone();
        for (edit, undo) in steps {
            let Some((position, text)) = edited(&now, edit) else { continue };
            let text = if undo { original[position].1.clone() } else { text };
            now[position].1 = text.clone();
            let texts: Vec<String> = now.iter().map(|(_, text)| text.clone()).collect();
            live.update(position, &text, &texts);
        }
        let (known, fresh) = runs_after(&live, &now);
        prop_assert!(known == fresh, "{}", first_difference(&known, &fresh));
    }
}

/// A file that comes to import the project by its outer names renames
/// every module, and one that stops names them back: the known passes,
/// made under the other names, are made again.
#[test]
fn a_run_knowing_the_first_passes_follows_the_names_imports_give() {
    let original = example();
    let (position, importing_outer) = edited(&original, EDITS.len() - 1).unwrap();
    let mut with_outer_import = original.clone();
    with_outer_import[position].1 = importing_outer;
    for (indexed, now, outer_names) in [
        (&original, &with_outer_import, true),
        (&with_outer_import, &original, false),
    ] {
        let texts: Vec<String> = indexed.iter().map(|(_, text)| text.clone()).collect();
        let live = LiveProject::index(
            indexed
                .iter()
                .map(|(path, _)| live_file_in(path, true))
                .collect(),
            vec![selection()],
            &texts,
            &Unwatched,
        );
        let (known, fresh) = runs_after(&live, now);
        assert_eq!(known.contains("\"blog.app.api.deps\""), outer_names);
        assert!(known == fresh, "{}", first_difference(&known, &fresh));
    }
}

fn first_difference(ours: &str, theirs: &str) -> String {
    ours.lines()
        .zip(theirs.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map(|(line, (a, b))| format!("line {line}: known `{a}`, fresh `{b}`"))
        .unwrap_or_else(|| "one is longer".to_string())
}

/// Admits the fixes of one module; says so, when `says_so`, so that a run
/// can leave the other modules' fixes and promises out from the start.
#[derive(Debug)]
struct OnlyIn {
    module: String,
    says_so: bool,
}

impl FixReview for OnlyIn {
    fn admits(&self, key: &FixKey) -> bool {
        key.module == self.module
    }

    fn admits_none_in(&self, module: &str) -> bool {
        self.says_so && module != self.module
    }
}

/// A run whose review names the modules it admits no fix in (as a quick
/// fix's second run does) is the run whose review does not: the promises
/// homed there are withdrawn before the files run rather than after, and
/// their files' first looks stand, which changes only the work.
#[test]
fn a_review_naming_the_modules_it_admits_nothing_in_changes_only_the_work() {
    // And a router no plan concerns, whose first look stands but for its fix.
    let mut files = example();
    files.push((
        PathBuf::from("app/api/routers/health.py"),
        "from fastapi import APIRouter, Query\n\nrouter = APIRouter()\n\n\n\
         @router.get(\"/ping\")\ndef ping(echo: str = Query(\"pong\")) -> dict[str, str]:\n\
         \x20   return {\"echo\": echo}\n"
            .to_string(),
    ));
    let texts: Vec<String> = files.iter().map(|(_, text)| text.clone()).collect();
    let inputs = indexed(&files).run_inputs();
    let modules: Vec<String> = inputs
        .files()
        .iter()
        .filter_map(|file| file.module_name.clone())
        .collect();
    let mut fixed_somewhere = 0;
    for module in &modules {
        let run = |says_so: bool| {
            let review = std::sync::Arc::new(OnlyIn {
                module: module.clone(),
                says_so,
            });
            let selections = inputs.selections(Some(review));
            let run_files = inputs.run_files(&selections);
            process_project(&run_files, &texts, Mode::Fix)
        };
        // Which plans an unfixed file looked up tells only what it would
        // run again for, to the same end; a standing look knows none.
        let run = |says_so: bool| {
            let mut made = run(says_so);
            for outcome in made
                .files
                .iter_mut()
                .filter(|outcome| outcome.fixed.is_none())
            {
                outcome.consulted.clear();
            }
            made
        };
        let (told, untold) = (run(true), run(false));
        if told.files.iter().any(|outcome| outcome.fixed.is_some()) {
            fixed_somewhere += 1;
        }
        let (told, untold) = (format!("{told:#?}"), format!("{untold:#?}"));
        assert!(
            told == untold,
            "{module}: {}",
            first_difference(&told, &untold)
        );
    }
    // The routers that use the dependencies `deps.py` is to alias, among others.
    assert!(fixed_somewhere >= 5, "{fixed_somewhere} modules fixed");
}
