//! The project index: what every module defines and imports, built in a
//! first parallel pass so that transforms can see across files.
//!
//! A [`ModuleSummary`] holds owned facts only (names, qualified names, short
//! texts), never a syntax tree, so memory stays proportional to the
//! summaries while the second pass parses files one at a time.

use std::collections::VecDeque;

use compact_str::CompactString;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::ModModule;
use ruff_python_ast::token::Tokens;
use ruff_python_ast::{self as ast, Expr, ParameterWithDefault, Stmt};
use ruff_python_parser::{Parsed, parse_module};
use ruff_text_size::Ranged;

use crate::python::fastapi::{
    FastApiFacts, ParamFunction, dotted_text, qualified_in, resolve_relative,
};
use crate::python::http_errors::{
    ErrorClass, ErrorShape, class_error_shape, raise_statements, raised_error,
};
use crate::python::suppression::Suppressions;
use crate::python::types::{TypeScope, TypeShape, shape_of};
use crate::text::source::SourceFile;

/// Marks a type to infer from the dependency named after it.
const INFERRED_TYPE: &str = "?infer:";

/// Types an alias is not worth making for.
pub const UNINFORMATIVE_TYPES: [&str; 3] = ["typing.Any", "typing_extensions.Any", "Any"];

/// A module-level function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSummary {
    pub name: CompactString,
    /// The return annotation as written, if any.
    pub returns: Option<CompactString>,
    /// The type a dependency provides: the yielded type of a generator's
    /// annotation, else the return annotation.
    pub provides: Option<CompactString>,
    /// `provides` resolved to a qualified name, when it is a plain name.
    pub provides_qualified: Option<CompactString>,
    pub is_async: bool,
    /// Whether its body yields (a generator dependency).
    pub is_generator: bool,
    /// Parameters: name and annotation as written.
    pub parameters: Vec<(CompactString, Option<CompactString>)>,
    /// The shape of the return annotation, names qualified in its module.
    pub returns_shape: Option<TypeShape>,
    /// For a plain `def`: the first call in its own body that blocks
    /// (`Session.query`, `requests.get`), as messages name it.
    pub blocks: Option<String>,
}

/// What kind of class a module defines, as far as FastAPI code cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassKind {
    /// A Pydantic model (a `BaseModel` subclass, or SQLModel without `table=True`).
    PydanticModel,
    /// An ORM table: SQLAlchemy declarative or SQLModel with `table=True`.
    OrmModel,
    /// Derives from other project classes or anything else.
    Plain,
}

/// A module-level class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSummary {
    pub name: CompactString,
    /// Base classes, qualified where they resolve, else as written.
    pub bases: Vec<CompactString>,
    pub kind: ClassKind,
    /// Annotated fields: name, annotation, default, as written.
    pub fields: Vec<(CompactString, CompactString, Option<CompactString>)>,
    /// The type arguments each base is subscripted with
    /// (`CRUDBase[User, UserCreate]`), parallel to `bases`.
    pub base_arguments: Vec<Vec<TypeShape>>,
    /// Type variables it declares (`Generic[ModelType]`, `class C[T]`).
    pub type_parameters: Vec<String>,
    /// Methods, with return shapes in terms of `type_parameters`.
    pub methods: Vec<FunctionSummary>,
    /// Declared with `table=True` (SQLModel's mark of a table).
    pub table: bool,
    /// Whether its own configuration reads attributes
    /// (`from_attributes=True`, `orm_mode = True`).
    pub from_attributes: bool,
    /// For a class whose `__init__` only passes a fixed error to its HTTP
    /// exception base: what it sends, and its parameters' names.
    pub http_error: Option<ErrorClass>,
    /// How it reads its environment, when it is a `BaseSettings`.
    pub settings_config: crate::python::app_settings::SettingsConfig,
}

impl ClassSummary {
    pub fn method(&self, name: &str) -> Option<&FunctionSummary> {
        self.methods.iter().find(|method| method.name == name)
    }
}

/// `X = Annotated[T, Depends(f, …)]` (or `X: TypeAlias = …`, `type X = …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasSummary {
    pub name: String,
    pub key: DependencyKey,
}

/// What a dependency parameter means: the same key, the same value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DependencyKey {
    /// `Depends` or `Security`.
    pub function: &'static str,
    /// The dependency, qualified and followed through re-exports
    /// (`app.api.deps.get_db`), or its text when it cannot be resolved.
    pub dependency: String,
    /// The call's other arguments, as written (`scopes=["me"]`).
    pub arguments: String,
    /// The type, qualified when it is a plain name, else its text.
    pub type_name: String,
}

/// A parameter in `Annotated[T, Depends(f)]` or `T = Depends(f)` form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyUse {
    pub key: DependencyKey,
    pub parameter: String,
    /// The type as written at this use.
    pub type_text: String,
    /// Whether it is still in the default-value form (`Depends` as the default).
    pub default_form: bool,
    /// The suppression comments on the parameter or its function's header.
    pub ignored: Option<crate::python::suppression::LineSuppression>,
}

/// What a route does with a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelRole {
    /// A parameter FastAPI fills from the request body.
    Body,
    /// `response_model=`, the return annotation, or `return Model(...)`.
    Response,
}

/// A route's use of a class (qualified as this module names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelUse {
    pub class: String,
    pub role: ModelRole,
}

/// Where a call receives an argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArgumentSlot {
    /// The n-th positional argument.
    Position(usize),
    Keyword(String),
}

/// A route's request body passed to another function:
/// `crud.create_user(db, user_in)` with `user_in: UserCreate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyFlow {
    /// The body's class, qualified as this module names it.
    pub class: String,
    /// The function called, qualified as this module names it.
    pub callee: String,
    pub slot: ArgumentSlot,
}

/// Everything the index knows about one module.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleSummary {
    pub name: String,
    pub is_package: bool,
    /// Local name → absolute qualified name, for every import. Names and
    /// annotations are short: kept inline, most need no allocation.
    pub imports: HashMap<CompactString, CompactString>,
    /// The names of `imports` bound by module-level imports at run time
    /// (not inside functions, not under `TYPE_CHECKING`).
    pub module_level_imports: HashSet<CompactString>,
    /// Modules this one imports (absolute), for the import graph.
    pub imported_modules: Vec<CompactString>,
    pub functions: Vec<FunctionSummary>,
    /// Classes defined at module level.
    pub classes: HashSet<CompactString>,
    pub class_summaries: Vec<ClassSummary>,
    /// Module-level names bound to FastAPI apps or routers.
    pub routers: Vec<String>,
    /// Every name bound at module level (functions, classes, assignments, imports).
    pub bound_names: HashSet<CompactString>,
    pub aliases: Vec<AliasSummary>,
    pub dependency_uses: Vec<DependencyUse>,
    /// How routes here use classes: as a request body, as the response.
    pub model_uses: Vec<ModelUse>,
    /// Route request bodies passed on to other functions.
    pub body_flows: Vec<BodyFlow>,
    /// Qualified names of the functions this module calls.
    pub called: HashSet<CompactString>,
    /// Module-level `T = TypeVar("T")` names.
    pub type_variables: HashSet<CompactString>,
    /// Module-level instances of classes: `user = CRUDUser(User)` → `user`
    /// and the class's qualified name.
    pub instances: HashMap<CompactString, CompactString>,
    /// Module-level objects and what made them, for the event loop:
    /// `s3 = boto3.client("s3")` → `boto3.client`, `client: httpx.Client =
    /// …` → `httpx.Client` (the annotation, when there is one).
    pub constructed: HashMap<CompactString, CompactString>,
    /// The HTTP errors its code raises whose response the code tells
    /// (`raise HTTPException(status_code=404, detail="…")`).
    pub http_errors: Vec<HttpErrorRaised>,
    /// Whether it makes a FastAPI application (`app = FastAPI()`).
    pub makes_app: bool,
    /// Names other modules' objects are reached by in strings, as tests
    /// patch them (`patch("app.services.user.get_db")`): uses of those
    /// names in those modules.
    pub patched: Vec<CompactString>,
    /// String literals that spell a dotted module path, maybe with an
    /// attribute (`"app.models.user"`, `"app.crud.user.get"`,
    /// `"app.main:app"`): the path, for plans that move modules.
    pub module_strings: Vec<CompactString>,
    /// Literal secrets its code holds (`python::secrets`).
    pub secrets: Vec<SecretSummary>,
    /// Module-level functions that take nothing and return a class they
    /// build (`def get_settings(): return Settings()`).
    pub factories: Vec<FactorySummary>,
    /// Classes built with no argument inside module-level functions other
    /// than factories (`settings = Settings()` in a route).
    pub builds: Vec<BuildSummary>,
    /// How many `CORSMiddleware` installations allow credentials from any
    /// origin.
    pub cors_wildcards: usize,
    /// Whether one of them needs a list of origins to replace its wildcard
    /// (not an origin regex beside explicit origins).
    pub cors_needs_origins: bool,
    /// Classes built with the dotenv file chosen by code
    /// (`Settings(_env_file=path)`), qualified.
    pub env_file_chosen: Vec<CompactString>,
    /// How this module routes requests: the prefixes of the routers it
    /// makes, its routes' paths, and the routers it includes.
    pub routing: Routing,
    /// Its routes' opening guards: load by a path parameter, raise when
    /// missing (`project::route_code`).
    pub resource_guards: Vec<crate::project::route_code::GuardSummary>,
    /// Its routes' own persistence work (`project::route_code`).
    pub route_work: Vec<crate::project::route_code::WorkSummary>,
    /// Whether its code clears an app's `dependency_overrides`
    /// (`.clear()`, `= {}`, `.pop(…)`, `del …[…]`), as a test fixture's
    /// teardown does.
    pub clears_dependency_overrides: bool,
    /// Whether its text patches or overrides anything (`patch`,
    /// `setattr`, `dependency_overrides`): the tests a plan about test
    /// doubles must look at.
    pub uses_test_doubles: bool,
}

/// A path as code writes it: a literal, or an expression (`settings.API_V1_STR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathText {
    Literal(String),
    Expression(String),
}

impl PathText {
    fn of(expr: &Expr, text: &str) -> PathText {
        match expr {
            Expr::StringLiteral(literal) => PathText::Literal(literal.value.to_str().to_string()),
            _ => PathText::Expression(text[expr.range()].to_string()),
        }
    }

    /// The text: a literal's value, or an expression's source.
    pub fn text(&self) -> &str {
        match self {
            PathText::Literal(text) | PathText::Expression(text) => text,
        }
    }
}

