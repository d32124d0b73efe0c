//! How a module refers to a class or function the project defines: by a
//! name it already binds, through a module it imports, or by a new import
//! spelled the way the file spells its imports.

use crate::project::index::ProjectIndex;
use crate::python::fastapi::{FastApiFacts, resolve_relative};
use crate::python::imports::{Symbol, relative_spelling};

/// How a module refers to a class or function the project defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectReference {
    /// Already reachable by this text: `UserRead`, `schemas.UserRead`.
    Bound(String),
    /// Reachable once this symbol is imported.
    Import(Symbol),
}

/// How module `module` can refer to the project object `qualified`: by a
/// name it already imports (directly or through a re-export), through a
/// module it imports (`schemas.UserRead`), by its own definition, or by a
/// new import from a module it already imports from that re-exports it, else
/// from the defining module, spelled relative when the file imports
/// relatively. `None` when the name is taken by something else here.
pub fn project_reference(
    index: &ProjectIndex,
    facts: &FastApiFacts,
    module: &str,
    is_package: bool,
    qualified: &str,
) -> Option<ProjectReference> {
    let canonical = index.canonical(qualified);
    let (home, name) = canonical.rsplit_once('.')?;
    if home == module {
        return Some(ProjectReference::Bound(name.to_string()));
    }
    let absolute = |target: &str| -> Option<String> {
        let dots = target.len() - target.trim_start_matches('.').len();
        if dots == 0 {
            return Some(target.to_string());
        }
        resolve_relative(module, is_package, dots as u32, Some(&target[dots..]))
    };
    // Only what module-level imports bind when the module runs: not names
    // imported inside a function, nor only for type checkers.
    let mut bindings: Vec<(&str, &str, String)> = facts
        .imports
        .iter()
        .filter(|(local, _)| facts.runtime_import_names.contains(*local))
        .filter_map(|(local, target)| Some((local, target, absolute(target)?)))
        .collect();
    bindings.sort();
    if let Some((local, _, _)) = bindings
        .iter()
        .find(|(_, _, target)| index.canonical(target) == canonical)
    {
        return Some(ProjectReference::Bound(local.to_string()));
    }
    if let Some((local, _, _)) = bindings.iter().find(|(_, _, target)| {
        index.module(target).is_some() && index.canonical(&format!("{target}.{name}")) == canonical
    }) {
        return Some(ProjectReference::Bound(format!("{local}.{name}")));
    }
    if facts.imports.is_bound(name)
        || facts.module_functions.contains_key(name)
        || facts.module_classes.contains_key(name)
        || facts.module_assignments.contains(name)
    {
        return None;
    }
    // A module this file imports names from, which re-exports this one.
    for (_, target, absolute_target) in &bindings {
        let Some((from_module, _)) = absolute_target.rsplit_once('.') else {
            continue;
        };
        let (spelled, _) = target.rsplit_once('.').unwrap_or((target, ""));
        if index.module(from_module).is_some()
            && index.canonical(&format!("{from_module}.{name}")) == canonical
            && !spelled.is_empty()
        {
            return Some(ProjectReference::Import(Symbol::owned(
                spelled.to_string(),
                name,
            )));
        }
    }
    let relative = bindings
        .iter()
        .any(|(_, target, _)| target.starts_with('.'));
    let spelled = if relative {
        relative_spelling(module, is_package, home).unwrap_or_else(|| home.to_string())
    } else {
        home.to_string()
    };
    Some(ProjectReference::Import(Symbol::owned(spelled, name)))
}
