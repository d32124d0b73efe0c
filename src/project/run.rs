//! A whole project's run: the index pass, the plans, every file, and the
//! check that makes every cross-file change land whole or not at all.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::project::Project;
use crate::project::index::{IndexQuery, ModuleSummary, ProjectIndex, summarize_with_facts};
use crate::project::partition::Partition;
use crate::project::pipeline::{
    FileError, FileOutcome, FirstLook, Mode, Selection, first_look, parse_file, process_module,
};
use crate::project::plan::{PlanContext, PlanFile, PlannedStep, Promise};
use crate::project::settings::Settings;
use crate::project::transform::Transform;
use crate::python::fastapi::FastApiFacts;
use crate::python::naming::{SecretFields, mentions_identifier};
use crate::text::files::FileChange;
use crate::text::source::Fingerprint;

/// The index, and the plan of every transform in `selected` that makes one.
pub fn plan_project(
    mut index: ProjectIndex,
    settings: &Settings,
    selected: &[&'static Transform],
    paths: &std::collections::HashMap<String, PathBuf>,
    root: Option<&Path>,
    read: &(dyn Fn(&Path) -> Option<String> + Sync),
    list: &(dyn Fn(&Path) -> Vec<PathBuf> + Sync),
    whole_project: bool,
) -> Project {
    if let Some(fields) = settings.get::<SecretFields>() {
        index.set_secret_fields(fields.0.clone());
    }
    let names: Vec<&'static str> = selected.iter().map(|transform| transform.name).collect();
    let context = PlanContext {
        index: &index,
        paths,
        root,
        settings,
        selected: &names,
        read,
        list,
        whole_project,
    };
    // Each plan is made from the index alone: on threads of their own.
    use rayon::prelude::*;
    let plans = selected
        .par_iter()
        .filter_map(|transform| {
            let plan = (transform.plan?)(&context);
            Some(PlannedStep {
                made_by: transform.name,
                safety: transform.safety,
                plan,
            })
        })
        .collect();
    let held_back = match root {
        Some(root) => {
            let declared = crate::project::dependencies::Declared::read(&context, root);
            selected
                .iter()
                .filter_map(|transform| {
                    let requirement = transform.requires?;
                    let reason = declared.rules_out(&requirement)?;
                    Some((transform.name, reason))
                })
                .collect()
        }
        None => Vec::new(),
    };
    Project {
        index,
        plans,
        held_back,
    }
}

/// One file of a project run.
#[derive(Debug, Clone)]
pub struct ProjectFile<'a> {
    /// Where it is (as the command line names it).
    pub path: PathBuf,
    /// Dotted module name, when the file belongs to a package layout.
    pub module_name: Option<String>,
    /// Its name from the project root through the directories above its
    /// package that hold no `__init__.py` (`src/`, a namespace package
    /// `api/`), when that differs: used when the project imports modules
    /// by such names (`src.app.main`, `api.v1.routes`).
    pub outer_module_name: Option<String>,
    pub is_package: bool,
    pub selection: &'a Selection,
    /// Whether a change to this file can be kept (`apply` may refuse some);
    /// an alias is only defined in a file that can.
    pub writable: bool,
}

/// Where a run reads its files and learns whether it may change others.
/// The command line reads files from disk, again each time the engine
/// asks, and refuses a file that changed in between, so that no run holds
/// every file's bytes; tests hand texts over.
pub trait Workspace: Sync {
    /// The decoded text of the `position`-th Python file, or why it cannot be had.
    fn text(&self, position: usize) -> Result<Cow<'_, str>, String>;

    /// The text of another file (`.env`, `pyproject.toml`), `None` when it
    /// does not exist.
    fn read(&self, _path: &Path) -> Result<Option<String>, String> {
        Ok(None)
    }

    /// Why a whole-file change may not be made, if it may not: it would
    /// overwrite a file, or git could not undo it.
    fn refusal(&self, _change: &FileChange) -> Option<String> {
        None
    }

    /// The project's directory, when it has one (its `pyproject.toml`'s).
    fn root(&self) -> Option<&Path> {
        None
    }

    /// The files under `directory`, in path order, but for Python's
    /// bytecode caches.
    fn files_under(&self, _directory: &Path) -> Vec<PathBuf> {
        Vec::new()
    }

    /// Whether the run takes in the project's whole directory, rather than
    /// part of it (`apply app/routers`): a plan that moves modules must see
    /// every file that imports them.
    fn covers_project(&self) -> bool {
        true
    }
}

impl<T: AsRef<str> + Sync> Workspace for Vec<T> {
    fn text(&self, position: usize) -> Result<Cow<'_, str>, String> {
        Ok(Cow::Borrowed(self[position].as_ref()))
    }
}

/// What a project's run does: each file's outcome, in the order given,
/// and the whole-file changes of its plans.
#[derive(Debug, Default)]
pub struct ProjectRun {
    pub files: Vec<FileOutcome>,
    pub changes: Vec<ChangeOutcome>,
    /// Which of them land together.
    pub units: LandingUnits,
    /// The promises the run keeps (names other files' changes rely on),
    /// with the transform whose plan made each.
    pub kept: Vec<(&'static str, Promise)>,
}

/// Which changes land together, all or none: a file and the home of a
/// promise it relies on, the modules through which it imports that name,
/// and the whole-file changes its plan makes. Each file and each
/// whole-file change belongs to one unit; a unit's `home` is the path of
/// the module or file whose promise ties it together (the first in path
/// order), else that of its only member. A run that writes part of a
/// project (`--shard`) writes whole units.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LandingUnits {
    /// Each file's unit, in the order of the run's files.
    pub of_file: Vec<usize>,
    /// Each whole-file change's unit, in the order of the run's changes.
    pub of_change: Vec<usize>,
    /// Each unit's home.
    pub home: Vec<PathBuf>,
}

