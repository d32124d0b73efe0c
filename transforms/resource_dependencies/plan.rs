//! `resource-dependencies`'s plan: which guards routes repeat, the
//! dependency each group becomes (its home, name and text), and the routes
//! that take it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rustc_hash::FxHashMap as HashMap;

use crate::project::index::{DependencyKey, ModuleSummary, ProjectIndex, UNINFORMATIVE_TYPES};
use crate::project::layout::{Domains, is_test_module};
use crate::project::models::method_returns;
use crate::project::plan::{Plan, PlanContext, PlanFile, Promise};
use crate::project::route_code::{
    Extracted, GuardSummary, HomeImports, Loaded, MovedDefinition, new_home_text, new_module_path,
};
use crate::python::imports::Symbol;
use crate::python::types::TypeShape;
use crate::text::files::FileChange;

pub fn plan(context: &PlanContext) -> Box<dyn Plan> {
    Box::new(GuardPlan::new(context))
}

/// A dependency the run writes.
#[derive(Debug, Clone)]
pub struct PlannedDependency {
    /// The module it is defined in.
    pub home: String,
    pub name: String,
    /// The resource's class, qualified.
    pub resource_type: String,
    /// Its imports in the home, and its definition at column 0 (lines
    /// joined with `\n`, indented with four spaces), followed by its alias's.
    pub imports: Vec<Symbol>,
    pub definition: String,
    /// The alias defined right after it, which routes take instead: the
    /// one `dependency-aliases` would name, when it runs.
    pub alias: Option<String>,
    /// The file the plan creates for its home, when the home is new.
    pub creates: Option<PathBuf>,
}

impl PlannedDependency {
    /// How the home module takes it in.
    pub fn moved(&self) -> MovedDefinition<'_> {
        MovedDefinition {
            name: &self.name,
            imports: &self.imports,
            definition: &self.definition,
        }
    }
}

/// What a route's guard becomes.
#[derive(Debug, Clone)]
pub enum RouteGuard {
    /// The route takes the dependency at this index of
    /// [`GuardPlan::dependencies`]; `owned` when it is the chained
    /// ownership dependency, whose route loses its ownership check too.
    Takes { dependency: usize, owned: bool },
    /// Left as it is, for this reason.
    Stays(String),
}

#[derive(Debug, Default)]
pub struct GuardPlan {
    pub dependencies: Vec<PlannedDependency>,
    /// By module and route name.
    routes: HashMap<(String, String), RouteGuard>,
    withdrawn: Vec<bool>,
}

impl GuardPlan {
    fn new(context: &PlanContext) -> Self {
        let index = context.index;
        let domains = Domains::of(index);
        let mut plan = GuardPlan::default();
        // Guards by home and key, in module order.
        let mut groups: BTreeMap<(String, String), Vec<(&ModuleSummary, &GuardSummary)>> =
            BTreeMap::new();
        let mut modules: Vec<&ModuleSummary> = index
            .modules()
            .filter(|module| !module.resource_guards.is_empty() && !is_test_module(&module.name))
            .collect();
        modules.sort_by(|a, b| a.name.cmp(&b.name));
        for module in modules {
            let home = home_of(index, &domains, module);
            for guard in &module.resource_guards {
                let place = (module.name.clone(), guard.route.to_string());
                match (&guard.guard, guard.key()) {
                    (Err(reason), _) => {
                        plan.routes.insert(place, RouteGuard::Stays(reason.clone()));
                    }
                    (Ok(_), Some(key)) => groups
                        .entry((home.clone(), key))
                        .or_default()
                        .push((module, guard)),
                    (Ok(_), None) => {}
                }
            }
        }
        // Names taken in each home, by this plan or already.
        let mut taken: HashMap<String, Vec<String>> = HashMap::default();
        let aliases = AliasNaming::of(context);
        for ((home, _), members) in groups {
            plan.plan_group(context, &home, members, &mut taken, aliases.as_ref());
        }
        plan.withdrawn = vec![false; plan.dependencies.len()];
        plan
    }

