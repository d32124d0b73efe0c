//! The command line: walks paths, reads files, runs the engine on each in
//! parallel, prints diffs, findings and a summary in a deterministic order,
//! and writes changes back. The only part of the crate that does I/O.

mod args;
mod config;
mod diff;
mod disk;
mod gitlab;
pub mod modules;
mod path_map;
mod progress;
mod projects;
mod report;
mod review;
mod sarif;
mod server;
mod shard;
pub mod walk;
mod write;

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use rayon::prelude::*;

pub use args::{Cli, ColorChoice, Command, OutputFormat, RunArgs};
use config::{ConfigResolver, ProjectConfig};
use report::{FileReport, Report};
use walk::{WalkItem, collect_files};

use crate::project::pipeline::{self, Mode, Selection};
use crate::project::run::{ChangeOutcome, ProjectFile, ProjectRun, process_project_watched};
use crate::project::transform::{Transform, TransformOptions};
use crate::text::edit::Safety;
use crate::text::files::FileChange;

/// Stack size for worker threads: deep but legal code must not overflow.
const WORKER_STACK_BYTES: usize = 64 * 1024 * 1024;

/// What a run does with the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Diff {
        exit_code: bool,
    },
    Apply {
        allow_dirty: bool,
        interactive: bool,
        exit_non_zero_on_fix: bool,
    },
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
    match run(catalogue, std::env::args_os(), None) {
        // A reader that stopped reading (`| head`) wants nothing more.
        Err(error)
            if error.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        result => result,
    }
}

/// Runs a command line (`arguments`, the program's name first) with the
/// transforms of `catalogue`, printing to `output` (standard output when
/// `None`): for tests that bring transforms of their own.
pub fn run(
    catalogue: Catalogue,
    arguments: impl IntoIterator<Item = std::ffi::OsString>,
    output: Option<Box<dyn std::io::Write + Send>>,
) -> Result<ExitCode> {
    let cli = Cli::try_parse_from(arguments).unwrap_or_else(|error| error.exit());
    match cli.command {
        Command::Diff { run, exit_code } => {
            execute(catalogue, &run, Action::Diff { exit_code }, output)
        }
        Command::Apply {
            run,
            allow_dirty,
            interactive,
            exit_non_zero_on_fix,
        } => execute(
            catalogue,
            &run,
            Action::Apply {
                allow_dirty,
                interactive,
                exit_non_zero_on_fix,
            },
            output,
        ),
        Command::Check { run } => execute(catalogue, &run, Action::Check, output),
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
        Command::Server => server::serve(catalogue),
    }
}

fn execute(
    catalogue: Catalogue,
    run: &RunArgs,
    action: Action,
    output: Option<Box<dyn std::io::Write + Send>>,
) -> Result<ExitCode> {
    // Validate names once, up front: a typo is a usage error, not a silent no-op.
    for name in run.select.iter().flatten().chain(&run.ignore) {
        check_transform_name(catalogue, name)?;
    }
    if let Action::Apply {
        interactive: true, ..
    } = action
    {
        if run.stdin_filename.is_some() {
            bail!(
                "`--interactive` reviews files on disk; it cannot be combined with `--stdin-filename`"
            );
        }
        if run.format != OutputFormat::Text {
            bail!("`--interactive` asks on the terminal; it needs `--format text`");
        }
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
        Some(name) => pool.install(|| execute_stdin(catalogue, run, action, name, output)),
        None => pool.install(|| execute_paths(catalogue, run, action, output)),
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
        review: None,
        options: TransformOptions {
            target_version,
            line_length,
            settings: config
                .map(|config| config.settings.clone())
                .unwrap_or_default(),
        },
    })
}

/// A file of the run: where it is in path order, and its selection.
struct RunFile {
    /// Its position among everything the walk found, in path order.
    position: usize,
    path: PathBuf,
    /// Which of the run's selections applies to it.
    selection: usize,
}

