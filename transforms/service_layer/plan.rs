//! `service-layer`'s plan: which routes' work moves, to which service
//! module and function, and the modules it creates.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rustc_hash::FxHashMap as HashMap;

use crate::project::index::{ModuleSummary, ProjectIndex};
use crate::project::layout::{Domains, is_test_module};
use crate::project::plan::{Plan, PlanContext, PlanFile, Promise};
use crate::project::route_code::{
    HomeImports, MovedDefinition, WorkSummary, new_home_text, new_module_path,
};
use crate::python::imports::Symbol;
use crate::text::files::FileChange;

pub fn plan(context: &PlanContext) -> Box<dyn Plan> {
    Box::new(ServicePlan::new(context))
}

/// A service function the run writes.
#[derive(Debug, Clone)]
pub struct PlannedService {
    /// The module it is defined in.
    pub home: String,
    pub name: String,
    /// The names the route passes, by keyword, in order.
    pub arguments: Vec<String>,
    pub awaited: bool,
    pub returns: bool,
    pub imports: Vec<Symbol>,
    /// Its definition at column 0 (lines joined with `\n`, four spaces).
    pub definition: String,
    /// The route's work as the index saw it, at column 0: the route
    /// delegates only while its work still reads so.
    pub code: String,
    /// The name the router imports the home under, when it is not the
    /// home's own (`items_service` for `app.services.items`).
    pub alias: Option<String>,
}

impl PlannedService {
    /// How the home module takes it in.
    pub fn moved(&self) -> MovedDefinition<'_> {
        MovedDefinition {
            name: &self.name,
            imports: &self.imports,
            definition: &self.definition,
        }
    }
}

/// What a route's work becomes.
#[derive(Debug, Clone)]
pub enum RouteService {
    /// The route delegates to the service at this index of
    /// [`ServicePlan::services`].
    Delegates(usize),
    /// The work stays, for this reason.
    Stays(String),
}

#[derive(Debug, Default)]
pub struct ServicePlan {
    pub services: Vec<PlannedService>,
    routes: HashMap<(String, String), RouteService>,
    /// The homes the plan creates, with their files, and the `__init__.py`
    /// of a new package for them.
    created: BTreeMap<String, (PathBuf, Option<PathBuf>)>,
    withdrawn: Vec<bool>,
}

impl ServicePlan {
    fn new(context: &PlanContext) -> Self {
        let index = context.index;
        let domains = Domains::of(index);
        let mut plan = ServicePlan::default();
        let mut modules: Vec<&ModuleSummary> = index
            .modules()
            .filter(|module| !module.route_work.is_empty() && !is_test_module(&module.name))
            .collect();
        modules.sort_by(|a, b| a.name.cmp(&b.name));
        let mut taken: HashMap<String, Vec<String>> = HashMap::default();
        // What `domain-exceptions` makes of the `HTTPException`s the work
        // raises, when it runs: the same plan it makes itself.
        let errors = (context.runs(crate::transforms::domain_exceptions::TRANSFORM.name)
            && modules.iter().any(|module| {
                module
                    .route_work
                    .iter()
                    .any(|work| !work.http_raises.is_empty())
            }))
        .then(|| crate::transforms::domain_exceptions::plan::ErrorPlan::new(context));
        for module in modules {
            let (home, alias) = home_of(index, &domains, module);
            for work in &module.route_work {
                if work
                    .ignored
                    .as_ref()
                    .is_some_and(|ignored| ignored.covers(super::TRANSFORM.name, None))
                {
                    continue;
                }
                let place = (module.name.clone(), work.route.to_string());
                if let Err(reason) = raises_domain_errors(index, errors.as_ref(), module, work) {
                    plan.routes.insert(place, RouteService::Stays(reason));
                    continue;
                }
                match plan.service_for(context, module, &home, alias.as_deref(), work, &mut taken) {
                    Ok(index) => {
                        plan.routes.insert(place, RouteService::Delegates(index));
                    }
                    Err(reason) => {
                        plan.routes.insert(place, RouteService::Stays(reason));
                    }
                }
            }
        }
        plan.withdrawn = vec![false; plan.services.len()];
        plan
    }