    /// Plans one group of routes sharing a guard, homed in `home`: the
    /// dependency, the chained ownership dependencies, their aliases, and
    /// each route's decision. Nothing is planned for fewer than two routes.
    fn plan_group(
        &mut self,
        context: &PlanContext,
        home: &str,
        mut members: Vec<(&ModuleSummary, &GuardSummary)>,
        taken: &mut HashMap<String, Vec<String>>,
        aliases: Option<&AliasNaming>,
    ) {
        let index = context.index;
        let place = |module: &ModuleSummary, guard: &GuardSummary| {
            (module.name.clone(), guard.route.to_string())
        };
        members.retain(|(_, guard)| {
            !guard
                .ignored
                .as_ref()
                .is_some_and(|ignored| ignored.covers(super::TRANSFORM.name, None))
        });
        let Some(&(_, first)) = members.first() else {
            return;
        };
        let name = dependency_name(first);
        // Routes that could not take it at all stay, with the reason.
        let mut refused = Vec::new();
        members.retain(|(module, guard)| {
            let plain = route_refusal(index, guard, false, &name);
            let owned = guard
                .ownership
                .as_ref()
                .and_then(|_| route_refusal(index, guard, true, &name));
            match (plain, guard.ownership.is_some(), owned) {
                (None, _, _) | (Some(_), true, None) => true,
                (Some(reason), _, _) => {
                    refused.push((place(module, guard), reason));
                    false
                }
            }
        });
        let stays =
            |plan: &mut GuardPlan, members: &[(&ModuleSummary, &GuardSummary)], reason: &str| {
                for (module, guard) in members {
                    plan.routes
                        .insert(place(module, guard), RouteGuard::Stays(reason.to_string()));
                }
            };
        for (place, reason) in refused {
            self.routes.insert(place, RouteGuard::Stays(reason));
        }
        if members.len() < 2 {
            return;
        }
        let (first_module, first) = members[0];
        let Some(resource_type) = resource_type(index, first) else {
            stays(
                self,
                &members,
                "what the loader returns is not known: annotate its return type",
            );
            return;
        };
        if let Some(router) = members
            .iter()
            .find(|(module, _)| module.name == home || index.reaches(home, &module.name))
        {
            let reason = format!(
                "`{home}` imports `{}`, which would import it back",
                router.0.name
            );
            stays(self, &members, &reason);
            return;
        }
        let existing = index.module(home);
        let creates = match existing {
            Some(_) => None,
            None => match new_module_path(context.paths, first_module, home) {
                Some(path) => Some(path),
                None => {
                    stays(self, &members, &format!("no place for `{home}` is known"));
                    return;
                }
            },
        };
        let bound = |taken: &HashMap<String, Vec<String>>, name: &str| {
            existing.is_some_and(|module| module.bound_names.contains(name))
                || taken
                    .get(home)
                    .is_some_and(|names| names.iter().any(|known| known == name))
        };
        if bound(taken, &name) {
            stays(self, &members, &format!("`{name}` is taken in `{home}`"));
            return;
        }
        let guard = first.guard.as_ref().expect("keyed guards were extracted");
        let Some((imports, resource)) =
            home_imports(index, home, first_module, guard, &resource_type, false)
        else {
            stays(
                self,
                &members,
                &format!("the names it uses would clash in `{home}`"),
            );
            return;
        };
        let back = members.iter().find_map(|(router, _)| {
            HomeImports {
                symbols: imports.clone(),
            }
            .imports_back(index, &router.name)
        });
        if let Some(module) = back {
            stays(
                self,
                &members,
                &format!("`{home}` would import `{module}`, which imports it"),
            );
            return;
        }

        // Which routes take the chained ownership dependency, one per
        // check they share, and which the plain one.
        struct Owned<'s> {
            name: String,
            imports: Vec<Symbol>,
            check: &'s Extracted,
            owner: &'s str,
            routes: Vec<(String, String)>,
        }
        let mut owned: Vec<Owned> = Vec::new();
        let mut plain: Vec<&str> = Vec::new();
        let mut plain_routes: Vec<(String, String)> = Vec::new();
        for (module, summary) in &members {
            let route = place(module, summary);
            let ownership = summary
                .ownership
                .as_ref()
                .filter(|_| route_refusal(index, summary, true, &name).is_none());
            if let Some((owner, check)) = ownership {
                let owned_name = format!("valid_owned_{}", resource_stem(&summary.resource));
                if let Some(known) = owned.iter_mut().find(|known| {
                    same_code(known.check, check)
                        && known.check.parameters[0].1 == check.parameters[0].1
                }) {
                    known.routes.push(route);
                    continue;
                }
                let free = !bound(taken, &owned_name)
                    && !owned.iter().any(|known| known.name == owned_name);
                let imports = free
                    .then(|| home_imports(index, home, module, check, &resource_type, true))
                    .flatten();
                if let Some((imports, _)) = imports {
                    owned.push(Owned {
                        name: owned_name,
                        imports,
                        check,
                        owner,
                        routes: vec![route],
                    });
                    continue;
                }
            }
            match route_refusal(index, summary, false, &name) {
                None => {
                    plain.push(module.name.as_str());
                    plain_routes.push(route);
                }
                Some(reason) => {
                    self.routes.insert(route, RouteGuard::Stays(reason));
                }
            }
        }
        let routes =
            plain_routes.len() + owned.iter().map(|known| known.routes.len()).sum::<usize>();
        if routes < 2 {
            return;
        }

