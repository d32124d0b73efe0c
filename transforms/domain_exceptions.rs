//! # domain-exceptions (safe)
//!
//! ## What it does
//! Turns `raise HTTPException(status_code=404, detail="Post not found")`
//! into `raise PostNotFound()`, with the class defined once in the
//! domain's `exceptions.py`:
//!
//! ```text
//! class PostNotFound(HTTPException):
//!     def __init__(self) -> None:
//!         super().__init__(status_code=status.HTTP_404_NOT_FOUND, detail="Post not found")
//! ```
//!
//! The status may be a number or a `status.HTTP_…` constant (FastAPI's or
//! Starlette's), by keyword or by position. The detail may be a string or
//! an f-string: `detail=f"Post {post_id} not found"` gives a class that
//! takes `post_id` and builds the same text, raised as
//! `PostNotFound(post_id)`. Literal `headers=` go into the class. FastAPI's
//! and Starlette's `HTTPException` are recognised however they are
//! imported (new classes derive from FastAPI's, which derives from
//! Starlette's and is answered alike), and so is a subclass of the project
//! that takes the same arguments (the new class then derives from it).
//! `raise … from e` keeps its cause.
//!
//! **Where the class lives.** In a domain layout (a package holding a
//! router module and schemas, models or a service: `posts/router.py`), in
//! that package's `exceptions.py`. In a layered layout, in one
//! `exceptions.py` of the app package (the package holding `main.py` or
//! the `FastAPI()` instance), each domain's classes under a comment. The
//! module is created when missing and appended to when present, in its
//! own style. A class of the project that sends the same status, detail
//! and headers (written by hand or by an earlier run) is reused, never
//! duplicated.
//!
//! **Names**, as people write them: a 404 whose detail reads "X not
//! found" becomes `XNotFound`; a 403 becomes `<Domain>PermissionDenied`,
//! or the detail's words when they name the reason ("Not the post owner"
//! → `NotPostOwner`); a 401 becomes `InvalidCredentials` or
//! `NotAuthenticated`, from the detail; a 400 or 409 takes the detail's
//! first four significant words ("Email already registered" →
//! `EmailAlreadyRegistered`); any other status `<Domain><Reason>`
//! (`PostTooManyRequests`). A name taken in the home module gets the
//! domain before it; when that is taken too, the raise stays and `check`
//! says why.
//!
//! Left alone, with the reason in `check`: a detail that is not a literal
//! or an f-string (a variable, a call, a dict), a status that is not a
//! literal 4xx, headers that are not literal strings, a call with a
//! comment inside, and a raise in a module that the home imports (the
//! import back would make a cycle). Tests, migrations, `examples/` and
//! `docs/` are not looked at: the apps they build raise what they check.
//! `# fastapi-codemod: ignore[domain-exceptions]` leaves a raise alone.
//!
//! ## Why is this bad?
//! The same `HTTPException(404, "Post not found")` repeated across routes,
//! dependencies and services drifts ("Post not found", "post not found",
//! "Not found"), and nothing says which errors a domain can raise. Named
//! exceptions per domain read as what happened, are raised the same way
//! everywhere, and can be caught and tested by type.
//!
//! ## Example
//! ```python
//! from fastapi import APIRouter, HTTPException
//!
//! router = APIRouter()
//!
//!
//! @router.get("/posts/{post_id}")
//! def read_post(post_id: int):
//!     if post_id != 1:
//!         raise HTTPException(status_code=404, detail=f"Post {post_id} not found")
//!     return {"id": post_id}
//! ```
//!
//! Use instead:
//! ```python
//! from fastapi import APIRouter
//!
//! from exceptions import PostNotFound
//!
//! router = APIRouter()
//!
//!
//! @router.get("/posts/{post_id}")
//! def read_post(post_id: int):
//!     if post_id != 1:
//!         raise PostNotFound(post_id)
//!     return {"id": post_id}
//! ```
//!
//! and a new `exceptions.py` (the example module is named `example`, so its
//! app package is the top level):
//! ```text
//! from fastapi import HTTPException, status
//!
//!
//! class PostNotFound(HTTPException):
//!     def __init__(self, post_id) -> None:
//!         super().__init__(
//!             status_code=status.HTTP_404_NOT_FOUND, detail=f"Post {post_id} not found"
//!         )
//! ```
//!
//! ## Fix safety
//! Safe: the new class passes the same status, detail and headers to the
//! same base, so every response (status, body, headers) and the OpenAPI
//! schema stay the same. An exception handler registered for
//! `HTTPException` still catches it, as a subclass.

