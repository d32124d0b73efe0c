//! Which calls block the event loop, and where they sit in an `async def`.
//!
//! Knowledge shared by the transforms that free the event loop: calls
//! are recognised through imports, never by spelling (`import requests as r`
//! then `r.get`, `from time import sleep`), and methods through the type of
//! their receiver, wherever it is bound: a parameter annotated `Session`, a
//! variable assigned `httpx.Client()`, a `with requests.Session() as s:`
//! block, a module-level `client = httpx.Client()` of this module or of
//! another one it is imported from, or `self.client` assigned in
//! `__init__`, declared in the class body, or made by a `cached_property`.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange};

use crate::python::fastapi::FastApiFacts;

/// What the analysis needs to know of other modules: it is given the
/// project's index, or [`NoProject`] when a module is judged alone.
pub trait ProjectTypes {
    /// The class whose instances a name annotates, followed through
    /// re-exports and dependency aliases (`app.deps.SessionDep` →
    /// `sqlalchemy.orm.Session`), when that class blocks
    /// ([`blocking_class`]).
    fn receiver_class(&self, qualified: &str, configured: &[String]) -> Option<String>;
    /// For a module-level object another module defines
    /// (`app.clients.s3 = boto3.client("s3")`): the class or client
    /// factory that made it, when its instances block.
    fn instance_class(&self, qualified: &str, configured: &[String]) -> Option<String>;
}

/// Another module's answers, each asked once: the functions of a file ask
/// about the same few names (`SessionDep`, `s3`) over and over. Holds for
/// one list of configured blocking calls, the file's.
pub struct RememberedTypes<'p> {
    project: &'p dyn ProjectTypes,
    receivers: std::cell::RefCell<HashMap<String, Option<String>>>,
    instances: std::cell::RefCell<HashMap<String, Option<String>>>,
}

impl<'p> RememberedTypes<'p> {
    pub fn new(project: &'p dyn ProjectTypes) -> Self {
        RememberedTypes {
            project,
            receivers: Default::default(),
            instances: Default::default(),
        }
    }

    fn remembered(
        answers: &std::cell::RefCell<HashMap<String, Option<String>>>,
        qualified: &str,
        ask: impl FnOnce() -> Option<String>,
    ) -> Option<String> {
        if let Some(known) = answers.borrow().get(qualified) {
            return known.clone();
        }
        let answer = ask();
        answers
            .borrow_mut()
            .insert(qualified.to_string(), answer.clone());
        answer
    }
}

impl ProjectTypes for RememberedTypes<'_> {
    fn receiver_class(&self, qualified: &str, configured: &[String]) -> Option<String> {
        Self::remembered(&self.receivers, qualified, || {
            self.project.receiver_class(qualified, configured)
        })
    }

    fn instance_class(&self, qualified: &str, configured: &[String]) -> Option<String> {
        Self::remembered(&self.instances, qualified, || {
            self.project.instance_class(qualified, configured)
        })
    }
}

/// No other module is known: names are what they say.
pub struct NoProject;

impl ProjectTypes for NoProject {
    fn receiver_class(&self, qualified: &str, configured: &[String]) -> Option<String> {
        blocking_class(qualified, configured)
    }

    fn instance_class(&self, _qualified: &str, _configured: &[String]) -> Option<String> {
        None
    }
}

/// `qualified`, when instances of that class block: a known client
/// (`requests.Session`, `sqlalchemy.orm.Session`, …) or a class with
/// methods in the configured blocking calls.
pub fn blocking_class(qualified: &str, configured: &[String]) -> Option<String> {
    let prefix = format!("{qualified}.");
    (receiver_of_class(qualified).is_some()
        || configured.iter().any(|entry| entry.starts_with(&prefix)))
    .then(|| qualified.to_string())
}

/// More calls that block, from the configuration: `mycompany.sdk.Client.send`
/// (a method of a class), `legacy_billing.*` (everything in a module).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockingCalls(pub Vec<String>);

