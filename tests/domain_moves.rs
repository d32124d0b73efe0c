//! `domain-layout` on a layered project, as its users run it: the project
//! (routers under `api/api_v1/endpoints/`, `crud/crud_user.py`, models
//! registered through `db/base.py`, an Alembic `env.py`, tests that
//! `mock.patch` by dotted path) moves to one package per domain inside a
//! git repository; its own tests pass the same afterwards, every import
//! resolves, ruff's pyflakes rules find nothing new, git sees renames, and
//! a second run changes nothing. A run killed between any two writes
//! leaves every import resolving (an old module and its new copy both
//! exist until the end, so an app that registers models globally may not
//! start part-way), and `apply` again finishes the move.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/domain-layout/full_stack")
}

const SELECT: [&str; 2] = ["--select", "domain-layout"];

/// Every import of the project's modules (`app`, `tests`, `alembic`),
/// resolved from the files alone without running anything (those under
/// `if TYPE_CHECKING:` too, with `alone`): the module exists, and a name imported
/// from it is a submodule or bound in it. With `alone` as second argument,
/// every module is also imported on its own in a fresh interpreter (an
/// import cycle through a layer's `__init__.py` shows whichever module
/// comes first). What does not resolve, one line each.
const RESOLVE: &str = r#"
import ast, importlib.util, pathlib, subprocess, sys

root = pathlib.Path(sys.argv[1])
alone = sys.argv[2] == "alone"
tops = {"app", "tests", "alembic"}

def file_of(module):
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None

def bound(path):
    names = set()
    def walk(body):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    names.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            names.add(name.id)
            elif isinstance(node, (ast.If, ast.Try)):
                walk(node.body)
                walk(getattr(node, "orelse", []))
                for handler in getattr(node, "handlers", []):
                    walk(handler.body)
    walk(ast.parse(path.read_text()).body)
    return names

def imports(tree):
    # Part-way through a move (not `alone`), imports that never run are
    # left out: two models that name each other for type checkers are a
    # cycle no order of writes can satisfy.
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        if not alone and isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))

