//! Dotted module names for files, from the package layout on disk.

use std::path::Path;

use super::config::absolute;
use super::path_map::PathMap;

/// Finds module names, remembering which directories are packages.
#[derive(Debug, Default)]
pub struct ModuleNamer {
    is_package_directory: PathMap<bool>,
    /// Directories holding a project marker, as found so far.
    is_project_root: PathMap<bool>,
    /// Name modules from the project root through the directories above
    /// their packages that hold no `__init__.py`: `src/`, and namespace
    /// packages (`api/v1/__init__.py` under `api/` → `api.v1`).
    keep_outer: bool,
}

impl ModuleNamer {
    /// Names modules from the project root, through `src/` and namespace
    /// directories, when `keep` is set: the names a project uses when it
    /// imports `src.…` or `api.v1.…`.
    pub fn keeping_outer_directories(mut self, keep: bool) -> Self {
        self.keep_outer = keep;
        self
    }

    /// Treats `directory` as a project root, marker or not (a test's
    /// project folder inside a repository that has its own markers).
    pub fn treating_as_project_root(mut self, directory: &Path) -> Self {
        self.is_project_root.insert(absolute(directory), true);
        self
    }

    /// `(dotted name, is __init__.py)`: through the chain of directories that
    /// hold an `__init__.py`; for a file outside any package, relative to the
    /// nearest project root (`pyproject.toml`, `setup.py`, `setup.cfg`,
    /// `requirements.txt`, or its
    /// `src/`). `None` when a part is not a Python identifier.
    pub fn module_name(&mut self, path: &Path) -> Option<(String, bool)> {
        let path = absolute(path);
        let stem = path.file_stem()?.to_str()?;
        let is_package = stem == "__init__";
        let mut parts: Vec<String> = Vec::new();
        if !is_package {
            parts.push(stem.to_string());
        }
        let mut directory = path.parent()?.to_path_buf();
        let mut in_package = false;
        while self.is_package(&directory) {
            in_package = true;
            parts.push(directory.file_name()?.to_str()?.to_string());
            directory = directory.parent()?.to_path_buf();
        }
        if in_package && self.keep_outer {
            // Namespace directories between the top package and the
            // project root.
            let root = directory
                .ancestors()
                .take(4)
                .find(|candidate| self.is_project_root(candidate))
                .map(Path::to_path_buf);
            if let Some(root) = root
                && let Ok(between) = directory.strip_prefix(&root)
            {
                parts.extend(
                    between
                        .iter()
                        .rev()
                        .map(|part| part.to_string_lossy().to_string()),
                );
            }
        }
        if !in_package {
            // A namespace package or a flat layout: relative to the project root.
            // A namespace directory inside a package (`app/donations/models.py`
            // under `app/__init__.py`) is named from the directory above the
            // top package; else from the project root's marker.
            let package_root = path
                .ancestors()
                .skip(2)
                .take(5)
                .find(|candidate| self.is_package(candidate))
                .map(Path::to_path_buf)
                .and_then(|inner| {
                    let mut top = inner;
                    while top.parent().is_some_and(|parent| self.is_package(parent)) {
                        top = top.parent()?.to_path_buf();
                    }
                    top.parent().map(Path::to_path_buf)
                });
            // Names from the project root, when asked for, come first.
            let project_root = if self.keep_outer {
                path.ancestors()
                    .skip(1)
                    .take(6)
                    .find(|candidate| self.is_project_root(candidate))
                    .map(Path::to_path_buf)
            } else {
                None
            };
            let root = project_root.or(package_root).or_else(|| {
                path.ancestors()
                    .skip(1)
                    .take(6)
                    .find(|candidate| self.is_project_root(candidate))
                    .map(Path::to_path_buf)
            });
            let root = root.as_deref();
            if let Some(root) = root {
                let root = if path.starts_with(root.join("src")) && !self.keep_outer {
                    root.join("src")
                } else {
                    root.to_path_buf()
                };
                let relative = path.parent()?.strip_prefix(&root).ok()?;
                parts.extend(
                    relative
                        .iter()
                        .rev()
                        .map(|part| part.to_string_lossy().to_string()),
                );
            }
        }
        parts.reverse();
        let valid = |part: &String| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_alphanumeric() || c == '_')
        };
        if parts.is_empty() || !parts.iter().all(valid) {
            return None;
        }
        Some((parts.join("."), is_package))
    }

    fn is_project_root(&mut self, directory: &Path) -> bool {
        if let Some(&known) = self.is_project_root.get(directory) {
            return known;
        }
        let known = [
            "pyproject.toml",
            "setup.py",
            "setup.cfg",
            "requirements.txt",
        ]
        .iter()
        .any(|marker| directory.join(marker).is_file());
        self.is_project_root.insert(directory.to_path_buf(), known);
        known
    }

    fn is_package(&mut self, directory: &Path) -> bool {
        if let Some(&known) = self.is_package_directory.get(directory) {
            return known;
        }
        let known = is_package_directory(directory);
        self.is_package_directory
            .insert(directory.to_path_buf(), known);
        known
    }
}

