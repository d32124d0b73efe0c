//! # api-version-prefix (opt-in)
//!
//! ## What it does
//! Mounts the routers an app includes without a version under one
//! `APIRouter(prefix="/api/v1")`, defined next to the app: each
//! `app.include_router(router, …)` becomes `v1_router.include_router(router,
//! …)`, its prefix, tags and dependencies kept, and `app.include_router(v1_router)`
//! follows the last of them. An app built in a factory function, or
//! handed to one (`def register_routes(app: FastAPI)`), is rewritten
//! inside the function.
//!
//! The project's own tests and clients follow: a string or f-string that
//! is a moved route's path (`"/users/7"`, `f"/users/{user.id}"`, with or
//! without a query) gets the prefix, in any string of a test module
//! (`tests/…`, `test_*.py`, `conftest.py`) and in the path argument of
//! `client.get(…)`-style calls elsewhere; so do the app's own
//! `RedirectResponse("/login")` targets and OAuth2 schemes' `tokenUrl`
//! (`"token"` becomes `"api/v1/token"`), so that the docs' login still
//! works. `url_for` needs nothing. Paths in templates and JavaScript are
//! not Python, and are not rewritten.
//!
//! Left alone: a project that mounts a version already (`/api/v1`,
//! `settings.API_V1_STR`, `/v2`, a `version` prefix). Routes declared on the
//! app itself (`@app.get("/health")`) stay where they are, and are
//! reported. An app whose moved paths cannot all be known (a prefix that is
//! not a literal, a router from outside the project) is reported and left
//! as it is, since its tests could not follow.
//!
//! ## Why is this bad?
//! An API without a version in its paths cannot change a response's shape
//! without breaking every client at once. With `/api/v1` in place, a `v2`
//! can be mounted next to it and clients move when they are ready.
//!
//! ## Example
//! ```python
//! from fastapi import APIRouter, FastAPI
//!
//! users = APIRouter(prefix="/users")
//!
//!
//! @users.get("/{user_id}")
//! def read_user(user_id: int) -> dict:
//!     return {"id": user_id}
//!
//!
//! app = FastAPI()
//! app.include_router(users, tags=["users"])
//! ```
//!
//! Use instead:
//! ```python
//! from fastapi import APIRouter, FastAPI
//!
//! users = APIRouter(prefix="/users")
//!
//!
//! @users.get("/{user_id}")
//! def read_user(user_id: int) -> dict:
//!     return {"id": user_id}
//!
//!
//! app = FastAPI()
//! v1_router = APIRouter(prefix="/api/v1")
//! v1_router.include_router(users, tags=["users"])
//! app.include_router(v1_router)
//! ```
//!
//! ## Fix safety
//! Opt-in: every public URL changes. Clients outside the project must move
//! to the new paths, and requests to the old ones get 404.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::project::layout::is_test_module;
use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::imports::Symbol;
use crate::python::naming::mentions_identifier;
use crate::text::edit::{Edit, Fix, Safety};

pub mod plan;

use plan::{VERSION_PREFIX, VersionPlan, path_matches};

pub static TRANSFORM: Transform = Transform {
    name: "api-version-prefix",
    safety: Safety::OptIn,
    summary: "Routers included without a version are mounted under `APIRouter(prefix=\"/api/v1\")`, tests' paths following",
    ruff_code: None,
    source: include_str!("api_version_prefix.rs"),
    run,
    plan: Some(plan::plan),
    configure: None,
    requires: None,
};

/// The name of the new router.
const VERSION_ROUTER: &str = "v1_router";

/// Methods of test clients (and `httpx`/`requests`) that take a path.
const CLIENT_METHODS: [&str; 9] = [
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "request",
    "websocket_connect",
];

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(module) = context.module_name else {
        return;
    };
    let Some(plan) = context.plan::<VersionPlan>() else {
        return;
    };
    if let Some(apps) = plan.apps.get(module) {
        for app in apps {
            mount(context, plan, app, findings);
        }
    }
    if plan.refusal.is_none() && !plan.moved.is_empty() {
        follow_paths(context, plan, module, findings);
    }
}

