//! What one run knows about the whole project: the index, and the plan for
//! changes that span files (which dependency aliases exist or will be
//! created, where, and under which names). The plan is a pure function of
//! the index, so every file's transforms see the same decisions.

use std::collections::{BTreeMap, HashSet};

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::index::{
    DependencyKey, ModuleSummary, ProjectIndex, UNINFORMATIVE_TYPES, summarize_parsed,
};
use crate::pipeline::{FileOutcome, Mode, Selection, parse_file, process_module, process_parsed};
use crate::schema_split::{SchemaPlan, SplitModel};

/// The index and the cross-file plan of one run.
#[derive(Debug, Default)]
pub struct Project {
    pub index: ProjectIndex,
    pub aliases: AliasPlan,
    pub schemas: SchemaPlan,
}

impl Project {
    pub fn new(mut index: ProjectIndex, options: ProjectOptions) -> Self {
        index.set_secret_fields(options.secret_fields.clone());
        let aliases = AliasPlan::new(&index, &options);
        let schemas = SchemaPlan::new(&index);
        Project {
            index,
            aliases,
            schemas,
        }
    }
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

/// Options of the run's plans (aliases, schema splits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectOptions {
    /// How many uses make an alias worth creating.
    pub min_uses: usize,
    /// Count uses still in default-value form (`annotated-params` runs too).
    pub count_default_form: bool,
    /// More field names that hold secrets (`split-schemas`' configuration).
    pub secret_fields: Vec<String>,
}

impl Default for ProjectOptions {
    fn default() -> Self {
        ProjectOptions {
            min_uses: 2,
            count_default_form: true,
            secret_fields: Vec::new(),
        }
    }
}

/// Every alias the run uses, by meaning.
#[derive(Debug, Default)]
pub struct AliasPlan {
    aliases: BTreeMap<DependencyKey, PlannedAlias>,
}