/// Whether a directory is a package Python can import: it holds an
/// `__init__.py` and its name is an identifier (a checkout named
/// `fastapi-mongo` with a stray `__init__.py` is where the app runs from,

/// The names a run gives its files: the module name, and the name from
/// the project root when that differs.
pub struct ProjectNamers {
    namer: ModuleNamer,
    outer: ModuleNamer,
}

impl Default for ProjectNamers {
    fn default() -> Self {
        ProjectNamers {
            namer: ModuleNamer::default(),
            outer: ModuleNamer::default().keeping_outer_directories(true),
        }
    }
}

impl ProjectNamers {
    /// A file of a project run, writable, named as its package layout
    /// says.
    pub fn project_file<'s>(
        &mut self,
        path: &Path,
        selection: &'s crate::project::pipeline::Selection,
    ) -> crate::project::run::ProjectFile<'s> {
        let module = self.namer.module_name(path);
        let outer_module = self
            .outer
            .module_name(path)
            .filter(|outer| Some(outer) != module.as_ref());
        crate::project::run::ProjectFile {
            path: path.to_path_buf(),
            module_name: module.as_ref().map(|(name, _)| name.clone()),
            outer_module_name: outer_module.map(|(name, _)| name),
            is_package: module.as_ref().is_some_and(|(_, package)| *package),
            selection,
            writable: true,
        }
    }
}

/// not a package of it).
pub fn is_package_directory(directory: &Path) -> bool {
    let named = directory
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| {
            name.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        });
    named && directory.join("__init__.py").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_packages_and_project_roots() {
        let root = tempfile::tempdir().unwrap();
        let write = |relative: &str| {
            let path = root.path().join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        };
        write("pyproject.toml");
        write("src/app/__init__.py");
        write("src/app/api/__init__.py");
        write("src/app/api/deps.py");
        write("scripts/seed.py");
        write("{{cookiecutter}}/x.py");
        write("service/app/__init__.py");
        write("service/app/donations/models.py");
        let mut namer = ModuleNamer::default();
        let name = |namer: &mut ModuleNamer, relative: &str| {
            namer.module_name(&root.path().join(relative))
        };
        assert_eq!(
            name(&mut namer, "src/app/api/deps.py"),
            Some(("app.api.deps".into(), false))
        );
        assert_eq!(
            name(&mut namer, "src/app/api/__init__.py"),
            Some(("app.api".into(), true))
        );
        assert_eq!(
            name(&mut namer, "scripts/seed.py"),
            Some(("scripts.seed".into(), false))
        );
        assert_eq!(name(&mut namer, "{{cookiecutter}}/x.py"), None);
        // A project that imports `src.…` keeps `src` in its names.
        write("src/entities/user.py");
        let mut keeping = ModuleNamer::default().keeping_outer_directories(true);
        assert_eq!(
            name(&mut keeping, "src/entities/user.py"),
            Some(("src.entities.user".into(), false))
        );
        assert_eq!(
            name(&mut namer, "src/entities/user.py"),
            Some(("entities.user".into(), false))
        );
        // A namespace package above a package, under the project root:
        // kept when the project imports through it.
        write("nsproject/setup.py");
        write("nsproject/api/v1/__init__.py");
        write("nsproject/api/v1/routes.py");
        assert_eq!(
            name(&mut namer, "nsproject/api/v1/routes.py"),
            Some(("v1.routes".into(), false))
        );
        assert_eq!(
            name(&mut keeping, "nsproject/api/v1/routes.py"),
            Some(("api.v1.routes".into(), false))
        );
        // A module beside the namespace's packages, under a project root
        // that holds a stray `__init__.py`: from the project root too.
        write("nsproject/__init__.py");
        write("nsproject/api/exceptions.py");
        assert_eq!(
            name(&mut keeping, "nsproject/api/exceptions.py"),
            Some(("api.exceptions".into(), false))
        );
        // A namespace directory in a package: from above the top package.
        assert_eq!(
            name(&mut namer, "service/app/donations/models.py"),
            Some(("app.donations.models".into(), false))
        );
        let unmarked = tempfile::tempdir().unwrap();
        for relative in ["app/__init__.py", "app/donations/models.py"] {
            let path = unmarked.path().join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        assert_eq!(
            namer.module_name(&unmarked.path().join("app/donations/models.py")),
            Some(("app.donations.models".into(), false))
        );
    }
}