    fn service_for(
        &mut self,
        context: &PlanContext,
        router: &ModuleSummary,
        home: &str,
        alias: Option<&str>,
        work: &WorkSummary,
        taken: &mut HashMap<String, Vec<String>>,
    ) -> Result<usize, String> {
        let index = context.index;
        let code = work.work.as_ref().map_err(Clone::clone)?;
        if !home.contains('.') {
            return Err(
                "the route's module is not in a package: a service module needs one beside it"
                    .into(),
            );
        }
        if home == router.name {
            return Err("the route's module is its own service module".into());
        }
        let existing = index.module(home);
        if existing.is_some() && index.reaches(home, &router.name) {
            return Err(format!(
                "`{home}` imports `{}`, which would import it back",
                router.name
            ));
        }
        let name = work.route.to_string();
        if crate::python::naming::is_builtin(&name) {
            return Err(format!(
                "`{name}` would shadow Python's own `{name}` in `{home}`"
            ));
        }
        if let Some(builtin) = existing.and_then(|module| {
            module.bound_names.iter().find(|bound| {
                crate::python::naming::is_builtin(bound)
                    && crate::python::naming::mentions_identifier(&code.text, bound)
            })
        }) {
            return Err(format!(
                "`{home}` binds `{builtin}`, which the work means as Python's own"
            ));
        }
        let alias = module_alias(index, router, home, alias, work)
            .ok_or("every name for the service module is taken in the route")?;
        let bound = existing.is_some_and(|module| module.bound_names.contains(name.as_str()))
            || taken.get(home).is_some_and(|names| names.contains(&name));
        if bound {
            return Err(format!("`{name}` is taken in `{home}`"));
        }
        let mut imports = HomeImports::default();
        imports
            .add_all(index, home, code)
            .ok_or_else(|| format!("the names it uses would clash in `{home}`"))?;
        if let Some(module) = imports.imports_back(index, &router.name) {
            return Err(format!(
                "`{home}` would import `{module}`, which imports it"
            ));
        }
        if existing.is_none() && !self.created.contains_key(home) {
            let path = new_module_path(context.paths, router, home)
                .ok_or_else(|| format!("no place for `{home}` is known"))?;
            let package = home.rsplit_once('.').map(|(package, _)| package);
            // A package that exists (a namespace package among them) gets no `__init__.py`.
            let exists = |package: &str| {
                index.module(package).is_some()
                    || context.paths.keys().any(|module| {
                        module
                            .strip_prefix(package)
                            .is_some_and(|rest| rest.starts_with('.'))
                    })
            };
            let init = match package {
                Some(package) if !exists(package) => Some(
                    path.parent()
                        .ok_or("no place for the package")?
                        .join("__init__.py"),
                ),
                _ => None,
            };
            self.created.insert(home.to_string(), (path, init));
        }
        taken
            .entry(home.to_string())
            .or_default()
            .push(name.clone());
        let declarations: Vec<&str> = code
            .parameters
            .iter()
            .map(|(_, declaration)| declaration.as_str())
            .collect();
        let keyword = if work.awaited { "async def" } else { "def" };
        let one_line = format!("{keyword} {name}({}):", declarations.join(", "));
        let mut definition = if one_line.chars().count() <= 88 {
            one_line
        } else {
            let mut header = format!("{keyword} {name}(\n");
            for declaration in &declarations {
                header.push_str(&format!("    {declaration},\n"));
            }
            header.push_str("):");
            header
        };
        for line in code.text.lines() {
            definition.push('\n');
            if !line.is_empty() {
                definition.push_str("    ");
                definition.push_str(line);
            }
        }
        self.services.push(PlannedService {
            home: home.to_string(),
            name,
            arguments: code
                .parameters
                .iter()
                .map(|(name, _)| name.to_string())
                .collect(),
            awaited: work.awaited,
            returns: work.returns,
            imports: imports.symbols,
            definition,
            code: code.text.clone(),
            alias,
        });
        Ok(self.services.len() - 1)
    }

