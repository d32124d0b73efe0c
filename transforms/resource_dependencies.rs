//! # resource-dependencies (unsafe)
//!
//! ## What it does
//! Finds the prologue that two or more routes repeat: load a resource by a
//! path parameter, and raise when it is missing,
//!
//! ```text
//! post = service.get_post(db, post_id)      # or `await …`, `db.get(Post, post_id)`
//! if post is None:                          # or `if not post:`
//!     raise PostNotFound()                  # or HTTPException(404, …)
//! ```
//!
//! and makes it a dependency, `valid_post_id(post_id: int, db: …) -> Post`,
//! in the domain's `dependencies.py`. Each route then takes
//! `post: Annotated[Post, Depends(valid_post_id)]`, and loses the prologue,
//! and the path parameter and the session when nothing else in it uses
//! them. The path parameter keeps its name, type and `Path(...)` metadata
//! in the dependency. The dependency is `async def` only when the load
//! awaits.
//!
//! When `dependency-aliases` runs too, a dependency that enough
//! parameters take (its `min-uses`) gets the alias it would name, right
//! after it: `ValidPostId = Annotated[Post, Depends(valid_post_id)]`. The
//! routes take `post: ValidPostId` then, and a second run has nothing to
//! do.
//!
//! An ownership check right after the guard (`if post.author_id !=
//! user.id: raise …`) becomes a second dependency chained on the first,
//! `valid_owned_post(post: Annotated[Post, Depends(valid_post_id)], user:
//! …)`, which the routes that check take instead.
//!
//! **Where it lives.** In a domain layout (`posts/router.py` beside
//! `posts/service.py`), in the domain's `dependencies.py`. In a layered
//! one, in the `deps` or `dependencies` module the router imports from
//! (`app/api/deps.py`), else in a `dependencies.py` beside the router. The
//! module is created when missing.
//!
//! **The resource's type** is what the loader is annotated to return
//! (`Optional[Post]` gives `Post`), for a function or a method of a
//! module-level instance (`crud.post.get`), or the ORM model a session
//! query loads.
//!
//! Left alone, with the reason in `check`: a route that reads after the
//! guard a request parameter the guard reads (see below), or whose
//! signature has comments (not counted: a dependency is made only for two
//! routes that take it), a loader whose return type is not known, a guard that uses a name its module defines (the dependency
//! would import the router back), a guard written once, and a name taken
//! in the home module. Tests are not looked at.
//!
//! ## Why is this bad?
//! Every route that repeats the load-and-404 lines can get them slightly
//! wrong, and none of them can be reused or overridden in tests. A
//! dependency validates once; FastAPI caches it within a request, so a
//! chained ownership check loads the resource once.
//!
//! ## Example
//! ```python
//! # file: app/models.py
//! from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
//!
//!
//! class Base(DeclarativeBase):
//!     pass
//!
//!
//! class Post(Base):
//!     __tablename__ = "posts"
//!     id: Mapped[int] = mapped_column(primary_key=True)
//!     title: Mapped[str]
//! # file: app/posts.py
//! from fastapi import APIRouter, Depends, HTTPException
//! from sqlalchemy.orm import Session
//!
//! from app.db import get_db
//! from app.models import Post
//!
//! router = APIRouter()
//!
//!
//! @router.get("/posts/{post_id}")
//! def read_post(post_id: int, db: Session = Depends(get_db)):
//!     post = db.get(Post, post_id)
//!     if post is None:
//!         raise HTTPException(status_code=404, detail="Post not found")
//!     return {"title": post.title}
//!
//!
//! @router.delete("/posts/{post_id}")
//! def delete_post(post_id: int, db: Session = Depends(get_db)):
//!     post = db.get(Post, post_id)
//!     if post is None:
//!         raise HTTPException(status_code=404, detail="Post not found")
//!     db.delete(post)
//!     db.commit()
//! # file: app/db.py
//! def get_db():
//!     yield None
//! ```
//!
//! Use instead:
//! ```python
//! # file: app/models.py
//! from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
//!
//!
//! class Base(DeclarativeBase):
//!     pass
//!
//!
//! class Post(Base):
//!     __tablename__ = "posts"
//!     id: Mapped[int] = mapped_column(primary_key=True)
//!     title: Mapped[str]
//! # file: app/posts.py
//! from typing import Annotated
//!
//! from fastapi import APIRouter, Depends
//! from sqlalchemy.orm import Session
//!
//! from app.db import get_db
//! from app.dependencies import valid_post_id
//! from app.models import Post
//!
//! router = APIRouter()
//!
//!
//! @router.get("/posts/{post_id}")
//! def read_post(post: Annotated[Post, Depends(valid_post_id)]):
//!     return {"title": post.title}
//!
//!
//! @router.delete("/posts/{post_id}")
//! def delete_post(
//!     post: Annotated[Post, Depends(valid_post_id)],
//!     db: Session = Depends(get_db),
//! ):
//!     db.delete(post)
//!     db.commit()
//! # file: app/db.py
//! def get_db():
//!     yield None
//! # file: app/dependencies.py
//! from fastapi import Depends, HTTPException
//! from sqlalchemy.orm import Session
//!
//! from app.db import get_db
//! from app.models import Post
//!
//!
//! def valid_post_id(post_id: int, db: Session = Depends(get_db)) -> Post:
//!     post = db.get(Post, post_id)
//!     if post is None:
//!         raise HTTPException(status_code=404, detail="Post not found")
//!     return post
//! ```
//!
//! ## Fix safety
//! Unsafe. Responses to valid and invalid requests stay the same, and so
//! does the OpenAPI schema (FastAPI declares the path parameter through the
//! dependency; with several path parameters their order in the schema may
//! change). One thing changes: FastAPI runs a dependency before it
//! validates the route's own parameters and body, so a request for a
//! missing resource with an invalid body or query parameter now gets the
//! 404 where it got a 422. A route that reads after the guard a request
//! parameter the guard reads (the path parameter, a body) is reported, not
//! rewritten: the route and the dependency would both declare it, and an
//! invalid value would be reported twice. Dependencies they share (the
//! session) are solved once per request.