/// Module-level functions (and constructors) that block.
const BLOCKING_FUNCTIONS: &[&str] = &[
    "requests.get",
    "requests.post",
    "requests.put",
    "requests.patch",
    "requests.delete",
    "requests.head",
    "requests.options",
    "requests.request",
    "httpx.get",
    "httpx.post",
    "httpx.put",
    "httpx.patch",
    "httpx.delete",
    "httpx.head",
    "httpx.options",
    "httpx.request",
    "httpx.stream",
    "urllib.request.urlopen",
    "urllib3.request",
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.Popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "os.system",
    "os.popen",
    "os.wait",
    "os.waitpid",
    "os.wait3",
    "os.wait4",
    "builtins.open",
    "io.open",
    "socket.create_connection",
    "smtplib.SMTP",
    "smtplib.SMTP_SSL",
    "sqlite3.connect",
    "psycopg2.connect",
    "pymysql.connect",
    // File-system work on a path, which can take long on big trees or
    // network mounts.
    "shutil.rmtree",
    "shutil.copytree",
    "shutil.copyfile",
    "shutil.copy",
    "shutil.copy2",
    "shutil.move",
    "shutil.make_archive",
    "shutil.unpack_archive",
    "os.remove",
    "os.unlink",
    "os.rmdir",
    "os.removedirs",
    "os.makedirs",
    "os.rename",
    "os.replace",
    "os.listdir",
    "os.scandir",
    "os.walk",
];

/// Top-level modules with blocking functions or classes: a callee from any
/// other module (without configured calls) does not block.
const BLOCKING_MODULES: &[&str] = &[
    "boto3",
    "builtins",
    "ftplib",
    "httpx",
    "io",
    "os",
    "pathlib",
    "psycopg2",
    "pymongo",
    "pymysql",
    "redis",
    "requests",
    "shutil",
    "smtplib",
    "socket",
    "sqlalchemy",
    "sqlite3",
    "sqlmodel",
    "subprocess",
    "time",
    "urllib",
    "urllib3",
];

/// What a receiver is, for its methods.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Receiver {
    HttpSession,
    SqlSession,
    /// `session.query(...)…`: only the terminal methods run SQL.
    SqlQuery,
    Path,
    /// Every method talks to a server (redis, boto3, DB-API connections, SMTP, urllib3 pools).
    Client,
    /// A type listed in the configuration, with the methods that block.
    Configured(String),
    /// A client bound to the thread that created it (`sqlite3` connections):
    /// its calls block but cannot move to another thread.
    ThreadBound,
}

const HTTP_METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream",
];
const SQL_SESSION_METHODS: &[&str] = &[
    "execute", "scalars", "scalar", "get", "commit", "flush", "refresh", "delete", "merge",
    "rollback", "exec",
];
const SQL_QUERY_TERMINALS: &[&str] = &[
    "all",
    "first",
    "one",
    "one_or_none",
    "scalar",
    "count",
    "get",
    "delete",
    "update",
];
const PATH_METHODS: &[&str] = &[
    "open",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
];
/// Methods of clients that do no I/O.
const CLIENT_LOCAL_METHODS: &[&str] = &[
    "pipeline",
    "cursor",
    "get_paginator",
    "get_waiter",
    "close",
    "settimeout",
    "setsockopt",
    "setblocking",
    "fileno",
];

/// Classes (qualified) whose instances block, by kind.
fn receiver_of_class(qualified: &str) -> Option<Receiver> {
    Some(match qualified {
        "requests.Session" | "requests.sessions.Session" | "httpx.Client" => Receiver::HttpSession,
        "sqlalchemy.orm.Session"
        | "sqlalchemy.orm.session.Session"
        | "sqlmodel.Session"
        | "sqlmodel.orm.session.Session" => Receiver::SqlSession,
        "pathlib.Path" | "pathlib.PosixPath" | "pathlib.WindowsPath" => Receiver::Path,
        "redis.Redis"
        | "redis.StrictRedis"
        | "redis.client.Redis"
        | "urllib3.PoolManager"
        | "smtplib.SMTP"
        | "smtplib.SMTP_SSL"
        | "pymongo.MongoClient"
        | "ftplib.FTP"
        | "socket.socket" => Receiver::Client,
        // Functions that return clients.
        "boto3.client" | "boto3.resource" | "psycopg2.connect" | "pymysql.connect" => {
            Receiver::Client
        }
        "sqlite3.connect" => Receiver::ThreadBound,
        _ => return None,
    })
}