    /// What the route `route` of `module` does with its work.
    pub fn route(&self, module: &str, route: &str) -> Option<&RouteService> {
        match self.routes.get(&(module.to_string(), route.to_string()))? {
            RouteService::Delegates(index) if self.withdrawn[*index] => None,
            decision => Some(decision),
        }
    }

    /// Whether the route's work moves into a service.
    pub fn delegates(&self, module: &str, route: &str) -> bool {
        matches!(self.route(module, route), Some(RouteService::Delegates(_)))
    }

    /// The services an existing module's own run writes, in plan order.
    pub fn written_in<'p>(&'p self, module: &'p str) -> impl Iterator<Item = &'p PlannedService> {
        self.services
            .iter()
            .enumerate()
            .filter(move |(index, planned)| {
                planned.home == module
                    && !self.withdrawn[*index]
                    && !self.created.contains_key(module)
            })
            .map(|(_, planned)| planned)
    }
}

/// The name the router calls the home by: its own or the plan's alias,
/// else another, never one the route or its module binds to something
/// else. `Some(None)` for the module's own name.
fn module_alias(
    index: &ProjectIndex,
    router: &ModuleSummary,
    home: &str,
    alias: Option<&str>,
    work: &WorkSummary,
) -> Option<Option<String>> {
    let (package, module) = home.rsplit_once('.')?;
    let base = alias.unwrap_or(module).to_string();
    let candidates = [
        alias.map(str::to_string),
        Some(format!("{base}_module")),
        Some(format!(
            "{}_{base}",
            package.rsplit('.').next().unwrap_or(package)
        )),
    ];
    candidates.into_iter().find(|candidate| {
        let local = candidate.as_deref().unwrap_or(module);
        let taken_in_route = work.bound.iter().any(|bound| bound == local);
        let taken_in_module = router.bound_names.contains(local)
            && router
                .imports
                .get(local)
                .is_none_or(|qualified| index.canonical(qualified) != home);
        !taken_in_route && !taken_in_module
    })
}

/// Where a router's services live: its domain's `service.py` (or
/// `services.py`); in a layered project `services/<router>.py` of the app
/// package, imported as `<router>_service`.
fn home_of(
    index: &ProjectIndex,
    domains: &Domains,
    router: &ModuleSummary,
) -> (String, Option<String>) {
    if let Some(domain) = domains.domain_of(&router.name) {
        let services = format!("{domain}.services");
        if index
            .module(&services)
            .is_some_and(|module| !module.is_package)
        {
            return (services, None);
        }
        return (format!("{domain}.service"), None);
    }
    let (package, stem) = router
        .name
        .rsplit_once('.')
        .unwrap_or(("", router.name.as_str()));
    // A package's own router module (`admin/router.py`): its `service.py`.
    if package.is_empty() {
        return ("service".to_string(), None);
    }
    if matches!(
        stem,
        "router" | "routes" | "views" | "endpoints" | "api" | "controller"
    ) {
        return (format!("{package}.service"), None);
    }
    let last = package.rsplit('.').next().unwrap_or(package);
    let app = if matches!(
        last,
        "routers" | "routes" | "endpoints" | "api" | "views" | "controllers"
    ) {
        package.rsplit_once('.').map_or("", |(app, _)| app)
    } else {
        package
    };
    let services = if app.is_empty() {
        "services".to_string()
    } else {
        format!("{app}.services")
    };
    // A `services.py` module: the functions go there.
    if index
        .module(&services)
        .is_some_and(|module| !module.is_package)
    {
        return (services, None);
    }
    (
        format!("{services}.{stem}"),
        Some(format!("{stem}_service")),
    )
}

