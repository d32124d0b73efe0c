//! Every transform's documentation is checked: it has the sections
//! `explain` promises, and its `## Example` turns into its `Use instead:`
//! block when the transform runs on it.

mod common;

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
        let files = [("example".to_string(), false, before.clone())];
        let outcome = common::fix_project_checked(&files, &selection).remove(0);
        assert_eq!(outcome.error, None, "{}", transform.name);
        assert_eq!(
            outcome.fixed.as_deref(),
            Some(after.as_str()),
            "{}: the example does not become its `Use instead:` block",
            transform.name
        );
    }
}