/// Told how a project's run goes, for a progress bar.
pub trait Progress: Sync {
    /// One more file read, summarized and looked at.
    fn indexed(&self) {}
    /// The files that must run again against the whole project: `total`
    /// of them, `done` finished so far.
    fn fixing(&self, _done: usize, _total: usize) {}
}

/// A run nobody watches.
pub struct Unwatched;

impl Progress for Unwatched {}

/// A whole-file change of a plan, made on the workspace's files.
#[derive(Debug, Clone)]
pub struct ChangeOutcome {
    pub change: FileChange,
    /// The transform whose plan asked for it.
    pub made_by: &'static str,
    /// Other transforms whose plans edit the same file, in this one write
    /// (`.env.example` listing two plans' keys).
    pub also_made_by: Vec<&'static str>,
    /// The file's contents before (for a move, the moved file's), if it exists.
    pub before: Option<String>,
    /// Its contents after, when the change is made and changes something.
    pub after: Option<String>,
    /// Why the change cannot be made.
    pub error: Option<String>,
    /// For a created module that the selected transforms fixed: the
    /// modules its text imports at module level (absolute), whose
    /// promises it may rely on.
    pub imports: Vec<String>,
}

/// Runs a whole project: the index pass, the plans, then every file, in
/// parallel. A promise that did not land (its module could not be written,
/// or its fixes broke) is withdrawn from its plan, and the files that
/// consulted the plan run again without it: a change across files lands
/// whole or not at all.
///
/// Each file is parsed once in the index pass, where its transforms also
/// look at it against a recording index. A file with nothing to fix whose
/// look the real index would not change is finished there, on that one
/// parse; only the others are read and parsed again once the plans are made.
pub fn process_project(files: &[ProjectFile], workspace: &dyn Workspace, mode: Mode) -> ProjectRun {
    run(files, workspace, mode, true, &Unwatched, &[])
}

/// [`process_project`] taking the index pass of an earlier run where a file
/// still reads as it did then (`known`, by position, as [`IndexPass::of`]
/// gives them): only the other files are parsed in the index pass. The
/// outcome is the same as without them.
pub fn process_project_knowing(
    files: &[ProjectFile],
    workspace: &dyn Workspace,
    mode: Mode,
    known: &[IndexPass],
) -> ProjectRun {
    run(files, workspace, mode, true, &Unwatched, known)
}

/// [`process_project`], telling `progress` how it goes.
pub fn process_project_watched(
    files: &[ProjectFile],
    workspace: &dyn Workspace,
    mode: Mode,
    progress: &dyn Progress,
) -> ProjectRun {
    run(files, workspace, mode, true, progress, &[])
}

/// [`process_project`] without keeping any first look: every file runs
/// again against the project. The outcome must be the same; tests check it.
pub fn process_project_in_full(
    files: &[ProjectFile],
    workspace: &dyn Workspace,
    mode: Mode,
) -> ProjectRun {
    run(files, workspace, mode, false, &Unwatched, &[])
}

