//! Which files make one project: those under the same nearest directory
//! holding a `pyproject.toml`, `setup.py`, `setup.cfg` or `requirements.txt` (a monorepo's
//! packages each have their own; a `setup.py` inside a package is a module
//! unless it is a setup script); failing that, those of one top-level
//! package, or loose modules of one directory, as module names read them.
//! A run indexes one project at a time, so memory follows the largest
//! project, not the whole run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::RunFile;
use super::config::absolute;
use super::path_map::PathMap;

/// One project of a run: its directory and its files, in path order.
pub(super) struct RunProject {
    pub root: Option<PathBuf>,
    pub files: Vec<RunFile>,
}

/// A project's directory as the summary names it: relative to the
/// current directory when `file` is relative, `.` for the current one.
pub(super) fn label(root: Option<&Path>, file: &Path) -> String {
    let Some(root) = root else {
        return ".".to_string();
    };
    let text = spelled_like(root, Some(file))
        .to_string_lossy()
        .replace('\\', "/");
    if text.is_empty() {
        ".".to_string()
    } else {
        text
    }
}

/// `root` relative to the current directory when `file` is a relative
/// path under it, else as it is.
pub(super) fn spelled_like(root: &Path, file: Option<&Path>) -> PathBuf {
    if file.is_some_and(Path::is_relative)
        && let Ok(current) = std::env::current_dir()
        && let Ok(rest) = root.strip_prefix(&current)
    {
        return rest.to_path_buf();
    }
    root.to_path_buf()
}

/// The files of a run, by project; projects in the order of their first file.
pub(super) fn group(files: Vec<RunFile>, roots: &mut Roots) -> Vec<RunProject> {
    let mut projects: Vec<RunProject> = Vec::new();
    let mut by_root: HashMap<Option<PathBuf>, usize> = HashMap::new();
    for file in files {
        let root = roots.of(&file.path);
        let index = *by_root.entry(root.clone()).or_insert_with(|| {
            projects.push(RunProject {
                root,
                files: Vec::new(),
            });
            projects.len() - 1
        });
        projects[index].files.push(file);
    }
    projects
}

/// The nearest directory above a file that holds a project marker, else
/// the directory above its top-level package, else its own directory.
#[derive(Default)]
pub(super) struct Roots {
    by_directory: PathMap<Option<PathBuf>>,
    is_package: PathMap<bool>,
}

impl Roots {
    pub(super) fn of(&mut self, file: &Path) -> Option<PathBuf> {
        let directory = absolute(file).parent()?.to_path_buf();
        if let Some(root) = self.of_directory(&directory) {
            return Some(root);
        }
        let mut top = directory;
        while self.is_package(&top)
            && let Some(parent) = top.parent()
        {
            top = parent.to_path_buf();
        }
        Some(top)
    }

    fn is_package(&mut self, directory: &Path) -> bool {
        if let Some(&known) = self.is_package.get(directory) {
            return known;
        }
        let known = super::modules::is_package_directory(directory);
        self.is_package.insert(directory.to_path_buf(), known);
        known
    }

    fn of_directory(&mut self, directory: &Path) -> Option<PathBuf> {
        if let Some(known) = self.by_directory.get(directory) {
            return known.clone();
        }
        // A `setup.py` inside a package is one of its modules, not a
        // marker, unless it is a setup script (a stray `__init__.py` at a
        // project's root does not make its `setup.py` a module).
        let setup_script = || {
            std::fs::read_to_string(directory.join("setup.py"))
                .is_ok_and(|text| text.contains("setuptools") || text.contains("distutils"))
        };
        let marked = directory.join("pyproject.toml").is_file()
            || ["setup.py", "setup.cfg", "requirements.txt"]
                .iter()
                .any(|marker| directory.join(marker).is_file())
                && (!self.is_package(directory) || setup_script());
        let root = if marked {
            Some(directory.to_path_buf())
        } else {
            directory
                .parent()
                .and_then(|parent| self.of_directory(parent))
        };
        self.by_directory
            .insert(directory.to_path_buf(), root.clone());
        root
    }
}
