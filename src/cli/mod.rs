//! The command line: walks paths, reads files, runs the engine on each in
//! parallel, prints diffs, findings and a summary in a deterministic order,
//! and writes changes back. The only part of the crate that does I/O.

mod args;
mod config;
mod diff;
pub mod modules;
mod report;
pub mod walk;
mod write;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use rayon::prelude::*;

pub use args::{Cli, Command, OutputFormat, RunArgs};
use config::{ConfigResolver, ProjectConfig};
use report::{FileReport, Report};
use walk::{WalkItem, collect_files};

use crate::project::pipeline::{self, Mode, Selection};
use crate::project::run::{ProjectFile, process_project};
use crate::project::transform::{Transform, TransformOptions};
use crate::text::edit::Safety;

/// Files larger than this are refused rather than parsed.
const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Stack size for worker threads: deep but legal code must not overflow.
const WORKER_STACK_BYTES: usize = 64 * 1024 * 1024;

/// What a run does with the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Diff { exit_code: bool },
    Apply { allow_dirty: bool },
    Check,
}

/// The transforms a run can choose from, in the order they run.
#[derive(Debug, Clone, Copy)]
pub struct Catalogue(pub &'static [&'static Transform]);

impl Catalogue {
    pub fn by_name(self, name: &str) -> Option<&'static Transform> {
        self.0
            .iter()
            .copied()
            .find(|transform| transform.name == name)
    }
}

/// Parses the command line and runs it with the transforms of `catalogue`.
pub fn main(catalogue: Catalogue) -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Diff { run, exit_code } => execute(catalogue, &run, Action::Diff { exit_code }),
        Command::Apply { run, allow_dirty } => {
            execute(catalogue, &run, Action::Apply { allow_dirty })
        }
        Command::Check { run } => execute(catalogue, &run, Action::Check),
        Command::List { format } => {
            print!("{}", report::list(catalogue.0, format));
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { name } => match catalogue.by_name(&name) {
            Some(transform) => {
                print!("{}", transform.documentation());
                Ok(ExitCode::SUCCESS)
            }
            None => bail!("unknown transform `{name}`; `fastapi-codemod list` shows them all"),
        },
    }
}

fn execute(catalogue: Catalogue, run: &RunArgs, action: Action) -> Result<ExitCode> {
    // Validate names once, up front: a typo is a usage error, not a silent no-op.
    for name in run.select.iter().flatten().chain(&run.ignore) {
        check_transform_name(catalogue, name)?;
    }
    let jobs = run
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(WORKER_STACK_BYTES)
        .build()
        .context("cannot start worker threads")?;
    match &run.stdin_filename {
        Some(name) => pool.install(|| execute_stdin(catalogue, run, action, name)),
        None => pool.install(|| execute_paths(catalogue, run, action)),
    }
}

fn check_transform_name(catalogue: Catalogue, name: &str) -> Result<()> {
    if name == "ALL" || catalogue.by_name(name).is_some() {
        Ok(())
    } else {
        bail!("unknown transform `{name}`; `fastapi-codemod list` shows them all")
    }
}

/// The transforms and options for a file, from its configuration and the
/// command line (which wins).
fn selection_for(
    catalogue: Catalogue,
    run: &RunArgs,
    config: Option<&ProjectConfig>,
) -> Result<Selection> {
    let (select, mut ignore): (Option<&Vec<String>>, Vec<String>) = match &run.select {
        Some(select) => (Some(select), Vec::new()),
        None => (
            config.and_then(|config| config.select.as_ref()),
            config
                .map(|config| config.ignore.clone())
                .unwrap_or_default(),
        ),
    };
    ignore.extend(run.ignore.iter().cloned());
    for name in select.into_iter().flatten().chain(&ignore) {
        check_transform_name(catalogue, name)?;
    }
    let chosen: Vec<&'static Transform> = catalogue
        .0
        .iter()
        .copied()
        .filter(|transform| match select {
            Some(names) => names
                .iter()
                .any(|name| name == transform.name || (name == "ALL")),
            None => transform.safety != Safety::OptIn,
        })
        .filter(|transform| !ignore.iter().any(|name| name == transform.name))
        .collect();
    let target_version = run
        .target_version
        .map(|version| version.0)
        .or_else(|| config.and_then(|config| config.target_version))
        .unwrap_or(TransformOptions::default().target_version);
    let line_length = config
        .and_then(|config| config.line_length)
        .unwrap_or(TransformOptions::default().line_length);
    Ok(Selection {
        transforms: chosen,
        unsafe_fixes: run.unsafe_fixes,
        options: TransformOptions {
            target_version,
            line_length,
            settings: config
                .map(|config| config.settings.clone())
                .unwrap_or_default(),
        },
    })
}

/// One file as read: its selection and bytes, or why it cannot be processed.
struct Loaded {
    path: PathBuf,
    read: Result<(Selection, Vec<u8>), String>,
}

