//! Which files a run covers: Python files under the given paths, honouring
//! `.gitignore` and skipping virtual environments; a file named on the
//! command line is always included.

use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

/// Directories never descended into.
const SKIPPED_DIRECTORIES: [&str; 8] = [
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    "site-packages",
];

/// A file to process, or a path that could not be walked.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum WalkItem {
    File { path: PathBuf, explicit: bool },
    Error { path: PathBuf, message: String },
}

impl WalkItem {
    pub fn path(&self) -> &Path {
        match self {
            WalkItem::File { path, .. } | WalkItem::Error { path, .. } => path,
        }
    }
}

/// Every file to process under `paths`, sorted by path, each once.
pub fn collect_files(paths: &[PathBuf]) -> Vec<WalkItem> {
    let mut items = Vec::new();
    for root in paths {
        let metadata = std::fs::symlink_metadata(root);
        match metadata {
            Err(error) => items.push(WalkItem::Error {
                path: root.clone(),
                message: io_message(&error),
            }),
            Ok(metadata) if !metadata.is_dir() => {
                if metadata.file_type().is_symlink() && std::fs::metadata(root).is_err() {
                    items.push(WalkItem::Error {
                        path: root.clone(),
                        message: "broken symbolic link".into(),
                    });
                } else if std::fs::metadata(root).is_ok_and(|target| target.is_dir()) {
                    walk_directory(root, &mut items);
                } else {
                    items.push(WalkItem::File {
                        path: root.clone(),
                        explicit: true,
                    });
                }
            }
            Ok(_) => walk_directory(root, &mut items),
        }
    }
    // One file named twice (`app app/main.py`, `app/main.py ./app/main.py`,
    // or by its absolute path) is one file, under its first spelling;
    // named explicitly once is enough.
    let mut first: std::collections::HashMap<PathBuf, usize> = std::collections::HashMap::new();
    let mut unique: Vec<WalkItem> = Vec::with_capacity(items.len());
    for item in items {
        let key = super::config::absolute(item.path());
        match first.get(&key) {
            Some(&index) => {
                if let (WalkItem::File { explicit, .. }, WalkItem::File { explicit: true, .. }) =
                    (&mut unique[index], &item)
                {
                    *explicit = true;
                }
            }
            None => {
                first.insert(key, unique.len());
                unique.push(item);
            }
        }
    }
    unique.sort_by(|a, b| a.path().cmp(b.path()));
    unique
}

fn walk_directory(root: &Path, items: &mut Vec<WalkItem>) {
    let walker = WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .parents(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
            !(is_dir
                && SKIPPED_DIRECTORIES
                    .iter()
                    .any(|name| entry.file_name() == *name))
        })
        .build();
    for entry in walker {
        match entry {
            Err(error) => {
                let path = error_path(&error).unwrap_or_else(|| root.to_path_buf());
                items.push(WalkItem::Error {
                    path,
                    message: error.to_string(),
                });
            }
            Ok(entry) => {
                let path = entry.path();
                if path.extension().is_none_or(|extension| extension != "py") {
                    continue;
                }
                let Some(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_file() {
                    items.push(WalkItem::File {
                        path: path.to_path_buf(),
                        explicit: false,
                    });
                } else if kind.is_symlink() {
                    match std::fs::metadata(path) {
                        Ok(target) if target.is_file() => {
                            items.push(WalkItem::File {
                                path: path.to_path_buf(),
                                explicit: false,
                            });
                        }
                        Ok(_) => {}
                        Err(_) => items.push(WalkItem::Error {
                            path: path.to_path_buf(),
                            message: "broken symbolic link".into(),
                        }),
                    }
                }
            }
        }
    }
}

fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

pub fn io_message(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string().to_lowercase(),
    }
}
