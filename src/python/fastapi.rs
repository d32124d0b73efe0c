//! What a file says about FastAPI, computed once and shared by every
//! transform: which local names mean FastAPI's parameter functions, which
//! names are apps and routers, which functions are routes and which are
//! dependencies.
//!
//! Name resolution follows imports rather than spelling: `from fastapi import
//! Depends as D`, `import fastapi as f` then `f.Depends`, and
//! `from fastapi.params import Depends` all resolve to the same function,
//! while a `Depends` defined by another library does not.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ModModule, Stmt, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange};

/// FastAPI's functions that declare where a parameter's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamFunction {
    Depends,
    Security,
    Query,
    Path,
    Body,
    Header,
    Cookie,
    Form,
    File,
}

impl ParamFunction {
    const ALL: [ParamFunction; 9] = [
        ParamFunction::Depends,
        ParamFunction::Security,
        ParamFunction::Query,
        ParamFunction::Path,
        ParamFunction::Body,
        ParamFunction::Header,
        ParamFunction::Cookie,
        ParamFunction::Form,
        ParamFunction::File,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ParamFunction::Depends => "Depends",
            ParamFunction::Security => "Security",
            ParamFunction::Query => "Query",
            ParamFunction::Path => "Path",
            ParamFunction::Body => "Body",
            ParamFunction::Header => "Header",
            ParamFunction::Cookie => "Cookie",
            ParamFunction::Form => "Form",
            ParamFunction::File => "File",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|function| function.name() == name)
    }

    /// Whether the function injects a dependency (its first argument is the
    /// dependency) rather than reading a request value (its first argument
    /// is the default).
    pub fn is_dependency(self) -> bool {
        matches!(self, ParamFunction::Depends | ParamFunction::Security)
    }
}

/// The modules FastAPI exports its parameter functions from.
const PARAM_FUNCTION_MODULES: [&str; 3] = ["fastapi", "fastapi.param_functions", "fastapi.params"];

/// Qualified names of the classes whose instances carry routes.
const ROUTER_CLASSES: [&str; 5] = [
    "fastapi.FastAPI",
    "fastapi.applications.FastAPI",
    "fastapi.APIRouter",
    "fastapi.routing.APIRouter",
    "starlette.routing.Router",
];

/// Decorator methods of apps and routers that register a route.
const ROUTE_METHODS: [&str; 10] = [
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "options",
    "head",
    "trace",
    "api_route",
    "websocket",
];

/// Local names bound by imports, mapped to what they import.
#[derive(Debug, Default, Clone)]
pub struct ImportBindings {
    names: HashMap<String, String>,
    /// What they import → the local names bound to it, sorted.
    /// Built on the first question: only files that gain imports ask.
    locals: std::sync::OnceLock<HashMap<String, Vec<String>>>,
}

impl ImportBindings {
    /// Whether some import binds `module` or a name from it (`import os`,
    /// `from os import getenv`).
    pub fn imports_from(&self, module: &str) -> bool {
        self.names.values().any(|qualified| {
            qualified == module
                || qualified
                    .strip_prefix(module)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    /// The dotted name an expression refers to through imports, e.g.
    /// `f.Depends` → `fastapi.Depends` after `import fastapi as f`.
    pub fn qualified_name(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(name) => self.names.get(name.id.as_str()).cloned(),
            Expr::Attribute(attribute) => {
                let base = self.qualified_name(&attribute.value)?;
                Some(dotted(base, attribute.attr.id.as_str()))
            }
            _ => None,
        }
    }

    /// The local name bound to a qualified name, if any (`Annotated` for
    /// `typing.Annotated` after `from typing import Annotated`).
    pub fn local_name_of(&self, qualified: &str) -> Option<&str> {
        self.locals
            .get_or_init(|| self.index_targets())
            .get(qualified)
            .and_then(|locals| locals.first())
            .map(String::as_str)
    }

    /// Builds the map from what is imported to local names, once every
    /// binding is known.
    fn index_targets(&self) -> HashMap<String, Vec<String>> {
        let mut locals: HashMap<String, Vec<String>> = HashMap::default();
        for (local, target) in &self.names {
            locals
                .entry(target.clone())
                .or_default()
                .push(local.clone());
        }
        for names in locals.values_mut() {
            names.sort_unstable();
        }
        locals
    }

    /// Every binding: local name and what it imports (relative imports keep their dots).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.names
            .iter()
            .map(|(local, target)| (local.as_str(), target.as_str()))
    }

    /// What a local name imports, if an import binds it.
    pub fn target_of(&self, local: &str) -> Option<&str> {
        self.names.get(local).map(String::as_str)
    }

    /// Whether a local name is bound by an import.
    pub fn is_bound(&self, local: &str) -> bool {
        self.names.contains_key(local)
    }

    fn bind(&mut self, local: &str, target: String) {
        self.names.insert(local.to_string(), target);
    }
}

/// What a module-level assignment binds a name to.
#[derive(Debug, Clone, Copy)]
pub struct ModuleValue<'a> {
    /// `name: T = …`
    pub annotation: Option<&'a Expr>,
    pub value: Option<&'a Expr>,
}