fn run(
    files: &[ProjectFile],
    workspace: &dyn Workspace,
    mode: Mode,
    keep_first_looks: bool,
    progress: &dyn Progress,
    known: &[IndexPass],
) -> ProjectRun {
    use rayon::prelude::*;

    let (settings, selected) = settings_and_transforms(files);
    let secret_fields = settings
        .get::<SecretFields>()
        .map(|fields| fields.0.clone())
        .unwrap_or_default();
    let IndexedFiles {
        passes: first,
        names,
    } = index_files(files, workspace, &secret_fields, progress, known);
    let mut summaries = Vec::with_capacity(first.len());
    let mut looks = Vec::with_capacity(first.len());
    let mut outcomes: Vec<Option<FileOutcome>> = Vec::with_capacity(first.len());
    let mut lengths: Vec<usize> = Vec::with_capacity(first.len());
    for pass in first {
        lengths.push(pass.length);
        summaries.push(pass.summary);
        looks.push(pass.look);
        outcomes.push(pass.error.map(|error| FileOutcome {
            error: Some(error),
            ..FileOutcome::default()
        }));
    }
    let index = ProjectIndex::new(summaries.into_iter().flatten().map(Arc::unwrap_or_clone));
    let paths: std::collections::HashMap<String, PathBuf> = names
        .iter()
        .zip(files)
        .filter_map(|(name, file)| Some((name.clone()?, file.path.clone())))
        .collect();
    let read = |path: &Path| workspace.read(path).ok().flatten();
    let list = |directory: &Path| workspace.files_under(directory);
    let mut project = plan_project(
        index,
        &settings,
        &selected,
        &paths,
        workspace.root(),
        &read,
        &list,
        workspace.covers_project(),
    );
    let unsafe_fixes = files.iter().any(|file| file.selection.unsafe_fixes);
    let positions: std::collections::HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .filter_map(|(position, name)| Some((name.as_deref()?, position)))
        .collect();
    // A promise to define a name in a module that takes no fix in this run
    // cannot be kept: it is withdrawn before any file runs, as a round
    // would find it broken and withdraw it after running the files.
    let mut withdrawn: Vec<Promise> = Vec::new();
    for step in &mut project.plans {
        let hopeless: Vec<Promise> = step
            .plan
            .promises()
            .into_iter()
            .filter(|promise| {
                matches!(promise, Promise::Defines { module, .. }
                if positions.get(module.as_str()).is_some_and(|&position| {
                    files[position]
                        .selection
                        .review
                        .as_ref()
                        .is_some_and(|review| review.admits_none_in(module))
                }))
            })
            .collect();
        if !hopeless.is_empty() {
            step.plan.withdraw(&hopeless);
            withdrawn.extend(hopeless);
        }
    }
    let plan_file = |position: usize| PlanFile {
        module_name: names[position].as_deref(),
        summary: names[position]
            .as_deref()
            .and_then(|name| project.index.module(name)),
    };

    // A file's first look stands when it has nothing to fix, no plan
    // concerns it, and the real index answers every question it asked as
    // the recording one did: its run would be the same. The others run
    // again, against the project.
    let mut pending: Vec<bool> = vec![false; files.len()];
    let standing: Vec<bool> = looks
        .par_iter()
        .enumerate()
        .map(|(position, look)| {
            // A look with fixes stands too when none of them may apply.
            let unfixed = |look: &Look| {
                !look.first.has_fixes
                    || files[position]
                        .selection
                        .review
                        .as_ref()
                        .is_some_and(|review| {
                            review.admits_none_in(names[position].as_deref().unwrap_or_default())
                        })
            };
            look.as_ref().is_some_and(|look| {
                keep_first_looks
                    && unfixed(look)
                    && !project
                        .plans
                        .iter()
                        .any(|step| step.plan.concerns(&plan_file(position)))
                    && look
                        .queries
                        .iter()
                        .all(|query| project.index.answers_like(query))
            })
        })
        .collect();
    for ((position, look), stands) in looks.into_iter().enumerate().zip(standing) {
        let Some(look) = look else {
            // A file that could not be read or parsed has its error; one
            // whose look failed runs again, where the failure is reported.
            pending[position] = outcomes[position].is_none();
            continue;
        };
        if stands {
            // A look an earlier run keeps too is copied.
            let first =
                Arc::try_unwrap(look).map_or_else(|look| look.first.clone(), |look| look.first);
            outcomes[position] = Some(FileOutcome {
                findings: first.findings,
                consulted: first.consulted,
                ..FileOutcome::default()
            });
        } else {
            pending[position] = true;
        }
    }
    // Each round withdraws at least one promise from finite plans, and a
    // promise broken once is never checked again, so this ends.
    let by_path: std::collections::HashMap<&Path, usize> = files
        .iter()
        .enumerate()
        .map(|(position, file)| (file.path.as_path(), position))
        .collect();
    let mut changes = make_changes(&project, workspace, unsafe_fixes, files, &by_path);
    loop {
        // The longest first, each taken by the next free thread: no thread
        // is left alone with a large file at the end.
        let mut order: Vec<usize> = (0..files.len())
            .filter(|&position| pending[position])
            .collect();
        order.sort_by_key(|&position| std::cmp::Reverse(lengths[position]));
        let total = order.len();
        let done = std::sync::atomic::AtomicUsize::new(0);
        progress.fixing(0, total);
        let rerun: Vec<(usize, FileOutcome)> = order
            .into_iter()
            .par_bridge()
            .map(|position| {
                let file = &files[position];
                let outcome = match workspace.text(position) {
                    Ok(text) => process_module(
                        &text,
                        file.selection,
                        mode,
                        &project,
                        names[position].as_deref(),
                        file.is_package,
                    ),
                    Err(message) => FileOutcome {
                        error: Some(FileError::Unreadable { message }),
                        ..FileOutcome::default()
                    },
                };
                let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress.fixing(finished, total);
                (position, outcome)
            })
            .collect();
        for (position, mut outcome) in rerun {
            // A file run again because a plan its broken fix relied on was
            // withdrawn keeps the error, when it now changes nothing: the
            // internal error is still reported.
            if let Some(previous) = outcomes[position].take()
                && matches!(previous.error, Some(FileError::BrokenOutput { .. }))
                && outcome.error.is_none()
                && outcome.fixed.is_none()
            {
                outcome.error = previous.error;
            }
            outcomes[position] = Some(outcome);
        }
        pending.iter_mut().for_each(|flag| *flag = false);
        settle_moves(&mut changes, files, &by_path, &outcomes, workspace);
        if mode == Mode::Check {
            break;
        }
        let mut any_broken = false;
        for step in &mut project.plans {
            // Fixes that cannot apply write nothing, and nothing relies on them.
            if step.safety == crate::text::edit::Safety::Unsafe && !unsafe_fixes {
                continue;
            }
            let broken: Vec<Promise> = step
                .plan
                .promises()
                .into_iter()
                .filter(|promise| !withdrawn.contains(promise))
                .filter(|promise| !promise_kept(promise, files, &positions, &outcomes, &changes))
                .collect();
            if broken.is_empty() {
                continue;
            }
            any_broken = true;
            let kind = {
                let plan: &dyn std::any::Any = &*step.plan;
                plan.type_id()
            };
            for position in 0..files.len() {
                let consulted = outcomes[position]
                    .as_ref()
                    .is_some_and(|outcome| outcome.consulted.contains(&kind));
                let summary = names[position]
                    .as_deref()
                    .and_then(|name| project.index.module(name));
                let file = PlanFile {
                    module_name: names[position].as_deref(),
                    summary,
                };
                if consulted || step.plan.concerns(&file) {
                    pending[position] = true;
                }
            }
            step.plan.withdraw(&broken);
            withdrawn.extend(broken);
        }
        if !any_broken {
            break;
        }
        // A change that could not be made is still reported, with why,
        // though the plan no longer asks for it.
        let refused: Vec<ChangeOutcome> = changes
            .into_iter()
            .filter(|made| made.error.is_some())
            .collect();
        changes = make_changes(&project, workspace, unsafe_fixes, files, &by_path);
        for made in refused {
            if !changes
                .iter()
                .any(|other| other.change.path() == made.change.path())
            {
                changes.push(made);
            }
        }
    }
    // The homes of kept promises are what other files' changes rely on:
    // they are written first, each after those it imports.
    let mut providers: Vec<usize> = Vec::new();
    for step in &project.plans {
        for promise in step.plan.promises() {
            if let Some(&position) = promise.module().and_then(|module| positions.get(module))
                && let Some(outcome) = outcomes[position].as_ref()
                && kept(&files[position], outcome, &promise)
                && !providers.contains(&position)
            {
                providers.push(position);
            }
        }
    }
    let ranks = write_ranks(&providers, &names, &outcomes);
    for (position, outcome) in outcomes.iter_mut().enumerate() {
        if let Some(outcome) = outcome {
            outcome.write_rank = ranks.get(&position).copied().unwrap_or(providers.len());
        }
    }
    let applicable: Vec<&PlannedStep> = project
        .plans
        .iter()
        .filter(|step| step.safety != crate::text::edit::Safety::Unsafe || unsafe_fixes)
        .collect();
    let units = landing_units(&applicable, files, &names, &positions, &outcomes, &changes);
    let kept: Vec<(&'static str, Promise)> = applicable
        .iter()
        .flat_map(|step| {
            step.plan
                .promises()
                .into_iter()
                .map(|promise| (step.made_by, promise))
        })
        .filter(|(_, promise)| !withdrawn.contains(promise))
        .collect();
    // A module that moves is written at its new place only; one that is
    // removed, nowhere.
    for made in &changes {
        if let Some(from) = made.change.removes()
            && let Some(&position) = by_path.get(from.as_path())
            && let Some(outcome) = outcomes[position].as_mut()
        {
            outcome.fixed = None;
            outcome.original = None;
        }
    }
    let Project { index, plans, .. } = project;
    drop(plans);
    index.free_in_parallel();
    ProjectRun {
        files: outcomes
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect(),
        changes,
        units,
        kept,
    }
}

/// The settings of a project and the transforms it runs: the first
/// configuration that sets a kind of setting wins; every transform some
/// file runs.
pub(super) fn settings_and_transforms(
    files: &[ProjectFile],
) -> (Settings, Vec<&'static Transform>) {
    let mut settings = Settings::default();
    let mut selected: Vec<&'static Transform> = Vec::new();
    for file in files {
        settings.fill_from(&file.selection.options.settings);
        for transform in &file.selection.transforms {
            if !selected
                .iter()
                .any(|known| std::ptr::eq(*known, *transform))
            {
                selected.push(transform);
            }
        }
    }
    (settings, selected)
}

/// Every file's index pass, and the module names the project knows them by.
pub(super) struct IndexedFiles {
    pub(super) passes: Vec<IndexPass>,
    pub(super) names: Vec<Option<String>>,
}

/// The index pass: each file read and parsed once, summarized, and looked
/// at by its transforms against a recording index; a project that imports
/// its modules by their names from the project root (`src.app.main`) has
/// those files summarized again under those names. A file that reads as it
/// did in an earlier pass `known` holds for it (by position), and that was
/// made under the name it has now, keeps that pass.
pub(super) fn index_files(
    files: &[ProjectFile],
    workspace: &dyn Workspace,
    secret_fields: &[String],
    progress: &dyn Progress,
    known: &[IndexPass],
) -> IndexedFiles {
    use rayon::prelude::*;

    let mut names: Vec<Option<String>> =
        files.iter().map(|file| file.module_name.clone()).collect();
    // The top names modules would have from the project root (`src`,
    // a namespace package's `api`), where they differ.
    let outer_top = |file: &ProjectFile| -> Option<String> {
        let outer = file.outer_module_name.as_deref()?;
        let top = outer.split('.').next()?;
        let inner = file
            .module_name
            .as_deref()
            .and_then(|name| name.split('.').next());
        (Some(top) != inner).then(|| top.to_string())
    };
    let mut outer_tops: Vec<String> = files.iter().filter_map(outer_top).collect();
    outer_tops.sort();
    outer_tops.dedup();
    let pass_of = |position: usize, module_name: Option<&str>| {
        index_pass(
            &files[position],
            module_name,
            workspace,
            position,
            secret_fields,
            &outer_tops,
        )
    };
    // A known pass stands here whatever name it was made under: what the
    // file imports is read from its text. Its name is checked below.
    let mut first: Vec<IndexPass> = (0..files.len())
        .into_par_iter()
        .map(|position| {
            let still = known.get(position).filter(|pass| {
                workspace
                    .text(position)
                    .is_ok_and(|text| Some(Fingerprint::of(text.as_bytes())) == pass.text)
            });
            let pass = match still {
                Some(pass) => pass.clone(),
                None => pass_of(position, names[position].as_deref()),
            };
            progress.indexed();
            pass
        })
        .collect();
    // A project that imports `src.…` (or `api.v1.…` through a namespace
    // package) names its modules from the project root.
    let imported_tops: Vec<&str> = first
        .iter()
        .flat_map(|pass| {
            pass.imports_outer
                .iter()
                .map(|&top| outer_tops[top].as_str())
        })
        .collect();
    if !imported_tops.is_empty() {
        for (position, file) in files.iter().enumerate() {
            let renamed = file
                .outer_module_name
                .as_deref()
                .and_then(|outer| outer.split('.').next())
                .is_some_and(|top| imported_tops.contains(&top));
            if renamed {
                names[position].clone_from(&file.outer_module_name);
            }
        }
    }
    // The files whose pass was made under another name are looked at again.
    let again: Vec<(usize, IndexPass)> = (0..files.len())
        .into_par_iter()
        .filter(|&position| first[position].module_name != names[position])
        .map(|position| (position, pass_of(position, names[position].as_deref())))
        .collect();
    for (position, pass) in again {
        first[position] = pass;
    }
    IndexedFiles {
        passes: first,
        names,
    }
}

/// The units in which a run's changes land (see [`LandingUnits`]).
fn landing_units(
    steps: &[&PlannedStep],
    files: &[ProjectFile],
    names: &[Option<String>],
    positions: &std::collections::HashMap<&str, usize>,
    outcomes: &[Option<FileOutcome>],
    changes: &[ChangeOutcome],
) -> LandingUnits {
    // Nodes: the files, then the whole-file changes.
    let change_node = |index: usize| files.len() + index;
    let mut units = Partition::new(files.len() + changes.len());
    let changed = |position: usize| {
        outcomes[position]
            .as_ref()
            .filter(|outcome| outcome.fixed.is_some())
    };
    let mut homes: Vec<usize> = Vec::new();
    for step in steps {
        let kind = {
            let plan: &dyn std::any::Any = &*step.plan;
            plan.type_id()
        };
        // The changed files that relied on this plan.
        let users: Vec<usize> = (0..files.len())
            .filter(|&position| {
                changed(position).is_some_and(|outcome| outcome.consulted.contains(&kind))
            })
            .collect();
        let imports = |position: usize, module: &str| {
            changed(position).is_some_and(|outcome| outcome.imports.iter().any(|m| m == module))
        };
        let promises = step.plan.promises();
        // A file the plan's own transform fixed relies on its whole-file
        // changes (the `.env` its secret moved to); one that only looked at
        // the plan does not.
        let fixed_by_it: Vec<usize> = users
            .iter()
            .copied()
            .filter(|&position| {
                changed(position).is_some_and(|outcome| outcome.applied.contains_key(step.made_by))
            })
            .collect();
        let step_changes: Vec<std::path::PathBuf> = step
            .plan
            .file_changes()
            .iter()
            .map(|change| change.path().to_path_buf())
            .collect();
        let mut promised_changes: Vec<usize> = Vec::new();
        let mut step_homes: Vec<usize> = Vec::new();
        for promise in &promises {
            match promise {
                Promise::Defines { module, name } => {
                    let home = match positions.get(module.as_str()) {
                        Some(&position) if changed(position).is_some() => Some(position),
                        Some(_) => None,
                        None => changes
                            .iter()
                            .position(|made| {
                                matches!(&made.change, FileChange::Create { module: Some(created), .. } if created == module)
                            })
                            .map(change_node),
                    };
                    let Some(home) = home else { continue };
                    if home >= files.len() {
                        promised_changes.push(home - files.len());
                    }
                    step_homes.push(home);
                    // A file relies on the promise when it imports the
                    // module, or a user that re-exports from it (a
                    // package's `__init__`), and the plan's transform fixed
                    // it (it reads the field a class gains) or its new text
                    // names the promised name (another transform's fix
                    // that uses it).
                    let relies = |user: usize| {
                        fixed_by_it.contains(&user)
                            || changed(user)
                                .and_then(|outcome| outcome.fixed.as_deref())
                                .is_some_and(|text| mentions_identifier(text, name))
                    };
                    let direct: Vec<usize> = users
                        .iter()
                        .copied()
                        .filter(|&user| imports(user, module) && relies(user))
                        .collect();
                    for &user in &direct {
                        units.join(user, home);
                        let Some(through) = names[user].as_deref() else {
                            continue;
                        };
                        for &other in &users {
                            if other != user && imports(other, through) && relies(other) {
                                units.join(other, user);
                            }
                        }
                    }
                }
                Promise::Writes { path } => {
                    for (index, made) in changes.iter().enumerate() {
                        if made.change.path() == path {
                            promised_changes.push(index);
                            step_homes.push(change_node(index));
                            for &user in &fixed_by_it {
                                units.join(user, change_node(index));
                            }
                        }
                    }
                }
            }
        }
        // The plan's other changes (`.gitignore`, a dependency) go with
        // its promises' homes, or with one another.
        let others: Vec<usize> = changes
            .iter()
            .enumerate()
            .filter(|(index, made)| {
                !promised_changes.contains(index)
                    && step_changes.iter().any(|path| path == made.change.path())
            })
            .map(|(index, _)| change_node(index))
            .collect();
        let anchors: Vec<usize> = if step_homes.is_empty() {
            others.first().copied().into_iter().collect()
        } else {
            step_homes.clone()
        };
        for &other in &others {
            for &anchor in &anchors {
                units.join(other, anchor);
            }
        }
        homes.extend(step_homes);
    }
    // A created module that other transforms fixed relies on the promises
    // of the modules it imports whose names its text uses (an alias
    // another plan defines).
    for (index, made) in changes.iter().enumerate() {
        let (
            FileChange::Create {
                module: Some(created),
                ..
            },
            Some(text),
        ) = (&made.change, &made.after)
        else {
            continue;
        };
        for step in steps {
            for promise in step.plan.promises() {
                let Promise::Defines { module, name } = &promise else {
                    continue;
                };
                if module == created
                    || !made.imports.contains(module)
                    || !mentions_identifier(text, name)
                {
                    continue;
                }
                let home = match positions.get(module.as_str()) {
                    Some(&position) => changed(position).map(|_| position),
                    None => changes
                        .iter()
                        .position(|other| {
                            matches!(&other.change, FileChange::Create { module: Some(other), .. } if other == module)
                        })
                        .map(change_node),
                };
                if let Some(home) = home {
                    units.join(change_node(index), home);
                }
            }
        }
    }
    let path_of = |node: usize| -> &Path {
        if node < files.len() {
            &files[node].path
        } else {
            changes[node - files.len()].change.path()
        }
    };
    // Each unit's number, in order of its lead node, and its home.
    let groups = units.groups();
    let mut unit_of_node: Vec<usize> = vec![0; files.len() + changes.len()];
    let mut home: Vec<PathBuf> = Vec::with_capacity(groups.len());
    for (unit, group) in groups.iter().enumerate() {
        for &node in group {
            unit_of_node[node] = unit;
        }
        home.push(path_of(group[0]).to_path_buf());
    }
    let of_file: Vec<usize> = unit_of_node[..files.len()].to_vec();
    let of_change: Vec<usize> = unit_of_node[files.len()..].to_vec();
    // A unit tied by promises is at home where its first promise lives.
    let mut promise_homes: Vec<(usize, &Path)> = homes
        .iter()
        .map(|&node| {
            let unit = if node < files.len() {
                of_file[node]
            } else {
                of_change[node - files.len()]
            };
            (unit, path_of(node))
        })
        .collect();
    promise_homes.sort();
    for (unit, path) in promise_homes.into_iter().rev() {
        home[unit] = path.to_path_buf();
    }
    LandingUnits {
        of_file,
        of_change,
        home,
    }
}

/// Every plan's whole-file changes, made on the workspace's files (an
/// unsafe plan's only when unsafe fixes apply, none of a plan whose
/// transform the project's dependencies hold back). Two plans editing one text
/// file edit it in turn: the second sees what the first made.
///
/// A module of the project that moves, or is removed, is read from the
/// workspace as the run's other files are; a move that takes the text its
/// run makes is completed by [`settle_moves`] once that run is done.
///
/// A module a plan creates goes through the selected transforms like any
/// module of the project (with the selection of the files nearest to it):
/// the code a plan moves there from other modules comes out as the other
/// transforms write the rest of the project, and a second run finds
/// nothing to do.
fn make_changes(
    project: &Project,
    workspace: &dyn Workspace,
    unsafe_fixes: bool,
    files: &[ProjectFile],
    by_path: &std::collections::HashMap<&Path, usize>,
) -> Vec<ChangeOutcome> {
    let mut made: Vec<ChangeOutcome> = Vec::new();
    for step in &project.plans {
        let held_back = project
            .held_back
            .iter()
            .any(|(name, _)| *name == step.made_by);
        if held_back || step.safety == crate::text::edit::Safety::Unsafe && !unsafe_fixes {
            continue;
        }
        for change in step.plan.file_changes() {
            let mut outcome = ChangeOutcome {
                change,
                made_by: step.made_by,
                also_made_by: Vec::new(),
                before: None,
                after: None,
                error: None,
                imports: Vec::new(),
            };
            let made_so_far: &[ChangeOutcome] = &made;
            let mut imports = Vec::new();
            let result: Result<(Option<String>, Option<String>), String> = (|| {
                if let Some(reason) = workspace.refusal(&outcome.change) {
                    return Err(reason);
                }
                match &outcome.change {
                    FileChange::Create {
                        path,
                        contents,
                        module: Some(module),
                    } => {
                        let (text, imported) =
                            created_module(project, files, path, module, contents);
                        imports = imported;
                        Ok((None, Some(text)))
                    }
                    FileChange::Create { contents, .. } => Ok((None, Some(contents.clone()))),
                    FileChange::Move {
                        from,
                        contents: None,
                        ..
                    } if by_path.contains_key(from.as_path()) => Ok((None, None)),
                    FileChange::Move { from, contents, .. } => {
                        let before = match by_path.get(from.as_path()) {
                            Some(&position) => Some(workspace.text(position)?.into_owned()),
                            None => workspace.read(from)?,
                        }
                        .ok_or_else(|| format!("{}: no such file to move", from.display()))?;
                        let after = contents.clone().unwrap_or_else(|| before.clone());
                        Ok((Some(before), Some(after)))
                    }
                    FileChange::Remove { path } => {
                        let before = match by_path.get(path.as_path()) {
                            Some(&position) => Some(workspace.text(position)?.into_owned()),
                            None => workspace.read(path)?,
                        }
                        .ok_or_else(|| format!("{}: no such file to remove", path.display()))?;
                        Ok((Some(before), None))
                    }
                    FileChange::Edit { path, edit } => {
                        let before = match earlier_edit(made_so_far, path) {
                            Some(earlier) => earlier.after.clone().or(earlier.before.clone()),
                            None => workspace.read(path)?,
                        };
                        let after = edit.apply(before.as_deref())?;
                        Ok((before, after))
                    }
                }
            })();
            match result {
                Ok((before, after)) => {
                    // A file an earlier plan edits takes this edit too, in
                    // one write.
                    if let FileChange::Edit { path, .. } = &outcome.change
                        && let Some(earlier) = earlier_edit(&made, path)
                        && let Some(position) =
                            made.iter().position(|other| std::ptr::eq(other, earlier))
                    {
                        if after.is_some() {
                            made[position].after = after;
                            made[position].also_made_by.push(step.made_by);
                        }
                        continue;
                    }
                    outcome.before = before;
                    outcome.after = after;
                    outcome.imports = imports;
                }
                Err(message) => outcome.error = Some(message),
            }
            made.push(outcome);
        }
    }
    made
}

/// A created module's contents once the selected transforms have run over
/// them (as planned when they fix nothing, or fail), and, when they fixed
/// something, the modules the new text imports.
fn created_module(
    project: &Project,
    files: &[ProjectFile],
    path: &Path,
    module: &str,
    contents: &str,
) -> (String, Vec<String>) {
    let planned = || (contents.to_string(), Vec::new());
    if path.extension().is_none_or(|extension| extension != "py") {
        return planned();
    }
    // The selection of the file sharing the most of the new one's directory.
    let shared = |file: &&ProjectFile| {
        file.path
            .parent()
            .into_iter()
            .flat_map(Path::components)
            .zip(path.parent().into_iter().flat_map(Path::components))
            .take_while(|(a, b)| a == b)
            .count()
    };
    let Some(nearest) = files.iter().max_by_key(shared) else {
        return planned();
    };
    let is_package = path.file_name().is_some_and(|name| name == "__init__.py");
    let outcome = process_module(
        contents,
        nearest.selection,
        Mode::Fix,
        project,
        Some(module),
        is_package,
    );
    match (outcome.error, outcome.fixed) {
        (None, Some(fixed)) => (fixed, outcome.imports),
        _ => planned(),
    }
}

/// Completes the moves of project modules that take what their run makes:
/// the text before is the module's, the text after is its fixes' (or the
/// same, when nothing changed it). A module that could not be processed,
/// or may not be written, is not moved: the move says why, which breaks
/// any promise that relied on it.
fn settle_moves(
    changes: &mut [ChangeOutcome],
    files: &[ProjectFile],
    by_path: &std::collections::HashMap<&Path, usize>,
    outcomes: &[Option<FileOutcome>],
    workspace: &dyn Workspace,
) {
    for made in changes.iter_mut() {
        let FileChange::Move {
            from,
            contents: None,
            ..
        } = &made.change
        else {
            continue;
        };
        let Some(&position) = by_path.get(from.as_path()) else {
            continue;
        };
        if made.error.is_some() && made.before.is_none() && made.after.is_none() {
            // Refused before the run (its new place exists).
            continue;
        }
        made.before = None;
        made.after = None;
        made.error = None;
        let result = (|| {
            let outcome = outcomes[position]
                .as_ref()
                .ok_or_else(|| "was not processed; not moved".to_string())?;
            if let Some(error) = &outcome.error {
                return Err(format!("{error}; not moved"));
            }
            if !files[position].writable {
                return Err("may not be changed; not moved".to_string());
            }
            let before = match &outcome.original {
                Some(original) => original.clone(),
                None => workspace.text(position)?.into_owned(),
            };
            let after = outcome.fixed.clone().unwrap_or_else(|| before.clone());
            Ok((before, after))
        })();
        match result {
            Ok((before, after)) => {
                made.before = Some(before);
                made.after = Some(after);
            }
            Err(message) => made.error = Some(message),
        }
    }
}

/// The edit of `path` an earlier plan made, if one did.
fn earlier_edit<'m>(made: &'m [ChangeOutcome], path: &Path) -> Option<&'m ChangeOutcome> {
    made.iter().find(|earlier| {
        earlier.error.is_none()
            && matches!(&earlier.change, FileChange::Edit { path: other, .. } if other == path)
    })
}

