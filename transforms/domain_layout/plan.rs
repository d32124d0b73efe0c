//! `domain-layout`'s project step: which packages are layers by file type,
//! which of their modules make up each domain, where each moves, and what
//! the layers leave behind.
//!
//! A *layer* is a package named for a kind of file (`routers/`,
//! `api/api_v1/endpoints/`, `schemas/`, `models/`, `db/models/`, `crud/`,
//! `repositories/`, `services/`, …), outside the tests. Its modules, and
//! the packages it splits per domain (`routes/recipe/`), are matched
//! across layers by their normalised stem (`users`, `user`, `crud_user`
//! and `user_service` are one). A stem found in two layers, or one with
//! routes, is a domain: each of its modules moves to
//! `<app>/<domain>/<role>.py`, where `<app>` is the package that holds the
//! layers. What no single domain owns (`base.py`, `deps.py`, `utils.py`)
//! stays.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::project::index::ModuleSummary;
use crate::project::layout::is_test_module;
use crate::project::plan::{MOVE_JOURNAL, Plan, PlanContext, PlanFile, Promise, journal_entry};
use crate::text::files::FileChange;

/// `[tool.fastapi-codemod.domain-layout]`: `library = true` keeps every
/// emptied layer's `__init__.py` (code outside the project may import it).
#[derive(Debug, Clone, Default)]
pub struct LayoutOptions {
    pub library: bool,
}

pub fn configure(
    table: &toml::Table,
    settings: &mut crate::project::settings::Settings,
) -> Result<(), String> {
    let mut options = LayoutOptions::default();
    for (option, value) in table {
        match option.as_str() {
            "library" => {
                options.library = value
                    .as_bool()
                    .ok_or_else(|| format!("{option}: expected true or false"))?;
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    settings.set(options);
    Ok(())
}

/// What a module is in a domain, and the file it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Router,
    Models,
    Schemas,
    Crud,
    Service,
    Dependencies,
    Exceptions,
}

impl Role {
    /// The role of a layer package, by its name.
    fn of_layer(name: &str) -> Option<Role> {
        Some(match name {
            "routers" | "routes" | "endpoints" | "views" | "controllers" | "api" => Role::Router,
            "schemas" | "schema" | "serializers" => Role::Schemas,
            "models" | "model" | "entities" | "domain" => Role::Models,
            "crud" | "cruds" | "repositories" | "repository" | "repos" => Role::Crud,
            "services" | "service" => Role::Service,
            "dependencies" | "deps" => Role::Dependencies,
            "exceptions" | "errors" => Role::Exceptions,
            _ => return None,
        })
    }

    /// The module it becomes in the domain.
    pub fn file(self) -> &'static str {
        match self {
            Role::Router => "router",
            Role::Models => "models",
            Role::Schemas => "schemas",
            Role::Crud => "crud",
            Role::Service => "service",
            Role::Dependencies => "dependencies",
            Role::Exceptions => "exceptions",
        }
    }
}

/// The modules of a domain this transform makes.
const ROLE_FILES: [&str; 7] = [
    "router",
    "models",
    "schemas",
    "crud",
    "service",
    "dependencies",
    "exceptions",
];

/// Stems that name shared code, never a domain.
const SHARED: [&str; 18] = [
    "base",
    "base_class",
    "common",
    "core",
    "utils",
    "util",
    "deps",
    "session",
    "database",
    "db",
    "mixins",
    "types",
    "enums",
    "helpers",
    "shared",
    "main",
    "api",
    "generic",
];

/// Spellings around a stem that say its role, not its domain.
const AFFIXES: [&str; 14] = [
    "crud",
    "service",
    "services",
    "schema",
    "schemas",
    "model",
    "models",
    "router",
    "routes",
    "routers",
    "repository",
    "repo",
    "endpoints",
    "views",
];

/// `crud_user`, `user_service`, `users` → `user`, the key a domain is
/// matched by; and the stem without its affixes (`users`), its name.
fn normalise(stem: &str) -> (String, String) {
    let mut name = stem;
    for affix in AFFIXES {
        if let Some(rest) = name
            .strip_prefix(affix)
            .and_then(|rest| rest.strip_prefix('_'))
        {
            name = rest;
        }
        if let Some(rest) = name
            .strip_suffix(affix)
            .and_then(|rest| rest.strip_suffix('_'))
        {
            name = rest;
        }
    }
    (singular(name), name.to_string())
}

fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies").filter(|stem| stem.len() > 1) {
        return format!("{stem}y");
    }
    for ending in ["sses", "ches", "shes", "xes"] {
        if word.ends_with(ending) {
            return word[..word.len() - 2].to_string();
        }
    }
    match word.strip_suffix('s') {
        // `status`, `analysis`: not plurals.
        Some(stem) if stem.len() > 2 && !stem.ends_with(['s', 'u', 'i']) => stem.to_string(),
        _ => word.to_string(),
    }
}