        // The aliases `dependency-aliases` would define on the next run:
        // for a dependency with enough uses (a chained dependency uses the
        // plain one), named as it names them.
        let mut alias_for = |dependency: &str, uses: usize, users: &[&str]| {
            let naming = aliases?;
            let alias = naming.name(
                index,
                home,
                dependency,
                &resource_type,
                &first.resource,
                uses,
                users,
                taken,
            )?;
            taken
                .entry(home.to_string())
                .or_default()
                .push(alias.clone());
            Some(alias)
        };
        // The alias needs `Annotated` and `Depends` in the home too.
        let annotating = home_imports(index, home, first_module, guard, &resource_type, true);
        let alias = match &annotating {
            Some(_) => alias_for(&name, plain_routes.len() + owned.len(), &plain),
            None => None,
        };
        let imports = match (&alias, annotating) {
            (Some(_), Some((annotating, _))) => annotating,
            _ => imports,
        };
        let owned_aliases: Vec<Option<String>> = owned
            .iter()
            .map(|known| {
                let users: Vec<&str> = known
                    .routes
                    .iter()
                    .map(|(module, _)| module.as_str())
                    .collect();
                alias_for(&known.name, known.routes.len(), &users)
            })
            .collect();

        let base = self.dependencies.len();
        self.dependencies.push(PlannedDependency {
            home: home.to_string(),
            name: name.clone(),
            resource_type: resource_type.clone(),
            imports,
            definition: with_alias(
                definition(
                    &name,
                    &guard.parameters,
                    first.awaited,
                    &guard.text,
                    &resource,
                    &first.resource,
                ),
                alias.as_deref(),
                &resource,
                &name,
            ),
            alias: alias.clone(),
            creates,
        });
        taken
            .entry(home.to_string())
            .or_default()
            .push(name.clone());
        for route in plain_routes {
            self.routes.insert(
                route,
                RouteGuard::Takes {
                    dependency: base,
                    owned: false,
                },
            );
        }
        for (known, owned_alias) in owned.into_iter().zip(owned_aliases) {
            let taken_as = match &alias {
                Some(alias) => alias.clone(),
                None => format!("Annotated[{resource}, Depends({name})]"),
            };
            let parameters = vec![
                (
                    first.resource.clone(),
                    format!("{}: {taken_as}", first.resource),
                ),
                (known.owner.into(), known.check.parameters[0].1.clone()),
            ];
            let text = definition(
                &known.name,
                &parameters,
                first.awaited,
                &known.check.text,
                &resource,
                &first.resource,
            );
            let dependency = self.dependencies.len();
            for route in known.routes {
                self.routes.insert(
                    route,
                    RouteGuard::Takes {
                        dependency,
                        owned: true,
                    },
                );
            }
            self.dependencies.push(PlannedDependency {
                home: home.to_string(),
                name: known.name.clone(),
                resource_type: resource_type.clone(),
                imports: known.imports,
                definition: with_alias(text, owned_alias.as_deref(), &resource, &known.name),
                alias: owned_alias,
                creates: None,
            });
            taken.entry(home.to_string()).or_default().push(known.name);
        }
    }

    /// What the route `route` of `module` does with its guard.
    pub fn route(&self, module: &str, route: &str) -> Option<&RouteGuard> {
        let decision = self.routes.get(&(module.to_string(), route.to_string()))?;
        match decision {
            RouteGuard::Takes { dependency, .. } if self.withdrawn[*dependency] => None,
            // An owned dependency stands on the plain one.
            RouteGuard::Takes {
                dependency,
                owned: true,
            } if self.dependencies[..*dependency]
                .iter()
                .enumerate()
                .any(|(index, planned)| {
                    self.withdrawn[index] && planned.home == self.dependencies[*dependency].home
                }) =>
            {
                None
            }
            decision => Some(decision),
        }
    }

    /// The dependencies a module defines that its own run writes: those of
    /// a home that exists, in plan order.
    pub fn written_in<'p>(
        &'p self,
        module: &'p str,
    ) -> impl Iterator<Item = &'p PlannedDependency> {
        self.dependencies
            .iter()
            .enumerate()
            .filter(move |(index, planned)| {
                planned.home == module && !self.withdrawn[*index] && !self.is_created(&planned.home)
            })
            .map(|(_, planned)| planned)
    }

    fn is_created(&self, home: &str) -> bool {
        self.dependencies
            .iter()
            .any(|planned| planned.home == home && planned.creates.is_some())
    }
}

