//! Everything a run prints: diffs or findings on standard output in path
//! order, one `PATH: error: …` line per failed file and a summary on
//! standard error (a line, or a table with a row per package when the run
//! spans several), or one document: JSON, SARIF or GitLab's (the last two
//! made at the end, from every finding). Also decides the exit status.
//!
//! Files are reported as projects finish, in any order; each is printed
//! once every file before it in path order has been, so output streams
//! and memory holds only the reports still waiting for an earlier one.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::args::OutputFormat;
use super::diff::{colorize, created_diff, deleted_diff, renamed_diff, unified_diff};
use super::{Action, Counts};
use crate::project::pipeline::{FileOutcome, LocatedFinding, LocatedFix};
use crate::project::run::ChangeOutcome;
use crate::project::transform::Transform;
use crate::text::files::FileChange;

/// What happened to one file.
#[derive(Debug, Serialize)]
pub struct FileReport {
    pub path: String,
    /// For a whole-file change: `create`, `move`, `edit` or `remove`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<&'static str>,
    /// For a move: where the file was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The new contents, when the file changes.
    #[serde(skip)]
    pub fixed: Option<String>,
    pub diff: Option<String>,
    /// Fixes applied, by transform.
    pub fixes: BTreeMap<&'static str, usize>,
    /// What each applied fix did, in order.
    pub applied: Vec<String>,
    pub findings: Vec<FindingReport>,
    pub error: Option<String>,
    /// For `apply`: whether the new contents were written.
    pub written: bool,
    /// The package (project directory) the file belongs to, for the summary.
    #[serde(skip)]
    pub package: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct FindingReport {
    pub line: usize,
    pub column: usize,
    pub transform: &'static str,
    pub message: String,
    pub fixable: bool,
    /// The fix's edits, for SARIF.
    #[serde(skip)]
    pub fix: Option<LocatedFix>,
}

impl From<LocatedFinding> for FindingReport {
    fn from(finding: LocatedFinding) -> Self {
        FindingReport {
            line: finding.line,
            column: finding.column,
            transform: finding.transform,
            message: finding.message,
            fixable: finding.fixable,
            fix: finding.fix,
        }
    }
}

impl FileReport {
    pub fn error(path: String, message: String) -> Self {
        FileReport {
            path,
            change: None,
            from: None,
            fixed: None,
            diff: None,
            fixes: BTreeMap::new(),
            applied: Vec::new(),
            findings: Vec::new(),
            error: Some(message),
            written: false,
            package: None,
        }
    }

    pub fn from_outcome(path: String, outcome: FileOutcome) -> Self {
        let diff = match (&outcome.original, &outcome.fixed) {
            (Some(original), Some(fixed)) => Some(unified_diff(&path, original, fixed)),
            _ => None,
        };
        FileReport {
            change: None,
            from: None,
            written: false,
            diff,
            fixed: outcome.fixed,
            fixes: outcome.applied,
            applied: outcome.applied_titles,
            findings: outcome
                .findings
                .into_iter()
                .map(FindingReport::from)
                .collect(),
            error: outcome.error.map(|error| error.to_string()),
            path,
            package: None,
        }
    }