/// A route handler: a function decorated with a route method of an app or
/// router.
#[derive(Debug, Clone)]
pub struct Route<'a> {
    pub function: &'a StmtFunctionDef,
    /// The app or router expression the route is registered on, as written.
    pub router: String,
    /// `get`, `post`, … `api_route`, `websocket`.
    pub method: String,
    /// The decorator call that registers the route.
    pub decorator: &'a ast::ExprCall,
}

/// Everything transforms need to know about FastAPI in one file.
#[derive(Debug)]
pub struct FastApiFacts<'a> {
    pub imports: ImportBindings,
    /// Names bound (anywhere in the file) to an app or router.
    pub routers: HashSet<String>,
    pub routes: Vec<Route<'a>>,
    /// Every function definition in the file, in source order.
    pub functions: Vec<&'a StmtFunctionDef>,
    /// Functions and classes defined at module level, by name.
    pub module_functions: HashMap<String, &'a StmtFunctionDef>,
    pub module_classes: HashMap<String, &'a ast::StmtClassDef>,
    /// Names assigned at module level (`oauth2_scheme = OAuth2PasswordBearer(...)`).
    pub module_assignments: HashSet<String>,
    /// What module-level assignments bind: the last annotation and value of each name.
    pub module_values: HashMap<String, ModuleValue<'a>>,
    /// Every class definition in the file, in source order.
    pub classes: Vec<&'a ast::StmtClassDef>,
    /// Names (as written, e.g. `get_db` or `deps.get_db`) passed to
    /// `Depends`/`Security` anywhere in the file.
    pub dependency_names: HashSet<String>,
    /// Every call made through a name or attribute chain (`f(…)`, `a.b.f(…)`),
    /// in source order (by start).
    pub calls: Vec<&'a ast::ExprCall>,
    /// Names imported only under `if TYPE_CHECKING:`, which do not exist
    /// when the module runs.
    pub type_checking_names: HashSet<String>,
    /// Names module-level imports bind when the module runs (not those
    /// imported inside functions, nor under `TYPE_CHECKING`): what code at
    /// module level, such as a decorator, may use.
    pub runtime_import_names: HashSet<String>,
}

