//! The plan of `domain-exceptions`: for every HTTP error the project raises
//! with a literal 4xx status and a literal or f-string detail, the class
//! that sends it, where that class lives and what it is called. A pure
//! function of the index, so every file's run makes the same decisions;
//! each new class is a promise that its home module defines it, and a home
//! that does not exist yet is a file the plan creates.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::project::index::{ModuleSummary, ProjectIndex};
use crate::project::plan::{Plan, PlanContext, PlanFile, Promise};
use crate::python::http_errors::{
    Detail, ErrorShape, HTTP_EXCEPTIONS, fstring_literal, status_constant, status_phrase,
    string_literal,
};
use crate::python::imports::{Symbol, import_block};
use crate::text::files::FileChange;
use crate::text::source::Quote;

/// The project step.
pub fn plan(context: &PlanContext) -> Box<dyn Plan> {
    Box::new(ErrorPlan::new(context))
}

/// What a class is made from: the class it derives from and what it sends.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ErrorKey {
    /// The base class, qualified (`fastapi.HTTPException`, or a class of
    /// the project that takes `HTTPException`'s arguments).
    pub base: String,
    pub shape: ErrorShape,
}

/// The class that sends one error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedError {
    pub name: String,
    /// The module that defines it.
    pub home: String,
    /// Written already (by hand or by an earlier run): raises use it, nothing
    /// is added.
    pub exists: bool,
    pub key: ErrorKey,
    /// `__init__`'s parameters after `self`.
    pub parameters: Vec<String>,
    /// For each value of the detail, the parameter it is passed as.
    pub parameter_of_value: Vec<usize>,
    /// The domain it was named for, for the section it is written in.
    pub domain: String,
}

/// Why a raise keeps its `HTTPException`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No package to hold `exceptions.py`.
    NoHome,
    /// Both the name and the domain-prefixed one are taken in the home.
    NameTaken { name: String, home: String },
    /// The class's module imports this one: importing it back would make a
    /// cycle.
    Cycle { home: String },
    /// The class could not be written, so the raise stays.
    Withdrawn { home: String },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NoHome => write!(f, "no package to hold `exceptions.py` was found"),
            Refusal::NameTaken { name, home } => {
                write!(
                    f,
                    "`{name}` is taken in `{home}`, also with the domain before it"
                )
            }
            Refusal::Cycle { home } => write!(
                f,
                "`{home}` imports this module: importing it here would make a cycle"
            ),
            Refusal::Withdrawn { home } => write!(f, "`{home}` could not be written"),
        }
    }
}

/// Every class the run uses, and where each raising module finds them.
#[derive(Debug, Default)]
pub struct ErrorPlan {
    /// Raising module → its home module and domain.
    homes: BTreeMap<String, (String, String)>,
    /// (home, key, domain when the name depends on it) → the class.
    classes: BTreeMap<(String, ErrorKey, String), Result<PlannedError, Refusal>>,
    /// Homes the run creates, with their files.
    created: BTreeMap<String, PathBuf>,
    /// Homes whose new classes did not land.
    withdrawn: BTreeSet<String>,
    /// Raising modules whose raises all stay, and why.
    refused_modules: BTreeMap<String, Refusal>,
}

