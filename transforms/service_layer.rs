//! # service-layer (unsafe)
//!
//! ## What it does
//! Finds routes whose own body does persistence work: calls of the
//! session's methods (`db.add`, `commit`, `delete`, `execute`, `query`,
//! `flush`, `refresh`, …) on a session the route takes (annotated
//! SQLAlchemy or SQLModel `Session`/`AsyncSession`, or a `db`/`session`
//! alias such as `SessionDep`), with the assignments just before that build
//! what it stores (`item = Item(**body.model_dump())`). That work, to the
//! end of the body, moves into a function of the service module, named
//! after the route, which takes what the work reads (the session, the body,
//! the current user, locals bound before it) as parameters named as the
//! route names them and typed as the route declares them (FastAPI's
//! `Annotated` metadata, `Depends` defaults and this module's own
//! `SessionDep = Annotated[Session, …]` aliases left behind; an alias
//! imported from another module is kept, which still types the value),
//! and returns what the route returned. The route keeps its parameters,
//! its docstring and the checks before the work, and delegates:
//! `return service.create_item(db=db, item=item)`. The service is
//! `async def` only when the work awaits, and the route awaits it then.
//!
//! **Where it lives.** In a domain layout, the domain's `service.py` (or
//! `services.py` when there is one). In a layered project,
//! `services/<router>.py` of the app package (`app/routers/items.py` →
//! `app/services/items.py`), imported as `items_service`. The module (and
//! its package) is created when missing and appended to when present.
//!
//! Work that raises `HTTPException` moves only when `domain-exceptions`
//! runs too and turns each of those raises into a domain exception, which
//! the service then raises (the raises are rewritten where they land).
//!
//! Reported, not rewritten: work that raises `HTTPException` otherwise (an
//! HTTP concern: raise a domain exception there, or take the guard as a
//! dependency, first), that uses the route's `Request`, `Response`,
//! `BackgroundTasks` or `WebSocket`, that yields, or that uses a name its
//! module defines (the service would import the router back); and a name
//! taken in the service module. Tests are not looked at.
//!
//! ## Why is this bad?
//! A route that queries, builds and commits itself mixes HTTP with
//! business rules: the logic cannot be reused by another route, a
//! background job or a script, and it can only be tested through HTTP.
//! Thin routes that delegate to a service keep each layer readable and
//! testable on its own.
//!
//! ## Example
//! ```python
//! # file: app/routers/items.py
//! from fastapi import APIRouter, Depends
//! from sqlalchemy.orm import Session
//!
//! from app import models, schemas
//! from app.db import get_db
//!
//! router = APIRouter()
//!
//!
//! @router.post("/items")
//! def create_item(body: schemas.ItemCreate, db: Session = Depends(get_db)):
//!     """Create an item."""
//!     item = models.Item(**body.model_dump())
//!     db.add(item)
//!     db.commit()
//!     db.refresh(item)
//!     return item
//! ```
//!
//! Use instead:
//! ```python
//! # file: app/routers/items.py
//! from fastapi import APIRouter, Depends
//! from sqlalchemy.orm import Session
//!
//! from app import schemas
//! from app.db import get_db
//! from app.services import items as items_service
//!
//! router = APIRouter()
//!
//!
//! @router.post("/items")
//! def create_item(body: schemas.ItemCreate, db: Session = Depends(get_db)):
//!     """Create an item."""
//!     return items_service.create_item(body=body, db=db)
//! # file: app/services/items.py
//! from sqlalchemy.orm import Session
//!
//! from app import models, schemas
//!
//!
//! def create_item(body: schemas.ItemCreate, db: Session):
//!     item = models.Item(**body.model_dump())
//!     db.add(item)
//!     db.commit()
//!     db.refresh(item)
//!     return item
//! ```
//!
//! ## Fix safety
//! Unsafe: the code runs as before, with the same session and objects, so
//! responses and side effects stay the same; but it moves code a reviewer
//! must read, and the new function's parameters are typed only as the
//! route declared them.

use ruff_text_size::{Ranged, TextRange};

use crate::project::route_code::{MovedDefinition, define_in_home};
use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::imports::Symbol;
use crate::python::persistence::route_work;
use crate::text::edit::{Edit, Fix, Safety};

pub mod plan;

use plan::{PlannedService, RouteService, ServicePlan};