impl<'a> FastApiFacts<'a> {
    pub fn new(module: &'a ModModule) -> Self {
        let mut collector = Collector::default();
        collector.visit_body(&module.body);

        let mut imports = ImportBindings::default();
        for import in &collector.imports {
            bind_import(&mut imports, import);
        }

        let mut module_functions = HashMap::default();
        let mut module_classes = HashMap::default();
        let mut module_assignments = HashSet::default();
        let mut module_values: HashMap<String, ModuleValue<'a>> = HashMap::default();
        for stmt in &module.body {
            match stmt {
                Stmt::FunctionDef(function) => {
                    imports.names.remove(function.name.id.as_str());
                    module_functions.insert(function.name.id.to_string(), function);
                }
                Stmt::ClassDef(class) => {
                    imports.names.remove(class.name.id.as_str());
                    module_classes.insert(class.name.id.to_string(), class);
                }
                Stmt::Assign(assign) => {
                    for target in &assign.targets {
                        if let Expr::Name(name) = target {
                            module_assignments.insert(name.id.to_string());
                            module_values.insert(
                                name.id.to_string(),
                                ModuleValue {
                                    annotation: None,
                                    value: Some(&assign.value),
                                },
                            );
                        }
                    }
                }
                Stmt::AnnAssign(assign) => {
                    if let Expr::Name(name) = assign.target.as_ref() {
                        module_assignments.insert(name.id.to_string());
                        module_values.insert(
                            name.id.to_string(),
                            ModuleValue {
                                annotation: Some(&assign.annotation),
                                value: assign.value.as_deref(),
                            },
                        );
                    }
                }
                _ => {}
            }
        }

        let mut facts = FastApiFacts {
            imports,
            routers: HashSet::default(),
            routes: Vec::new(),
            functions: collector.functions,
            module_functions,
            module_classes,
            module_assignments,
            module_values,
            classes: std::mem::take(&mut collector.classes),
            dependency_names: HashSet::default(),
            calls: std::mem::take(&mut collector.named_calls),
            type_checking_names: HashSet::default(),
            runtime_import_names: HashSet::default(),
        };
        let mut runtime = HashSet::default();
        let mut type_checking = HashSet::default();
        module_import_names(
            &module.body,
            &facts.imports,
            &mut runtime,
            &mut type_checking,
            false,
        );
        type_checking.retain(|name| !runtime.contains(name));
        facts.runtime_import_names = runtime;
        facts.type_checking_names = type_checking;

        let router_classes = facts.router_classes(&facts.classes);
        for (target, value) in &collector.assignments {
            if facts.is_router_constructor(value, &router_classes) {
                facts.routers.insert(target.to_string());
            }
        }
        for (target, annotation) in &collector.annotated_names {
            if facts.is_router_class_expr(annotation, &router_classes) {
                facts.routers.insert(target.to_string());
            }
        }
        // A name decorated like a router (`@router.get("/path")`) is one when
        // it is imported (routers are commonly created in one module and used
        // in another) or built from an imported class (a router subclass
        // defined in another module: `router = UserAPIRouter(prefix=…)`).
        let built_from_imported: HashSet<&str> = collector
            .assignments
            .iter()
            .filter(|(_, value)| match value {
                Expr::Call(call) => facts
                    .imports
                    .qualified_name(&call.func)
                    .is_some_and(|name| {
                        name.rsplit('.')
                            .next()
                            .is_some_and(|last| last.starts_with(char::is_uppercase))
                    }),
                _ => false,
            })
            .map(|(target, _)| *target)
            .collect();
        for function in &facts.functions {
            for decorator in &function.decorator_list {
                if let Some((Expr::Name(base), _)) = route_decorator_parts(&decorator.expression)
                    && (facts.imports.is_bound(base.id.as_str())
                        || built_from_imported.contains(base.id.as_str()))
                    && decorator_has_path(&decorator.expression)
                {
                    facts.routers.insert(base.id.to_string());
                }
            }
        }

        let mut routes = Vec::new();
        for &function in &facts.functions {
            for decorator in &function.decorator_list {
                let Some((base, method)) = route_decorator_parts(&decorator.expression) else {
                    continue;
                };
                let router_text = dotted_text(base);
                let is_router = match base {
                    Expr::Name(name) => facts.routers.contains(name.id.as_str()),
                    _ => router_text
                        .as_deref()
                        .is_some_and(|text| facts.routers.contains(text)),
                };
                if is_router && let Expr::Call(call) = &decorator.expression {
                    routes.push(Route {
                        function,
                        router: router_text.unwrap_or_default(),
                        method: method.to_string(),
                        decorator: call,
                    });
                }
            }
        }
        facts.routes = routes;

        for call in &collector.calls {
            if facts
                .param_function(&call.func)
                .is_some_and(ParamFunction::is_dependency)
                && let Some(dependency) = call.arguments.find_argument_value("dependency", 0)
                && let Some(text) = dotted_text(dependency)
            {
                facts.dependency_names.insert(text);
            }
        }
        facts
    }

    /// Which FastAPI parameter function `func` (the callee of a call) is.
    pub fn param_function(&self, func: &Expr) -> Option<ParamFunction> {
        let qualified = self.imports.qualified_name(func)?;
        let (module, name) = qualified.rsplit_once('.')?;
        if !PARAM_FUNCTION_MODULES.contains(&module) {
            return None;
        }
        ParamFunction::from_name(name)
    }

