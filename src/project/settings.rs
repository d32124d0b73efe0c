//! Settings read from configuration, kept by type so that a transform's
//! options and the engine's (`BlockingCalls`, `SecretFields`) live side by
//! side without the engine knowing which transform reads which.

use rustc_hash::FxHashMap as HashMap;
use std::any::{Any, TypeId};
use std::sync::Arc;

/// Values of any type, one per type: what transforms' `configure` read from
/// their tables (`BlockingCalls`, `SecretFields`, a transform's own options
/// struct), for the transforms and the engine to look up by type.
#[derive(Clone, Default)]
pub struct Settings {
    values: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl Settings {
    pub fn set<T: Any + Send + Sync>(&mut self, value: T) {
        self.values.insert(TypeId::of::<T>(), Arc::new(value));
    }

    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.values
            .get(&TypeId::of::<T>())
            .and_then(|value| value.downcast_ref::<T>())
    }

    /// Adds every value of `other` whose type this one lacks.
    pub fn fill_from(&mut self, other: &Settings) {
        for (kind, value) in &other.values {
            self.values
                .entry(*kind)
                .or_insert_with(|| Arc::clone(value));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("values", &self.values.len())
            .finish()
    }
}
