//! The projects under the editor's workspace folders, found and configured
//! as the command line finds them (the same walk, `pyproject.toml` and
//! selection, with the client's options as the command line's flags), each
//! indexed live; and the files a run reads: an open buffer as the editor
//! holds it, every other file from disk.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::super::config::ConfigResolver;
use super::super::disk::DiskFiles;
use super::super::modules::ProjectNamers;
use super::super::walk::collect_files;
use super::super::{Catalogue, RunArgs, RunFiles, projects, run_files, selection_for};
use crate::project::live::{LiveFile, LiveProject, RunInputs};
use crate::project::pipeline::Selection;
use crate::project::run::{Progress, Workspace};
use crate::text::files::FileChange;

/// What the client's `initializationOptions` choose, as the command line's
/// `--select`, `--ignore` and `--unsafe` would.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Options {
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    #[serde(rename = "unsafe")]
    pub unsafe_fixes: bool,
}

impl Options {
    /// The keys of the options' JSON object.
    pub const KEYS: &[&str] = &["select", "ignore", "unsafe"];

    /// The options of `value` (none when it is absent or `null`), with
    /// every transform name checked; errors name `source`, where the
    /// client sent them.
    pub fn from_json(
        value: Option<serde_json::Value>,
        catalogue: Catalogue,
        source: &str,
    ) -> Result<Options, String> {
        let options: Options = match value {
            None | Some(serde_json::Value::Null) => Options::default(),
            Some(value) => {
                serde_json::from_value(value).map_err(|error| format!("{source}: {error}"))?
            }
        };
        for name in options.select.iter().flatten().chain(&options.ignore) {
            if name != "ALL" && catalogue.by_name(name).is_none() {
                return Err(format!(
                    "{source}: unknown transform `{name}`; `fastapi-codemod list` shows them all"
                ));
            }
        }
        Ok(options)
    }

    /// The command line these options stand for.
    pub fn arguments(&self, paths: Vec<PathBuf>) -> RunArgs {
        RunArgs {
            paths,
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            unsafe_fixes: self.unsafe_fixes,
            format: super::super::OutputFormat::Text,
            color: super::super::ColorChoice::Never,
            quiet: true,
            shard: None,
            force_exclude: false,
            config: None,
            jobs: None,
            target_version: None,
            stdin_filename: None,
        }
    }
}

/// A project found under the workspace, before it is indexed.
pub struct FoundProject {
    pub root: Option<PathBuf>,
    pub files: Vec<LiveFile>,
    pub selections: Vec<Selection>,
}

/// The projects under `folders`, and the files that cannot run, with why.
pub fn find_projects(
    catalogue: Catalogue,
    options: &Options,
    folders: &[PathBuf],
) -> (Vec<FoundProject>, Vec<(PathBuf, String)>) {
    let arguments = options.arguments(folders.to_vec());
    let items = collect_files(&arguments.paths);
    let mut resolver = ConfigResolver::new(None, catalogue.0);
    let RunFiles {
        files,
        selections,
        errors,
        ..
    } = run_files(catalogue, &arguments, items, &mut resolver);
    let errors = errors
        .into_iter()
        .map(|(_, path, message)| (path, message))
        .collect();
    let mut roots = projects::Roots::default();
    let mut namers = ProjectNamers::default();
    let found = projects::group(files, &mut roots)
        .into_iter()
        .map(|project| {
            let files = project
                .files
                .iter()
                .map(|file| {
                    let named = namers.project_file(&file.path, &selections[file.selection]);
                    LiveFile {
                        path: named.path,
                        module_name: named.module_name,
                        outer_module_name: named.outer_module_name,
                        is_package: named.is_package,
                        selection: file.selection,
                    }
                })
                .collect();
            FoundProject {
                root: project.root,
                files,
                selections: selections.clone(),
            }
        })
        .collect();
    (found, errors)
}

