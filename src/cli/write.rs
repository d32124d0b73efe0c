//! Writing results back safely: only files git can restore, atomically, with
//! permissions kept, and never over a file that changed since it was read.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::config::absolute;
use crate::text::source::Fingerprint;

/// Answers "could the user get this file back from git?", asking git once per repository.
#[derive(Debug, Default)]
pub struct GitGuard {
    /// Repository root for each directory asked about (None: not in a repository).
    roots: HashMap<PathBuf, Option<PathBuf>>,
    /// Per repository root: tracked files, and files with uncommitted changes.
    states: HashMap<PathBuf, RepositoryState>,
}

#[derive(Debug, Default)]
struct RepositoryState {
    tracked: HashSet<PathBuf>,
    dirty: HashSet<PathBuf>,
}

impl GitGuard {
    /// Why `path` may not be written without `--allow-dirty`, if it may not.
    pub fn refusal(&mut self, path: &Path) -> Option<String> {
        let file = std::fs::canonicalize(path).unwrap_or_else(|_| absolute(path));
        let directory = file.parent()?.to_path_buf();
        let root = match self.roots.get(&directory) {
            Some(root) => root.clone(),
            None => {
                let root = repository_root(&directory);
                self.roots.insert(directory, root.clone());
                root
            }
        };
        let Some(root) = root else {
            return Some("not inside a git repository, so the change could not be undone; pass --allow-dirty to write it anyway".into());
        };
        let state = self
            .states
            .entry(root.clone())
            .or_insert_with(|| repository_state(&root));
        if !state.tracked.contains(&file) {
            return Some("not tracked by git, so the change could not be undone; commit it or pass --allow-dirty".into());
        }
        if state.dirty.contains(&file) {
            return Some(
                "has uncommitted changes; commit or stash them, or pass --allow-dirty".into(),
            );
        }
        None
    }
}

impl GitGuard {
    /// Why a file that does not exist yet may not be created without
    /// `--allow-dirty`: only inside a git repository, where `git status`
    /// shows it and `git clean` takes it away.
    pub fn new_file_refusal(&mut self, path: &Path) -> Option<String> {
        let absolute = absolute(path);
        let directory = absolute
            .ancestors()
            .skip(1)
            .find(|ancestor| ancestor.is_dir())?;
        let directory =
            std::fs::canonicalize(directory).unwrap_or_else(|_| directory.to_path_buf());
        let root = match self.roots.get(&directory) {
            Some(root) => root.clone(),
            None => {
                let root = repository_root(&directory);
                self.roots.insert(directory, root.clone());
                root
            }
        };
        root.is_none().then(|| {
            "not inside a git repository, so the new file could not be told from the others; pass --allow-dirty to write it anyway".into()
        })
    }
}

fn repository_root(directory: &Path) -> Option<PathBuf> {
    let output = Command::new("git")
        .arg("-C")
        .arg(directory)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    std::fs::canonicalize(text.trim_end_matches(['\n', '\r'])).ok()
}

fn repository_state(root: &Path) -> RepositoryState {
    let list = |args: &[&str]| -> Vec<PathBuf> {
        let Ok(output) = Command::new("git").arg("-C").arg(root).args(args).output() else {
            return Vec::new();
        };
        output
            .stdout
            .split(|&byte| byte == 0)
            .filter(|entry| !entry.is_empty())
            .filter_map(|entry| std::str::from_utf8(entry).ok())
            .map(|entry| root.join(entry))
            .collect()
    };
    let tracked = list(&["ls-files", "-z"]).into_iter().collect();
    // `git diff HEAD` covers staged and unstaged changes; a repository
    // without commits has everything uncommitted.
    let has_head = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .output()
        .is_ok_and(|output| output.status.success());
    let dirty = if has_head {
        list(&["diff", "HEAD", "--name-only", "-z", "--no-renames"])
            .into_iter()
            .collect()
    } else {
        list(&["ls-files", "-z"]).into_iter().collect()
    };
    RepositoryState { tracked, dirty }
}

/// For tests of interrupted runs: with `FASTAPI_CODEMOD_STOP_AFTER_WRITES=N`
/// set, the run stops for good once it has written N files, before the next
/// write, after saying so on standard error; the test then kills it.
pub fn before_write() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static WRITTEN: AtomicUsize = AtomicUsize::new(0);
    let Some(limit) = std::env::var("FASTAPI_CODEMOD_STOP_AFTER_WRITES")
        .ok()
        .and_then(|limit| limit.parse::<usize>().ok())
    else {
        return;
    };
    let written = WRITTEN.fetch_add(1, Ordering::SeqCst);
    if written == limit {
        eprintln!("fastapi-codemod: stopped after {written} writes");
        loop {
            std::thread::park();
        }
    }
}