impl ErrorPlan {
    pub fn new(context: &PlanContext) -> Self {
        let index = context.index;
        let mut modules: Vec<&ModuleSummary> = index.modules().collect();
        modules.sort_by(|a, b| a.name.cmp(&b.name));
        let layout = Layout::new(&modules);

        // Classes written already, by what they send.
        let mut existing: BTreeMap<ErrorKey, Vec<(String, String, Vec<String>, Vec<usize>)>> =
            BTreeMap::new();
        for module in &modules {
            for class in &module.class_summaries {
                let (Some(error), Some(base)) = (&class.http_error, class.bases.first()) else {
                    continue;
                };
                let Some(base) = error_base(index, base) else {
                    continue;
                };
                existing
                    .entry(ErrorKey {
                        base,
                        shape: error.shape.clone(),
                    })
                    .or_default()
                    .push((
                        module.name.clone(),
                        class.name.to_string(),
                        error.parameters.clone(),
                        error.parameter_of_value.clone(),
                    ));
            }
        }

        let mut plan = ErrorPlan::default();
        // Names given in each home so far.
        let mut given: BTreeMap<String, BTreeMap<String, ErrorKey>> = BTreeMap::new();
        // The modules raising each class.
        let mut raisers: BTreeMap<(String, ErrorKey, String), BTreeSet<String>> = BTreeMap::new();
        for module in &modules {
            // FastAPI's and Starlette's own modules raise their framework's
            // errors; they are not an app's domain. Nor are tests (the
            // apps they build raise what the test checks) or docs.
            let top = module.name.split('.').next().unwrap_or_default();
            if FRAMEWORKS.contains(&top)
                || crate::project::app_settings::is_outside_the_app(&module.name)
            {
                continue;
            }
            let raised: Vec<_> = module
                .http_errors
                .iter()
                .filter(|raised| (400..500).contains(&raised.shape.status))
                .filter(|raised| {
                    !raised
                        .ignored
                        .as_ref()
                        .is_some_and(|ignored| ignored.covers(super::TRANSFORM.name, None))
                })
                .filter_map(|raised| {
                    let base = error_base(index, &raised.class)?;
                    Some((raised, base))
                })
                .collect();
            if raised.is_empty() {
                continue;
            }
            let Some((home, domain, file)) = layout.home_of(module, context) else {
                for (raised, base) in raised {
                    let key = ErrorKey {
                        base,
                        shape: raised.shape.clone(),
                    };
                    plan.classes.insert(
                        (String::new(), key, module.name.clone()),
                        Err(Refusal::NoHome),
                    );
                }
                continue;
            };
            // A home that imports the module cannot be imported back.
            if home != module.name && index.reaches(&home, &module.name) {
                plan.refused_modules
                    .insert(module.name.clone(), Refusal::Cycle { home });
                continue;
            }
            plan.homes
                .insert(module.name.clone(), (home.clone(), domain.clone()));
            if let Some(file) = file {
                plan.created.entry(home.clone()).or_insert(file);
            }
            for (raised, base) in raised {
                let key = ErrorKey {
                    base,
                    shape: raised.shape.clone(),
                };
                let (name, by_domain) = class_name(&key.shape, &domain);
                let slot = (
                    home.clone(),
                    key.clone(),
                    if by_domain {
                        domain.clone()
                    } else {
                        String::new()
                    },
                );
                raisers
                    .entry(slot.clone())
                    .or_default()
                    .insert(module.name.clone());
                if plan.classes.contains_key(&slot) {
                    continue;
                }
                // A class that sends the same: the home's own first. When
                // the name would say the domain (`PostNotFound` for a bare
                // 404), only a class of that name is the domain's.
                let prefixed = format!("{}{name}", camel(&domain));
                let reused = existing.get(&key).and_then(|classes| {
                    let fits = |class: &&(String, String, Vec<String>, Vec<usize>)| {
                        !by_domain || class.1 == name || class.1 == prefixed
                    };
                    classes
                        .iter()
                        .filter(fits)
                        .find(|(module, ..)| *module == home)
                        .or_else(|| classes.iter().find(fits))
                });
                let planned = if let Some((class_module, class_name, parameters, order)) = reused {
                    Ok(PlannedError {
                        name: class_name.clone(),
                        home: class_module.clone(),
                        exists: true,
                        key: key.clone(),
                        parameters: parameters.clone(),
                        parameter_of_value: order.clone(),
                        domain: domain.clone(),
                    })
                } else {
                    let taken = |name: &str| {
                        let given_here = given
                            .get(&home)
                            .and_then(|names| names.get(name))
                            .is_some_and(|other| *other != key);
                        given_here
                            || index
                                .module(&home)
                                .is_some_and(|summary| summary.bound_names.contains(name))
                    };
                    let chosen = if !taken(&name) {
                        Some(name.clone())
                    } else if !name.starts_with(&camel(&domain)) && !taken(&prefixed) {
                        Some(prefixed)
                    } else {
                        None
                    };
                    match chosen {
                        Some(name) => {
                            given
                                .entry(home.clone())
                                .or_default()
                                .insert(name.clone(), key.clone());
                            let arity = key.shape.detail.arity();
                            Ok(PlannedError {
                                name,
                                home: home.clone(),
                                exists: false,
                                key: key.clone(),
                                parameters: raised.value_names.clone(),
                                parameter_of_value: (0..arity).collect(),
                                domain: domain.clone(),
                            })
                        }
                        None => Err(Refusal::NameTaken {
                            name,
                            home: home.clone(),
                        }),
                    }
                };
                plan.classes.insert(slot, planned);
            }
        }
        plan.refuse_cycles(index, &raisers);
        plan
    }

