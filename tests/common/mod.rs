//! Helpers shared by the test harnesses.

#![allow(dead_code)]

use fastapi_codemod::project::pipeline::{self, FileOutcome, Mode, Selection};
use fastapi_codemod::project::transform::{Transform, TransformOptions};
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

/// Runs files as one project (module name and contents each) in fix mode,
/// checking that every output parses and that a second run changes nothing.
/// Runs files as one project in check mode: findings only.
pub fn check_project(files: &[(String, bool, String)], selection: &Selection) -> Vec<FileOutcome> {
    use fastapi_codemod::project::run::{ProjectFile, process_project};
    let project_files: Vec<ProjectFile> = files
        .iter()
        .map(|(module, is_package, contents)| ProjectFile {
            module_name: Some(module.clone()),
            is_package: *is_package,
            contents,
            selection,
            writable: true,
        })
        .collect();
    process_project(&project_files, Mode::Check)
}

pub fn fix_project_checked(
    files: &[(String, bool, String)],
    selection: &Selection,
) -> Vec<FileOutcome> {
    use fastapi_codemod::project::run::{ProjectFile, process_project};
    let run = |contents: &[String]| {
        let project_files: Vec<ProjectFile> = files
            .iter()
            .zip(contents)
            .map(|((module, is_package, _), contents)| ProjectFile {
                module_name: Some(module.clone()),
                is_package: *is_package,
                contents,
                selection,
                writable: true,
            })
            .collect();
        process_project(&project_files, Mode::Fix)
    };
    let originals: Vec<String> = files
        .iter()
        .map(|(_, _, contents)| contents.clone())
        .collect();
    let outcomes = run(&originals);
    let fixed: Vec<String> = outcomes
        .iter()
        .zip(&originals)
        .map(|(outcome, original)| outcome.fixed.clone().unwrap_or_else(|| original.clone()))
        .collect();
    for text in &fixed {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        assert!(
            ruff_python_parser::parse_module(text).is_ok(),
            "the output does not parse:\n{text}"
        );
    }
    for (again, text) in run(&fixed).iter().zip(&fixed) {
        assert_eq!(
            again.fixed, None,
            "a second run changed the output again:\n{text}"
        );
        assert_eq!(again.error, None);
    }
    outcomes
}

/// A Python interpreter with `fastapi`, `httpx` and `sqlalchemy`, for tests
/// that run real apps: the one `FASTAPI_CODEMOD_PYTHON` names, else a
/// virtual environment made once under cargo's temporary directory for
/// integration tests (`CARGO_TARGET_TMPDIR`, inside whatever target
/// directory cargo uses) from the package registry.
pub fn python_with_fastapi() -> std::path::PathBuf {
    use std::path::{Path, PathBuf};
    use std::process::Command;
    const PACKAGES: [&str; 3] = ["fastapi", "httpx", "sqlalchemy"];
    if let Some(python) = std::env::var_os("FASTAPI_CODEMOD_PYTHON") {
        return PathBuf::from(python);
    }
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let environment = scratch.join("python-test-env");
    let python = environment.join("bin/python");
    // The marker names the packages, so adding one reinstalls.
    let ready = environment.join(format!(".ready-{}", PACKAGES.join("-")));
    // Test binaries run in parallel: one makes the environment at a time.
    std::fs::create_dir_all(scratch).expect("cargo's temporary directory can be made");
    let lock_path = scratch.join("python-test-env.lock");
    let lock = std::fs::File::create(&lock_path).expect("the lock file can be made");
    lock.lock().expect("the lock is taken");
    if !ready.exists() {
        if !python.exists() {
            let status = Command::new("python3")
                .arg("-m")
                .arg("venv")
                .arg(&environment)
                .status()
                .expect("python3 runs");
            assert!(status.success(), "python3 -m venv failed");
        }
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(PACKAGES)
            .status()
            .expect("pip runs");
        assert!(
            status.success(),
            "installing {PACKAGES:?} for the real-app tests failed"
        );
        std::fs::write(&ready, "").unwrap();
    }
    lock.unlock().expect("the lock is released");
    python
}

/// Runs a Python `script` (written to `directory/probe.py`) with
/// `directory/src` as its argument, and returns what it printed; a failing
/// script fails the test with its stderr.
pub fn run_probe(python: &std::path::Path, directory: &std::path::Path, script: &str) -> String {
    let path = directory.join("probe.py");
    std::fs::write(&path, script).unwrap();
    let output = std::process::Command::new(python)
        .arg(&path)
        .arg(directory.join("src"))
        .output()
        .expect("the probe runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs `fastapi-codemod apply --allow-dirty ARGS… src` in `directory` and
/// checks that it succeeds.
pub fn apply_to_src(directory: &std::path::Path, arguments: &[&str]) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fastapi-codemod"))
        .current_dir(directory)
        .arg("apply")
        .arg("--allow-dirty")
        .args(arguments)
        .arg("src")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
