//! End-to-end runs of the binary in temporary directories.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

const ROUTER: &str = "\
from fastapi import APIRouter, Depends, Query

from .deps import get_db

router = APIRouter()


@router.get(\"/items\")
def list_items(q: str | None = Query(None, max_length=50), db=Depends(get_db)):
    return db.items(q)
";

const GOOD: &str = "\
from typing import Annotated

from fastapi import Depends

from .deps import get_db


def read(db: Annotated[object, Depends(get_db)]):
    return db
";

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fastapi-codemod"));
    command.env("NO_COLOR", "1");
    command
}

fn run(directory: &Path, args: &[&str]) -> Output {
    binary()
        .current_dir(directory)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 output")
}

/// A project directory with the given files.
fn project(files: &[(&str, &[u8])]) -> TempDir {
    let directory = tempfile::tempdir().expect("a temporary directory");
    for (name, contents) in files {
        let path = directory.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    directory
}

fn git(directory: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(directory)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// A project committed to a fresh git repository.
fn committed_project(files: &[(&str, &[u8])]) -> TempDir {
    let directory = project(files);
    git(directory.path(), &["init", "-q"]);
    git(directory.path(), &["add", "-A"]);
    git(directory.path(), &["commit", "-q", "-m", "initial"]);
    directory
}

fn read(directory: &TempDir, name: &str) -> Vec<u8> {
    std::fs::read(directory.path().join(name)).unwrap()
}

#[test]
fn diff_prints_a_unified_diff_and_changes_nothing() {
    let directory = project(&[
        ("app/items.py", ROUTER.as_bytes()),
        ("app/good.py", GOOD.as_bytes()),
    ]);
    let output = run(directory.path(), &["diff"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let diff = stdout(&output);
    assert!(
        diff.starts_with("--- a/app/items.py\n+++ b/app/items.py\n"),
        "{diff}"
    );
    assert!(
        diff.contains("+    q: Annotated[str | None, Query(max_length=50)] = None,"),
        "{diff}"
    );
    assert!(
        !diff.contains("good.py"),
        "already-good code is left alone: {diff}"
    );
    assert_eq!(read(&directory, "app/items.py"), ROUTER.as_bytes());
    assert!(
        stderr(&output)
            .contains("2 files scanned; 1 would change; fixes: annotated-params 2; 0 errors"),
        "{}",
        stderr(&output)
    );

    let output = run(directory.path(), &["diff", "--exit-code"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn diff_exit_code_is_zero_when_nothing_would_change() {
    let directory = project(&[("good.py", GOOD.as_bytes())]);
    let output = run(directory.path(), &["diff", "--exit-code"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "");
}

#[test]
fn apply_writes_in_a_clean_repository_and_a_second_run_changes_nothing() {
    let directory = committed_project(&[("app/items.py", ROUTER.as_bytes())]);
    let expected = stdout(&run(directory.path(), &["diff"]));
    let output = run(directory.path(), &["apply"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("1 changed"), "{}", stderr(&output));
    let written = String::from_utf8(read(&directory, "app/items.py")).unwrap();
    assert!(
        written.contains("db: Annotated[Any, Depends(get_db)]"),
        "{written}"
    );
    // What apply wrote is exactly what diff showed.
    let shown = similar::TextDiff::from_lines(ROUTER, &written)
        .unified_diff()
        .context_radius(3)
        .header("a/app/items.py", "b/app/items.py")
        .to_string();
    assert_eq!(shown, expected);

    git(directory.path(), &["commit", "-q", "-am", "apply"]);
    let again = run(directory.path(), &["apply"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(stderr(&again).contains("0 changed"), "{}", stderr(&again));
    assert_eq!(read(&directory, "app/items.py"), written.as_bytes());
}

#[test]
fn apply_refuses_uncommitted_and_untracked_files_without_allow_dirty() {
    let directory = committed_project(&[("a.py", ROUTER.as_bytes()), ("b.py", ROUTER.as_bytes())]);
    let dirty = format!("{ROUTER}\n# local edit\n");
    std::fs::write(directory.path().join("a.py"), &dirty).unwrap();
    std::fs::write(directory.path().join("c.py"), ROUTER).unwrap();

    let output = run(directory.path(), &["apply"]);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    assert!(
        errors.contains(
            "a.py: error: has uncommitted changes; commit or stash them, or pass --allow-dirty"
        ),
        "{errors}"
    );
    assert!(
        errors.contains("c.py: error: not tracked by git"),
        "{errors}"
    );
    assert_eq!(read(&directory, "a.py"), dirty.as_bytes());
    assert_eq!(read(&directory, "c.py"), ROUTER.as_bytes());
    // The clean file is still written.
    assert_ne!(read(&directory, "b.py"), ROUTER.as_bytes());

    let output = run(directory.path(), &["apply", "--allow-dirty"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_ne!(read(&directory, "a.py"), dirty.as_bytes());
}

#[test]
fn apply_refuses_files_outside_a_repository() {
    let directory = project(&[("a.py", ROUTER.as_bytes())]);
    let output = run(directory.path(), &["apply"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("a.py: error: not inside a git repository"),
        "{}",
        stderr(&output)
    );
    assert_eq!(read(&directory, "a.py"), ROUTER.as_bytes());
}

#[test]
fn crlf_and_bom_survive_byte_for_byte() {
    let crlf = ROUTER.replace('\n', "\r\n");
    let bom = format!("\u{feff}{ROUTER}");
    let directory = committed_project(&[("crlf.py", crlf.as_bytes()), ("bom.py", bom.as_bytes())]);
    let output = run(directory.path(), &["apply"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let written = String::from_utf8(read(&directory, "crlf.py")).unwrap();
    assert!(
        !written.replace("\r\n", "").contains('\n'),
        "every line still ends in CRLF: {written:?}"
    );
    assert!(
        written.starts_with("from typing import Annotated, Any\r\n\r\nfrom fastapi"),
        "{written:?}"
    );

    let written = String::from_utf8(read(&directory, "bom.py")).unwrap();
    assert!(
        written.starts_with("\u{feff}from typing import Annotated, Any\n"),
        "{written:?}"
    );
    assert_eq!(written.matches('\u{feff}').count(), 1);
}

#[test]
fn apply_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let directory = committed_project(&[("script.py", ROUTER.as_bytes())]);
    let path = directory.path().join("script.py");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o750)).unwrap();
    git(directory.path(), &["commit", "-q", "-am", "mode"]);
    let output = run(directory.path(), &["apply"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_ne!(read(&directory, "script.py"), ROUTER.as_bytes());
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o750
    );
}

#[test]
fn bad_files_get_one_error_line_each_and_the_rest_is_processed() {
    let nested = format!("x = {}1{}\n", "(".repeat(2000), ")".repeat(2000));
    let chain = format!("x = {}1\n", "-".repeat(5000));
    let directory = project(&[
        ("a_good.py", ROUTER.as_bytes()),
        ("broken.py", b"def f(:\n    pass\n"),
        ("latin1.py", b"name = '\xe9t\xe9'\n"),
        ("nul.py", b"x = 1\0\n"),
        ("nested.py", nested.as_bytes()),
        ("chain.py", chain.as_bytes()),
        (
            "template.py",
            b"{% for x in items %}\n{{ x }}\n{% endfor %}\n",
        ),
        ("z_good.py", ROUTER.as_bytes()),
    ]);
    std::os::unix::fs::symlink("missing.py", directory.path().join("dangling.py")).unwrap();

    let output = run(directory.path(), &["diff"]);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    for (file, message) in [
        ("broken.py", "error: syntax error at 1:7"),
        ("latin1.py", "error: not valid UTF-8"),
        ("nul.py", "error: contains a NUL byte"),
        (
            "nested.py",
            "error: expression nested more than 500 levels deep",
        ),
        (
            "chain.py",
            "error: expression nested more than 500 levels deep",
        ),
        ("template.py", "error: syntax error"),
        ("dangling.py", "error: broken symbolic link"),
    ] {
        assert_eq!(
            errors
                .lines()
                .filter(|line| line.starts_with(&format!("{file}: ")))
                .count(),
            1,
            "{file}: one line in {errors}"
        );
        assert!(
            errors.contains(&format!("{file}: {message}")),
            "{file}: {message} in {errors}"
        );
    }
    let diff = stdout(&output);
    assert!(
        diff.contains("+++ b/a_good.py") && diff.contains("+++ b/z_good.py"),
        "{diff}"
    );
    assert!(errors.contains("7 errors"), "{errors}");
}

#[test]
fn output_is_identical_for_any_number_of_jobs() {
    let files: Vec<(String, String)> = (0..40)
        .map(|index| {
            (
                format!("pkg{}/mod{index}.py", index % 7),
                ROUTER.replace("items", &format!("items{index}")),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_bytes()))
        .collect();
    let directory = project(&borrowed);
    let one = run(directory.path(), &["diff", "--jobs", "1"]);
    let four = run(directory.path(), &["diff", "--jobs", "4"]);
    assert_eq!(stdout(&one), stdout(&four));
    assert_eq!(stderr(&one), stderr(&four));
    let json_one = run(
        directory.path(),
        &["diff", "--jobs", "1", "--format", "json"],
    );
    let json_four = run(
        directory.path(),
        &["diff", "--jobs", "4", "--format", "json"],
    );
    assert_eq!(stdout(&json_one), stdout(&json_four));
}

#[test]
fn check_prints_one_line_per_finding() {
    let directory = project(&[
        ("app/items.py", ROUTER.as_bytes()),
        ("app/good.py", GOOD.as_bytes()),
    ]);
    let output = run(directory.path(), &["check"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "app/items.py:9:5 response-model `list_items` returns `db.items(…)`, whose return type is not known: its output is not validated and no response model can be inferred\n\
         app/items.py:9:16 annotated-params use `Annotated[…, Query(…)]` for `q`\n\
         app/items.py:9:60 annotated-params use `Annotated[…, Depends(…)]` for `db`\n"
    );
    let clean = run(directory.path(), &["check", "app/good.py"]);
    assert_eq!(clean.status.code(), Some(0));

    let github = run(
        directory.path(),
        &[
            "check",
            "--format",
            "github",
            "--select",
            "annotated-params",
            "app/items.py",
        ],
    );
    assert!(stdout(&github).starts_with(
        "::warning file=app/items.py,line=9,col=16,title=fastapi-codemod (annotated-params)::"
    ));
}

#[test]
fn json_output_is_one_document_with_totals() {
    let directory = project(&[("items.py", ROUTER.as_bytes()), ("broken.py", b"def (:\n")]);
    let output = run(directory.path(), &["diff", "--format", "json"]);
    assert_eq!(output.status.code(), Some(2));
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(document["version"], 1);
    assert_eq!(document["command"], "diff");
    assert_eq!(document["totals"]["files_scanned"], 2);
    assert_eq!(document["totals"]["files_changed"], 1);
    assert_eq!(document["totals"]["errors"], 1);
    assert_eq!(document["totals"]["fixes"]["annotated-params"], 2);
    let files = document["files"].as_array().unwrap();
    assert_eq!(files[0]["path"], "broken.py");
    assert!(
        files[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("syntax error")
    );
    assert_eq!(files[1]["path"], "items.py");
    assert!(
        files[1]["diff"]
            .as_str()
            .unwrap()
            .starts_with("--- a/items.py")
    );
    assert_eq!(files[1]["fixes"]["annotated-params"], 2);
    assert_eq!(
        files[1]["applied"],
        serde_json::json!(["use `Annotated` in the signature of `list_items`"])
    );
}

#[test]
fn select_ignore_and_unknown_names() {
    let directory = project(&[("items.py", ROUTER.as_bytes())]);
    let ignored = run(directory.path(), &["diff", "--ignore", "annotated-params"]);
    assert_eq!(stdout(&ignored), "");
    let selected = run(directory.path(), &["diff", "--select", "annotated-params"]);
    assert!(!stdout(&selected).is_empty());
    let unknown = run(directory.path(), &["diff", "--select", "annotated-param"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("unknown transform `annotated-param`"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn pyproject_configuration_is_found_per_package_and_flags_win() {
    let directory = project(&[
        (
            "pyproject.toml",
            b"[tool.fastapi-codemod]\nexclude = [\"legacy\"]\n",
        ),
        ("svc/items.py", ROUTER.as_bytes()),
        ("legacy/items.py", ROUTER.as_bytes()),
        (
            "old/pyproject.toml",
            b"[project]\nrequires-python = \">=3.8\"\n\n[tool.fastapi-codemod]\nignore = []\n",
        ),
        ("old/items.py", ROUTER.as_bytes()),
        (
            "off/pyproject.toml",
            b"[tool.fastapi-codemod]\nignore = [\"annotated-params\"]\n",
        ),
        ("off/items.py", ROUTER.as_bytes()),
    ]);
    let output = run(directory.path(), &["diff"]);
    let diff = stdout(&output);
    assert!(diff.contains("+++ b/svc/items.py"), "{diff}");
    assert!(!diff.contains("legacy/items.py"), "excluded: {diff}");
    assert!(
        !diff.contains("off/items.py"),
        "ignored by its own config: {diff}"
    );
    assert!(
        diff.contains("+from typing_extensions import Annotated"),
        "py38 from requires-python: {diff}"
    );

    // A file named on the command line is processed even when excluded.
    let named = run(directory.path(), &["diff", "legacy/items.py"]);
    assert!(stdout(&named).contains("+++ b/legacy/items.py"));
    // Unless `--force-exclude` says the configuration holds for it too.
    let forced = run(
        directory.path(),
        &["diff", "--force-exclude", "legacy/items.py"],
    );
    assert_eq!(stdout(&forced), "");
    assert_eq!(forced.status.code(), Some(0));
    // Flags win over the configuration.
    let flagged = run(
        directory.path(),
        &[
            "diff",
            "--select",
            "annotated-params",
            "--target-version",
            "py310",
            "off",
            "old",
        ],
    );
    let diff = stdout(&flagged);
    assert!(diff.contains("+++ b/off/items.py"), "{diff}");
    assert!(!diff.contains("typing_extensions"), "{diff}");
}

#[test]
fn a_broken_configuration_is_reported_and_its_files_are_left_alone() {
    let directory = project(&[
        (
            "pyproject.toml",
            b"[tool.fastapi-codemod]\nselekt = [\"annotated-params\"]\n",
        ),
        ("items.py", ROUTER.as_bytes()),
    ]);
    let output = run(directory.path(), &["diff"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown key `selekt` in [tool.fastapi-codemod]"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn gitignored_and_virtualenv_files_are_skipped() {
    let directory = project(&[
        (".gitignore", b"generated/\n"),
        ("generated/items.py", ROUTER.as_bytes()),
        (".venv/lib/items.py", ROUTER.as_bytes()),
        ("venv/lib/items.py", ROUTER.as_bytes()),
        ("node_modules/x/items.py", ROUTER.as_bytes()),
        ("app/items.py", ROUTER.as_bytes()),
    ]);
    git(directory.path(), &["init", "-q"]);
    let output = run(directory.path(), &["diff"]);
    let diff = stdout(&output);
    assert!(diff.contains("+++ b/app/items.py"));
    assert_eq!(diff.matches("+++ ").count(), 1, "{diff}");
}

#[test]
fn stdin_filename_reads_standard_input_and_writes_the_result() {
    let directory = project(&[]);
    let mut child = binary()
        .current_dir(directory.path())
        .args(["apply", "--stdin-filename", "app/items.py"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ROUTER.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(
        text.starts_with("from typing import Annotated, Any\n"),
        "{text}"
    );
    assert!(text.contains("db: Annotated[Any, Depends(get_db)]"));
}

#[test]
fn list_and_explain() {
    let directory = project(&[]);
    let list = stdout(&run(directory.path(), &["list"]));
    let first = list.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("annotated-params ") && first.contains(" safe "),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|line| line.starts_with("dependency-aliases ")),
        "{list}"
    );
    let explain = run(directory.path(), &["explain", "annotated-params"]);
    assert!(stdout(&explain).starts_with("# annotated-params (safe)\n"));
    assert!(stdout(&explain).contains("Use instead:"));
    let unknown = run(directory.path(), &["explain", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn the_bundled_example_parses_after_apply_and_settles() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/blog_api");
    let directory = tempfile::tempdir().unwrap();
    common::copy_tree(&example, directory.path());
    let output = run(directory.path(), &["apply", "--allow-dirty"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        !stderr(&output).contains(" 0 changed"),
        "{}",
        stderr(&output)
    );
    let again = run(directory.path(), &["diff", "--exit-code"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "a second run would change: {}",
        stdout(&again)
    );
}

const DEPS: &str = "\
from sqlalchemy.orm import Session


def get_db():
    yield Session()
";

const USER_OF_DEPS: &str = "\
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.deps import get_db

router = APIRouter()


@router.get(\"/\")
def index(db: Session = Depends(get_db)):
    return db
";

#[test]
fn dependency_aliases_span_files_and_a_second_apply_changes_nothing() {
    let directory = committed_project(&[
        ("app/__init__.py", b""),
        ("app/deps.py", DEPS.as_bytes()),
        ("app/a.py", USER_OF_DEPS.as_bytes()),
        ("app/b.py", USER_OF_DEPS.as_bytes()),
    ]);
    let output = run(directory.path(), &["apply"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let deps = String::from_utf8(read(&directory, "app/deps.py")).unwrap();
    assert!(
        deps.ends_with("\n\n\nSessionDep = Annotated[Session, Depends(get_db)]\n"),
        "{deps}"
    );
    let user = String::from_utf8(read(&directory, "app/a.py")).unwrap();
    assert!(user.contains("from app.deps import SessionDep\n"), "{user}");
    assert!(user.contains("def index(db: SessionDep):"), "{user}");
    assert!(
        !user.contains("Session\n") && !user.contains("Depends"),
        "unused imports go: {user}"
    );

    git(directory.path(), &["commit", "-q", "-am", "apply"]);
    let again = run(directory.path(), &["apply"]);
    assert!(stderr(&again).contains("0 changed"), "{}", stderr(&again));
}

#[test]
fn an_alias_whose_module_cannot_be_written_takes_its_uses_with_it() {
    let directory = committed_project(&[
        ("app/__init__.py", b""),
        ("app/deps.py", DEPS.as_bytes()),
        ("app/a.py", USER_OF_DEPS.as_bytes()),
        ("app/b.py", USER_OF_DEPS.as_bytes()),
    ]);
    // deps.py has uncommitted changes: apply may not write it, so no module
    // may start importing an alias from it.
    let edited = format!("{DEPS}\n# work in progress\n");
    std::fs::write(directory.path().join("app/deps.py"), &edited).unwrap();
    let output = run(directory.path(), &["apply"]);
    let user = String::from_utf8(read(&directory, "app/a.py")).unwrap();
    assert!(!user.contains("SessionDep"), "{user}");
    assert!(
        user.contains("db: Annotated[Session, Depends(get_db)]"),
        "{user}"
    );
    assert_eq!(read(&directory, "app/deps.py"), edited.as_bytes());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn min_uses_is_read_from_the_configuration() {
    let directory = project(&[
        (
            "pyproject.toml",
            b"[tool.fastapi-codemod.dependency-aliases]\nmin-uses = 3\n",
        ),
        ("app/__init__.py", b""),
        ("app/deps.py", DEPS.as_bytes()),
        ("app/a.py", USER_OF_DEPS.as_bytes()),
        ("app/b.py", USER_OF_DEPS.as_bytes()),
    ]);
    let diff = stdout(&run(directory.path(), &["diff"]));
    assert!(
        diff.contains("Annotated[Session, Depends(get_db)]"),
        "{diff}"
    );
    assert!(!diff.contains("SessionDep"), "{diff}");
}

const ONE_USER_MODEL: &str = "\
from pydantic import BaseModel


class User(BaseModel):
    id: int | None = None
    email: str
    password: str | None = None
    hashed_password: str | None = None
";

const USER_ROUTES: &str = "\
from fastapi import APIRouter

from app.schemas import User

router = APIRouter()


@router.post(\"/users\", response_model=User)
def sign_up(user: User):
    return user
";

#[test]
fn a_split_lands_whole_and_a_second_apply_changes_nothing() {
    let directory = committed_project(&[
        ("app/__init__.py", b""),
        ("app/schemas.py", ONE_USER_MODEL.as_bytes()),
        ("app/routes.py", USER_ROUTES.as_bytes()),
    ]);
    let arguments = ["apply", "--select", "split-schemas", "--unsafe"];
    let output = run(directory.path(), &arguments);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let routes = String::from_utf8(read(&directory, "app/routes.py")).unwrap();
    assert!(
        routes.contains("from app.schemas import UserCreate, UserRead\n"),
        "{routes}"
    );
    assert!(
        routes.contains("def sign_up(user: UserCreate):"),
        "{routes}"
    );
    let schemas = String::from_utf8(read(&directory, "app/schemas.py")).unwrap();
    assert!(schemas.contains("class UserRead(BaseModel):"), "{schemas}");
    assert!(schemas.contains("\nUser = UserInDB  #"), "{schemas}");

    git(directory.path(), &["commit", "-q", "-am", "apply"]);
    let again = run(directory.path(), &arguments);
    assert!(stderr(&again).contains("0 changed"), "{}", stderr(&again));
}

#[test]
fn a_split_whose_model_cannot_be_written_leaves_its_uses_alone() {
    let directory = committed_project(&[
        ("app/__init__.py", b""),
        ("app/schemas.py", ONE_USER_MODEL.as_bytes()),
        ("app/routes.py", USER_ROUTES.as_bytes()),
    ]);
    // schemas.py has uncommitted changes: apply may not write it, so no
    // module may start importing `UserCreate` from it.
    let edited = format!("{ONE_USER_MODEL}\n# work in progress\n");
    std::fs::write(directory.path().join("app/schemas.py"), &edited).unwrap();
    let output = run(
        directory.path(),
        &["apply", "--select", "split-schemas", "--unsafe"],
    );
    assert_eq!(read(&directory, "app/routes.py"), USER_ROUTES.as_bytes());
    assert_eq!(read(&directory, "app/schemas.py"), edited.as_bytes());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn secret_fields_are_read_from_the_configuration() {
    let model = "\
from pydantic import BaseModel


class Patient(BaseModel):
    id: int | None = None
    name: str
    ssn: str
";
    let routes = "\
from fastapi import APIRouter

from app.schemas import Patient

router = APIRouter()


@router.get(\"/patients/{patient_id}\", response_model=Patient)
def read_patient(patient_id: int):
    return Patient(id=patient_id, name=\"n\", ssn=\"s\")
";
    let files: [(&str, &[u8]); 3] = [
        ("app/__init__.py", b""),
        ("app/schemas.py", model.as_bytes()),
        ("app/routes.py", routes.as_bytes()),
    ];
    // `ssn` is no secret by default: nothing to split.
    let plain = project(&files);
    let diff = stdout(&run(
        plain.path(),
        &["diff", "--select", "split-schemas", "--unsafe"],
    ));
    assert!(diff.is_empty(), "{diff}");

    let mut configured = files.to_vec();
    configured.push((
        "pyproject.toml",
        b"[tool.fastapi-codemod.split-schemas]\nsecret-fields = [\"ssn\"]\n",
    ));
    let directory = project(&configured);
    let diff = stdout(&run(
        directory.path(),
        &["diff", "--select", "split-schemas", "--unsafe"],
    ));
    assert!(diff.contains("+class PatientRead(BaseModel):"), "{diff}");
    assert!(diff.contains("response_model=PatientRead"), "{diff}");
}

const PACKAGE_DEPS: &str = "\
from sqlalchemy.orm import Session


def get_db():
    yield Session()
";

const PACKAGE_ROUTES: &str = "\
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.deps import get_db

router = APIRouter()


@router.get(\"/a\")
def a(db: Annotated[Session, Depends(get_db)]):
    return db


@router.get(\"/b\")
def b(db: Annotated[Session, Depends(get_db)]):
    return db
";

#[test]
fn each_package_of_a_monorepo_is_its_own_project() {
    // Two packages with the same module names: each is indexed on its own,
    // so each defines its own alias and imports it from itself. A module
    // called `setup.py` inside a package does not make a project of its own.
    let directory = project(&[
        (
            "packages/one/pyproject.toml",
            b"[project]\nname = \"one\"\n",
        ),
        ("packages/one/app/__init__.py", b""),
        ("packages/one/app/core/__init__.py", b""),
        ("packages/one/app/core/deps.py", PACKAGE_DEPS.as_bytes()),
        ("packages/one/app/core/setup.py", b"CONFIGURED = True\n"),
        (
            "packages/one/app/routes.py",
            PACKAGE_ROUTES
                .replace("app.deps", "app.core.deps")
                .as_bytes(),
        ),
        (
            "packages/two/pyproject.toml",
            b"[project]\nname = \"two\"\n",
        ),
        ("packages/two/app/__init__.py", b""),
        ("packages/two/app/deps.py", PACKAGE_DEPS.as_bytes()),
        ("packages/two/app/routes.py", PACKAGE_ROUTES.as_bytes()),
    ]);
    let output = run(
        directory.path(),
        &[
            "apply",
            "--allow-dirty",
            "--select",
            "dependency-aliases",
            "packages",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for (package, deps_module) in [("one", "app.core.deps"), ("two", "app.deps")] {
        let deps_path = format!("packages/{package}/{}.py", deps_module.replace('.', "/"));
        let deps = String::from_utf8(read(&directory, &deps_path)).unwrap();
        assert!(
            deps.contains("SessionDep = Annotated[Session, Depends(get_db)]"),
            "{package}: {deps}"
        );
        let routes = String::from_utf8(read(
            &directory,
            &format!("packages/{package}/app/routes.py"),
        ))
        .unwrap();
        assert!(
            routes.contains(&format!("from {deps_module} import SessionDep")),
            "{package}: {routes}"
        );
        assert!(
            routes.contains("def a(db: SessionDep):"),
            "{package}: {routes}"
        );
    }
}

#[test]
fn a_namespace_package_the_project_imports_through_names_its_modules() {
    // `api/` holds no `__init__.py`, but the code imports `api.v1.…`:
    // new imports must say `api.…` too, or the app no longer starts.
    let directory = committed_project(&[
        ("setup.py", b"from setuptools import setup\n\nsetup(name=\"shop\")\n"),
        ("main.py", b"from fastapi import FastAPI\n\nfrom api.v1.routes import router\n\napp = FastAPI()\napp.include_router(router)\n"),
        ("api/v1/__init__.py", b""),
        ("api/v1/schemas.py", b"from pydantic import BaseModel\n\n\nclass Item(BaseModel):\n    id: int\n"),
        (
            "api/v1/routes.py",
            b"from fastapi import APIRouter, HTTPException\n\nfrom api.v1.schemas import Item\n\nrouter = APIRouter()\n\n\n@router.get(\"/items/{item_id}\")\ndef read_item(item_id: int) -> Item:\n    if item_id != 1:\n        raise HTTPException(status_code=404, detail=\"Item not found\")\n    return Item(id=item_id)\n",
        ),
    ]);
    let output = run(
        directory.path(),
        &["apply", "--select", "domain-exceptions"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let routes = String::from_utf8(read(&directory, "api/v1/routes.py")).unwrap();
    assert!(
        routes.contains("from api.v1.exceptions import ItemNotFound\n"),
        "{routes}"
    );
    let exceptions = String::from_utf8(read(&directory, "api/v1/exceptions.py")).unwrap();
    assert!(
        exceptions.contains("class ItemNotFound(HTTPException):"),
        "{exceptions}"
    );
}

#[test]
fn secrets_are_listed_with_what_stays_and_why_and_apply_moves_them() {
    let config = b"from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n    api_token: str = \"tok-77f1e2d3c4b5\"\n\n\nsettings = Settings()\n";
    let auth = b"from app.config import settings\n\nSECRET_KEY = \"kept-out-of-git-4d3c\"\nTOKEN_PREFIX = \"pk_\"\nINVALID_PASSWORD = \"INVALID_PASSWORD\"\nSMTP_PASSWORD = \"\"\n";
    let directory = committed_project(&[
        ("pyproject.toml", b"[project]\nname = \"app\"\n"),
        ("app/__init__.py", b""),
        ("app/config.py", config),
        ("app/auth.py", auth),
        (".env", b"SECRET_KEY=the-deployed-one\n"),
    ]);
    // `check` reports each secret; the one `.env` holds another value for
    // stays, and says why. Nothing else is reported.
    let output = run(
        directory.path(),
        &["check", "--unsafe", "--select", "settings-from-env"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let findings = stdout(&output);
    assert!(
        findings.contains("app/auth.py:3:14 settings-from-env `SECRET_KEY` holds a secret, but it stays: `.env` sets `SECRET_KEY` already, to another value; it is not overwritten"),
        "{findings}"
    );
    assert!(
        findings.contains("app/config.py:5:22 settings-from-env move `api_token`"),
        "{findings}"
    );
    assert!(
        !findings.contains("TOKEN_PREFIX")
            && !findings.contains("INVALID_PASSWORD")
            && !findings.contains("SMTP_PASSWORD"),
        "{findings}"
    );

    // The moved value lands beside the kept one; `.gitignore` is created.
    let output = run(
        directory.path(),
        &["apply", "--unsafe", "--select", "settings-from-env"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        String::from_utf8(read(&directory, ".gitignore")).unwrap(),
        ".env\n"
    );
    assert_eq!(
        String::from_utf8(read(&directory, ".env")).unwrap(),
        "SECRET_KEY=the-deployed-one\nAPI_TOKEN=tok-77f1e2d3c4b5\n"
    );
    assert_eq!(read(&directory, "app/auth.py"), auth.to_vec());
    let config = String::from_utf8(read(&directory, "app/config.py")).unwrap();
    assert!(config.contains("    api_token: str\n"), "{config}");
    let again = run(
        directory.path(),
        &[
            "diff",
            "--unsafe",
            "--exit-code",
            "--select",
            "settings-from-env",
        ],
    );
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
}

#[test]
fn the_settings_transforms_are_listed_and_explained() {
    let directory = project(&[]);
    let list = stdout(&run(directory.path(), &["list"]));
    for (name, safety) in [
        ("settings-from-env", "unsafe"),
        ("cached-settings", "safe"),
        ("cors-credentials", "unsafe"),
    ] {
        assert!(
            list.lines()
                .any(|line| line.starts_with(&format!("{name} "))
                    && line.contains(&format!(" {safety} "))),
            "{list}"
        );
        let explain = stdout(&run(directory.path(), &["explain", name]));
        assert!(
            explain.starts_with(&format!("# {name} ({safety})\n"))
                && explain.contains("Use instead:"),
            "{explain}"
        );
    }
}

#[test]
fn annotated_dependencies_wait_for_a_fastapi_that_reads_them() {
    // FastAPI reads `Annotated[…, Depends(…)]` from 0.95 on: a project
    // that pins an older one keeps its defaults, and `check` says why.
    let route = b"from fastapi import Depends, FastAPI\n\napp = FastAPI()\n\n\ndef get_db():\n    return None\n\n\n@app.get(\"/a\")\ndef a(db=Depends(get_db)):\n    return {}\n\n\n@app.get(\"/b\")\ndef b(db=Depends(get_db)):\n    return {}\n";
    for (pin, fixed) in [("fastapi==0.68.0\n", false), ("fastapi>=0.110\n", true)] {
        let directory = project(&[("requirements.txt", pin.as_bytes()), ("app/main.py", route)]);
        let output = run(
            directory.path(),
            &["diff", "--select", "annotated-params,dependency-aliases"],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert_eq!(
            stdout(&output).contains("Annotated"),
            fixed,
            "{pin}: {}",
            stdout(&output)
        );
        let findings = stdout(&run(
            directory.path(),
            &["check", "--select", "annotated-params"],
        ));
        assert_eq!(
            findings.contains(
                "(not fixed: the project pins `fastapi==0.68.0`, and `Annotated` dependencies need 0.95)"
            ),
            !fixed,
            "{pin}: {findings}"
        );
    }
}

#[test]
fn a_file_named_twice_is_processed_once() {
    let directory = project(&[("app/items.py", ROUTER.as_bytes())]);
    let absolute = directory.path().join("app/items.py");
    let output = run(
        directory.path(),
        &[
            "check",
            "app",
            "app/items.py",
            "./app/items.py",
            absolute.to_str().unwrap(),
        ],
    );
    let findings = stdout(&output);
    let once = run(directory.path(), &["check", "app"]);
    assert_eq!(findings, stdout(&once), "{findings}");
    assert!(
        stderr(&output).starts_with("fastapi-codemod: 1 file scanned;"),
        "{}",
        stderr(&output)
    );
    let applied = run(
        directory.path(),
        &["apply", "--allow-dirty", "app", "./app/items.py"],
    );
    assert_eq!(applied.status.code(), Some(0), "{}", stderr(&applied));
}