    /// A home imports the bases of its new classes: a module such a base
    /// module imports (or the base module itself) cannot import the home.
    /// Its raises stay, and a new class no other module raises is not made.
    fn refuse_cycles(
        &mut self,
        index: &ProjectIndex,
        raisers: &BTreeMap<(String, ErrorKey, String), BTreeSet<String>>,
    ) {
        let mut bases: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for planned in self.classes.values().flatten() {
            if planned.exists {
                continue;
            }
            if let Some((module, _)) = planned.key.base.rsplit_once('.')
                && index.module(module).is_some()
            {
                bases
                    .entry(planned.home.as_str())
                    .or_default()
                    .insert(module);
            }
        }
        let mut refused: Vec<(String, String)> = Vec::new();
        for (module, (home, _)) in &self.homes {
            let cycle = bases.get(home.as_str()).is_some_and(|bases| {
                bases
                    .iter()
                    .any(|base| *base == module || index.reaches(base, module))
            });
            if cycle {
                refused.push((module.clone(), home.clone()));
            }
        }
        for (module, home) in refused {
            self.homes.remove(&module);
            self.refused_modules.insert(module, Refusal::Cycle { home });
        }
        // New classes whose every raiser was refused.
        let homes = &self.homes;
        self.classes.retain(|slot, planned| {
            let used = raisers
                .get(slot)
                .is_some_and(|modules| modules.iter().any(|module| homes.contains_key(module)));
            used || planned.as_ref().is_ok_and(|planned| planned.exists)
        });
    }

    /// The class a module's raise of `class` (qualified) sending `shape`
    /// becomes, or why it stays. None when the plan does not know the
    /// raise (not a 4xx, not an HTTP exception).
    pub fn error_for(
        &self,
        index: &ProjectIndex,
        module: &str,
        class: &str,
        shape: &ErrorShape,
    ) -> Option<Result<&PlannedError, Refusal>> {
        let base = error_base(index, class)?;
        let key = ErrorKey {
            base,
            shape: shape.clone(),
        };
        if let Some(refusal) = self.refused_modules.get(module) {
            return Some(Err(refusal.clone()));
        }
        let Some((home, domain)) = self.homes.get(module).or_else(|| {
            // A module another plan creates or writes code into (a
            // domain's `dependencies.py` or `service.py`, holding code taken
            // from its routes) raises as the modules of its package do.
            if index
                .module(module)
                .is_some_and(|summary| !summary.http_errors.is_empty())
            {
                return None;
            }
            // The nearest: the most packages in common, then the same
            // last name (`app.services.items` from `app.routers.items`).
            let parts: Vec<&str> = module.split('.').collect();
            let (package, last) = parts.split_at(parts.len() - 1);
            self.homes
                .iter()
                .map(|(raiser, home)| {
                    let theirs: Vec<&str> = raiser.split('.').collect();
                    let (their_package, their_last) = theirs.split_at(theirs.len() - 1);
                    let shared = package
                        .iter()
                        .zip(their_package)
                        .take_while(|(a, b)| a == b)
                        .count();
                    ((shared, last == their_last), home)
                })
                .filter(|((shared, _), _)| *shared > 0)
                .rev()
                .max_by_key(|(score, _)| *score)
                .map(|(_, home)| home)
        }) else {
            return self
                .classes
                .get(&(String::new(), key, module.to_string()))
                .map(|_| Err(Refusal::NoHome));
        };
        let (_, by_domain) = class_name(shape, domain);
        let domain = if by_domain {
            domain.clone()
        } else {
            String::new()
        };
        let planned = self.classes.get(&(home.clone(), key, domain))?;
        Some(match planned {
            Ok(planned) if !planned.exists && self.withdrawn.contains(&planned.home) => {
                Err(Refusal::Withdrawn {
                    home: planned.home.clone(),
                })
            }
            Ok(planned)
                if planned.exists
                    && planned.home != module
                    && index.reaches(&planned.home, module) =>
            {
                Err(Refusal::Cycle {
                    home: planned.home.clone(),
                })
            }
            Ok(planned) => Ok(planned),
            Err(refusal) => Err(refusal.clone()),
        })
    }

    /// New classes whose home is `module`, an existing module, in the order
    /// they are written.
    pub fn new_in<'p>(&'p self, module: &'p str) -> impl Iterator<Item = &'p PlannedError> + 'p {
        self.new_classes()
            .filter(move |planned| planned.home == module && !self.created.contains_key(module))
    }

    fn new_classes(&self) -> impl Iterator<Item = &PlannedError> {
        self.classes.values().filter_map(|planned| {
            planned
                .as_ref()
                .ok()
                .filter(|planned| !planned.exists && !self.withdrawn.contains(&planned.home))
        })
    }
}

