//! Data-driven tests: every `.py` file (or directory of them) under
//! `tests/fixtures/<transform>/` is run through that transform alone, and the
//! resulting unified diff plus findings is compared with a snapshot in
//! `snapshots/`. Refresh with `cargo insta review`.
//!
//! A fixture may say `# fixture: target-version=py38` or `# fixture: unsafe`
//! in a comment to run with those options.

mod common;

use std::path::{Path, PathBuf};

use fastapi_codemod::cli::modules::ModuleNamer;
use fastapi_codemod::project::transform::Transform;
use fastapi_codemod::transforms;
use ruff_python_ast::PythonVersion;

#[test]
fn fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut ran = 0;
    for transform in transforms::ALL {
        let directory = root.join(transform.name);
        let Ok(entries) = std::fs::read_dir(&directory) else {
            continue;
        };
        let mut cases: Vec<PathBuf> = entries
            .map(|entry| entry.expect("readable fixture entry").path())
            .collect();
        cases.sort();
        for case in cases {
            let files = python_files(&case);
            if files.is_empty() {
                continue;
            }
            let report = run_case(transform, &case, &files);
            let name = case.file_stem().unwrap().to_string_lossy().to_string();
            insta::with_settings!({
                snapshot_path => "../snapshots",
                prepend_module_to_snapshot => false,
                omit_expression => true,
                description => format!("tests/fixtures/{}/{}", transform.name, case.file_name().unwrap().to_string_lossy()),
            }, {
                insta::assert_snapshot!(format!("{}__{}", transform.name, name), report);
            });
            ran += 1;
        }
    }
    assert!(ran > 0, "no fixtures found under {}", root.display());
}

fn python_files(case: &Path) -> Vec<PathBuf> {
    if case.is_file() {
        return if case.extension().is_some_and(|extension| extension == "py") {
            vec![case.to_path_buf()]
        } else {
            vec![]
        };
    }
    let mut files = Vec::new();
    let mut stack = vec![case.to_path_buf()];
    while let Some(directory) = stack.pop() {
        for entry in std::fs::read_dir(&directory).expect("readable fixture directory") {
            let path = entry.expect("readable entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|extension| extension == "py") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Runs one case (a file, or a folder holding a project) as a project.
fn run_case(transform: &'static Transform, case: &Path, files: &[PathBuf]) -> String {
    let mut namer = ModuleNamer::default();
    let mut inputs: Vec<(String, bool, String)> = Vec::new();
    for file in files {
        let contents = std::fs::read_to_string(file).expect("fixtures are UTF-8");
        let (module, is_package) = if case.is_dir() {
            namer
                .module_name(file)
                .expect("fixture files have module names")
        } else {
            (
                file.file_stem().unwrap().to_string_lossy().to_string(),
                false,
            )
        };
        inputs.push((module, is_package, contents));
    }
    let all = inputs
        .iter()
        .map(|(_, _, contents)| contents.as_str())
        .collect::<String>();
    let target_version = if all.contains("# fixture: target-version=py38") {
        PythonVersion::PY38
    } else {
        PythonVersion::PY39
    };
    let mut transforms: Vec<&'static Transform> = vec![transform];
    // `# fixture: with NAME` runs that transform too, in catalogue order, as a default run would.
    for line in all.lines() {
        if let Some(name) = line.strip_prefix("# fixture: with ") {
            transforms.push(transforms::by_name(name.trim()).expect("a known transform"));
        }
    }
    transforms.sort_by_key(|transform| {
        transforms::ALL
            .iter()
            .position(|known| std::ptr::eq(*known, *transform))
    });
    transforms.dedup_by(|a, b| std::ptr::eq(*a, *b));
    let mut selection = common::selection(
        &transforms,
        all.contains("# fixture: unsafe"),
        target_version,
    );
    // `# fixture: OPTION=VALUE` sets an option of the transform's own
    // table, as `[tool.fastapi-codemod.NAME]` would: `executor-style=to_thread`,
    // `blocking-calls=a,b` (a comma makes a list).
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
    let outcomes = common::fix_project_checked(&inputs, &selection);

    let mut report = String::new();
    for ((file, (_, _, contents)), outcome) in files.iter().zip(&inputs).zip(outcomes) {
        let label = if case.is_dir() {
            file.strip_prefix(case)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        } else {
            file.file_name().unwrap().to_string_lossy().to_string()
        };
        match &outcome.fixed {
            Some(fixed) => {
                let diff = similar::TextDiff::from_lines(contents.as_str(), fixed.as_str());
                let text = diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{label}"), &format!("b/{label}"))
                    .to_string();
                // Show carriage returns, so a snapshot proves CRLF survived.
                report.push_str(&text.replace('\r', "␍"));
            }
            None if case.is_dir() && outcome.findings.is_empty() && outcome.error.is_none() => {
                continue;
            }
            None => report.push_str(&format!("{label}: no changes\n")),
        }
        if let Some(error) = &outcome.error {
            report.push_str(&format!("{label}: error: {error}\n"));
        }
        for finding in &outcome.findings {
            let status = if finding.fixable { "fix" } else { "no fix" };
            report.push_str(&format!(
                "{label}:{}:{} {} ({status}) {}\n",
                finding.line, finding.column, finding.transform, finding.message
            ));
        }
    }
    report
}
