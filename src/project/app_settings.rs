//! The application's settings, seen across the project: which classes are
//! `BaseSettings` (directly or through project bases, also split across
//! modules), which one the app reads (the one it builds), how code reaches
//! it (a module-level instance, `settings = Settings()`, or a factory,
//! `get_settings()`), which Pydantic the project writes, and where a
//! settings class goes when there is none (the config module: `config.py`,
//! `core/config.py` or `settings.py`, found or created beside the app).

use std::path::PathBuf;

use crate::project::index::{ClassSummary, ProjectIndex};
use crate::python::app_settings::{ConfigPlace, PydanticMajor, settings_base};

/// How deep base classes are followed.
const MAX_DEPTH: usize = 16;

/// A `BaseSettings` class of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsClass {
    pub module: String,
    pub name: String,
    pub major: PydanticMajor,
    /// The dotenv files it reads, from its configuration or its bases'
    /// (the nearest that names any).
    pub env_files: Option<Vec<String>>,
    /// Whether some configuration sets `env_file` to what is not a literal.
    pub env_file_unknown: bool,
    /// The prefix of the variables it reads (`""` without one).
    pub env_prefix: String,
    /// Whether variables are matched to fields with their case.
    pub case_sensitive: bool,
    /// Whether dotenv keys that are not its fields stop it (Pydantic 2's
    /// default, `extra="forbid"`).
    pub forbids_extra: bool,
    /// Where its own configuration is written, if it has one.
    pub config_place: Option<ConfigPlace>,
    /// Its fields and its bases', lowercased.
    pub fields: Vec<String>,
    /// The same, as written.
    pub fields_as_written: Vec<String>,
    /// Its project ancestors, qualified, itself first.
    pub chain: Vec<String>,
}

impl SettingsClass {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }

    /// The variable a field is read from: upper case, unless the class
    /// matches case (pydantic-settings matches names without case by
    /// default).
    pub fn variable(&self, field: &str) -> String {
        let variable = format!("{}{}", self.env_prefix, field);
        if self.case_sensitive {
            variable
        } else {
            variable.to_uppercase()
        }
    }

    /// The name a new field for `variable_name` takes, in the class's own
    /// style: `SECRET_KEY` among upper-case fields, else `secret_key`.
    pub fn field_name(&self, name: &str) -> String {
        let upper_fields = self
            .fields_as_written
            .iter()
            .filter(|field| !field.chars().any(char::is_lowercase))
            .count();
        let upper = upper_fields * 2 > self.fields_as_written.len();
        if upper {
            name.to_uppercase()
        } else {
            name.to_lowercase()
        }
    }

    pub fn has_field(&self, field: &str) -> bool {
        self.fields
            .iter()
            .any(|known| known.eq_ignore_ascii_case(field))
    }
}

/// How code reaches the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accessor {
    /// A module-level instance: `settings.secret_key`.
    Instance { module: String, name: String },
    /// A factory: `get_settings().secret_key`. `exists` is false for one
    /// a transform writes after the class.
    Factory {
        module: String,
        name: String,
        exists: bool,
    },
}

impl Accessor {
    pub fn module(&self) -> &str {
        match self {
            Accessor::Instance { module, .. } | Accessor::Factory { module, .. } => module,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Accessor::Instance { name, .. } | Accessor::Factory { name, .. } => name,
        }
    }

    /// What a factory still to write promises: its module defines it.
    pub fn new_factory_promise(&self) -> Option<crate::project::plan::Promise> {
        match self {
            Accessor::Factory {
                module,
                name,
                exists: false,
            } => Some(crate::project::plan::Promise::Defines {
                module: module.clone(),
                name: name.clone(),
            }),
            _ => None,
        }
    }

    /// The expression that gives the settings, from the name bound to the
    /// accessor.
    pub fn expression(&self, reference: &str) -> String {
        match self {
            Accessor::Instance { .. } => reference.to_string(),
            Accessor::Factory { .. } => format!("{reference}()"),
        }
    }
}

