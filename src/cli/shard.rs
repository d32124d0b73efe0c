//! `--shard I/N`: which files a shard fixes and writes. The whole project
//! is still indexed and run, so every shard decides alike; a shard then
//! keeps the landing units (see `LandingUnits`) whose home falls in it, by
//! a stable hash of the home's path as the run spells it, so a change that
//! spans files is written whole by one shard and the shards together are
//! the unsharded run. Every shard of a CI matrix runs the same command
//! from the same directory.

use std::path::Path;

use super::args::Shard;
use super::{display, stable_hash};

impl Shard {
    /// Whether the unit at home in `home` belongs to this shard.
    pub fn holds(&self, home: &Path) -> bool {
        stable_hash(display(home).as_bytes()) % self.count == self.index - 1
    }
}
