//! The plan of `dependency-aliases`: which aliases exist or will be
//! created, under which names and in which home modules. A pure function of
//! the index, so every file's run makes the same decisions; each new alias
//! is a promise that its home module defines it.

use rustc_hash::FxHashSet as HashSet;
use std::collections::BTreeMap;

use crate::project::index::{DependencyKey, ProjectIndex, UNINFORMATIVE_TYPES};
use crate::project::plan::{Plan, PlanContext, PlanFile, Promise};
use crate::project::transform::Settings;

/// `[tool.fastapi-codemod.dependency-aliases]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasOptions {
    /// How many uses make an alias worth creating (`min-uses`).
    pub min_uses: usize,
}

impl Default for AliasOptions {
    fn default() -> Self {
        AliasOptions { min_uses: 2 }
    }
}

/// Reads `min-uses`.
pub fn configure(table: &toml::Table, settings: &mut Settings) -> Result<(), String> {
    let mut options = AliasOptions::default();
    for (option, value) in table {
        match option.as_str() {
            "min-uses" => {
                let uses = value
                    .as_integer()
                    .filter(|uses| *uses >= 1)
                    .ok_or_else(|| format!("{option}: expected a whole number of at least 1"))?;
                options.min_uses = usize::try_from(uses).map_err(|error| error.to_string())?;
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    settings.set(options);
    Ok(())
}

/// The project step: uses still in `Depends`-as-default form count when
/// `annotated-params` runs too, since it converts them first.
pub fn plan(context: &PlanContext) -> Box<dyn Plan> {
    let default = AliasOptions::default();
    let options = context.settings.get::<AliasOptions>().unwrap_or(&default);
    let count_default_form = context.runs(crate::transforms::annotated_params::TRANSFORM.name);
    Box::new(AliasPlan::new(context.index, options, count_default_form))
}

/// A dependency alias, existing or to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAlias {
    pub key: DependencyKey,
    pub name: String,
    /// The module that defines it.
    pub home: String,
    /// Already defined there: uses are rewritten, nothing is added.
    pub exists: bool,
    /// For a new alias: how to write it in its home module.
    pub definition: Option<AliasDefinition>,
    /// How many parameters in the project use it (counted for new aliases).
    pub uses: usize,
}

/// How a new alias is written in its home module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasDefinition {
    /// The type as it can be written in the home module.
    pub type_text: String,
    /// An import the home module needs for the type: `(module, name)`.
    pub type_import: Option<(String, String)>,
    /// The dependency as it can be written in the home module.
    pub dependency_text: String,
    /// The module-level function or assignment it goes right after, if in the home module.
    pub after: Option<String>,
}

/// Every alias the run uses, by meaning.
#[derive(Debug, Default)]
pub struct AliasPlan {
    aliases: BTreeMap<DependencyKey, PlannedAlias>,
}

impl AliasPlan {
    pub fn new(index: &ProjectIndex, options: &AliasOptions, count_default_form: bool) -> Self {
        let mut modules: Vec<_> = index.modules().collect();
        modules.sort_by(|a, b| a.name.cmp(&b.name));

        let mut aliases: BTreeMap<DependencyKey, PlannedAlias> = BTreeMap::new();
        for module in &modules {
            for alias in &module.aliases {
                aliases
                    .entry(alias.key.clone())
                    .or_insert_with(|| PlannedAlias {
                        key: alias.key.clone(),
                        name: alias.name.clone(),
                        home: module.name.clone(),
                        exists: true,
                        definition: None,
                        uses: 0,
                    });
            }
        }

        // Uses per meaning, and per module.
        let mut uses: BTreeMap<&DependencyKey, BTreeMap<&str, usize>> = BTreeMap::new();
        let mut example_parameter: BTreeMap<&DependencyKey, &str> = BTreeMap::new();
        for module in &modules {
            for dependency_use in &module.dependency_uses {
                if dependency_use.default_form && !count_default_form
                    || dependency_use
                        .ignored
                        .as_ref()
                        .is_some_and(|ignored| ignored.covers(super::TRANSFORM.name, None))
                {
                    continue;
                }
                *uses
                    .entry(&dependency_use.key)
                    .or_default()
                    .entry(module.name.as_str())
                    .or_default() += 1;
                example_parameter
                    .entry(&dependency_use.key)
                    .or_insert(dependency_use.parameter.as_str());
            }
        }

        let mut taken: HashSet<(String, String)> = HashSet::default();
        for (key, per_module) in uses {
            let total: usize = per_module.values().sum();
            if aliases.contains_key(key)
                || total < options.min_uses
                || UNINFORMATIVE_TYPES.contains(&key.type_name.as_str())
            {
                continue;
            }
            let Some((home, definition)) = plan_home(index, key, &per_module) else {
                continue;
            };
            let parameter = example_parameter.get(key).copied().unwrap_or("value");
            let base = alias_name(key, parameter);
            let Some(name) = distinct_name(index, &home, per_module.keys().copied(), &base, &taken)
            else {
                continue;
            };
            taken.insert((home.clone(), name.clone()));
            aliases.insert(
                key.clone(),
                PlannedAlias {
                    key: key.clone(),
                    name,
                    home,
                    exists: false,
                    definition: Some(definition),
                    uses: total,
                },
            );
        }
        AliasPlan { aliases }
    }

    pub fn for_key(&self, key: &DependencyKey) -> Option<&PlannedAlias> {
        self.aliases.get(key)
    }

    /// New aliases whose home is `module`, in a stable order.
    pub fn new_in(&self, module: &str) -> impl Iterator<Item = &PlannedAlias> {
        self.aliases
            .values()
            .filter(move |alias| !alias.exists && alias.home == module)
    }

    pub fn aliases(&self) -> impl Iterator<Item = &PlannedAlias> {
        self.aliases.values()
    }
}

impl Plan for AliasPlan {
    /// The homes of new aliases, and modules with a use of a planned alias.
    fn concerns(&self, file: &PlanFile) -> bool {
        let Some(module) = file.module_name else {
            return false;
        };
        self.new_in(module).next().is_some()
            || file.summary.is_some_and(|summary| {
                summary
                    .dependency_uses
                    .iter()
                    .any(|dependency_use| self.aliases.contains_key(&dependency_use.key))
            })
    }

    /// Each new alias, defined in its home module.
    fn promises(&self) -> Vec<Promise> {
        self.aliases
            .values()
            .filter(|alias| !alias.exists)
            .map(|alias| Promise::Defines {
                module: alias.home.clone(),
                name: alias.name.clone(),
            })
            .collect()
    }

    /// Drops new aliases whose definition could not be written, so that no
    /// use refers to them.
    fn withdraw(&mut self, broken: &[Promise]) {
        self.aliases.retain(|_, alias| {
            alias.exists
                || !broken.contains(&Promise::Defines {
                    module: alias.home.clone(),
                    name: alias.name.clone(),
                })
        });
    }
}

/// Where a new alias lives and how it is written there: next to the
/// dependency when the project defines it, else in the module using it most.
fn plan_home(
    index: &ProjectIndex,
    key: &DependencyKey,
    per_module: &BTreeMap<&str, usize>,
) -> Option<(String, AliasDefinition)> {
    let (dependency_module, dependency_name) = key.dependency.rsplit_once('.')?;
    if let Some(module) = index.module(dependency_module)
        && module.bound_names.contains(dependency_name)
    {
        let function = module.function(dependency_name);
        let (type_text, type_import) = match function {
            // The dependency's own annotation is valid where it is written.
            Some(function)
                if function
                    .provides_qualified
                    .as_deref()
                    .is_some_and(|provides| index.canonical(provides) == key.type_name) =>
            {
                (function.provides.as_deref()?.to_string(), None)
            }
            _ => importable_type(key, module)?,
        };
        return Some((
            module.name.clone(),
            AliasDefinition {
                type_text,
                type_import,
                dependency_text: dependency_name.to_string(),
                after: Some(dependency_name.to_string()),
            },
        ));
    }
    // A dependency from outside the project: the module that uses it most.
    let (home, _) = per_module
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))?;
    let module = index.module(home)?;
    let (type_text, type_import) = importable_type(key, module)?;
    let dependency_text = module
        .imports
        .iter()
        .filter(|(_, target)| **target == key.dependency)
        .map(|(local, _)| local.clone())
        .min()?;
    Some((
        home.to_string(),
        AliasDefinition {
            type_text,
            type_import,
            dependency_text: dependency_text.to_string(),
            after: None,
        },
    ))
}