impl Plan for ErrorPlan {
    /// Modules that raise errors the plan knows, and homes that gain classes.
    fn concerns(&self, file: &PlanFile) -> bool {
        let Some(module) = file.module_name else {
            return false;
        };
        self.homes.contains_key(module)
            || file
                .summary
                .is_some_and(|summary| !summary.http_errors.is_empty())
            || self.new_in(module).next().is_some()
    }

    fn promises(&self) -> Vec<Promise> {
        self.new_classes()
            .map(|planned| Promise::Defines {
                module: planned.home.clone(),
                name: planned.name.clone(),
            })
            .collect()
    }

    /// A home with a class that did not land takes all its new classes back.
    fn withdraw(&mut self, broken: &[Promise]) {
        for promise in broken {
            if let Some(module) = promise.module() {
                self.withdrawn.insert(module.to_string());
            }
        }
    }

    fn file_changes(&self) -> Vec<FileChange> {
        self.created
            .iter()
            .filter(|(home, _)| !self.withdrawn.contains(*home))
            .filter_map(|(home, path)| {
                let classes: Vec<&PlannedError> = self
                    .new_classes()
                    .filter(|planned| planned.home == *home)
                    .collect();
                if classes.is_empty() {
                    return None;
                }
                Some(FileChange::Create {
                    path: path.clone(),
                    contents: new_module(home, &classes),
                    module: Some(home.clone()),
                })
            })
            .collect()
    }
}

/// The base of an error class: FastAPI's `HTTPException` for any spelling
/// of it or of Starlette's (FastAPI's derives from Starlette's, takes the
/// same arguments, and FastAPI's handler answers both alike), or a class
/// of the project that derives from one and takes its arguments (it
/// defines no `__init__` of its own, nor do the classes in between).
pub fn error_base(index: &ProjectIndex, class: &str) -> Option<String> {
    if HTTP_EXCEPTIONS.contains(&class) {
        return Some("fastapi.HTTPException".to_string());
    }
    for (name, summary) in index.first_bases(class) {
        if HTTP_EXCEPTIONS.contains(&name.as_str()) {
            return Some(index.canonical(class));
        }
        let summary = summary?;
        if summary.method("__init__").is_some() || summary.http_error.is_some() {
            return None;
        }
    }
    None
}

/// The packages that define `HTTPException`.
const FRAMEWORKS: &[&str] = &["fastapi", "starlette"];

/// Where the modules of a project sit: which packages are domains.
struct Layout<'a> {
    /// Package → the names of its modules (last component).
    children: BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// Packages holding a module that makes the app, or a `main`.
    app_packages: Vec<String>,
}

/// Modules that make a package a domain when it holds one of each kind.
const ROUTER_MODULES: &[&str] = &[
    "router",
    "routers",
    "routes",
    "views",
    "api",
    "endpoints",
    "controller",
    "controllers",
];
const DOMAIN_MODULES: &[&str] = &[
    "schemas",
    "models",
    "service",
    "services",
    "dependencies",
    "exceptions",
    "crud",
    "constants",
    "repository",
    "utils",
    "config",
];
/// Module names that say what a module does, not what it is about.
const GENERIC_NAMES: &[&str] = &[
    "router",
    "routers",
    "routes",
    "route",
    "views",
    "view",
    "api",
    "endpoints",
    "endpoint",
    "main",
    "deps",
    "dependencies",
    "dependency",
    "service",
    "services",
    "utils",
    "crud",
    "handlers",
    "controller",
    "controllers",
    "base",
    "core",
    "app",
    "exceptions",
    "errors",
    "__init__",
];

