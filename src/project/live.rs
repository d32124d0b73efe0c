//! A project kept current while its files change, for an editor's language
//! server. It is indexed once, as a run's index pass does; when a file
//! changes, only that module is summarized again and put in its place in
//! the index (which mends its maps and resolves again the uses that go
//! through it), and the plans are made again from the index. A file is
//! checked against it without running any other file. What fixes would
//! make across files is asked of a whole run ([`super::run`]) over the
//! same files ([`RunInputs`]), which is what `apply` would do; it takes
//! the index pass made here of every file that still reads the same.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use crate::project::Project;
use crate::project::index::{ModuleSummary, ProjectIndex, summarize_with_facts};
use crate::project::pipeline::{FileOutcome, Mode, Selection, parse_file, process_parsed};
use crate::project::run::{
    IndexPass, IndexedFiles, Progress, ProjectFile, ProjectRun, Workspace, index_files,
    plan_project, process_project_knowing, settings_and_transforms,
};
use crate::project::settings::Settings;
use crate::project::transform::Transform;
use crate::python::fastapi::FastApiFacts;
use crate::python::naming::SecretFields;

/// A file of a live project: where it is, its module, and which of the
/// project's selections applies to it.
#[derive(Debug, Clone)]
pub struct LiveFile {
    pub path: PathBuf,
    pub module_name: Option<String>,
    pub outer_module_name: Option<String>,
    pub is_package: bool,
    pub selection: usize,
}

/// A project's index and plans, kept current file by file.
pub struct LiveProject {
    files: Vec<LiveFile>,
    selections: Vec<Selection>,
    /// Each file's module name, as the index knows it.
    names: Vec<Option<String>>,
    /// Each file's summary as it was made, before the index resolved its
    /// uses through other modules: what they are resolved again from.
    unresolved: Vec<Option<Arc<ModuleSummary>>>,
    /// Each file's index pass when the project was indexed.
    first_passes: Arc<[IndexPass]>,
    /// The file whose summary the index holds for each module name (the
    /// first, when two files have one name).
    owners: HashMap<String, usize>,
    project: Project,
    settings: Settings,
    selected: Vec<&'static Transform>,
    paths: std::collections::HashMap<String, PathBuf>,
    /// Whether the index changed since the plans were made.
    stale_plans: bool,
}

impl LiveProject {
    /// Indexes `files` (each naming one of `selections`) and makes the
    /// plans, telling `progress` of each file indexed.
    pub fn index(
        files: Vec<LiveFile>,
        selections: Vec<Selection>,
        workspace: &dyn Workspace,
        progress: &dyn Progress,
    ) -> LiveProject {
        let project_files = project_files(&files, &selections);
        let (settings, selected) = settings_and_transforms(&project_files);
        let secret_fields = settings
            .get::<SecretFields>()
            .map(|fields| fields.0.clone())
            .unwrap_or_default();
        let IndexedFiles { passes, names } =
            index_files(&project_files, workspace, &secret_fields, progress, &[]);
        drop(project_files);
        let unresolved: Vec<Option<Arc<ModuleSummary>>> =
            passes.iter().map(|pass| pass.summary().cloned()).collect();
        let mut owners: HashMap<String, usize> = HashMap::default();
        for (position, summary) in unresolved.iter().enumerate() {
            if let Some(summary) = summary {
                owners.entry(summary.name.clone()).or_insert(position);
            }
        }
        let index = ProjectIndex::new(
            unresolved
                .iter()
                .flatten()
                .map(|summary| (**summary).clone()),
        );
        let paths = names
            .iter()
            .zip(&files)
            .filter_map(|(name, file)| Some((name.clone()?, file.path.clone())))
            .collect();
        let mut live = LiveProject {
            files,
            selections,
            names,
            unresolved,
            first_passes: passes.into(),
            owners,
            project: Project::default(),
            settings,
            selected,
            paths,
            stale_plans: false,
        };
        live.plan(index, workspace);
        live
    }

    fn plan(&mut self, index: ProjectIndex, workspace: &dyn Workspace) {
        let read = |path: &Path| workspace.read(path).ok().flatten();
        let list = |directory: &Path| workspace.files_under(directory);
        self.project = plan_project(
            index,
            &self.settings,
            &self.selected,
            &self.paths,
            workspace.root(),
            &read,
            &list,
            workspace.covers_project(),
        );
    }

    pub fn files(&self) -> &[LiveFile] {
        &self.files
    }

    /// The position of the file at `path`.
    pub fn position(&self, path: &Path) -> Option<usize> {
        self.files.iter().position(|file| file.path == path)
    }

    /// The module name of the file at `position`, as the index knows it.
    pub fn module_name(&self, position: usize) -> Option<&str> {
        self.names[position].as_deref()
    }

    /// The selection of the file at `position`.
    pub fn selection(&self, position: usize) -> &Selection {
        &self.selections[self.files[position].selection]
    }

    /// The files and selections a whole run over the project takes, owned,
    /// so that the run can go on while the project keeps changing.
    pub fn run_inputs(&self) -> RunInputs {
        RunInputs {
            files: self.files.clone(),
            selections: self.selections.clone(),
            first_passes: Arc::clone(&self.first_passes),
        }
    }

