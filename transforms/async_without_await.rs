//! # async-without-await (safe)
//!
//! ## What it does
//! Turns an `async def` route handler or dependency that never awaits (no
//! `await`, `async for` or `async with` in its own body) but calls something
//! that blocks — `requests`, `time.sleep`, a synchronous SQLAlchemy
//! `Session`, `subprocess`, `open` and the other calls `blocking-in-async`
//! knows, or a plain `def` of the project whose own body makes such a call
//! (`crud.get_user(db, id)` running `db.query(...)`) — into a plain `def`.
//!
//! ## Why is this bad?
//! FastAPI runs an `async def` endpoint on the event loop itself: one
//! blocking call there stalls every other request on the server. A plain
//! `def` endpoint or dependency runs in FastAPI's threadpool, where blocking
//! is harmless ("use `def` for sync I/O"). When a function awaits nothing,
//! `def` is the smallest, clearest fix; when both this transform and
//! `blocking-in-async` apply, this one wins.
//!
//! ## Example
//! ```python
//! import time
//!
//! from fastapi import APIRouter
//!
//! router = APIRouter()
//!
//!
//! @router.get("/report")
//! async def build_report():
//!     time.sleep(2)
//!     return {"status": "done"}
//! ```
//!
//! Use instead:
//! ```python
//! import time
//!
//! from fastapi import APIRouter
//!
//! router = APIRouter()
//!
//!
//! @router.get("/report")
//! def build_report():
//!     time.sleep(2)
//!     return {"status": "done"}
//! ```
//!
//! ## Fix safety
//! Safe for FastAPI, which calls routes and dependencies itself and handles
//! both kinds. The fix is marked unsafe, and says so, when the function is
//! also called directly in its file: a caller that awaits it, or passes its
//! coroutine on, would break.

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::{Expr, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange};

use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::blocking::AsyncBody;
use crate::python::fastapi::qualified_in;
use crate::python::syntax::tokens_within;
use crate::text::edit::{Edit, Fix, Safety};

pub static TRANSFORM: Transform = Transform {
    name: "async-without-await",
    safety: Safety::Safe,
    summary: "an `async def` route or dependency that never awaits but blocks becomes `def` (run in the threadpool)",
    ruff_code: None,
    source: include_str!("async_without_await.rs"),
    run,
    ..Transform::BASE
};

fn run(context: &FileContext, findings: &mut Findings) {
    for &function in &context.facts.functions {
        let Some(blocking) = converts(context, function) else {
            continue;
        };
        let header_start = function
            .decorator_list
            .last()
            .map_or(function.start(), Ranged::end);
        let header = TextRange::new(header_start, function.name.end());
        if context.is_suppressed(&TRANSFORM, header, &[]) {
            continue;
        }
        let Some(edit) = remove_async(context, header) else {
            continue;
        };
        let name = function.name.id.as_str();
        let called_here = context.facts.calls_to(name).next().is_some();
        let called_elsewhere = context
            .module_name
            .is_some_and(|module| context.project.index.is_called_from_elsewhere(module, name));
        let safety = if called_here || called_elsewhere {
            Safety::Unsafe
        } else {
            Safety::Safe
        };
        let mut message = format!(
            "`{name}` never awaits but calls blocking {blocking}: make it `def` so FastAPI runs it in its threadpool"
        );
        if called_here {
            message.push_str(&format!(
                "; unsafe fix: `{name}` is also called directly in this file"
            ));
        } else if called_elsewhere {
            message.push_str(&format!(
                "; unsafe fix: `{name}` is also called directly in another module"
            ));
        }
        let fix = Fix::new(
            format!("make `{}` a plain `def`", function.name.id),
            vec![edit],
            safety,
        );
        // Reported at `async def name`, not at the decorator's end.
        let location = tokens_within(context.tokens, header)
            .iter()
            .find(|token| token.kind() == TokenKind::Async)
            .map_or(header, |token| {
                TextRange::new(token.start(), function.name.end())
            });
        findings.push(&TRANSFORM, location, message, Some(fix));
    }
}

/// The first blocking call of an `async def` route or dependency that this
/// transform turns into `def`, quoted for messages.
pub fn converts(context: &FileContext, function: &StmtFunctionDef) -> Option<String> {
    if !function.is_async || !is_route_or_dependency(context, function) {
        return None;
    }
    let body = context.blocking_in(function);
    converts_with(context, function, &body)
}

/// The same, for a body already analyzed (`blocking-in-async` shares it and
/// leaves such functions to this transform).
pub fn converts_with(
    context: &FileContext,
    function: &StmtFunctionDef,
    body: &AsyncBody,
) -> Option<String> {
    if !function.is_async || body.awaits || !is_route_or_dependency(context, function) {
        return None;
    }
    body.blocking
        .first()
        .map(|site| format!("`{}`", site.what))
        .or_else(|| blocking_helper_call(context, function))
}

/// A call in the function's own body to a plain `def` of the project that
/// blocks (`crud.get_user(db, id)` running `db.query(...)`), named for
/// messages: "`crud.get_user` (it calls `Session.query`)".
fn blocking_helper_call(context: &FileContext, function: &StmtFunctionDef) -> Option<String> {
    let module = context.module_name?;
    let index = &context.project.index;
    let is_package = context.is_package;
    let body = TextRange::new(function.body.first()?.start(), function.body.last()?.end());
    let nested: Vec<TextRange> = context
        .facts
        .functions
        .iter()
        .filter(|other| !std::ptr::eq(**other, function) && body.contains_range(other.range()))
        .map(|other| other.range())
        .collect();
    context.facts.calls.iter().find_map(|call| {
        if !body.contains_range(call.range())
            || nested
                .iter()
                .any(|range| range.contains_range(call.range()))
        {
            return None;
        }
        let callee = context.source.slice(call.func.range());
        // A function of this file is judged as it is now (an earlier fix in
        // this run may have made it a plain `def`); others from the index.
        if let Expr::Name(name) = call.func.as_ref()
            && let Some(local) = context.facts.module_functions.get(name.id.as_str())
        {
            if local.is_async {
                return None;
            }
            let body = context.blocking_in(local);
            let blocks = &body.blocking.first()?.what;
            return Some(format!("`{callee}` (it calls `{blocks}`)"));
        }
        let qualified = qualified_in(context.facts, module, is_package, &call.func)?;
        let blocks = index.blocking_call_of(&qualified)?;
        Some(format!("`{callee}` (it calls `{blocks}`)"))
    })
}

fn is_route_or_dependency(context: &FileContext, function: &StmtFunctionDef) -> bool {
    if context.facts.route_of(function).is_some() || context.facts.is_dependency(function) {
        return true;
    }
    // Used as a dependency in another module of the project.
    let Some(module) = context.module_name else {
        return false;
    };
    let qualified = format!("{module}.{}", function.name.id);
    context.project.index.is_used_as_dependency(&qualified)
}

/// The edit deleting `async ` before `def`.
fn remove_async(context: &FileContext, header: TextRange) -> Option<Edit> {
    let tokens = crate::python::syntax::tokens_within(context.tokens, header);
    let position = tokens
        .iter()
        .position(|token| token.kind() == TokenKind::Async)?;
    let next = tokens.get(position + 1)?;
    Some(Edit::deletion(TextRange::new(
        tokens[position].start(),
        next.start(),
    )))
}
