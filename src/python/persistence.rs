//! Persistence done in a route's own body: calls of the session's methods
//! (`db.add`, `commit`, `delete`, `execute`, `query`, `flush`, `refresh`, …)
//! on a session the route takes, and the statements that build what they
//! store. The tail of the body from the first such statement is the
//! route's *work*, which a service function can do instead.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt, StmtFunctionDef};

use crate::python::fastapi::{FastApiFacts, Route};

/// Session methods that do persistence work.
const SESSION_METHODS: [&str; 15] = [
    "add",
    "add_all",
    "commit",
    "delete",
    "execute",
    "exec",
    "flush",
    "get",
    "merge",
    "query",
    "refresh",
    "rollback",
    "scalar",
    "scalars",
    "bulk_save_objects",
];

/// A route's work (see the module comment).
#[derive(Debug)]
pub struct RouteWork<'a> {
    pub function: &'a StmtFunctionDef,
    /// The index in the body of the work's first statement.
    pub first: usize,
    /// The session parameter.
    pub session: &'a str,
    /// Why a service cannot take the work over, when it cannot.
    pub refusal: Option<String>,
    /// The `raise HTTPException(…)` statements of the work: a service can
    /// take them once they raise domain exceptions instead.
    pub http_raises: Vec<&'a ast::StmtRaise>,
}

/// The route's work, if its body does persistence itself.
pub fn route_work<'a>(facts: &FastApiFacts, route: &Route<'a>) -> Option<RouteWork<'a>> {
    let function = route.function;
    let session = function
        .parameters
        .iter_non_variadic_params()
        .map(|parameter| &parameter.parameter)
        .find(|parameter| is_session_parameter(facts, parameter))?
        .name
        .as_str();
    let body = &function.body;
    let mut first = body.iter().position(|stmt| uses_session(stmt, session))?;
    // What the work stores is built just before it: `item = Item(**body)`.
    while first > 0 {
        let previous = &body[first - 1];
        let builds = match previous {
            Stmt::Assign(assign) => !assign.value.is_string_literal_expr(),
            Stmt::AnnAssign(assign) => assign.value.is_some(),
            _ => false,
        };
        let is_docstring = first - 1 == 0
            && matches!(previous, Stmt::Expr(expr) if expr.value.is_string_literal_expr());
        if !builds || is_docstring || mentions_http(facts, std::slice::from_ref(previous)) {
            break;
        }
        first -= 1;
    }
    let work = &body[first..];
    let refusal = refusal(facts, function, work);
    Some(RouteWork {
        function,
        first,
        session,
        refusal,
        http_raises: http_raises(facts, work),
    })
}