/// Whether a promise is kept: its module's new text binds the name (a
/// module of the project, or one a change creates, which must parse), or
/// the change of its path can be made.
fn promise_kept(
    promise: &Promise,
    files: &[ProjectFile],
    positions: &std::collections::HashMap<&str, usize>,
    outcomes: &[Option<FileOutcome>],
    changes: &[ChangeOutcome],
) -> bool {
    match promise {
        Promise::Defines { module, name } => {
            if let Some(&position) = positions.get(module.as_str()) {
                return outcomes[position]
                    .as_ref()
                    .is_some_and(|outcome| kept(&files[position], outcome, promise));
            }
            changes.iter().any(|made| {
                matches!(&made.change, FileChange::Create { module: Some(created), .. } if created == module)
                    && made.error.is_none()
                    && made.after.as_deref().is_some_and(|contents| {
                        ruff_python_parser::parse_module(contents).is_ok_and(|parsed| {
                            crate::python::fastapi::module_bound_names(parsed.syntax())
                                .iter()
                                .any(|bound| bound == name)
                        })
                    })
            })
        }
        // Every change of the path can be made: an edit another plan's
        // edit could not join breaks the promise too.
        Promise::Writes { path } => {
            let mut of_path = changes
                .iter()
                .filter(|made| made.change.path() == path)
                .peekable();
            of_path.peek().is_some() && of_path.all(|made| made.error.is_none())
        }
    }
}