impl<'a> Layout<'a> {
    fn new(modules: &[&'a ModuleSummary]) -> Self {
        let mut children: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        // Packages of modules that make the app, else of `main` modules.
        let mut making: Vec<String> = Vec::new();
        let mut mains: Vec<String> = Vec::new();
        for module in modules {
            let (package, stem) = module.name.rsplit_once('.').unwrap_or(("", &module.name));
            children.entry(package).or_default().insert(stem);
            let package = if module.is_package {
                module.name.as_str()
            } else {
                package
            };
            if module.makes_app {
                making.push(package.to_string());
            } else if stem == "main" {
                mains.push(package.to_string());
            }
        }
        let mut app_packages = if making.is_empty() { mains } else { making };
        // The deepest app package wins for the modules under it.
        app_packages.sort_by_key(|package| std::cmp::Reverse(package.len()));
        app_packages.dedup();
        Layout {
            children,
            app_packages,
        }
    }

    /// The module a raising module's errors live in, the domain they are
    /// named for, and the file to create when the module does not exist.
    fn home_of(
        &self,
        module: &ModuleSummary,
        context: &PlanContext,
    ) -> Option<(String, String, Option<PathBuf>)> {
        let package = if module.is_package {
            module.name.as_str()
        } else {
            module
                .name
                .rsplit_once('.')
                .map_or("", |(package, _)| package)
        };
        let stem = module.name.rsplit('.').next().unwrap_or(&module.name);
        let is_domain = self.children.get(package).is_some_and(|children| {
            children.iter().any(|child| ROUTER_MODULES.contains(child))
                && children.iter().any(|child| DOMAIN_MODULES.contains(child))
        }) && !package.is_empty();
        let (home_package, domain) = if is_domain {
            let domain = package.rsplit('.').next().unwrap_or(package);
            (package.to_string(), domain.to_string())
        } else {
            let app = self
                .app_packages
                .iter()
                .find(|app| {
                    app.is_empty()
                        || module.name == **app
                        || module.name.starts_with(&format!("{app}."))
                })
                .cloned()
                .unwrap_or_else(|| {
                    module
                        .name
                        .split('.')
                        .next()
                        .unwrap_or_default()
                        .to_string()
                });
            let app = if app == module.name && !module.is_package {
                module
                    .name
                    .rsplit_once('.')
                    .map_or("", |(package, _)| package)
                    .to_string()
            } else {
                app
            };
            (app, layered_domain(stem, package))
        };
        let home = if home_package.is_empty() {
            "exceptions".to_string()
        } else {
            format!("{home_package}.exceptions")
        };
        if context.index.module(&home).is_some() {
            return Some((home, domain, None));
        }
        // The file next to the package's `__init__.py`, or next to a module
        // of the package.
        let directory = context
            .paths
            .get(&home_package)
            .filter(|_| !home_package.is_empty())
            .and_then(|init| init.parent())
            .map(|directory| directory.to_path_buf())
            .or_else(|| {
                let sibling =
                    self.children
                        .get(home_package.as_str())?
                        .iter()
                        .find_map(|child| {
                            let name = if home_package.is_empty() {
                                child.to_string()
                            } else {
                                format!("{home_package}.{child}")
                            };
                            let path = context.paths.get(&name)?;
                            let is_package = context.index.module(&name)?.is_package;
                            let directory = path.parent()?;
                            Some(if is_package {
                                directory.parent()?.to_path_buf()
                            } else {
                                directory.to_path_buf()
                            })
                        })?;
                Some(sibling)
            })?;
        Some((home, domain, Some(directory.join("exceptions.py"))))
    }
}

/// The domain of a module of a layered project: its name without what it
/// does (`users_router` → `users`), or its package's name when it says
/// nothing else.
fn layered_domain(stem: &str, package: &str) -> String {
    let mut domain = stem;
    for prefix in [
        "crud_",
        "routes_",
        "router_",
        "api_",
        "endpoint_",
        "endpoints_",
    ] {
        domain = domain.strip_prefix(prefix).unwrap_or(domain);
    }
    for suffix in [
        "_router",
        "_routers",
        "_routes",
        "_route",
        "_views",
        "_view",
        "_api",
        "_endpoints",
        "_endpoint",
        "_service",
        "_services",
        "_crud",
        "_controller",
        "_handlers",
        "_repository",
        "_deps",
        "_dependencies",
    ] {
        domain = domain.strip_suffix(suffix).unwrap_or(domain);
    }
    if GENERIC_NAMES.contains(&domain) || domain.is_empty() {
        let parent = package.rsplit('.').next().unwrap_or(package);
        if parent.is_empty() || GENERIC_NAMES.contains(&parent) {
            return "app".to_string();
        }
        return parent.to_string();
    }
    domain.to_string()
}

/// Words that name nothing in a detail.
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "this",
    "that",
    "these",
    "those",
    "with",
    "of",
    "for",
    "to",
    "in",
    "on",
    "at",
    "by",
    "from",
    "is",
    "was",
    "were",
    "be",
    "been",
    "are",
    "it",
    "its",
    "your",
    "you",
    "given",
    "requested",
    "provided",
    "specified",
    "such",
    "any",
    "could",
    "can",
    "has",
    "have",
    "please",
    "sorry",
    "yet",
    "id",
];

/// Words that open a detail's closing context (`in the system`).
const CONTEXT_WORDS: &[&str] = &[
    "in", "on", "at", "for", "from", "to", "within", "into", "by",
];

/// Words a long detail can do without.
const FILLER_WORDS: &[&str] = &[
    "and", "or", "but", "while", "when", "cannot", "can", "must", "should", "be", "been", "will",
    "would", "already", "has", "have", "had",
];