/// The class whose body defines `function` as a method, if any.
fn enclosing_class<'a>(
    facts: &FastApiFacts<'a>,
    function: &StmtFunctionDef,
) -> Option<&'a ast::StmtClassDef> {
    facts.classes.iter().copied().find(|class| {
        class
            .body
            .iter()
            .any(|stmt| matches!(stmt, Stmt::FunctionDef(method) if std::ptr::eq(method, function)))
    })
}

/// Whether a decorator is `name` or `something.name` (`functools.cached_property`).
fn is_named(expr: &Expr, name: &str) -> bool {
    match expr {
        Expr::Name(found) => found.id == name,
        Expr::Attribute(attribute) => attribute.attr.id == name,
        _ => false,
    }
}

/// Every name a function binds in its own body: parameters, assignment
/// and loop targets, imports, nested definitions.
fn bound_names(function: &StmtFunctionDef) -> HashSet<&str> {
    struct Bound<'a>(HashSet<&'a str>);
    impl<'a> Visitor<'a> for Bound<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(function) => {
                    self.0.insert(function.name.id.as_str());
                    return;
                }
                Stmt::ClassDef(class) => {
                    self.0.insert(class.name.id.as_str());
                    return;
                }
                Stmt::Import(ast::StmtImport { names, .. })
                | Stmt::ImportFrom(ast::StmtImportFrom { names, .. }) => {
                    for alias in names {
                        let local = alias.asname.as_ref().unwrap_or(&alias.name).id.as_str();
                        self.0.insert(local.split('.').next().unwrap_or(local));
                    }
                }
                _ => {}
            }
            visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Name(name) = expr
                && matches!(name.ctx, ast::ExprContext::Store)
            {
                self.0.insert(name.id.as_str());
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut bound = Bound(
        function
            .parameters
            .iter()
            .map(|parameter| parameter.name().id.as_str())
            .collect(),
    );
    bound.visit_body(&function.body);
    bound.0
}

/// Where a blocking call sits.
#[derive(Debug, Clone)]
pub struct BlockingSite<'a> {
    pub call: &'a ast::ExprCall,
    /// `time.sleep`, which becomes `await asyncio.sleep`.
    pub is_sleep: bool,
    /// What blocks, for messages (`requests.get`, `Session.execute`).
    pub what: String,
    /// The call is the object of an attribute, subscript or call: `await` needs parentheses.
    pub needs_parentheses: bool,
    /// Why it cannot be moved off the event loop in place, if it cannot.
    pub unmovable: Option<&'static str>,
}

/// What an `async def` does, as far as the event loop is concerned.
#[derive(Debug, Default)]
pub struct AsyncBody<'a> {
    /// It awaits, or uses `async for` / `async with`, in its own body.
    pub awaits: bool,
    pub blocking: Vec<BlockingSite<'a>>,
}

/// Looks for blocking calls in an `async def`'s own body (not in nested
/// functions, lambdas or classes).
pub fn analyze<'a>(
    facts: &FastApiFacts,
    project: &dyn ProjectTypes,
    module_name: Option<&str>,
    is_package: bool,
    configured: &[String],
    function: &'a StmtFunctionDef,
) -> AsyncBody<'a> {
    let mut finder = Finder {
        facts,
        project,
        module_name,
        is_package,
        configured,
        types: HashMap::default(),
        parameters: HashMap::default(),
        parameter_types: std::cell::RefCell::new(HashMap::default()),
        locals: bound_names(function),
        self_name: None,
        self_types: HashMap::default(),
        parenthesized: None,
        in_generator: 0,
        body: AsyncBody::default(),
    };
    // A method sees what its instance holds: `self.client`.
    if let Some(class) = enclosing_class(facts, function)
        && let Some(first) = function.parameters.args.first()
        && !function
            .decorator_list
            .iter()
            .any(|decorator| is_named(&decorator.expression, "staticmethod"))
    {
        finder.self_types = finder.attribute_receivers(class);
        finder.self_name = Some(first.parameter.name.id.to_string());
    }
    for parameter in function.parameters.iter_non_variadic_params() {
        if let Some(annotation) = parameter.parameter.annotation.as_deref() {
            finder
                .parameters
                .insert(parameter.parameter.name.id.as_str(), annotation);
        }
    }
    finder.visit_body(&function.body);
    finder.body
}