/// The files a walk found, each with its selection (files with one
/// configuration share one), and those that cannot run, with why, or that
/// the configuration leaves out.
struct RunFiles {
    files: Vec<RunFile>,
    selections: Vec<Selection>,
    /// A walk position, its path and why it cannot run.
    errors: Vec<(usize, PathBuf, String)>,
    skipped: Vec<usize>,
}

/// Resolves each walked file's configuration and selection, in order, so
/// that workers share nothing mutable.
fn run_files(
    catalogue: Catalogue,
    run: &RunArgs,
    items: Vec<WalkItem>,
    resolver: &mut ConfigResolver,
) -> RunFiles {
    let mut errors: Vec<(usize, PathBuf, String)> = Vec::new();
    let mut skipped: Vec<usize> = Vec::new();
    let mut selections: Vec<Selection> = Vec::new();
    let mut selection_of_root: HashMap<Option<PathBuf>, usize> = HashMap::new();
    let mut files: Vec<RunFile> = Vec::new();
    for (position, item) in items.into_iter().enumerate() {
        match item {
            WalkItem::Error { path, message } => errors.push((position, path, message)),
            WalkItem::File { path, explicit } => {
                let config = match resolver.for_file(&path) {
                    Some(Ok(config)) => Some(config),
                    Some(Err(message)) => {
                        errors.push((position, path, format!("configuration error: {message}")));
                        continue;
                    }
                    None => None,
                };
                if (!explicit || run.force_exclude)
                    && config
                        .as_ref()
                        .is_some_and(|config| config.is_excluded(&path))
                {
                    skipped.push(position);
                    continue;
                }
                let root = config.as_ref().map(|config| config.root.clone());
                let selection = match selection_of_root.get(&root) {
                    Some(&selection) => selection,
                    None => match selection_for(catalogue, run, config.as_deref()) {
                        Ok(selection) => {
                            selections.push(selection);
                            selection_of_root.insert(root, selections.len() - 1);
                            selections.len() - 1
                        }
                        Err(error) => {
                            errors.push((position, path, format!("{error:#}")));
                            continue;
                        }
                    },
                };
                files.push(RunFile {
                    position,
                    path,
                    selection,
                });
            }
        }
    }

    RunFiles {
        files,
        selections,
        errors,
        skipped,
    }
}