    /// What the selected transforms find in the file at `position` when it
    /// reads `text`, against the rest of the project as indexed.
    pub fn check(&self, position: usize, text: &str) -> FileOutcome {
        let file = &self.files[position];
        match parse_file(text) {
            Ok(parsed) => process_parsed(
                parsed,
                self.selection(position),
                Mode::Check,
                &self.project,
                self.names[position].as_deref(),
                file.is_package,
            ),
            Err(error) => FileOutcome {
                error: Some(error),
                ..FileOutcome::default()
            },
        }
    }

    /// Takes in the file at `position` reading `text`, index and plans:
    /// [`LiveProject::take_in`], then [`LiveProject::replan`] when the index
    /// changed. Whether it did.
    pub fn update(&mut self, position: usize, text: &str, workspace: &dyn Workspace) -> bool {
        let changed = self.take_in(position, text);
        if changed {
            self.replan(workspace);
        }
        changed
    }

    /// Takes the file at `position` reading `text` into the index: its
    /// module is summarized again and, when its summary changed, replaces
    /// the old one. Text that does not parse leaves the index as it was.
    /// The plans stay as they were made until [`LiveProject::replan`]:
    /// checking a file in between sees the module's new summary with the
    /// plans of before. Whether the index changed.
    pub fn take_in(&mut self, position: usize, text: &str) -> bool {
        let Some(name) = self.names[position].clone() else {
            return false;
        };
        if self.owners.get(&name) != Some(&position) {
            return false;
        }
        let Ok(parsed) = parse_file(text) else {
            return false;
        };
        let summary = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let facts = FastApiFacts::new(parsed.parsed.syntax());
            summarize_with_facts(
                &name,
                self.files[position].is_package,
                parsed.parsed.syntax(),
                parsed.parsed.tokens(),
                parsed.source.text(),
                &facts,
            )
        }));
        let Ok(summary) = summary else {
            return false;
        };
        let unchanged = self.unresolved[position]
            .as_ref()
            .is_some_and(|old| **old == summary);
        if unchanged {
            return false;
        }
        self.unresolved[position] = Some(Arc::new(summary.clone()));
        let owners = &self.owners;
        let unresolved = &self.unresolved;
        let of = move |module: &str| {
            owners
                .get(module)
                .and_then(|&owner| unresolved[owner].as_deref())
        };
        self.project.index.replace_module(summary, &of);
        self.stale_plans = true;
        true
    }

    /// Has the plans made again at the next [`LiveProject::replan`]: what
    /// they read besides the modules (`.env`, `.gitignore`) changed.
    pub fn mark_plans_stale(&mut self) {
        self.stale_plans = true;
    }

    /// Whether the index changed since the plans were made.
    pub fn plans_are_stale(&self) -> bool {
        self.stale_plans
    }

    /// Makes the plans again from the index as it stands.
    pub fn replan(&mut self, workspace: &dyn Workspace) {
        let index = std::mem::take(&mut self.project.index);
        self.plan(index, workspace);
        self.stale_plans = false;
    }

    /// The index as it stands, for tests that compare it with one built
    /// from scratch.
    pub fn project(&self) -> &Project {
        &self.project
    }
}

/// What a whole run over a live project's files takes: the files, each
/// naming one of the selections, and the index pass each had when the
/// project was indexed. A run reads the files afresh, as `apply` would, and
/// parses again those that changed since.
#[derive(Debug, Clone)]
pub struct RunInputs {
    files: Vec<LiveFile>,
    selections: Vec<Selection>,
    first_passes: Arc<[IndexPass]>,
}

impl RunInputs {
    pub fn files(&self) -> &[LiveFile] {
        &self.files
    }

    /// The selections, each with `review` deciding which fixes apply.
    pub fn selections(
        &self,
        review: Option<std::sync::Arc<dyn crate::project::pipeline::FixReview>>,
    ) -> Vec<Selection> {
        self.selections
            .iter()
            .map(|selection| Selection {
                review: review.clone(),
                ..selection.clone()
            })
            .collect()
    }

    /// The files of a run with `selections` (see [`RunInputs::selections`]).
    pub fn run_files<'s>(&self, selections: &'s [Selection]) -> Vec<ProjectFile<'s>> {
        project_files(&self.files, selections)
    }

    /// The whole run over `files` (from [`RunInputs::run_files`]) that
    /// [`super::run::process_project`] makes.
    pub fn run(&self, files: &[ProjectFile], workspace: &dyn Workspace, mode: Mode) -> ProjectRun {
        process_project_knowing(files, workspace, mode, &self.first_passes)
    }
}

fn project_files<'s>(files: &[LiveFile], selections: &'s [Selection]) -> Vec<ProjectFile<'s>> {
    files
        .iter()
        .map(|file| ProjectFile {
            path: file.path.clone(),
            module_name: file.module_name.clone(),
            outer_module_name: file.outer_module_name.clone(),
            is_package: file.is_package,
            selection: &selections[file.selection],
            writable: true,
        })
        .collect()
}