impl Plan for GuardPlan {
    fn concerns(&self, file: &PlanFile) -> bool {
        file.module_name.is_some_and(|module| {
            self.dependencies
                .iter()
                .any(|planned| planned.home == module)
                || self.routes.keys().any(|(routes, _)| routes == module)
        })
    }

    fn promises(&self) -> Vec<Promise> {
        self.dependencies
            .iter()
            .enumerate()
            .filter(|(index, _)| !self.withdrawn[*index])
            .flat_map(|(_, planned)| {
                std::iter::once(&planned.name)
                    .chain(&planned.alias)
                    .map(|name| Promise::Defines {
                        module: planned.home.clone(),
                        name: name.clone(),
                    })
            })
            .collect()
    }

    fn withdraw(&mut self, broken: &[Promise]) {
        for (index, planned) in self.dependencies.iter().enumerate() {
            if broken.iter().any(|promise| {
                matches!(promise, Promise::Defines { module, name } if *module == planned.home && (*name == planned.name || planned.alias.as_ref() == Some(name)))
            }) {
                self.withdrawn[index] = true;
            }
        }
        // A home the plan creates holds all its dependencies or none.
        for index in 0..self.dependencies.len() {
            let home = &self.dependencies[index].home;
            if self.is_created(home)
                && self
                    .dependencies
                    .iter()
                    .enumerate()
                    .any(|(other, planned)| planned.home == *home && self.withdrawn[other])
            {
                self.withdrawn[index] = true;
            }
        }
    }