failures = []
modules = []
for path in sorted(root.rglob("*.py")):
    relative = path.relative_to(root)
    if relative.parts[0] not in tops:
        continue
    parts = list(relative.with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    name = ".".join(parts)
    if relative.parts[0] != "alembic":
        modules.append(name)
    package = name if is_package else name.rpartition(".")[0]
    for node in imports(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            wanted = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module
            wanted = [(base, alias.name) for alias in node.names]
        else:
            continue
        for module, imported in wanted:
            if module.split(".")[0] not in tops:
                continue
            found = file_of(module)
            if found is None:
                failures.append(f"{relative}: no module {module}")
            elif imported not in (None, "*") and file_of(f"{module}.{imported}") is None and imported not in bound(found):
                failures.append(f"{relative}: {module} does not bind {imported}")
if alone:
    for name in modules:
        run = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=root, capture_output=True, text=True)
        if run.returncode != 0:
            failures.append(f"import {name} alone: {run.stderr.strip().splitlines()[-1]}")
print("\n".join(failures))
"#;

fn unresolved(python: &Path, directory: &Path, how: &str) -> String {
    let script = tempfile::tempdir().unwrap();
    common::run_script(
        python,
        script.path(),
        RESOLVE,
        &[directory.as_os_str(), std::ffi::OsStr::new(how)],
    )
}

/// Ruff's pyflakes diagnostics, by code (files move).
fn pyflakes(python: &Path, directory: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for ((_, code, _), count) in common::pyflakes(python, directory) {
        *counts.entry(code).or_default() += count;
    }
    counts
}

fn git(directory: &Path, arguments: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(directory)
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
        .args(arguments)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {arguments:?}");
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn codemod(directory: &Path, arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fastapi-codemod"))
        .current_dir(directory)
        .args(arguments)
        .output()
        .unwrap()
}

#[test]
fn a_layered_project_moves_to_domain_packages_and_passes_its_own_tests() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    common::copy_tree(&project(), directory.path());
    let root = directory.path();
    let passed_before = common::pytest_summary(&python, root);
    assert!(passed_before.starts_with("4 passed"), "{passed_before}");
    assert_eq!(unresolved(&python, root, "alone"), "\n");
    let flakes_before = pyflakes(&python, root);
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "layered"]);

    let output = codemod(root, &["apply", SELECT[0], SELECT[1], "."]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // One package per domain; what no domain owns stays.
    for domain in ["users", "items"] {
        for role in ["__init__", "router", "crud", "models", "schemas"] {
            let path = root.join(format!("app/{domain}/{role}.py"));
            assert!(path.exists(), "{} is missing", path.display());
        }
    }
    for gone in [
        "app/models/user.py",
        "app/api/api_v1/endpoints/users.py",
        "app/crud/crud_user.py",
        "app/schemas/user.py",
    ] {
        assert!(!root.join(gone).exists(), "{gone} is still there");
    }
    for kept in [
        "app/crud/base.py",
        "app/crud/__init__.py",
        "app/schemas/msg.py",
        "app/api/api_v1/endpoints/utils.py",
        "app/api/deps.py",
        "app/db/base.py",
    ] {
        assert!(root.join(kept).exists(), "{kept} is gone");
    }
    // The models' `__init__.py` imported every model: it still does, from
    // their new places.
    let models = std::fs::read_to_string(root.join("app/models/__init__.py")).unwrap();
    assert_eq!(
        models,
        "from ..items.models import Item\nfrom ..users.models import User\n"
    );
    let test = std::fs::read_to_string(root.join("tests/api/test_users.py")).unwrap();
    assert!(
        test.contains("mock.patch(\"app.users.crud.CRUDUser.get\""),
        "{test}"
    );
    // Nothing is lost: every function and class the old files defined is
    // defined after, moved or not.
    let definitions = |files: &BTreeMap<String, Vec<u8>>| -> Vec<String> {
        let mut found: Vec<String> = files
            .iter()
            .filter(|(path, _)| path.ends_with(".py"))
            .flat_map(|(_, bytes)| {
                String::from_utf8_lossy(bytes)
                    .lines()
                    .map(str::trim_end)
                    .filter(|line| line.starts_with("def ") || line.starts_with("class "))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        found.sort();
        found
    };
    assert_eq!(
        definitions(&common::project_files(root)),
        definitions(&common::project_files(&project()))
    );
    // Every import resolves, the same tests pass, pyflakes finds nothing new.
    assert_eq!(unresolved(&python, root, "alone"), "\n");
    assert_eq!(common::pytest_summary(&python, root), passed_before);
    let flakes_after = pyflakes(&python, root);
    for (code, count) in &flakes_after {
        assert!(
            flakes_before
                .get(code)
                .is_some_and(|before| count <= before),
            "new {code} diagnostics: {flakes_before:?} → {flakes_after:?}"
        );
    }
    // Git sees each move as a rename, with its history kept.
    git(root, &["add", "-A"]);
    let status = git(root, &["status", "--porcelain"]);
    for rename in [
        "R  app/api/api_v1/endpoints/users.py -> app/users/router.py",
        "R  app/crud/crud_user.py -> app/users/crud.py",
        "R  app/models/item.py -> app/items/models.py",
    ] {
        assert!(status.contains(rename), "{rename} not in:\n{status}");
    }
    git(root, &["commit", "-qm", "domains"]);
    // A second run changes nothing.
    let again = codemod(root, &["diff", "--exit-code", SELECT[0], SELECT[1], "."]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}

#[test]
fn a_move_killed_between_any_two_writes_is_finished_by_apply_again() {
    let python = common::python_with_fastapi();
    let old = common::project_files(&project());
    let finished = tempfile::tempdir().unwrap();
    common::copy_tree(&project(), finished.path());
    let apply = |directory: &Path| {
        let output = codemod(
            directory,
            &["apply", "--allow-dirty", SELECT[0], SELECT[1], "."],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    apply(finished.path());
    let new = common::project_files(finished.path());
    let writes = old
        .keys()
        .chain(new.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|path| old.get(*path) != new.get(*path))
        .count();
    assert!(writes > 20, "the move writes many files: {writes}");

    for stop_after in 0..writes {
        let directory = tempfile::tempdir().unwrap();
        common::copy_tree(&project(), directory.path());
        common::run_killed_after(
            directory.path(),
            &["apply", "--allow-dirty", SELECT[0], SELECT[1], "."],
            stop_after,
        );

        let mut now = common::project_files(directory.path());
        // The journal of the moves begun is there until they are finished.
        let journal = now.remove(".fastapi-codemod-moves");
        assert_eq!(
            journal.is_some(),
            stop_after < writes,
            "stopped after {stop_after} writes: the journal"
        );
        for (path, bytes) in &now {
            assert!(
                old.get(path) == Some(bytes) || new.get(path) == Some(bytes),
                "stopped after {stop_after} writes: {path} is neither old nor new"
            );
        }
        // Nothing is lost: what every old file defines is somewhere.
        assert!(
            old.keys()
                .all(|path| now.contains_key(path) || new.contains_key(path))
                || new
                    .keys()
                    .filter(|path| !old.contains_key(*path))
                    .all(|path| now.contains_key(path)),
            "stopped after {stop_after} writes: a module is neither where it was nor where it goes"
        );
        // Every import still resolves: importers not yet written import
        // the old places, which go last.
        assert_eq!(
            unresolved(&python, directory.path(), "static"),
            "\n",
            "stopped after {stop_after} writes"
        );
        apply(directory.path());
        let finished_now = common::project_files(directory.path());
        let differing: Vec<&String> = finished_now
            .keys()
            .chain(new.keys())
            .filter(|path| finished_now.get(*path) != new.get(*path))
            .collect();
        assert!(
            differing.is_empty(),
            "stopped after {stop_after} writes: running `apply` again does not finish the move: {differing:?}"
        );
    }
}

#[test]
fn a_run_over_part_of_the_project_moves_nothing_and_says_why() {
    let directory = tempfile::tempdir().unwrap();
    common::copy_tree(&project(), directory.path());
    let before = common::project_files(directory.path());
    let output = codemod(
        directory.path(),
        &["apply", "--allow-dirty", SELECT[0], SELECT[1], "app"],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(common::project_files(directory.path()), before);
    let check = codemod(directory.path(), &["check", SELECT[0], SELECT[1], "app"]);
    let found = String::from_utf8_lossy(&check.stdout);
    assert!(
        found.contains(
            "app/crud/crud_user.py:1:1 domain-layout stays: the run holds part of the project"
        ),
        "{found}"
    );
}