    /// The FastAPI parameter function called by `expr`, with the call.
    pub fn param_call<'e>(&self, expr: &'e Expr) -> Option<(ParamFunction, &'e ast::ExprCall)> {
        let Expr::Call(call) = expr else { return None };
        Some((self.param_function(&call.func)?, call))
    }

    /// Whether an expression resolves to the qualified name given.
    pub fn resolves_to(&self, expr: &Expr, qualified: &str) -> bool {
        self.imports
            .qualified_name(expr)
            .is_some_and(|name| name == qualified)
    }

    /// Whether an annotation is `Annotated[...]` from `typing` or `typing_extensions`.
    pub fn is_annotated(&self, expr: &Expr) -> bool {
        let Expr::Subscript(subscript) = expr else {
            return false;
        };
        self.resolves_to(&subscript.value, "typing.Annotated")
            || self.resolves_to(&subscript.value, "typing_extensions.Annotated")
    }

    /// Whether FastAPI fills a route parameter from the request body: an
    /// annotated parameter without a default, or with `Body(...)`.
    pub fn is_body_parameter(&self, parameter: &ast::ParameterWithDefault) -> bool {
        let Some(annotation) = parameter.parameter.annotation.as_deref() else {
            return false;
        };
        let is_body = |expr: &Expr| {
            self.param_call(expr)
                .map(|(function, _)| function == ParamFunction::Body)
        };
        // `Annotated[User, Body()]`, `Annotated[User, Depends(f)]`.
        if self.is_annotated(annotation)
            && let Expr::Subscript(subscript) = annotation
            && let Expr::Tuple(tuple) = subscript.slice.as_ref()
            && let Some(kind) = tuple.elts.iter().skip(1).find_map(is_body)
        {
            return kind;
        }
        match parameter.default.as_deref() {
            None => true,
            Some(default) => is_body(default).unwrap_or(false),
        }
    }

    /// Calls in this file whose callee is named `name`: `name(…)` or `x.name(…)`.
    pub fn calls_to<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a ast::ExprCall> + 's {
        self.calls
            .iter()
            .copied()
            .filter(move |call| match call.func.as_ref() {
                Expr::Name(callee) => callee.id.as_str() == name,
                Expr::Attribute(attribute) => attribute.attr.id.as_str() == name,
                _ => false,
            })
    }

    /// The route registered by a function, if it is a route handler.
    pub fn route_of(&self, function: &StmtFunctionDef) -> Option<&Route<'a>> {
        self.routes
            .iter()
            .find(|route| std::ptr::eq(route.function, function))
    }

    /// Whether a module-level function is used as a dependency in this file.
    pub fn is_dependency(&self, function: &StmtFunctionDef) -> bool {
        self.dependency_names.contains(function.name.id.as_str())
    }

    /// Local classes that derive, directly or through other local classes,
    /// from FastAPI's app or router classes.
    fn router_classes(&self, classes: &[&ast::StmtClassDef]) -> HashSet<String> {
        let mut found: HashSet<String> = HashSet::default();
        loop {
            let before = found.len();
            for class in classes {
                let derives = class.bases().iter().any(|base| {
                    self.is_known_router_class(base)
                        || matches!(base, Expr::Name(name) if found.contains(name.id.as_str()))
                });
                if derives {
                    found.insert(class.name.id.to_string());
                }
            }
            if found.len() == before {
                return found;
            }
        }
    }

    fn is_known_router_class(&self, expr: &Expr) -> bool {
        self.imports
            .qualified_name(expr)
            .is_some_and(|name| ROUTER_CLASSES.contains(&name.as_str()))
    }

    fn is_router_class_expr(&self, expr: &Expr, local_classes: &HashSet<String>) -> bool {
        self.is_known_router_class(expr)
            || matches!(expr, Expr::Name(name) if local_classes.contains(name.id.as_str()))
    }

    fn is_router_constructor(&self, expr: &Expr, local_classes: &HashSet<String>) -> bool {
        matches!(expr, Expr::Call(call) if self.is_router_class_expr(&call.func, local_classes))
    }
}