    fn file_changes(&self) -> Vec<FileChange> {
        let mut homes: BTreeMap<&str, (&PathBuf, Vec<&PlannedDependency>)> = BTreeMap::new();
        for (index, planned) in self.dependencies.iter().enumerate() {
            if self.withdrawn[index] {
                continue;
            }
            let created = self
                .dependencies
                .iter()
                .find(|other| other.home == planned.home)
                .and_then(|other| other.creates.as_ref());
            if let Some(path) = created {
                homes
                    .entry(&planned.home)
                    .or_insert((path, Vec::new()))
                    .1
                    .push(planned);
            }
        }
        homes
            .into_iter()
            .map(|(home, (path, dependencies))| FileChange::Create {
                path: path.clone(),
                contents: new_home(home, &dependencies),
                module: Some(home.to_string()),
            })
            .collect()
    }
}

/// Where a router's dependencies live: its domain's `dependencies.py`; in
/// a layered project, the `deps`/`dependencies` module it imports from,
/// else a `dependencies.py` beside it.
fn home_of(index: &ProjectIndex, domains: &Domains, module: &ModuleSummary) -> String {
    if let Some(domain) = domains.domain_of(&module.name) {
        return format!("{domain}.dependencies");
    }
    let mut imported: Vec<&str> = module
        .imports
        .values()
        .filter_map(|qualified| {
            let candidate = if index.module(qualified).is_some() {
                qualified.as_str()
            } else {
                qualified.rsplit_once('.')?.0
            };
            let last = candidate.rsplit('.').next()?;
            (matches!(last, "deps" | "dependencies") && index.module(candidate).is_some())
                .then_some(candidate)
        })
        .collect();
    imported.sort_unstable();
    if let Some(found) = imported.first() {
        return found.to_string();
    }
    match module.name.rsplit_once('.') {
        Some((package, _)) if !module.is_package => format!("{package}.dependencies"),
        _ if module.is_package => format!("{}.dependencies", module.name),
        _ => "dependencies".to_string(),
    }
}

/// Why a route cannot take its guard as the dependency `dependency`
/// (chained on, with its ownership check, when `owned`), if it cannot.
fn route_refusal(
    index: &ProjectIndex,
    guard: &GuardSummary,
    owned: bool,
    dependency: &str,
) -> Option<String> {
    if let Err(reason) = &guard.signature {
        return Some(reason.clone());
    }
    let after = if owned {
        guard.after_ownership.as_ref()?
    } else {
        &guard.after_guard
    };
    if after.path_parameter {
        let parameter = &guard.parameter;
        return Some(format!(
            "it reads `{parameter}` after the guard, and `{dependency}` would declare `{parameter}` too: FastAPI would validate it twice (read `{}.id` instead)",
            guard.resource
        ));
    }
    // A project alias of a dependency is solved once per request too.
    let shared = after.shared.iter().find(|(_, annotation)| {
        !annotation
            .as_deref()
            .is_some_and(|annotation| index.alias_type(&index.canonical(annotation)).is_some())
    });
    shared.map(|(name, _)| {
        format!(
            "it reads `{name}` after the guard, and `{dependency}` would declare `{name}` too: FastAPI would validate it twice"
        )
    })
}

/// Whether two pieces of code are the same, spaces aside.
fn same_code(a: &Extracted, b: &Extracted) -> bool {
    a.text.split_whitespace().eq(b.text.split_whitespace())
}

/// How `dependency-aliases` names the aliases of new dependencies, when it
/// runs: what it would define for them on the next run.
pub struct AliasNaming {
    min_uses: usize,
}

impl AliasNaming {
    pub fn of(context: &PlanContext) -> Option<Self> {
        use crate::transforms::dependency_aliases;
        if !context.runs(dependency_aliases::TRANSFORM.name) {
            return None;
        }
        let default = dependency_aliases::plan::AliasOptions::default();
        let options = context
            .settings
            .get::<dependency_aliases::plan::AliasOptions>()
            .unwrap_or(&default);
        Some(AliasNaming {
            min_uses: options.min_uses,
        })
    }