/// Where a settings class goes when the project has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigModule {
    /// A config module of the project (`app/core/config.py`).
    Existing(String),
    /// One to create beside the app (`app/config.py`).
    New { module: String, path: PathBuf },
}

impl ConfigModule {
    pub fn module(&self) -> &str {
        match self {
            ConfigModule::Existing(module) | ConfigModule::New { module, .. } => module,
        }
    }
}

/// Where new settings fields go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsTarget {
    /// The project's settings class.
    Class(SettingsClass),
    /// A new `Settings` written in the config module.
    New(ConfigModule),
}

impl SettingsTarget {
    pub fn module(&self) -> &str {
        match self {
            SettingsTarget::Class(class) => &class.module,
            SettingsTarget::New(config) => config.module(),
        }
    }
}

/// The project's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSettings {
    /// Every settings class of the project.
    pub classes: Vec<SettingsClass>,
    /// The class the app reads, when the project has one.
    pub class: Option<SettingsClass>,
    /// How code reaches it, when something builds it already.
    pub accessor: Option<Accessor>,
    /// The Pydantic the project writes (2 when nothing tells).
    pub major: PydanticMajor,
    /// The Pydantic its code tells, when it does.
    pub code_major: Option<PydanticMajor>,
    /// Without a settings class: where one goes.
    pub config_module: Option<ConfigModule>,
}

/// Names of the factory a transform writes when there is none.
pub const FACTORY_NAME: &str = "get_settings";
/// The class a transform writes when there is none.
pub const CLASS_NAME: &str = "Settings";

/// Whether a module is a test's, a migration's, or documentation's
/// (`examples/`, `docs_src/`): their values are not the app's settings.
pub fn is_outside_the_app(module: &str) -> bool {
    module.split('.').any(|part| {
        matches!(
            part,
            "tests"
                | "test"
                | "testing"
                | "conftest"
                | "migrations"
                | "alembic"
                | "versions"
                | "examples"
                | "docs"
                | "docs_src"
        ) || part.starts_with("test_")
            || part.ends_with("_test")
            || part.ends_with("_tests")
    })
}

/// Whether a module's name says it is the configuration's.
fn is_config_name(module: &str) -> bool {
    let last = module.rsplit('.').next().unwrap_or(module);
    matches!(last, "config" | "settings" | "conf" | "configuration")
}

/// `qualified` as a settings class, when it derives from `BaseSettings`.
pub fn settings_class(index: &ProjectIndex, qualified: &str) -> Option<SettingsClass> {
    let (module, class) = index.class(&index.canonical(qualified))?;
    // The class and its project ancestors, nearest first.
    let mut chain: Vec<&ClassSummary> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut queue: Vec<(String, usize)> = vec![(index.canonical(qualified), 0)];
    let mut major = None;
    let mut position = 0;
    while position < queue.len() {
        let (name, depth) = queue[position].clone();
        position += 1;
        if depth > MAX_DEPTH {
            continue;
        }
        let Some((_, ancestor)) = index.class(&name) else {
            continue;
        };
        if chain.iter().any(|seen| std::ptr::eq(*seen, ancestor)) {
            continue;
        }
        chain.push(ancestor);
        names.push(name.clone());
        for base in &ancestor.bases {
            if let Some(found) = settings_base(base) {
                major.get_or_insert(found);
            } else {
                queue.push((index.canonical(base), depth + 1));
            }
        }
    }
    let major = major?;
    let config = |pick: &dyn Fn(&ClassSummary) -> bool| chain.iter().copied().find(|c| pick(c));
    let with_files = config(&|class| class.settings_config.env_files.is_some());
    let with_prefix = config(&|class| class.settings_config.env_prefix.is_some());
    let with_case = config(&|class| class.settings_config.case_sensitive.is_some());
    let with_extra = config(&|class| class.settings_config.extra.is_some());
    let mut fields: Vec<String> = Vec::new();
    let mut fields_as_written: Vec<String> = Vec::new();
    for ancestor in &chain {
        for (name, _, _) in &ancestor.fields {
            if name == "model_config" {
                continue;
            }
            let lower = name.to_lowercase().to_string();
            if !fields.contains(&lower) {
                fields.push(lower);
                fields_as_written.push(name.to_string());
            }
        }
    }
    let extra = with_extra.and_then(|class| class.settings_config.extra.clone());
    Some(SettingsClass {
        module: module.name.clone(),
        name: class.name.to_string(),
        major,
        env_files: with_files.and_then(|class| class.settings_config.env_files.clone()),
        env_file_unknown: chain
            .iter()
            .any(|class| class.settings_config.env_file_unknown),
        env_prefix: with_prefix
            .and_then(|class| class.settings_config.env_prefix.clone())
            .unwrap_or_default(),
        case_sensitive: with_case
            .and_then(|class| class.settings_config.case_sensitive)
            .unwrap_or(false),
        forbids_extra: major == PydanticMajor::V2
            && !matches!(extra.as_deref(), Some("ignore" | "allow")),
        config_place: class.settings_config.place,
        fields,
        fields_as_written,
        chain: names,
    })
}

