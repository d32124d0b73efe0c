//! A map keyed by paths that hashes their bytes: `Path`'s own `Hash` walks
//! its components, and the caches of a run look up every ancestor of every
//! file. The paths of one run are spelled one way (absolute, from the
//! walk), so bytes tell them apart as well as components do.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

#[derive(Debug)]
pub struct PathMap<V>(FxHashMap<OsString, V>);

impl<V> Default for PathMap<V> {
    fn default() -> Self {
        PathMap(FxHashMap::default())
    }
}

impl<V> PathMap<V> {
    pub fn get(&self, path: &Path) -> Option<&V> {
        self.0.get(path.as_os_str())
    }

    pub fn insert(&mut self, path: PathBuf, value: V) {
        self.0.insert(path.into_os_string(), value);
    }
}