/// `v1`, `api_v2`: a version, not a domain.
fn is_version(name: &str) -> bool {
    let name = name.strip_prefix("api_").unwrap_or(name);
    name.strip_prefix('v')
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&name)
}

const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// One module (or package split out per domain) of a layer.
#[derive(Debug, Clone)]
struct Member {
    role: Role,
    /// Its dotted name.
    module: String,
    /// A package that moves whole, with every module below it.
    is_package: bool,
    /// The stem without its affixes.
    name: String,
    /// Whether it declares routes or routers.
    routes: bool,
}

/// One domain and where its modules go.
#[derive(Debug, Clone)]
pub struct DomainMove {
    /// `users`.
    pub name: String,
    /// `app.users`.
    pub package: String,
    /// Old module → new module, for every module that moves.
    pub modules: BTreeMap<String, String>,
    /// The changes that make it: the moves, a new `__init__.py`, and the
    /// removals of old places a stopped run already wrote.
    pub changes: Vec<FileChange>,
    /// Still moved: a change that could not be made withdraws it.
    pub active: bool,
}

/// A layer package's `__init__.py`, and whether a move empties the layer.
#[derive(Debug, Clone)]
struct LayerInit {
    module: String,
    path: PathBuf,
    /// Every module of the layer, each with the domain that moves it.
    children: Vec<(String, Option<usize>)>,
    /// Whether it may go once the layer is empty: it holds nothing, or only
    /// imports that nothing imports through it, in an application.
    removable: bool,
}

/// What `domain-layout` decided for the project.
#[derive(Debug, Default)]
pub struct LayoutPlan {
    pub domains: Vec<DomainMove>,
    /// Each moved module, by its old name: the domain that moves it.
    moved: HashMap<String, usize>,
    layers: Vec<LayerInit>,
    /// Modules that stay, each with why, for `check`.
    pub stays: BTreeMap<String, String>,
    /// Modules (and packages) that exist before the run, or will after it.
    known: BTreeSet<String>,
    /// Each moved file, by its old path: the moved files its module imports
    /// when it runs, which are written at their new places before it.
    requires: HashMap<PathBuf, (String, Vec<String>)>,
    /// Each layer whose `__init__.py` stops re-exporting what moved: the
    /// names it did, each with the module it now comes from and its name
    /// there.
    facades: HashMap<String, BTreeMap<String, (String, String)>>,
    /// Models layers whose `__init__.py` registered every model: what
    /// `check` says of each.
    pub registrations: BTreeMap<String, String>,
    /// The changes, in the order they are made ([`LayoutPlan::settle`]).
    ordered: Vec<FileChange>,
    /// The new modules of the domains that still move.
    active_new: std::collections::HashSet<String>,
    /// The layers whose `__init__.py` goes.
    removed: BTreeSet<String>,
}

pub fn plan(context: &PlanContext) -> Box<dyn Plan> {
    let default = LayoutOptions::default();
    let options = context.settings.get::<LayoutOptions>().unwrap_or(&default);
    Box::new(LayoutPlan::new(context, options))
}