    /// The alias of `home.dependency`, giving a `resource_type` taken by
    /// `uses` parameters in `users`, or `None` when it would get none.
    #[allow(clippy::too_many_arguments)]
    fn name(
        &self,
        index: &ProjectIndex,
        home: &str,
        dependency: &str,
        resource_type: &str,
        parameter: &str,
        uses: usize,
        users: &[&str],
        taken: &HashMap<String, Vec<String>>,
    ) -> Option<String> {
        use crate::transforms::dependency_aliases::plan::{alias_name, distinct_name};
        if uses < self.min_uses || UNINFORMATIVE_TYPES.contains(&resource_type) {
            return None;
        }
        let key = DependencyKey {
            function: "Depends",
            dependency: format!("{home}.{dependency}"),
            arguments: String::new(),
            type_name: resource_type.to_string(),
        };
        let taken: rustc_hash::FxHashSet<(String, String)> = taken
            .get(home)
            .into_iter()
            .flatten()
            .map(|name| (home.to_string(), name.clone()))
            .collect();
        distinct_name(
            index,
            home,
            users.iter().copied(),
            &alias_name(&key, parameter),
            &taken,
        )
    }
}

/// A definition followed by its alias, when it has one:
/// `ValidPostId = Annotated[Post, Depends(valid_post_id)]`, wrapped as
/// black wraps a subscript past the line length.
fn with_alias(definition: String, alias: Option<&str>, resource_class: &str, name: &str) -> String {
    let Some(alias) = alias else {
        return definition;
    };
    let line = format!("{alias} = Annotated[{resource_class}, Depends({name})]");
    let line = if line.chars().count() <= 88 {
        line
    } else {
        format!("{alias} = Annotated[\n    {resource_class}, Depends({name})\n]")
    };
    format!("{definition}\n\n\n{line}")
}

/// `valid_post_id` for `post_id`; `valid_post_slug` for `slug`.
fn dependency_name(guard: &GuardSummary) -> String {
    let resource = resource_stem(&guard.resource);
    if guard.parameter.contains(resource) {
        format!("valid_{}", guard.parameter)
    } else {
        format!("valid_{resource}_{}", guard.parameter)
    }
}

/// What a resource is, without the prefixes locals carry: `db_post` → `post`.
fn resource_stem(resource: &str) -> &str {
    ["db_", "existing_", "found_"]
        .iter()
        .find_map(|prefix| {
            resource
                .strip_prefix(prefix)
                .filter(|rest| !rest.is_empty())
        })
        .unwrap_or(resource)
}

/// The class the guard's loader gives, qualified: a function's or method's
/// return annotation (`Optional` seen through), or the ORM model queried.
fn resource_type(index: &ProjectIndex, guard: &GuardSummary) -> Option<String> {
    let class_of = |shape: &TypeShape| match shape.class() {
        Some((class, _)) => Some(index.canonical(class)),
        None => None,
    };
    match guard.loaded.as_ref()? {
        Loaded::Model(model) => Some(index.canonical(model)),
        Loaded::Call(callee) => {
            let callee = index.canonical(callee);
            if let Some((_, function)) = index.function(&callee) {
                return class_of(function.returns_shape.as_ref()?);
            }
            // A method of a module-level instance: `crud.post.get`.
            let (instance, method) = callee.rsplit_once('.')?;
            // The instance where it is made, through re-exports (`crud.item`).
            let instance = index.canonical(instance);
            let (module, name) = instance.rsplit_once('.')?;
            let class = index.module(module)?.instances.get(name)?;
            let shape = method_returns(index, &index.canonical(class), method)?;
            class_of(&shape.0)
        }
    }
}