fn execute_paths(
    catalogue: Catalogue,
    run: &RunArgs,
    action: Action,
    output: Option<Box<dyn std::io::Write + Send>>,
) -> Result<ExitCode> {
    let paths = if run.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        run.paths.clone()
    };
    let items = collect_files(&paths);

    // Configuration is resolved up front, in order, so workers share
    // nothing mutable; files with one configuration share one selection.
    let mut resolver = ConfigResolver::new(run.config.as_deref(), catalogue.0);
    let mut report = Report::new(action, run.format, use_colour(run.color)).quiet(run.quiet);
    if let Some(output) = output {
        report = report.with_output(output);
    }
    let mut roots = projects::Roots::default();
    let error_report = |path: &Path, message: String, roots: &mut projects::Roots| {
        let mut file = FileReport::error(display(path), message);
        file.package = Some(projects::label(roots.of(path).as_deref(), path));
        file
    };
    let RunFiles {
        files,
        mut selections,
        errors,
        skipped,
    } = run_files(catalogue, run, items, &mut resolver);
    for (position, path, message) in errors {
        report.add(position, error_report(&path, message, &mut roots));
    }
    for position in skipped {
        report.skip(position);
    }

    let mode = if action == Action::Check {
        Mode::Check
    } else {
        Mode::Fix
    };
    // One project at a time, so that memory follows the largest project.
    let mut namers = modules::ProjectNamers::default();
    let git = std::sync::Mutex::new(write::GitGuard::default());
    let guarded = matches!(
        action,
        Action::Apply {
            allow_dirty: false,
            ..
        }
    );
    let interactive = matches!(
        action,
        Action::Apply {
            interactive: true,
            ..
        }
    );
    let review =
        interactive.then(|| std::sync::Arc::new(review::Review::new(use_colour(run.color))));
    if let Some(review) = &review {
        for selection in &mut selections {
            selection.review = Some(review.clone());
        }
    }
    let progress = progress::RunProgress::new(
        files.len(),
        !run.quiet && matches!(run.format, OutputFormat::Text) && !interactive,
    );
    if let Some(progress) = &progress {
        report.set_progress(progress.bar());
    }
    for project in projects::group(files, &mut roots) {
        let refusals: Vec<Option<String>> = project
            .files
            .iter()
            .map(|file| {
                guarded
                    .then(|| {
                        git.lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .refusal(&file.path)
                    })
                    .flatten()
            })
            .collect();
        let project_files: Vec<ProjectFile> = project
            .files
            .iter()
            .zip(&refusals)
            .map(|(file, refusal)| {
                let mut project_file = namers.project_file(&file.path, &selections[file.selection]);
                project_file.writable = refusal.is_none();
                project_file
            })
            .collect();
        // The project's directory as its files' paths spell it, so that
        // `.env` shows beside them (relative when they are).
        let root = project.root.as_deref().map(|root| {
            projects::spelled_like(root, project.files.first().map(|file| file.path.as_path()))
        });
        // The run takes in the whole project when a path it was given
        // holds the project's directory.
        let whole = project.root.as_deref().is_none_or(|directory| {
            let directory = std::fs::canonicalize(directory).unwrap_or(directory.to_path_buf());
            paths.iter().any(|given| {
                std::fs::canonicalize(given).is_ok_and(|given| directory.starts_with(given))
            })
        });
        let disk = disk::DiskFiles::new(
            project.files.iter().map(|file| file.path.clone()).collect(),
            root.clone(),
            guarded.then_some(&git),
        )
        .covering_project(whole);
        let package = projects::label(
            project.root.as_deref(),
            project
                .files
                .first()
                .map_or(Path::new("."), |file| &file.path),
        );
        if let Some(progress) = &progress {
            progress.package(&package);
        }
        let watch: &dyn crate::project::run::Progress = match &progress {
            Some(progress) => progress,
            None => &crate::project::run::Unwatched,
        };
        let in_shard = |home: &Path| run.shard.is_none_or(|shard| shard.holds(home));
        let mut project_run = match &review {
            Some(review) => review.project(&project_files, &disk, mode, &in_shard)?,
            None => process_project_watched(&project_files, &disk, mode, watch),
        };
        let (file_in_shard, change_in_shard) = shard_members(&project_run, &in_shard);
        let ProjectRun {
            files: outcomes,
            changes,
            ..
        } = std::mem::take(&mut project_run);
        let last = project.files.last().map_or(0, |file| file.position);
        // Whole-file changes are what other files rely on: they go first,
        // and are reported after the project's last file. If one cannot be
        // made after all, none of the project's files is written. A move
        // writes its new place here; old places and removed files go last,
        // once every file that imported them is written.
        let mut failed_change: Option<String> = None;
        let positions: HashMap<&Path, usize> = project
            .files
            .iter()
            .enumerate()
            .map(|(position, file)| (file.path.as_path(), position))
            .collect();
        let fingerprint_of = |path: &Path| match positions.get(path) {
            Some(&position) => disk.fingerprint(position),
            None => disk.other_fingerprint(path),
        };
        let mut change_reports: Vec<(usize, FileReport, Option<ChangeOutcome>)> = Vec::new();
        // The moves about to be written, in the journal that lets a run
        // stopped part-way be finished.
        let journal_root = root.clone().unwrap_or_default();
        let journal = journal_root.join(crate::project::plan::MOVE_JOURNAL);
        let moves: Vec<String> = changes
            .iter()
            .enumerate()
            .filter(|(index, made)| {
                change_in_shard[*index]
                    && made.error.is_none()
                    && review
                        .as_ref()
                        .is_none_or(|review| review.admits_change(made))
            })
            .filter_map(|(_, made)| match &made.change {
                FileChange::Move { from, to, .. } => {
                    Some(crate::project::plan::journal_entry(&journal_root, from, to))
                }
                _ => None,
            })
            .collect();
        let moving = matches!(action, Action::Apply { .. })
            && changes.iter().any(|made| made.change.removes().is_some());
        let journaled = moving
            && (moves.is_empty()
                || std::fs::write(&journal, format!("{}\n", moves.join("\n"))).is_ok());
        for (index, made) in changes.into_iter().enumerate() {
            // `check` reports findings; a plan's whole-file changes are
            // what `diff` and `apply` show.
            if !change_in_shard[index] || action == Action::Check {
                continue;
            }
            if let Some(review) = &review
                && !review.admits_change(&made)
            {
                continue;
            }
            let mut change_report = FileReport::from_change(&made);
            change_report.package = Some(package.clone());
            let mut removal = None;
            if matches!(action, Action::Apply { .. }) && made.error.is_none() {
                let written = match (&made.change, &made.after) {
                    (FileChange::Remove { .. }, _) => Ok(made.before.is_some()),
                    (_, Some(after)) => {
                        write::before_write();
                        write_change(
                            &made,
                            after,
                            fingerprint_of(made.change.removes().unwrap_or(made.change.path())),
                        )
                        .map(|()| true)
                    }
                    (_, None) => Ok(false),
                };
                match written {
                    Ok(true) if made.change.removes().is_some() => removal = Some(made),
                    Ok(_) => {}
                    Err(error) => {
                        change_report.refuse(format!("{error:#}"));
                        failed_change.get_or_insert_with(|| display(made.change.path()));
                    }
                }
            }
            change_reports.push((index, change_report, removal));
        }
        // Then what relies on others' new names, after them.
        let mut order: Vec<usize> = (0..project.files.len()).collect();
        order.sort_by_key(|&position| outcomes[position].write_rank);
        // Diffs are made on every thread; writes and output stay in order.
        let mut reports: Vec<Option<FileReport>> = outcomes
            .into_par_iter()
            .zip(project.files.par_iter())
            .zip(file_in_shard.par_iter())
            .map(|((outcome, file), &in_shard)| {
                in_shard.then(|| FileReport::from_outcome(display(&file.path), outcome))
            })
            .collect();
        let mut failed_file: Option<String> = None;
        // The project's last file is reported after the changes are, which
        // are printed right after it.
        let mut last_report: Option<Option<FileReport>> = None;
        for position in order {
            let file = &project.files[position];
            let Some(mut file_report) = reports[position].take() else {
                if file.position == last {
                    last_report = Some(None);
                } else {
                    report.skip(file.position);
                }
                continue;
            };
            file_report.package = Some(package.clone());
            if let (Action::Apply { .. }, Some(fixed)) = (action, file_report.fixed.as_ref()) {
                let written = match (&refusals[position], disk.fingerprint(position)) {
                    (Some(reason), _) => Err(reason.clone()),
                    (None, _) if failed_change.is_some() => Err(format!(
                        "not written: the change of {}, which it may rely on, could not be made",
                        failed_change.as_deref().unwrap_or_default()
                    )),
                    (None, Some(read)) => {
                        write::before_write();
                        write::write_atomically(&file.path, read, fixed)
                            .map_err(|error| format!("{error:#}"))
                    }
                    (None, None) => Err("was not read; not written".into()),
                };
                if let Err(message) = written {
                    failed_file.get_or_insert_with(|| display(&file.path));
                    file_report.refuse(message);
                }
            }
            if file.position == last {
                last_report = Some(Some(file_report));
            } else {
                report.add(file.position, file_report);
            }
        }
        // Last, what the moves left behind and the files removed: only when
        // every file is written, since one that is not may import them;
        // in the reverse order of the changes, so that a module goes before
        // those it imports (a plan orders its changes so that what is
        // imported comes first).
        let removals: Vec<usize> = (0..change_reports.len())
            .filter(|&at| change_reports[at].2.is_some())
            .rev()
            .collect();
        for at in removals {
            let (_, change_report, removal) = &mut change_reports[at];
            let Some(made) = removal.take() else {
                continue;
            };
            let removes = made
                .change
                .removes()
                .map_or(made.change.path(), |path| path);
            let removed = match (&failed_change, &failed_file) {
                (Some(path), _) | (None, Some(path)) => Err(format!(
                    "{} is kept: {path}, which may import it, could not be written; running `apply` again finishes the change",
                    display(removes)
                )),
                (None, None) => {
                    write::before_write();
                    write::remove_file(removes, fingerprint_of(removes))
                        .map_err(|error| format!("{error:#}"))
                }
            };
            if let Err(message) = removed {
                change_report.refuse(message);
            }
        }
        // Every old place gone: the moves (a stopped run's too) are
        // finished.
        if journaled
            && journal.exists()
            && failed_file.is_none()
            && change_reports
                .iter()
                .all(|(_, report, _)| report.error.is_none())
        {
            let _ = std::fs::remove_file(&journal);
        }
        for (index, change_report, _) in change_reports {
            report.add_after(last, index, change_report);
        }
        match last_report {
            Some(Some(file_report)) => report.add(last, file_report),
            Some(None) => report.skip(last),
            None => {}
        }
    }
    if let Some(progress) = &progress {
        progress.finish();
    }
    report.finish(catalogue.0)
}