/// Each provider's rank: how many providers it imports from, through one
/// another, before it (a cycle is broken in position order).
fn write_ranks(
    providers: &[usize],
    names: &[Option<String>],
    outcomes: &[Option<FileOutcome>],
) -> std::collections::HashMap<usize, usize> {
    let module_of = |position: usize| names[position].as_deref().unwrap_or_default();
    let depends_on = |position: usize, other: usize| {
        outcomes[position].as_ref().is_some_and(|outcome| {
            outcome
                .imports
                .iter()
                .any(|imported| imported == module_of(other))
        })
    };
    let mut ranks: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let mut remaining: Vec<usize> = providers.to_vec();
    remaining.sort_unstable();
    let mut rank = 0;
    while !remaining.is_empty() {
        // Those relying on no provider still to be written.
        let mut ready: Vec<usize> = remaining
            .iter()
            .copied()
            .filter(|&position| {
                !remaining
                    .iter()
                    .any(|&other| other != position && depends_on(position, other))
            })
            .collect();
        if ready.is_empty() {
            ready.push(remaining[0]);
        }
        for position in &ready {
            ranks.insert(*position, rank);
        }
        remaining.retain(|position| !ready.contains(position));
        rank += 1;
    }
    ranks
}

/// What the index pass learns of one file. A later run over the same
/// files may take it for a file that still reads the same
/// ([`process_project_knowing`]); it is cheap to copy.
#[derive(Debug, Clone)]
pub struct IndexPass {
    pub(super) summary: Option<Arc<ModuleSummary>>,
    pub(super) look: Option<Arc<Look>>,
    /// Why the file cannot be processed at all.
    pub(super) error: Option<FileError>,
    /// Which of the outer top names (`src`, `api`) the file imports from.
    imports_outer: Vec<usize>,
    /// The length of its text, which is about what running it again costs.
    pub(super) length: usize,
    /// The name the file was summarized and looked at under.
    module_name: Option<String>,
    /// What its text was, when it could be read.
    text: Option<Fingerprint>,
}