struct Finder<'a, 'f> {
    facts: &'f FastApiFacts<'f>,
    project: &'f dyn ProjectTypes,
    module_name: Option<&'f str>,
    is_package: bool,
    configured: &'f [String],
    types: HashMap<String, Receiver>,
    /// Annotated parameters not assigned again so far. What an annotation
    /// makes a parameter is asked of the project only when the parameter
    /// is used as a receiver, which most are not.
    parameters: HashMap<&'a str, &'a Expr>,
    parameter_types: std::cell::RefCell<HashMap<&'a str, Option<Receiver>>>,
    /// Names the function binds itself (parameters, assignments, imports):
    /// these are never the module's objects of the same name.
    locals: HashSet<&'a str>,
    /// For a method: its first parameter (`self`), and what the instance's
    /// attributes hold.
    self_name: Option<String>,
    self_types: HashMap<String, Receiver>,
    /// The expression about to be visited as the object of `.x`, `[x]` or `(…)`.
    parenthesized: Option<TextRange>,
    in_generator: usize,
    body: AsyncBody<'a>,
}

impl<'a> Finder<'a, '_> {
    fn qualified(&self, expr: &Expr) -> Option<String> {
        if let Some(qualified) = self.facts.imports.qualified_name(expr) {
            return Some(qualified);
        }
        self.builtin(expr)
    }

    /// The qualified name of a callee, when it may block: a name from a
    /// module that has blocking calls (or any, with configured calls).
    /// Other callees are not spelled out, which most calls are.
    fn qualified_callee(&self, expr: &Expr) -> Option<String> {
        let mut root = expr;
        while let Expr::Attribute(attribute) = root {
            root = &attribute.value;
        }
        let Expr::Name(name) = root else {
            return None;
        };
        match self.facts.imports.target_of(name.id.as_str()) {
            Some(target) => {
                let top = target.split('.').next().unwrap_or(target);
                (!self.configured.is_empty() || BLOCKING_MODULES.contains(&top))
                    .then(|| self.facts.imports.qualified_name(expr))
                    .flatten()
            }
            None => self.builtin(expr),
        }
    }

    /// `open`, when the module does not define its own.
    fn builtin(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(name)
                if name.id.as_str() == "open"
                    && !self.facts.module_functions.contains_key("open") =>
            {
                Some("builtins.open".to_string())
            }
            _ => None,
        }
    }

    /// The receiver kind an annotation gives: `Session`, `Annotated[Session, …]`,
    /// `Session | None`, `Optional[Session]`, or an alias such as `SessionDep`.
    fn receiver_of_annotation(&self, annotation: &Expr) -> Option<Receiver> {
        match annotation {
            Expr::Subscript(subscript) if self.facts.is_annotated(annotation) => {
                match subscript.slice.as_ref() {
                    Expr::Tuple(tuple) => self.receiver_of_annotation(tuple.elts.first()?),
                    other => self.receiver_of_annotation(other),
                }
            }
            Expr::Subscript(subscript)
                if self.qualified(&subscript.value).as_deref() == Some("typing.Optional") =>
            {
                self.receiver_of_annotation(&subscript.slice)
            }
            Expr::BinOp(binary) => self
                .receiver_of_annotation(&binary.left)
                .or_else(|| self.receiver_of_annotation(&binary.right)),
            _ => {
                let qualified = self.qualified(annotation).or_else(|| {
                    let name = crate::python::fastapi::dotted_text(annotation)?;
                    Some(format!("{}.{name}", self.module_name?))
                })?;
                let class = self.project.receiver_class(&qualified, self.configured)?;
                self.class_receiver(&class)
            }
        }
    }

    fn class_receiver(&self, qualified: &str) -> Option<Receiver> {
        if let Some(receiver) = receiver_of_class(qualified) {
            return Some(receiver);
        }
        if self.configured.is_empty() {
            return None;
        }
        let prefix = format!("{qualified}.");
        self.configured
            .iter()
            .any(|entry| entry.starts_with(&prefix))
            .then(|| Receiver::Configured(qualified.to_string()))
    }

    /// What an expression evaluates to, when it is a blocking receiver.
    fn receiver_of(&self, expr: &Expr) -> Option<Receiver> {
        match expr {
            Expr::Name(name) => match self.types.get(name.id.as_str()) {
                Some(receiver) => Some(receiver.clone()),
                None if let Some((&parameter, &annotation)) =
                    self.parameters.get_key_value(name.id.as_str()) =>
                {
                    if let Some(known) = self.parameter_types.borrow().get(parameter) {
                        return known.clone();
                    }
                    let receiver = self.receiver_of_annotation(annotation);
                    self.parameter_types
                        .borrow_mut()
                        .insert(parameter, receiver.clone());
                    receiver
                }
                None if !self.locals.contains(name.id.as_str()) => {
                    self.module_receiver(name.id.as_str())
                }
                None => None,
            },
            // `self.client`, from the class.
            Expr::Attribute(attribute)
                if matches!(attribute.value.as_ref(), Expr::Name(name)
                    if self.self_name.as_deref() == Some(name.id.as_str())) =>
            {
                self.self_types.get(attribute.attr.id.as_str()).cloned()
            }

            Expr::Call(call) => {
                if let Expr::Attribute(attribute) = call.func.as_ref() {
                    let inner = self.receiver_of(&attribute.value);
                    return match inner {
                        Some(Receiver::SqlSession) if attribute.attr.id.as_str() == "query" => {
                            Some(Receiver::SqlQuery)
                        }
                        Some(Receiver::SqlQuery) => Some(Receiver::SqlQuery),
                        Some(Receiver::Client) if attribute.attr.id.as_str() == "client" => {
                            Some(Receiver::Client)
                        }
                        _ => self
                            .qualified_callee(&call.func)
                            .and_then(|qualified| self.class_receiver(&qualified)),
                    };
                }
                self.qualified_callee(&call.func)
                    .and_then(|qualified| self.class_receiver(&qualified))
            }
            Expr::Attribute(attribute) => {
                // `clients.http`, through an imported module.
                if let Expr::Name(name) = attribute.value.as_ref()
                    && !self.locals.contains(name.id.as_str())
                    && self.facts.imports.is_bound(name.id.as_str())
                    && let Some(receiver) = self.module_object(expr)
                {
                    return Some(receiver);
                }
                // `client.db.collection` on a MongoDB client is still the client.
                match self.receiver_of(&attribute.value)? {
                    Receiver::Client => Some(Receiver::Client),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// What a module-level name holds: an object this module makes
    /// (`client = httpx.Client()`, `client: httpx.Client = make()`), or one
    /// imported from another module of the project.
    fn module_receiver(&self, name: &str) -> Option<Receiver> {
        if let Some(value) = self.facts.module_values.get(name) {
            if let Some(annotation) = value.annotation {
                return self.receiver_of_annotation(annotation);
            }
            // Only a call makes an object; a name bound to a name is not followed.
            return match value.value? {
                call @ Expr::Call(_) => self.receiver_of(call),
                _ => None,
            };
        }
        self.facts.imports.target_of(name)?;
        let root = ast::ExprName {
            node_index: Default::default(),
            range: Default::default(),
            id: name.into(),
            ctx: ast::ExprContext::Load,
        };
        self.module_object(&Expr::Name(root))
    }

    /// What an object imported from another module of the project holds
    /// (`s3` from `from app.clients import s3`, or `clients.s3`).
    fn module_object(&self, expr: &Expr) -> Option<Receiver> {
        let target = self.facts.imports.qualified_name(expr)?;
        let qualified = match target.strip_prefix('.') {
            None => target,
            Some(_) => {
                let dots = target.len() - target.trim_start_matches('.').len();
                crate::python::fastapi::resolve_relative(
                    self.module_name?,
                    self.is_package,
                    dots as u32,
                    Some(&target[dots..]),
                )?
            }
        };
        let class = self.project.instance_class(&qualified, self.configured)?;
        self.class_receiver(&class)
    }

    /// What the attributes of a class's instances hold, for the event loop:
    /// declared in the class body (`client: httpx.Client`, `client =
    /// httpx.Client()`), assigned in `__init__` (`self.client = …`, from a
    /// constructor or an annotated parameter), or made by a
    /// `cached_property` / `property` (its return annotation, or the call
    /// it returns).
    fn attribute_receivers(&self, class: &ast::StmtClassDef) -> HashMap<String, Receiver> {
        let mut found: HashMap<String, Receiver> = HashMap::default();
        for stmt in &class.body {
            match stmt {
                Stmt::AnnAssign(assign) => {
                    if let Expr::Name(name) = assign.target.as_ref()
                        && let Some(receiver) = self.receiver_of_annotation(&assign.annotation)
                    {
                        found.insert(name.id.to_string(), receiver);
                    }
                }
                Stmt::Assign(assign) => {
                    if let [Expr::Name(name)] = assign.targets.as_slice()
                        && matches!(assign.value.as_ref(), Expr::Call(_))
                        && let Some(receiver) = self.receiver_of(&assign.value)
                    {
                        found.insert(name.id.to_string(), receiver);
                    }
                }
                Stmt::FunctionDef(method) if method.name.id == "__init__" => {
                    self.init_receivers(method, &mut found);
                }
                Stmt::FunctionDef(method)
                    if method.decorator_list.iter().any(|decorator| {
                        is_named(&decorator.expression, "cached_property")
                            || is_named(&decorator.expression, "property")
                    }) =>
                {
                    let receiver = match method.returns.as_deref() {
                        Some(returns) => self.receiver_of_annotation(returns),
                        None => crate::python::flow::return_statements(&method.body)
                            .into_iter()
                            .find_map(|stmt| match stmt.value.as_deref()? {
                                call @ Expr::Call(_) => self.receiver_of(call),
                                _ => None,
                            }),
                    };
                    if let Some(receiver) = receiver {
                        found.insert(method.name.id.to_string(), receiver);
                    }
                }
                _ => {}
            }
        }
        found
    }

    /// `self.x = …` and `self.x: T = …` in `__init__`'s own statements.
    fn init_receivers(&self, init: &StmtFunctionDef, found: &mut HashMap<String, Receiver>) {
        let Some(self_name) = init
            .parameters
            .args
            .first()
            .map(|first| &first.parameter.name.id)
        else {
            return;
        };
        let parameters: HashMap<&str, Receiver> = init
            .parameters
            .iter_non_variadic_params()
            .filter_map(|parameter| {
                let annotation = parameter.parameter.annotation.as_deref()?;
                Some((
                    parameter.parameter.name.id.as_str(),
                    self.receiver_of_annotation(annotation)?,
                ))
            })
            .collect();
        let attribute = |target: &Expr| -> Option<String> {
            let Expr::Attribute(attribute) = target else {
                return None;
            };
            matches!(attribute.value.as_ref(), Expr::Name(name) if name.id == *self_name)
                .then(|| attribute.attr.id.to_string())
        };
        for stmt in &init.body {
            let (target, annotation, value) = match stmt {
                Stmt::Assign(assign) if assign.targets.len() == 1 => {
                    (&assign.targets[0], None, Some(assign.value.as_ref()))
                }
                Stmt::AnnAssign(assign) => (
                    assign.target.as_ref(),
                    Some(assign.annotation.as_ref()),
                    assign.value.as_deref(),
                ),
                _ => continue,
            };
            let Some(name) = attribute(target) else {
                continue;
            };
            let receiver = annotation
                .and_then(|annotation| self.receiver_of_annotation(annotation))
                .or_else(|| match value? {
                    Expr::Name(parameter) => parameters.get(parameter.id.as_str()).cloned(),
                    call @ Expr::Call(_) => self.receiver_of(call),
                    _ => None,
                });
            if let Some(receiver) = receiver {
                found.insert(name, receiver);
            }
        }
    }

    /// Whether a call blocks, and what to call it in messages.
    fn classify(&self, call: &ast::ExprCall) -> Option<(bool, String, bool)> {
        if let Some(qualified) = self.qualified_callee(&call.func) {
            if qualified == "time.sleep" {
                return Some((true, qualified, false));
            }
            let configured = self
                .configured
                .iter()
                .any(|entry| match entry.strip_suffix(".*") {
                    Some(prefix) => qualified.starts_with(&format!("{prefix}.")),
                    None => *entry == qualified,
                });
            if BLOCKING_FUNCTIONS.contains(&qualified.as_str()) || configured {
                let thread_bound = qualified == "sqlite3.connect";
                return Some((
                    false,
                    qualified.trim_start_matches("builtins.").to_string(),
                    thread_bound,
                ));
            }
        }
        let Expr::Attribute(attribute) = call.func.as_ref() else {
            return None;
        };
        let method = attribute.attr.id.as_str();
        let receiver = self.receiver_of(&attribute.value)?;
        let blocks = match &receiver {
            Receiver::HttpSession => HTTP_METHODS.contains(&method),
            Receiver::SqlSession => SQL_SESSION_METHODS.contains(&method),
            Receiver::SqlQuery => SQL_QUERY_TERMINALS.contains(&method),
            Receiver::Path => PATH_METHODS.contains(&method),
            Receiver::ThreadBound => {
                !CLIENT_LOCAL_METHODS.contains(&method) && !method.starts_with('_')
            }
            Receiver::Client => !CLIENT_LOCAL_METHODS.contains(&method) && !method.starts_with('_'),
            Receiver::Configured(class) => self
                .configured
                .iter()
                .any(|entry| *entry == format!("{class}.{method}")),
        };
        let kind = match receiver {
            Receiver::HttpSession => "HTTP client",
            Receiver::SqlSession => "Session",
            Receiver::SqlQuery => "Query",
            Receiver::Path => "Path",
            Receiver::Client => "client",
            Receiver::Configured(_) => "configured client",
            Receiver::ThreadBound => "sqlite3 connection",
        };
        let thread_bound = receiver == Receiver::ThreadBound;
        blocks.then(|| (false, format!("{kind}.{method}"), thread_bound))
    }

    fn record_assignment(&mut self, target: &Expr, value: &Expr) {
        if let Expr::Name(name) = target {
            self.parameters.remove(name.id.as_str());
            match self.receiver_of(value) {
                Some(receiver) => {
                    self.types.insert(name.id.to_string(), receiver);
                }
                None => {
                    self.types.remove(name.id.as_str());
                }
            }
        }
    }

    fn unmovable(&mut self, expr: &'a Expr, reason: &'static str) {
        if let Expr::Call(call) = expr
            && let Some((is_sleep, what, _)) = self.classify(call)
        {
            self.body.blocking.push(BlockingSite {
                call,
                is_sleep,
                what,
                needs_parentheses: false,
                unmovable: Some(reason),
            });
            // Its arguments may still hold calls that can move.
            visitor::walk_arguments(self, &call.arguments);
        } else {
            self.visit_expr(expr);
        }
    }
}

impl<'a> Visitor<'a> for Finder<'a, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            // Nested scopes run on their own terms.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::With(with) => {
                if with.is_async {
                    self.body.awaits = true;
                }
                for item in &with.items {
                    if with.is_async {
                        self.visit_expr(&item.context_expr);
                    } else {
                        self.unmovable(&item.context_expr, "it is used as a context manager");
                    }
                    if let Some(target) = item.optional_vars.as_deref()
                        && !with.is_async
                    {
                        self.record_assignment(target, &item.context_expr);
                    }
                }
                self.visit_body(&with.body);
            }
            Stmt::For(each) => {
                if each.is_async {
                    self.body.awaits = true;
                    self.visit_expr(&each.iter);
                } else {
                    self.unmovable(&each.iter, "it is iterated over");
                }
                self.visit_expr(&each.target);
                self.visit_body(&each.body);
                self.visit_body(&each.orelse);
            }
            Stmt::Assign(assign) => {
                self.visit_expr(&assign.value);
                for target in &assign.targets {
                    self.record_assignment(target, &assign.value);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.visit_expr(value);
                }
                if let Expr::Name(name) = assign.target.as_ref() {
                    self.parameters.remove(name.id.as_str());
                }
                if let (Expr::Name(name), Some(receiver)) = (
                    assign.target.as_ref(),
                    self.receiver_of_annotation(&assign.annotation),
                ) {
                    self.types.insert(name.id.to_string(), receiver);
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(_) => {}
            Expr::Await(awaited) => {
                self.body.awaits = true;
                // An awaited call returns an awaitable: whatever its
                // receiver's annotation says, it does not block.
                if let Expr::Call(call) = awaited.value.as_ref() {
                    self.parenthesized = Some(call.func.range());
                    self.visit_expr(&call.func);
                    visitor::walk_arguments(self, &call.arguments);
                } else {
                    visitor::walk_expr(self, expr);
                }
            }
            Expr::Generator(_) => {
                self.in_generator += 1;
                self.visit_comprehension_parts(expr);
                self.in_generator -= 1;
            }
            Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) => {
                self.visit_comprehension_parts(expr)
            }
            Expr::Attribute(attribute) => {
                self.parenthesized = Some(attribute.value.range());
                self.visit_expr(&attribute.value);
            }
            Expr::Subscript(subscript) => {
                self.parenthesized = Some(subscript.value.range());
                self.visit_expr(&subscript.value);
                self.visit_expr(&subscript.slice);
            }
            Expr::Call(call) => {
                let needs_parentheses = self.parenthesized.take() == Some(call.range());
                if let Some((is_sleep, what, thread_bound)) = self.classify(call) {
                    let unmovable = if thread_bound {
                        Some("sqlite3 connections only work in the thread that created them")
                    } else {
                        (self.in_generator > 0).then_some("it is inside a generator expression")
                    };
                    self.body.blocking.push(BlockingSite {
                        call,
                        is_sleep,
                        what,
                        needs_parentheses,
                        unmovable,
                    });
                    // The callee's own receiver chain (`db.query(X).filter(…)`) is not
                    // visited again as a call of its own; its arguments are.
                    visitor::walk_arguments(self, &call.arguments);
                    if let Expr::Attribute(attribute) = call.func.as_ref() {
                        self.visit_arguments_of_chain(&attribute.value);
                    }
                    return;
                }
                self.parenthesized = Some(call.func.range());
                self.visit_expr(&call.func);
                visitor::walk_arguments(self, &call.arguments);
            }
            _ => {
                self.parenthesized = None;
                visitor::walk_expr(self, expr);
            }
        }
    }
}