pub static TRANSFORM: Transform = Transform {
    name: "service-layer",
    safety: Safety::Unsafe,
    summary: "persistence work in a route body (`db.add`/`commit`/`query`, ORM objects it builds) → a function of the domain's `service.py`; the route delegates",
    ruff_code: None,
    source: include_str!("service_layer.rs"),
    run,
    plan: Some(plan::plan),
    configure: None,
    requires: None,
};

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(module) = context.module_name else {
        return;
    };
    let Some(plan) = context.plan::<ServicePlan>() else {
        return;
    };
    write_home(context, plan, module, findings);
    for route in crate::project::route_code::module_routes(context.facts) {
        let Some(work) = route_work(context.facts, route) else {
            continue;
        };
        let function = route.function;
        let first = &function.body[work.first];
        let range = first.range();
        if context.is_suppressed(&TRANSFORM, range, &context.header_lines(function)) {
            continue;
        }
        match plan.route(module, function.name.as_str()) {
            None => {}
            Some(RouteService::Stays(reason)) => findings.push(
                &TRANSFORM,
                range,
                format!(
                    "`{}` does persistence work with `{}` itself, which stays: {reason}",
                    function.name, work.session
                ),
                None,
            ),
            Some(RouteService::Delegates(index)) => {
                let planned = &plan.services[*index];
                let message = format!(
                    "`{}` does persistence work with `{}` itself: move it into `{}.{}`",
                    function.name, work.session, planned.home, planned.name
                );
                let fix = delegation(context, function, work.first, planned);
                findings.push(&TRANSFORM, range, message, fix);
            }
        }
    }
}

/// Defines the planned services of this module, when it is their home and exists.
fn write_home(context: &FileContext, plan: &ServicePlan, module: &str, findings: &mut Findings) {
    let planned: Vec<MovedDefinition> =
        plan.written_in(module).map(PlannedService::moved).collect();
    define_in_home(
        context,
        &TRANSFORM,
        &planned,
        "for the routes whose work moves here",
        findings,
    );
}

/// The route's fix: its work, from `first` on, becomes a call of the service.
fn delegation(
    context: &FileContext,
    function: &ruff_python_ast::StmtFunctionDef,
    first: usize,
    planned: &PlannedService,
) -> Option<Fix> {
    let (package, module) = planned
        .home
        .rsplit_once('.')
        .unwrap_or(("", planned.home.as_str()));
    if package.is_empty() {
        return None;
    }
    // The module by its own name or the plan's alias, else another alias:
    // never through its package (`services.items` needs the submodule
    // imported), never a name the route binds.
    let base = planned.alias.clone().unwrap_or_else(|| module.to_string());
    let candidates = [
        planned.alias.clone(),
        Some(format!("{base}_module")),
        Some(format!(
            "{}_{base}",
            package.rsplit('.').next().unwrap_or(package)
        )),
    ];
    let bound_in_route = |local: &str| {
        crate::python::extraction::locals_before(function, function.end())
            .iter()
            .any(|name| name == local)
            || function
                .parameters
                .iter()
                .any(|parameter| parameter.name().as_str() == local)
    };
    let (symbol, imported) = candidates.into_iter().find_map(|alias| {
        let mut symbol = Symbol::owned(context.module_spelling(package), module);
        symbol.alias = alias.map(Into::into);
        if bound_in_route(symbol.local()) {
            return None;
        }
        let imported = context.importer().import(std::slice::from_ref(&symbol));
        (imported.references[0] == symbol.local()).then_some((symbol, imported))
    })?;
    let source = context.source;
    let body = &function.body;
    let end = crate::python::extraction::with_trailing_comment(
        source.text(),
        TextRange::new(body[first].start(), body[body.len() - 1].end()),
    )
    .end();
    // Another fix of this run changed the work: the service would lose it.
    let current = crate::python::extraction::reindented(
        source.text(),
        context.tokens,
        TextRange::new(body[first].start(), end),
        "",
        "\n",
    )?;
    if current != planned.code {
        return None;
    }
    let reference = symbol.local();
    let arguments: Vec<String> = planned
        .arguments
        .iter()
        .map(|name| format!("{name}={name}"))
        .collect();
    let start = source.line_start(body[first].start());
    let indent = source.indentation_at(body[first].start());
    let head = format!(
        "{indent}{}{}{reference}.{}(",
        if planned.returns { "return " } else { "" },
        if planned.awaited { "await " } else { "" },
        planned.name,
    );
    let one_line = format!("{head}{})", arguments.join(", "));
    let call = if one_line.chars().count() <= context.options.line_length || arguments.is_empty() {
        one_line
    } else {
        let ending = source.line_ending().as_str();
        let unit = source.indent_unit();
        let mut call = format!("{head}{ending}");
        for argument in &arguments {
            call.push_str(&format!("{indent}{unit}{argument},{ending}"));
        }
        call.push_str(&format!("{indent})"));
        call
    };
    let mut edits = imported.edits;
    edits.push(Edit::replacement(call, TextRange::new(start, end)));
    Some(Fix::new(
        format!("Move the work into `{}`", planned.name),
        edits,
        Safety::Unsafe,
    ))
}