/// One module's routing (see [`ModuleSummary::routing`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routing {
    /// Names bound to `FastAPI(…)`, at module level or in a function, and
    /// parameters annotated `FastAPI`.
    pub apps: Vec<CompactString>,
    /// Module-level routers and apps, with the `prefix=` (or `root_path=`)
    /// their constructor gives.
    pub prefixes: Vec<(CompactString, Option<PathText>)>,
    /// Each route: the router it is declared on, as written, and its path.
    pub routes: Vec<(CompactString, PathText)>,
    /// `X.include_router(router, prefix=…)` calls.
    pub includes: Vec<Include>,
}

/// `receiver.include_router(router, prefix=…)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// The app or router that includes, as written.
    pub receiver: CompactString,
    /// The included router, qualified (absolute), or as written when it
    /// cannot be.
    pub router: CompactString,
    pub prefix: Option<PathText>,
}

/// A literal secret of a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSummary {
    pub kind: SecretKind,
    /// The constant, field or environment variable it is bound to.
    pub name: CompactString,
    pub value: String,
    /// The suppression comments on it.
    pub ignored: Option<crate::python::suppression::LineSuppression>,
    /// Whether it is needed while the module is imported: a constant read
    /// by module-level code (outside functions), or a fallback read
    /// outside functions.
    pub read_at_import: bool,
}

/// Where a literal secret is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretKind {
    /// A module-level constant.
    Constant,
    /// The default of a field of `class` (a secret when it is settings).
    Field { class: CompactString },
    /// An `os.getenv` fallback; in the default of a field of a class
    /// (the class and the field), when it is one.
    Fallback {
        field_of: Option<(CompactString, CompactString)>,
    },
}

/// A class built with no argument in a module-level function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSummary {
    pub function: CompactString,
    /// The class, qualified.
    pub class: CompactString,
    /// Whether the function is a route of this module.
    pub in_route: bool,
}

/// A module-level factory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorySummary {
    pub name: CompactString,
    /// The class it builds, qualified.
    pub class: CompactString,
    pub cached: bool,
}

/// An HTTP error a module raises, by calling its class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpErrorRaised {
    /// The class raised, qualified: `fastapi.HTTPException` or a class of
    /// the project called the same way.
    pub class: CompactString,
    pub shape: ErrorShape,
    /// Names for the values an f-string detail is built from.
    pub value_names: Vec<String>,
    /// The suppression comments on the raise.
    pub ignored: Option<crate::python::suppression::LineSuppression>,
}

impl ModuleSummary {
    pub fn function(&self, name: &str) -> Option<&FunctionSummary> {
        self.functions.iter().find(|function| function.name == name)
    }

    pub fn class(&self, name: &str) -> Option<&ClassSummary> {
        self.class_summaries.iter().find(|class| class.name == name)
    }
}

/// Every module of the project, by dotted name, with the maps that answer
/// questions across modules without walking them: each built once, so a
/// query costs the same however large the project is.
#[derive(Debug, Default)]
pub struct ProjectIndex {
    modules: HashMap<String, ModuleSummary>,
    /// Class name → qualified names of the classes with that name, sorted.
    classes_by_name: HashMap<String, Vec<String>>,
    /// Qualified name → two of the modules that import it by that name
    /// (one, when only one does).
    importers: HashMap<String, Vec<String>>,
    /// Canonical qualified name of a function → the modules that call it.
    /// Built on the first question about callers: few runs ask one.
    callers: std::sync::OnceLock<HashMap<String, HashSet<String>>>,
    /// Canonical qualified names of the functions used as dependencies.
    dependencies: HashSet<String>,
    /// Module → the project modules its imports run (`import a.b.c` runs
    /// `a` and `a.b` too), for the import graph.
    import_edges: HashMap<String, Vec<CompactString>>,
    /// Memoized answers to `reaches`: every module reachable from a module.
    reachable: std::sync::Mutex<HashMap<String, std::sync::Arc<HashSet<String>>>>,
    /// Field names the project's configuration adds to the secret ones.
    extra_secret_fields: Vec<String>,
    /// Module → the modules that import names from it; made by the first
    /// [`ProjectIndex::replace_module`], for the ones after it.
    importers_of: Option<HashMap<String, HashSet<String>>>,
    /// Set on an index that stands for a project not indexed yet: every
    /// question asked of it, so that its answers can be checked later
    /// against the real index (see [`ProjectIndex::recording`]).
    /// Each question once: a file asks the same few many times.
    log: Option<std::sync::Mutex<HashSet<IndexQuery>>>,
}

/// A question asked of the index, as a recording index logs it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndexQuery {
    Module(String),
    AllModules,
    Canonical(String),
    CalledFromElsewhere(String, String),
    ImportedFrom(String, String),
    UsedAsDependency(String),
    Function(String),
    Class(String),
    AliasType(String),
    ClassesNamed(String),
    Reaches(String, String),
    /// What made a module-level object another module imports, for the
    /// event loop, with the configured blocking calls and the answer given.
    Instance {
        qualified: String,
        configured: Vec<String>,
        answer: Option<String>,
    },
    /// What a name's type is for the event loop, with the configured
    /// blocking calls the question was asked with, and the answer given.
    Receiver {
        qualified: String,
        configured: Vec<String>,
        answer: Option<String>,
    },
}

impl ProjectIndex {
    /// An index of no module that logs every question asked of it. A file
    /// run against it in the index pass, before the real index exists, can
    /// keep its outcome if the real index answers every logged question the
    /// same way ([`ProjectIndex::answers_like`]): then the file's run would
    /// be the same, and it need not be parsed again.
    pub fn recording(secret_fields: Vec<String>) -> Self {
        ProjectIndex {
            extra_secret_fields: secret_fields,
            log: Some(std::sync::Mutex::new(HashSet::default())),
            ..ProjectIndex::default()
        }
    }

    /// Frees the index on every thread of the pool: a large project's
    /// summaries take as long to free as to build.
    pub fn free_in_parallel(self) {
        use rayon::prelude::*;
        let ProjectIndex { modules, .. } = self;
        modules.into_par_iter().for_each(drop);
    }

    /// The questions a recording index was asked, each once.
    pub fn take_log(&self) -> Vec<IndexQuery> {
        let Some(log) = &self.log else {
            return Vec::new();
        };
        let queries = std::mem::take(
            &mut *log
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        queries.into_iter().collect()
    }

    /// Whether this index answers `query` as an index of no module did
    /// when it was logged.
    pub fn answers_like(&self, query: &IndexQuery) -> bool {
        match query {
            IndexQuery::Module(name) => self.module(name).is_none(),
            IndexQuery::AllModules => self.is_empty(),
            IndexQuery::Canonical(qualified) => self.canonical(qualified) == *qualified,
            IndexQuery::CalledFromElsewhere(module, name) => {
                !self.is_called_from_elsewhere(module, name)
            }
            IndexQuery::ImportedFrom(module, name) => !self.is_imported_from(module, name),
            IndexQuery::UsedAsDependency(qualified) => !self.is_used_as_dependency(qualified),
            IndexQuery::Function(qualified) => self.function(qualified).is_none(),
            IndexQuery::Class(qualified) => self.class(qualified).is_none(),
            IndexQuery::AliasType(qualified) => self.alias_type(qualified).is_none(),
            IndexQuery::ClassesNamed(name) => self.classes_named(name).is_empty(),
            IndexQuery::Reaches(from, to) => self.reaches(from, to) == (from == to),
            IndexQuery::Receiver {
                qualified,
                configured,
                answer,
            } => {
                crate::python::blocking::ProjectTypes::receiver_class(self, qualified, configured)
                    == *answer
            }
            IndexQuery::Instance {
                qualified,
                configured,
                answer,
            } => {
                crate::python::blocking::ProjectTypes::instance_class(self, qualified, configured)
                    == *answer
            }
        }
    }

    /// Logs a question, on a recording index.
    fn record(&self, query: impl FnOnce() -> IndexQuery) {
        if let Some(log) = &self.log {
            log.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(query());
        }
    }

    pub fn new(summaries: impl IntoIterator<Item = ModuleSummary>) -> Self {
        let mut modules = HashMap::default();
        for summary in summaries {
            // Two files with one module name (scripts in different folders):
            // keep the first in sorted order, deterministically.
            modules.entry(summary.name.clone()).or_insert(summary);
        }
        let mut index = ProjectIndex {
            modules,
            ..ProjectIndex::default()
        };
        // Resolving uses reads and rewrites the modules alone; the maps
        // are read from the resolved modules, each on its own thread.
        index.resolve_uses();
        let modules = &index.modules;
        let (classes_by_name, (importers, (dependencies, import_edges))) = rayon::join(
            || classes_by_name(modules),
            || rayon::join(|| importers(modules), || dependencies_and_edges(modules)),
        );
        index.classes_by_name = classes_by_name;
        index.importers = importers;
        index.dependencies = dependencies;
        index.import_edges = import_edges;
        index
    }

    pub fn module(&self, name: &str) -> Option<&ModuleSummary> {
        self.record(|| IndexQuery::Module(name.to_string()));
        self.modules.get(name)
    }

    pub fn modules(&self) -> impl Iterator<Item = &ModuleSummary> {
        self.record(|| IndexQuery::AllModules);
        self.modules.values()
    }

    pub fn len(&self) -> usize {
        self.record(|| IndexQuery::AllModules);
        self.modules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.record(|| IndexQuery::AllModules);
        self.modules.is_empty()
    }

    /// A qualified name followed through re-exports: `app.api.get_db`, where
    /// `app/api/__init__.py` imports `get_db` from `.deps`, is
    /// `app.api.deps.get_db`.
    pub fn canonical(&self, qualified: &str) -> String {
        self.record(|| IndexQuery::Canonical(qualified.to_string()));
        self.follow_re_exports(qualified)
    }

    fn follow_re_exports(&self, qualified: &str) -> String {
        let mut current = qualified.to_string();
        for _ in 0..16 {
            let Some((module, name)) = current.rsplit_once('.') else {
                break;
            };
            let Some(summary) = self.modules.get(module) else {
                break;
            };
            match summary.imports.get(name) {
                Some(target) if *target != current => current = target.to_string(),
                _ => break,
            }
        }
        current
    }

    /// A key with its dependency and type followed through re-exports.
    pub fn canonical_key(&self, mut key: DependencyKey) -> DependencyKey {
        key.dependency = self.canonical(&key.dependency);
        key.type_name = self.canonical(&key.type_name);
        key
    }

    /// Whether a module other than `module` calls `module.name`.
    pub fn is_called_from_elsewhere(&self, module: &str, name: &str) -> bool {
        self.record(|| IndexQuery::CalledFromElsewhere(module.to_string(), name.to_string()));
        let callers = self.callers.get_or_init(|| {
            let mut callers: HashMap<String, HashSet<String>> = HashMap::default();
            for summary in self.modules.values() {
                for called in &summary.called {
                    callers
                        .entry(self.follow_re_exports(called))
                        .or_default()
                        .insert(summary.name.clone());
                }
            }
            callers
        });
        callers
            .get(&format!("{module}.{name}"))
            .is_some_and(|callers| callers.iter().any(|caller| caller != module))
    }

    /// Whether another module imports `name` from `module` (a re-export).
    pub fn is_imported_from(&self, module: &str, name: &str) -> bool {
        self.record(|| IndexQuery::ImportedFrom(module.to_string(), name.to_string()));
        self.importers
            .get(&format!("{module}.{name}"))
            .is_some_and(|importers| importers.iter().any(|importer| importer != module))
    }

    /// Whether some module uses the function `qualified` (followed through
    /// re-exports) as a dependency.
    pub fn is_used_as_dependency(&self, qualified: &str) -> bool {
        self.record(|| IndexQuery::UsedAsDependency(qualified.to_string()));
        self.dependencies.contains(&self.canonical(qualified))
    }

    /// The module and function a qualified name refers to, if in the project.
    pub fn function(&self, qualified: &str) -> Option<(&ModuleSummary, &FunctionSummary)> {
        self.record(|| IndexQuery::Function(qualified.to_string()));
        let canonical = self.canonical(qualified);
        let (module, name) = canonical.rsplit_once('.')?;
        let summary = self.modules.get(module)?;
        Some((summary, summary.function(name)?))
    }

    /// What a project function blocks on, when it is a plain `def` whose own
    /// body makes a blocking call.
    pub fn blocking_call_of(&self, qualified: &str) -> Option<&str> {
        let (_, function) = self.function(qualified)?;
        function.blocks.as_deref()
    }

    /// The module and class a qualified name refers to, if in the project.
    /// A class and the first base of each class after it, canonical, while
    /// they are classes of the project: each with its summary, the last one
    /// (outside the project, `fastapi.HTTPException`) without. At most 16.
    pub fn first_bases(&self, qualified: &str) -> Vec<(String, Option<&ClassSummary>)> {
        let mut chain = Vec::new();
        let mut current = self.canonical(qualified);
        while chain.len() < 16 {
            let Some((_, summary)) = self.class(&current) else {
                chain.push((current, None));
                break;
            };
            let next = summary.bases.first().map(|base| self.canonical(base));
            chain.push((current, Some(summary)));
            match next {
                Some(next) => current = next,
                None => break,
            }
        }
        chain
    }

    pub fn class(&self, qualified: &str) -> Option<(&ModuleSummary, &ClassSummary)> {
        self.record(|| IndexQuery::Class(qualified.to_string()));
        let canonical = self.canonical(qualified);
        let (module, name) = canonical.rsplit_once('.')?;
        let summary = self.modules.get(module)?;
        Some((summary, summary.class(name)?))
    }

    /// Adds field names (`ssn`, or patterns `*_pin`, `pin_*`) to those that
    /// hold secrets.
    pub fn set_secret_fields(&mut self, fields: Vec<String>) {
        self.extra_secret_fields = fields;
    }

    /// Whether a field holds a secret: a known name, or one configured.
    pub fn is_secret_field(&self, name: &str) -> bool {
        crate::python::naming::is_secret_field(name)
            || self.extra_secret_fields.iter().any(|pattern| {
                match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
                    (Some(suffix), _) => name.ends_with(suffix),
                    (_, Some(prefix)) => name.starts_with(prefix),
                    _ => name == pattern,
                }
            })
    }