impl AliasPlan {
    pub fn new(index: &ProjectIndex, options: &ProjectOptions) -> Self {
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
                if dependency_use.default_form && !options.count_default_form {
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

        let mut taken: HashSet<(String, String)> = HashSet::new();
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

    /// Drops new aliases whose definition could not be written, so that no
    /// use refers to them.
    pub fn without(&mut self, failed: &[DependencyKey]) {
        for key in failed {
            if self.aliases.get(key).is_some_and(|alias| !alias.exists) {
                self.aliases.remove(key);
            }
        }
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
                (function.provides.clone()?, None)
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
            dependency_text,
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
    module: &crate::index::ModuleSummary,
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
fn distinct_name<'m>(
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
                .is_none_or(|summary| !summary.bound_names.contains(candidate))
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

/// One file of a project run.
#[derive(Debug, Clone)]
pub struct ProjectFile<'a> {
    /// Dotted module name, when the file belongs to a package layout.
    pub module_name: Option<String>,
    pub is_package: bool,
    pub contents: &'a str,
    pub selection: &'a Selection,
    /// Whether a change to this file can be kept (`apply` may refuse some);
    /// an alias is only defined in a file that can.
    pub writable: bool,
}

/// Runs a whole project: the index pass, the alias plan, then every file,
/// in parallel. A new alias whose definition does not land in its home
/// module (an error there, a file that cannot be written) is dropped from
/// the plan and the files are run again, so that no use refers to it: a
/// change across files lands whole or not at all.
///
/// Each file is parsed once in the index pass. A file whose transforms
/// cannot depend on other files (see `needs_project`) is processed right
/// there on that parse; only the others, and the modules that will hold
/// new aliases, are parsed again after planning.
pub fn process_project(
    files: &[ProjectFile],
    mode: Mode,
    options: ProjectOptions,
) -> Vec<FileOutcome> {
    use rayon::prelude::*;

    let empty = Project::default();
    let first: Vec<(Option<ModuleSummary>, Option<FileOutcome>)> = files
        .par_iter()
        .map(|file| {
            let parsed = match parse_file(file.contents) {
                Ok(parsed) => parsed,
                Err(error) => {
                    return (
                        None,
                        Some(FileOutcome {
                            error: Some(error),
                            ..FileOutcome::default()
                        }),
                    );
                }
            };
            let summary = file.module_name.as_deref().and_then(|name| {
                let summarized = catch_unwind(AssertUnwindSafe(|| {
                    summarize_parsed(name, file.is_package, &parsed.parsed, parsed.source.text())
                }));
                summarized.ok()
            });
            let outcome = (!needs_project(file)).then(|| {
                process_parsed(
                    parsed,
                    file.selection,
                    mode,
                    &empty,
                    file.module_name.as_deref(),
                )
            });
            (summary, outcome)
        })
        .collect();
    let (summaries, mut outcomes): (Vec<Option<ModuleSummary>>, Vec<Option<FileOutcome>>) =
        first.into_iter().unzip();
    let mut project = Project::new(ProjectIndex::new(summaries.into_iter().flatten()), options);
    let splits_selected = files.iter().any(|file| {
        file.selection
            .transforms
            .iter()
            .any(|transform| transform.name == "split-schemas")
    });
    if !splits_selected {
        project.schemas = SchemaPlan::default();
    }
    // Splits are unsafe: without `--unsafe` no file can refer to a new member.
    let splits_apply = files.iter().any(|file| file.selection.unsafe_fixes);

    // Files left for the second pass: those with dependencies, and homes of new aliases.
    let mut pending: Vec<bool> = files
        .iter()
        .zip(&outcomes)
        .map(|(file, outcome)| {
            outcome.is_none() || is_home(&project, file) || mentions_split_model(&project, file)
        })
        .collect();
    // Each round drops at least one alias or split from a finite plan, so this ends.
    loop {
        let rerun: Vec<(usize, FileOutcome)> = files
            .par_iter()
            .enumerate()
            .filter(|(position, _)| pending[*position])
            .map(|(position, file)| {
                let outcome = process_module(
                    file.contents,
                    file.selection,
                    mode,
                    &project,
                    file.module_name.as_deref(),
                );
                (position, outcome)
            })
            .collect();
        for (position, outcome) in rerun {
            outcomes[position] = Some(outcome);
        }
        pending.iter_mut().for_each(|flag| *flag = false);
        if mode == Mode::Check {
            break;
        }
        let failed: Vec<DependencyKey> = project
            .aliases
            .aliases()
            .filter(|alias| !alias.exists && !definition_landed(files, &outcomes, alias))
            .map(|alias| alias.key.clone())
            .collect();
        let failed_splits: Vec<String> = project
            .schemas
            .models()
            .filter(|split| splits_apply && !split_landed(files, &outcomes, split))
            .map(|split| split.model.clone())
            .collect();
        if failed.is_empty() && failed_splits.is_empty() {
            break;
        }
        if !failed_splits.is_empty() {
            // Every file that mentions those models runs again without them.
            let names: Vec<String> = project
                .schemas
                .models()
                .filter(|split| failed_splits.contains(&split.model))
                .map(|split| split.name.clone())
                .collect();
            project.schemas.without(&failed_splits);
            for (position, file) in files.iter().enumerate() {
                if names
                    .iter()
                    .any(|name| file.contents.contains(name.as_str()))
                {
                    pending[position] = true;
                }
            }
            if failed.is_empty() {
                continue;
            }
        }
        // The files that planned around those aliases run again without them.
        let homes: Vec<String> = failed
            .iter()
            .filter_map(|key| project.aliases.for_key(key).map(|alias| alias.home.clone()))
            .collect();
        project.aliases.without(&failed);
        for (position, file) in files.iter().enumerate() {
            pending[position] = pending[position]
                || needs_project(file)
                || file
                    .module_name
                    .as_ref()
                    .is_some_and(|name| homes.contains(name));
        }
    }
    outcomes
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect()
}

/// Whether what transforms do in a file can depend on other files: it
/// holds dependency parameters or aliases (`Depends`, `Security`),
/// coroutines whose callers and parameter types live elsewhere (`async def`),
/// or, for `response-model`, routes whose results come from elsewhere.
fn needs_project(file: &ProjectFile) -> bool {
    let contents = file.contents;
    contents.contains("Depends")
        || contents.contains("Security")
        || contents.contains("async def")
        || (file
            .selection
            .transforms
            .iter()
            .any(|transform| transform.name == "response-model")
            && (contents.contains('@') || contents.contains("add_api_route")))
}

/// Whether a file may use a model being split (its name appears in it).
fn mentions_split_model(project: &Project, file: &ProjectFile) -> bool {
    project
        .schemas
        .models()
        .map(|split| split.name.as_str())
        .chain(project.schemas.refused_names())
        .any(|name| file.contents.contains(name))
}

/// Whether every new member of a split is now defined in its home module
/// (which must be writable), and the other files' changes can stand on it.
fn split_landed(
    files: &[ProjectFile],
    outcomes: &[Option<FileOutcome>],
    split: &SplitModel,
) -> bool {
    if split.new_members().next().is_none() {
        return true;
    }
    written_text(files, outcomes, &split.home).is_some_and(|fixed| {
        split.new_members().all(|member| {
            let prefix = format!("class {}(", member.name);
            fixed.lines().any(|line| line.starts_with(&prefix))
        })
    })
}

fn is_home(project: &Project, file: &ProjectFile) -> bool {
    file.module_name
        .as_deref()
        .is_some_and(|name| project.aliases.new_in(name).next().is_some())
}

/// Whether the home module of a new alias now defines it.
fn definition_landed(
    files: &[ProjectFile],
    outcomes: &[Option<FileOutcome>],
    alias: &PlannedAlias,
) -> bool {
    let prefix = format!("{} = ", alias.name);
    written_text(files, outcomes, &alias.home)
        .is_some_and(|fixed| fixed.lines().any(|line| line.starts_with(&prefix)))
}

/// The new text of module `home`, when the run changed it and may write it.
fn written_text<'o>(
    files: &[ProjectFile],
    outcomes: &'o [Option<FileOutcome>],
    home: &str,
) -> Option<&'o str> {
    let position = files
        .iter()
        .position(|file| file.module_name.as_deref() == Some(home))?;
    let outcome = outcomes[position].as_ref()?;
    if !files[position].writable || outcome.error.is_some() {
        return None;
    }
    outcome.fixed.as_deref()
}
