//! How a project is laid out: which packages are *domains*, the packages
//! of a project organised by domain (`src/auth/`, `src/posts/`), each
//! holding its own `router.py`, `service.py`, `schemas.py`, … at any depth.
//!
//! A domain is a package that directly holds its routes (`router.py`,
//! `routes.py`, `views.py`, `endpoints.py`, `controller.py`), and
//! at least one more of the modules a domain owns (`schemas`, `models`,
//! `dependencies`, `exceptions`, `constants`, `utils`, `config`, `crud`, …),
//! and that holds no domain below it: a package of domains (`src/`) is the
//! application, not a domain. A package of shared code without routes
//! (`kit/` with `services.py` and `utils.py`) is not a domain either. A
//! project laid out by file type (`app/routers/`, `app/schemas/`) has no
//! domains.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::project::index::ProjectIndex;

/// Modules that mark a package as a domain: its routes.
const MARKERS: [&str; 6] = [
    "router",
    "routes",
    "views",
    "endpoints",
    "controller",
    "controllers",
];

/// Modules (or packages) a domain owns besides its routes.
const ROLES: [&str; 17] = [
    "service",
    "services",
    "schemas",
    "schema",
    "models",
    "model",
    "entities",
    "repositories",
    "dependencies",
    "deps",
    "exceptions",
    "constants",
    "utils",
    "config",
    "crud",
    "repository",
    "tasks",
];

/// The project's domains.
#[derive(Debug, Default)]
pub struct Domains {
    /// Dotted names of the domain packages.
    packages: HashSet<String>,
}

impl Domains {
    pub fn of(index: &ProjectIndex) -> Domains {
        // Each package's children: name, and whether it is a package.
        let mut children: HashMap<&str, Vec<(&str, bool)>> = HashMap::default();
        for module in index.modules() {
            if let Some((parent, child)) = module.name.rsplit_once('.') {
                children
                    .entry(parent)
                    .or_default()
                    .push((child, module.is_package));
            }
        }
        let mut candidates: Vec<&str> = children
            .iter()
            .filter(|(_, children)| {
                let marked = children
                    .iter()
                    .any(|(name, package)| !package && MARKERS.contains(name));
                let roles = children
                    .iter()
                    .filter(|(name, _)| MARKERS.contains(name) || ROLES.contains(name))
                    .count();
                marked && roles >= 2
            })
            .map(|(package, _)| *package)
            .collect();
        candidates.sort_unstable();
        let packages = candidates
            .iter()
            .filter(|package| {
                let prefix = format!("{package}.");
                !candidates
                    .iter()
                    .any(|other| other.starts_with(prefix.as_str()))
            })
            .map(|package| package.to_string())
            .collect();
        Domains { packages }
    }

    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }

    /// The domain a module belongs to: the nearest domain package that
    /// holds it (a domain's `__init__` belongs to the domain itself).
    pub fn domain_of<'d>(&'d self, module: &str) -> Option<&'d str> {
        let mut name = module;
        loop {
            if let Some(found) = self.packages.get(name) {
                return Some(found.as_str());
            }
            name = name.rsplit_once('.')?.0;
        }
    }
}

/// Whether a module holds tests: under `tests`, or `test_*.py`,
/// `*_test.py`, `conftest.py`.
pub fn is_test_module(module: &str) -> bool {
    module.split('.').any(|part| {
        part == "tests"
            || part == "test"
            || part == "conftest"
            || part.starts_with("test_")
            || part.ends_with("_test")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::index::summarize;

    fn index(modules: &[(&str, bool)]) -> ProjectIndex {
        ProjectIndex::new(
            modules
                .iter()
                .map(|(name, is_package)| summarize(name, *is_package, "").unwrap()),
        )
    }

    #[test]
    fn domains_hold_their_routes_and_another_role() {
        let index = index(&[
            ("src", true),
            ("src.main", false),
            ("src.config", false),
            ("src.models", false),
            ("src.exceptions", false),
            ("src.auth", true),
            ("src.auth.router", false),
            ("src.auth.service", false),
            ("src.auth.utils", true),
            ("src.auth.utils.jwt", false),
            ("src.posts", true),
            ("src.posts.service", false),
            ("src.posts.schemas", false),
            ("src.posts.router", false),
            ("src.kit", true),
            ("src.kit.services", false),
            ("src.kit.utils", false),
            ("src.lonely", true),
            ("src.lonely.router", false),
        ]);
        let domains = Domains::of(&index);
        assert_eq!(domains.domain_of("src.auth.utils.jwt"), Some("src.auth"));
        assert_eq!(domains.domain_of("src.auth"), Some("src.auth"));
        assert_eq!(domains.domain_of("src.posts.service"), Some("src.posts"));
        assert_eq!(domains.domain_of("src.main"), None);
        assert_eq!(domains.domain_of("src.kit.utils"), None);
        assert_eq!(domains.domain_of("src.lonely.router"), None);
    }

    #[test]
    fn a_layered_project_has_no_domains() {
        let index = index(&[
            ("app", true),
            ("app.main", false),
            ("app.services", true),
            ("app.services.users", false),
            ("app.schemas", true),
            ("app.schemas.user", false),
            ("app.models", true),
        ]);
        assert!(Domains::of(&index).is_empty());
    }
}