impl LayoutPlan {
    fn new(context: &PlanContext, options: &LayoutOptions) -> LayoutPlan {
        let index = context.index;
        let mut plan = LayoutPlan::default();
        for module in index.modules() {
            know_with_packages(&mut plan.known, &module.name);
        }
        // A package that holds a `router` beside another module a domain
        // owns is a domain (one this transform made, or written so): the
        // packages in it are its own, not layers.
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for module in index.modules() {
            if let Some((parent, child)) = module.name.rsplit_once('.') {
                children.entry(parent).or_default().push(child);
            }
        }
        let is_domain = |package: &str| {
            children.get(package).is_some_and(|names| {
                names.contains(&"router")
                    && names
                        .iter()
                        .any(|name| *name != "router" && ROLE_FILES.contains(name))
            })
        };
        // The layers' members, grouped by app (the package above the
        // layers) and by key.
        let mut apps: BTreeMap<String, Vec<(String, Member)>> = BTreeMap::new();
        let layer_of = |name: &str| -> Option<Role> {
            let (parent, last) = name.rsplit_once('.').unwrap_or(("", name));
            Role::of_layer(last).filter(|_| !is_domain(parent))
        };
        for module in index.modules() {
            if is_test_module(&module.name) {
                continue;
            }
            let Some((parent, stem)) = module.name.rsplit_once('.') else {
                continue;
            };
            let Some(role) = layer_of(parent) else {
                continue;
            };
            // A package inside a layer is a domain split out, unless it is
            // a layer itself or a version.
            if module.is_package && (layer_of(&module.name).is_some() || is_version(stem)) {
                continue;
            }
            if SHARED.contains(&stem) || stem.starts_with('_') {
                continue;
            }
            let (key, name) = normalise(stem);
            if key.is_empty() || !is_identifier(&name) || SHARED.contains(&name.as_str()) {
                continue;
            }
            let routes = module_has_routes(module)
                || module.is_package
                    && index
                        .modules()
                        .filter(|inner| inner.name.starts_with(&format!("{}.", module.name)))
                        .any(module_has_routes);
            let app = app_of(parent);
            apps.entry(app.clone()).or_default().push((
                key,
                Member {
                    role,
                    module: module.name.clone(),
                    is_package: module.is_package,
                    name,
                    routes,
                },
            ));
        }
        let library = options.library;
        for (app, members) in apps {
            let mut by_key: BTreeMap<&str, Vec<&Member>> = BTreeMap::new();
            for (key, member) in &members {
                by_key.entry(key.as_str()).or_default().push(member);
            }
            for (key, found) in by_key {
                plan.add_domain(context, &app, key, &found);
            }
        }
        plan.find_layers(context, library);
        plan.settle();
        plan
    }