impl Plan for ServicePlan {
    fn concerns(&self, file: &PlanFile) -> bool {
        file.module_name.is_some_and(|module| {
            self.services.iter().any(|planned| planned.home == module)
                || self.routes.keys().any(|(routes, _)| routes == module)
        })
    }

    fn promises(&self) -> Vec<Promise> {
        self.services
            .iter()
            .enumerate()
            .filter(|(index, _)| !self.withdrawn[*index])
            .map(|(_, planned)| Promise::Defines {
                module: planned.home.clone(),
                name: planned.name.clone(),
            })
            .collect()
    }

    fn withdraw(&mut self, broken: &[Promise]) {
        for (index, planned) in self.services.iter().enumerate() {
            if broken.iter().any(|promise| {
                matches!(promise, Promise::Defines { module, name } if *module == planned.home && *name == planned.name)
            }) {
                self.withdrawn[index] = true;
            }
        }
        // A created home holds all its functions or none.
        let broken_homes: Vec<String> = self
            .services
            .iter()
            .enumerate()
            .filter(|(index, planned)| {
                self.withdrawn[*index] && self.created.contains_key(&planned.home)
            })
            .map(|(_, planned)| planned.home.clone())
            .collect();
        for (index, planned) in self.services.iter().enumerate() {
            if broken_homes.contains(&planned.home) {
                self.withdrawn[index] = true;
            }
        }
    }

    fn file_changes(&self) -> Vec<FileChange> {
        let mut changes = Vec::new();
        // Homes in one new package share its `__init__.py`.
        let mut packages: Vec<&PathBuf> = Vec::new();
        for (home, (path, init)) in &self.created {
            let services: Vec<&PlannedService> = self
                .services
                .iter()
                .enumerate()
                .filter(|(index, planned)| planned.home == *home && !self.withdrawn[*index])
                .map(|(_, planned)| planned)
                .collect();
            if services.is_empty() {
                continue;
            }
            if let Some(init) = init.as_ref().filter(|init| !packages.contains(init)) {
                packages.push(init);
                changes.push(FileChange::Create {
                    path: init.clone(),
                    contents: String::new(),
                    module: home
                        .rsplit_once('.')
                        .map(|(package, _)| package.to_string()),
                });
            }
            let moved: Vec<MovedDefinition> =
                services.iter().map(|planned| planned.moved()).collect();
            let text = new_home_text(home, &moved);
            changes.push(FileChange::Create {
                path: path.clone(),
                contents: text,
                module: Some(home.clone()),
            });
        }
        changes
    }
}

/// Whether every `HTTPException` the work raises becomes a domain
/// exception, which a service may raise: each one that `domain-exceptions`
/// (running, and planning as `errors`) rewrites, which it leaves to the
/// service's module to do.
fn raises_domain_errors(
    index: &ProjectIndex,
    errors: Option<&crate::transforms::domain_exceptions::plan::ErrorPlan>,
    router: &ModuleSummary,
    work: &WorkSummary,
) -> Result<(), String> {
    if work.http_raises.is_empty() {
        return Ok(());
    }
    let stays = |why: &str| {
        Err(format!(
            "it raises `HTTPException` inside the work{why}: raise a domain exception there (`domain-exceptions`), or take the guard as a dependency, first"
        ))
    };
    let Some(errors) = errors else {
        return stays("");
    };
    for raised in &work.http_raises {
        let (class, shape) = match raised {
            Ok(raised) => raised,
            Err(reason) => return stays(&format!(" ({reason})")),
        };
        if !(400..500).contains(&shape.status) {
            return stays(&format!(", with status {}", shape.status));
        }
        match errors.error_for(index, &router.name, class, shape) {
            Some(Ok(_)) => {}
            Some(Err(refusal)) => return stays(&format!(" that stays one ({refusal})")),
            None => return stays(""),
        }
    }
    Ok(())
}
