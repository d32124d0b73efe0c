//! Installation as a FastAPI team does it: `pip install` of the wheel
//! maturin builds from `pyproject.toml`, which puts `fastapi-codemod` on
//! `PATH`, and the pre-commit hooks of `.pre-commit-hooks.yaml`, run through
//! `pre-commit try-repo` on a temporary git repository. Both build the
//! crate in release mode, in a target directory of their own under cargo's
//! temporary directory, one at a time; maturin and pre-commit come from PyPI.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// One release build at a time.
static BUILDS: Mutex<()> = Mutex::new(());

fn scratch() -> PathBuf {
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("packaging");
    std::fs::create_dir_all(&scratch).unwrap();
    scratch
}

/// Where the release builds go, shared by both tests so the second reuses
/// the first's dependencies.
fn release_target() -> PathBuf {
    scratch().join("target")
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("the command runs");
    output
}

fn succeed(command: &mut Command) -> Output {
    let shown = format!("{command:?}");
    let output = run(command);
    assert!(
        output.status.success(),
        "{shown} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A fresh virtual environment at `path` with `packages` from PyPI; its bin directory.
fn environment(path: &Path, packages: &[&str]) -> PathBuf {
    if path.exists() {
        std::fs::remove_dir_all(path).unwrap();
    }
    common::virtual_environment(path, packages)
}

/// The crate's sources, copied into `to`: what a clone of the repository holds
/// that building needs.
fn copy_sources(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in [
        "Cargo.toml",
        "Cargo.lock",
        "pyproject.toml",
        "README.md",
        ".pre-commit-hooks.yaml",
    ] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
    for directory in ["src", "transforms", "benches"] {
        common::copy_tree(&from.join(directory), &to.join(directory));
    }
}

fn git(directory: &Path, args: &[&str]) {
    succeed(
        Command::new("git")
            .current_dir(directory)
            .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args),
    );
}

/// A router with a finding and a fix: a `Query` default that `Annotated` takes.
const ROUTER: &str = "from fastapi import APIRouter, Query\n\nrouter = APIRouter()\n\n\n@router.get(\"/items\")\ndef list_items(q: str = Query(None)):\n    return {\"q\": q}\n";

#[test]
fn the_wheel_installs_into_a_fresh_environment_and_runs() {
    let _build = BUILDS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let scratch = scratch();
    let tools = environment(&scratch.join("maturin-env"), &["maturin>=1.5,<2"]);
    let wheels = scratch.join("wheels");
    if wheels.exists() {
        std::fs::remove_dir_all(&wheels).unwrap();
    }
    succeed(
        Command::new(tools.join("maturin"))
            .args(["build", "--release", "--quiet", "--manifest-path"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .arg("--out")
            .arg(&wheels)
            .env("CARGO_TARGET_DIR", release_target()),
    );
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|extension| extension == "whl"))
        .expect("maturin built a wheel");
    let name = wheel.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with(&format!("fastapi_codemod-{}-", env!("CARGO_PKG_VERSION"))),
        "{name}"
    );

    // A fresh environment, as a user has: pip installs the wheel, and the
    // binary is on its PATH.
    let user = environment(&scratch.join("user-env"), &[wheel.to_str().unwrap()]);
    let installed = user.join("fastapi-codemod");
    assert!(installed.is_file(), "the wheel puts the binary in bin/");
    let path = format!(
        "{}:{}",
        user.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let version = succeed(
        Command::new("fastapi-codemod")
            .arg("--version")
            .env("PATH", &path),
    );
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("fastapi-codemod {}", env!("CARGO_PKG_VERSION"))
    );
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("items.py"), ROUTER).unwrap();
    let diff = succeed(
        Command::new("fastapi-codemod")
            .current_dir(project.path())
            .args(["diff", "--select", "annotated-params", "."])
            .env("PATH", &path),
    );
    let diff = String::from_utf8_lossy(&diff.stdout);
    assert!(diff.contains("--- a/items.py"), "{diff}");
    assert!(
        diff.contains("+def list_items(q: Annotated[str, Query()] = None):"),
        "{diff}"
    );
}

#[test]
fn the_pre_commit_hooks_run_through_try_repo() {
    let _build = BUILDS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let scratch = scratch();
    let tools = environment(&scratch.join("pre-commit-env"), &["pre-commit"]);
    // The hooks' repository, as a clone of this one.
    let hooks = tempfile::tempdir().unwrap();
    copy_sources(hooks.path());
    git(hooks.path(), &["init", "--quiet"]);
    git(hooks.path(), &["add", "--all"]);
    git(hooks.path(), &["commit", "--quiet", "--message", "hooks"]);
    // A project using them.
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("items.py"), ROUTER).unwrap();
    // The configuration's `exclude` holds for the files pre-commit names.
    std::fs::create_dir_all(work.path().join("legacy")).unwrap();
    std::fs::write(work.path().join("legacy/old.py"), ROUTER).unwrap();
    std::fs::write(
        work.path().join("pyproject.toml"),
        "[tool.fastapi-codemod]\nexclude = [\"legacy\"]\n",
    )
    .unwrap();
    git(work.path(), &["init", "--quiet"]);
    git(work.path(), &["add", "--all"]);
    git(work.path(), &["commit", "--quiet", "--message", "items"]);
    let try_repo = |hook: &str| {
        run(Command::new(tools.join("pre-commit"))
            .current_dir(work.path())
            .arg("try-repo")
            .arg(hooks.path())
            .arg(hook)
            .args(["--files", "items.py", "legacy/old.py", "--color", "never"])
            .env("PRE_COMMIT_HOME", scratch.join("pre-commit-home"))
            .env("CARGO_TARGET_DIR", release_target())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    tools.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            ))
    };

    let check = try_repo("fastapi-codemod-check");
    let shown = String::from_utf8_lossy(&check.stdout).to_string();
    assert_eq!(check.status.code(), Some(1), "{shown}");
    assert!(shown.contains("fastapi-codemod (check)"), "{shown}");
    assert!(shown.contains("items.py:7:16 annotated-params"), "{shown}");
    assert!(!shown.contains("legacy/old.py"), "{shown}");
    assert_eq!(
        std::fs::read_to_string(work.path().join("items.py")).unwrap(),
        ROUTER
    );

    // The apply hook fixes the file and fails, as formatters do; once the
    // fix is staged, it passes.
    let apply = try_repo("fastapi-codemod");
    let shown = String::from_utf8_lossy(&apply.stdout).to_string();
    assert_eq!(apply.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("files were modified by this hook"),
        "{shown}"
    );
    let fixed = std::fs::read_to_string(work.path().join("items.py")).unwrap();
    assert!(
        fixed.contains("def list_items(q: Annotated[str, Query()] = None):"),
        "{fixed}"
    );
    assert_eq!(
        std::fs::read_to_string(work.path().join("legacy/old.py")).unwrap(),
        ROUTER
    );
    git(work.path(), &["add", "--all"]);
    let again = try_repo("fastapi-codemod");
    let shown = String::from_utf8_lossy(&again.stdout).to_string();
    assert_eq!(again.status.code(), Some(0), "{shown}");
    assert!(shown.contains("Passed"), "{shown}");
}