const BUILTIN_TYPES: [&str; 12] = [
    "str", "int", "float", "bool", "bytes", "dict", "list", "set", "tuple", "object", "None", "Any",
];

/// The type as a module can write it: a builtin as is, a name it already
/// imports under that name, or a name to import.
fn importable_type(
    key: &DependencyKey,
    module: &crate::project::index::ModuleSummary,
) -> Option<(String, Option<(String, String)>)> {
    let type_name = key.type_name.as_str();
    if BUILTIN_TYPES.contains(&type_name) {
        return Some((type_name.to_string(), None));
    }
    let (type_module, name) = type_name.rsplit_once('.')?;
    if !name.chars().all(|c| c.is_alphanumeric() || c == '_') || type_module.contains(['[', ' ']) {
        return None;
    }
    if type_module == module.name {
        return Some((name.to_string(), None));
    }
    match module.imports.get(name) {
        Some(target) if target == type_name => Some((name.to_string(), None)),
        Some(_) => None,
        None => Some((
            name.to_string(),
            Some((type_module.to_string(), name.to_string())),
        )),
    }
}

/// The name FastAPI developers give such an alias by hand:
/// `get_current_user` → `CurrentUser`; a dependency named after its type or
/// after nothing in particular (`get_db` giving `Session`) → `SessionDep`;
/// a builtin type (`str` from `oauth2_scheme` to a `token` parameter) → `TokenDep`.
pub fn alias_name(key: &DependencyKey, parameter: &str) -> String {
    let dependency = key.dependency.rsplit('.').next().unwrap_or(&key.dependency);
    let type_short = key.type_name.rsplit('.').next().unwrap_or(&key.type_name);
    let stem = dependency
        .strip_prefix("get_")
        .unwrap_or(dependency)
        .trim_start_matches('_');
    if BUILTIN_TYPES.contains(&type_short)
        || !type_short.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        // Named after the parameter, unless the parameter's name says nothing.
        let vague = [
            "dep",
            "dependency",
            "value",
            "val",
            "result",
            "data",
            "x",
            "_",
        ];
        let base = if vague.contains(&parameter) {
            stem
        } else {
            parameter
        };
        return format!("{}Dep", camel_case(base));
    }
    let generic = [
        "db",
        "database",
        "session",
        "sess",
        "conn",
        "connection",
        "dependency",
        "dep",
        "",
    ];
    let named_after_type = camel_case(stem).eq_ignore_ascii_case(type_short);
    if generic.contains(&stem)
        || named_after_type
        || !dependency.contains('_') && dependency.starts_with(char::is_uppercase)
    {
        return format!("{type_short}Dep");
    }
    camel_case(stem)
}