impl IndexPass {
    /// The summary of the module, when the file could be summarized.
    pub fn summary(&self) -> Option<&Arc<ModuleSummary>> {
        self.summary.as_ref()
    }
}

/// A file's first look, with the questions it asked of the index.
#[derive(Debug)]
pub(super) struct Look {
    first: FirstLook,
    queries: Vec<IndexQuery>,
}

/// Reads and parses a file once, summarizes it for the index, and lets its
/// transforms look at it against a recording index that stands for the
/// project (see [`ProjectIndex::recording`]).
fn index_pass(
    file: &ProjectFile,
    module_name: Option<&str>,
    workspace: &dyn Workspace,
    position: usize,
    secret_fields: &[String],
    outer_tops: &[String],
) -> IndexPass {
    let failed = |error, length, text| IndexPass {
        summary: None,
        look: None,
        error: Some(error),
        imports_outer: Vec::new(),
        length,
        module_name: module_name.map(str::to_string),
        text,
    };
    let text = match workspace.text(position) {
        Ok(text) => text,
        Err(message) => return failed(FileError::Unreadable { message }, 0, None),
    };
    let length = text.len();
    let fingerprint = Some(Fingerprint::of(text.as_bytes()));
    let imports_outer: Vec<usize> = outer_tops
        .iter()
        .enumerate()
        .filter(|(_, top)| {
            [format!("from {top}."), format!("import {top}.")]
                .iter()
                .any(|import| {
                    text.contains(import.as_str())
                        && text
                            .lines()
                            .any(|line| line.trim_start().starts_with(import.as_str()))
                })
        })
        .map(|(position, _)| position)
        .collect();
    let parsed = match parse_file(text) {
        Ok(parsed) => parsed,
        Err(error) => return failed(error, length, fingerprint),
    };
    let facts = catch_unwind(AssertUnwindSafe(|| {
        FastApiFacts::new(parsed.parsed.syntax())
    }));
    let Ok(facts) = facts else {
        // The second pass reports the panic.
        return IndexPass {
            summary: None,
            look: None,
            error: None,
            imports_outer,
            length,
            module_name: module_name.map(str::to_string),
            text: fingerprint,
        };
    };
    let summary = module_name.and_then(|name| {
        catch_unwind(AssertUnwindSafe(|| {
            summarize_with_facts(
                name,
                file.is_package,
                parsed.parsed.syntax(),
                parsed.parsed.tokens(),
                parsed.source.text(),
                &facts,
            )
        }))
        .ok()
    });
    let recording = Project {
        index: ProjectIndex::recording(secret_fields.to_vec()),
        plans: Vec::new(),
        held_back: Vec::new(),
    };
    let look = first_look(
        &parsed,
        &facts,
        file.selection,
        &recording,
        module_name,
        file.is_package,
    )
    .ok()
    .map(|first| Look {
        first,
        queries: recording.index.take_log(),
    });
    IndexPass {
        summary: summary.map(Arc::new),
        look: look.map(Arc::new),
        error: None,
        imports_outer,
        length,
        module_name: module_name.map(str::to_string),
        text: fingerprint,
    }
}

/// Whether a file's outcome keeps a promise: it may be written, it was,
/// and its new text binds the promised name at module level.
fn kept(file: &ProjectFile, outcome: &FileOutcome, promise: &Promise) -> bool {
    if !file.writable || outcome.error.is_some() || outcome.fixed.is_none() {
        return false;
    }
    match promise {
        Promise::Defines { name, .. } => outcome.bound_names.iter().any(|bound| bound == name),
        Promise::Writes { .. } => false,
    }
}