/// Words of a 403 detail that say only that access is refused, not why.
const REFUSAL_WORDS: &[&str] = &[
    "permission",
    "permissions",
    "privilege",
    "privileges",
    "forbidden",
    "denied",
    "access",
    "authorized",
    "allowed",
    "permitted",
    "rights",
    "insufficient",
];

/// The class's name for an error raised in `domain`, as people write them,
/// and whether the name depends on the domain.
pub fn class_name(shape: &ErrorShape, domain: &str) -> (String, bool) {
    let domain_name = camel(domain);
    let words: Vec<String> = match &shape.detail {
        Detail::Default => Vec::new(),
        detail => detail.words(),
    };
    let lower: Vec<String> = words.iter().map(|word| word.to_lowercase()).collect();
    let significant = |range: &[String]| -> Vec<String> {
        range
            .iter()
            .filter(|word| !STOP_WORDS.contains(&word.to_lowercase().as_str()))
            .filter(|word| {
                word.chars()
                    .all(|character| character.is_ascii_alphanumeric())
            })
            .cloned()
            .collect()
    };
    let reason = || {
        let phrase = status_phrase(shape.status).unwrap_or("Error");
        let words: Vec<String> = phrase
            .split(' ')
            .map(|word| word.replace('\'', ""))
            .collect();
        (format!("{domain_name}{}", camel_words(&words)), true)
    };
    match shape.status {
        404 => {
            let end = lower
                .windows(2)
                .position(|pair| pair == ["not", "found"])
                .or_else(|| {
                    lower
                        .windows(3)
                        .position(|triple| triple == ["does", "not", "exist"])
                })
                .or_else(|| lower.iter().position(|word| word == "doesn't"));
            let subject = end
                .map(|end| significant(&words[..end]))
                .unwrap_or_default();
            if !subject.is_empty() && subject.len() <= 3 && starts_with_letter(&subject) {
                (format!("{}NotFound", camel_words(&subject)), false)
            } else {
                (format!("{domain_name}NotFound"), true)
            }
        }
        403 => {
            let refusal = lower
                .iter()
                .any(|word| REFUSAL_WORDS.contains(&word.as_str()));
            let words = significant(&words);
            if refusal || words.is_empty() || words.len() > 4 || !starts_with_letter(&words) {
                (format!("{domain_name}PermissionDenied"), true)
            } else {
                (camel_words(&words), false)
            }
        }
        401 => {
            let invalid = lower.iter().any(|word| {
                matches!(
                    word.as_str(),
                    "credentials"
                        | "credential"
                        | "password"
                        | "token"
                        | "invalid"
                        | "incorrect"
                        | "expired"
                        | "wrong"
                        | "bad"
                        | "validate"
                )
            });
            let name = if invalid {
                "InvalidCredentials"
            } else {
                "NotAuthenticated"
            };
            (name.to_string(), false)
        }
        400 | 409 => {
            // A long detail loses its closing context first: `… already
            // exists in the system`.
            let mut words: &[String] = &words;
            if significant(words).len() > 4
                && let Some(cut) = lower
                    .iter()
                    .rposition(|word| CONTEXT_WORDS.contains(&word.as_str()))
                    .filter(|&cut| significant(&words[..cut]).len() >= 2)
            {
                words = &words[..cut];
            }
            // `cannot be changed` keeps its `be`.
            let mut words: Vec<String> = words
                .iter()
                .filter(|word| {
                    let lower = word.to_lowercase();
                    lower == "be" || !STOP_WORDS.contains(&lower.as_str())
                })
                .filter(|word| {
                    word.chars()
                        .all(|character| character.is_ascii_alphanumeric())
                })
                .cloned()
                .collect();
            // A long detail keeps what it is about and its last word, the
            // one that says what happened: `Billing plan name already
            // exists` → `BillingPlanNameExists`.
            if words.len() > 4 {
                words.retain(|word| !FILLER_WORDS.contains(&word.to_lowercase().as_str()));
            }
            if words.len() > 4 {
                let last = words.pop().unwrap_or_default();
                words.truncate(3);
                words.push(last);
            }
            if words.is_empty() || !starts_with_letter(&words) {
                reason()
            } else {
                (camel_words(&words), false)
            }
        }
        _ => reason(),
    }
}

fn starts_with_letter(words: &[String]) -> bool {
    words
        .first()
        .and_then(|word| word.chars().next())
        .is_some_and(|character| character.is_ascii_alphabetic())
}