/// Local names bound by module-level imports, split into those that exist
/// when the module runs (at top level, or in module-level `if` / `try`
/// blocks) and those bound only under `if TYPE_CHECKING:` (also spelled
/// `typing.TYPE_CHECKING` or an alias of it). Imports inside functions and
/// classes are in neither.
fn module_import_names(
    body: &[Stmt],
    imports: &ImportBindings,
    runtime: &mut HashSet<String>,
    type_checking: &mut HashSet<String>,
    under_type_checking: bool,
) {
    for stmt in body {
        match stmt {
            Stmt::Import(ast::StmtImport { names, .. })
            | Stmt::ImportFrom(ast::StmtImportFrom { names, .. }) => {
                for alias in names {
                    let local = alias.asname.as_ref().unwrap_or(&alias.name);
                    let local = local.id.as_str();
                    let local = local.split('.').next().unwrap_or(local).to_string();
                    if under_type_checking {
                        type_checking.insert(local);
                    } else {
                        runtime.insert(local);
                    }
                }
            }
            Stmt::If(branch) => {
                let is_type_checking = imports
                    .qualified_name(&branch.test)
                    .is_some_and(|name| name.ends_with("TYPE_CHECKING"))
                    || dotted_text(&branch.test).is_some_and(|text| {
                        text == "TYPE_CHECKING" || text.ends_with(".TYPE_CHECKING")
                    });
                module_import_names(
                    &branch.body,
                    imports,
                    runtime,
                    type_checking,
                    under_type_checking || is_type_checking,
                );
                for clause in &branch.elif_else_clauses {
                    module_import_names(
                        &clause.body,
                        imports,
                        runtime,
                        type_checking,
                        under_type_checking,
                    );
                }
            }
            Stmt::Try(block) => {
                for part in [&block.body, &block.orelse, &block.finalbody] {
                    module_import_names(part, imports, runtime, type_checking, under_type_checking);
                }
                for handler in &block.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    module_import_names(
                        &handler.body,
                        imports,
                        runtime,
                        type_checking,
                        under_type_checking,
                    );
                }
            }
            _ => {}
        }
    }
}

/// The modules a module's top-level imports name, absolute (`from .deps
/// import x` in `app.api.users` names `app.api.deps`, and `app.api.deps.x`
/// in case `x` is a module).
pub fn imported_modules(module: &ModModule, name: &str, is_package: bool) -> Vec<String> {
    let mut found = Vec::new();
    for stmt in &module.body {
        match stmt {
            Stmt::Import(import) => {
                found.extend(import.names.iter().map(|alias| alias.name.id.to_string()));
            }
            Stmt::ImportFrom(import) => {
                let from = import.module.as_ref().map(|module| module.id.as_str());
                let base = if import.level > 0 {
                    resolve_relative(name, is_package, import.level, from)
                } else {
                    from.map(str::to_string)
                };
                if let Some(base) = base {
                    for alias in &import.names {
                        found.push(dotted(base.clone(), alias.name.id.as_str()));
                    }
                    found.push(base);
                }
            }
            _ => {}
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Whether a module binds `name` at module level (see [`module_bound_names`]).
pub fn binds_at_module_level(body: &[Stmt], name: &str) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::FunctionDef(function) => function.name.id == name,
        Stmt::ClassDef(class) => class.name.id == name,
        Stmt::Assign(assign) => assign
            .targets
            .iter()
            .any(|target| matches!(target, Expr::Name(target) if target.id == name)),
        Stmt::AnnAssign(assign) => {
            matches!(assign.target.as_ref(), Expr::Name(target) if target.id == name)
        }
        Stmt::TypeAlias(alias) => {
            matches!(alias.name.as_ref(), Expr::Name(target) if target.id == name)
        }
        Stmt::Import(ast::StmtImport { names, .. })
        | Stmt::ImportFrom(ast::StmtImportFrom { names, .. }) => names.iter().any(|alias| {
            let local = alias.asname.as_ref().unwrap_or(&alias.name).id.as_str();
            local.split('.').next() == Some(name)
        }),
        Stmt::If(branch) => {
            binds_at_module_level(&branch.body, name)
                || branch
                    .elif_else_clauses
                    .iter()
                    .any(|clause| binds_at_module_level(&clause.body, name))
        }
        Stmt::Try(block) => {
            [&block.body, &block.orelse, &block.finalbody]
                .iter()
                .any(|part| binds_at_module_level(part, name))
                || block.handlers.iter().any(|handler| {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    binds_at_module_level(&handler.body, name)
                })
        }
        _ => false,
    })
}