impl<'a> Finder<'a, '_> {
    /// A comprehension's parts; an iterable that is itself a blocking call
    /// (`for line in open(path)`) cannot move: iterating it blocks too.
    fn visit_comprehension_parts(&mut self, expr: &'a Expr) {
        let (elements, generators): (Vec<&'a Expr>, &'a [ast::Comprehension]) = match expr {
            Expr::Generator(generator) => (vec![&generator.elt], &generator.generators),
            Expr::ListComp(list) => (vec![&list.elt], &list.generators),
            Expr::SetComp(set) => (vec![&set.elt], &set.generators),
            Expr::DictComp(dict) => {
                let mut parts: Vec<&'a Expr> = dict.key.iter().map(|key| &**key).collect();
                parts.push(&dict.value);
                (parts, &dict.generators)
            }
            _ => return,
        };
        for generator in generators {
            if generator.is_async {
                self.body.awaits = true;
                self.visit_expr(&generator.iter);
            } else {
                self.unmovable(&generator.iter, "it is iterated over");
            }
            self.visit_expr(&generator.target);
            for condition in &generator.ifs {
                self.visit_expr(condition);
            }
        }
        for element in elements {
            self.visit_expr(element);
        }
    }

    /// Visits the arguments inside a receiver chain (`db.query(X).filter(Y)`)
    /// without treating the chain's calls as blocking on their own.
    fn visit_arguments_of_chain(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => {
                visitor::walk_arguments(self, &call.arguments);
                if let Expr::Attribute(attribute) = call.func.as_ref() {
                    self.visit_arguments_of_chain(&attribute.value);
                }
            }
            Expr::Attribute(attribute) => self.visit_arguments_of_chain(&attribute.value),
            _ => {}
        }
    }
}