    /// Plans one domain of `app`: its members, by role.
    fn add_domain(&mut self, context: &PlanContext, app: &str, key: &str, found: &[&Member]) {
        let roles: BTreeSet<Role> = found.iter().map(|member| member.role).collect();
        let routed = found
            .iter()
            .any(|member| member.role == Role::Router && member.routes);
        // A run over part of the project would leave the files outside it
        // importing what moved.
        if !context.whole_project && (roles.len() >= 2 || routed) {
            for member in found {
                self.stays.insert(
                    member.module.clone(),
                    "stays: the run holds part of the project; run `domain-layout` on the project's directory, so that every import follows".to_string(),
                );
            }
            return;
        }
        // A domain package a stopped run began (it holds the new place of
        // one of these modules): the move goes on there, whatever is left.
        let index = context.index;
        let begun = index
            .modules()
            .filter(|module| module.is_package)
            .filter_map(|module| {
                let (parent, name) = module.name.rsplit_once('.').unwrap_or(("", &module.name));
                (parent == app && normalise(name).0 == key).then_some((module, name))
            })
            .find(|(package, _)| {
                found.iter().any(|member| {
                    let new = format!("{}.{}", package.name, member.role.file());
                    match (index.module(&new), index.module(&member.module)) {
                        (Some(there), Some(here)) => same_definitions(here, there),
                        _ => false,
                    }
                })
            })
            .map(|(_, name)| name.to_string());
        // A module of its own, with no routes, is not a domain (a lone
        // `schemas/token.py`); a module in two layers is.
        if roles.len() < 2 && !routed && begun.is_none() {
            return;
        }
        let name = begun.unwrap_or_else(|| {
            found
                .iter()
                .find(|member| member.role == Role::Router)
                .or_else(|| found.iter().min_by_key(|member| member.role))
                .map(|member| member.name.clone())
                .unwrap_or_else(|| key.to_string())
        });
        let package = join(app, &name);
        let stay = |plan: &mut LayoutPlan, why: String| {
            for member in found {
                plan.stays.insert(member.module.clone(), why.clone());
            }
        };
        if roles.len() < found.len() {
            // The modules of one role that would land in one file.
            let mut twins: Vec<&str> = found
                .iter()
                .filter(|member| {
                    found
                        .iter()
                        .filter(|other| other.role == member.role)
                        .count()
                        > 1
                })
                .map(|member| member.module.as_str())
                .collect();
            twins.sort_unstable();
            stay(
                self,
                format!(
                    "stays: modules of one kind would become one module of `{package}`: {}",
                    twins
                        .iter()
                        .map(|module| format!("`{module}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            return;
        }
        if Role::of_layer(&name).is_some() {
            return;
        }
        // Where the package goes: beside the layers.
        let Some(app_directory) = found
            .iter()
            .find_map(|member| directory_of(context, app, &member.module, member.is_package))
        else {
            return;
        };
        let package_directory = app_directory.join(&name);
        let resumed_package = index
            .module(&package)
            .is_some_and(|module| module.is_package);
        if index
            .module(&package)
            .is_some_and(|module| !module.is_package)
        {
            stay(self, format!("stays: `{package}` is a module already"));
            return;
        }
        // A package that binds a name the move would make a submodule of
        // (`router = …` in `app/users/__init__.py`) would shadow it.
        if let Some(bound) = index.module(&package).and_then(|existing| {
            found
                .iter()
                .map(|member| member.role.file())
                .find(|file| existing.bound_names.contains(*file))
        }) {
            stay(
                self,
                format!(
                    "stays: `{package}` binds `{bound}` already, which `{package}.{bound}` would be"
                ),
            );
            return;
        }
        let root = context.root.unwrap_or(Path::new(""));
        let journal: BTreeSet<String> = (context.read)(&root.join(MOVE_JOURNAL))
            .map(|text| text.lines().map(str::to_string).collect())
            .unwrap_or_default();
        let mut modules: BTreeMap<String, String> = BTreeMap::new();
        let mut changes: Vec<FileChange> = Vec::new();
        for member in found {
            let target = join(&package, member.role.file());
            let moving: Vec<&ModuleSummary> = if member.is_package {
                let inner = format!("{}.", member.module);
                index
                    .modules()
                    .filter(|module| {
                        module.name == member.module || module.name.starts_with(&inner)
                    })
                    .collect()
            } else {
                index.module(&member.module).into_iter().collect()
            };
            for module in moving {
                let rest = &module.name[member.module.len()..];
                let new_name = format!("{target}{rest}");
                let Some(from) = context.paths.get(&module.name) else {
                    continue;
                };
                let mut to = package_directory.join(member.role.file());
                for part in rest.split('.').filter(|part| !part.is_empty()) {
                    to.push(part);
                }
                if module.is_package {
                    to.push("__init__.py");
                } else {
                    to.set_extension("py");
                }
                let begun = context
                    .paths
                    .get(&new_name)
                    .is_some_and(|written| journal.contains(&journal_entry(root, from, written)));
                match index.module(&new_name) {
                    // A stopped run wrote the new place (its journal says
                    // so): the old one goes.
                    Some(there) if begun && same_definitions(module, there) => {
                        changes.push(FileChange::Remove { path: from.clone() });
                    }
                    Some(_) => {
                        stay(
                            self,
                            format!("stays: `{new_name}` exists already and is not overwritten"),
                        );
                        return;
                    }
                    None => {
                        self.requires.insert(
                            from.clone(),
                            (
                                module.name.clone(),
                                module
                                    .imported_modules
                                    .iter()
                                    .map(ToString::to_string)
                                    .collect(),
                            ),
                        );
                        changes.push(FileChange::Move {
                            from: from.clone(),
                            to,
                            contents: None,
                        });
                    }
                }
                modules.insert(module.name.clone(), new_name);
            }
            // A package moves with the files beside its modules (templates,
            // prompts, data its code finds next to `__file__`).
            if member.is_package
                && let Some(directory) = context
                    .paths
                    .get(&member.module)
                    .and_then(|path| path.parent())
            {
                let modules_here: BTreeSet<&PathBuf> = context.paths.values().collect();
                for data in (context.list)(directory) {
                    if modules_here.contains(&data)
                        || data.extension().is_some_and(|extension| extension == "pyc")
                    {
                        continue;
                    }
                    let Ok(rest) = data.strip_prefix(directory) else {
                        continue;
                    };
                    if (context.read)(&data).is_none() {
                        stay(
                            self,
                            format!(
                                "stays: `{}` beside its modules is not a text file, and is not moved",
                                data.display()
                            ),
                        );
                        return;
                    }
                    changes.push(FileChange::Move {
                        from: data.clone(),
                        to: package_directory.join(member.role.file()).join(rest),
                        contents: None,
                    });
                }
            }
        }
        // The new package gets an `__init__.py` when the layers have them.
        let layers_are_packages = found.iter().all(|member| {
            member
                .module
                .rsplit_once('.')
                .is_some_and(|(layer, _)| index.module(layer).is_some_and(|m| m.is_package))
        });
        if layers_are_packages && !resumed_package {
            changes.insert(
                0,
                FileChange::Create {
                    path: package_directory.join("__init__.py"),
                    contents: String::new(),
                    module: Some(package.clone()),
                },
            );
        }
        let number = self.domains.len();
        for old in modules.keys() {
            self.moved.insert(old.clone(), number);
        }
        for new in modules.values() {
            know_with_packages(&mut self.known, new);
        }
        self.domains.push(DomainMove {
            name,
            package,
            modules,
            changes,
            active: true,
        });
    }

    /// The layers' own `__init__.py` modules, and whether each may go once
    /// its layer is empty.
    fn find_layers(&mut self, context: &PlanContext, library: bool) {
        let index = context.index;
        let mut layers: BTreeSet<&str> = BTreeSet::new();
        for old in self.moved.keys() {
            let domain = &self.domains[self.moved[old]];
            // The layer is the parent of the module that heads the move.
            if let Some((layer, _)) = old.rsplit_once('.')
                && !domain.modules.contains_key(layer)
            {
                layers.insert(layer);
            }
        }
        let layers: Vec<String> = layers.into_iter().map(str::to_string).collect();
        for layer in layers {
            let Some(module) = index.module(&layer).filter(|module| module.is_package) else {
                continue;
            };
            let Some(path) = context.paths.get(&layer) else {
                continue;
            };
            let inner = format!("{layer}.");
            // Every module of the layer, those that could not be read or
            // parsed too (they stay, and so does the layer).
            let mut children: Vec<(String, Option<usize>)> = context
                .paths
                .keys()
                .filter(|child| child.starts_with(&inner))
                .map(|child| (child.clone(), self.moved.get(child).copied()))
                .collect();
            children.sort();
            let holds_nothing = module.bound_names.is_empty() && module.imports.is_empty();
            // The names it re-exports from modules that move.
            let facade: BTreeMap<String, (String, String)> = module
                .imports
                .iter()
                .filter(|(name, _)| module.module_level_imports.contains(name.as_str()))
                .filter_map(|(name, target)| {
                    let new = self.new_name(&index.canonical(target))?;
                    let (new_module, original) = new.rsplit_once('.')?;
                    Some((
                        name.to_string(),
                        (new_module.to_string(), original.to_string()),
                    ))
                })
                .collect();
            // Imported for its side effects (`import app.models` to
            // register every model) by a module outside it.
            let outside =
                |other: &&ModuleSummary| other.name != layer && !other.name.starts_with(&inner);
            let for_effects = index.modules().filter(outside).any(|other| {
                let below = other
                    .imports
                    .values()
                    .any(|target| target == &layer || target.starts_with(inner.as_str()));
                !below
                    && other
                        .imported_modules
                        .iter()
                        .any(|imported| imported.as_str() == layer)
            });
            // An application's layer stops re-exporting what moved, once every
            // use in the project reaches it at its new place: a domain
            // module that imports from the layer (its `base.py`) would
            // otherwise import itself through the layer's `__init__.py`.
            // A models layer whose `__init__.py` imports its models made
            // importing any one of them register them all (SQLAlchemy then
            // finds `relationship("Item")` by name). After the move nothing
            // imports it by itself: it is kept, re-exporting from the new
            // places, and `check` says to import it where every model must
            // be loaded; unless a moved model imports from inside the layer
            // (its `base.py`), which would then import itself through it.
            let registers = layer.rsplit('.').next().and_then(Role::of_layer) == Some(Role::Models)
                && facade
                    .values()
                    .map(|(module, _)| module)
                    .collect::<BTreeSet<_>>()
                    .len()
                    >= 2;
            let imports_the_layer = children.iter().any(|(child, domain)| {
                domain.is_some()
                    && index.module(child).is_some_and(|moved| {
                        moved.imported_modules.iter().any(|imported| {
                            imported.starts_with(inner.as_str())
                                && !self.moved.contains_key(imported.as_str())
                                && index.module(imported).is_some()
                        })
                    })
            });
            let keeps_registering = registers && !imports_the_layer;
            if registers {
                self.registrations.insert(
                    layer.clone(),
                    if keeps_registering {
                        format!(
                            "imported every model whenever one of `{layer}`'s modules was imported; after the move nothing imports it by itself: import `{layer}` where every model must be loaded (Alembic's `env.py`, scripts that use one model)"
                        )
                    } else {
                        format!(
                            "imported every model whenever one of `{layer}`'s modules was imported; the moved models import from the layer, so it stops: import every domain's `models` where every model must be loaded (Alembic's `env.py`, scripts that use one model)"
                        )
                    },
                );
            }
            let strips = !library
                && !facade.is_empty()
                && !for_effects
                && !keeps_registering
                && !module.bound_names.contains("__all__");
            let left = module
                .bound_names
                .iter()
                .filter(|name| !strips || !facade.contains_key(name.as_str()))
                .count();
            // Bound to a name (`from app import models`, not the top name
            // `import models.user` binds), it stays: the name may be used
            // as an object (`getattr(models, …)`), which no rewrite sees.
            // Code of its own (a call that registers something) keeps it.
            let top = layer.split('.').next().unwrap_or(&layer);
            let as_package = index.modules().filter(outside).any(|other| {
                other.imports.iter().any(|(local, target)| {
                    target.as_str() == layer
                        && !(local.as_str() == top
                            && other.imported_modules.iter().any(|imported| {
                                imported.starts_with(inner.as_str())
                                    && self.moved.contains_key(imported.as_str())
                            }))
                })
            });
            let removable = !library
                && !as_package
                && !for_effects
                && (holds_nothing || left == 0 && module.called.is_empty());
            if strips {
                self.facades.insert(layer.clone(), facade);
            }
            self.layers.push(LayerInit {
                module: layer,
                path: path.clone(),
                children,
                removable,
            });
        }
    }

    /// The module `module` becomes (itself, or one inside it), when it moves.
    pub fn new_name(&self, module: &str) -> Option<String> {
        let mut end = module.len();
        loop {
            let head = &module[..end];
            if let Some(&number) = self.moved.get(head) {
                let domain = &self.domains[number];
                if domain.active {
                    let new = &domain.modules[head];
                    return Some(format!("{new}{}", &module[end..]));
                }
                return None;
            }
            end = head.rfind('.')?;
        }
    }

    /// Whether `module` is a module that moves (not a name in one).
    pub fn moves_module(&self, module: &str) -> bool {
        self.moved
            .get(module)
            .is_some_and(|&number| self.domains[number].active)
    }

    /// Whether a module exists before the run, or will after it: a
    /// relative import that names one is understood where the file is.
    pub fn is_known(&self, module: &str) -> bool {
        self.known.contains(module)
    }

    /// The layers' `__init__.py` modules that go, emptied by the moves.
    fn removed_layers(&self) -> Vec<&LayerInit> {
        self.layers
            .iter()
            .filter(|layer| {
                layer.removable
                    && layer
                        .children
                        .iter()
                        .all(|(_, domain)| domain.is_some_and(|domain| self.domains[domain].active))
            })
            .collect()
    }

    /// Whether the run moves anything.
    pub fn moves_anything(&self) -> bool {
        self.domains.iter().any(|domain| domain.active)
    }

    /// The path a moved module's file goes to, for messages.
    pub fn destination(&self, module: &str) -> Option<&Path> {
        let &number = self.moved.get(module)?;
        let domain = self.domains.get(number).filter(|domain| domain.active)?;
        let new = domain.modules.get(module)?;
        domain.changes.iter().find_map(|change| match change {
            FileChange::Move { to, .. } if path_names(to, new) => Some(to.as_path()),
            _ => None,
        })
    }
}

/// Whether `path` is the file of module `module` (`users/router.py` for
/// `app.users.router`).
fn path_names(path: &Path, module: &str) -> bool {
    let last = module.rsplit('.').next().unwrap_or(module);
    path.file_stem().is_some_and(|stem| stem == last)
        || path.file_name().is_some_and(|name| name == "__init__.py")
            && path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|name| name == last)
}

impl Plan for LayoutPlan {
    fn concerns(&self, file: &PlanFile) -> bool {
        // What stays is reported.
        if file
            .summary
            .is_some_and(|summary| self.stays.contains_key(&summary.name))
        {
            return true;
        }
        if !self.moves_anything() {
            return false;
        }
        // A file outside the packages (Alembic's `env.py`) is read whole.
        let Some(summary) = file.summary else {
            return true;
        };
        // One that moves, or names a module that does (or a layer whose
        // re-exports stop), in an import, a patch target or a string.
        let names = |module: &str| {
            self.new_name(module).is_some()
                || self.facades.contains_key(module)
                || self.registrations.contains_key(module)
        };
        names(&summary.name)
            || self.removes(&summary.name)
            || summary.imported_modules.iter().any(|module| names(module))
            || summary.imports.values().any(|module| names(module))
            || summary.patched.iter().any(|module| names(module))
            || summary.module_strings.iter().any(|module| names(module))
    }

    fn promises(&self) -> Vec<Promise> {
        self.file_changes()
            .into_iter()
            .filter(|change| !matches!(change, FileChange::Create { .. }))
            .map(|change| Promise::Writes {
                path: change.path().clone(),
            })
            .collect()
    }

    fn withdraw(&mut self, broken: &[Promise]) {
        for domain in &mut self.domains {
            let breaks = domain.changes.iter().any(|change| {
                broken.iter().any(
                    |promise| matches!(promise, Promise::Writes { path } if path == change.path()),
                )
            });
            if breaks {
                domain.active = false;
            }
        }
        self.settle();
    }

    fn file_changes(&self) -> Vec<FileChange> {
        self.ordered.clone()
    }
}

impl LayoutPlan {
    /// The changes in the order they are made (see the comment inside).
    fn order_changes(&self) -> Vec<FileChange> {
        let all: Vec<FileChange> = self
            .domains
            .iter()
            .filter(|domain| domain.active)
            .flat_map(|domain| domain.changes.iter().cloned())
            .collect();
        // New packages first, then each moved module after the moved
        // modules it imports (a cycle in the order found), then removals:
        // a run stopped between two writes leaves every written module's
        // imports resolving. Old places are removed in the reverse order,
        // emptied layers' `__init__.py` first (they import the old places).
        let mut changes: Vec<FileChange> = all
            .iter()
            .filter(|change| matches!(change, FileChange::Create { .. }))
            .cloned()
            .collect();
        let moves: Vec<&FileChange> = all
            .iter()
            .filter(|change| matches!(change, FileChange::Move { .. }))
            .collect();
        // Each move's new module, and the new modules its text will import:
        // those it imports that move, and those behind a layer's re-exports
        // it reaches them through (`from app import crud`).
        let modules: Vec<Option<(String, Vec<String>)>> = moves
            .iter()
            .map(|change| {
                let (module, imports) = self.requires.get(change.removes()?)?;
                let new = self.new_name(module)?;
                let mut needs: Vec<String> = Vec::new();
                for imported in imports {
                    if let Some(moved) = self.new_name(imported) {
                        needs.push(moved);
                    }
                    if let Some(facade) = self.facades.get(imported) {
                        needs.extend(facade.values().map(|(module, _)| module.clone()));
                    }
                }
                Some((new, needs))
            })
            .collect();
        // Each move's moves to wait for, by position; then Kahn's order,
        // ready moves in the order found, a cycle broken at its first.
        let position: HashMap<&str, usize> = modules
            .iter()
            .enumerate()
            .filter_map(|(at, module)| Some((module.as_ref()?.0.as_str(), at)))
            .collect();
        let waits_for: Vec<Vec<usize>> = modules
            .iter()
            .enumerate()
            .map(|(at, module)| {
                let Some((_, needs)) = module else {
                    return Vec::new();
                };
                let mut found: Vec<usize> = needs
                    .iter()
                    .filter_map(|needed| {
                        // The module itself, or the one a name lies in.
                        let mut end = needed.len();
                        loop {
                            if let Some(&other) = position.get(&needed[..end]) {
                                return Some(other);
                            }
                            end = needed[..end].rfind('.')?;
                        }
                    })
                    .filter(|&other| other != at)
                    .collect();
                found.sort_unstable();
                found.dedup();
                found
            })
            .collect();
        let mut written: Vec<bool> = vec![false; moves.len()];
        let mut left = moves.len();
        while left > 0 {
            let ready: Vec<usize> = (0..moves.len())
                .filter(|&at| !written[at] && waits_for[at].iter().all(|&other| written[other]))
                .collect();
            let ready = if ready.is_empty() {
                vec![(0..moves.len()).find(|&at| !written[at]).unwrap_or(0)]
            } else {
                ready
            };
            for at in ready {
                written[at] = true;
                left -= 1;
                changes.push(moves[at].clone());
            }
        }
        changes.extend(
            all.iter()
                .filter(|change| matches!(change, FileChange::Remove { .. }))
                .cloned(),
        );
        changes.extend(
            self.removed_layers()
                .into_iter()
                .map(|layer| FileChange::Remove {
                    path: layer.path.clone(),
                }),
        );
        changes
    }

    /// Computes what the domains that still move make: the ordered
    /// changes, the new modules, the layers removed. Once made, and again
    /// after a withdrawal.
    fn settle(&mut self) {
        self.active_new = self
            .domains
            .iter()
            .filter(|domain| domain.active)
            .flat_map(|domain| domain.modules.values().cloned())
            .collect();
        self.removed = self
            .removed_layers()
            .iter()
            .map(|layer| layer.module.clone())
            .collect();
        self.ordered = self.order_changes();
    }

    /// A name a layer package re-exported from a module that moves, which
    /// the project now imports from there: its module and its name there.
    pub fn re_exported(&self, layer: &str, name: &str) -> Option<(&str, &str)> {
        let (module, original) = self.facades.get(layer)?.get(name)?;
        self.is_active(module)
            .then_some((module.as_str(), original.as_str()))
    }

    /// The names `layer`'s `__init__.py` stops re-exporting.
    pub fn stops_re_exporting(&self, layer: &str) -> Vec<&str> {
        self.facades.get(layer).map_or_else(Vec::new, |names| {
            names
                .iter()
                .filter(|(_, (module, _))| self.is_active(module))
                .map(|(name, _)| name.as_str())
                .collect()
        })
    }

    /// Whether the domain that makes new module `module` still moves.
    fn is_active(&self, module: &str) -> bool {
        self.active_new.contains(module)
    }

    /// Whether a layer's `__init__.py` goes: its module's text is then no
    /// importer's concern.
    pub fn removes(&self, module: &str) -> bool {
        self.removed.contains(module)
    }
}

/// Records a module and every package above it.
fn know_with_packages(known: &mut BTreeSet<String>, module: &str) {
    for (at, _) in module.match_indices('.') {
        known.insert(module[..at].to_string());
    }
    known.insert(module.to_string());
}

/// Whether a module declares routes or routers.
fn module_has_routes(module: &ModuleSummary) -> bool {
    !module.routers.is_empty() || !module.routing.routes.is_empty()
}

/// The package that holds a layer's domains: the layer's parent, above
/// the packages that only group layers or versions (`app` for
/// `app.api.api_v1.endpoints`, `app.models.schemas` and `app.db.models`),
/// but never above the top package. Layers of different apps (a sub-app
/// `polar.customer_portal` with its own `endpoints/` and `schemas/`, beside
/// `polar.models`) are never matched with each other.
fn app_of(layer: &str) -> String {
    let mut parts: Vec<&str> = layer.split('.').collect();
    parts.pop();
    while parts.len() > 1 {
        let last = parts[parts.len() - 1];
        let groups_layers = Role::of_layer(last).is_some()
            || is_version(last)
            || ["db", "database", "orm", "persistence"].contains(&last);
        if !groups_layers {
            break;
        }
        parts.pop();
    }
    parts.join(".")
}

fn join(package: &str, name: &str) -> String {
    if package.is_empty() {
        name.to_string()
    } else {
        format!("{package}.{name}")
    }
}

/// The directory of package `app`, found from a member's file.
fn directory_of(
    context: &PlanContext,
    app: &str,
    module: &str,
    is_package: bool,
) -> Option<PathBuf> {
    let path = context.paths.get(module)?;
    let mut directory = path.parent()?.to_path_buf();
    if is_package {
        directory = directory.parent()?.to_path_buf();
    }
    // `directory` holds `module`'s layer; climb to `app`.
    let layer_depth = module.split('.').count() - 1;
    let app_depth = if app.is_empty() {
        0
    } else {
        app.split('.').count()
    };
    for _ in app_depth..layer_depth {
        directory = directory.parent()?.to_path_buf();
    }
    Some(directory)
}

/// Whether two modules define the same names: the new place of a move that
/// a stopped run wrote.
fn same_definitions(old: &ModuleSummary, new: &ModuleSummary) -> bool {
    let defined = |module: &ModuleSummary| -> BTreeSet<String> {
        module
            .bound_names
            .iter()
            .filter(|name| !module.imports.contains_key(name.as_str()))
            .map(ToString::to_string)
            .collect()
    };
    defined(old) == defined(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_matched_across_spellings() {
        for (stem, key, name) in [
            ("users", "user", "users"),
            ("user", "user", "user"),
            ("crud_user", "user", "user"),
            ("user_service", "user", "user"),
            ("categories", "category", "categories"),
            ("addresses", "address", "addresses"),
            ("item_schemas", "item", "item"),
            ("status", "status", "status"),
        ] {
            assert_eq!(
                normalise(stem),
                (key.to_string(), name.to_string()),
                "{stem}"
            );
        }
        assert!(is_version("v1") && is_version("api_v2") && !is_version("vendors"));
    }

    #[test]
    fn the_app_is_the_package_above_the_layers() {
        for (layer, app) in [
            ("app.api.api_v1.endpoints", "app"),
            ("app.crud", "app"),
            ("app.models.schemas", "app"),
            ("app.db.models", "app"),
            ("src.app.routers", "src.app"),
            ("routers", ""),
            ("api.routers", "api"),
            ("polar.customer_portal.endpoints", "polar.customer_portal"),
        ] {
            assert_eq!(app_of(layer), app, "{layer}");
        }
    }
}