/// Every name a module binds at module level: functions, classes,
/// assignment and annotation targets, type aliases and imports, including
/// those inside module-level `if` / `try` blocks.
pub fn module_bound_names(module: &ModModule) -> Vec<String> {
    fn collect(body: &[Stmt], names: &mut Vec<String>) {
        for stmt in body {
            match stmt {
                Stmt::FunctionDef(function) => names.push(function.name.id.to_string()),
                Stmt::ClassDef(class) => names.push(class.name.id.to_string()),
                Stmt::Assign(assign) => {
                    for target in &assign.targets {
                        if let Expr::Name(name) = target {
                            names.push(name.id.to_string());
                        }
                    }
                }
                Stmt::AnnAssign(assign) => {
                    if let Expr::Name(name) = assign.target.as_ref() {
                        names.push(name.id.to_string());
                    }
                }
                Stmt::TypeAlias(alias) => {
                    if let Expr::Name(name) = alias.name.as_ref() {
                        names.push(name.id.to_string());
                    }
                }
                Stmt::Import(ast::StmtImport { names: aliases, .. })
                | Stmt::ImportFrom(ast::StmtImportFrom { names: aliases, .. }) => {
                    for alias in aliases {
                        let local = alias.asname.as_ref().unwrap_or(&alias.name).id.as_str();
                        names.push(local.split('.').next().unwrap_or(local).to_string());
                    }
                }
                Stmt::If(branch) => {
                    collect(&branch.body, names);
                    for clause in &branch.elif_else_clauses {
                        collect(&clause.body, names);
                    }
                }
                Stmt::Try(block) => {
                    for part in [&block.body, &block.orelse, &block.finalbody] {
                        collect(part, names);
                    }
                    for handler in &block.handlers {
                        let ast::ExceptHandler::ExceptHandler(handler) = handler;
                        collect(&handler.body, names);
                    }
                }
                _ => {}
            }
        }
    }
    let mut names = Vec::new();
    collect(&module.body, &mut names);
    names.sort_unstable();
    names.dedup();
    names
}

/// `(router expression, method)` for a decorator shaped like `@x.get(...)`.
fn route_decorator_parts(decorator: &Expr) -> Option<(&Expr, &str)> {
    let Expr::Call(call) = decorator else {
        return None;
    };
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return None;
    };
    let method = attribute.attr.id.as_str();
    ROUTE_METHODS
        .contains(&method)
        .then_some((attribute.value.as_ref(), method))
}

/// Whether a route decorator call passes a path: a string first argument or `path=`.
fn decorator_has_path(decorator: &Expr) -> bool {
    let Expr::Call(call) = decorator else {
        return false;
    };
    matches!(
        call.arguments.find_argument_value("path", 0),
        Some(Expr::StringLiteral(_))
    )
}

/// `T` for `Generator[T, …]`, `Iterator[T]`, `AsyncGenerator[T, …]`,
/// `AsyncIterator[T]` (from `typing` or `collections.abc`); `None` for those
/// without a subscript, which say nothing of `T`; else the annotation.
pub fn yielded_type<'e>(facts: &FastApiFacts, returns: &'e Expr) -> Option<&'e Expr> {
    let (base, slice) = match returns {
        Expr::Subscript(subscript) => (subscript.value.as_ref(), Some(subscript.slice.as_ref())),
        other => (other, None),
    };
    let is_generator = facts
        .imports
        .qualified_name(base)
        .and_then(|qualified| {
            let (module, name) = qualified.rsplit_once('.')?;
            Some(
                matches!(module, "typing" | "typing_extensions" | "collections.abc")
                    && matches!(
                        name,
                        "Generator"
                            | "Iterator"
                            | "AsyncGenerator"
                            | "AsyncIterator"
                            | "Iterable"
                            | "AsyncIterable"
                    ),
            )
        })
        .unwrap_or(false);
    if !is_generator {
        return Some(returns);
    }
    match slice? {
        Expr::Tuple(tuple) => tuple.elts.first(),
        single => Some(single),
    }
}

/// The qualified name of a plain name or attribute chain in this module:
/// through its imports, or a name defined here.
pub fn qualified_in(
    facts: &FastApiFacts,
    module: &str,
    is_package: bool,
    expr: &Expr,
) -> Option<String> {
    // Most names are locals and builtins: decide from the chain's first
    // name before building any text.
    let first = root_name(expr)?;
    if facts.imports.is_bound(first) {
        let qualified = facts.imports.qualified_name(expr)?;
        let dots = qualified.len() - qualified.trim_start_matches('.').len();
        if dots == 0 {
            return Some(qualified);
        }
        return resolve_relative(module, is_package, dots as u32, Some(&qualified[dots..]));
    }
    if facts.module_functions.contains_key(first)
        || facts.module_classes.contains_key(first)
        || facts.module_assignments.contains(first)
    {
        return Some(dotted(module.to_string(), &dotted_text(expr)?));
    }
    None
}

/// The first name of a name or an attribute chain of names (`a` for `a.b.c`).
fn root_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => root_name(&attribute.value),
        _ => None,
    }
}