/// The statements of a body that include routers into `app`.
fn includes_in<'a>(body: &'a [Stmt], app: &str) -> Vec<&'a ast::StmtExpr> {
    body.iter()
        .filter_map(|stmt| match stmt {
            Stmt::Expr(expression) => match expression.value.as_ref() {
                Expr::Call(call) => match call.func.as_ref() {
                    Expr::Attribute(attribute)
                        if attribute.attr.id == "include_router"
                            && matches!(attribute.value.as_ref(), Expr::Name(name) if name.id == app) =>
                    {
                        Some(expression)
                    }
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Rewrites the includes of one app.
fn mount(context: &FileContext, plan: &VersionPlan, app: &str, findings: &mut Findings) {
    let source = context.source;
    // The routes declared on the app itself stay.
    for route in context
        .facts
        .routes
        .iter()
        .filter(|route| route.router == app)
    {
        let path = match route.decorator.arguments.args.first() {
            Some(Expr::StringLiteral(path)) => path.value.to_str().to_string(),
            Some(path) => source.slice(path.range()).to_string(),
            None => continue,
        };
        findings.push(
            &TRANSFORM,
            route.decorator.range(),
            format!(
                "`{path}` stays without a version: it is declared on the app itself, not on a router"
            ),
            None,
        );
    }
    // The block that builds the app: the module, or a factory function.
    let mut bodies: Vec<&[Stmt]> = vec![&context.module.body];
    bodies.extend(
        context
            .facts
            .functions
            .iter()
            .map(|function| function.body.as_slice()),
    );
    let Some(includes) = bodies
        .iter()
        .map(|body| includes_in(body, app))
        .find(|includes| !includes.is_empty())
    else {
        return;
    };
    let all_includes = context
        .facts
        .calls
        .iter()
        .filter(|call| match call.func.as_ref() {
            Expr::Attribute(attribute) => {
                attribute.attr.id == "include_router"
                    && matches!(attribute.value.as_ref(), Expr::Name(name) if name.id == app)
            }
            _ => false,
        })
        .count();
    let first = includes[0];
    let last = includes[includes.len() - 1];
    if context.is_suppressed(&TRANSFORM, first.range(), &[]) {
        return;
    }
    let message = format!("`{app}` includes routers without a version in their paths");
    let refusal = plan.refusal.clone().or_else(|| {
        if all_includes != includes.len() {
            Some(format!("`{app}` includes routers in more than one block"))
        } else if mentions_identifier(source.text(), VERSION_ROUTER) {
            Some(format!("`{VERSION_ROUTER}` names something else here"))
        } else {
            None
        }
    });
    if let Some(reason) = refusal {
        findings.push(
            &TRANSFORM,
            first.range(),
            format!("{message}; they stay: {reason}"),
            None,
        );
        return;
    }
    let imported = context
        .importer()
        .import(&[Symbol::new("fastapi", "APIRouter")]);
    let api_router = &imported.references[0];
    let mut edits = imported.edits.clone();
    let ending = source.line_ending().as_str();
    let indent = source.indentation_at(first.start()).to_string();
    let quote = source.quote().as_char();
    edits.push(Edit::insertion(
        format!(
            "{VERSION_ROUTER} = {api_router}(prefix={quote}{VERSION_PREFIX}{quote}){ending}{indent}"
        ),
        first.start(),
    ));
    for include in &includes {
        if let Expr::Call(call) = include.value.as_ref()
            && let Expr::Attribute(attribute) = call.func.as_ref()
        {
            edits.push(Edit::replacement(VERSION_ROUTER, attribute.value.range()));
        }
    }
    edits.push(Edit::insertion(
        format!("{ending}{indent}{app}.include_router({VERSION_ROUTER})"),
        last.end(),
    ));
    let fix = Fix::new(
        format!("mount `{app}`'s routers under `{VERSION_PREFIX}`"),
        edits,
        Safety::OptIn,
    );
    findings.push(
        &TRANSFORM,
        first.range(),
        format!("{message}: mount them under `{VERSION_PREFIX}`"),
        Some(fix),
    );
}

/// Prefixes the moved paths the module's strings request.
fn follow_paths(context: &FileContext, plan: &VersionPlan, module: &str, findings: &mut Findings) {
    use ruff_python_ast::visitor::{self, Visitor};
    struct Paths<'a> {
        every_string: bool,
        /// Route decorators' paths, which are declarations, not requests.
        declared: Vec<TextRange>,
        found: Vec<&'a Expr>,
        /// Paths that may be relative to the root (`tokenUrl="token"`).
        relative: Vec<&'a Expr>,
    }
    impl<'a> Visitor<'a> for Paths<'a> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::StringLiteral(_) | Expr::FString(_) => {
                    if self.every_string && !self.declared.contains(&expr.range()) {
                        self.found.push(expr);
                    }
                }
                Expr::Call(call) => {
                    // The URLs an OAuth2 scheme sends the docs' login to.
                    for keyword in &call.arguments.keywords {
                        if keyword.arg.as_ref().is_some_and(|arg| {
                            ["tokenUrl", "authorizationUrl", "refreshUrl"].contains(&arg.as_str())
                        }) && matches!(keyword.value, Expr::StringLiteral(_))
                        {
                            self.relative.push(&keyword.value);
                        }
                    }
                    let callee = match call.func.as_ref() {
                        Expr::Name(name) => name.id.as_str(),
                        Expr::Attribute(attribute) => attribute.attr.id.as_str(),
                        _ => "",
                    };
                    // Where the app's own redirects send a browser.
                    if callee == "RedirectResponse"
                        && let Some(path @ (Expr::StringLiteral(_) | Expr::FString(_))) =
                            call.arguments.args.first().or_else(|| {
                                call.arguments
                                    .find_keyword("url")
                                    .map(|keyword| &keyword.value)
                            })
                        && !self.every_string
                    {
                        self.found.push(path);
                    }
                    if self.every_string {
                        visitor::walk_expr(self, expr);
                        return;
                    }
                    if let Expr::Attribute(attribute) = call.func.as_ref()
                        && CLIENT_METHODS.contains(&attribute.attr.id.as_str())
                    {
                        let position = usize::from(attribute.attr.id == "request");
                        let path = call.arguments.args.get(position).or_else(|| {
                            call.arguments
                                .find_keyword("url")
                                .map(|keyword| &keyword.value)
                        });
                        if let Some(path @ (Expr::StringLiteral(_) | Expr::FString(_))) = path
                            && !self.declared.contains(&path.range())
                        {
                            self.found.push(path);
                        }
                    }
                    visitor::walk_expr(self, expr);
                }
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let declared = context
        .facts
        .routes
        .iter()
        .filter_map(|route| route.decorator.arguments.args.first())
        .map(Ranged::range)
        .collect();
    let mut paths = Paths {
        every_string: is_test_module(module),
        declared,
        found: Vec::new(),
        relative: Vec::new(),
    };
    paths.visit_body(&context.module.body);
    let source = context.source;
    let relative: Vec<&Expr> = paths.relative.clone();
    let mut candidates = paths.found;
    candidates.retain(|path| !relative.iter().any(|other| other.range() == path.range()));
    candidates.extend(relative.iter().copied());
    for path in candidates {
        let Some(mut requested) = requested_path(path) else {
            continue;
        };
        // `tokenUrl="token"` is resolved against the root.
        let is_relative = relative.iter().any(|other| other.range() == path.range())
            && !requested.starts_with('/')
            && !requested.contains("://");
        if is_relative {
            requested.insert(0, '/');
        }
        if !requested.starts_with('/')
            || requested.starts_with(VERSION_PREFIX)
            || !plan
                .moved
                .iter()
                .any(|pattern| path_matches(&requested, pattern))
        {
            continue;
        }
        if context.is_suppressed(&TRANSFORM, path.range(), &[]) {
            continue;
        }
        let Some(at) = after_opening_quote(source.slice(path.range())) else {
            continue;
        };
        let fix = Fix::new(
            format!("request `{VERSION_PREFIX}` before the path"),
            vec![Edit::insertion(
                if is_relative {
                    format!("{}/", &VERSION_PREFIX[1..])
                } else {
                    VERSION_PREFIX.to_string()
                },
                path.start() + at,
            )],
            Safety::OptIn,
        );
        findings.push(
            &TRANSFORM,
            path.range(),
            format!("the route this path requests moves under `{VERSION_PREFIX}`"),
            Some(fix),
        );
    }
}

/// The path a string or f-string spells, each interpolation as `\0`.
fn requested_path(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
        Expr::FString(fstring) => {
            let mut text = String::new();
            for part in fstring.value.iter() {
                match part {
                    ast::FStringPart::Literal(literal) => text.push_str(&literal.value),
                    ast::FStringPart::FString(inner) => {
                        for element in &inner.elements {
                            match element {
                                ast::InterpolatedStringElement::Literal(literal) => {
                                    text.push_str(&literal.value)
                                }
                                ast::InterpolatedStringElement::Interpolation(_) => text.push('\0'),
                            }
                        }
                    }
                }
            }
            Some(text)
        }
        _ => None,
    }
}

/// Where a string's text starts, after its prefix and opening quotes.
fn after_opening_quote(text: &str) -> Option<TextSize> {
    let quote = text.find(['"', '\''])?;
    let mark = &text[quote..quote + 1];
    let opening = if text[quote..].starts_with(&mark.repeat(3)) {
        3
    } else {
        1
    };
    TextSize::try_from(quote + opening).ok()
}
