//! Data-driven tests: every `.py` file (or directory of them) under
//! `tests/fixtures/<transform>/` is run through that transform alone, and the
//! resulting unified diff plus findings is compared with a snapshot in
//! `snapshots/`. Refresh with `cargo insta review`.
//!
//! A fixture may say `# fixture: target-version=py38` or `# fixture: unsafe`
//! in a comment to run with those options.

mod common;

use fastapi_codemod::project::pipeline::FileOutcome;

#[test]
fn fixtures() {
    let cases = common::fixture_cases();
    assert!(!cases.is_empty(), "no fixtures found");
    for case in &cases {
        let (outcomes, changes) =
            common::fix_project_run_checked_with(&case.inputs(), &case.others, &case.selection);
        let mut report = report(case, &outcomes);
        report.push_str(&created_files(case, &changes));
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("tests/fixtures/{}/{}", case.transform.name, case.path.file_name().unwrap().to_string_lossy()),
        }, {
            insta::assert_snapshot!(format!("{}__{}", case.transform.name, case.name), report);
        });
    }
}

/// The case's unified diffs and findings, file by file.
fn report(case: &common::FixtureCase, outcomes: &[FileOutcome]) -> String {
    let mut report = String::new();
    for (file, outcome) in case.files.iter().zip(outcomes) {
        let label = &file.label;
        let contents = &file.contents;
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
            None if case.path.is_dir()
                && outcome.findings.is_empty()
                && outcome.error.is_none() =>
            {
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

/// The files the plans create, as diffs against `/dev/null`, labelled
/// inside the fixture folder.
fn created_files(
    case: &common::FixtureCase,
    changes: &[fastapi_codemod::project::run::ChangeOutcome],
) -> String {
    let mut report = String::new();
    for made in changes {
        use fastapi_codemod::text::files::FileChange;
        let path = match &made.change {
            FileChange::Create { path, .. } | FileChange::Edit { path, .. } => path,
            FileChange::Move { from, to, .. } => {
                let (from, to) = (from.to_string_lossy(), to.to_string_lossy());
                match (&made.error, &made.before, &made.after) {
                    (Some(error), _, _) => {
                        report.push_str(&format!("{from} → {to}: not moved: {error}\n"));
                    }
                    (None, Some(before), Some(after)) => {
                        report.push_str(&format!("rename {from} → {to}\n"));
                        let diff = similar::TextDiff::from_lines(before.as_str(), after.as_str());
                        let text = diff
                            .unified_diff()
                            .context_radius(3)
                            .header(&format!("a/{from}"), &format!("b/{to}"))
                            .to_string();
                        report.push_str(&text.replace('\r', "␍"));
                    }
                    _ => {}
                }
                continue;
            }
            FileChange::Remove { path } => {
                let path = path.to_string_lossy();
                match &made.error {
                    Some(error) => report.push_str(&format!("{path}: not removed: {error}\n")),
                    None => report.push_str(&format!("remove {path}\n")),
                }
                continue;
            }
        };
        let label = path.to_string_lossy().replace('\\', "/");
        let label = match case.files.first() {
            Some(_) => label,
            None => continue,
        };
        match (&made.error, &made.after) {
            (Some(error), _) => report.push_str(&format!("{label}: not made: {error}\n")),
            (None, Some(contents)) if contents.is_empty() && made.before.is_none() => {
                report.push_str(&format!("create {label} (empty)\n"));
            }
            (None, Some(contents)) => {
                let before = made.before.as_deref().unwrap_or("");
                let diff = similar::TextDiff::from_lines(before, contents.as_str());
                let old = if made.before.is_some() {
                    format!("a/{label}")
                } else {
                    "/dev/null".to_string()
                };
                report.push_str(
                    &diff
                        .unified_diff()
                        .context_radius(3)
                        .header(&old, &format!("b/{label}"))
                        .to_string(),
                );
            }
            (None, None) => {}
        }
    }
    report
}