/// The absolute module a relative import refers to, from module `module`
/// (`is_package` for an `__init__.py`).
pub fn resolve_relative(
    module: &str,
    is_package: bool,
    level: u32,
    target: Option<&str>,
) -> Option<String> {
    let mut parts: Vec<&str> = module.split('.').collect();
    if !is_package {
        parts.pop();
    }
    for _ in 1..level {
        parts.pop()?;
    }
    let mut base = parts.join(".");
    if let Some(target) = target.filter(|target| !target.is_empty()) {
        if !base.is_empty() {
            base.push('.');
        }
        base.push_str(target);
    }
    Some(base)
}

/// `base.name`, built without the formatting machinery: names are
/// joined this way for every import and call.
fn dotted(mut base: String, name: &str) -> String {
    base.reserve(name.len() + 1);
    base.push('.');
    base.push_str(name);
    base
}

/// `a.b.c` for a name or an attribute chain of names.
pub fn dotted_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attribute) => Some(dotted(
            dotted_text(&attribute.value)?,
            attribute.attr.id.as_str(),
        )),
        _ => None,
    }
}

fn bind_import(bindings: &mut ImportBindings, stmt: &Stmt) {
    match stmt {
        Stmt::Import(import) => {
            for alias in &import.names {
                let module = alias.name.id.as_str();
                match &alias.asname {
                    Some(asname) => bindings.bind(asname.id.as_str(), module.to_string()),
                    None => {
                        let top = module.split('.').next().unwrap_or(module);
                        bindings.bind(top, top.to_string());
                    }
                }
            }
        }
        Stmt::ImportFrom(import) => {
            let module = import
                .module
                .as_ref()
                .map(|module| module.id.as_str())
                .unwrap_or("");
            let mut prefix = ".".repeat(import.level as usize);
            prefix.push_str(module);
            for alias in &import.names {
                let name = alias.name.id.as_str();
                if name == "*" {
                    continue;
                }
                let local = alias
                    .asname
                    .as_ref()
                    .map_or(name, |asname| asname.id.as_str());
                let target = if prefix.ends_with('.') {
                    let mut target = String::with_capacity(prefix.len() + name.len());
                    target.push_str(&prefix);
                    target.push_str(name);
                    target
                } else {
                    dotted(prefix.clone(), name)
                };
                bindings.bind(local, target);
            }
        }
        _ => {}
    }
}

/// One walk over the file that gathers what the facts are computed from.
#[derive(Default)]
struct Collector<'a> {
    imports: Vec<&'a Stmt>,
    functions: Vec<&'a StmtFunctionDef>,
    classes: Vec<&'a ast::StmtClassDef>,
    /// `name = <call>` assignments, anywhere.
    assignments: Vec<(&'a str, &'a Expr)>,
    /// `name: <annotation> = …` declarations, anywhere.
    annotated_names: Vec<(&'a str, &'a Expr)>,
    /// Calls that may be `Depends`/`Security` (filtered by spelling; resolved later).
    calls: Vec<&'a ast::ExprCall>,
    /// Every call through a name or attribute chain.
    named_calls: Vec<&'a ast::ExprCall>,
}

impl<'a> Visitor<'a> for Collector<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(_) | Stmt::ImportFrom(_) => self.imports.push(stmt),
            Stmt::FunctionDef(function) => self.functions.push(function),
            Stmt::ClassDef(class) => self.classes.push(class),
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    if let Expr::Name(name) = target {
                        self.assignments.push((name.id.as_str(), &assign.value));
                    }
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Expr::Name(name) = assign.target.as_ref() {
                    self.annotated_names
                        .push((name.id.as_str(), &assign.annotation));
                    if let Some(value) = &assign.value {
                        self.assignments.push((name.id.as_str(), value));
                    }
                }
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            if matches!(call.func.as_ref(), Expr::Name(_) | Expr::Attribute(_)) {
                self.named_calls.push(call);
            }
            let last_segment = match call.func.as_ref() {
                Expr::Name(name) => Some(name.id.as_str()),
                Expr::Attribute(attribute) => Some(attribute.attr.id.as_str()),
                _ => None,
            };
            if matches!(last_segment, Some("Depends" | "Security")) {
                self.calls.push(call);
            }
        }
        visitor::walk_expr(self, expr);
    }
}