/// The symbols a home needs for `code` and the resource's class (and, for
/// a chained dependency, `Annotated` and `Depends`), and how the home
/// names the class. `None` when two of them would bind one name.
fn home_imports(
    index: &ProjectIndex,
    home: &str,
    router: &ModuleSummary,
    code: &Extracted,
    resource_type: &str,
    chained_on: bool,
) -> Option<(Vec<Symbol>, String)> {
    let mut imports = HomeImports::default();
    imports.add_all(index, home, code)?;
    let mut push = |local: &str, qualified: &str| imports.add(index, home, local, qualified);
    if chained_on {
        let annotated = router
            .imports
            .get("Annotated")
            .map_or("typing.Annotated", |qualified| qualified.as_str());
        push("Annotated", annotated)?;
        push("Depends", "fastapi.Depends")?;
    }
    // The class, by the name the router gives it when it imports it.
    let class_name = resource_type.rsplit('.').next()?;
    let by_router = router
        .imports
        .iter()
        .find(|(_, qualified)| index.canonical(qualified) == resource_type)
        .map(|(local, qualified)| (local.to_string(), qualified.to_string()));
    // Or through its own module, when the router imports that: `models.Item`
    // (not through a module that happens to import it).
    let through_module = router.imports.iter().find(|(_, qualified)| {
        index.module(qualified).is_some()
            && resource_type.strip_prefix(qualified.as_str()) == Some(&format!(".{class_name}"))
    });
    if let (None, Some((local, qualified))) = (&by_router, through_module) {
        push(local, qualified)?;
        return Some((imports.symbols, format!("{local}.{class_name}")));
    }
    let (local, qualified) =
        by_router.unwrap_or((class_name.to_string(), resource_type.to_string()));
    if qualified.rsplit_once('.').map(|(module, _)| module) == Some(home) {
        return Some((imports.symbols, local));
    }
    push(&local, &qualified)?;
    Some((imports.symbols, local))
}

/// A dependency's definition at column 0.
fn definition(
    name: &str,
    parameters: &[(compact_str::CompactString, String)],
    awaited: bool,
    code: &str,
    resource_class: &str,
    resource: &str,
) -> String {
    // Parameters without defaults first: the route's order may rely on
    // being keyword-only.
    let mut declarations: Vec<&str> = parameters
        .iter()
        .map(|(_, declaration)| declaration.as_str())
        .collect();
    declarations.sort_by_key(|declaration| has_default(declaration));
    let keyword = if awaited { "async def" } else { "def" };
    let one_line = format!(
        "{keyword} {name}({}) -> {resource_class}:",
        declarations.join(", ")
    );
    let header = if one_line.chars().count() <= 88 {
        one_line
    } else {
        let mut header = format!("{keyword} {name}(\n");
        for declaration in &declarations {
            header.push_str(&format!("    {declaration},\n"));
        }
        header.push_str(&format!(") -> {resource_class}:"));
        header
    };
    let mut text = header;
    for line in code.lines() {
        text.push('\n');
        if !line.is_empty() {
            text.push_str("    ");
            text.push_str(line);
        }
    }
    text.push_str(&format!("\n    return {resource}"));
    text
}

/// Whether a parameter declaration has a default (`x: int = 1`), an `=`
/// outside brackets.
fn has_default(declaration: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for c in declaration.chars() {
        match (quote, c) {
            (Some(open), c) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, '=') if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// A new `dependencies.py`.
fn new_home(home: &str, dependencies: &[&PlannedDependency]) -> String {
    let moved: Vec<MovedDefinition> = dependencies.iter().map(|planned| planned.moved()).collect();
    new_home_text(home, &moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_told_from_equals_inside_brackets() {
        assert!(has_default("db: Session = Depends(get_db)"));
        assert!(!has_default("post_id: Annotated[int, Path(gt=0)]"));
        assert!(!has_default("x: Literal['a=b']"));
    }

    #[test]
    fn long_headers_wrap_one_parameter_a_line() {
        let parameters = vec![
            ("post_id".into(), "post_id: int".to_string()),
            (
                "db".into(),
                "db: AsyncSession = Depends(get_async_session_for_requests)".to_string(),
            ),
        ];
        let text = definition(
            "valid_post_id",
            &parameters,
            true,
            "post = await get(db, post_id)",
            "Post",
            "post",
        );
        assert_eq!(
            text,
            "async def valid_post_id(\n    post_id: int,\n    db: AsyncSession = Depends(get_async_session_for_requests),\n) -> Post:\n    post = await get(db, post_id)\n    return post"
        );
    }
}
