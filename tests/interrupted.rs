//! The bundled example as its users would run it: its own test suite passes
//! before and after `apply`, and a run killed (SIGKILL) between any two of
//! its writes leaves every file old or new, with no module importing a name
//! that was not written (the app still imports), and a second `apply`
//! finishes the job. Writes go in dependency order: whole-file changes
//! (`.env`) first, then a module that defines what others import.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/blog_api")
}

fn apply(directory: &Path, extra: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_fastapi-codemod"))
        .current_dir(directory)
        .args(["apply", "--allow-dirty"])
        .args(extra)
        .arg(".")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs Python in `directory` with the example's environment; returns
/// whether it succeeded, and what it printed.
fn python(python: &Path, directory: &Path, arguments: &[&str]) -> (bool, String) {
    let output = Command::new(python)
        .current_dir(directory)
        .env("DATABASE_URL", "sqlite://")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .args(arguments)
        .output()
        .expect("python runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn the_example_passes_its_own_tests_before_and_after_apply() {
    let python_path = common::python_with_fastapi();
    for extra in [&[][..], &["--unsafe"][..]] {
        let directory = tempfile::tempdir().unwrap();
        common::copy_tree(&example(), directory.path());
        let pytest = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"];
        let (passed, output) = python(&python_path, directory.path(), &pytest);
        assert!(passed, "before apply: {output}");
        apply(directory.path(), extra);
        let (passed, output) = python(&python_path, directory.path(), &pytest);
        assert!(passed, "after apply {extra:?}: {output}");
    }
}

#[test]
fn a_run_killed_between_any_two_writes_leaves_every_file_old_or_new() {
    let python_path = common::python_with_fastapi();
    // The settings transforms write `.env` and the settings besides the
    // modules.
    let settings = ["--unsafe", "--select", "settings-from-env"];
    for extra in [&[][..], &settings[..]] {
        killed_runs_leave_old_or_new(&python_path, extra);
    }
}

fn killed_runs_leave_old_or_new(python_path: &Path, extra: &[&str]) {
    let old = common::project_files(&example());
    let finished = tempfile::tempdir().unwrap();
    common::copy_tree(&example(), finished.path());
    apply(finished.path(), extra);
    let new = common::project_files(finished.path());
    // Files changed, and files the run creates.
    let changed = new
        .keys()
        .filter(|path| old.get(*path) != Some(&new[*path]))
        .count();
    assert!(
        changed >= 3,
        "the example changes in several files: {changed}"
    );

    for stop_after in 0..=changed {
        let directory = tempfile::tempdir().unwrap();
        common::copy_tree(&example(), directory.path());
        let arguments: Vec<&str> = [&["apply", "--allow-dirty"][..], extra, &["."]].concat();
        common::run_killed_after(directory.path(), &arguments, stop_after);

        let now = common::project_files(directory.path());
        let mut written = 0;
        for (path, bytes) in &now {
            assert!(
                old.get(path) == Some(bytes) || *bytes == new[path],
                "stopped after {stop_after} writes: {} is neither old nor new",
                path
            );
            if old.get(path) != Some(&new[path]) && *bytes == new[path] {
                written += 1;
            }
        }
        assert_eq!(written, stop_after, "files written before the kill");
        // No module imports a name that is not written yet. The one state
        // that does not start is `.env` written before the settings class
        // that reads it (a class that refuses unknown keys): `.env` goes
        // first so that no moved secret is ever lost, and running `apply`
        // again finishes the job.
        let (env, settings) = (".env", "app/config.py");
        let between = now.get(env) != old.get(env) && now.get(settings) != new.get(settings);
        if !between {
            let (imports, output) = python(
                python_path,
                directory.path(),
                &["-c", "import app.main, tests.conftest"],
            );
            assert!(imports, "stopped after {stop_after} writes: {output}");
        }
        apply(directory.path(), extra);
        assert!(
            common::project_files(directory.path()) == new,
            "stopped after {stop_after} writes: running `apply` again does not finish the job"
        );
    }
}