/// Every settings class of the project, in module order. Found from the
/// classes that derive from `BaseSettings` itself, then those deriving
/// from a class found, until none is added: only bases named like a class
/// found are resolved, so the cost follows the project's classes once.
pub fn settings_classes(index: &ProjectIndex) -> Vec<SettingsClass> {
    let classes: Vec<(String, &ClassSummary)> = index
        .modules()
        .filter(|module| !is_outside_the_app(&module.name))
        .flat_map(|module| {
            module
                .class_summaries
                .iter()
                .filter(|class| !class.bases.is_empty())
                .map(move |class| (format!("{}.{}", module.name, class.name), class))
        })
        .collect();
    let mut known: rustc_hash::FxHashSet<String> = classes
        .iter()
        .filter(|(_, class)| class.bases.iter().any(|base| settings_base(base).is_some()))
        .map(|(qualified, _)| qualified.clone())
        .collect();
    loop {
        let names: rustc_hash::FxHashSet<&str> = known
            .iter()
            .map(|qualified| qualified.rsplit('.').next().unwrap_or(qualified))
            .collect();
        let added: Vec<String> = classes
            .iter()
            .filter(|(qualified, _)| !known.contains(qualified))
            .filter(|(_, class)| {
                class.bases.iter().any(|base| {
                    names.contains(base.rsplit('.').next().unwrap_or(base))
                        && known.contains(&index.canonical(base))
                })
            })
            .map(|(qualified, _)| qualified.clone())
            .collect();
        if added.is_empty() {
            break;
        }
        known.extend(added);
    }
    let mut found: Vec<SettingsClass> = known
        .iter()
        .filter_map(|qualified| settings_class(index, qualified))
        .collect();
    found.sort_by(|a, b| (&a.module, &a.name).cmp(&(&b.module, &b.name)));
    found
}

/// Whether the project builds the class (`Settings()` at module level, in a
/// factory or in a function).
pub fn is_built(index: &ProjectIndex, qualified: &str) -> bool {
    index.modules().any(|module| {
        module
            .instances
            .values()
            .chain(module.constructed.values())
            .chain(module.factories.iter().map(|factory| &factory.class))
            .chain(module.builds.iter().map(|build| &build.class))
            .any(|class| index.canonical(class) == qualified)
    })
}

/// The settings classes the project builds that are `class` or derive
/// from it: those that read a field `class` declares.
pub fn readers<'c>(
    classes: &'c [SettingsClass],
    index: &ProjectIndex,
    class: &SettingsClass,
) -> Vec<&'c SettingsClass> {
    let qualified = class.qualified();
    classes
        .iter()
        .filter(|candidate| {
            candidate.chain.contains(&qualified) && is_built(index, &candidate.qualified())
        })
        .collect()
}

