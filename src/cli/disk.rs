//! Files' texts as the engine asks for them: read from disk each time, so
//! that a run holds no file's bytes longer than it works on it, with what
//! tells a change on disk (length and a hash) kept from the first read; and
//! whether a whole-file change may be made (never over a file the run did
//! not read, and only where git could undo it, unless `--allow-dirty`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::project::run::Workspace;
use crate::text::files::FileChange;
use crate::text::source::Fingerprint;

use super::write::GitGuard;

use super::walk::io_message;

/// Files larger than this are refused rather than parsed.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// The files of one project on disk, by position.
pub struct DiskFiles<'g> {
    paths: Vec<PathBuf>,
    fingerprints: Vec<OnceLock<Fingerprint>>,
    /// The project's directory.
    root: Option<PathBuf>,
    /// For `apply` without `--allow-dirty`: which paths git could restore.
    guard: Option<&'g Mutex<GitGuard>>,
    /// Other files read (`.env`, …), with what they held.
    others: Mutex<HashMap<PathBuf, Fingerprint>>,
    /// Whether the run's paths take in the project's whole directory.
    whole: bool,
}

impl<'g> DiskFiles<'g> {
    pub fn new(
        paths: Vec<PathBuf>,
        root: Option<PathBuf>,
        guard: Option<&'g Mutex<GitGuard>>,
    ) -> Self {
        let fingerprints = paths.iter().map(|_| OnceLock::new()).collect();
        DiskFiles {
            paths,
            fingerprints,
            root,
            guard,
            others: Mutex::new(HashMap::new()),
            whole: true,
        }
    }

    /// Says whether the run's paths take in the project's whole directory.
    pub fn covering_project(mut self, whole: bool) -> Self {
        self.whole = whole;
        self
    }

    /// What the `position`-th file held when the run first read it.
    pub fn fingerprint(&self, position: usize) -> Option<Fingerprint> {
        self.fingerprints[position].get().copied()
    }

    /// What another file held when the run read it, if it read it.
    pub fn other_fingerprint(&self, path: &Path) -> Option<Fingerprint> {
        self.others
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(path)
            .copied()
    }

    /// Why git could not undo writing `path`, unless `--allow-dirty`.
    fn git_refusal(&self, path: &Path) -> Option<String> {
        let guard = self.guard?;
        let mut guard = guard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if path.exists() {
            guard.refusal(path)
        } else {
            guard.new_file_refusal(path)
        }
    }
}

impl Workspace for DiskFiles<'_> {
    fn read(&self, path: &Path) -> Result<Option<String>, String> {
        let bytes = match read_limited(path) {
            Ok(bytes) => bytes,
            Err(_) if !path.exists() => return Ok(None),
            Err(message) => return Err(format!("{}: {message}", path.display())),
        };
        self.others
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(path.to_path_buf(), Fingerprint::of(&bytes));
        decode(bytes)
            .map(Some)
            .map_err(|message| format!("{}: {message}", path.display()))
    }

    fn refusal(&self, change: &FileChange) -> Option<String> {
        let exists = |path: &Path| {
            path.exists()
                .then(|| format!("{} exists already; it is not overwritten", path.display()))
        };
        match change {
            FileChange::Create { path, .. } => exists(path).or_else(|| self.git_refusal(path)),
            FileChange::Move { from, to, .. } => exists(to)
                .or_else(|| self.git_refusal(from))
                .or_else(|| self.git_refusal(to)),
            FileChange::Edit { path, .. } | FileChange::Remove { path } => self.git_refusal(path),
        }
    }

    fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    fn covers_project(&self) -> bool {
        self.whole
    }

    fn files_under(&self, directory: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut pending = vec![directory.to_path_buf()];
        while let Some(current) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&current) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                match entry.file_type() {
                    Ok(kind) if kind.is_dir() => {
                        if entry.file_name() != "__pycache__" {
                            pending.push(path);
                        }
                    }
                    Ok(kind) if kind.is_file() => files.push(path),
                    _ => {}
                }
            }
        }
        files.sort();
        files
    }

    fn text(&self, position: usize) -> Result<Cow<'_, str>, String> {
        let bytes = read_limited(&self.paths[position])?;
        let found = Fingerprint::of(&bytes);
        let first = *self.fingerprints[position].get_or_init(|| found);
        if first != found {
            return Err("changed on disk while the run read it; skipped".into());
        }
        decode(bytes).map(Cow::Owned)
    }
}

/// A file's bytes, refusing directories and files over [`MAX_FILE_BYTES`].
pub fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path).map_err(|error| io_message(&error))?;
    let metadata = file.metadata().map_err(|error| io_message(&error))?;
    if metadata.is_dir() {
        return Err("is a directory".into());
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(format!(
            "file is larger than {} MiB; skipped",
            MAX_FILE_BYTES / 1024 / 1024
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)
        .map_err(|error| io_message(&error))?;
    Ok(bytes)
}

/// The file's text, or why it is not a Python source file we can edit.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let text = String::from_utf8(bytes).map_err(|error| {
        format!(
            "not valid UTF-8 (invalid byte at offset {}); only UTF-8 files are processed",
            error.utf8_error().valid_up_to()
        )
    })?;
    if let Some(offset) = memchr::memchr(0, text.as_bytes()) {
        return Err(format!(
            "contains a NUL byte at offset {offset}; not a Python source file"
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_changes_between_reads_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("app.py");
        std::fs::write(&path, "x = 1\n").unwrap();
        let files = DiskFiles::new(vec![path.clone()], None, None);
        assert_eq!(files.text(0).unwrap(), "x = 1\n");
        assert_eq!(files.text(0).unwrap(), "x = 1\n");
        std::fs::write(&path, "x = 2\n").unwrap();
        assert_eq!(
            files.text(0).unwrap_err(),
            "changed on disk while the run read it; skipped"
        );
        assert_eq!(files.fingerprint(0), Some(Fingerprint::of(b"x = 1\n")));
    }
}