    /// A plan's whole-file change: created, moved or edited.
    pub fn from_change(made: &ChangeOutcome) -> Self {
        let (kind, path, from) = match &made.change {
            FileChange::Create { path, .. } => ("create", super::display(path), None),
            FileChange::Move { from, to, .. } => {
                ("move", super::display(to), Some(super::display(from)))
            }
            // A text file edited into being (a first `.env`) is created.
            FileChange::Edit { path, .. } if made.before.is_none() => {
                ("create", super::display(path), None)
            }
            FileChange::Edit { path, .. } => ("edit", super::display(path), None),
            FileChange::Remove { path } => ("remove", super::display(path), None),
        };
        let removed = matches!(made.change, FileChange::Remove { .. });
        let diff = if removed {
            made.before
                .as_deref()
                .filter(|_| made.error.is_none())
                .map(|before| deleted_diff(&path, before))
        } else {
            made.after
                .as_deref()
                .map(|after| match (&from, &made.before) {
                    (Some(from), before) => {
                        renamed_diff(from, &path, before.as_deref().unwrap_or(""), after)
                    }
                    (None, Some(before)) => unified_diff(&path, before, after),
                    (None, None) => created_diff(&path, after),
                })
        };
        let made_at_all = made.after.is_some() || removed && made.before.is_some();
        // A whole-file change is no finding's fix: it counts among the
        // files changed, not the fixes.
        let fixes = BTreeMap::new();
        FileReport {
            path,
            change: Some(kind),
            from,
            // A removal counts as a change made, with nothing left.
            fixed: if removed {
                made.before.as_ref().map(|_| String::new())
            } else {
                made.after.clone()
            },
            diff,
            applied: made_at_all
                .then(|| vec![format!("{kind} `{}`", made.change.path().display())])
                .unwrap_or_default(),
            fixes,
            findings: Vec::new(),
            error: made.error.clone(),
            written: false,
            package: None,
        }
    }

    /// The change could not be written.
    pub fn refuse(&mut self, message: String) {
        self.error = Some(message);
    }
}

/// Collects file reports, prints each once those before it in path order
/// are printed, and prints totals at the end.
pub struct Report {
    /// Where diffs, findings and JSON go: standard output, unless a caller
    /// (a test) hands over another writer.
    out: Box<dyn Write + Send>,
    action: Action,
    format: OutputFormat,
    colour: bool,
    /// Set for `--stdin-filename`: the input, echoed by `apply` when nothing changes.
    stdin: Option<Vec<u8>>,
    /// Reports (or `None` for a file the run skips) waiting for an earlier
    /// one, by position; whole-file changes follow a position, in order.
    waiting: BTreeMap<(usize, usize), Option<FileReport>>,
    /// The position of the next file to print.
    next: usize,
    /// JSON: files printed so far into the `files` array.
    json_files: usize,
    files_scanned: usize,
    files_changed: usize,
    errors: usize,
    findings: usize,
    fixes: Counts,
    /// The same totals for each package, by its directory.
    packages: BTreeMap<String, PackageTotals>,
    /// SARIF and GitLab: every finding, by file, for the document at the end.
    located: Vec<(String, FindingReport)>,
    /// No summary.
    quiet: bool,
    /// The progress bar, cleared while something is printed.
    progress: Option<indicatif::ProgressBar>,
}

/// What a run did in one package (project directory).
#[derive(Debug, Default, Serialize)]
pub struct PackageTotals {
    pub files_scanned: usize,
    pub files_changed: usize,
    pub fixes: Counts,
    /// Findings no fix took care of.
    pub findings_left: usize,
    pub errors: usize,
}

impl Report {
    /// A report of `action` in `format`; diffs and findings are coloured
    /// when `colour` is set.
    pub fn new(action: Action, format: OutputFormat, colour: bool) -> Self {
        Report {
            out: Box::new(std::io::stdout()),
            action,
            format,
            colour: colour && format == OutputFormat::Text,
            stdin: None,
            waiting: BTreeMap::new(),
            next: 0,
            json_files: 0,
            files_scanned: 0,
            files_changed: 0,
            errors: 0,
            findings: 0,
            fixes: Counts::new(),
            packages: BTreeMap::new(),
            located: Vec::new(),
            quiet: false,
            progress: None,
        }
    }

    /// Clears `bar` while printing.
    pub fn set_progress(&mut self, bar: indicatif::ProgressBar) {
        self.progress = Some(bar);
    }

    /// Prints no summary.
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
    }

    /// Prints to `out` instead of standard output.
    pub fn with_output(mut self, out: Box<dyn Write + Send>) -> Self {
        self.out = out;
        self
    }

    pub fn for_stdin(mut self, input: &[u8]) -> Self {
        self.stdin = Some(input.to_vec());
        self
    }