    /// The type a project dependency alias stands for
    /// (`app.deps.CurrentUser` → `app.models.User`).
    pub fn alias_type(&self, qualified: &str) -> Option<&str> {
        self.record(|| IndexQuery::AliasType(qualified.to_string()));
        self.alias_type_of(qualified)
    }

    fn alias_type_of(&self, qualified: &str) -> Option<&str> {
        let (module, name) = qualified.rsplit_once('.')?;
        let summary = self.modules.get(module)?;
        let alias = summary.aliases.iter().find(|alias| alias.name == name)?;
        Some(&alias.key.type_name)
    }

    /// Qualified names of the project's classes called `name`, sorted.
    pub fn classes_named(&self, name: &str) -> &[String] {
        self.record(|| IndexQuery::ClassesNamed(name.to_string()));
        self.classes_by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether `from` imports `to`, directly or through other project
    /// modules. The modules reachable from `from` are found once, then
    /// remembered.
    pub fn reaches(&self, from: &str, to: &str) -> bool {
        self.record(|| IndexQuery::Reaches(from.to_string(), to.to_string()));
        if from == to {
            return true;
        }
        let known = self
            .reachable
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(from)
            .cloned();
        let reachable = match known {
            Some(reachable) => reachable,
            None => {
                let mut seen: HashSet<String> = HashSet::default();
                let mut queue: VecDeque<&str> = VecDeque::from([from]);
                while let Some(module) = queue.pop_front() {
                    for next in self.import_edges.get(module).into_iter().flatten() {
                        if seen.insert(next.to_string()) {
                            queue.push_back(next);
                        }
                    }
                }
                let reachable = std::sync::Arc::new(seen);
                self.reachable
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(from.to_string(), std::sync::Arc::clone(&reachable));
                reachable
            }
        };
        reachable.contains(to)
    }

    /// The type an unannotated parameter whose dependency is `dependency`
    /// takes when it is written in `Annotated` form: what the function
    /// provides, the class itself, else `Any`.
    pub fn inferred_type(&self, dependency: &str) -> String {
        self.record(|| IndexQuery::Function(dependency.to_string()));
        if let Some((_, function)) = self.function(dependency) {
            return match &function.provides_qualified {
                Some(provides) => self.canonical(provides),
                None if function.provides.is_some() => {
                    function.provides.as_deref().unwrap_or_default().to_string()
                }
                None => "typing.Any".to_string(),
            };
        }
        let canonical = self.canonical(dependency);
        let is_class = canonical
            .rsplit_once('.')
            .and_then(|(module, name)| Some(self.module(module)?.classes.contains(name)))
            .unwrap_or(false);
        if is_class {
            canonical
        } else {
            "typing.Any".to_string()
        }
    }

    /// Puts a module's new summary, as [`summarize`] made it, in the place of
    /// its old one (or adds it), as an editor's server does when a file
    /// changes: the maps are mended for what the module held before and
    /// holds now, not built again from every module. The uses of every
    /// module whose resolution may go through it (a dependency it defines,
    /// a name it re-exports) are resolved again from `unresolved`, each
    /// module's summary as it was made; the others are left as they are.
    pub fn replace_module<'u>(
        &mut self,
        summary: ModuleSummary,
        unresolved: &dyn Fn(&str) -> Option<&'u ModuleSummary>,
    ) {
        let name = summary.name.clone();
        let old = self.modules.insert(name.clone(), summary);
        let new = &self.modules[&name];
        // Classes by name: the old module's out, the new one's in.
        let mut touched: Vec<String> = Vec::new();
        if let Some(old) = &old {
            for class in &old.class_summaries {
                let qualified = format!("{name}.{}", class.name);
                if let Some(known) = self.classes_by_name.get_mut(class.name.as_str()) {
                    known.retain(|other| *other != qualified);
                    if known.is_empty() {
                        self.classes_by_name.remove(class.name.as_str());
                    }
                }
            }
        }
        for class in &new.class_summaries {
            let qualified = format!("{name}.{}", class.name);
            let known = self
                .classes_by_name
                .entry(class.name.to_string())
                .or_default();
            if !known.contains(&qualified) {
                known.push(qualified);
                touched.push(class.name.to_string());
            }
        }
        for class in touched {
            if let Some(known) = self.classes_by_name.get_mut(&class) {
                known.sort();
            }
        }
        // Importers: a name it no longer imports may have another importer
        // the two kept did not show.
        let targets = |summary: &ModuleSummary| -> HashSet<CompactString> {
            summary
                .imports
                .values()
                .chain(&summary.patched)
                .cloned()
                .collect()
        };
        let new_targets = targets(new);
        let old_targets = old.as_ref().map(targets).unwrap_or_default();
        for gone in old_targets.difference(&new_targets) {
            let Some(known) = self.importers.get_mut(gone.as_str()) else {
                continue;
            };
            if !known.contains(&name) {
                continue;
            }
            let others: Vec<String> = self
                .modules
                .values()
                .filter(|summary| {
                    summary
                        .imports
                        .values()
                        .chain(&summary.patched)
                        .any(|target| target == gone)
                })
                .map(|summary| summary.name.clone())
                .take(2)
                .collect();
            if others.is_empty() {
                self.importers.remove(gone.as_str());
            } else {
                self.importers.insert(gone.to_string(), others);
            }
        }
        for target in new_targets.difference(&old_targets) {
            let known = self.importers.entry(target.to_string()).or_default();
            if known.len() < 2 && !known.contains(&name) {
                known.push(name.clone());
            }
        }
        // The import graph: a new module may be what others' imports run.
        if old.is_none() {
            let (_, edges) = dependencies_and_edges(&self.modules);
            self.import_edges = edges;
        } else {
            let mut edges: Vec<CompactString> = Vec::new();
            for imported in &new.imported_modules {
                let prefixes = imported
                    .match_indices('.')
                    .map(|(dot, _)| &imported[..dot])
                    .chain([imported.as_str()]);
                for prefix in prefixes {
                    if self.modules.contains_key(prefix) {
                        edges.push(CompactString::from(prefix));
                    }
                }
            }
            edges.sort_unstable();
            edges.dedup();
            self.import_edges.insert(name.clone(), edges);
        }
        // Uses and aliases resolved again where the module may be on their
        // way: its own, and those of modules naming a dependency or type in
        // it, or in a module that imports from it, directly or through others
        // (re-exports are followed through imports).
        // Which modules import names from which, kept from one change to
        // the next: made on the first, then mended for the module changed.
        let old_from = old.as_ref().map(modules_imported_from).unwrap_or_default();
        let new_from = modules_imported_from(&self.modules[&name]);
        match &mut self.importers_of {
            Some(importers_of) => {
                for gone in old_from.difference(&new_from) {
                    if let Some(importers) = importers_of.get_mut(gone.as_str()) {
                        importers.remove(name.as_str());
                    }
                }
                for added in new_from.difference(&old_from) {
                    importers_of
                        .entry(added.clone())
                        .or_default()
                        .insert(name.clone());
                }
            }
            None => {
                let mut importers_of: HashMap<String, HashSet<String>> = HashMap::default();
                for summary in self.modules.values() {
                    for module in modules_imported_from(summary) {
                        importers_of
                            .entry(module)
                            .or_default()
                            .insert(summary.name.clone());
                    }
                }
                self.importers_of = Some(importers_of);
            }
        }
        let importers_of = self.importers_of.as_ref().expect("made above");
        let mut through: HashSet<&str> = HashSet::default();
        through.insert(name.as_str());
        let mut pending: Vec<&str> = vec![name.as_str()];
        while let Some(module) = pending.pop() {
            for importer in importers_of.get(module).into_iter().flatten() {
                let importer = importer.as_str();
                if through.insert(importer) {
                    pending.push(importer);
                }
            }
        }
        // Whether a qualified name is in one of those modules: each of its
        // dotted prefixes looked up.
        let passes_through = |qualified: &str| {
            qualified
                .match_indices('.')
                .any(|(dot, _)| through.contains(&qualified[..dot]))
        };
        let again: Vec<(String, Vec<DependencyKey>)> = self
            .modules
            .keys()
            .filter_map(|module| {
                let original = unresolved(module)?;
                let keys: Vec<&DependencyKey> = original
                    .aliases
                    .iter()
                    .map(|alias| &alias.key)
                    .chain(original.dependency_uses.iter().map(|used| &used.key))
                    .collect();
                let affected = *module == name
                    || keys.iter().any(|key| {
                        passes_through(&key.dependency)
                            || passes_through(
                                key.type_name
                                    .strip_prefix(INFERRED_TYPE)
                                    .unwrap_or(&key.type_name),
                            )
                    });
                affected.then(|| {
                    let resolved = keys.into_iter().map(|key| self.resolved_key(key)).collect();
                    (module.clone(), resolved)
                })
            })
            .collect();
        // The keys that changed: the module's own, and any resolved anew.
        let mut keys_changed = old.as_ref().is_none_or(|old| {
            let keys = |summary: &ModuleSummary| -> Vec<DependencyKey> {
                summary
                    .dependency_uses
                    .iter()
                    .map(|used| used.key.clone())
                    .collect()
            };
            keys(old) != keys(&self.modules[&name])
        });
        for (module, keys) in again {
            let Some(summary) = self.modules.get_mut(&module) else {
                continue;
            };
            let slots = summary
                .aliases
                .iter_mut()
                .map(|alias| &mut alias.key)
                .chain(summary.dependency_uses.iter_mut().map(|used| &mut used.key));
            for (slot, key) in slots.zip(keys) {
                if *slot != key {
                    keys_changed = true;
                    *slot = key;
                }
            }
        }
        if keys_changed {
            self.dependencies.clear();
            for summary in self.modules.values() {
                for dependency_use in &summary.dependency_uses {
                    if !self
                        .dependencies
                        .contains(dependency_use.key.dependency.as_str())
                    {
                        self.dependencies
                            .insert(dependency_use.key.dependency.clone());
                    }
                }
            }
        }
        // What was worked out on the first question stays while what it was
        // worked out from does: the calls, and the import graph.
        let new = &self.modules[&name];
        if old
            .as_ref()
            .is_none_or(|old| old.called != new.called || old.imports != new.imports)
        {
            self.callers = std::sync::OnceLock::new();
        }
        if old
            .as_ref()
            .is_none_or(|old| old.imported_modules != new.imported_modules)
        {
            self.reachable
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clear();
        }
        // The old summary is dropped on another thread: a large module's
        // takes a while.
        if let Some(old) = old {
            rayon::spawn(move || drop(old));
        }
    }