use ruff_python_ast as ast;
use ruff_text_size::{Ranged, TextRange};

use crate::project::references::{ProjectReference, project_reference};
use crate::project::route_code::{MovedDefinition, define_in_home};
use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::extraction::names_read;
use crate::python::imports::Symbol;
use crate::python::resource_guard::{ResourceGuard, resource_guard};
use crate::text::edit::{Edit, Fix, Safety};

pub mod plan;

use plan::{GuardPlan, PlannedDependency, RouteGuard};

pub static TRANSFORM: Transform = Transform {
    name: "resource-dependencies",
    safety: Safety::Unsafe,
    summary: "a \"load by id, 404 if missing\" prologue that routes repeat → a `valid_post_id` dependency in the domain's `dependencies.py`",
    ruff_code: None,
    source: include_str!("resource_dependencies.rs"),
    run,
    plan: Some(plan::plan),
    configure: None,
    requires: Some(crate::project::transform::Requirement {
        package: "fastapi",
        at_least: (0, 95),
        brings: "`Annotated` dependencies",
    }),
};

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(module) = context.module_name else {
        return;
    };
    let Some(plan) = context.plan::<GuardPlan>() else {
        return;
    };
    write_home(context, plan, module, findings);
    for route in crate::project::route_code::module_routes(context.facts) {
        let Some(guard) = resource_guard(context.facts, route) else {
            continue;
        };
        let function = route.function;
        let range = guard.load.range();
        if context.is_suppressed(&TRANSFORM, range, &context.header_lines(function)) {
            continue;
        }
        match plan.route(module, function.name.as_str()) {
            None => {}
            Some(RouteGuard::Stays(reason)) => findings.push(
                &TRANSFORM,
                range,
                format!(
                    "`{}` loads `{}` and raises when it is missing, but the guard stays: {reason}",
                    function.name, guard.resource
                ),
                None,
            ),
            Some(RouteGuard::Takes { dependency, owned }) => {
                let planned = &plan.dependencies[*dependency];
                let message = format!(
                    "`{}` repeats the guard that loads `{}`: take it as `{}`",
                    function.name,
                    guard.resource,
                    planned.alias.as_ref().unwrap_or(&planned.name)
                );
                let fix = route_fix(context, function, &guard, planned, *owned);
                findings.push(&TRANSFORM, range, message, fix);
            }
        }
    }
}

