//! Helpers shared by the test harnesses.

#![allow(dead_code)]

use fastapi_codemod::project::pipeline::{self, FileOutcome, Mode, Selection};
use fastapi_codemod::project::run::ChangeOutcome;
use fastapi_codemod::project::transform::{Transform, TransformOptions};
use fastapi_codemod::text::files::FileChange;
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
        review: None,
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

/// The path a module's file has in a project laid out by its name.
pub fn module_path(module: &str, is_package: bool) -> std::path::PathBuf {
    let mut path = std::path::PathBuf::from(module.replace('.', "/"));
    if is_package {
        path.push("__init__.py");
    } else {
        path.set_extension("py");
    }
    path
}

/// The module a file's path names in a project laid out by module names,
/// and whether it is a package: the inverse of [`module_path`].
#[allow(dead_code)]
pub fn module_of_path(path: &std::path::Path) -> (String, bool) {
    let text = path.to_string_lossy().replace('\\', "/");
    let text = text.strip_suffix(".py").unwrap_or(&text);
    match text.strip_suffix("/__init__") {
        Some(package) => (package.replace('/', "."), true),
        None => (text.replace('/', "."), false),
    }
}

/// Runs files as one project in check mode: findings only.
pub fn check_project(files: &[(String, bool, String)], selection: &Selection) -> Vec<FileOutcome> {
    use fastapi_codemod::project::run::{ProjectFile, process_project};
    let project_files: Vec<ProjectFile> = files
        .iter()
        .map(|(module, is_package, _)| ProjectFile {
            path: module_path(module, *is_package),
            module_name: Some(module.clone()),
            outer_module_name: None,
            is_package: *is_package,
            selection,
            writable: true,
        })
        .collect();
    let contents: Vec<&str> = files
        .iter()
        .map(|(_, _, contents)| contents.as_str())
        .collect();
    process_project(&project_files, &contents, Mode::Check).files
}

pub fn fix_project_checked(
    files: &[(String, bool, String)],
    selection: &Selection,
) -> Vec<FileOutcome> {
    fix_project_run_checked(files, selection).0
}

/// Runs files as one project, fixing, and checks what users rely on: the
/// first looks change nothing, the output parses, and a second run over
/// the output (files the plans created included) changes nothing. Returns
/// each file's outcome and the plans' whole-file changes.
#[allow(dead_code)]
pub fn fix_project_run_checked(
    files: &[(String, bool, String)],
    selection: &Selection,
) -> (Vec<FileOutcome>, Vec<ChangeOutcome>) {
    fix_project_run_checked_with(files, &OtherFiles::new(), selection)
}

/// Text files of a fixture that are not Python (`.env`, `pyproject.toml`),
/// by their path in the project.
pub type OtherFiles = std::collections::BTreeMap<std::path::PathBuf, String>;

/// A project's files as a run reads them: the Python files' texts, and
/// the other files, in a project whose directory is the empty path.
struct FixtureWorkspace<'a> {
    texts: &'a [String],
    others: &'a OtherFiles,
}

impl fastapi_codemod::project::run::Workspace for FixtureWorkspace<'_> {
    fn text(&self, position: usize) -> Result<std::borrow::Cow<'_, str>, String> {
        Ok(std::borrow::Cow::Borrowed(self.texts[position].as_str()))
    }

    fn read(&self, path: &std::path::Path) -> Result<Option<String>, String> {
        Ok(self.others.get(path).cloned())
    }

    fn root(&self) -> Option<&std::path::Path> {
        Some(std::path::Path::new(""))
    }

    fn files_under(&self, directory: &std::path::Path) -> Vec<std::path::PathBuf> {
        self.others
            .keys()
            .filter(|path| path.starts_with(directory))
            .cloned()
            .collect()
    }
}

