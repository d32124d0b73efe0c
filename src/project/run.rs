//! A whole project's run: the index pass, the plans, every file, and the
//! check that makes every cross-file change land whole or not at all.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::project::Project;
use crate::project::index::{ModuleSummary, ProjectIndex, summarize_parsed};
use crate::project::pipeline::{
    FileOutcome, Mode, Selection, parse_file, process_module, process_parsed,
};
use crate::project::plan::{PlanContext, PlanFile, PlannedStep, Promise};
use crate::project::settings::Settings;
use crate::project::transform::Transform;
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
    pub is_package: bool,
    pub contents: &'a str,
    pub selection: &'a Selection,
    /// Whether a change to this file can be kept (`apply` may refuse some);
    /// an alias is only defined in a file that can.
    pub writable: bool,
}

/// Runs a whole project: the index pass, the plans, then every file, in
/// parallel. A promise that did not land (its module could not be written,
/// or its fixes broke) is withdrawn from its plan, and the files that
/// consulted the plan run again without it: a change across files lands
/// whole or not at all.
///
/// Each file is parsed once in the index pass. A file whose transforms
/// cannot depend on other files (see [`Transform::needs_project`]) is
/// processed right there on that parse; only the others, and the files a
/// plan concerns, are parsed again once the plans are made.
pub fn process_project(files: &[ProjectFile], mode: Mode) -> Vec<FileOutcome> {
    use rayon::prelude::*;

    let empty = Project::default();
    let first: Vec<(Option<ModuleSummary>, Option<FileOutcome>)> = files
        .par_iter()
        .map(|file| {
            let parsed = match parse_file(file.contents) {
                Ok(parsed) => parsed,
                Err(error) => {
                    return (
                        None,
                        Some(FileOutcome {
                            error: Some(error),
                            ..FileOutcome::default()
                        }),
                    );
                }
            };
            let summary = file.module_name.as_deref().and_then(|name| {
                let summarized = catch_unwind(AssertUnwindSafe(|| {
                    summarize_parsed(name, file.is_package, &parsed.parsed, parsed.source.text())
                }));
                summarized.ok()
            });
            let outcome = (!needs_project(file)).then(|| {
                process_parsed(
                    parsed,
                    file.selection,
                    mode,
                    &empty,
                    file.module_name.as_deref(),
                    file.is_package,
                )
            });
            (summary, outcome)
        })
        .collect();
    let (summaries, mut outcomes): (Vec<Option<ModuleSummary>>, Vec<Option<FileOutcome>>) =
        first.into_iter().unzip();
    let index = ProjectIndex::new(summaries.into_iter().flatten());

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
    let mut project = plan_project(index, &settings, &selected);
    let unsafe_fixes = files.iter().any(|file| file.selection.unsafe_fixes);

    // Files left for the second pass: those that need the project, and
    // those a plan concerns.
    let mut pending: Vec<bool> = files
        .iter()
        .zip(&outcomes)
        .map(|(file, outcome)| {
            outcome.is_none()
                || project
                    .plans
                    .iter()
                    .any(|step| step.plan.concerns(&plan_file(&project.index, file)))
        })
        .collect();
    let positions: std::collections::HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .filter_map(|(position, file)| Some((file.module_name.as_deref()?, position)))
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
                let outcome = process_module(
                    file.contents,
                    file.selection,
                    mode,
                    &project,
                    file.module_name.as_deref(),
                    file.is_package,
                );
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
            for (position, file) in files.iter().enumerate() {
                let consulted = outcomes[position]
                    .as_ref()
                    .is_some_and(|outcome| outcome.consulted.contains(&kind));
                if consulted || step.plan.concerns(&plan_file(&project.index, file)) {
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
    outcomes
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect()
}

/// Whether some selected transform's work on this file can depend on other files.
fn needs_project(file: &ProjectFile) -> bool {
    file.selection
        .transforms
        .iter()
        .any(|transform| (transform.needs_project)(file.contents))
}

fn plan_file<'a>(index: &'a ProjectIndex, file: &'a ProjectFile) -> PlanFile<'a> {
    PlanFile {
        module_name: file.module_name.as_deref(),
        summary: file
            .module_name
            .as_deref()
            .and_then(|name| index.module(name)),
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