/// Defines the planned dependencies of this module, when it is their home
/// and exists.
fn write_home(context: &FileContext, plan: &GuardPlan, module: &str, findings: &mut Findings) {
    let planned: Vec<MovedDefinition> = plan
        .written_in(module)
        .map(PlannedDependency::moved)
        .collect();
    define_in_home(
        context,
        &TRANSFORM,
        &planned,
        "for the routes that repeat its guard",
        findings,
    );
}

/// The route's fix: the guard's statements go, the signature takes the
/// dependency and loses what only the guard read.
fn route_fix(
    context: &FileContext,
    function: &ast::StmtFunctionDef,
    guard: &ResourceGuard,
    planned: &PlannedDependency,
    owned: bool,
) -> Option<Fix> {
    let parameters = &function.parameters;
    let count = 2 + usize::from(owned);
    let removed_statements = &function.body[guard.first..guard.first + count];
    let rest = &function.body[guard.first + count..];
    let used = names_read(rest);
    let mut dropped: Vec<&str> = vec![guard.parameter.parameter.name.as_str()];
    // What only the guard read: the session, the owner.
    let mut guard_reads = names_read(removed_statements);
    guard_reads.retain(|name| *name != guard.resource);
    dropped.extend(guard_reads);
    dropped.retain(|name| !used.contains(name));

    let (new_parameter, imported_edits) = match &planned.alias {
        // The alias alone.
        Some(alias) => {
            let symbol = Symbol::owned(context.module_spelling(&planned.home), alias.clone());
            let imported = context.importer().import(&[symbol]);
            (
                format!("{}: {}", guard.resource, imported.references[0]),
                imported.edits,
            )
        }
        None => annotated_parameter(context, guard, planned)?,
    };
    let list = parameter_list(context, function, guard, &dropped, &new_parameter)?;

    let source = context.source;
    let first = source.line_start(removed_statements[0].start());
    let last = source.full_line_end(removed_statements[count - 1].end());
    let mut edits = imported_edits;
    edits.push(Edit::replacement(list, parameters.range()));
    edits.push(Edit::deletion(TextRange::new(first, last)));
    Some(Fix::new(
        format!("Take `{}` as `{}`", guard.resource, planned.name),
        edits,
        Safety::Unsafe,
    ))
}

/// `post: Annotated[Post, Depends(valid_post_id)]`, and the imports it
/// needs: the dependency, its type, `Annotated` and `Depends`.
fn annotated_parameter(
    context: &FileContext,
    guard: &ResourceGuard,
    planned: &PlannedDependency,
) -> Option<(String, Vec<Edit>)> {
    // The class by a name the router binds to it, or imported from its own module.
    let class = match project_reference(
        &context.project.index,
        context.facts,
        context.module_name?,
        context.is_package,
        &planned.resource_type,
    ) {
        Some(ProjectReference::Bound(name))
            if name.rsplit_once('.').is_none_or(|(through, _)| {
                // Through the class's own module (`models.Item`), not
                // through a module that happens to import it.
                planned
                    .resource_type
                    .rsplit_once('.')
                    .is_some_and(|(module, _)| {
                        module == through || module.ends_with(&format!(".{through}"))
                    })
            }) =>
        {
            (name, None)
        }
        _ => {
            let (module, name) = planned.resource_type.rsplit_once('.')?;
            (
                String::new(),
                Some(Symbol::owned(context.module_spelling(module), name)),
            )
        }
    };
    let mut symbols = vec![
        Symbol::new(context.typing_module(), "Annotated"),
        Symbol::new("fastapi", "Depends"),
        Symbol::owned(context.module_spelling(&planned.home), planned.name.clone()),
    ];
    if let Some(symbol) = &class.1 {
        symbols.push(symbol.clone());
    }
    let imported = context.importer().import(&symbols);
    let annotated = &imported.references[0];
    let depends = &imported.references[1];
    let dependency = &imported.references[2];
    let class_name = class
        .1
        .as_ref()
        .map_or(class.0.as_str(), |_| imported.references[3].as_str());
    let parameter = format!(
        "{}: {annotated}[{class_name}, {depends}({dependency})]",
        guard.resource
    );
    Some((parameter, imported.edits))
}

