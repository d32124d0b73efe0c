//! A whole project's run: the index pass, the plans, every file, and the
//! check that makes every cross-file change land whole or not at all.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::project::Project;
use crate::project::index::{IndexQuery, ModuleSummary, ProjectIndex, summarize_with_facts};
use crate::project::pipeline::{
    FileError, FileOutcome, FirstLook, Mode, Selection, first_look, parse_file, process_module,
};
use crate::project::plan::{PlanContext, PlanFile, PlannedStep, Promise};
use crate::project::settings::Settings;
use crate::project::transform::Transform;
use crate::python::fastapi::FastApiFacts;
use crate::python::naming::SecretFields;

/// The index, and the plan of every transform in `selected` that makes one.
pub fn plan_project(
    mut index: ProjectIndex,
    settings: &Settings,
    selected: &[&'static Transform],
) -> Project {
    if let Some(fields) = settings.get::<SecretFields>() {
        index.set_secret_fields(fields.0.clone());
    }
    let names: Vec<&'static str> = selected.iter().map(|transform| transform.name).collect();
    let context = PlanContext {
        index: &index,
        settings,
        selected: &names,
    };
    let plans = selected
        .iter()
        .filter_map(|transform| {
            let plan = (transform.plan?)(&context);
            Some(PlannedStep {
                made_by: transform.name,
                safety: transform.safety,
                plan,
            })
        })
        .collect();
    Project { index, plans }
}

/// One file of a project run.
#[derive(Debug, Clone)]
pub struct ProjectFile<'a> {
    /// Dotted module name, when the file belongs to a package layout.
    pub module_name: Option<String>,
    /// Its name when the project imports `src.…`: a `src/` directory that
    /// is no package is then part of module names (`src.app.main`).
    pub src_module_name: Option<String>,
    pub is_package: bool,
    pub selection: &'a Selection,
    /// Whether a change to this file can be kept (`apply` may refuse some);
    /// an alias is only defined in a file that can.
    pub writable: bool,
}

/// Where a run gets its files' texts, by position. The command line reads
/// them from disk, again each time the engine asks, and refuses a file that
/// changed in between, so that no run holds every file's bytes; tests
/// hand texts over.
pub trait Contents: Sync {
    /// The decoded text of the `position`-th file, or why it cannot be had.
    fn text(&self, position: usize) -> Result<Cow<'_, str>, String>;
}

impl<T: AsRef<str> + Sync> Contents for Vec<T> {
    fn text(&self, position: usize) -> Result<Cow<'_, str>, String> {
        Ok(Cow::Borrowed(self[position].as_ref()))
    }
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
pub fn process_project(
    files: &[ProjectFile],
    contents: &dyn Contents,
    mode: Mode,
) -> Vec<FileOutcome> {
    run(files, contents, mode, true)
}

/// [`process_project`] without keeping any first look: every file runs
/// again against the project. The outcome must be the same; tests check it.
pub fn process_project_in_full(
    files: &[ProjectFile],
    contents: &dyn Contents,
    mode: Mode,
) -> Vec<FileOutcome> {
    run(files, contents, mode, false)
}

