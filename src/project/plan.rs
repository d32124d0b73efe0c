//! Project steps: what a transform decides once for the whole project,
//! from the index, before any file runs, so that every file's run sees the
//! same decisions in parallel.
//!
//! A [`Plan`] says which files it concerns (a cheap prefilter: a file it
//! does not concern runs as if there were no plan), and what it promises
//! other files: a name that a module will define once the run has written
//! it. After each pass the engine checks every promise; one that did not
//! land (its module could not be written, or its fix broke) is withdrawn,
//! and the files that consulted the plan are run again without it. So a
//! change that spans files lands whole or not at all, whatever the
//! transform.

use std::any::Any;
use std::fmt::Debug;

use crate::project::index::{ModuleSummary, ProjectIndex};
use crate::project::settings::Settings;
use crate::text::edit::Safety;
use crate::text::files::FileChange;

/// A transform's decisions for the whole project.
pub trait Plan: Any + Send + Sync + Debug {
    /// Whether a file must run with this plan. A file the plan does not
    /// concern must come out the same with the plan as without it.
    fn concerns(&self, file: &PlanFile) -> bool;

    /// What other files may rely on once the run has written it.
    fn promises(&self) -> Vec<Promise> {
        Vec::new()
    }

    /// Takes back promises that did not land; the plan must no longer
    /// rely on them, nor let any file rely on them.
    fn withdraw(&mut self, _broken: &[Promise]) {}

    /// Files the plan creates or moves, and text files that are not Python
    /// it edits (`.env`, `.gitignore`, `pyproject.toml`). Each may be
    /// promised (`Promise::Defines` in a created module, `Promise::Writes`).
    fn file_changes(&self) -> Vec<FileChange> {
        Vec::new()
    }
}

/// What a plan may look at to decide whether it concerns a file.
#[derive(Debug, Clone, Copy)]
pub struct PlanFile<'a> {
    pub module_name: Option<&'a str>,
    /// The file's summary in the index, when it has one.
    pub summary: Option<&'a ModuleSummary>,
}

/// Something a plan promises other files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Promise {
    /// `module` binds `name` at module level once the run has written it
    /// (a module of the project, or one a plan creates).
    Defines { module: String, name: String },
    /// The plan's change of the file at `path` can be made.
    Writes { path: std::path::PathBuf },
}

impl Promise {
    /// The module whose new text must keep the promise, if a module's.
    pub fn module(&self) -> Option<&str> {
        match self {
            Promise::Defines { module, .. } => Some(module),
            Promise::Writes { .. } => None,
        }
    }
}

/// What a plan is computed from.
pub struct PlanContext<'a> {
    pub index: &'a ProjectIndex,
    /// Each module's file, for plans that create files next to modules.
    pub paths: &'a std::collections::HashMap<String, std::path::PathBuf>,
    /// The project's directory (its `pyproject.toml`'s), for `.env` and
    /// the like, when it has one.
    pub root: Option<&'a std::path::Path>,
    /// The project's settings: for each kind, the first configuration (in
    /// path order) that sets it.
    pub settings: &'a Settings,
    /// The names of the transforms that run on some file of the project.
    pub selected: &'a [&'static str],
    /// Reads a text file that is not Python (`.env`, `pyproject.toml`,
    /// `requirements.txt`): `None` when it does not exist or cannot be
    /// read. A plan that edits such a file decides from what it holds.
    pub read: &'a (dyn Fn(&std::path::Path) -> Option<String> + Sync),
    /// The files under a directory of the project, in path order (Python's
    /// bytecode caches left out): a plan that moves a package moves the
    /// data files beside its modules with them.
    pub list: &'a (dyn Fn(&std::path::Path) -> Vec<std::path::PathBuf> + Sync),
    /// Whether the run takes in the project's whole directory: a plan that
    /// moves modules must see every file that imports them.
    pub whole_project: bool,
}

impl PlanContext<'_> {
    /// Whether the transform named `name` runs on some file of the project.
    pub fn runs(&self, name: &str) -> bool {
        self.selected.contains(&name)
    }
}

/// One transform's plan in a run.
#[derive(Debug)]
pub struct PlannedStep {
    /// The name of the transform that made it.
    pub made_by: &'static str,
    /// That transform's safety: the promises of an unsafe one are kept
    /// only when unsafe fixes apply.
    pub safety: Safety,
    pub plan: Box<dyn Plan>,
}

impl PlannedStep {
    /// The plan as its own type, if it is a `P`.
    pub fn downcast<P: Plan>(&self) -> Option<&P> {
        let plan: &dyn Any = &*self.plan;
        plan.downcast_ref::<P>()
    }
}

/// The file, in the project's directory, that lists the moves a run has
/// begun to write, one `from -> to` entry a line (see [`journal_entry`]),
/// until every old place is removed. A run stopped part-way leaves it: the
/// next run knows a new place it lists as a move cut short, and any other
/// existing new place as a file it must not overwrite.
pub const MOVE_JOURNAL: &str = ".fastapi-codemod-moves";

/// One line of the [`MOVE_JOURNAL`]: both paths from the project's
/// directory, with `/`.
pub fn journal_entry(
    root: &std::path::Path,
    from: &std::path::Path,
    to: &std::path::Path,
) -> String {
    let relative = |path: &std::path::Path| {
        let path = path.strip_prefix(root).unwrap_or(path);
        let text = path.to_string_lossy().replace('\\', "/");
        text.strip_prefix("./").map(str::to_string).unwrap_or(text)
    };
    format!("{} -> {}", relative(from), relative(to))
}