fn execute_paths(catalogue: Catalogue, run: &RunArgs, action: Action) -> Result<ExitCode> {
    let paths = if run.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        run.paths.clone()
    };
    let items = collect_files(&paths);

    // Configuration is resolved up front, in order, so workers share nothing mutable.
    let mut resolver = ConfigResolver::new(run.config.as_deref(), catalogue.0);
    let mut work: Vec<(PathBuf, Result<Selection, String>)> = Vec::new();
    let mut report = Report::new(action, run.format);
    for item in items {
        match item {
            WalkItem::Error { path, message } => {
                report.add(FileReport::error(display(&path), message))
            }
            WalkItem::File { path, explicit } => {
                let config = match resolver.for_file(&path) {
                    Some(Ok(config)) => Some(config),
                    Some(Err(message)) => {
                        work.push((path, Err(format!("configuration error: {message}"))));
                        continue;
                    }
                    None => None,
                };
                if !explicit
                    && config
                        .as_ref()
                        .is_some_and(|config| config.is_excluded(&path))
                {
                    continue;
                }
                let selection = selection_for(catalogue, run, config.as_ref())
                    .map_err(|error| format!("{error:#}"));
                work.push((path, selection));
            }
        }
    }

    let mode = if action == Action::Check {
        Mode::Check
    } else {
        Mode::Fix
    };
    // Read every file in parallel; what cannot be read is an error line.
    let loaded: Vec<Loaded> = work
        .into_par_iter()
        .map(|(path, selection)| {
            let read = selection.and_then(|selection| {
                let bytes = read_limited(&path)?;
                decode(&bytes)?;
                Ok((selection, bytes))
            });
            Loaded { path, read }
        })
        .collect();

    // Module names and, for `apply`, which files git lets us write.
    // A project that imports `src.…` names its modules from above `src/`.
    let imports_src = loaded.iter().any(|file| {
        file.read.as_ref().is_ok_and(|(_, bytes)| {
            bytes
                .split(|byte| *byte == b'\n')
                .any(|line| line.starts_with(b"from src.") || line.starts_with(b"import src."))
        })
    });
    let mut namer = modules::ModuleNamer::default().keeping_src(imports_src);
    let mut git = write::GitGuard::default();
    // Per file: its module name and whether it is a package, and why `apply` may not write it.
    type Place = (Option<(String, bool)>, Option<String>);
    let mut places: Vec<Place> = Vec::new();
    for file in &loaded {
        let module = namer.module_name(&file.path);
        let refusal = match action {
            Action::Apply { allow_dirty: false } if file.read.is_ok() => git.refusal(&file.path),
            _ => None,
        };
        places.push((module, refusal));
    }
    let project_files: Vec<ProjectFile> = loaded
        .iter()
        .zip(&places)
        .filter_map(|(file, (module, refusal))| {
            let (selection, bytes) = file.read.as_ref().ok()?;
            Some(ProjectFile {
                module_name: module.as_ref().map(|(name, _)| name.clone()),
                is_package: module.as_ref().is_some_and(|(_, package)| *package),
                contents: std::str::from_utf8(bytes).ok()?,
                selection,
                writable: refusal.is_none(),
            })
        })
        .collect();
    let mut outcomes = process_project(&project_files, mode).into_iter();

    for (file, (_, refusal)) in loaded.into_iter().zip(places) {
        let display_path = display(&file.path);
        let (_, original) = match file.read {
            Ok(read) => read,
            Err(message) => {
                report.add(FileReport::error(display_path, message));
                continue;
            }
        };
        let outcome = outcomes.next().expect("one outcome per readable file");
        let mut file_report = FileReport::from_outcome(display_path, &original, outcome);
        if let (Action::Apply { .. }, Some(fixed)) = (action, file_report.fixed.as_ref()) {
            let written = match refusal {
                Some(reason) => Err(reason),
                None => write::write_atomically(&file.path, &original, fixed)
                    .map_err(|error| format!("{error:#}")),
            };
            if let Err(message) = written {
                file_report.refuse(message);
            }
        }
        report.add(file_report);
    }
    report.finish()
}

fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path).map_err(|error| walk::io_message(&error))?;
    let metadata = file.metadata().map_err(|error| walk::io_message(&error))?;
    if metadata.is_dir() {
        return Err("is a directory".into());
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(format!(
            "file is larger than {} MiB; skipped",
            MAX_FILE_BYTES / 1024 / 1024
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)
        .map_err(|error| walk::io_message(&error))?;
    Ok(bytes)
}

/// The file's text, or why it is not a Python source file we can edit.
fn decode(bytes: &[u8]) -> Result<&str, String> {
    let text = std::str::from_utf8(bytes).map_err(|error| {
        format!(
            "not valid UTF-8 (invalid byte at offset {}); only UTF-8 files are processed",
            error.valid_up_to()
        )
    })?;
    if let Some(offset) = text.find('\0') {
        return Err(format!(
            "contains a NUL byte at offset {offset}; not a Python source file"
        ));
    }
    Ok(text)
}

fn execute_stdin(
    catalogue: Catalogue,
    run: &RunArgs,
    action: Action,
    name: &Path,
) -> Result<ExitCode> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .context("cannot read standard input")?;
    let mut resolver = ConfigResolver::new(run.config.as_deref(), catalogue.0);
    let config = match resolver.for_file(name) {
        Some(Ok(config)) => Some(config),
        Some(Err(message)) => bail!("configuration error: {message}"),
        None => None,
    };
    let selection = selection_for(catalogue, run, config.as_ref())?;
    let mode = if action == Action::Check {
        Mode::Check
    } else {
        Mode::Fix
    };
    let result = decode(&bytes).map(|text| pipeline::process(text, &selection, mode));
    let mut report = Report::new(action, run.format).for_stdin(&bytes);
    match result {
        Ok(outcome) => report.add(FileReport::from_outcome(display(name), &bytes, outcome)),
        Err(message) => report.add(FileReport::error(display(name), message)),
    }
    report.finish()
}

/// A path as users wrote it, with `/` separators and no leading `./`.
fn display(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

/// Whether coloured output is wanted on standard output.
fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Totals over a run, by transform name.
type Counts = BTreeMap<&'static str, usize>;