use ruff_python_ast::token::TokenKind;
use ruff_text_size::{Ranged, TextRange};

use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::http_errors::{raise_statements, raised_error, status_constant};
use crate::python::imports::Symbol;
use crate::python::syntax::tokens_within;
use crate::text::edit::{Edit, Fix, Safety};

pub mod plan;

use plan::{ClassReferences, ErrorPlan, PlannedError, base_symbol, class_text, error_base};

pub static TRANSFORM: Transform = Transform {
    name: "domain-exceptions",
    safety: Safety::Safe,
    summary: "`raise HTTPException(404, \"Post not found\")` → `raise PostNotFound()`, the class defined once in the domain's `exceptions.py`",
    ruff_code: None,
    source: include_str!("domain_exceptions.rs"),
    run,
    plan: Some(plan::plan),
    configure: None,
    requires: None,
};

/// A raise the plan turns into its class.
struct Rewrite<'a> {
    range: TextRange,
    planned: &'a PlannedError,
    /// The values the class takes, as written, in its parameters' order.
    arguments: Vec<&'a str>,
}

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(module_name) = context.module_name else {
        return;
    };
    let index = &context.project.index;
    let plan = context.plan::<ErrorPlan>();
    let text = context.source.text();
    let is_error_class = |class: &str| error_base(index, class).is_some();

    // The work of a route that `service-layer` moves is rewritten where it
    // lands, in the service: the route delegates only while its work reads
    // as the index saw it.
    let moved_work: Vec<TextRange> = context
        .plan::<crate::transforms::service_layer::plan::ServicePlan>()
        .map(|services| {
            crate::project::route_code::module_routes(context.facts)
                .filter(|route| services.delegates(module_name, route.function.name.as_str()))
                .filter_map(|route| {
                    let work = crate::python::persistence::route_work(context.facts, route)?;
                    let first = route.function.body.get(work.first)?;
                    Some(TextRange::new(first.start(), route.function.end()))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut rewrites: Vec<Rewrite> = Vec::new();
    for raise in raise_statements(&context.module.body) {
        if moved_work
            .iter()
            .any(|work| work.contains_range(raise.range()))
        {
            continue;
        }
        let Some(raised) = raised_error(
            context.facts,
            module_name,
            context.is_package,
            text,
            raise,
            &is_error_class,
        ) else {
            continue;
        };
        if context.is_suppressed(&TRANSFORM, raise.range(), &[]) {
            continue;
        }
        let class = raised.class.rsplit('.').next().unwrap_or("HTTPException");
        let keep = |findings: &mut Findings, reason: &str| {
            findings.push(
                &TRANSFORM,
                raised.call.range(),
                format!("`{class}` stays: {reason}"),
                None,
            );
        };
        let shape = match &raised.shape {
            Ok(shape) => shape,
            Err(reason) => {
                keep(findings, reason);
                continue;
            }
        };
        if !(400..500).contains(&shape.status) {
            keep(
                findings,
                &format!("its status, {}, is not a client error (4xx)", shape.status),
            );
            continue;
        }
        let has_comment = tokens_within(context.tokens, raised.call.arguments.range())
            .iter()
            .any(|token| token.kind() == TokenKind::Comment);
        if has_comment {
            keep(findings, "a comment inside the call would be lost");
            continue;
        }
        let Some(plan) = plan else {
            continue;
        };
        let planned = match plan.error_for(index, module_name, &raised.class, shape) {
            None => continue,
            Some(Err(refusal)) => {
                keep(findings, &refusal.to_string());
                continue;
            }
            Some(Ok(planned)) => planned,
        };
        let mut arguments: Vec<&str> = vec![""; planned.parameters.len()];
        for (value, expression) in raised.values.iter().enumerate() {
            arguments[planned.parameter_of_value[value]] = &text[expression.range()];
        }
        rewrites.push(Rewrite {
            range: raised.call.range(),
            planned,
            arguments,
        });
    }

    let defined: Vec<&PlannedError> = plan
        .map(|plan| {
            plan.new_in(module_name)
                .filter(|planned| !context.facts.module_classes.contains_key(&planned.name))
                .collect()
        })
        .unwrap_or_default();
    if rewrites.is_empty() && defined.is_empty() {
        return;
    }

    // The imports: each class from its home, and what new classes here need.
    let class_symbol = |planned: &PlannedError| {
        Symbol::owned(context.module_spelling(&planned.home), planned.name.clone())
    };
    let mut symbols: Vec<Symbol> = Vec::new();
    let add = |symbols: &mut Vec<Symbol>, symbol: Symbol| {
        if !symbols.contains(&symbol) {
            symbols.push(symbol);
        }
    };
    for rewrite in &rewrites {
        if rewrite.planned.home != module_name {
            add(&mut symbols, class_symbol(rewrite.planned));
        }
    }
    for planned in &defined {
        let (module, name) = base_symbol(&planned.key.base);
        add(&mut symbols, Symbol::owned(module, name));
        if status_constant(planned.key.shape.status).is_some() {
            add(&mut symbols, Symbol::new("fastapi", "status"));
        }
    }
    // The homes are of the project even when they sit at the top level
    // beside this module: their imports go in the first-party section.
    let first_party = rewrites
        .first()
        .map(|rewrite| rewrite.planned.home.split('.').next().unwrap_or_default())
        .or_else(|| module_name.split('.').next());
    let imported = crate::python::imports::Importer::new(
        context.module,
        &context.facts.imports,
        context.source,
    )
    .with_first_party(first_party)
    .with_runtime_names(&context.facts.runtime_import_names)
    .with_line_length(context.options.line_length)
    .import(&symbols);
    let reference = |symbol: &Symbol| {
        symbols
            .iter()
            .position(|candidate| candidate == symbol)
            .map(|position| imported.references[position].clone())
    };

    let mut edits: Vec<Edit> = Vec::new();
    for rewrite in &rewrites {
        let planned = rewrite.planned;
        let name = if planned.home == module_name {
            planned.name.clone()
        } else {
            reference(&class_symbol(planned)).unwrap_or_else(|| planned.name.clone())
        };
        edits.push(Edit::replacement(
            format!("{name}({})", rewrite.arguments.join(", ")),
            rewrite.range,
        ));
    }
    if !defined.is_empty() {
        edits.push(definitions(context, &defined, &symbols, &reference));
    }
    edits.extend(imported.edits);
    let fix = Fix::new("use the domain's exceptions", edits, Safety::Safe);
    let notes = if imported.notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", imported.notes.join("; "))
    };
    for rewrite in &rewrites {
        let planned = rewrite.planned;
        let place = if planned.home == module_name {
            "here".to_string()
        } else {
            format!("in `{}`", planned.home)
        };
        findings.push(
            &TRANSFORM,
            rewrite.range,
            format!("raise `{}`, defined {place}{notes}", planned.name),
            Some(fix.clone()),
        );
    }
    for planned in &defined {
        findings.push(
            &TRANSFORM,
            TextRange::empty(context.source.text_len()),
            format!("define `{}` here{notes}", planned.name),
            Some(fix.clone()),
        );
    }
}

/// The new classes, appended to the module after two blank lines, each
/// domain's under a comment when there are several.
fn definitions(
    context: &FileContext,
    defined: &[&PlannedError],
    symbols: &[Symbol],
    reference: &dyn Fn(&Symbol) -> Option<String>,
) -> Edit {
    let source = context.source;
    let ending = source.line_ending().as_str();
    let text = source.text();
    let trimmed = text.trim_end_matches(['\n', '\r', ' ', '\t']);
    let mut addition = String::new();
    if !trimmed.is_empty() {
        addition.push_str(ending);
    }
    let status = symbols
        .iter()
        .position(|symbol| symbol.module == "fastapi" && symbol.name == "status")
        .and_then(|position| reference(&symbols[position]));
    let mut domains: Vec<&str> = defined
        .iter()
        .map(|planned| planned.domain.as_str())
        .collect();
    domains.dedup();
    let mut current: Option<&str> = None;
    for planned in defined {
        let (module, name) = base_symbol(&planned.key.base);
        let base = reference(&Symbol::owned(module, name.clone())).unwrap_or(name);
        let references = ClassReferences {
            base: &base,
            status: status.as_deref(),
        };
        if !addition.is_empty() || !trimmed.is_empty() {
            addition.push_str(ending);
            addition.push_str(ending);
        }
        if domains.len() > 1 && current != Some(planned.domain.as_str()) {
            addition.push_str(&format!("# {}{ending}", planned.domain.replace('_', " ")));
            current = Some(planned.domain.as_str());
        }
        addition.push_str(&class_text(
            planned,
            &references,
            source.quote(),
            source.indent_unit(),
            ending,
            context.options.line_length,
        ));
    }
    // Whatever followed the last statement (blank lines, a missing final
    // newline) gives way to the new text.
    let tail = TextRange::new(
        ruff_text_size::TextSize::try_from(trimmed.len()).unwrap_or_default(),
        source.text_len(),
    );
    Edit::replacement(addition, tail)
}