    /// The report of the file at `position` in path order.
    pub fn add(&mut self, position: usize, file: FileReport) {
        self.waiting.insert((position, 0), Some(file));
        self.flush();
    }

    /// The report of a whole-file change, printed right after the file at
    /// `position` (which must not have been added yet), `index`-th.
    pub fn add_after(&mut self, position: usize, index: usize, file: FileReport) {
        self.waiting.insert((position, index + 1), Some(file));
    }

    /// The file at `position` is not part of the run (excluded).
    pub fn skip(&mut self, position: usize) {
        self.waiting.insert((position, 0), None);
        self.flush();
    }

    /// Prints every report whose turn has come.
    fn flush(&mut self) {
        while let Some(file) = self.waiting.remove(&(self.next, 0)) {
            if let Some(file) = file {
                self.emit(file);
            }
            while let Some(entry) = self.waiting.first_entry() {
                if entry.key().0 != self.next {
                    break;
                }
                if let Some(file) = entry.remove() {
                    self.emit(file);
                }
            }
            self.next += 1;
        }
    }

    fn emit(&mut self, mut file: FileReport) {
        // A whole-file change is not a file the run scanned.
        if file.change.is_none() {
            self.files_scanned += 1;
        }
        let applies = matches!(self.action, Action::Apply { .. });
        if applies && self.stdin.is_none() {
            file.written = file.fixed.is_some() && file.error.is_none();
        }
        if file.error.is_some() {
            self.errors += 1;
            if applies {
                // Nothing was written: what the file would have had is not a change made.
                file.fixes.clear();
                file.applied.clear();
            }
        }
        let changed = file.fixed.is_some() && (!applies || file.written || self.stdin.is_some());
        if changed {
            self.files_changed += 1;
            for (name, count) in &file.fixes {
                *self.fixes.entry(name).or_default() += count;
            }
        }
        self.findings += file.findings.len();
        let package = self
            .packages
            .entry(file.package.clone().unwrap_or_else(|| ".".to_string()))
            .or_default();
        if file.change.is_none() {
            package.files_scanned += 1;
        }
        if file.error.is_some() {
            package.errors += 1;
        }
        if changed {
            package.files_changed += 1;
            for (name, count) in &file.fixes {
                *package.fixes.entry(name).or_default() += count;
            }
        }
        package.findings_left += file
            .findings
            .iter()
            .filter(|finding| !(changed && finding.fixable && self.action != Action::Check))
            .count();

        match self.format {
            OutputFormat::Json => {
                if changed || !file.findings.is_empty() || file.error.is_some() {
                    self.print_json_file(&file);
                }
            }
            OutputFormat::Sarif | OutputFormat::Gitlab => {
                if let Some(error) = &file.error {
                    eprintln!("{}: error: {}", file.path, error);
                }
                let path = file.path;
                self.located.extend(
                    file.findings
                        .into_iter()
                        .map(|finding| (path.clone(), finding)),
                );
            }
            OutputFormat::Text | OutputFormat::Github => match self.progress.clone() {
                Some(bar) => bar.suspend(|| self.print_file(&file)),
                None => self.print_file(&file),
            },
        }
    }

    /// The document's opening, then each file as an element of `files`,
    /// laid out as the whole document pretty-printed would be.
    fn print_json_file(&mut self, file: &FileReport) {
        let command = self.command();
        let out = &mut self.out;
        if self.json_files == 0 {
            let _ = write!(
                out,
                "{{\n  \"version\": 1,\n  \"command\": \"{}\",\n  \"files\": [\n",
                command
            );
        } else {
            let _ = writeln!(out, ",");
        }
        let text = serde_json::to_string_pretty(file).unwrap_or_default();
        let indented: Vec<String> = text.lines().map(|line| format!("    {line}")).collect();
        let _ = write!(out, "{}", indented.join("\n"));
        self.json_files += 1;
    }