impl AppSettings {
    /// The project's settings, from the index.
    pub fn of(
        index: &ProjectIndex,
        paths: &std::collections::HashMap<String, PathBuf>,
    ) -> AppSettings {
        let classes = settings_classes(index);
        let builds = |qualified: &str| is_built(index, qualified);
        let derives = |derived: &SettingsClass, base: &SettingsClass| {
            derived != base && derived.chain.contains(&base.qualified())
        };
        let built: Vec<&SettingsClass> = classes
            .iter()
            .filter(|class| builds(&class.qualified()))
            .collect();
        let candidates: Vec<&SettingsClass> = if built.is_empty() {
            classes.iter().collect()
        } else {
            built
        };
        let leaves: Vec<&SettingsClass> = candidates
            .iter()
            .copied()
            .filter(|class| !candidates.iter().any(|other| derives(other, class)))
            .collect();
        // Classes per environment (`TestConfig(Config)`, `ProductionConfig(Config)`)
        // share their base: that is the app's settings.
        let common = (leaves.len() > 1)
            .then(|| {
                leaves[0]
                    .chain
                    .iter()
                    .skip(1)
                    .find(|ancestor| leaves.iter().all(|leaf| leaf.chain.contains(ancestor)))
            })
            .flatten()
            .and_then(|ancestor| classes.iter().find(|class| class.qualified() == *ancestor));
        let class = common
            .or_else(|| {
                leaves.iter().copied().min_by_key(|class| {
                    (
                        !is_config_name(&class.module),
                        class.module.matches('.').count(),
                        class.module.clone(),
                        class.name.clone(),
                    )
                })
            })
            .cloned();
        let accessor = class.as_ref().and_then(|class| accessor(index, class));
        let major = class
            .as_ref()
            .map_or_else(|| project_major(index), |class| class.major);
        let code_major = class
            .as_ref()
            .map(|class| class.major)
            .or_else(|| code_major(index));
        let config_module = if class.is_none() {
            config_module(index, paths)
        } else {
            None
        };
        AppSettings {
            classes,
            class,
            accessor,
            major,
            code_major,
            config_module,
        }
    }

    /// Where new fields go: the class, or a new one in the config module.
    pub fn target(&self) -> Option<SettingsTarget> {
        match (&self.class, &self.config_module) {
            (Some(class), _) => Some(SettingsTarget::Class(class.clone())),
            (None, Some(config)) => Some(SettingsTarget::New(config.clone())),
            (None, None) => None,
        }
    }

    /// The module that holds (or will hold) the settings class.
    pub fn home(&self) -> Option<&str> {
        self.class
            .as_ref()
            .map(|class| class.module.as_str())
            .or_else(|| self.config_module.as_ref().map(ConfigModule::module))
    }

    /// How code reaches the settings once the run has written what it
    /// plans: the existing accessor, or a factory written after the class.
    pub fn accessor_or_new(&self) -> Option<Accessor> {
        self.accessor.clone().or_else(|| {
            Some(Accessor::Factory {
                module: self.home()?.to_string(),
                name: FACTORY_NAME.to_string(),
                exists: false,
            })
        })
    }
}

/// A module-level instance of the class (or of its factory), nearest the
/// class first; else a factory.
fn accessor(index: &ProjectIndex, class: &SettingsClass) -> Option<Accessor> {
    let qualified = class.qualified();
    let mut modules: Vec<&crate::project::index::ModuleSummary> = index
        .modules()
        .filter(|module| !is_outside_the_app(&module.name))
        .collect();
    modules.sort_by_key(|module| (module.name != class.module, module.name.clone()));
    // Factories: functions that build the class and take nothing, or that
    // take nothing and say they return it (`def get_app_settings() ->
    // AppSettings`, however they build it).
    let factories: Vec<(String, String, bool)> = modules
        .iter()
        .flat_map(|module| {
            let built = module.factories.iter().filter_map(|factory| {
                (index.canonical(&factory.class) == qualified).then(|| {
                    (
                        module.name.clone(),
                        factory.name.to_string(),
                        factory.cached,
                    )
                })
            });
            let annotated = module.functions.iter().filter_map(|function| {
                let returns = function.provides_qualified.as_deref()?;
                (function.parameters.is_empty()
                    && !function.is_async
                    && index.canonical(returns) == qualified
                    && !module
                        .factories
                        .iter()
                        .any(|factory| factory.name == function.name))
                .then(|| (module.name.clone(), function.name.to_string(), true))
            });
            built.chain(annotated).collect::<Vec<_>>()
        })
        .collect();
    let makes_settings = |made: &str| {
        let made = index.canonical(made);
        made == qualified
            || factories
                .iter()
                .any(|(module, name, _)| made == format!("{module}.{name}"))
    };
    // The class's own module first: an instance, then a factory.
    let own_factory = factories
        .iter()
        .find(|(module, _, _)| *module == class.module)
        .cloned();
    for module in &modules {
        if module.name != class.module
            && let Some((module, name, _)) = &own_factory
        {
            return Some(Accessor::Factory {
                module: module.clone(),
                name: name.clone(),
                exists: true,
            });
        }
        let mut names: Vec<&compact_str::CompactString> = module
            .constructed
            .iter()
            .filter(|(_, made)| makes_settings(made))
            .map(|(name, _)| name)
            .collect();
        names.sort();
        if let Some(name) = names.first() {
            return Some(Accessor::Instance {
                module: module.name.clone(),
                name: name.to_string(),
            });
        }
    }
    factories
        .into_iter()
        .next()
        .map(|(module, name, _)| Accessor::Factory {
            module,
            name,
            exists: true,
        })
}

