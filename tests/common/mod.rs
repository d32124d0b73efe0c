//! Helpers shared by the test harnesses.

#![allow(dead_code)]

use fastapi_codemod::pipeline::{self, FileOutcome, Mode, Selection};
use fastapi_codemod::transform::{Transform, TransformOptions};
use ruff_python_ast::PythonVersion;

/// A selection of exactly these transforms.
pub fn selection(
    transforms: &[&'static Transform],
    unsafe_fixes: bool,
    target_version: PythonVersion,
) -> Selection {
    Selection {
        transforms: transforms.to_vec(),
        unsafe_fixes,
        options: TransformOptions {
            target_version,
            ..TransformOptions::default()
        },
    }
}

/// Runs the pipeline in fix mode and checks the invariants every result
/// must hold: the output parses, and a second run changes nothing.
pub fn fix_checked(contents: &str, selection: &Selection) -> FileOutcome {
    let outcome = pipeline::process(contents, selection, Mode::Fix);
    if let Some(fixed) = &outcome.fixed {
        let text = fixed.strip_prefix('\u{feff}').unwrap_or(fixed);
        assert!(
            ruff_python_parser::parse_module(text).is_ok(),
            "the output does not parse:\n{fixed}"
        );
        let again = pipeline::process(fixed, selection, Mode::Fix);
        assert_eq!(
            again.fixed, None,
            "a second run changed the output again:\n{fixed}"
        );
        assert_eq!(again.error, None);
    }
    outcome
}