/// `PostNotFound` from `["post", "not", "found"]`; a shouted word
/// (`UNDEFINED`) is written as a word, an acronym (`ID`, `API`) as it is.
fn camel_words(words: &[String]) -> String {
    words
        .iter()
        .map(|word| {
            let word = if word.len() > 3 && word.chars().all(|c| !c.is_lowercase()) {
                word.to_lowercase()
            } else {
                word.clone()
            };
            let mut characters = word.chars();
            match characters.next() {
                Some(first) => first.to_uppercase().chain(characters).collect(),
                None => String::new(),
            }
        })
        .collect()
}

/// A domain's name in a class name: `user_profiles` → `UserProfile`.
pub fn camel(domain: &str) -> String {
    let mut words: Vec<String> = domain
        .split('_')
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(last) = words.last_mut() {
        *last = singular(last);
    }
    camel_words(&words)
}

fn singular(word: &str) -> String {
    let lower = word.to_lowercase();
    if let Some(stem) = lower.strip_suffix("ies").filter(|stem| !stem.is_empty()) {
        return format!("{}y", &word[..stem.len()]);
    }
    for ending in ["sses", "xes", "ches", "shes"] {
        if lower.ends_with(ending) {
            return word[..word.len() - 2].to_string();
        }
    }
    if lower.ends_with('s')
        && !["ss", "us", "is"]
            .iter()
            .any(|ending| lower.ends_with(ending))
    {
        return word[..word.len() - 1].to_string();
    }
    word.to_string()
}

/// How a class refers to what it needs in the module that defines it.
pub struct ClassReferences<'a> {
    /// The base class, as the module can write it.
    pub base: &'a str,
    /// `status`, when the module can write `status.HTTP_…`.
    pub status: Option<&'a str>,
}

/// The text of a new class, lines ended by `ending` and indented by `unit`,
/// wrapped as black would wrap the `super().__init__(…)` call when it is
/// longer than `line_length`.
pub fn class_text(
    planned: &PlannedError,
    references: &ClassReferences,
    quote: Quote,
    unit: &str,
    ending: &str,
    line_length: usize,
) -> String {
    let shape = &planned.key.shape;
    let status = match (references.status, status_constant(shape.status)) {
        (Some(status), Some(constant)) => format!("{status}.{constant}"),
        _ => shape.status.to_string(),
    };
    let mut arguments = vec![format!("status_code={status}")];
    match &shape.detail {
        Detail::Default => {}
        Detail::Text(text) => arguments.push(format!("detail={}", string_literal(text, quote))),
        Detail::Template(template) => {
            let names: Vec<String> = planned
                .parameter_of_value
                .iter()
                .map(|&parameter| planned.parameters[parameter].clone())
                .collect();
            arguments.push(format!(
                "detail={}",
                fstring_literal(template, &names, quote)
            ));
        }
    }
    if let Some(headers) = &shape.headers {
        let pairs: Vec<String> = headers
            .iter()
            .map(|(name, value)| {
                format!(
                    "{}: {}",
                    string_literal(name, quote),
                    string_literal(value, quote)
                )
            })
            .collect();
        arguments.push(format!("headers={{{}}}", pairs.join(", ")));
    }
    let parameters: String = planned
        .parameters
        .iter()
        .map(|parameter| format!(", {parameter}"))
        .collect();
    let body_indent = unit.repeat(2);
    let one_line = format!("{body_indent}super().__init__({})", arguments.join(", "));
    let call = if one_line.chars().count() <= line_length {
        one_line
    } else {
        let inner = format!("{}{}", unit.repeat(3), arguments.join(", "));
        if inner.chars().count() <= line_length {
            format!("{body_indent}super().__init__({ending}{inner}{ending}{body_indent})")
        } else {
            let lines: String = arguments
                .iter()
                .map(|argument| format!("{}{argument},{ending}", unit.repeat(3)))
                .collect();
            format!("{body_indent}super().__init__({ending}{lines}{body_indent})")
        }
    };
    format!(
        "class {name}({base}):{ending}{unit}def __init__(self{parameters}) -> None:{ending}{call}{ending}",
        name = planned.name,
        base = references.base,
    )
}

/// The base's import: `(module, name)`.
pub fn base_symbol(base: &str) -> (String, String) {
    match base.rsplit_once('.') {
        Some(("fastapi.exceptions", name)) => ("fastapi".to_string(), name.to_string()),
        Some((module, name)) => (module.to_string(), name.to_string()),
        None => (String::new(), base.to_string()),
    }
}