/// The Pydantic the project's imports say it writes; 2 unless they say 1.
pub fn project_major(index: &ProjectIndex) -> PydanticMajor {
    code_major(index).unwrap_or(PydanticMajor::V2)
}

/// The Pydantic the project's imports say it writes, when they say.
pub fn code_major(index: &ProjectIndex) -> Option<PydanticMajor> {
    let mut v1 = false;
    for module in index.modules() {
        for imported in module.imports.values() {
            if imported.starts_with("pydantic_settings")
                || matches!(
                    imported.as_str(),
                    "pydantic.ConfigDict"
                        | "pydantic.field_validator"
                        | "pydantic.model_validator"
                        | "pydantic.computed_field"
                )
            {
                return Some(PydanticMajor::V2);
            }
            v1 |= matches!(
                imported.as_str(),
                "pydantic.BaseSettings" | "pydantic.validator" | "pydantic.root_validator"
            );
        }
    }
    v1.then_some(PydanticMajor::V1)
}

/// The config module a new settings class goes in: one the project has
/// (nearest the app), else `config.py` in the app's package.
fn config_module(
    index: &ProjectIndex,
    paths: &std::collections::HashMap<String, PathBuf>,
) -> Option<ConfigModule> {
    let mut apps: Vec<(&str, bool)> = index
        .modules()
        .filter(|module| module.makes_app && !is_outside_the_app(&module.name))
        .map(|module| (module.name.as_str(), module.is_package))
        .collect();
    if apps.is_empty() {
        apps = index
            .modules()
            .filter(|module| module.name.rsplit('.').next() == Some("main"))
            .map(|module| (module.name.as_str(), module.is_package))
            .collect();
    }
    apps.sort_by_key(|(name, _)| (name.matches('.').count(), *name));
    let app_package = apps.first().map(|(name, is_package)| {
        if *is_package {
            name.to_string()
        } else {
            name.rsplit_once('.')
                .map_or(String::new(), |(package, _)| package.to_string())
        }
    });
    let existing = index
        .modules()
        .filter(|module| is_config_name(&module.name) && !is_outside_the_app(&module.name))
        .map(|module| module.name.as_str())
        .filter(|name| {
            app_package.as_deref().is_none_or(|package| {
                package.is_empty() || name.starts_with(&format!("{package}."))
            })
        })
        .min_by_key(|name| {
            (
                !name.ends_with("config"),
                name.matches('.').count(),
                name.to_string(),
            )
        });
    if let Some(existing) = existing {
        return Some(ConfigModule::Existing(existing.to_string()));
    }
    let (app, _) = apps.first()?;
    let app_path = paths.get(*app)?;
    let package = app_package.unwrap_or_default();
    let module = if package.is_empty() {
        "config".to_string()
    } else {
        format!("{package}.config")
    };
    if index.module(&module).is_some() {
        return None;
    }
    Some(ConfigModule::New {
        module,
        path: app_path.parent()?.join("config.py"),
    })
}