fn run(
    files: &[ProjectFile],
    contents: &dyn Contents,
    mode: Mode,
    keep_first_looks: bool,
) -> Vec<FileOutcome> {
    use rayon::prelude::*;

    // The project's settings and transforms: the first configuration that
    // sets a kind of setting wins; every transform some file runs.
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
    let secret_fields = settings
        .get::<SecretFields>()
        .map(|fields| fields.0.clone())
        .unwrap_or_default();

    // The index pass: each file read and parsed once, summarized, and
    // looked at by its transforms against a recording index.
    let mut names: Vec<Option<String>> =
        files.iter().map(|file| file.module_name.clone()).collect();
    let mut first: Vec<IndexPass> = files
        .par_iter()
        .enumerate()
        .map(|(position, file)| {
            index_pass(
                file,
                names[position].as_deref(),
                contents,
                position,
                &secret_fields,
            )
        })
        .collect();
    // A project that imports `src.…` names its modules from above `src/`:
    // the files whose names that changes are looked at again.
    if first.iter().any(|pass| pass.imports_src) {
        let renamed: Vec<usize> = (0..files.len())
            .filter(|&position| files[position].src_module_name.is_some())
            .collect();
        for &position in &renamed {
            names[position].clone_from(&files[position].src_module_name);
        }
        let again: Vec<(usize, IndexPass)> = renamed
            .par_iter()
            .map(|&position| {
                let pass = index_pass(
                    &files[position],
                    names[position].as_deref(),
                    contents,
                    position,
                    &secret_fields,
                );
                (position, pass)
            })
            .collect();
        for (position, pass) in again {
            first[position] = pass;
        }
    }
    let mut summaries = Vec::with_capacity(first.len());
    let mut looks = Vec::with_capacity(first.len());
    let mut outcomes: Vec<Option<FileOutcome>> = Vec::with_capacity(first.len());
    for pass in first {
        summaries.push(pass.summary);
        looks.push(pass.look);
        outcomes.push(pass.error.map(|error| FileOutcome {
            error: Some(error),
            ..FileOutcome::default()
        }));
    }
    let index = ProjectIndex::new(summaries.into_iter().flatten());
    let mut project = plan_project(index, &settings, &selected);
    let unsafe_fixes = files.iter().any(|file| file.selection.unsafe_fixes);
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
    for (position, look) in looks.into_iter().enumerate() {
        let Some(look) = look else {
            // A file that could not be read or parsed has its error; one
            // whose look failed runs again, where the failure is reported.
            pending[position] = outcomes[position].is_none();
            continue;
        };
        let concerned = project
            .plans
            .iter()
            .any(|step| step.plan.concerns(&plan_file(position)));
        let stands = keep_first_looks
            && !look.first.has_fixes
            && !concerned
            && look
                .queries
                .iter()
                .all(|query| project.index.answers_like(query));
        if stands {
            outcomes[position] = Some(FileOutcome {
                findings: look.first.findings,
                consulted: look.first.consulted,
                ..FileOutcome::default()
            });
        } else {
            pending[position] = true;
        }
    }
    let positions: std::collections::HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .filter_map(|(position, name)| Some((name.as_deref()?, position)))
        .collect();
    // Each round withdraws at least one promise from finite plans, and a
    // promise broken once is never checked again, so this ends.
    let mut withdrawn: Vec<Promise> = Vec::new();
    loop {
        let rerun: Vec<(usize, FileOutcome)> = files
            .par_iter()
            .enumerate()
            .filter(|(position, _)| pending[*position])
            .map(|(position, file)| {
                let outcome = match contents.text(position) {
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
                (position, outcome)
            })
            .collect();
        for (position, outcome) in rerun {
            outcomes[position] = Some(outcome);
        }
        pending.iter_mut().for_each(|flag| *flag = false);
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
                .filter(|promise| {
                    let outcome = positions.get(promise.module()).and_then(|&position| {
                        Some((&files[position], outcomes[position].as_ref()?))
                    });
                    !outcome.is_some_and(|(file, outcome)| kept(file, outcome, promise))
                })
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
    }
    // The homes of kept promises are what other files' changes rely on:
    // they are written first, each after those it imports.
    let mut providers: Vec<usize> = Vec::new();
    for step in &project.plans {
        for promise in step.plan.promises() {
            if let Some(&position) = positions.get(promise.module())
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
    outcomes
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect()
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

/// What the index pass learns of one file.
struct IndexPass {
    summary: Option<ModuleSummary>,
    look: Option<Look>,
    /// Why the file cannot be processed at all.
    error: Option<FileError>,
    /// Whether the file imports `src.…`.
    imports_src: bool,
}

/// A file's first look, with the questions it asked of the index.
struct Look {
    first: FirstLook,
    queries: Vec<IndexQuery>,
}

/// Reads and parses a file once, summarizes it for the index, and lets its
/// transforms look at it against a recording index that stands for the
/// project (see [`ProjectIndex::recording`]).
fn index_pass(
    file: &ProjectFile,
    module_name: Option<&str>,
    contents: &dyn Contents,
    position: usize,
    secret_fields: &[String],
) -> IndexPass {
    let failed = |error| IndexPass {
        summary: None,
        look: None,
        error: Some(error),
        imports_src: false,
    };
    let text = match contents.text(position) {
        Ok(text) => text,
        Err(message) => return failed(FileError::Unreadable { message }),
    };
    let imports_src = text
        .lines()
        .any(|line| line.starts_with("from src.") || line.starts_with("import src."));
    let parsed = match parse_file(&text) {
        Ok(parsed) => parsed,
        Err(error) => return failed(error),
    };
    drop(text);
    let facts = catch_unwind(AssertUnwindSafe(|| {
        FastApiFacts::new(parsed.parsed.syntax())
    }));
    let Ok(facts) = facts else {
        // The second pass reports the panic.
        return IndexPass {
            summary: None,
            look: None,
            error: None,
            imports_src,
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
        summary,
        look,
        error: None,
        imports_src,
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
    }
}