/// Whether a parameter is a database session: annotated with SQLAlchemy's
/// or SQLModel's `Session`/`AsyncSession` (maybe inside `Annotated`), or
/// named `db`/`session` and provided by a dependency.
fn is_session_parameter(facts: &FastApiFacts, parameter: &ast::Parameter) -> bool {
    let Some(mut annotation) = parameter.annotation.as_deref() else {
        return false;
    };
    // An alias of this module: `SessionDep = Annotated[Session, Depends(get_db)]`.
    if let Expr::Name(name) = annotation
        && let Some(value) = facts
            .module_values
            .get(name.id.as_str())
            .and_then(|value| value.value)
    {
        annotation = value;
    }
    let annotation = match annotation {
        Expr::Subscript(subscript) if facts.is_annotated(annotation) => {
            match subscript.slice.as_ref() {
                Expr::Tuple(tuple) => tuple.elts.first().unwrap_or(annotation),
                _ => annotation,
            }
        }
        _ => annotation,
    };
    let qualified = facts.imports.qualified_name(annotation).unwrap_or_default();
    let session_class = [
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlmodel.Session",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    ]
    .contains(&qualified.as_str());
    session_class
        || (matches!(parameter.name.as_str(), "db" | "session" | "db_session")
            && (qualified.ends_with("Session") || qualified.ends_with("SessionDep")))
}

/// Whether a statement calls one of the session's persistence methods.
fn uses_session(stmt: &Stmt, session: &str) -> bool {
    struct Finder<'s> {
        session: &'s str,
        found: bool,
    }
    impl<'a> Visitor<'a> for Finder<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr
                && let Expr::Attribute(attribute) = call.func.as_ref()
                && matches!(attribute.value.as_ref(), Expr::Name(name) if name.id.as_str() == self.session)
                && SESSION_METHODS.contains(&attribute.attr.as_str())
            {
                self.found = true;
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut finder = Finder {
        session,
        found: false,
    };
    finder.visit_stmt(stmt);
    finder.found
}

/// Whether code names an HTTP concern: `HTTPException` (FastAPI's or
/// Starlette's), a `Request`, `Response`, `BackgroundTasks` or `WebSocket`
/// the route takes, or `status` codes.
fn mentions_http(facts: &FastApiFacts, statements: &[Stmt]) -> bool {
    http_concern(facts, None, statements).is_some()
}

fn http_concern(
    facts: &FastApiFacts,
    function: Option<&StmtFunctionDef>,
    statements: &[Stmt],
) -> Option<String> {
    let concerns: Vec<&str> = function
        .map(|function| {
            function
                .parameters
                .iter_non_variadic_params()
                .filter(|parameter| {
                    parameter
                        .parameter
                        .annotation
                        .as_deref()
                        .is_some_and(|annotation| {
                            let qualified =
                                facts.imports.qualified_name(annotation).unwrap_or_default();
                            [
                                "Request",
                                "Response",
                                "BackgroundTasks",
                                "WebSocket",
                                "HTTPConnection",
                            ]
                            .iter()
                            .any(|class| qualified.ends_with(&format!(".{class}")))
                        })
                })
                .map(|parameter| parameter.parameter.name.as_str())
                .collect()
        })
        .unwrap_or_default();
    struct Finder<'f, 'c> {
        facts: &'f FastApiFacts<'f>,
        concerns: &'c [&'c str],
        found: Option<String>,
        /// Within the class of a `raise HTTPException(…)`, which the plans
        /// judge (see [`http_raises`]).
        raising: bool,
    }
    impl<'a> Visitor<'a> for Finder<'_, '_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if let Some(call) = raised_http_exception(self.facts, stmt) {
                self.raising = true;
                self.visit_expr(&call.func);
                self.raising = false;
                self.visit_arguments(&call.arguments);
                return;
            }
            visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if self.found.is_some() {
                return;
            }
            if let Expr::Name(name) = expr {
                let qualified = self.facts.imports.qualified_name(expr).unwrap_or_default();
                if qualified.starts_with("fastapi.responses.")
                    || qualified.starts_with("starlette.responses.")
                    || qualified == "fastapi.Response"
                {
                    self.found = Some(format!(
                        "it builds `{}`, an HTTP response, inside the work",
                        name.id
                    ));
                } else if qualified.ends_with(".HTTPException") && !self.raising {
                    self.found = Some("it names `HTTPException` inside the work".into());
                } else if self.concerns.contains(&name.id.as_str()) {
                    self.found = Some(format!(
                        "it uses `{}`, an HTTP object, inside the work",
                        name.id
                    ));
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut finder = Finder {
        facts,
        concerns: &concerns,
        found: None,
        raising: false,
    };
    for stmt in statements {
        finder.visit_stmt(stmt);
    }
    finder.found
}

/// The call of `raise HTTPException(…)` (FastAPI's or Starlette's).
fn raised_http_exception<'a>(facts: &FastApiFacts, stmt: &'a Stmt) -> Option<&'a ast::ExprCall> {
    let Stmt::Raise(raise) = stmt else {
        return None;
    };
    let Some(Expr::Call(call)) = raise.exc.as_deref() else {
        return None;
    };
    facts
        .imports
        .qualified_name(&call.func)
        .is_some_and(|qualified| qualified.ends_with(".HTTPException"))
        .then_some(call)
}

/// The work's `raise HTTPException(…)` statements, at any depth.
fn http_raises<'a>(facts: &FastApiFacts, work: &'a [Stmt]) -> Vec<&'a ast::StmtRaise> {
    crate::python::http_errors::raise_statements(work)
        .into_iter()
        .filter(|raise| {
            raise
                .exc
                .as_deref()
                .and_then(|exc| exc.as_call_expr())
                .and_then(|call| facts.imports.qualified_name(&call.func))
                .is_some_and(|qualified| qualified.ends_with(".HTTPException"))
        })
        .collect()
}

/// Why the work must stay in the route, if it must.
fn refusal(facts: &FastApiFacts, function: &StmtFunctionDef, work: &[Stmt]) -> Option<String> {
    // A `yield`, `global` or `nonlocal` is refused where the code's needs are read.
    http_concern(facts, Some(function), work)
}