/// The range of a function's header, from `def`/`async def` to the colon
/// (decorators excluded), for reporting.
pub fn function_header_range(function: &StmtFunctionDef) -> TextRange {
    let end = function
        .returns
        .as_ref()
        .map_or(function.parameters.end(), |returns| returns.end());
    TextRange::new(function.name.start(), end)
}

#[cfg(test)]
mod tests {
    use ruff_python_parser::parse_module;

    use super::*;

    fn with_facts(source: &str, check: impl FnOnce(&FastApiFacts)) {
        let parsed = parse_module(source).expect("test source parses");
        let facts = FastApiFacts::new(parsed.syntax());
        check(&facts);
    }

    fn default_of(function: &StmtFunctionDef, index: usize) -> &Expr {
        function.parameters.args[index]
            .default
            .as_deref()
            .expect("parameter has a default")
    }

    #[test]
    fn relative_imports() {
        assert_eq!(
            resolve_relative("app.api.users", false, 1, Some("deps")).as_deref(),
            Some("app.api.deps")
        );
        assert_eq!(
            resolve_relative("app.api", true, 1, Some("deps")).as_deref(),
            Some("app.api.deps")
        );
        assert_eq!(
            resolve_relative("app.api.users", false, 2, None).as_deref(),
            Some("app")
        );
        assert_eq!(resolve_relative("app", false, 3, None), None);
    }

    #[test]
    fn resolves_param_functions_through_any_import_style() {
        let source = "\
from fastapi import Depends as D, Query
import fastapi as f
import fastapi.params
from fastapi.params import Header

def endpoint(a=D(x), b=Query(None), c=f.Security(y), d=fastapi.params.Body(), e=Header(None)): ...
";
        with_facts(source, |facts| {
            let function = facts.functions[0];
            let found: Vec<_> = (0..5)
                .map(|index| {
                    facts
                        .param_call(default_of(function, index))
                        .map(|(kind, _)| kind)
                })
                .collect();
            assert_eq!(
                found,
                [
                    Some(ParamFunction::Depends),
                    Some(ParamFunction::Query),
                    Some(ParamFunction::Security),
                    Some(ParamFunction::Body),
                    Some(ParamFunction::Header),
                ]
            );
        });
    }

    #[test]
    fn a_depends_from_another_library_is_not_fastapis() {
        let source = "\
from injector import Depends
from graphene import Query

def endpoint(a=Depends(x), b=Query(None)): ...
";
        with_facts(source, |facts| {
            let function = facts.functions[0];
            assert!(facts.param_call(default_of(function, 0)).is_none());
            assert!(facts.param_call(default_of(function, 1)).is_none());
        });
    }

    #[test]
    fn finds_routes_on_apps_routers_custom_routers_and_imported_routers() {
        let source = "\
from fastapi import APIRouter, FastAPI
from app.routers import router
import fastapi

app = FastAPI()
api: APIRouter = make_router()
v1 = fastapi.APIRouter(prefix='/v1')

class VersionedRouter(APIRouter): ...

custom = VersionedRouter()

@app.get('/a')
def a(): ...

@api.post('/b')
async def b(): ...

@v1.api_route('/c', methods=['GET'])
def c(): ...

@custom.websocket('/d')
async def d(): ...

@router.delete('/e')
def e(): ...

from app.routing import UserAPIRouter
users = UserAPIRouter(prefix='/users')

@users.get('/f')
def f(): ...

@cache.get('key')
def not_a_route(): ...
";
        with_facts(source, |facts| {
            let names: Vec<_> = facts
                .routes
                .iter()
                .map(|route| {
                    format!(
                        "{}:{}.{}",
                        route.function.name.id, route.router, route.method
                    )
                })
                .collect();
            assert_eq!(
                names,
                [
                    "a:app.get",
                    "b:api.post",
                    "c:v1.api_route",
                    "d:custom.websocket",
                    "e:router.delete",
                    "f:users.get"
                ]
            );
        });
    }

    #[test]
    fn records_dependencies() {
        let source = "\
from fastapi import Depends, Security
from app import deps

def get_db(): ...

def route(db=Depends(get_db), user=Security(deps.get_user, scopes=['me'])): ...
";
        with_facts(source, |facts| {
            assert!(facts.is_dependency(facts.module_functions["get_db"]));
            assert!(facts.dependency_names.contains("deps.get_user"));
            assert!(!facts.is_dependency(facts.module_functions["route"]));
        });
    }
}
