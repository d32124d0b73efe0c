//! Clean imports, judged as a reviewer's tools judge them: ruff's pyflakes
//! rules (`ruff check --select F`, ruff from PyPI in the tests' Python
//! environment) run on the input and on the output of every fixture, and
//! the output must not have a diagnostic the input did not.

mod common;

#[test]
fn fixes_leave_no_new_pyflakes_diagnostic() {
    let python = common::python_with_fastapi();
    let scratch = tempfile::tempdir().unwrap();
    let (before, after) = (scratch.path().join("before"), scratch.path().join("after"));
    let cases = common::fixture_cases();
    for case in &cases {
        let (outcomes, changes) =
            common::fix_project_run_checked_with(&case.inputs(), &case.others, &case.selection);
        let directory = format!("{}/{}", case.transform.name, case.name);
        for (file, outcome) in case.files.iter().zip(&outcomes) {
            // A module that moves is judged by what it holds at its new
            // place, under its old name (pyflakes does not resolve imports).
            let path = common::module_path(&file.module, file.is_package);
            let moved = changes
                .iter()
                .find_map(|made| match (&made.change, &made.after) {
                    (fastapi_codemod::text::files::FileChange::Move { from, .. }, Some(after))
                        if *from == path =>
                    {
                        Some(after.as_str())
                    }
                    _ => None,
                });
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
                    text(moved.or(outcome.fixed.as_deref()).unwrap_or(&file.contents)),
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
    let (old, new) = (
        common::pyflakes(&python, &before),
        common::pyflakes(&python, &after),
    );
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