/// Which files and whole-file changes of a project's run the shard holds:
/// the landing units whose home it holds.
fn shard_members(run: &ProjectRun, in_shard: &dyn Fn(&Path) -> bool) -> (Vec<bool>, Vec<bool>) {
    let units: Vec<bool> = run.units.home.iter().map(|home| in_shard(home)).collect();
    let of = |unit: &usize| units.get(*unit).copied().unwrap_or(true);
    (
        run.units.of_file.iter().map(of).collect(),
        run.units.of_change.iter().map(of).collect(),
    )
}

/// A hash of bytes that is the same on every machine and in every
/// version (64-bit FNV-1a): shards and fingerprints rely on it.
pub(crate) fn stable_hash(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Makes a whole-file change on disk, but for what it removes: a move's
/// old place is removed once every file is written. `read` is the
/// fingerprint of the file as the run read it, where it did.
fn write_change(
    made: &ChangeOutcome,
    after: &str,
    read: Option<crate::text::source::Fingerprint>,
) -> Result<()> {
    match &made.change {
        FileChange::Create { path, .. } => write::create_new(path, after),
        FileChange::Move { from, to, .. } => {
            let read = read.context("was not read; not moved")?;
            write::copy_to_new(from, to, read, after)
        }
        FileChange::Edit { path, .. } => match read {
            Some(read) => write::write_atomically(path, read, after),
            None => write::create_new(path, after),
        },
        FileChange::Remove { .. } => Ok(()),
    }
}

fn execute_stdin(
    catalogue: Catalogue,
    run: &RunArgs,
    action: Action,
    name: &Path,
    output: Option<Box<dyn std::io::Write + Send>>,
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
    let selection = selection_for(catalogue, run, config.as_deref())?;
    // `--force-exclude`: an excluded buffer comes back as it is.
    if run.force_exclude
        && config
            .as_ref()
            .is_some_and(|config| config.is_excluded(name))
    {
        if matches!(action, Action::Apply { .. }) {
            let mut out = output.unwrap_or_else(|| Box::new(std::io::stdout()));
            out.write_all(&bytes)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mode = if action == Action::Check {
        Mode::Check
    } else {
        Mode::Fix
    };
    let mut report = Report::new(action, run.format, use_colour(run.color)).for_stdin(&bytes);
    if let Some(output) = output {
        report = report.with_output(output);
    }
    let result = disk::decode(bytes).map(|text| pipeline::process(&text, &selection, mode));
    match result {
        Ok(outcome) => report.add(0, FileReport::from_outcome(display(name), outcome)),
        Err(message) => report.add(0, FileReport::error(display(name), message)),
    }
    report.finish(catalogue.0)
}

/// A path as users wrote it, with `/` separators and no leading `./`.
fn display(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

/// Whether coloured output is wanted on standard output: always, never,
/// or on a terminal when `NO_COLOR` is not set.
fn use_colour(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        }
    }
}

/// Totals over a run, by transform name.
type Counts = BTreeMap<&'static str, usize>;