fn camel_case(snake: &str) -> String {
    snake
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// `base`, or `baseDep`, `base2`, … : the first not bound in the home module
/// or in any module that will import it, and not planned there already.
pub fn distinct_name<'m>(
    index: &ProjectIndex,
    home: &str,
    users: impl Iterator<Item = &'m str>,
    base: &str,
    taken: &HashSet<(String, String)>,
) -> Option<String> {
    let users: Vec<&str> = users.collect();
    let mut candidates = vec![base.to_string()];
    if !base.ends_with("Dep") {
        candidates.push(format!("{base}Dep"));
    }
    candidates.extend((2..10).map(|number| format!("{base}{number}")));
    candidates.into_iter().find(|candidate| {
        let free_in = |module: &str| {
            index
                .module(module)
                .is_none_or(|summary| !summary.bound_names.contains(candidate.as_str()))
        };
        free_in(home)
            && users.iter().all(|module| free_in(module))
            && !taken.contains(&(home.to_string(), candidate.clone()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(dependency: &str, type_name: &str) -> DependencyKey {
        DependencyKey {
            function: "Depends",
            dependency: dependency.into(),
            arguments: String::new(),
            type_name: type_name.into(),
        }
    }

    #[test]
    fn names_follow_what_developers_write() {
        let cases = [
            (
                "app.deps.get_current_user",
                "app.models.User",
                "user",
                "CurrentUser",
            ),
            (
                "app.deps.get_current_active_superuser",
                "app.models.User",
                "user",
                "CurrentActiveSuperuser",
            ),
            (
                "app.deps.get_db",
                "sqlalchemy.orm.Session",
                "db",
                "SessionDep",
            ),
            (
                "app.db.get_session",
                "sqlmodel.Session",
                "session",
                "SessionDep",
            ),
            (
                "app.config.get_settings",
                "app.config.Settings",
                "settings",
                "SettingsDep",
            ),
            ("app.deps.reusable_oauth2", "str", "token", "TokenDep"),
            ("app.main.set_cookie", "str", "dep", "SetCookieDep"),
            (
                "app.deps.Pagination",
                "app.deps.Pagination",
                "page",
                "PaginationDep",
            ),
        ];
        for (dependency, type_name, parameter, expected) in cases {
            assert_eq!(
                alias_name(&key(dependency, type_name), parameter),
                expected,
                "{dependency}"
            );
        }
    }
}