/// The parameter list `(…)` with `dropped` removed and the new parameter
/// where the path parameter was (first, when a default before it would
/// make that invalid), laid out as the original: one line, or one
/// parameter a line.
fn parameter_list(
    context: &FileContext,
    function: &ast::StmtFunctionDef,
    guard: &ResourceGuard,
    dropped: &[&str],
    new_parameter: &str,
) -> Option<String> {
    let text = context.source.text();
    let parameters = &function.parameters;
    // (text, positional, has default)
    let mut items: Vec<(String, bool, bool)> = Vec::new();
    let mut placed = false;
    let push_new = |items: &mut Vec<(String, bool, bool)>, positional: bool| {
        items.push((new_parameter.to_string(), positional, false));
    };
    for parameter in &parameters.args {
        let name = parameter.parameter.name.as_str();
        let is_path = name == guard.parameter.parameter.name.as_str();
        if !dropped.contains(&name) {
            items.push((
                text[parameter.range()].to_string(),
                true,
                parameter.default.is_some(),
            ));
        }
        if is_path {
            push_new(&mut items, true);
            placed = true;
        }
    }
    match (&parameters.vararg, parameters.kwonlyargs.is_empty()) {
        (Some(vararg), _) => items.push((format!("*{}", &text[vararg.range()]), false, false)),
        (None, false) => items.push(("*".to_string(), false, false)),
        (None, true) => {}
    }
    for parameter in &parameters.kwonlyargs {
        let name = parameter.parameter.name.as_str();
        if !dropped.contains(&name) {
            items.push((
                text[parameter.range()].to_string(),
                false,
                parameter.default.is_some(),
            ));
        }
        if name == guard.parameter.parameter.name.as_str() {
            push_new(&mut items, false);
            placed = true;
        }
    }
    if let Some(kwarg) = &parameters.kwarg {
        items.push((format!("**{}", &text[kwarg.range()]), false, false));
    }
    if !placed {
        return None;
    }
    // A required positional parameter may not follow one with a default.
    let position = items
        .iter()
        .position(|(item, _, _)| item == new_parameter)?;
    if items[position].1
        && items[..position]
            .iter()
            .any(|(_, positional, default)| *positional && *default)
    {
        let item = items.remove(position);
        items.insert(0, item);
    }
    // A bare `*` with nothing after it is a syntax error.
    if items.last().is_some_and(|(item, _, _)| item == "*") {
        items.pop();
    }
    let written = &text[parameters.range()];
    let source = context.source;
    let texts: Vec<&str> = items.iter().map(|(item, _, _)| item.as_str()).collect();
    let one_line = format!("({})", texts.join(", "));
    let line_start = source.line_start(parameters.start());
    let header_end = source.full_line_end(parameters.end());
    let before = &text[usize::from(line_start)..usize::from(parameters.start())];
    let after = text[usize::from(parameters.end())..usize::from(header_end)].trim_end();
    let fits = before.chars().count() + one_line.chars().count() + after.chars().count()
        <= context.options.line_length;
    if !written.contains('\n') && fits {
        return Some(one_line);
    }
    let ending = source.line_ending().as_str();
    let indent = source.indentation_at(function.start());
    let unit = source.indent_unit();
    let mut list = format!("({ending}");
    for item in texts {
        list.push_str(&format!("{indent}{unit}{item},{ending}"));
    }
    list.push_str(&format!("{indent})"));
    Some(list)
}