/// [`fix_project_run_checked`] with the project's other files: the
/// second run reads them as the first run's changes left them.
pub fn fix_project_run_checked_with(
    files: &[(String, bool, String)],
    others: &OtherFiles,
    selection: &Selection,
) -> (Vec<FileOutcome>, Vec<ChangeOutcome>) {
    use fastapi_codemod::project::run::{ProjectFile, process_project, process_project_in_full};
    let run_with = |files: &[(String, bool, String)],
                    contents: &Vec<String>,
                    others: &OtherFiles,
                    mode: Mode,
                    in_full: bool| {
        let project_files: Vec<ProjectFile> = files
            .iter()
            .map(|(module, is_package, _)| ProjectFile {
                path: module_path(module, *is_package),
                module_name: Some(module.clone()),
                outer_module_name: None,
                is_package: *is_package,
                selection,
                writable: true,
            })
            .collect();
        let workspace = FixtureWorkspace {
            texts: contents,
            others,
        };
        if in_full {
            process_project_in_full(&project_files, &workspace, mode)
        } else {
            process_project(&project_files, &workspace, mode)
        }
    };
    let run_as =
        |files: &[(String, bool, String)], contents: &Vec<String>, mode: Mode, in_full: bool| {
            run_with(files, contents, others, mode, in_full)
        };
    let originals: Vec<String> = files
        .iter()
        .map(|(_, _, contents)| contents.clone())
        .collect();
    let first = run_as(files, &originals, Mode::Fix, false);
    let outcomes = first.files;
    // Files finished on their first look come out as they would have
    // running again against the project: for fixing and for checking.
    for mode in [Mode::Fix, Mode::Check] {
        let quick = if mode == Mode::Fix {
            outcomes.clone()
        } else {
            run_as(files, &originals, mode, false).files
        };
        let full = run_as(files, &originals, mode, true).files;
        for ((quick, full), (module, _, _)) in quick.iter().zip(&full).zip(files) {
            assert_eq!(
                quick.fixed, full.fixed,
                "{module}: first look and full run differ"
            );
            assert_eq!(
                quick.findings, full.findings,
                "{module}: first look and full run differ"
            );
            assert_eq!(
                quick.error, full.error,
                "{module}: first look and full run differ"
            );
        }
    }
    let mut fixed: Vec<(String, bool, String)> = outcomes
        .iter()
        .zip(files)
        .map(|(outcome, (module, is_package, original))| {
            let text = outcome.fixed.clone().unwrap_or_else(|| original.clone());
            (module.clone(), *is_package, text)
        })
        .collect();
    // Modules the plans moved are at their new places; removed ones gone.
    for made in &first.changes {
        if made.error.is_some() {
            continue;
        }
        let old = match &made.change {
            FileChange::Move { from, .. } | FileChange::Remove { path: from } => from,
            _ => continue,
        };
        let Some(at) = fixed
            .iter()
            .position(|(module, is_package, _)| module_path(module, *is_package) == *old)
        else {
            continue;
        };
        match (&made.change, &made.after) {
            (FileChange::Move { to, .. }, Some(after)) => {
                let (module, is_package) = module_of_path(to);
                fixed[at] = (module, is_package, after.clone());
            }
            _ => {
                fixed.remove(at);
            }
        }
    }
    // The modules the plans created join the project.
    for made in &first.changes {
        if let (
            FileChange::Create {
                module: Some(module),
                ..
            },
            None,
            Some(contents),
        ) = (&made.change, &made.error, &made.after)
        {
            fixed.push((module.clone(), false, contents.clone()));
        }
    }
    for (_, _, text) in &fixed {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        assert!(
            ruff_python_parser::parse_module(text).is_ok(),
            "the output does not parse:\n{text}"
        );
    }
    let texts: Vec<String> = fixed.iter().map(|(_, _, text)| text.clone()).collect();
    let mut others_after = others.clone();
    for made in &first.changes {
        match (&made.change, &made.error, &made.after) {
            (FileChange::Edit { path, .. }, None, Some(after)) => {
                others_after.insert(path.clone(), after.clone());
            }
            // A data file moved with its package.
            (FileChange::Move { from, to, .. }, None, Some(after))
                if others_after.contains_key(from) =>
            {
                others_after.remove(from);
                others_after.insert(to.clone(), after.clone());
            }
            _ => {}
        }
    }
    let again = run_with(&fixed, &texts, &others_after, Mode::Fix, false);
    for (outcome, (module, _, text)) in again.files.iter().zip(&fixed) {
        assert_eq!(
            outcome.fixed, None,
            "{module}: a second run changed the output again:\n{text}"
        );
        assert_eq!(outcome.error, None);
    }
    let remade: Vec<&FileChange> = again
        .changes
        .iter()
        .filter(|made| made.error.is_none() && made.before != made.after)
        .map(|made| &made.change)
        .collect();
    assert!(
        remade.is_empty(),
        "a second run changes files again: {remade:?}"
    );
    (outcomes, first.changes)
}