/// The selection of a file outside every project the server indexed (a
/// new file, one outside the workspace): its own configuration's.
pub fn lone_selection(
    catalogue: Catalogue,
    options: &Options,
    path: &Path,
) -> Result<Selection, String> {
    let arguments = options.arguments(vec![path.to_path_buf()]);
    let mut resolver = ConfigResolver::new(None, catalogue.0);
    let config = resolver.for_file(path).transpose()?;
    selection_for(catalogue, &arguments, config.as_deref()).map_err(|error| format!("{error:#}"))
}

/// A project the server keeps: its directory and its live index.
pub struct EditorProject {
    pub root: Option<PathBuf>,
    pub live: LiveProject,
    paths: Vec<PathBuf>,
}

impl EditorProject {
    /// Indexes a found project, reading `open` buffers as they are.
    pub fn index(
        found: FoundProject,
        open: &HashMap<PathBuf, String>,
        progress: &dyn Progress,
    ) -> EditorProject {
        let paths: Vec<PathBuf> = found.files.iter().map(|file| file.path.clone()).collect();
        let root = found.root.clone();
        let live = {
            let files = EditorFiles::new(&paths, root.as_deref(), open);
            LiveProject::index(found.files, found.selections, &files, progress)
        };
        EditorProject { root, live, paths }
    }

    /// Makes the plans again from the index, with `open` buffers as they
    /// are (see [`LiveProject::replan`]).
    pub fn replan(&mut self, open: &HashMap<PathBuf, String>) {
        let files = EditorFiles::new(&self.paths, self.root.as_deref(), open);
        self.live.replan(&files);
    }

    /// What a whole run over the project needs, owned, with `open` buffers
    /// as they are now: a run on another thread sees the project as it was
    /// when asked, whatever the editor sends meanwhile.
    pub fn snapshot(&self, open: HashMap<PathBuf, String>) -> ProjectSnapshot {
        ProjectSnapshot {
            root: self.root.clone(),
            paths: self.paths.clone(),
            inputs: self.live.run_inputs(),
            open,
        }
    }
}

/// A project's files and the editor's buffers at one moment, for a whole
/// run away from the server's loop (see [`EditorProject::snapshot`]).
#[derive(Debug, Clone)]
pub struct ProjectSnapshot {
    root: Option<PathBuf>,
    paths: Vec<PathBuf>,
    pub inputs: RunInputs,
    pub open: HashMap<PathBuf, String>,
}

impl ProjectSnapshot {
    /// The files as a run reads them: the buffers as they were, the rest
    /// from disk.
    pub fn files(&self) -> EditorFiles<'_> {
        EditorFiles::new(&self.paths, self.root.as_deref(), &self.open)
    }
}

/// A project's files as the editor has them: open buffers as they read,
/// the rest from disk.
pub struct EditorFiles<'w> {
    paths: &'w [PathBuf],
    open: &'w HashMap<PathBuf, String>,
    disk: DiskFiles<'static>,
}

impl<'w> EditorFiles<'w> {
    fn new(paths: &'w [PathBuf], root: Option<&Path>, open: &'w HashMap<PathBuf, String>) -> Self {
        EditorFiles {
            paths,
            open,
            disk: DiskFiles::new(paths.to_vec(), root.map(Path::to_path_buf), None),
        }
    }
}

impl Workspace for EditorFiles<'_> {
    fn text(&self, position: usize) -> Result<Cow<'_, str>, String> {
        match self.open.get(&self.paths[position]) {
            Some(text) => Ok(Cow::Borrowed(text)),
            None => self.disk.text(position),
        }
    }

    fn read(&self, path: &Path) -> Result<Option<String>, String> {
        match self.open.get(path) {
            Some(text) => Ok(Some(text.clone())),
            None => self.disk.read(path),
        }
    }

    fn refusal(&self, change: &FileChange) -> Option<String> {
        self.disk.refusal(change)
    }

    fn root(&self) -> Option<&Path> {
        self.disk.root()
    }

    fn files_under(&self, directory: &Path) -> Vec<PathBuf> {
        self.disk.files_under(directory)
    }
}