/// A new `exceptions.py`: its imports, then its classes, each domain's
/// under a comment when there are several domains.
fn new_module(home: &str, classes: &[&PlannedError]) -> String {
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut uses_status = false;
    for planned in classes {
        let (module, name) = base_symbol(&planned.key.base);
        imports.entry(module).or_default().insert(name);
        if status_constant(planned.key.shape.status).is_some() {
            uses_status = true;
        }
    }
    if uses_status {
        imports
            .entry("fastapi".to_string())
            .or_default()
            .insert("status".to_string());
    }
    let symbols: Vec<Symbol> = imports
        .iter()
        .flat_map(|(module, names)| {
            names
                .iter()
                .map(|name| Symbol::owned(module.clone(), name.clone()))
        })
        .collect();
    let first_party = home.split('.').next().unwrap_or(home);
    let mut text = import_block(&symbols, first_party);
    let domains: BTreeSet<&str> = classes
        .iter()
        .map(|planned| planned.domain.as_str())
        .collect();
    let mut ordered: Vec<&&PlannedError> = classes.iter().collect();
    ordered.sort_by_key(|planned| planned.domain.as_str());
    let mut current_domain: Option<&str> = None;
    for planned in ordered {
        let (_, base) = base_symbol(&planned.key.base);
        let references = ClassReferences {
            base: &base,
            status: Some("status"),
        };
        text.push_str("\n\n");
        if domains.len() > 1 && current_domain != Some(planned.domain.as_str()) {
            text.push_str(&format!("# {}\n", planned.domain.replace('_', " ")));
            current_domain = Some(planned.domain.as_str());
        }
        text.push_str(&class_text(
            planned,
            &references,
            Quote::Double,
            "    ",
            "\n",
            88,
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(status: u16, detail: &str) -> ErrorShape {
        ErrorShape {
            status,
            detail: Detail::Text(detail.into()),
            headers: None,
        }
    }

    #[test]
    fn names_read_as_people_write_them() {
        let name = |status, detail| class_name(&shape(status, detail), "posts").0;
        assert_eq!(name(404, "Post not found"), "PostNotFound");
        assert_eq!(
            name(404, "The requested item was not found"),
            "ItemNotFound"
        );
        assert_eq!(name(404, "User does not exist"), "UserNotFound");
        assert_eq!(name(404, "Nothing here"), "PostNotFound");
        assert_eq!(name(403, "Not the post owner"), "NotPostOwner");
        assert_eq!(name(403, "Not enough permissions"), "PostPermissionDenied");
        assert_eq!(
            name(403, "The user doesn't have enough privileges"),
            "PostPermissionDenied"
        );
        assert_eq!(
            name(401, "Could not validate credentials"),
            "InvalidCredentials"
        );
        assert_eq!(name(401, "Not authenticated"), "NotAuthenticated");
        assert_eq!(
            name(409, "Email already registered"),
            "EmailAlreadyRegistered"
        );
        assert_eq!(
            name(400, "The user with this email already exists in the system"),
            "UserEmailAlreadyExists"
        );
        assert_eq!(name(400, "Title cannot be changed"), "TitleCannotBeChanged");
        assert_eq!(
            name(400, "Title and content cannot be empty"),
            "TitleContentEmpty"
        );
        assert_eq!(
            name(409, "Billing plan name already exists"),
            "BillingPlanNameExists"
        );
        assert_eq!(name(400, "UNDEFINED ERROR"), "UndefinedError");
        assert_eq!(name(429, "Slow down"), "PostTooManyRequests");
        assert_eq!(camel("user_profiles"), "UserProfile");
        assert_eq!(camel("categories"), "Category");
        assert_eq!(camel("status"), "Status");
    }

    #[test]
    fn layered_modules_are_named_for_what_they_are_about() {
        assert_eq!(layered_domain("users_router", "app.routers"), "users");
        assert_eq!(layered_domain("crud_post", "app.crud"), "post");
        assert_eq!(layered_domain("router", "app.items"), "items");
        assert_eq!(layered_domain("main", "app"), "app");
    }

    #[test]
    fn long_calls_wrap_as_black_wraps_them() {
        let planned = PlannedError {
            name: "PostNotFound".into(),
            home: "app.exceptions".into(),
            exists: false,
            key: ErrorKey {
                base: "fastapi.HTTPException".into(),
                shape: shape(404, "This post was not found"),
            },
            parameters: Vec::new(),
            parameter_of_value: Vec::new(),
            domain: "posts".into(),
        };
        let references = ClassReferences {
            base: "HTTPException",
            status: Some("status"),
        };
        assert_eq!(
            class_text(&planned, &references, Quote::Double, "    ", "\n", 88),
            "class PostNotFound(HTTPException):\n    def __init__(self) -> None:\n        \
             super().__init__(\n            status_code=status.HTTP_404_NOT_FOUND, detail=\"This post was not found\"\n        )\n"
        );
    }
}
