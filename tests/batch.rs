//! Migrating a monorepo in one run: `--shard I/N`, the per-package
//! summary, the progress bar and colours on a terminal, SARIF and GitLab
//! output, and `apply --interactive`, each through the real binary in
//! temporary directories.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fastapi-codemod"));
    command.env_remove("NO_COLOR");
    command
}

fn run(directory: &Path, args: &[&str]) -> Output {
    binary()
        .current_dir(directory)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}):\n{}\n{}",
            text(&output.stdout),
            text(&output.stderr)
        )
    })
}

fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (name, contents) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

const BILLING_CONFIG: &str = "\
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    app_name: str = \"billing\"
    stripe_api_key: str = \"sk_live_51HqLyjWDarjtT1zdp7dc\"


settings = Settings()
";

const BILLING_DB: &str = "\
class Session:
    def get(self, key):
        return {\"id\": key} if key < 100 else None


def get_db():
    yield Session()
";

fn billing_router(name: &str, noun: &str) -> String {
    format!(
        "\
from fastapi import APIRouter, Depends, HTTPException

from billing.db import Session, get_db

router = APIRouter(prefix=\"/{name}\")


@router.get(\"/{{key}}\")
def read_{noun}(
    key: int,
    # the session of the request
    db: Session = Depends(get_db),
):
    found = db.get(key)
    if found is None:
        raise HTTPException(status_code=404, detail=\"{noun} not found\")
    return found


@router.delete(\"/{{key}}\")
def delete_{noun}(key: int, db: Session = Depends(get_db)):
    if db.get(key) is None:
        raise HTTPException(status_code=404, detail=\"{noun} not found\")
    return None
"
    )
}

const BILLING_MAIN: &str = "\
from fastapi import FastAPI

from billing.config import settings
from billing.routers import customers as customer_routes, invoices

app = FastAPI(title=settings.app_name)
app.include_router(invoices.router)
app.include_router(customer_routes.router)
";

/// A monorepo of four packages, each with its own `pyproject.toml` and
/// selection: two copies of the bundled example (one selecting only the
/// `Annotated` pair), a billing service with a secret, routers split
/// across files and aliased imports, and a library with nothing to fix.
/// Each package's importable module is returned with its directory.
fn monorepo() -> (TempDir, Vec<(&'static str, &'static str)>) {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/blog_api");
    common::copy_tree(&example, &root.join("services/blog"));
    common::copy_tree(&example, &root.join("services/blog-lite"));
    let lite = root.join("services/blog-lite/pyproject.toml");
    let configuration = std::fs::read_to_string(&lite).unwrap().replace(
        "[tool.fastapi-codemod]\n",
        "[tool.fastapi-codemod]\nselect = [\"annotated-params\", \"dependency-aliases\"]\n",
    );
    assert!(
        configuration.contains("select = "),
        "the example has its own table"
    );
    std::fs::write(&lite, configuration).unwrap();
    write_files(
        &root.join("services/billing"),
        &[
            (
                "pyproject.toml",
                "[project]\nname = \"billing\"\nversion = \"1.0\"\ndependencies = [\"fastapi\", \"pydantic-settings\"]\n\n[tool.fastapi-codemod]\nignore = [\"response-model\"]\n",
            ),
            ("billing/__init__.py", ""),
            ("billing/config.py", BILLING_CONFIG),
            ("billing/db.py", BILLING_DB),
            ("billing/routers/__init__.py", ""),
            (
                "billing/routers/invoices.py",
                &billing_router("invoices", "invoice"),
            ),
            (
                "billing/routers/customers.py",
                &billing_router("customers", "customer"),
            ),
            ("billing/main.py", BILLING_MAIN),
        ],
    );
    write_files(
        &root.join("libs/shared"),
        &[
            (
                "pyproject.toml",
                "[project]\nname = \"shared\"\nversion = \"1.0\"\n",
            ),
            (
                "shared/__init__.py",
                "from shared.text import slug\n\n__all__ = [\"slug\"]\n",
            ),
            (
                "shared/text.py",
                "def slug(text: str) -> str:\n    return text.lower().replace(\" \", \"-\")\n",
            ),
        ],
    );
    let modules = vec![
        ("services/blog", "app.main"),
        ("services/blog-lite", "app.main"),
        ("services/billing", "billing.main"),
        ("libs/shared", "shared"),
    ];
    (directory, modules)
}

/// The files of a JSON document, by path.
fn files_by_path(document: &Value) -> BTreeMap<String, Value> {
    document["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| (file["path"].as_str().unwrap().to_string(), file.clone()))
        .collect()
}

fn add_counts(into: &mut BTreeMap<String, u64>, counts: &Value) {
    for (name, count) in counts.as_object().unwrap() {
        *into.entry(name.clone()).or_default() += count.as_u64().unwrap();
    }
}

#[test]
fn shards_together_are_the_unsharded_run() {
    let (repo, _) = monorepo();
    let whole = json(&run(
        repo.path(),
        &["diff", "--unsafe", "--format", "json", "."],
    ));
    let whole_files = files_by_path(&whole);
    assert!(whole_files.len() > 10, "{whole_files:?}");
    let mut split_somewhere = false;
    for count in [2, 3, 5] {
        let mut seen: BTreeMap<String, Value> = BTreeMap::new();
        let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
        let mut fixes: BTreeMap<String, u64> = BTreeMap::new();
        let mut shards_with_changes = 0;
        for index in 1..=count {
            let shard = format!("{index}/{count}");
            let part = json(&run(
                repo.path(),
                &[
                    "diff", "--unsafe", "--format", "json", "--shard", &shard, ".",
                ],
            ));
            for (path, file) in files_by_path(&part) {
                assert!(
                    seen.insert(path.clone(), file).is_none(),
                    "{path} is in two shards"
                );
            }
            for total in ["files_scanned", "files_changed", "findings", "errors"] {
                *totals.entry(total).or_default() += part["totals"][total].as_u64().unwrap();
            }
            add_counts(&mut fixes, &part["totals"]["fixes"]);
            if part["totals"]["files_changed"].as_u64().unwrap() > 0 {
                shards_with_changes += 1;
            }
        }
        assert_eq!(seen, whole_files, "{count} shards");
        for (total, sum) in &totals {
            assert_eq!(
                *sum,
                whole["totals"][total].as_u64().unwrap(),
                "{total}, {count} shards"
            );
        }
        let mut whole_fixes = BTreeMap::new();
        add_counts(&mut whole_fixes, &whole["totals"]["fixes"]);
        assert_eq!(fixes, whole_fixes, "{count} shards");
        split_somewhere |= shards_with_changes > 1;
    }
    assert!(
        split_somewhere,
        "no shard count spread the changes over shards"
    );
}

#[test]
fn each_shard_applies_whole_changes_and_together_they_are_one_apply() {
    let (repo, modules) = monorepo();
    let python = common::python_with_fastapi();
    let pristine = common::project_files(repo.path());
    let applied = tempfile::tempdir().unwrap();
    common::copy_tree(repo.path(), applied.path());
    let output = run(applied.path(), &["apply", "--allow-dirty", "--unsafe", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let expected = common::project_files(applied.path());

    let count = 3;
    let merged = tempfile::tempdir().unwrap();
    common::copy_tree(repo.path(), merged.path());
    let mut written_by: BTreeMap<String, usize> = BTreeMap::new();
    for index in 1..=count {
        let shard = tempfile::tempdir().unwrap();
        common::copy_tree(repo.path(), shard.path());
        let output = run(
            shard.path(),
            &[
                "apply",
                "--allow-dirty",
                "--unsafe",
                "--shard",
                &format!("{index}/{count}"),
                ".",
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        // A shard never writes half of a change that spans files: every
        // package still imports.
        for (package, module) in &modules {
            let imported = Command::new(&python)
                .current_dir(shard.path().join(package))
                .args(["-c", &format!("import {module}")])
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .env("STRIPE_API_KEY", "sk_test_for_the_import")
                .env("DATABASE_URL", "sqlite://")
                .output()
                .unwrap();
            assert!(
                imported.status.success(),
                "shard {index}/{count}: {package} does not import:\n{}",
                text(&imported.stderr)
            );
        }
        for (name, contents) in common::project_files(shard.path()) {
            if pristine.get(&name) != Some(&contents) {
                if let Some(other) = written_by.insert(name.clone(), index) {
                    panic!("{name} written by shards {other} and {index}");
                }
                let path = merged.path().join(&name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, contents).unwrap();
            }
        }
    }
    let writers: std::collections::BTreeSet<usize> = written_by.values().copied().collect();
    assert!(
        writers.len() > 1,
        "the shards split the run: {written_by:?}"
    );
    assert_eq!(common::project_files(merged.path()), expected);
}

#[test]
fn the_summary_has_one_row_per_package_and_json_the_same_totals() {
    let (repo, _) = monorepo();
    let output = run(repo.path(), &["diff", "--unsafe", "--color", "never", "."]);
    let stderr = text(&output.stderr);
    let document = json(&run(
        repo.path(),
        &["diff", "--unsafe", "--format", "json", "."],
    ));
    let packages = document["packages"].as_object().unwrap();
    let names: Vec<&str> = packages.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "libs/shared",
            "services/billing",
            "services/blog",
            "services/blog-lite"
        ]
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines[0].starts_with("package "), "{stderr}");
    assert!(
        lines[0].contains("files") && lines[0].contains("would change"),
        "{stderr}"
    );
    assert!(
        lines[0].contains("findings left") && lines[0].ends_with("fixes"),
        "{stderr}"
    );
    let mut sums = [0u64; 4];
    for (name, totals) in packages {
        let row = lines
            .iter()
            .find(|line| line.split_whitespace().next() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("no row for {name}:\n{stderr}"));
        let cells: Vec<&str> = row.split_whitespace().collect();
        let numbers: Vec<u64> = cells[1..5]
            .iter()
            .map(|cell| cell.parse().unwrap())
            .collect();
        let expected: Vec<u64> = ["files_scanned", "files_changed", "findings_left", "errors"]
            .iter()
            .map(|key| totals[key].as_u64().unwrap())
            .collect();
        assert_eq!(numbers, expected, "{name}:\n{stderr}");
        for (sum, number) in sums.iter_mut().zip(&numbers) {
            *sum += number;
        }
        for (transform, count) in totals["fixes"].as_object().unwrap() {
            assert!(row.contains(&format!("{transform} {count}")), "{row}");
        }
    }
    // The selections differ by package: blog-lite runs only its two.
    let lite = packages["services/blog-lite"]["fixes"].as_object().unwrap();
    assert!(
        lite.keys()
            .all(|name| name == "annotated-params" || name == "dependency-aliases"),
        "{lite:?}"
    );
    assert!(
        packages["services/blog"]["fixes"]["domain-exceptions"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(packages["libs/shared"]["files_changed"], 0);
    let total = lines.last().unwrap();
    assert!(total.starts_with("total (4 packages)"), "{stderr}");
    assert_eq!(
        sums[0],
        document["totals"]["files_scanned"].as_u64().unwrap()
    );
    assert_eq!(
        sums[1],
        document["totals"]["files_changed"].as_u64().unwrap()
    );
    assert!(total.contains(&format!(" {} ", sums[0])), "{total}");

    // One package keeps the one-line summary.
    let one = run(
        &repo.path().join("services/billing"),
        &["diff", "--unsafe", "."],
    );
    let summary = text(&one.stderr);
    assert!(
        summary.starts_with("fastapi-codemod: 7 files scanned;"),
        "{summary}"
    );
    assert_eq!(summary.lines().count(), 1, "{summary}");
    // And `--quiet` prints none.
    let quiet = run(repo.path(), &["diff", "--quiet", "."]);
    assert_eq!(text(&quiet.stderr), "");
}

#[test]
fn sarif_is_a_sarif_log_with_a_rule_per_transform_and_fixes_as_replacements() {
    let (repo, _) = monorepo();
    let billing = repo.path().join("services/billing");
    let output = run(&billing, &["check", "--format", "sarif", "."]);
    assert_eq!(output.status.code(), Some(1), "findings exit 1");
    let log = json(&output);
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "fastapi-codemod");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let listed = run(repo.path(), &["list", "--format", "json"]);
    let transforms: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), transforms.len(), "one rule per transform");
    for (rule, transform) in rules.iter().zip(&transforms) {
        assert_eq!(rule["id"], transform["name"]);
        assert_eq!(rule["shortDescription"]["text"], transform["summary"]);
        let help = rule["help"]["text"].as_str().unwrap();
        let explained = run(
            repo.path(),
            &["explain", transform["name"].as_str().unwrap()],
        );
        assert_eq!(
            help,
            text(&explained.stdout),
            "the help is the documentation"
        );
    }
    let results = runs[0]["results"].as_array().unwrap();
    let checked = run(&billing, &["check", "--color", "never", "."]);
    assert_eq!(
        results.len(),
        text(&checked.stdout).lines().count(),
        "one result per finding"
    );
    let mut with_fixes = 0;
    for result in results {
        let rule = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[rule]["id"], result["ruleId"]);
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(billing.join(uri).is_file(), "{uri}");
        let line = location["region"]["startLine"].as_u64().unwrap();
        let column = location["region"]["startColumn"].as_u64().unwrap();
        let shown = format!(
            "{uri}:{line}:{column} {} {}",
            result["ruleId"].as_str().unwrap(),
            result["message"]["text"].as_str().unwrap()
        );
        assert!(
            text(&checked.stdout).lines().any(|line| line == shown),
            "{shown}"
        );
        if let Some(fixes) = result["fixes"].as_array() {
            with_fixes += 1;
            let change = &fixes[0]["artifactChanges"][0];
            assert_eq!(change["artifactLocation"]["uri"], uri);
            for replacement in change["replacements"].as_array().unwrap() {
                let region = &replacement["deletedRegion"];
                for key in ["startLine", "startColumn", "endLine", "endColumn"] {
                    assert!(region[key].as_u64().unwrap() >= 1, "{region}");
                }
                assert!(replacement["insertedContent"]["text"].is_string());
            }
        }
    }
    assert!(with_fixes > 0);
}

/// Applies SARIF replacements (one-based lines, character columns) to a text.
fn replace_regions(text: &str, replacements: &[Value]) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let offset = |line: u64, column: u64| -> usize {
        let start: usize = lines[..line as usize - 1]
            .iter()
            .map(|line| line.len())
            .sum();
        let within: usize = lines
            .get(line as usize - 1)
            .map(|line| {
                line.chars()
                    .take(column as usize - 1)
                    .map(char::len_utf8)
                    .sum()
            })
            .unwrap_or(0);
        start + within
    };
    let mut edits: Vec<(usize, usize, &str)> = replacements
        .iter()
        .map(|replacement| {
            let region = &replacement["deletedRegion"];
            let at = |line: &str, column: &str| {
                offset(
                    region[line].as_u64().unwrap(),
                    region[column].as_u64().unwrap(),
                )
            };
            (
                at("startLine", "startColumn"),
                at("endLine", "endColumn"),
                replacement["insertedContent"]["text"].as_str().unwrap(),
            )
        })
        .collect();
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.0));
    let mut result = text.to_string();
    for (start, end, inserted) in edits {
        result.replace_range(start..end, inserted);
    }
    result
}

#[test]
fn a_sarif_fix_applied_gives_what_apply_writes() {
    // One finding with a fix, with a non-ASCII comment before it on its line.
    let source = "from fastapi import APIRouter, Query\n\nrouter = APIRouter()\n\n\n@router.get(\"/items\")  # « liste »\ndef list_items(q: str = Query(None), *, limit: int = Query(10)):  # é\n    return [q, limit]\n";
    let directory = tempfile::tempdir().unwrap();
    write_files(directory.path(), &[("items.py", source)]);
    let output = run(
        directory.path(),
        &[
            "check",
            "--select",
            "annotated-params",
            "--format",
            "sarif",
            "items.py",
        ],
    );
    let log = json(&output);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{log}");
    let replacements = results[0]["fixes"][0]["artifactChanges"][0]["replacements"]
        .as_array()
        .unwrap();
    let fixed = replace_regions(source, replacements);
    let applied = run(
        directory.path(),
        &[
            "apply",
            "--allow-dirty",
            "--select",
            "annotated-params",
            "items.py",
        ],
    );
    assert_eq!(applied.status.code(), Some(0));
    assert_eq!(
        fixed,
        std::fs::read_to_string(directory.path().join("items.py")).unwrap()
    );
}

#[test]
fn gitlab_code_quality_has_one_issue_per_finding_with_unique_fingerprints() {
    let (repo, _) = monorepo();
    let billing = repo.path().join("services/billing");
    let output = run(&billing, &["check", "--format", "gitlab", "."]);
    let issues = json(&output);
    let issues = issues.as_array().unwrap();
    let checked = run(&billing, &["check", "--color", "never", "."]);
    assert_eq!(issues.len(), text(&checked.stdout).lines().count());
    let mut fingerprints = std::collections::HashSet::new();
    for issue in issues {
        assert!(!issue["description"].as_str().unwrap().is_empty());
        assert!(issue["check_name"].is_string());
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap())
        );
        let path = issue["location"]["path"].as_str().unwrap();
        assert!(billing.join(path).is_file(), "{path}");
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert!(
            fingerprints.insert(issue["fingerprint"].as_str().unwrap().to_string()),
            "{issue}"
        );
    }
    // Stable: a line added above a finding keeps its fingerprint.
    let path = billing.join("billing/routers/invoices.py");
    let before = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("# a new first line\n{before}")).unwrap();
    let moved = json(&run(&billing, &["check", "--format", "gitlab", "."]));
    let moved: std::collections::HashSet<String> = moved
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| issue["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(moved, fingerprints);
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let (repo, _) = monorepo();
    let billing = repo.path().join("services/billing");
    let always = run(&billing, &["diff", "--color", "always", "."]);
    assert!(text(&always.stdout).contains("\x1b[32m+"), "coloured diff");
    let findings = run(&billing, &["check", "--color", "always", "."]);
    assert!(
        text(&findings.stdout).contains("\x1b[1m"),
        "coloured findings"
    );
    for args in [&["diff", "--color", "never", "."][..], &["diff", "."][..]] {
        let plain = run(&billing, args);
        assert!(!text(&plain.stdout).contains('\x1b'), "{args:?}");
    }
    let invalid = run(&billing, &["diff", "--color", "sometimes", "."]);
    assert_eq!(invalid.status.code(), Some(2));
}

/// Runs the binary on a pseudo-terminal (stdin, stdout and stderr all on
/// it), as a person at a terminal does, and returns everything it printed.
fn on_a_terminal(directory: &Path, args: &[&str], environment: &[(&str, &str)]) -> String {
    let python = common::python_with_fastapi();
    let script = r#"
import json, os, pty, sys
arguments, environment = json.loads(sys.argv[1]), json.loads(sys.argv[2])
env = dict(os.environ)
env.pop("NO_COLOR", None)
env.update(environment)
pid, fd = pty.fork()
if pid == 0:
    os.execve(arguments[0], arguments, env)
chunks = []
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    chunks.append(chunk)
os.waitpid(pid, 0)
sys.stdout.buffer.write(b"".join(chunks))
"#;
    let mut arguments = vec![env!("CARGO_BIN_EXE_fastapi-codemod").to_string()];
    arguments.extend(args.iter().map(|arg| arg.to_string()));
    let environment: BTreeMap<&str, &str> = environment.iter().copied().collect();
    let output = Command::new(python)
        .current_dir(directory)
        .args(["-c", script])
        .arg(serde_json::to_string(&arguments).unwrap())
        .arg(serde_json::to_string(&environment).unwrap())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[test]
fn a_terminal_gets_a_progress_bar_and_colours_unless_told_otherwise() {
    let (repo, _) = monorepo();
    let now = [("FASTAPI_CODEMOD_PROGRESS_DELAY_MS", "0")];
    let shown = on_a_terminal(repo.path(), &["diff", "."], &now);
    assert!(shown.contains(" files/s "), "a progress bar:\n{shown}");
    assert!(
        shown.contains("/65 files ["),
        "out of every file of the run:\n{shown}"
    );
    assert!(shown.contains("\x1b[32m+"), "a coloured diff");
    assert!(
        shown.contains("total (4 packages)"),
        "the summary after the bar"
    );
    for args in [
        &["diff", "--quiet", "."][..],
        &["diff", "--format", "json", "."][..],
        &["check", "--format", "github", "."][..],
        &["check", "--format", "sarif", "."][..],
    ] {
        let shown = on_a_terminal(repo.path(), args, &now);
        assert!(!shown.contains(" files/s "), "{args:?}:\n{shown}");
    }
    // A run shorter than a moment draws none.
    let quick = on_a_terminal(repo.path(), &["diff", "libs"], &[]);
    assert!(!quick.contains(" files/s "), "{quick}");
    let plain = on_a_terminal(repo.path(), &["diff", "--quiet", "."], &[("NO_COLOR", "1")]);
    assert!(!plain.contains('\x1b'), "NO_COLOR:\n{plain}");
}

const THREE_ROUTES: &str = "\
from fastapi import APIRouter, Query

router = APIRouter()


@router.get(\"/a\")
def first(q: str = Query(None)):
    return q


@router.get(\"/b\")
def second(r: str = Query(None)):
    return r


@router.get(\"/c\")
def third(s: str = Query(None)):
    return s
";

/// Starts `apply --interactive ARGS` in `directory`, its three streams piped.
fn spawn_review(directory: &Path, args: &[&str]) -> std::process::Child {
    binary()
        .current_dir(directory)
        .args([
            "apply",
            "--interactive",
            "--allow-dirty",
            "--color",
            "never",
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `apply --interactive ARGS` in `directory` with `answers` on stdin.
fn review(directory: &Path, args: &[&str], answers: &str) -> Output {
    use std::io::Write;
    let mut child = spawn_review(directory, args);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answers.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn interactive_review_writes_exactly_what_was_accepted() {
    let directory = tempfile::tempdir().unwrap();
    write_files(directory.path(), &[("routes.py", THREE_ROUTES)]);
    let output = review(
        directory.path(),
        &["--select", "annotated-params", "."],
        "y\nn\nq\n",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let shown = text(&output.stdout);
    assert_eq!(
        shown
            .matches("Apply this fix? [y]es / [n]o / [a]ll of this transform / [q]uit")
            .count(),
        3,
        "{shown}"
    );
    // Each question shows the transform, the place, the message and the hunk.
    assert!(
        shown
            .contains("annotated-params routes.py:7\nuse `Annotated[…, Query(…)]` for `q`\n@@ -1,"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "-def first(q: str = Query(None)):\n+def first(q: Annotated[str, Query()] = None):"
        ),
        "{shown}"
    );
    let expected = THREE_ROUTES
        .replace(
            "from fastapi",
            "from typing import Annotated\n\nfrom fastapi",
        )
        .replace(
            "def first(q: str = Query(None)):",
            "def first(q: Annotated[str, Query()] = None):",
        );
    assert_eq!(
        std::fs::read_to_string(directory.path().join("routes.py")).unwrap(),
        expected
    );

    // `a` takes every fix of the transform without asking again.
    let directory = tempfile::tempdir().unwrap();
    write_files(directory.path(), &[("routes.py", THREE_ROUTES)]);
    let output = review(
        directory.path(),
        &["--select", "annotated-params", "."],
        "n\na\n",
    );
    let shown = text(&output.stdout);
    assert_eq!(shown.matches("Apply this fix?").count(), 2, "{shown}");
    let written = std::fs::read_to_string(directory.path().join("routes.py")).unwrap();
    assert!(
        written.contains("def first(q: str = Query(None)):"),
        "{written}"
    );
    assert!(
        written.contains("def second(r: Annotated[str, Query()] = None):"),
        "{written}"
    );
    assert!(
        written.contains("def third(s: Annotated[str, Query()] = None):"),
        "{written}"
    );

    // The end of the input is `quit`: nothing undecided is written.
    let directory = tempfile::tempdir().unwrap();
    write_files(directory.path(), &[("routes.py", THREE_ROUTES)]);
    let output = review(directory.path(), &["--select", "annotated-params", "."], "");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(directory.path().join("routes.py")).unwrap(),
        THREE_ROUTES
    );
}

#[test]
fn a_cross_file_alias_is_asked_as_one_with_its_uses() {
    let files: Vec<(String, String)> = vec![
        (
            "pyproject.toml".into(),
            "[project]\nname = \"billing\"\nversion = \"1.0\"\ndependencies = [\"fastapi\"]\n"
                .into(),
        ),
        ("billing/__init__.py".into(), String::new()),
        ("billing/db.py".into(), BILLING_DB.into()),
        ("billing/routers/__init__.py".into(), String::new()),
        (
            "billing/routers/invoices.py".into(),
            billing_router("invoices", "invoice"),
        ),
        (
            "billing/routers/customers.py".into(),
            billing_router("customers", "customer"),
        ),
    ];
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let select = ["--select", "annotated-params,dependency-aliases", "."];
    let apply_with = |directory: &Path, selection: &str| {
        let output = run(
            directory,
            &["apply", "--allow-dirty", "--select", selection, "."],
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        common::project_files(directory)
    };
    let annotated_only = tempfile::tempdir().unwrap();
    write_files(annotated_only.path(), &borrowed);
    let annotated_only = apply_with(annotated_only.path(), "annotated-params");
    let both = tempfile::tempdir().unwrap();
    write_files(both.path(), &borrowed);
    let both = apply_with(both.path(), "annotated-params,dependency-aliases");
    assert_ne!(annotated_only, both);

    // `a` takes `Annotated` everywhere; then the alias comes as one
    // question: its definition in `db.py` with its uses in both routers.
    let declined = tempfile::tempdir().unwrap();
    write_files(declined.path(), &borrowed);
    let output = review(declined.path(), &select, "a\nn\n");
    let shown = text(&output.stdout);
    assert_eq!(shown.matches("Apply this fix?").count(), 1, "{shown}");
    assert_eq!(
        shown.matches("Apply these 3 changes together?").count(),
        1,
        "{shown}"
    );
    let group = &shown[shown
        .find("dependency-aliases billing/db.py:")
        .expect("the definition is shown")..];
    assert!(
        group.contains("+SessionDep = Annotated[Session, Depends(get_db)]"),
        "{shown}"
    );
    assert!(
        group.contains("dependency-aliases billing/routers/customers.py:"),
        "{shown}"
    );
    assert!(
        group.contains("dependency-aliases billing/routers/invoices.py:"),
        "{shown}"
    );
    assert!(group.contains("+    db: SessionDep,"), "{shown}");
    assert_eq!(
        common::project_files(declined.path()),
        annotated_only,
        "declined: no alias anywhere"
    );

    let accepted = tempfile::tempdir().unwrap();
    write_files(accepted.path(), &borrowed);
    let output = review(accepted.path(), &select, "a\ny\n");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        common::project_files(accepted.path()),
        both,
        "accepted: what apply writes"
    );
}

#[test]
fn a_secret_is_asked_as_one_with_the_files_it_goes_to() {
    let files = [
        (
            "pyproject.toml",
            "[project]\nname = \"billing\"\nversion = \"1.0\"\ndependencies = [\"fastapi\", \"pydantic-settings\"]\n",
        ),
        ("billing/__init__.py", ""),
        ("billing/config.py", BILLING_CONFIG),
    ];
    let select = ["--unsafe", "--select", "settings-from-env", "."];
    let declined = tempfile::tempdir().unwrap();
    write_files(declined.path(), &files);
    let before = common::project_files(declined.path());
    let output = review(declined.path(), &select, "n\n");
    let shown = text(&output.stdout);
    assert_eq!(
        shown.matches("Apply these 4 changes together?").count(),
        1,
        "{shown}"
    );
    for part in [
        "settings-from-env billing/config.py:",
        "-    stripe_api_key: str = \"sk_live_51HqLyjWDarjtT1zdp7dc\"",
        "settings-from-env create .env\n",
        "+STRIPE_API_KEY=sk_live_51HqLyjWDarjtT1zdp7dc",
        "settings-from-env create .gitignore",
        "settings-from-env create .env.example",
    ] {
        assert!(shown.contains(part), "{part}:\n{shown}");
    }
    assert_eq!(
        common::project_files(declined.path()),
        before,
        "declined: no .env either"
    );

    let accepted = tempfile::tempdir().unwrap();
    write_files(accepted.path(), &files);
    let output = review(accepted.path(), &select, "y\n");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let applied = tempfile::tempdir().unwrap();
    write_files(applied.path(), &files);
    let output = run(
        applied.path(),
        &[
            "apply",
            "--allow-dirty",
            "--unsafe",
            "--select",
            "settings-from-env",
            ".",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        common::project_files(accepted.path()),
        common::project_files(applied.path())
    );
    assert!(accepted.path().join(".env").is_file());
}

#[test]
fn interactive_needs_text_output_and_files() {
    let directory = tempfile::tempdir().unwrap();
    write_files(directory.path(), &[("routes.py", THREE_ROUTES)]);
    let output = review(directory.path(), &["--format", "json", "."], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("--interactive"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn apply_can_fail_when_it_changed_files_as_pre_commit_wants() {
    let directory = tempfile::tempdir().unwrap();
    write_files(directory.path(), &[("routes.py", THREE_ROUTES)]);
    let args = [
        "apply",
        "--allow-dirty",
        "--exit-non-zero-on-fix",
        "--select",
        "annotated-params",
        ".",
    ];
    assert_eq!(run(directory.path(), &args).status.code(), Some(1));
    assert_eq!(
        run(directory.path(), &args).status.code(),
        Some(0),
        "nothing left to change"
    );
}

#[test]
fn a_shard_is_one_of_n() {
    let directory = tempfile::tempdir().unwrap();
    write_files(directory.path(), &[("routes.py", THREE_ROUTES)]);
    for shard in ["0/3", "4/3", "1/0", "a/b", "2", "1/2/3"] {
        let output = run(directory.path(), &["diff", "--shard", shard, "."]);
        assert_eq!(output.status.code(), Some(2), "{shard}");
        assert!(
            text(&output.stderr).contains("expected I/N"),
            "{shard}: {}",
            text(&output.stderr)
        );
    }
    let one = run(
        directory.path(),
        &["diff", "--shard", "1/1", "--color", "never", "."],
    );
    let whole = run(directory.path(), &["diff", "--color", "never", "."]);
    assert_eq!(
        one.stdout, whole.stdout,
        "one shard of one is the whole run"
    );
}

const TWO_SLEEPERS: &str = "\
import asyncio
import time

from fastapi import FastAPI

app = FastAPI()


@app.get(\"/a\")
async def a():
    await asyncio.sleep(0)
    time.sleep(1)
    return {}


@app.get(\"/b\")
async def b():
    await asyncio.sleep(0)
    time.sleep(1)
    return {}
";

#[test]
fn of_two_identical_fixes_the_declined_one_stays_and_the_accepted_one_lands() {
    let directory = tempfile::tempdir().unwrap();
    write_files(directory.path(), &[("main.py", TWO_SLEEPERS)]);
    let output = review(
        directory.path(),
        &["--select", "blocking-in-async", "."],
        "n\ny\n",
    );
    let shown = text(&output.stdout);
    assert_eq!(shown.matches("Apply this fix?").count(), 2, "{shown}");
    let written = std::fs::read_to_string(directory.path().join("main.py")).unwrap();
    let (first, second) = written.split_once("async def b").unwrap();
    assert!(first.contains("    time.sleep(1)\n"), "{written}");
    assert!(second.contains("    await asyncio.sleep(1)\n"), "{written}");
}

#[test]
fn a_group_part_of_which_no_longer_applies_is_not_made_at_all() {
    let files = [
        (
            "pyproject.toml",
            "[project]\nname = \"p\"\nversion = \"1\"\ndependencies = [\"fastapi\"]\n",
        ),
        ("app/__init__.py", ""),
        (
            "app/deps.py",
            "class Session:\n    pass\n\n\ndef get_db():\n    yield Session()\n",
        ),
        (
            "app/routes.py",
            "from fastapi import APIRouter, Depends\n\nfrom app.deps import Session, get_db\n\nrouter = APIRouter()\n\n\n@router.get(\"/a\")\ndef ra(db: Session = Depends(get_db)):\n    return {}\n\n\n@router.get(\"/b\")\ndef rb(db: Session = Depends(get_db)):\n    return {}\n",
        ),
    ];
    let directory = tempfile::tempdir().unwrap();
    write_files(directory.path(), &files);
    // `Annotated` declined for `ra`, accepted for `rb`, then the alias
    // (shown as it would be with both) accepted: its use in `ra` cannot be
    // made, so neither is its definition.
    let output = review(directory.path(), &[], "n\ny\ny\n");
    let shown = text(&output.stdout);
    assert!(shown.contains("Apply these 2 changes together?"), "{shown}");
    assert!(
        shown.contains("not applied, though accepted together: define `SessionDep`"),
        "{shown}"
    );
    assert_eq!(
        std::fs::read_to_string(directory.path().join("app/deps.py")).unwrap(),
        files[2].1,
        "no alias nobody uses"
    );
    let routes = std::fs::read_to_string(directory.path().join("app/routes.py")).unwrap();
    assert!(
        routes.contains("def ra(db: Session = Depends(get_db)):"),
        "{routes}"
    );
    assert!(
        routes.contains("def rb(db: Annotated[Session, Depends(get_db)]):"),
        "{routes}"
    );
}

#[test]
fn a_shard_asks_only_about_what_it_writes_and_check_lists_no_changes() {
    let (repo, _) = monorepo();
    let sharded = tempfile::tempdir().unwrap();
    common::copy_tree(repo.path(), sharded.path());
    let output = run(
        sharded.path(),
        &["apply", "--allow-dirty", "--unsafe", "--shard", "1/3", "."],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let pristine = common::project_files(repo.path());
    let written: std::collections::BTreeSet<String> = common::project_files(sharded.path())
        .into_iter()
        .filter(|(name, contents)| pristine.get(name) != Some(contents))
        .map(|(name, _)| name)
        .collect();
    assert!(!written.is_empty());
    let reviewed = tempfile::tempdir().unwrap();
    common::copy_tree(repo.path(), reviewed.path());
    let answers = "a\n".repeat(200);
    let output = review(
        reviewed.path(),
        &["--unsafe", "--shard", "1/3", "."],
        &answers,
    );
    let shown = text(&output.stdout);
    let listed = run(repo.path(), &["list", "--format", "json"]);
    let transforms: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let names: Vec<&str> = transforms
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // Question headers: `TRANSFORM PATH:LINE`, or `TRANSFORM create PATH`.
    let mut asked = 0;
    for line in shown.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 2 || !names.contains(&words[0]) {
            continue;
        }
        let path = match words[1] {
            "create" | "edit" | "move" => words[2],
            place => place.split(':').next().unwrap(),
        };
        asked += 1;
        assert!(
            written.contains(path),
            "asked about {path}, which shard 1/3 does not write:\n{shown}"
        );
    }
    assert!(asked > 0, "{shown}");
    assert_eq!(
        common::project_files(reviewed.path()),
        common::project_files(sharded.path()),
        "accepting all of shard 1/3 writes what the shard writes"
    );

    let checked = json(&run(
        repo.path(),
        &["check", "--unsafe", "--format", "json", "."],
    ));
    assert_eq!(checked["totals"]["files_changed"], 0, "{checked}");
    assert!(
        checked["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|file| file.get("change").is_none())
    );
}

/// Runs `apply --interactive ARGS` in `directory`, answering each question
/// with what `policy` says of the text shown for it; returns the question
/// texts and the run's output.
fn review_with(
    directory: &Path,
    args: &[&str],
    mut policy: impl FnMut(&str) -> &'static str,
) -> (Vec<String>, Output) {
    use std::io::{Read, Write};
    let mut child = spawn_review(directory, args);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut questions = Vec::new();
    let mut shown = String::new();
    let mut buffer = [0u8; 65536];
    loop {
        let read = stdout.read(&mut buffer).unwrap();
        if read == 0 {
            break;
        }
        shown.push_str(&String::from_utf8_lossy(&buffer[..read]));
        if shown.ends_with("[q]uit: ") {
            let answer = policy(&shown);
            questions.push(std::mem::take(&mut shown));
            stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
            stdin.flush().unwrap();
        }
    }
    drop(stdin);
    let mut output = child.wait_with_output().unwrap();
    output.stdout = shown.into_bytes();
    (questions, output)
}

/// A small app where the transforms meet: a secret and a wildcard CORS in
/// the settings' module, a model with a password re-exported by its
/// package and taken by a route and a service, routes with dependencies.
fn meeting_point() -> TempDir {
    let directory = tempfile::tempdir().unwrap();
    write_files(
        directory.path(),
        &[
            (
                "pyproject.toml",
                "[project]\nname = \"meet\"\nversion = \"1\"\ndependencies = [\"fastapi\", \"pydantic-settings\"]\n",
            ),
            ("app/__init__.py", ""),
            (
                "app/config.py",
                "from pydantic_settings import BaseSettings\n\nSECRET_KEY = \"b7e2c94f1a0d83e65f4c2a9d7b1e0f3a8c6d5e4b\"\n\n\nclass Settings(BaseSettings):\n    PROJECT_NAME: str = \"meet\"\n\n\ndef get_settings() -> Settings:\n    return Settings()\n",
            ),
            (
                "app/main.py",
                "from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\nfrom app.api.routers import users\n\napp = FastAPI()\n\napp.add_middleware(\n    CORSMiddleware,\n    allow_origins=[\"*\"],\n    allow_credentials=True,\n)\napp.include_router(users.router, prefix=\"/users\")\n",
            ),
            (
                "app/db.py",
                "class Session:\n    pass\n\n\ndef get_db():\n    yield Session()\n",
            ),
            ("app/api/__init__.py", ""),
            ("app/api/routers/__init__.py", ""),
            (
                "app/api/routers/users.py",
                "from typing import Optional\n\nfrom fastapi import APIRouter, Depends, Query\n\nfrom app.db import Session, get_db\nfrom app.schemas import User\nfrom app.services.users import register\n\nrouter = APIRouter()\n\n\n@router.post(\"/\")\ndef create_user(user_in: User, db: Session = Depends(get_db)):\n    return register(user_in)\n\n\n@router.get(\"/\")\ndef list_users(\n    q: Optional[str] = Query(None, description=\"search\"),\n    db: Session = Depends(get_db),\n):\n    return [User(id=1, email=\"a@b.c\")]\n",
            ),
            (
                "app/schemas/__init__.py",
                "from .user import User\n\n__all__ = [\"User\"]\n",
            ),
            (
                "app/schemas/user.py",
                "from typing import Optional\n\nfrom pydantic import BaseModel\n\n\nclass User(BaseModel):\n    id: Optional[int] = None\n    email: str\n    password: Optional[str] = None\n",
            ),
            ("app/services/__init__.py", ""),
            (
                "app/services/users.py",
                "from app.schemas import User\n\n\ndef register(user: User) -> User:\n    return user\n",
            ),
        ],
    );
    directory
}

/// Imports `modules` of the app in `directory`; the error, if one fails.
fn imports(directory: &Path, modules: &[&str]) -> Result<(), String> {
    let python = common::python_with_fastapi();
    let statement = modules
        .iter()
        .map(|module| format!("import {module}"))
        .collect::<Vec<_>>()
        .join("; ");
    let output = Command::new(python)
        .current_dir(directory)
        .args(["-c", &statement])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("SECRET_KEY", "set-for-the-test")
        .output()
        .unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(text(&output.stderr))
    }
}

const MEETING_MODULES: [&str; 3] = ["app.main", "app.api.routers.users", "app.services.users"];

#[test]
fn a_setting_comes_with_the_code_that_reads_it_and_a_schema_with_its_re_export() {
    // CORS: only the wildcard's replacement is wanted; it comes with the
    // field it reads and `.env.example`, as one question.
    let directory = meeting_point();
    let (questions, output) = review_with(directory.path(), &["--unsafe", "."], |shown| {
        if shown.contains("cors-credentials app/main.py") {
            "y"
        } else {
            "n"
        }
    });
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let cors = questions
        .iter()
        .find(|shown| shown.contains("cors-credentials app/main.py"))
        .expect("asked");
    assert!(cors.contains("cors-credentials app/config.py"), "{cors}");
    assert!(cors.contains(".env.example"), "{cors}");
    imports(directory.path(), &MEETING_MODULES).unwrap();
    let main = std::fs::read_to_string(directory.path().join("app/main.py")).unwrap();
    assert!(!main.contains("[\"*\"]"), "{main}");

    // A split schema comes with its package's re-export of the new members.
    let directory = meeting_point();
    let (questions, output) = review_with(directory.path(), &["--unsafe", "."], |shown| {
        if shown.contains("split-schemas app/schemas/user.py") {
            "y"
        } else {
            "n"
        }
    });
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let split = questions
        .iter()
        .find(|shown| shown.contains("split-schemas app/schemas/user.py"))
        .expect("asked");
    assert!(split.contains("app/schemas/__init__.py"), "{split}");
    imports(directory.path(), &MEETING_MODULES).unwrap();
    let schemas = std::fs::read_to_string(directory.path().join("app/schemas/user.py")).unwrap();
    assert!(schemas.contains("class UserCreate"), "{schemas}");
}

#[test]
fn no_fix_is_asked_twice_whatever_the_answers() {
    for seed in 0..6u32 {
        let directory = meeting_point();
        let mut turn = 0u32;
        let (questions, output) = review_with(directory.path(), &["--unsafe", "."], |_| {
            turn += 1;
            // A fixed pattern of answers per seed.
            if (turn.wrapping_mul(2654435761) ^ seed.wrapping_mul(40503)) % 3 == 0 {
                "y"
            } else {
                "n"
            }
        });
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let mut asked: Vec<String> = Vec::new();
        for shown in &questions {
            for line in shown.lines() {
                let words: Vec<&str> = line.split_whitespace().collect();
                let header =
                    words.len() == 2 && words[1].contains(".py:") && words[0].contains('-');
                if header {
                    assert!(
                        !asked.contains(&line.to_string()),
                        "seed {seed}: {line} asked twice:\n{}",
                        questions.join("\n")
                    );
                    asked.push(line.to_string());
                }
            }
        }
        imports(directory.path(), &MEETING_MODULES)
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
    }
}

#[test]
fn force_exclude_holds_for_standard_input() {
    let directory = tempfile::tempdir().unwrap();
    write_files(
        directory.path(),
        &[
            (
                "pyproject.toml",
                "[tool.fastapi-codemod]\nexclude = [\"legacy\"]\n",
            ),
            ("legacy/routes.py", THREE_ROUTES),
        ],
    );
    use std::io::Write;
    for (args, expected) in [
        (
            &[
                "apply",
                "--force-exclude",
                "--stdin-filename",
                "legacy/routes.py",
            ][..],
            THREE_ROUTES,
        ),
        (
            &[
                "diff",
                "--force-exclude",
                "--stdin-filename",
                "legacy/routes.py",
            ][..],
            "",
        ),
    ] {
        let mut child = binary()
            .current_dir(directory.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(THREE_ROUTES.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert_eq!(text(&output.stdout), expected, "{args:?}");
    }
}
