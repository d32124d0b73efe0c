//! Every transform's documentation is checked: it has the sections
//! `explain` promises, and its `## Example` turns into its `Use instead:`
//! block when the transform runs on it.

mod common;

use fastapi_codemod::text::files::FileChange;
use fastapi_codemod::transforms;
use ruff_python_ast::PythonVersion;

/// The ```python blocks of a Markdown text, in order.
fn python_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim()) {
            (None, "```python") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_transform_documents_itself() {
    for transform in transforms::ALL {
        let documentation = transform.documentation();
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "Use instead:",
            "## Fix safety",
        ] {
            assert!(
                documentation.contains(section),
                "{} lacks `{section}`",
                transform.name
            );
        }
        assert!(
            documentation.starts_with(&format!("# {}", transform.name)),
            "{} doc title",
            transform.name
        );
    }
}

#[test]
fn examples_turn_into_their_use_instead_blocks() {
    for transform in transforms::ALL {
        let documentation = transform.documentation();
        let (example_part, use_instead_part) = documentation
            .split_once("Use instead:")
            .expect("has Use instead:");
        let before = python_blocks(example_part).pop().expect("an example block");
        let after = python_blocks(use_instead_part)
            .into_iter()
            .next()
            .expect("a use-instead block");
        let selection = common::selection(&[transform], true, PythonVersion::PY310);
        let before_files = example_files(&before);
        let after_files = example_files(&after);
        let files: Vec<(String, bool, String)> = before_files
            .iter()
            .map(|(module, is_package, text)| (module.clone(), *is_package, text.clone()))
            .collect();
        let (outcomes, changes) = common::fix_project_run_checked(&files, &selection);
        let expected = |module: &str| {
            after_files
                .iter()
                .find(|(other, _, _)| other == module)
                .map(|(_, _, text)| text.as_str())
        };
        for ((module, is_package, text), outcome) in before_files.iter().zip(&outcomes) {
            assert_eq!(outcome.error, None, "{}", transform.name);
            let path = common::module_path(module, *is_package);
            // A module the example moves or removes is compared where it goes.
            let moved = changes
                .iter()
                .find(|made| made.change.removes() == Some(&path));
            let (module, result) = match moved.map(|made| (&made.change, made)) {
                Some((FileChange::Move { to, .. }, made)) => {
                    (common::module_of_path(to).0, made.after.as_deref())
                }
                Some(_) => (module.clone(), None),
                None => (
                    module.clone(),
                    outcome.fixed.as_deref().or(Some(text.as_str())),
                ),
            };
            assert_eq!(
                result,
                expected(&module),
                "{}: the example's {module} does not become its `Use instead:` block",
                transform.name
            );
        }
        // Files the example creates are in the block too.
        for made in &changes {
            if let FileChange::Create { path, .. } = &made.change
                && let (module, _) = common::module_of_path(path)
                && after_files.iter().any(|(other, _, _)| *other == module)
            {
                assert_eq!(
                    made.after.as_deref(),
                    expected(&module),
                    "{}",
                    transform.name
                );
            }
        }
        assert!(
            outcomes.iter().any(|outcome| outcome.fixed.is_some())
                || changes.iter().any(|made| made.after.is_some()),
            "{}: the example changes nothing",
            transform.name
        );
    }
}

/// An example's files: one module named `example`, or, when the block
/// holds `# file: src/auth/service.py` lines, each file after its line,
/// by module name (`__init__.py` names its package).
fn example_files(block: &str) -> Vec<(String, bool, String)> {
    if !block.starts_with("# file: ") {
        return vec![("example".to_string(), false, block.to_string())];
    }
    let mut files: Vec<(String, bool, String)> = Vec::new();
    for line in block.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("# file: ") {
            let (module, is_package) = common::module_of_path(std::path::Path::new(path.trim()));
            files.push((module, is_package, String::new()));
        } else if let Some((_, _, text)) = files.last_mut() {
            text.push_str(line);
        }
    }
    files
}

/// `docs/transforms/NAME.md` is what `explain NAME` prints, for every
/// transform: the page the server's diagnostics link to. Run with
/// `FASTAPI_CODEMOD_WRITE_DOCS=1` to write them after changing a
/// transform's documentation.
#[test]
fn documentation_pages_are_what_explain_prints() {
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/transforms");
    let write = std::env::var_os("FASTAPI_CODEMOD_WRITE_DOCS").is_some();
    let mut stale = Vec::new();
    for transform in transforms::ALL {
        let path = directory.join(format!("{}.md", transform.name));
        let documentation = transform.documentation();
        if write {
            std::fs::write(&path, &documentation).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(documentation.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    let pages = std::fs::read_dir(&directory).unwrap().count();
    assert_eq!(
        pages,
        transforms::ALL.len(),
        "one page per transform, no other"
    );
    assert!(
        stale.is_empty(),
        "out of date (FASTAPI_CODEMOD_WRITE_DOCS=1 cargo test --test documentation writes them): {stale:?}"
    );
}
