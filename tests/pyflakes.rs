//! Clean imports, judged as a reviewer's tools judge them: ruff's pyflakes
//! rules (`ruff check --select F`, ruff from PyPI in the tests' Python
//! environment) run on the input and on the output of every fixture, and
//! the output must not have a diagnostic the input did not.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

/// `(file, code, message)` → how many times ruff reports it; locations are
/// left out, since fixes move lines.
type Diagnostics = BTreeMap<(String, String, String), usize>;

fn pyflakes(python: &Path, directory: &Path) -> Diagnostics {
    let output = std::process::Command::new(python)
        .args([
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--no-cache",
            "--select",
            "F",
            "--output-format",
            "json",
            "--exit-zero",
        ])
        .arg(directory)
        .output()
        .expect("ruff runs");
    assert!(
        output.status.success(),
        "ruff failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reported: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("ruff prints JSON");
    let mut diagnostics = Diagnostics::new();
    for diagnostic in reported {
        let Some(code) = diagnostic["code"].as_str() else {
            // A syntax error: the snapshot tests judge those.
            continue;
        };
        let file = Path::new(diagnostic["filename"].as_str().unwrap())
            .strip_prefix(directory)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let message = without_line_numbers(diagnostic["message"].as_str().unwrap_or_default());
        *diagnostics
            .entry((file, code.to_string(), message))
            .or_default() += 1;
    }
    diagnostics
}

/// A message with `line 12` written `line N`: fixes move lines, and
/// "redefinition of `x` from line 12" is the same diagnostic at line 14.
fn without_line_numbers(message: &str) -> String {
    let mut result = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(index) = rest.find("line ") {
        result.push_str(&rest[..index + 5]);
        rest = &rest[index + 5..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            result.push('N');
            rest = &rest[digits..];
        }
    }
    result.push_str(rest);
    result
}

#[test]
fn fixes_leave_no_new_pyflakes_diagnostic() {
    let python = common::python_with_fastapi();
    let scratch = tempfile::tempdir().unwrap();
    let (before, after) = (scratch.path().join("before"), scratch.path().join("after"));
    let cases = common::fixture_cases();
    for case in &cases {
        let outcomes = common::fix_project_checked(&case.inputs(), &case.selection);
        let directory = format!("{}/{}", case.transform.name, case.name);
        for (file, outcome) in case.files.iter().zip(&outcomes) {
            let text = |contents: &str| {
                contents
                    .strip_prefix('\u{feff}')
                    .unwrap_or(contents)
                    .to_string()
            };
            for (root, contents) in [
                (&before, text(&file.contents)),
                (
                    &after,
                    text(outcome.fixed.as_deref().unwrap_or(&file.contents)),
                ),
            ] {
                let path = root.join(&directory).join(&file.label);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, contents).unwrap();
            }
        }
    }
    // A control that ruff must flag, so a silent ruff cannot pass the test.
    std::fs::create_dir_all(before.join("control")).unwrap();
    std::fs::write(before.join("control/unused.py"), "import os\n").unwrap();
    let (old, new) = (pyflakes(&python, &before), pyflakes(&python, &after));
    assert!(
        old.keys()
            .any(|(file, code, _)| file == "control/unused.py" && code == "F401"),
        "ruff did not flag the control file: {old:?}"
    );
    let mut introduced: Vec<String> = Vec::new();
    for ((file, code, message), count) in &new {
        let had = old
            .get(&(file.clone(), code.clone(), message.clone()))
            .copied()
            .unwrap_or(0);
        if *count > had {
            introduced.push(format!("{file}: {code} {message}"));
        }
    }
    assert!(
        introduced.is_empty(),
        "fixes introduced pyflakes diagnostics:\n{}",
        introduced.join("\n")
    );
}