/// A Python interpreter with `fastapi`, `httpx`, `sqlalchemy`, what the
/// bundled example needs, `pytest` and `ruff`, for tests that run real apps
/// or judge output as ruff does: the one `FASTAPI_CODEMOD_PYTHON` names, else a
/// virtual environment made once under cargo's temporary directory for
/// integration tests (`CARGO_TARGET_TMPDIR`, inside whatever target
/// directory cargo uses) from the package registry.
pub fn python_with_fastapi() -> std::path::PathBuf {
    use std::path::{Path, PathBuf};
    // What the tests' apps import (the bundled example among them), and ruff.
    const PACKAGES: [&str; 11] = [
        "fastapi",
        "email-validator",
        "httpx",
        "sqlalchemy",
        "ruff",
        "pydantic-settings",
        "python-multipart",
        "requests",
        "pyjwt",
        "pytest",
        "pytest-mock",
    ];
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
        virtual_environment(&environment, &PACKAGES);
        std::fs::write(&ready, "").unwrap();
    }
    lock.unlock().expect("the lock is released");
    python
}

/// A virtual environment at `path` (made unless it exists) with
/// `packages` installed from the package registry; its `bin` directory.
pub fn virtual_environment(path: &std::path::Path, packages: &[&str]) -> std::path::PathBuf {
    use std::process::Command;
    let bin = path.join("bin");
    if !bin.join("python").exists() {
        let status = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(path)
            .status()
            .expect("python3 runs");
        assert!(status.success(), "python3 -m venv failed");
    }
    if !packages.is_empty() {
        let status = Command::new(bin.join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(packages)
            .status()
            .expect("pip runs");
        assert!(status.success(), "installing {packages:?} failed");
    }
    bin
}

/// Runs a Python `script` (written to `directory/probe.py`) with
/// `directory/src` as its argument, and returns what it printed; a failing
/// script fails the test with its stderr.
pub fn run_probe(python: &std::path::Path, directory: &std::path::Path, script: &str) -> String {
    let src = directory.join("src");
    run_script(python, directory, script, &[src.as_os_str()])
}

/// Runs a Python `script` (written to `directory/probe.py`) with
/// `arguments`, and returns what it printed; a failing script fails the
/// test with its stderr.
#[allow(dead_code)]
pub fn run_script(
    python: &std::path::Path,
    directory: &std::path::Path,
    script: &str,
    arguments: &[&std::ffi::OsStr],
) -> String {
    let path = directory.join("probe.py");
    std::fs::write(&path, script).unwrap();
    let output = std::process::Command::new(python)
        .arg(&path)
        .args(arguments)
        .env("PYTHONDONTWRITEBYTECODE", "1")
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
    apply_to(directory, arguments, "src");
}

/// Runs `fastapi-codemod apply --allow-dirty ARGS… ROOT` in `directory`
/// and checks that it succeeds.
/// A second `diff` of `root` in `directory` with `arguments` shows nothing
/// to change.
pub fn diff_is_empty(directory: &std::path::Path, arguments: &[&str], root: &str) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fastapi-codemod"))
        .current_dir(directory)
        .arg("diff")
        .arg("--exit-code")
        .args(arguments)
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

pub fn apply_to(directory: &std::path::Path, arguments: &[&str], root: &str) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fastapi-codemod"))
        .current_dir(directory)
        .arg("apply")
        .arg("--allow-dirty")
        .args(arguments)
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One fixture: a `.py` file, or a folder holding a project, under
/// `tests/fixtures/<transform>/`, with the selection its comments ask for.
pub struct FixtureCase {
    pub transform: &'static Transform,
    /// The fixture file or folder.
    pub path: std::path::PathBuf,
    /// Its name, for the snapshot.
    pub name: String,
    pub files: Vec<FixtureFile>,
    /// Its text files that are not Python, by their path in the folder.
    pub others: OtherFiles,
    pub selection: Selection,
}

/// One file of a fixture.
pub struct FixtureFile {
    /// The path inside the fixture folder (or the file name), with `/`.
    pub label: String,
    pub module: String,
    pub is_package: bool,
    pub contents: String,
}

impl FixtureCase {
    /// The files as `fix_project_checked` takes them.
    pub fn inputs(&self) -> Vec<(String, bool, String)> {
        self.files
            .iter()
            .map(|file| (file.module.clone(), file.is_package, file.contents.clone()))
            .collect()
    }
}

/// Every fixture, in catalogue order, then by name.
///
/// A fixture may say `# fixture: target-version=py38`, `# fixture: unsafe`,
/// `# fixture: with NAME` (run that transform too, in catalogue order) or
/// `# fixture: OPTION=VALUE` (an option of the transform's own table, as
/// `[tool.fastapi-codemod.NAME]` would set it; a comma makes a list,
/// `true` and `false` a boolean).
pub fn fixture_cases() -> Vec<FixtureCase> {
    use fastapi_codemod::cli::modules::ModuleNamer;
    use fastapi_codemod::transforms;
    use std::path::{Path, PathBuf};

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cases = Vec::new();
    for transform in transforms::ALL {
        let Ok(entries) = std::fs::read_dir(root.join(transform.name)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .map(|entry| entry.expect("readable fixture entry").path())
            .collect();
        paths.sort();
        for path in paths {
            let sources = python_files(&path);
            if sources.is_empty() {
                continue;
            }
            let mut namer = ModuleNamer::default().treating_as_project_root(&path);
            let files: Vec<FixtureFile> = sources
                .iter()
                .map(|source| {
                    let contents = std::fs::read_to_string(source).expect("fixtures are UTF-8");
                    let (module, is_package) = if path.is_dir() {
                        namer
                            .module_name(source)
                            .expect("fixture files have module names")
                    } else {
                        (
                            source.file_stem().unwrap().to_string_lossy().to_string(),
                            false,
                        )
                    };
                    let label = if path.is_dir() {
                        source
                            .strip_prefix(&path)
                            .unwrap()
                            .to_string_lossy()
                            .replace('\\', "/")
                    } else {
                        source.file_name().unwrap().to_string_lossy().to_string()
                    };
                    FixtureFile {
                        label,
                        module,
                        is_package,
                        contents,
                    }
                })
                .collect();
            let selection = fixture_selection(transform, &files);
            let others = other_files(&path);
            cases.push(FixtureCase {
                transform,
                name: path.file_stem().unwrap().to_string_lossy().to_string(),
                path,
                files,
                others,
                selection,
            });
        }
    }
    cases
}

fn fixture_selection(transform: &'static Transform, files: &[FixtureFile]) -> Selection {
    use fastapi_codemod::transforms;
    let all: String = files.iter().map(|file| file.contents.as_str()).collect();
    let target_version = if all.contains("# fixture: target-version=py38") {
        PythonVersion::PY38
    } else {
        PythonVersion::PY39
    };
    let mut chosen: Vec<&'static Transform> = vec![transform];
    for line in all.lines() {
        if let Some(name) = line.strip_prefix("# fixture: with ") {
            chosen.push(transforms::by_name(name.trim()).expect("a known transform"));
        }
    }
    chosen.sort_by_key(|chosen| {
        transforms::ALL
            .iter()
            .position(|known| std::ptr::eq(*known, *chosen))
    });
    chosen.dedup_by(|a, b| std::ptr::eq(*a, *b));
    let mut selection = selection(&chosen, all.contains("# fixture: unsafe"), target_version);
    let mut table = toml::Table::new();
    for line in all.lines() {
        let Some((option, value)) = line
            .strip_prefix("# fixture: ")
            .and_then(|rest| rest.split_once('='))
        else {
            continue;
        };
        if option == "target-version" {
            continue;
        }
        let value = if value.contains(',') {
            toml::Value::Array(value.split(',').map(|item| item.into()).collect())
        } else if let Ok(flag) = value.parse::<bool>() {
            toml::Value::Boolean(flag)
        } else {
            toml::Value::String(value.to_string())
        };
        table.insert(option.to_string(), value);
    }
    if !table.is_empty() {
        let configure = transform.configure.expect("the transform has options");
        configure(&table, &mut selection.options.settings)
            .expect("the fixture's options are valid");
    }
    selection
}

/// The text files of a fixture folder that are not Python, by their path
/// inside it.
fn other_files(case: &std::path::Path) -> OtherFiles {
    if !case.is_dir() {
        return OtherFiles::new();
    }
    fixture_files(case)
        .into_iter()
        .filter(|path| path.extension().is_none_or(|extension| extension != "py"))
        .map(|path| {
            let contents = std::fs::read_to_string(&path).expect("fixtures are UTF-8");
            (path.strip_prefix(case).unwrap().to_path_buf(), contents)
        })
        .collect()
}

fn python_files(case: &std::path::Path) -> Vec<std::path::PathBuf> {
    fixture_files(case)
        .into_iter()
        .filter(|path| path.extension().is_some_and(|extension| extension == "py"))
        .collect()
}

/// Every file of a fixture (itself, when it is a file), in path order.
fn fixture_files(case: &std::path::Path) -> Vec<std::path::PathBuf> {
    if case.is_file() {
        return vec![case.to_path_buf()];
    }
    let mut files = Vec::new();
    let mut stack = vec![case.to_path_buf()];
    while let Some(directory) = stack.pop() {
        for entry in std::fs::read_dir(&directory).expect("readable fixture directory") {
            let path = entry.expect("readable entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Copies the tree at `from` into `to`, making directories as needed.
#[allow(dead_code)]
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `root` (Python and the rest: `.env`, `.gitignore`)
/// but for `__pycache__`, by its path from there with `/`, with its bytes.
#[allow(dead_code)]
pub fn project_files(root: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(directory) = stack.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|name| name != "__pycache__") {
                    stack.push(path);
                }
            } else {
                let relative = path.strip_prefix(root).unwrap();
                let name = relative.to_string_lossy().replace('\\', "/");
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// Ruff's pyflakes rules (`ruff check --select F`) over a directory, with
/// the tests' Python environment.
/// `(file, code, message)` → how many times ruff reports it; locations are
/// left out, since fixes move lines.
pub type Diagnostics = std::collections::BTreeMap<(String, String, String), usize>;

#[allow(dead_code)]
pub fn pyflakes(python: &std::path::Path, directory: &std::path::Path) -> Diagnostics {
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
        let file = std::path::Path::new(diagnostic["filename"].as_str().unwrap())
            .strip_prefix(directory)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let message = without_module_paths(&without_line_numbers(
            diagnostic["message"].as_str().unwrap_or_default(),
        ));
        *diagnostics
            .entry((file, code.to_string(), message))
            .or_default() += 1;
    }
    diagnostics
}

/// A message with `line 12` written `line N`: fixes move lines, and
/// "redefinition of `x` from line 12" is the same diagnostic at line 14.
/// A message with the dotted path of an unused import cut to the name it
/// binds (`` `..users.models.User` `` → `` `User` ``): an import that a move
/// points elsewhere is the same import.
fn without_module_paths(message: &str) -> String {
    let Some(rest) = message.strip_prefix('`') else {
        return message.to_string();
    };
    match rest.split_once('`') {
        Some((path, tail)) if tail.starts_with(" imported but unused") => {
            let name = path.rsplit('.').next().unwrap_or(path);
            format!("`{name}`{tail}")
        }
        _ => message.to_string(),
    }
}

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

/// Runs a project's own pytest suite (`tests/`) and returns the counts it
/// ends with ("7 passed, 1 warning"), not the time; a failing suite fails
/// the test with its output.
#[allow(dead_code)]
pub fn pytest_summary(python: &std::path::Path, directory: &std::path::Path) -> String {
    let output = std::process::Command::new(python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
        .current_dir(directory)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("pytest runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    last.split(" in ").next().unwrap_or(last).to_string()
}

/// Runs `fastapi-codemod ARGS…` in `directory` until it has made
/// `stop_after` writes (`FASTAPI_CODEMOD_STOP_AFTER_WRITES`), then kills it
/// (SIGKILL), or lets it end.
#[allow(dead_code)]
pub fn run_killed_after(directory: &std::path::Path, arguments: &[&str], stop_after: usize) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fastapi-codemod"))
        .current_dir(directory)
        .args(arguments)
        .env("FASTAPI_CODEMOD_STOP_AFTER_WRITES", stop_after.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run stops before its next write, or ends.
    let stderr = child.stderr.take().unwrap();
    for line in std::io::BufReader::new(stderr).lines() {
        if line.unwrap().contains("stopped after") {
            break;
        }
    }
    child.kill().unwrap_or(()); // SIGKILL
    child.wait().unwrap();
}