    /// A key as [`ProjectIndex::resolve_uses`] resolves it.
    fn resolved_key(&self, key: &DependencyKey) -> DependencyKey {
        let mut key = key.clone();
        if let Some(dependency) = key.type_name.strip_prefix(INFERRED_TYPE) {
            key.type_name = self.inferred_type(dependency);
        }
        key.dependency = self.canonical(&key.dependency);
        key.type_name = self.canonical(&key.type_name);
        key
    }

    /// Resolves every dependency and type in uses and aliases through re-exports.
    fn resolve_uses(&mut self) {
        let inferred: HashMap<String, String> = self
            .modules
            .values()
            .flat_map(|summary| &summary.dependency_uses)
            .filter_map(|dependency_use| dependency_use.key.type_name.strip_prefix(INFERRED_TYPE))
            .map(|dependency| (dependency.to_string(), self.inferred_type(dependency)))
            .collect();
        for summary in self.modules.values_mut() {
            for dependency_use in &mut summary.dependency_uses {
                if let Some(dependency) = dependency_use.key.type_name.strip_prefix(INFERRED_TYPE) {
                    dependency_use.key.type_name = inferred[dependency].clone();
                }
            }
        }
        let canonical: HashMap<String, String> = self
            .modules
            .values()
            .flat_map(|summary| {
                let aliases = summary.aliases.iter().map(|alias| &alias.key);
                let uses = summary
                    .dependency_uses
                    .iter()
                    .map(|dependency| &dependency.key);
                aliases
                    .chain(uses)
                    .flat_map(|key| [key.dependency.clone(), key.type_name.clone()])
            })
            .map(|name| (name.clone(), self.canonical(&name)))
            .collect();
        for summary in self.modules.values_mut() {
            let keys = summary
                .aliases
                .iter_mut()
                .map(|alias| &mut alias.key)
                .chain(
                    summary
                        .dependency_uses
                        .iter_mut()
                        .map(|dependency| &mut dependency.key),
                );
            for key in keys {
                key.dependency = canonical[&key.dependency].clone();
                key.type_name = canonical[&key.type_name].clone();
            }
        }
    }
}

/// The modules a module imports names from.
fn modules_imported_from(summary: &ModuleSummary) -> HashSet<String> {
    summary
        .imports
        .values()
        .filter_map(|target| Some(target.rsplit_once('.')?.0.to_string()))
        .collect()
}

/// Class name → the qualified names of the classes with that name, sorted.
fn classes_by_name(modules: &HashMap<String, ModuleSummary>) -> HashMap<String, Vec<String>> {
    let mut classes: HashMap<String, Vec<String>> = HashMap::default();
    for summary in modules.values() {
        for class in &summary.class_summaries {
            let mut qualified = String::with_capacity(summary.name.len() + class.name.len() + 1);
            qualified.push_str(&summary.name);
            qualified.push('.');
            qualified.push_str(&class.name);
            classes
                .entry(class.name.to_string())
                .or_default()
                .push(qualified);
        }
    }
    for qualified in classes.values_mut() {
        qualified.sort();
    }
    classes
}

/// Qualified name → two of the modules that import it: two tell all there
/// is to know, whether a module other than any given one imports it.
fn importers(modules: &HashMap<String, ModuleSummary>) -> HashMap<String, Vec<String>> {
    let mut importers: HashMap<String, Vec<String>> = HashMap::default();
    for summary in modules.values() {
        for target in summary.imports.values().chain(&summary.patched) {
            match importers.get_mut(target.as_str()) {
                Some(known) => {
                    if known.len() < 2 && !known.contains(&summary.name) {
                        known.push(summary.name.clone());
                    }
                }
                None => {
                    importers.insert(target.to_string(), vec![summary.name.clone()]);
                }
            }
        }
    }
    importers
}

/// The functions used as dependencies, and the project modules each
/// module's imports run (`import a.b.c` runs `a` and `a.b` too).
fn dependencies_and_edges(
    modules: &HashMap<String, ModuleSummary>,
) -> (HashSet<String>, HashMap<String, Vec<CompactString>>) {
    let mut dependencies: HashSet<String> = HashSet::default();
    let mut import_edges: HashMap<String, Vec<CompactString>> = HashMap::default();
    // Modules import the same few modules: the project modules each one
    // runs are worked out once.
    let mut runs: HashMap<&str, Vec<&str>> = HashMap::default();
    for summary in modules.values() {
        for dependency_use in &summary.dependency_uses {
            if !dependencies.contains(dependency_use.key.dependency.as_str()) {
                dependencies.insert(dependency_use.key.dependency.clone());
            }
        }
        let mut edges: Vec<&str> = Vec::new();
        for imported in &summary.imported_modules {
            let ran = runs.entry(imported.as_str()).or_insert_with(|| {
                imported
                    .match_indices('.')
                    .map(|(dot, _)| &imported[..dot])
                    .chain([imported.as_str()])
                    .filter(|prefix| modules.contains_key(*prefix))
                    .collect()
            });
            edges.extend(ran.iter().copied());
        }
        edges.sort_unstable();
        edges.dedup();
        import_edges.insert(
            summary.name.clone(),
            edges.into_iter().map(CompactString::from).collect(),
        );
    }
    (dependencies, import_edges)
}

impl crate::python::blocking::ProjectTypes for ProjectIndex {
    /// The class a name's instances are, for the event loop: followed
    /// through re-exports and dependency aliases, when that class blocks.
    fn receiver_class(&self, qualified: &str, configured: &[String]) -> Option<String> {
        // Asked of the real index, or logged with its answer.
        let canonical = self.follow_re_exports(qualified);
        let resolved = self
            .alias_type_of(&canonical)
            .map_or(canonical, str::to_string);
        let answer = crate::python::blocking::blocking_class(&resolved, configured);
        self.record(|| IndexQuery::Receiver {
            qualified: qualified.to_string(),
            configured: configured.to_vec(),
            answer: answer.clone(),
        });
        answer
    }

    /// The class or factory that made a module-level object of the
    /// project, followed through re-exports, when its instances block.
    fn instance_class(&self, qualified: &str, configured: &[String]) -> Option<String> {
        let answer = (|| {
            let canonical = self.follow_re_exports(qualified);
            let (module, name) = canonical.rsplit_once('.')?;
            let made_by = self.modules.get(module)?.constructed.get(name)?;
            let class = self.follow_re_exports(made_by);
            crate::python::blocking::blocking_class(&class, configured)
        })();
        self.record(|| IndexQuery::Instance {
            qualified: qualified.to_string(),
            configured: configured.to_vec(),
            answer: answer.clone(),
        });
        answer
    }
}