/// Replaces a file's contents atomically: a temporary file in the same
/// directory, the original's permissions, then a rename. Refuses if the
/// file no longer holds what it held when the run read it (`expected`).
pub fn write_atomically(path: &Path, expected: Fingerprint, contents: &str) -> Result<()> {
    // Write through symbolic links to the file they point at.
    let target = std::fs::canonicalize(path).context("cannot resolve the path")?;
    let directory = target.parent().context("the file has no directory")?;
    let permissions = std::fs::metadata(&target)
        .context("cannot read the file's metadata")?
        .permissions();

    let mut temporary = tempfile::Builder::new()
        .prefix(".fastapi-codemod-")
        .suffix(".tmp")
        .tempfile_in(directory)
        .context("cannot create a temporary file next to it")?;
    temporary
        .write_all(contents.as_bytes())
        .context("cannot write the temporary file")?;
    temporary
        .as_file()
        .sync_all()
        .context("cannot flush the temporary file")?;
    std::fs::set_permissions(temporary.path(), permissions)
        .context("cannot copy the file's permissions")?;

    let current = std::fs::read(&target).context("cannot read the file again")?;
    if Fingerprint::of(&current) != expected {
        bail!("changed on disk since it was read; skipped");
    }
    temporary
        .persist(&target)
        .map_err(|error| error.error)
        .context("cannot replace the file")?;
    Ok(())
}

/// Creates a file that does not exist, with the directories it needs:
/// written to a temporary file beside it, then linked into place only if
/// nothing took the name meanwhile.
pub fn create_new(path: &Path, contents: &str) -> Result<()> {
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(directory).context("cannot create its directory")?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".fastapi-codemod-").suffix(".tmp");
    // A new file gets the mode any new file gets (0666 less the umask), as
    // the editor would give it; but `.env`, which holds secrets, stays the
    // owner's alone, as the temporary file is.
    #[cfg(unix)]
    if !holds_secrets(path) {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temporary = builder
        .tempfile_in(directory)
        .context("cannot create a temporary file next to it")?;
    temporary
        .write_all(contents.as_bytes())
        .context("cannot write the temporary file")?;
    temporary
        .as_file()
        .sync_all()
        .context("cannot flush the temporary file")?;
    temporary
        .persist_noclobber(path)
        .map_err(|error| error.error)
        .context("exists already; not overwritten")?;
    Ok(())
}

/// Whether a file is a dotenv file, which holds secrets: `.env`,
/// `prod.env`, `.env.local`, but not `.env.example`.
fn holds_secrets(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let example = ["example", "sample", "template", "dist"]
        .iter()
        .any(|word| name.ends_with(word));
    !example && (name == ".env" || name.ends_with(".env") || name.starts_with(".env."))
}

/// Writes the new place of a file that moves, while the file still
/// holds what the run read (`expected`): a path that does not exist gets
/// `contents` and the file's permissions. The old place stays until
/// [`remove_file`], once every importer is written, so that a run stopped
/// in between loses nothing and leaves no import pointing at nothing.
pub fn copy_to_new(from: &Path, to: &Path, expected: Fingerprint, contents: &str) -> Result<()> {
    let current = std::fs::read(from).context("cannot read the file again")?;
    if Fingerprint::of(&current) != expected {
        bail!("changed on disk since it was read; skipped");
    }
    let permissions = std::fs::metadata(from)
        .context("cannot read the file's metadata")?
        .permissions();
    create_new(to, contents)?;
    std::fs::set_permissions(to, permissions).context("cannot copy the file's permissions")?;
    Ok(())
}