    fn command(&self) -> &'static str {
        match self.action {
            Action::Diff { .. } => "diff",
            Action::Apply { .. } => "apply",
            Action::Check => "check",
        }
    }

    fn print_file(&mut self, file: &FileReport) {
        let out = &mut self.out;
        match self.action {
            Action::Check => {
                for finding in &file.findings {
                    let _ = match self.format {
                        OutputFormat::Github => writeln!(
                            out,
                            "::warning file={},line={},col={},title=fastapi-codemod ({})::{}",
                            file.path,
                            finding.line,
                            finding.column,
                            finding.transform,
                            finding.message
                        ),
                        _ if self.colour => writeln!(
                            out,
                            "\x1b[1m{}\x1b[0m:{}:{} \x1b[1;31m{}\x1b[0m {}",
                            file.path,
                            finding.line,
                            finding.column,
                            finding.transform,
                            finding.message
                        ),
                        _ => writeln!(
                            out,
                            "{}:{}:{} {} {}",
                            file.path,
                            finding.line,
                            finding.column,
                            finding.transform,
                            finding.message
                        ),
                    };
                }
            }
            Action::Diff { .. } => {
                if let Some(diff) = &file.diff {
                    let _ = out.write_all(
                        if self.colour {
                            colorize(diff)
                        } else {
                            diff.clone()
                        }
                        .as_bytes(),
                    );
                }
            }
            Action::Apply { .. } => {
                if let Some(input) = &self.stdin {
                    let contents = file
                        .fixed
                        .as_deref()
                        .map_or(input.as_slice(), str::as_bytes);
                    let _ = out.write_all(contents);
                }
            }
        }
        if let Some(error) = &file.error {
            let _ = out.flush();
            if self.format == OutputFormat::Github {
                let _ = writeln!(out, "::error file={}::{}", file.path, error);
            }
            eprintln!("{}: error: {}", file.path, error);
        }
    }

    /// Prints the summary (or the document) and returns the exit status.
    /// `transforms` are the catalogue's, for SARIF's rules.
    pub fn finish(mut self, transforms: &[&Transform]) -> Result<ExitCode> {
        let status = if self.errors > 0 {
            2
        } else {
            match self.action {
                Action::Check if self.findings > 0 => 1,
                Action::Diff { exit_code: true } if self.files_changed > 0 => 1,
                Action::Apply {
                    exit_non_zero_on_fix: true,
                    ..
                } if self.files_changed > 0 => 1,
                _ => 0,
            }
        };
        if matches!(self.format, OutputFormat::Sarif | OutputFormat::Gitlab) {
            let document = match self.format {
                OutputFormat::Sarif => super::sarif::document(transforms, &self.located),
                _ => super::gitlab::document(&self.located),
            };
            writeln!(self.out, "{}", serde_json::to_string_pretty(&document)?)?;
            return Ok(ExitCode::from(status));
        }
        if self.format == OutputFormat::Json {
            let command = self.command();
            let totals = Totals {
                files_scanned: self.files_scanned,
                files_changed: self.files_changed,
                fixes: &self.fixes,
                findings: self.findings,
                errors: self.errors,
            };
            let totals = serde_json::to_string_pretty(&totals)?.replace('\n', "\n  ");
            let packages = serde_json::to_string_pretty(&self.packages)?.replace('\n', "\n  ");
            let out = &mut self.out;
            if self.json_files == 0 {
                write!(
                    out,
                    "{{\n  \"version\": 1,\n  \"command\": \"{}\",\n  \"files\": [],\n",
                    command
                )?;
            } else {
                write!(out, "\n  ],\n")?;
            }
            writeln!(
                out,
                "  \"totals\": {totals},\n  \"packages\": {packages}\n}}"
            )?;
        } else if self.stdin.is_none() && !self.quiet {
            let _ = self.out.flush();
            if self.packages.len() > 1 {
                eprint!("{}", self.package_table());
            } else {
                eprintln!("{}", self.summary());
            }
        }
        Ok(ExitCode::from(status))
    }

    /// One row per package and a total: files, changed, fixes by
    /// transform, findings left, errors.
    fn package_table(&self) -> String {
        let changed = match self.action {
            Action::Diff { .. } => "would change",
            _ => "changed",
        };
        let fixes_of = |fixes: &Counts| -> String {
            let listed: Vec<String> = fixes
                .iter()
                .map(|(name, count)| format!("{name} {count}"))
                .collect();
            if listed.is_empty() {
                "-".to_string()
            } else {
                listed.join(", ")
            }
        };
        let left_total: usize = self
            .packages
            .values()
            .map(|package| package.findings_left)
            .sum();
        let mut rows: Vec<[String; 6]> = vec![[
            "package".into(),
            "files".into(),
            changed.into(),
            "findings left".into(),
            "errors".into(),
            "fixes".into(),
        ]];
        for (name, package) in &self.packages {
            rows.push([
                name.clone(),
                package.files_scanned.to_string(),
                package.files_changed.to_string(),
                package.findings_left.to_string(),
                package.errors.to_string(),
                fixes_of(&package.fixes),
            ]);
        }
        rows.push([
            format!("total ({} packages)", self.packages.len()),
            self.files_scanned.to_string(),
            self.files_changed.to_string(),
            left_total.to_string(),
            self.errors.to_string(),
            fixes_of(&self.fixes),
        ]);
        let mut widths = [0usize; 6];
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut text = String::new();
        let last = rows.len() - 1;
        for (number, row) in rows.iter().enumerate() {
            if number == last {
                let rule: Vec<String> =
                    widths[..5].iter().map(|width| "-".repeat(*width)).collect();
                text.push_str(rule.join("  ").trim_end());
                text.push('\n');
            }
            let mut line = format!("{:<w$}", row[0], w = widths[0]);
            for (cell, width) in row[1..5].iter().zip(&widths[1..5]) {
                line.push_str(&format!("  {cell:>width$}"));
            }
            line.push_str("  ");
            line.push_str(&row[5]);
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }

    fn summary(&self) -> String {
        let files = plural(self.files_scanned, "file");
        let mut parts = vec![format!("{files} scanned")];
        match self.action {
            Action::Check => parts.push(plural(self.findings, "finding")),
            Action::Diff { .. } => parts.push(format!("{} would change", self.files_changed)),
            Action::Apply { .. } => parts.push(format!("{} changed", self.files_changed)),
        }
        if self.action != Action::Check {
            let fixes: Vec<String> = self
                .fixes
                .iter()
                .map(|(name, count)| format!("{name} {count}"))
                .collect();
            if !fixes.is_empty() {
                parts.push(format!("fixes: {}", fixes.join(", ")));
            }
        }
        parts.push(plural(self.errors, "error"));
        format!("fastapi-codemod: {}", parts.join("; "))
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[derive(Serialize)]
struct Totals<'a> {
    files_scanned: usize,
    files_changed: usize,
    fixes: &'a Counts,
    findings: usize,
    errors: usize,
}

/// `list`: every transform with its safety and summary.
pub fn list(transforms: &[&Transform], format: OutputFormat) -> String {
    if format == OutputFormat::Json {
        #[derive(Serialize)]
        struct Entry {
            name: &'static str,
            safety: &'static str,
            summary: &'static str,
        }
        let entries: Vec<Entry> = transforms
            .iter()
            .map(|transform| Entry {
                name: transform.name,
                safety: transform.safety.as_str(),
                summary: transform.summary,
            })
            .collect();
        return serde_json::to_string_pretty(&entries).unwrap_or_default() + "\n";
    }
    let width = transforms
        .iter()
        .map(|transform| transform.name.len())
        .max()
        .unwrap_or(0);
    transforms
        .iter()
        .map(|transform| {
            format!(
                "{:width$}  {:7}  {}\n",
                transform.name,
                transform.safety.as_str(),
                transform.summary
            )
        })
        .collect()
}