/// Summarizes one module's source; `None` when it does not parse.
pub fn summarize(name: &str, is_package: bool, contents: &str) -> Option<ModuleSummary> {
    let text = contents.strip_prefix('\u{feff}').unwrap_or(contents);
    let parsed = parse_module(text).ok()?;
    Some(summarize_parsed(name, is_package, &parsed, text))
}

/// Summarizes a module already parsed (`text` without its BOM).
pub fn summarize_parsed(
    name: &str,
    is_package: bool,
    parsed: &Parsed<ModModule>,
    text: &str,
) -> ModuleSummary {
    summarize_module(name, is_package, parsed.syntax(), parsed.tokens(), text)
}

/// Summarizes a module from its syntax tree and tokens (`text` without its BOM).
pub fn summarize_module(
    name: &str,
    is_package: bool,
    module: &ModModule,
    tokens: &Tokens,
    text: &str,
) -> ModuleSummary {
    let facts = FastApiFacts::new(module);
    summarize_with_facts(name, is_package, module, tokens, text, &facts)
}

/// Summarizes a module whose FastAPI facts are already known.
pub fn summarize_with_facts(
    name: &str,
    is_package: bool,
    module: &ModModule,
    tokens: &Tokens,
    text: &str,
    facts: &FastApiFacts,
) -> ModuleSummary {
    let mut summary = ModuleSummary {
        name: name.to_string(),
        is_package,
        ..ModuleSummary::default()
    };

    summary.imports = absolute_imports(facts, name, is_package);
    summary.module_level_imports = summary
        .imports
        .keys()
        .filter(|local| facts.runtime_import_names.contains(local.as_str()))
        .cloned()
        .collect();
    summary.bound_names.extend(summary.imports.keys().cloned());
    summary.type_variables = module
        .body
        .iter()
        .filter_map(|stmt| match stmt {
            Stmt::Assign(assign) => match (assign.targets.as_slice(), assign.value.as_ref()) {
                ([Expr::Name(target)], Expr::Call(call))
                    if facts.resolves_to(&call.func, "typing.TypeVar")
                        || facts.resolves_to(&call.func, "typing_extensions.TypeVar") =>
                {
                    Some(target.id.as_str().into())
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    for stmt in &module.body {
        collect_module_level(stmt, &mut summary, facts, text);
    }
    // A module calls the same few functions many times: each callee, as
    // written, is qualified once.
    let mut callees: HashSet<&str> = HashSet::default();
    summary.called = facts
        .calls
        .iter()
        .filter(|call| callees.insert(&text[call.func.range()]))
        .filter_map(|call| qualified_in(facts, name, is_package, &call.func))
        .map(CompactString::from)
        .collect();
    summary.routers = module
        .body
        .iter()
        .filter_map(|stmt| match stmt {
            Stmt::Assign(assign) => assign.targets.first(),
            Stmt::AnnAssign(assign) => Some(assign.target.as_ref()),
            _ => None,
        })
        .filter_map(|target| match target {
            Expr::Name(name) if facts.routers.contains(name.id.as_str()) => {
                Some(name.id.to_string())
            }
            _ => None,
        })
        .collect();
    let mut imported: Vec<String> = Vec::new();
    collect_imported_modules(&module.body, name, is_package, &mut imported);
    imported.sort();
    imported.dedup();
    summary.imported_modules = imported.into_iter().map(CompactString::from).collect();

    collect_model_uses(facts, &mut summary, text);
    summary.module_strings = module_strings(tokens, text);
    // `patch("app.services.user.get_db")`, `mocker.patch(…)`,
    // `monkeypatch.setattr("…", …)`.
    if memchr::memmem::find(text.as_bytes(), b"patch").is_some()
        || memchr::memmem::find(text.as_bytes(), b"setattr").is_some()
    {
        summary.patched = facts
            .calls
            .iter()
            .filter(|call| {
                let method = match call.func.as_ref() {
                    Expr::Name(name) => name.id.as_str(),
                    Expr::Attribute(attribute) => attribute.attr.as_str(),
                    _ => "",
                };
                matches!(method, "patch" | "setattr")
            })
            .filter_map(|call| match call.arguments.args.first() {
                Some(Expr::StringLiteral(target)) => {
                    let target = target.value.to_str();
                    (target.contains('.') && !target.contains(' ')).then(|| target.into())
                }
                _ => None,
            })
            .collect();
    }
    summary.routing = routing(module, facts, name, is_package, text);
    summary.makes_app = module.body.iter().any(|stmt| {
        let value = match stmt {
            Stmt::Assign(assign) => Some(assign.value.as_ref()),
            Stmt::AnnAssign(assign) => assign.value.as_deref(),
            _ => None,
        };
        matches!(value, Some(Expr::Call(call)) if facts.resolves_to(&call.func, "fastapi.FastAPI"))
    });
    // Suppression comments on a use, for plans to honour. Most files have
    // no such comment: skip the line bookkeeping then.
    let comments = text.contains("fastapi-codemod").then(|| {
        let source = SourceFile::new(text);
        let suppressions = Suppressions::from_tokens(tokens, &source);
        (source, suppressions)
    });
    let ignored =
        |ranges: [ruff_text_size::TextRange; 2]| {
            let (source, suppressions) = comments.as_ref()?;
            suppressions.over(ranges.into_iter().flat_map(|range| {
                source.line_number(range.start())..=source.line_number(range.end())
            }))
        };
    for function in &facts.functions {
        let header = crate::project::route_code::header_range(function);
        for parameter in function.parameters.iter_non_variadic_params() {
            if let Some(mut dependency_use) = dependency_use(facts, &summary, parameter, text) {
                dependency_use.ignored = ignored([header, parameter.range()]);
                summary.dependency_uses.push(dependency_use);
            }
        }
    }
    // The HTTP errors raised; a call with a comment inside is left alone,
    // since rewriting it would lose the comment.
    if memchr::memmem::find(text.as_bytes(), b"raise").is_some() {
        summary.http_errors = raise_statements(&module.body)
            .into_iter()
            .filter_map(|raise| raised_error(facts, name, is_package, text, raise, &|_| true))
            .filter(|raised| {
                !crate::python::syntax::tokens_within(tokens, raised.call.arguments.range())
                    .iter()
                    .any(|token| token.kind() == ruff_python_ast::token::TokenKind::Comment)
            })
            .filter_map(|raised| {
                let value_names = raised.value_names();
                Some(HttpErrorRaised {
                    class: raised.class.into(),
                    shape: raised.shape.ok()?,
                    value_names,
                    ignored: ignored([raised.raise.range(), raised.raise.range()]),
                })
            })
            .collect();
    }
    if !facts.routes.is_empty() && memchr::memmem::find(text.as_bytes(), b"raise").is_some() {
        summary.resource_guards = crate::project::route_code::guards(
            facts,
            tokens,
            text,
            (name, is_package),
            &summary.imports,
            &ignored,
        );
    }
    if !facts.routes.is_empty() && memchr::memmem::find(text.as_bytes(), b"Session").is_some() {
        summary.route_work = crate::project::route_code::route_work(
            facts,
            tokens,
            text,
            (name, is_package),
            &summary.imports,
            &ignored,
        );
    }
    if memchr::memmem::find(text.as_bytes(), b"dependency_overrides").is_some() {
        summary.clears_dependency_overrides = clears_dependency_overrides(text);
        summary.uses_test_doubles = true;
    }
    summary.uses_test_doubles |= memchr::memmem::find(text.as_bytes(), b"patch").is_some()
        || memchr::memmem::find(text.as_bytes(), b"setattr").is_some();
    collect_settings_facts(facts, module, tokens, text, &mut summary);
    summary
}

/// Whether some code clears an app's `dependency_overrides` (see
/// [`ModuleSummary::clears_dependency_overrides`]).
pub fn clears_dependency_overrides(text: &str) -> bool {
    text.lines().any(|line| {
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        compact.contains("dependency_overrides.clear()")
            || compact.contains("dependency_overrides={}")
            || compact.contains("dependency_overrides.pop(")
            || (line.trim_start().starts_with("del ") && compact.contains("dependency_overrides["))
    })
}

/// The module's literal secrets, factories, classes built in functions,
/// and wildcard CORS installations.
fn collect_settings_facts(
    facts: &FastApiFacts,
    module: &ModModule,
    tokens: &Tokens,
    text: &str,
    summary: &mut ModuleSummary,
) {
    use crate::python::secrets::{SecretPlace, field_of_call, literal_secrets};
    let qualified = |expr: &Expr| qualified_in(facts, &summary.name, summary.is_package, expr);
    let found = literal_secrets(facts, module);
    if !found.is_empty() {
        let source = SourceFile::new(text);
        let suppressions = Suppressions::from_tokens(tokens, &source);
        summary.secrets = found
            .iter()
            .map(|secret| {
                let kind = match &secret.place {
                    SecretPlace::Constant { .. } => SecretKind::Constant,
                    SecretPlace::Field { class, .. } => SecretKind::Field {
                        class: class.name.id.as_str().into(),
                    },
                    SecretPlace::Fallback { call } => SecretKind::Fallback {
                        field_of: field_of_call(module, call).and_then(|(class, field)| {
                            let Expr::Name(target) = field.target.as_ref() else {
                                return None;
                            };
                            Some((class.name.id.as_str().into(), target.id.as_str().into()))
                        }),
                    },
                };
                let read_at_import = match &secret.place {
                    SecretPlace::Constant { statement } => {
                        crate::python::secrets::read_at_import(module, statement, &secret.name)
                    }
                    SecretPlace::Fallback { call } => module.body.iter().any(|statement| {
                        !matches!(statement, Stmt::FunctionDef(_))
                            && statement.range().contains_range(call.range())
                    }),
                    SecretPlace::Field { .. } => false,
                };
                let line = source.line_number(secret.literal.start());
                SecretSummary {
                    kind,
                    name: secret.name.as_str().into(),
                    value: secret.value.clone(),
                    ignored: suppressions.over(line..=line),
                    read_at_import,
                }
            })
            .collect();
    }
    let mut factories: Vec<&str> = Vec::new();
    for statement in &module.body {
        if let Stmt::FunctionDef(function) = statement
            && let Some(factory) = crate::python::app_settings::factory(facts, function)
            && let Some(class) = qualified(factory.built)
        {
            factories.push(function.name.id.as_str());
            summary.factories.push(FactorySummary {
                name: function.name.id.as_str().into(),
                class: class.into(),
                cached: factory.cached,
            });
        }
    }
    // Classes built bare in other functions: each call found in the
    // module-level function around it.
    let functions: Vec<&ast::StmtFunctionDef> = module
        .body
        .iter()
        .filter_map(|statement| match statement {
            Stmt::FunctionDef(function) if !factories.contains(&function.name.id.as_str()) => {
                Some(function)
            }
            _ => None,
        })
        .collect();
    for call in &facts.calls {
        if !call.arguments.is_empty() {
            continue;
        }
        let capitalised = match call.func.as_ref() {
            Expr::Name(name) => name.id.starts_with(char::is_uppercase),
            Expr::Attribute(attribute) => attribute.attr.starts_with(char::is_uppercase),
            _ => false,
        };
        if !capitalised {
            continue;
        }
        let position = functions.partition_point(|function| function.end() <= call.start());
        if let Some(function) = functions.get(position)
            && function.range().contains_range(call.range())
            && let Some(class) = qualified(&call.func)
        {
            let build = BuildSummary {
                function: function.name.id.as_str().into(),
                class: class.into(),
                in_route: facts
                    .routes
                    .iter()
                    .any(|route| std::ptr::eq(route.function, *function)),
            };
            if !summary.builds.contains(&build) {
                summary.builds.push(build);
            }
        }
    }
    if memchr::memmem::find(text.as_bytes(), b"_env_file").is_some() {
        summary.env_file_chosen = facts
            .calls
            .iter()
            .filter(|call| call.arguments.find_keyword("_env_file").is_some())
            .filter_map(|call| qualified(&call.func))
            .map(CompactString::from)
            .collect();
    }
    if memchr::memmem::find(text.as_bytes(), b"CORSMiddleware").is_some() {
        let wildcards = crate::python::cors::cors_wildcards(facts);
        summary.cors_wildcards = wildcards.len();
        summary.cors_needs_origins = wildcards.iter().any(|wildcard| wildcard.needs_origins());
    }
}

/// How the module's routes use classes, and where their request bodies go.
fn collect_model_uses(facts: &FastApiFacts, summary: &mut ModuleSummary, text: &str) {
    let qualified = |expr: &Expr| qualified_in(facts, &summary.name, summary.is_package, expr);
    let mut uses: Vec<ModelUse> = Vec::new();
    let mut flows: Vec<BodyFlow> = Vec::new();
    let no_variables = HashSet::default();
    let scope = TypeScope {
        facts,
        module: &summary.name,
        is_package: summary.is_package,
        type_variables: &no_variables,
        text,
    };
    let response_class = |shape: TypeShape| shape.class().map(|(class, _)| class.to_string());
    for route in &facts.routes {
        let function = route.function;
        if let Some(model) = route.decorator.arguments.find_keyword("response_model")
            && let Some(class) = response_class(shape_of(&scope, &model.value))
        {
            uses.push(ModelUse {
                class,
                role: ModelRole::Response,
            });
        }
        if let Some(returns) = function.returns.as_deref()
            && let Some(class) = response_class(shape_of(&scope, returns))
        {
            uses.push(ModelUse {
                class,
                role: ModelRole::Response,
            });
        }
        let mut bodies: Vec<(&str, String)> = Vec::new();
        for parameter in function.parameters.iter_non_variadic_params() {
            let Some(annotation) = parameter.parameter.annotation.as_deref() else {
                continue;
            };
            if !facts.is_body_parameter(parameter)
                || !matches!(annotation, Expr::Name(_) | Expr::Attribute(_))
            {
                continue;
            }
            if let Some(class) = qualified(annotation) {
                bodies.push((parameter.parameter.name.id.as_str(), class.clone()));
                uses.push(ModelUse {
                    class,
                    role: ModelRole::Body,
                });
            }
        }
        let returned = crate::python::flow::returned_values(function);
        if returned.is_empty() && bodies.is_empty() {
            continue;
        }
        // The calls in the function: `facts.calls` is in source order.
        let start = facts
            .calls
            .partition_point(|call| call.start() < function.start());
        let end = facts
            .calls
            .partition_point(|call| call.start() < function.end());
        for call in &facts.calls[start..end] {
            if !function.range().contains_range(call.range()) {
                continue;
            }
            if returned.contains(&call.range())
                && let Some(class) = qualified(&call.func)
            {
                uses.push(ModelUse {
                    class,
                    role: ModelRole::Response,
                });
            }
            if bodies.is_empty() {
                continue;
            }
            let Some(callee) = qualified(&call.func) else {
                continue;
            };
            for (position, argument) in call.arguments.args.iter().enumerate() {
                if let Expr::Name(name) = argument
                    && let Some((_, class)) =
                        bodies.iter().find(|(body, _)| *body == name.id.as_str())
                {
                    flows.push(BodyFlow {
                        class: class.clone(),
                        callee: callee.clone(),
                        slot: ArgumentSlot::Position(position),
                    });
                }
            }
            for keyword in &call.arguments.keywords {
                if let (Some(arg), Expr::Name(name)) = (&keyword.arg, &keyword.value)
                    && let Some((_, class)) =
                        bodies.iter().find(|(body, _)| *body == name.id.as_str())
                {
                    flows.push(BodyFlow {
                        class: class.clone(),
                        callee: callee.clone(),
                        slot: ArgumentSlot::Keyword(arg.id.to_string()),
                    });
                }
            }
        }
    }
    summary.model_uses = uses;
    summary.body_flows = flows;
}

/// The file's import bindings with relative imports made absolute.
fn absolute_imports(
    facts: &FastApiFacts,
    name: &str,
    is_package: bool,
) -> HashMap<CompactString, CompactString> {
    facts
        .imports
        .iter()
        .filter_map(|(local, target)| {
            let dots = target.len() - target.trim_start_matches('.').len();
            if dots == 0 {
                return Some((local.into(), target.into()));
            }
            let rest = &target[dots..];
            let absolute = resolve_relative(name, is_package, dots as u32, Some(rest))?;
            Some((local.into(), absolute.into()))
        })
        .collect()
}

fn collect_imported_modules(
    body: &[Stmt],
    name: &str,
    is_package: bool,
    imported: &mut Vec<String>,
) {
    for stmt in body {
        match stmt {
            Stmt::Import(import) => {
                imported.extend(import.names.iter().map(|alias| alias.name.id.to_string()))
            }
            Stmt::ImportFrom(import) => {
                let module = import.module.as_ref().map(|module| module.id.as_str());
                let base = if import.level > 0 {
                    resolve_relative(name, is_package, import.level, module)
                } else {
                    module.map(str::to_string)
                };
                if let Some(base) = base {
                    // `from pkg import module` imports the submodule too.
                    for alias in &import.names {
                        imported.push(format!("{base}.{}", alias.name.id));
                    }
                    imported.push(base);
                }
            }
            // Imports inside `if TYPE_CHECKING:` do not run, but others in
            // blocks (try/except, if) do.
            Stmt::If(branch) if !is_type_checking(&branch.test) => {
                collect_imported_modules(&branch.body, name, is_package, imported);
                for clause in &branch.elif_else_clauses {
                    collect_imported_modules(&clause.body, name, is_package, imported);
                }
            }
            Stmt::Try(block) => {
                collect_imported_modules(&block.body, name, is_package, imported);
                for handler in &block.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    collect_imported_modules(&handler.body, name, is_package, imported);
                }
            }
            _ => {}
        }
    }
}

fn is_type_checking(test: &Expr) -> bool {
    dotted_text(test)
        .is_some_and(|text| text == "TYPE_CHECKING" || text.ends_with(".TYPE_CHECKING"))
}

fn collect_module_level(
    stmt: &Stmt,
    summary: &mut ModuleSummary,
    facts: &FastApiFacts,
    text: &str,
) {
    match stmt {
        Stmt::FunctionDef(function) => {
            summary.bound_names.insert(function.name.id.as_str().into());
            let function_summary = function_summary(facts, summary, function, &[], false, text);
            summary.functions.push(function_summary);
        }
        Stmt::ClassDef(class) => {
            summary.bound_names.insert(class.name.id.as_str().into());
            summary.classes.insert(class.name.id.as_str().into());
            summary
                .class_summaries
                .push(class_summary(facts, summary, class, text));
        }
        Stmt::Assign(assign) => {
            if let ([Expr::Name(target)], Expr::Call(call)) =
                (assign.targets.as_slice(), assign.value.as_ref())
                && let Some(class) =
                    qualified_in(facts, &summary.name, summary.is_package, &call.func)
            {
                if class
                    .rsplit('.')
                    .next()
                    .is_some_and(|name| name.starts_with(char::is_uppercase))
                {
                    summary
                        .instances
                        .insert(target.id.as_str().into(), class.as_str().into());
                }
                summary
                    .constructed
                    .insert(target.id.as_str().into(), class.into());
            }
            for target in &assign.targets {
                if let Expr::Name(target) = target {
                    bind_assignment(
                        summary,
                        facts,
                        target.id.as_str(),
                        Some(&assign.value),
                        text,
                    );
                }
            }
        }
        Stmt::AnnAssign(assign) => {
            if let Expr::Name(target) = assign.target.as_ref() {
                let annotated =
                    qualified_in(facts, &summary.name, summary.is_package, &assign.annotation);
                let made = || match assign.value.as_deref() {
                    Some(Expr::Call(call)) => {
                        qualified_in(facts, &summary.name, summary.is_package, &call.func)
                    }
                    _ => None,
                };
                if let Some(class) = annotated.or_else(made) {
                    summary
                        .constructed
                        .insert(target.id.as_str().into(), class.into());
                }
                bind_assignment(
                    summary,
                    facts,
                    target.id.as_str(),
                    assign.value.as_deref(),
                    text,
                );
            }
        }
        Stmt::TypeAlias(alias) => {
            if let Expr::Name(target) = alias.name.as_ref() {
                bind_assignment(summary, facts, target.id.as_str(), Some(&alias.value), text);
            }
        }
        // Names bound by imports are added once, with all of them.
        _ => {}
    }
}

/// Records a module-level name bound by an assignment, and the dependency
/// alias it defines, if its value is one.
fn bind_assignment(
    summary: &mut ModuleSummary,
    facts: &FastApiFacts,
    name: &str,
    value: Option<&Expr>,
    text: &str,
) {
    summary.bound_names.insert(name.into());
    if let Some(key) = value.and_then(|value| alias_key(facts, summary, value, text)) {
        summary.aliases.push(AliasSummary {
            name: name.to_string(),
            key,
        });
    }
}

/// A function's signature, with types qualified in `summary`'s module;
/// `class_variables` are the type variables of the class it is a method of.
fn function_summary(
    facts: &FastApiFacts,
    summary: &ModuleSummary,
    function: &ast::StmtFunctionDef,
    class_variables: &[String],
    is_method: bool,
    text: &str,
) -> FunctionSummary {
    let returns = function.returns.as_deref();
    let provides = returns.and_then(|returns| crate::python::fastapi::yielded_type(facts, returns));
    let type_variables: HashSet<CompactString> = summary
        .type_variables
        .iter()
        .cloned()
        .chain(class_variables.iter().map(|name| name.as_str().into()))
        .chain(function.type_params.iter().flat_map(|parameters| {
            parameters
                .type_params
                .iter()
                .map(|parameter| parameter.name().id.as_str().into())
        }))
        .collect();
    let scope = TypeScope {
        facts,
        module: &summary.name,
        is_package: summary.is_package,
        type_variables: &type_variables,
        text,
    };
    FunctionSummary {
        is_async: function.is_async,
        is_generator: text[function.range()].contains("yield") && body_yields(&function.body),
        parameters: function
            .parameters
            .iter_non_variadic_params()
            .map(|parameter| {
                let annotation = parameter.parameter.annotation.as_deref();
                (
                    parameter.parameter.name.id.as_str().into(),
                    annotation.map(|annotation| text[annotation.range()].into()),
                )
            })
            .collect(),
        name: function.name.id.as_str().into(),
        returns: returns.map(|returns| text[returns.range()].into()),
        provides: provides.map(|provides| text[provides.range()].into()),
        provides_qualified: provides
            .and_then(|provides| qualified_in(facts, &summary.name, summary.is_package, provides))
            .map(CompactString::from),
        returns_shape: returns.map(|returns| shape_of(&scope, returns)),
        blocks: (!function.is_async && !is_method)
            .then(|| first_blocking_call(facts, &summary.name, function))
            .flatten(),
    }
}

/// The first blocking call in a plain function's own body, judged from
/// this module alone.
fn first_blocking_call(
    facts: &FastApiFacts,
    module: &str,
    function: &ast::StmtFunctionDef,
) -> Option<String> {
    let body = crate::python::blocking::analyze(
        facts,
        &crate::python::blocking::NoProject,
        Some(module),
        false,
        &[],
        function,
    );
    body.blocking.first().map(|site| site.what.clone())
}

/// A module's routing facts (see [`Routing`]).
fn routing(
    module: &ModModule,
    facts: &FastApiFacts,
    name: &str,
    is_package: bool,
    text: &str,
) -> Routing {
    let mut routing = Routing::default();
    fn assigned(stmt: &Stmt) -> Option<(String, &Expr)> {
        match stmt {
            Stmt::Assign(assign) => match assign.targets.as_slice() {
                [Expr::Name(target)] => Some((target.id.to_string(), assign.value.as_ref())),
                _ => None,
            },
            Stmt::AnnAssign(assign) => match (assign.target.as_ref(), assign.value.as_deref()) {
                (Expr::Name(target), Some(value)) => Some((target.id.to_string(), value)),
                _ => None,
            },
            _ => None,
        }
    }
    let mut bodies: Vec<&[Stmt]> = vec![&module.body];
    bodies.extend(
        facts
            .functions
            .iter()
            .map(|function| function.body.as_slice()),
    );
    for body in bodies {
        for stmt in body {
            if let Some((target, Expr::Call(call))) = assigned(stmt)
                && facts.resolves_to(&call.func, "fastapi.FastAPI")
                && !routing.apps.iter().any(|app| *app == target)
            {
                routing.apps.push(target.into());
            }
        }
    }
    // `def register_routes(app: FastAPI)` includes into the app it is given.
    for function in &facts.functions {
        for parameter in function.parameters.iter() {
            let name = parameter.name().as_str();
            if parameter
                .annotation()
                .is_some_and(|annotation| facts.resolves_to(annotation, "fastapi.FastAPI"))
                && !routing.apps.iter().any(|app| app == name)
            {
                routing.apps.push(name.into());
            }
        }
    }
    for stmt in &module.body {
        if let Some((target, Expr::Call(call))) = assigned(stmt)
            && facts.routers.contains(target.as_str())
        {
            let prefix = call
                .arguments
                .find_keyword("prefix")
                .or_else(|| call.arguments.find_keyword("root_path"))
                .map(|keyword| PathText::of(&keyword.value, text));
            routing.prefixes.push((target.into(), prefix));
        }
    }
    for route in &facts.routes {
        let arguments = &route.decorator.arguments;
        let path = arguments
            .args
            .first()
            .or_else(|| arguments.find_keyword("path").map(|keyword| &keyword.value));
        if let Some(path) = path {
            routing
                .routes
                .push((route.router.as_str().into(), PathText::of(path, text)));
        }
    }
    for call in &facts.calls {
        let Expr::Attribute(attribute) = call.func.as_ref() else {
            continue;
        };
        if attribute.attr.id != "include_router" {
            continue;
        }
        let arguments = &call.arguments;
        let Some(router) = arguments.args.first().or_else(|| {
            arguments
                .find_keyword("router")
                .map(|keyword| &keyword.value)
        }) else {
            continue;
        };
        let qualified = qualified_in(facts, name, is_package, router)
            .unwrap_or_else(|| text[router.range()].to_string());
        routing.includes.push(Include {
            receiver: text[attribute.value.range()].into(),
            router: qualified.into(),
            prefix: arguments
                .find_keyword("prefix")
                .map(|keyword| PathText::of(&keyword.value, text)),
        });
    }
    routing
}

/// The dotted paths string literals spell (`"app.crud.user.get"`, the
/// part before `:` in `"app.main:app"`), read from the tokens: no walk of
/// the tree.
fn module_strings(tokens: &Tokens, text: &str) -> Vec<CompactString> {
    use ruff_python_ast::token::TokenKind;
    let mut found: Vec<CompactString> = Vec::new();
    for token in tokens {
        if token.kind() != TokenKind::String {
            continue;
        }
        let literal = &text[token.range()];
        let Some(quote) = literal.find(['"', '\'']) else {
            continue;
        };
        let inner = literal[quote..].trim_matches(['"', '\'']);
        if let Some((path, _)) = crate::python::naming::dotted_module_path(inner)
            && !found.iter().any(|known| known == path)
        {
            found.push(CompactString::from(path));
        }
    }
    found
}

/// Whether a function body yields, outside nested functions and classes.
pub fn body_yields(body: &[Stmt]) -> bool {
    use ruff_python_ast::visitor::{self, Visitor};
    struct Yields(bool);
    impl<'a> Visitor<'a> for Yields {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Yield(_) | Expr::YieldFrom(_) => self.0 = true,
                Expr::Lambda(_) => {}
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut yields = Yields(false);
    yields.visit_body(body);
    yields.0
}

fn class_summary(
    facts: &FastApiFacts,
    summary: &ModuleSummary,
    class: &ast::StmtClassDef,
    text: &str,
) -> ClassSummary {
    let scope = TypeScope {
        facts,
        module: &summary.name,
        is_package: summary.is_package,
        type_variables: &summary.type_variables,
        text,
    };
    let mut bases: Vec<CompactString> = Vec::new();
    let mut base_arguments: Vec<Vec<TypeShape>> = Vec::new();
    for base in class.bases() {
        let (base, arguments) = match base {
            Expr::Subscript(subscript) => {
                let arguments: Vec<TypeShape> = match subscript.slice.as_ref() {
                    Expr::Tuple(tuple) => tuple
                        .elts
                        .iter()
                        .map(|argument| shape_of(&scope, argument))
                        .collect(),
                    single => vec![shape_of(&scope, single)],
                };
                (subscript.value.as_ref(), arguments)
            }
            other => (other, Vec::new()),
        };
        bases.push(
            qualified_in(facts, &summary.name, summary.is_package, base)
                .map_or_else(|| text[base.range()].into(), CompactString::from),
        );
        base_arguments.push(arguments);
    }
    let table = class.arguments.as_ref().is_some_and(|arguments| {
        arguments.find_keyword("table").is_some_and(
            |keyword| matches!(keyword.value, Expr::BooleanLiteral(ref value) if value.value),
        )
    });
    let has_tablename = class.body.iter().any(|stmt| match stmt {
        Stmt::Assign(assign) => assign
            .targets
            .iter()
            .any(|target| matches!(target, Expr::Name(name) if name.id == "__tablename__")),
        _ => false,
    });
    let kind = if bases.iter().any(|base| base == "sqlmodel.SQLModel") {
        if table {
            ClassKind::OrmModel
        } else {
            ClassKind::PydanticModel
        }
    } else if bases
        .iter()
        .any(|base| base == "pydantic.BaseModel" || base == "pydantic.main.BaseModel")
    {
        ClassKind::PydanticModel
    } else if has_tablename
        || bases
            .iter()
            .any(|base| base.ends_with("DeclarativeBase") || base.ends_with(".Base"))
    {
        ClassKind::OrmModel
    } else {
        ClassKind::Plain
    };
    let fields = class
        .body
        .iter()
        .filter_map(|stmt| match stmt {
            Stmt::AnnAssign(assign) => match assign.target.as_ref() {
                Expr::Name(name) => Some((
                    name.id.as_str().into(),
                    text[assign.annotation.range()].into(),
                    assign
                        .value
                        .as_ref()
                        .map(|value| text[value.range()].into()),
                )),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let type_parameters = crate::python::types::class_type_parameters(&scope, class);
    let methods = class
        .body
        .iter()
        .filter_map(|stmt| match stmt {
            Stmt::FunctionDef(method) => Some(function_summary(
                facts,
                summary,
                method,
                &type_parameters,
                true,
                text,
            )),
            _ => None,
        })
        .collect();
    ClassSummary {
        name: class.name.id.as_str().into(),
        bases,
        kind,
        fields,
        base_arguments,
        type_parameters,
        methods,
        from_attributes: reads_attributes(class),
        table,
        http_error: class_error_shape(facts, &summary.name, summary.is_package, class),
        settings_config: crate::python::app_settings::settings_config(class),
    }
}

/// Whether a Pydantic class configures itself to read attributes:
/// `model_config = ConfigDict(from_attributes=True)` (or a dict), a
/// `class Config:` with `orm_mode = True` / `from_attributes = True`, or
/// `class M(BaseModel, from_attributes=True)`.
fn reads_attributes(class: &ast::StmtClassDef) -> bool {
    let is_true = |expr: &Expr| matches!(expr, Expr::BooleanLiteral(value) if value.value);
    let is_flag = |name: &str| matches!(name, "from_attributes" | "orm_mode");
    if class.arguments.as_ref().is_some_and(|arguments| {
        arguments.keywords.iter().any(|keyword| {
            keyword
                .arg
                .as_ref()
                .is_some_and(|arg| is_flag(arg.id.as_str()))
                && is_true(&keyword.value)
        })
    }) {
        return true;
    }
    class.body.iter().any(|stmt| match stmt {
        Stmt::Assign(assign)
            if assign
                .targets
                .iter()
                .any(|target| matches!(target, Expr::Name(name) if name.id == "model_config")) =>
        {
            match assign.value.as_ref() {
                Expr::Call(call) => call.arguments.keywords.iter().any(|keyword| {
                    keyword
                        .arg
                        .as_ref()
                        .is_some_and(|arg| is_flag(arg.id.as_str()))
                        && is_true(&keyword.value)
                }),
                Expr::Dict(dict) => dict.items.iter().any(|item| {
                    matches!(&item.key, Some(Expr::StringLiteral(key)) if is_flag(key.value.to_str()))
                        && is_true(&item.value)
                }),
                _ => false,
            }
        }
        Stmt::ClassDef(config) if config.name.id == "Config" => {
            config.body.iter().any(|stmt| match stmt {
                Stmt::Assign(assign) => {
                    assign.targets.iter().any(
                        |target| matches!(target, Expr::Name(name) if is_flag(name.id.as_str())),
                    ) && is_true(&assign.value)
                }
                Stmt::AnnAssign(assign) => {
                    matches!(assign.target.as_ref(), Expr::Name(name) if is_flag(name.id.as_str()))
                        && assign.value.as_deref().is_some_and(is_true)
                }
                _ => false,
            })
        }
        _ => false,
    })
}

/// The key of `Annotated[T, Depends(f, …)]`, if `expr` is one.
fn alias_key(
    facts: &FastApiFacts,
    summary: &ModuleSummary,
    expr: &Expr,
    text: &str,
) -> Option<DependencyKey> {
    let (type_expr, call) = annotated_dependency(facts, expr)?;
    key_of(
        facts,
        &summary.name,
        summary.is_package,
        type_expr,
        call,
        text,
    )
}

/// `(T, call)` for `Annotated[T, …, Depends(…)]`.
pub fn annotated_dependency<'e>(
    facts: &FastApiFacts,
    expr: &'e Expr,
) -> Option<(&'e Expr, &'e ast::ExprCall)> {
    if !facts.is_annotated(expr) {
        return None;
    }
    let Expr::Subscript(subscript) = expr else {
        return None;
    };
    let Expr::Tuple(tuple) = subscript.slice.as_ref() else {
        return None;
    };
    let (type_expr, metadata) = tuple.elts.split_first()?;
    let mut calls = metadata
        .iter()
        .filter_map(|element| facts.param_call(element));
    let (function, call) = calls.next()?;
    (function.is_dependency() && calls.next().is_none() && metadata.len() == 1)
        .then_some((type_expr, call))
}

/// The key of a dependency parameter written in module `module` (not yet
/// followed through re-exports: see [`ProjectIndex::canonical_key`]).
pub fn key_of(
    facts: &FastApiFacts,
    module: &str,
    is_package: bool,
    type_expr: &Expr,
    call: &ast::ExprCall,
    text: &str,
) -> Option<DependencyKey> {
    let function = facts.param_function(&call.func)?;
    let dependency = call.arguments.find_argument_value("dependency", 0)?;
    let dependency_name = qualified_in(facts, module, is_package, dependency)?;
    let arguments: Vec<&str> = call
        .arguments
        .iter_source_order()
        .filter(|argument| !std::ptr::eq(argument.value(), dependency))
        .map(|argument| &text[argument.range()])
        .collect();
    let type_name = qualified_in(facts, module, is_package, type_expr)
        .unwrap_or_else(|| text[type_expr.range()].to_string());
    Some(DependencyKey {
        function: match function {
            ParamFunction::Security => "Security",
            _ => "Depends",
        },
        dependency: dependency_name,
        arguments: arguments.join(", "),
        type_name,
    })
}

fn dependency_use(
    facts: &FastApiFacts,
    summary: &ModuleSummary,
    parameter: &ParameterWithDefault,
    text: &str,
) -> Option<DependencyUse> {
    let Some(annotation) = parameter.parameter.annotation.as_deref() else {
        // Unannotated: written in `Annotated` form it takes the dependency's type,
        // which the index settles once every module is known.
        let (function, call) = facts.param_call(parameter.default.as_deref()?)?;
        if !function.is_dependency() {
            return None;
        }
        let dependency = call.arguments.find_argument_value("dependency", 0)?;
        let name = qualified_in(facts, &summary.name, summary.is_package, dependency)?;
        let mut key = key_of(
            facts,
            &summary.name,
            summary.is_package,
            dependency,
            call,
            text,
        )?;
        key.type_name = format!("{INFERRED_TYPE}{name}");
        return Some(DependencyUse {
            key,
            parameter: parameter.parameter.name.id.to_string(),
            type_text: String::new(),
            default_form: true,
            ignored: None,
        });
    };
    let (type_expr, call, default_form) = match annotated_dependency(facts, annotation) {
        Some((type_expr, call)) => (type_expr, call, false),
        None => {
            let (function, call) = facts.param_call(parameter.default.as_deref()?)?;
            if !function.is_dependency() || matches!(annotation, Expr::StringLiteral(_)) {
                return None;
            }
            (annotation, call, true)
        }
    };
    if !default_form && parameter.default.is_some() {
        return None;
    }
    Some(DependencyUse {
        key: key_of(
            facts,
            &summary.name,
            summary.is_package,
            type_expr,
            call,
            text,
        )?,
        parameter: parameter.parameter.name.id.to_string(),
        type_text: text[type_expr.range()].to_string(),
        default_form,
        ignored: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(modules: &[(&str, bool, &str)]) -> ProjectIndex {
        ProjectIndex::new(
            modules
                .iter()
                .map(|(name, package, source)| summarize(name, *package, source).unwrap()),
        )
    }

    #[test]
    fn a_name_tests_patch_by_its_path_is_taken_from_its_module() {
        let index = index(&[
            ("app.services.user", false, "from app.db import get_db\n"),
            (
                "tests.test_user",
                false,
                "from unittest.mock import patch\n\n\ndef test_it(mocker):\n    with patch(\"app.services.user.get_db\"):\n        mocker.patch(\"app.services.user.not here\")\n",
            ),
        ]);
        assert!(index.is_imported_from("app.services.user", "get_db"));
        assert!(!index.is_imported_from("app.services.user", "other"));
    }

    #[test]
    fn dependency_uses_resolve_through_imports_and_re_exports() {
        let index = index(&[
            ("app.api", true, "from .deps import get_db\n"),
            (
                "app.api.deps",
                false,
                "from typing import Generator\nfrom sqlalchemy.orm import Session\ndef get_db() -> Generator[Session, None, None]:\n    yield Session()\n",
            ),
            (
                "app.api.routes.a",
                false,
                "from fastapi import Depends\nfrom sqlalchemy.orm import Session\nfrom app.api import deps\ndef r(db: Session = Depends(deps.get_db)): ...\n",
            ),
            (
                "app.api.routes.b",
                false,
                "from typing import Annotated\nfrom fastapi import Depends\nfrom sqlalchemy.orm import Session\nfrom app.api import get_db\ndef r(db: Annotated[Session, Depends(get_db)]): ...\n",
            ),
        ]);
        let a = &index.module("app.api.routes.a").unwrap().dependency_uses[0];
        let b = &index.module("app.api.routes.b").unwrap().dependency_uses[0];
        assert_eq!(a.key, b.key);
        assert_eq!(a.key.dependency, "app.api.deps.get_db");
        assert_eq!(a.key.type_name, "sqlalchemy.orm.Session");
        assert!(a.default_form && !b.default_form);
        let (_, function) = index.function("app.api.get_db").unwrap();
        assert_eq!(function.provides.as_deref(), Some("Session"));
        assert_eq!(
            function.provides_qualified.as_deref(),
            Some("sqlalchemy.orm.Session")
        );
        assert!(index.reaches("app.api.routes.a", "app.api.deps"));
        assert!(!index.reaches("app.api.deps", "app.api.routes.a"));
    }

    #[test]
    fn functions_classes_and_routers_are_summarized() {
        let index = index(&[(
            "app.models",
            false,
            "from fastapi import APIRouter\nfrom pydantic import BaseModel\nfrom sqlmodel import SQLModel\nrouter = APIRouter()\nclass User(BaseModel):\n    email: str\n    name: str = 'x'\nclass Hero(SQLModel, table=True):\n    id: int\nclass Item:\n    __tablename__ = 'items'\nasync def gen(db: int):\n    yield db\n",
        )]);
        let module = index.module("app.models").unwrap();
        assert_eq!(module.routers, ["router"]);
        let kinds: Vec<_> = module
            .class_summaries
            .iter()
            .map(|class| (class.name.as_str(), class.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("User", ClassKind::PydanticModel),
                ("Hero", ClassKind::OrmModel),
                ("Item", ClassKind::OrmModel)
            ]
        );
        assert_eq!(
            module.class_summaries[0].fields[1],
            ("name".into(), "str".into(), Some("'x'".into()))
        );
        let function = module.function("gen").unwrap();
        assert!(function.is_async && function.is_generator);
        assert_eq!(function.parameters, [("db".into(), Some("int".into()))]);
    }

    #[test]
    fn existing_aliases_are_indexed() {
        let index = index(&[(
            "app.deps",
            false,
            "from typing import Annotated\nfrom fastapi import Depends, Security\nfrom app.models import User\ndef current(): ...\nCurrentUser = Annotated[User, Security(current, scopes=['me'])]\ntype Other = Annotated[User, Depends(current)]\n",
        )]);
        let aliases = &index.module("app.deps").unwrap().aliases;
        assert_eq!(aliases.len(), 2);
        assert_eq!(aliases[0].name, "CurrentUser");
        assert_eq!(aliases[0].key.function, "Security");
        assert_eq!(aliases[0].key.arguments, "scopes=['me']");
        assert_eq!(aliases[0].key.dependency, "app.deps.current");
        assert_eq!(aliases[0].key.type_name, "app.models.User");
        assert_eq!(aliases[1].name, "Other");
    }
}