/// Removes a file that still holds what the run read (`expected`, when it
/// read it), then the directories it leaves empty (but for Python's
/// `__pycache__`), as git would not show them.
pub fn remove_file(path: &Path, expected: Option<Fingerprint>) -> Result<()> {
    let current = std::fs::read(path).context("cannot read the file again")?;
    if expected.is_none_or(|expected| Fingerprint::of(&current) != expected) {
        bail!("changed on disk since it was read; not removed");
    }
    std::fs::remove_file(path).context("cannot remove the file")?;
    let mut directory = path.parent();
    while let Some(current) = directory.filter(|current| !current.as_os_str().is_empty()) {
        let Ok(entries) = std::fs::read_dir(current) else {
            break;
        };
        let names: Vec<std::ffi::OsString> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.file_name()))
            .collect();
        if names.iter().any(|name| name != "__pycache__") {
            break;
        }
        if !names.is_empty() {
            let _ = std::fs::remove_dir_all(current.join("__pycache__"));
        }
        if std::fs::remove_dir(current).is_err() {
            break;
        }
        directory = current.parent();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_contents_and_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("app.py");
        std::fs::write(&path, "old\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, Fingerprint::of(b"old\n"), "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 1);
    }

    #[test]
    fn new_files_are_as_readable_as_any_new_file_but_dotenv_files_stay_private() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        // What the umask lets a new file have.
        let probe = directory.path().join("probe");
        std::fs::write(&probe, "").unwrap();
        let usual = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
        let mode = |name: &str| {
            let path = directory.path().join(name);
            create_new(&path, "x = 1\n").unwrap();
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777
        };
        assert_eq!(mode("exceptions.py"), usual);
        assert_eq!(mode(".env.example"), usual);
        assert_eq!(mode(".gitignore"), usual);
        assert_eq!(mode(".env"), 0o600);
        assert_eq!(mode("prod.env"), 0o600);
    }

    #[test]
    fn skips_a_file_that_changed_since_it_was_read() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("app.py");
        std::fs::write(&path, "edited meanwhile\n").unwrap();
        let error = write_atomically(&path, Fingerprint::of(b"as read\n"), "fixed\n").unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "changed on disk since it was read; skipped"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "edited meanwhile\n"
        );
        assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 1);
    }

    #[test]
    fn new_files_never_overwrite_and_moves_lose_nothing() {
        let directory = tempfile::tempdir().unwrap();
        let new = directory.path().join("app/errors/exceptions.py");
        create_new(&new, "class NotFound(Exception): ...\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&new).unwrap(),
            "class NotFound(Exception): ...\n"
        );
        let error = create_new(&new, "other\n").unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "exists already; not overwritten: File exists (os error 17)".replace(
                ": File exists (os error 17)",
                &format!(": {}", std::io::Error::from_raw_os_error(17))
            )
        );
        assert_eq!(
            std::fs::read_to_string(&new).unwrap(),
            "class NotFound(Exception): ...\n"
        );

        let old = directory.path().join("routers/users.py");
        std::fs::create_dir_all(old.parent().unwrap()).unwrap();
        std::fs::write(&old, "router = 1\n").unwrap();
        let moved = directory.path().join("users/router.py");
        copy_to_new(
            &old,
            &moved,
            Fingerprint::of(b"router = 1\n"),
            "router = 2\n",
        )
        .unwrap();
        // The old place stays until it is removed, with the directory it
        // leaves empty (its bytecode cache counts for nothing).
        assert!(old.exists());
        assert_eq!(std::fs::read_to_string(&moved).unwrap(), "router = 2\n");
        std::fs::create_dir_all(directory.path().join("routers/__pycache__")).unwrap();
        remove_file(&old, Some(Fingerprint::of(b"router = 1\n"))).unwrap();
        assert!(!directory.path().join("routers").exists());
        assert!(directory.path().join("users").exists());
        // A file that changed since it was read is neither moved nor removed.
        std::fs::create_dir_all(old.parent().unwrap()).unwrap();
        std::fs::write(&old, "edited\n").unwrap();
        let refused = remove_file(&old, Some(Fingerprint::of(b"as read\n"))).unwrap_err();
        assert_eq!(
            format!("{refused:#}"),
            "changed on disk since it was read; not removed"
        );
        let error = copy_to_new(
            &old,
            &directory.path().join("x.py"),
            Fingerprint::of(b"as read\n"),
            "",
        )
        .unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "changed on disk since it was read; skipped"
        );
        assert!(old.exists());
    }

    #[test]
    fn writes_through_a_symbolic_link() {
        let directory = tempfile::tempdir().unwrap();
        let target = directory.path().join("real.py");
        let link = directory.path().join("link.py");
        std::fs::write(&target, "old\n").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomically(&link, Fingerprint::of(b"old\n"), "new\n").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new\n");
    }
}
