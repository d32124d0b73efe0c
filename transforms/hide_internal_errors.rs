//! # hide-internal-errors (unsafe)
//!
//! ## What it does
//! Stops sending exception text to clients, and logs it instead.
//!
//! **Exception handlers.** A handler registered with
//! `@app.exception_handler(...)` or `app.add_exception_handler(...)` whose
//! response carries the exception (`str(exc)`, `f"{exc}"`, `repr(exc)`,
//! `exc.args`, `traceback.format_exc()`, or `"…".format(exc)` /
//! `"…" % exc`, alone or with `type(exc).__name__`) sends `{"detail": "Internal server
//! error"}` instead (plain `"Internal server error"` for a response that is
//! not JSON), with the same status. The handler first logs the exception
//! with its traceback, `logger.exception("Unhandled error", exc_info=exc)`,
//! through the module's logger (a module-level `logging.getLogger(…)`), or
//! a new `logger = logging.getLogger(__name__)` after the imports. A
//! handler that logs already is not given a second log line.
//!
//! **Route code.** `raise HTTPException(status_code=500, detail=str(e))`
//! inside `except … as e` (any 5xx whose detail carries the caught
//! exception) becomes `logger.exception("Unhandled error")` followed by
//! `raise HTTPException(status_code=500, detail="Internal server error")
//! from e` (a `from None` becomes `from e` too: the log shows the chain).
//! An `except` body that logs already gets no second log line.
//!
//! **Left alone.** Handlers of errors that are meant to explain themselves
//! to clients: `RequestValidationError` (422 with `exc.errors()`),
//! `HTTPException` and its subclasses (domain exceptions with their own
//! detail), Pydantic's `ValidationError`, and any handler whose response
//! has a literal 4xx status or the error's own (`exc.status_code`). A response that reads the exception only
//! through a variable is reported, not rewritten.
//!
//! ## Why is this bad?
//! Exception text is for developers: it names tables, columns, hosts,
//! file paths and sometimes values (`duplicate key value violates unique
//! constraint "users_email_key"`, `connection to 10.0.3.7 refused`).
//! Sent to clients it tells an attacker how the service is built, and
//! logged nowhere it tells the team nothing. A generic message for the
//! client and the traceback in the log is the rule.
//!
//! ## Example
//! ```python
//! import logging
//!
//! from fastapi import FastAPI, Request
//! from fastapi.responses import JSONResponse
//!
//! logger = logging.getLogger(__name__)
//!
//! app = FastAPI()
//!
//!
//! @app.exception_handler(Exception)
//! async def unhandled(request: Request, exc: Exception):
//!     return JSONResponse(status_code=500, content={"detail": str(exc)})
//! ```
//!
//! Use instead:
//! ```python
//! import logging
//!
//! from fastapi import FastAPI, Request
//! from fastapi.responses import JSONResponse
//!
//! logger = logging.getLogger(__name__)
//!
//! app = FastAPI()
//!
//!
//! @app.exception_handler(Exception)
//! async def unhandled(request: Request, exc: Exception):
//!     logger.exception("Unhandled error", exc_info=exc)
//!     return JSONResponse(status_code=500, content={"detail": "Internal server error"})
//! ```
//!
//! ## Fix safety
//! Unsafe: clients that read the old text (an admin tool showing the
//! error, a test asserting on it) lose it. Review what reads these
//! responses, and check that the logs the tracebacks now go to are kept.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::fastapi::qualified_in;
use crate::python::http_errors::{HTTP_EXCEPTIONS, argument, status_code, string_literal};
use crate::text::edit::{Edit, Fix, Safety};

pub static TRANSFORM: Transform = Transform {
    name: "hide-internal-errors",
    safety: Safety::Unsafe,
    summary: "exception handlers and 5xx `HTTPException`s that send exception text send \"Internal server error\" and log the traceback",
    ruff_code: None,
    source: include_str!("hide_internal_errors.rs"),
    run,
    plan: None,
    configure: None,
    requires: None,
};

/// The generic message clients get.
const MESSAGE: &str = "Internal server error";

/// Errors whose handlers are meant to explain them to clients.
const EXPLAINED: &[&str] = &[
    "fastapi.exceptions.RequestValidationError",
    "fastapi.exceptions.WebSocketRequestValidationError",
    "pydantic.ValidationError",
    "pydantic_core.ValidationError",
    "fastapi.HTTPException",
    "fastapi.exceptions.HTTPException",
    "starlette.exceptions.HTTPException",
];

fn run(context: &FileContext, findings: &mut Findings) {
    // Handlers are registered by name; the raises are of `HTTPException`.
    let text = context.source.text();
    let registers = text.contains("exception_handler");
    let raises = text.contains("HTTPException");
    if !registers && !raises {
        return;
    }
    let handlers: Vec<_> = if registers {
        handlers(context)
            .into_iter()
            .filter(|(_, exception)| !is_explained(context, exception))
            .collect()
    } else {
        Vec::new()
    };
    let leaking = if raises {
        leaking_raises(context)
    } else {
        Vec::new()
    };
    if handlers.is_empty() && leaking.is_empty() {
        return;
    }
    let logger = Logger::of(context);
    for (function, _) in handlers {
        hide_in_handler(context, function, &logger, findings);
    }
    for raise in leaking {
        hide_in_raise(context, &raise, &logger, findings);
    }
}

/// Exception handlers: functions registered with
/// `@app.exception_handler(E)` or `app.add_exception_handler(E, f)`, with
/// the exception class.
fn handlers<'a>(context: &FileContext<'a>) -> Vec<(&'a StmtFunctionDef, &'a Expr)> {
    let mut found: Vec<(&StmtFunctionDef, &Expr)> = Vec::new();
    for function in &context.facts.functions {
        for decorator in &function.decorator_list {
            if let Expr::Call(call) = &decorator.expression
                && let Expr::Attribute(attribute) = call.func.as_ref()
                && attribute.attr.as_str() == "exception_handler"
                && let Some(exception) = call.arguments.args.first()
            {
                found.push((function, exception));
            }
        }
    }
    for call in &context.facts.calls {
        if let Expr::Attribute(attribute) = call.func.as_ref()
            && attribute.attr.as_str() == "add_exception_handler"
            && let [exception, Expr::Name(handler), ..] = &call.arguments.args[..]
            && let Some(function) = context.facts.module_functions.get(handler.id.as_str())
            && !found
                .iter()
                .any(|(known, _)| std::ptr::eq(*known, *function))
        {
            found.push((function, exception));
        }
    }
    found
}

/// Whether the handled error is one meant to explain itself: validation
/// errors, `HTTPException` and the project's subclasses of it.
fn is_explained(context: &FileContext, exception: &Expr) -> bool {
    let module = context.module_name.unwrap_or_default();
    let Some(class) = qualified_in(context.facts, module, context.is_package, exception) else {
        return false;
    };
    let explained = |name: &str| EXPLAINED.contains(&name) || HTTP_EXCEPTIONS.contains(&name);
    explained(&class)
        || context
            .project
            .index
            .first_bases(&class)
            .iter()
            .any(|(name, _)| explained(name))
}

/// How the module logs: its logger, or how to make one.
struct Logger {
    /// The module-level name bound to `logging.getLogger(…)`.
    existing: Option<String>,
    /// `logger`, when that name is free for a new one.
    free: bool,
}

impl Logger {
    fn of(context: &FileContext) -> Self {
        let module = context.module_name.unwrap_or_default();
        let mut names: Vec<&String> = context
            .facts
            .module_values
            .iter()
            .filter(|(_, value)| {
                matches!(value.value, Some(Expr::Call(call)) if qualified_in(context.facts, module, context.is_package, &call.func).is_some_and(|callee| callee == "logging.getLogger"))
            })
            .map(|(name, _)| name)
            .collect();
        names.sort();
        let existing = names
            .iter()
            .find(|name| name.as_str() == "logger")
            .or(names.first())
            .map(|name| name.to_string());
        let free = !context.facts.module_values.contains_key("logger")
            && !context.facts.imports.is_bound("logger")
            && !context.facts.module_functions.contains_key("logger")
            && !context.facts.module_classes.contains_key("logger");
        Logger { existing, free }
    }

    /// The logger's name, and the edits that define it (and import
    /// `logging`) when the module has none. None when `logger` is taken.
    fn name_and_edits(&self, context: &FileContext) -> Option<(String, Vec<Edit>)> {
        if let Some(existing) = &self.existing {
            return Some((existing.clone(), Vec::new()));
        }
        if !self.free {
            return None;
        }
        let (logging, import) = context.importer().import_module("logging");
        let ending = context.source.line_ending().as_str();
        let definition = format!("{ending}logger = {logging}.getLogger(__name__){ending}");
        // After the module's leading imports, or its docstring.
        let body = &context.module.body;
        let last_import = body
            .iter()
            .take_while(|stmt| {
                matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_))
                    || matches!(stmt, Stmt::Expr(expr) if expr.value.is_string_literal_expr())
            })
            .last();
        let at = last_import.map_or(TextSize::default(), |stmt| {
            context.source.full_line_end(stmt.end())
        });
        let mut edits: Vec<Edit> = import.into_iter().collect();
        let text = if last_import.is_some() {
            definition
        } else {
            format!("logger = {logging}.getLogger(__name__){ending}{ending}")
        };
        // An import line added at the same place comes first.
        match edits
            .iter_mut()
            .find(|edit| edit.is_insertion() && edit.start() == at)
        {
            Some(edit) => *edit = Edit::insertion(format!("{}{text}", edit.content()), at),
            None => edits.push(Edit::insertion(text, at)),
        }
        Some(("logger".to_string(), edits))
    }
}

/// Finds what in an expression carries an exception's text.
struct Leak<'c, 'f> {
    context: &'c FileContext<'f>,
    exception: &'c str,
    found: bool,
}

impl<'a> Visitor<'a> for Leak<'_, '_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        let is_exception =
            |expr: &Expr| matches!(expr, Expr::Name(name) if name.id.as_str() == self.exception);
        match expr {
            Expr::Call(call) => {
                let module = self.context.module_name.unwrap_or_default();
                let callee = qualified_in(
                    self.context.facts,
                    module,
                    self.context.is_package,
                    &call.func,
                );
                let builtin = match call.func.as_ref() {
                    Expr::Name(name) => Some(name.id.as_str()),
                    _ => None,
                };
                let first_is_exception = call.arguments.args.first().is_some_and(is_exception);
                let formats = matches!(call.func.as_ref(), Expr::Attribute(attribute) if attribute.attr.as_str() == "format")
                    && call.arguments.args.iter().any(is_exception);
                if (matches!(builtin, Some("str" | "repr")) && first_is_exception)
                    || formats
                    || callee.is_some_and(|callee| callee.starts_with("traceback.format"))
                {
                    self.found = true;
                    return;
                }
            }
            Expr::Attribute(attribute) => {
                // `type(exc).__name__` alone names the error, as a domain
                // error's handler may mean to; with the message it is the
                // message that leaks.
                if attribute.attr.as_str() == "args" && is_exception(&attribute.value) {
                    self.found = true;
                    return;
                }
            }
            Expr::FString(fstring) => {
                for part in fstring.value.iter() {
                    if let ast::FStringPart::FString(fstring) = part {
                        for element in fstring.elements.iter() {
                            if let ast::InterpolatedStringElement::Interpolation(field) = element
                                && is_exception(&field.expression)
                            {
                                self.found = true;
                                return;
                            }
                        }
                    }
                }
            }
            Expr::BinOp(binary) if binary.op == ast::Operator::Mod => {
                let right = binary.right.as_ref();
                let carries = is_exception(right)
                    || matches!(right, Expr::Tuple(tuple) if tuple.elts.iter().any(is_exception));
                if carries && binary.left.is_string_literal_expr() {
                    self.found = true;
                    return;
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

fn leaks(context: &FileContext, expr: &Expr, exception: &str) -> bool {
    let mut leak = Leak {
        context,
        exception,
        found: false,
    };
    leak.visit_expr(expr);
    leak.found
}

/// Whether a body logs already: a call of `.exception(…)`, or of
/// `.error(…)`/`.critical(…)` with `exc_info`.
fn logs(body: &[Stmt]) -> bool {
    struct Logs {
        found: bool,
    }
    impl<'a> Visitor<'a> for Logs {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr
                && let Expr::Attribute(attribute) = call.func.as_ref()
            {
                let method = attribute.attr.as_str();
                if method == "exception"
                    || matches!(method, "error" | "critical" | "warning")
                        && call.arguments.find_keyword("exc_info").is_some()
                {
                    self.found = true;
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut logs = Logs { found: false };
    logs.visit_body(body);
    logs.found
}

/// The handler's responses that carry the exception, rewritten to the
/// generic message, with a log line at the top of the handler.
fn hide_in_handler(
    context: &FileContext,
    function: &StmtFunctionDef,
    logger: &Logger,
    findings: &mut Findings,
) {
    let parameters: Vec<&ast::ParameterWithDefault> = function
        .parameters
        .posonlyargs
        .iter()
        .chain(&function.parameters.args)
        .collect();
    let Some(exception) = parameters
        .get(1)
        .map(|parameter| parameter.parameter.name.as_str())
    else {
        return;
    };
    if context.is_suppressed(
        &TRANSFORM,
        function.range(),
        &context.header_lines(function),
    ) {
        return;
    }
    let module = context.module_name.unwrap_or_default();
    let mut edits: Vec<Edit> = Vec::new();
    let mut through_variable = false;
    for returned in returns(&function.body) {
        let Some(value) = returned.value.as_deref() else {
            continue;
        };
        let Expr::Call(call) = value else {
            through_variable |= leaks(context, value, exception);
            continue;
        };
        let Some(content) = argument(&call.arguments, 0, "content") else {
            continue;
        };
        if !leaks(context, content, exception) {
            // `JSONResponse(content=body)` with `body = {"detail": str(exc)}`.
            if matches!(content, Expr::Name(_)) && body_leaks(context, &function.body, exception) {
                through_variable = true;
            }
            continue;
        }
        let status = argument(&call.arguments, 1, "status_code");
        // `status_code=exc.status_code`: an error that carries its own status
        // is one meant to explain itself.
        let own_status = matches!(status, Some(Expr::Attribute(attribute))
            if matches!(attribute.value.as_ref(), Expr::Name(name) if name.id.as_str() == exception));
        let status = status
            .and_then(|status| status_code(context.facts, module, context.is_package, status));
        if own_status || status.is_some_and(|status| (400..500).contains(&status)) {
            continue;
        }
        let is_json = qualified_in(context.facts, module, context.is_package, &call.func)
            .is_none_or(|class| class.ends_with("JSONResponse"));
        let quote = context.source.quote();
        let replacement = if is_json {
            format!(
                "{{{}: {}}}",
                string_literal("detail", quote),
                string_literal(MESSAGE, quote)
            )
        } else {
            string_literal(MESSAGE, quote)
        };
        edits.push(Edit::replacement(replacement, content.range()));
    }
    if edits.is_empty() {
        if through_variable {
            findings.push(
                &TRANSFORM,
                function.name.range(),
                format!(
                    "`{}` sends exception text through a variable: not rewritten, review it",
                    function.name
                ),
                None,
            );
        }
        return;
    }
    let fix = match log_line(context, function, exception, logger, true) {
        Some(log_edits) => {
            edits.extend(log_edits);
            Some(Fix::new(
                "send a generic message and log the exception",
                edits,
                Safety::Unsafe,
            ))
        }
        None => None,
    };
    let message = match &fix {
        Some(_) => format!(
            "`{}` sends exception text to clients: send \"{MESSAGE}\" and log the traceback",
            function.name
        ),
        None => format!(
            "`{}` sends exception text to clients (no logger can be added: `logger` is taken)",
            function.name
        ),
    };
    findings.push(&TRANSFORM, function.name.range(), message, fix);
}

/// Whether any assignment in a body builds a value carrying the exception.
fn body_leaks(context: &FileContext, body: &[Stmt], exception: &str) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::Assign(assign) => leaks(context, &assign.value, exception),
        Stmt::AnnAssign(assign) => assign
            .value
            .as_deref()
            .is_some_and(|value| leaks(context, value, exception)),
        _ => false,
    })
}

/// The `return` statements of a function's own body (not of nested
/// functions).
fn returns(body: &[Stmt]) -> Vec<&ast::StmtReturn> {
    struct Returns<'a> {
        found: Vec<&'a ast::StmtReturn>,
    }
    impl<'a> Visitor<'a> for Returns<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::Return(returned) => self.found.push(returned),
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                _ => visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, _expr: &'a Expr) {}
    }
    let mut returns = Returns { found: Vec::new() };
    returns.visit_body(body);
    returns.found
}

/// The log line at the top of a handler (after its docstring), unless it
/// logs already: `logger.exception("Unhandled error", exc_info=exc)`.
/// None when no logger can be had.
fn log_line(
    context: &FileContext,
    function: &StmtFunctionDef,
    exception: &str,
    logger: &Logger,
    pass_exception: bool,
) -> Option<Vec<Edit>> {
    if logs(&function.body) {
        return Some(Vec::new());
    }
    let (name, mut edits) = logger.name_and_edits(context)?;
    let first = function
        .body
        .iter()
        .find(|stmt| !matches!(stmt, Stmt::Expr(expr) if expr.value.is_string_literal_expr()))?;
    if !context.source.starts_line(first.start()) {
        return None;
    }
    let indent = context.source.indentation_at(first.start());
    let ending = context.source.line_ending().as_str();
    let quote = context.source.quote();
    let exc_info = if pass_exception {
        format!(", exc_info={exception}")
    } else {
        String::new()
    };
    edits.push(Edit::insertion(
        format!(
            "{name}.exception({}{exc_info}){ending}{indent}",
            string_literal("Unhandled error", quote)
        ),
        first.start(),
    ));
    Some(edits)
}

/// A `raise HTTPException(status_code=5xx, detail=<the caught exception>)`
/// inside `except … as name:`.
struct LeakingRaise<'a> {
    raise: &'a ast::StmtRaise,
    detail: &'a Expr,
    name: &'a str,
    /// The `except` clause's body.
    handler_body: &'a [Stmt],
}

fn leaking_raises<'a>(context: &FileContext<'a>) -> Vec<LeakingRaise<'a>> {
    struct Handlers<'a> {
        found: Vec<&'a ast::ExceptHandlerExceptHandler>,
    }
    impl<'a> Visitor<'a> for Handlers<'a> {
        fn visit_except_handler(&mut self, handler: &'a ast::ExceptHandler) {
            let ast::ExceptHandler::ExceptHandler(inner) = handler;
            self.found.push(inner);
            visitor::walk_except_handler(self, handler);
        }
        fn visit_expr(&mut self, _expr: &'a Expr) {}
    }
    let mut handlers = Handlers { found: Vec::new() };
    handlers.visit_body(&context.module.body);
    let module = context.module_name.unwrap_or_default();
    let mut found = Vec::new();
    for handler in handlers.found {
        let Some(name) = handler.name.as_ref().map(ast::Identifier::as_str) else {
            continue;
        };
        for raise in crate::python::http_errors::raise_statements(&handler.body) {
            let Some(Expr::Call(call)) = raise.exc.as_deref() else {
                continue;
            };
            let is_http_exception =
                qualified_in(context.facts, module, context.is_package, &call.func)
                    .is_some_and(|class| HTTP_EXCEPTIONS.contains(&class.as_str()));
            if !is_http_exception {
                continue;
            }
            let status = argument(&call.arguments, 0, "status_code")
                .and_then(|status| status_code(context.facts, module, context.is_package, status));
            let Some(detail) = argument(&call.arguments, 1, "detail") else {
                continue;
            };
            if status.is_some_and(|status| (500..600).contains(&status))
                && (leaks(context, detail, name)
                    || matches!(detail, Expr::Name(detail) if detail.id.as_str() == name))
            {
                found.push(LeakingRaise {
                    raise,
                    detail,
                    name,
                    handler_body: &handler.body,
                });
            }
        }
    }
    found
}

fn hide_in_raise(
    context: &FileContext,
    leaking: &LeakingRaise,
    logger: &Logger,
    findings: &mut Findings,
) {
    let raise = leaking.raise;
    if context.is_suppressed(&TRANSFORM, raise.range(), &[]) {
        return;
    }
    let quote = context.source.quote();
    let mut edits = vec![Edit::replacement(
        string_literal(MESSAGE, quote),
        leaking.detail.range(),
    )];
    edits.extend(values_left_unused(context, leaking));
    // The caught exception becomes the cause (`from None` would drop the
    // chain the log now shows, and leave the name unused).
    match raise.cause.as_deref() {
        None => edits.push(Edit::insertion(
            format!(" from {}", leaking.name),
            raise.end(),
        )),
        Some(Expr::Name(cause)) if cause.id.as_str() == leaking.name => {}
        Some(cause) => edits.push(Edit::replacement(leaking.name.to_string(), cause.range())),
    }
    let mut fixable = true;
    if !logs(leaking.handler_body) {
        match logger.name_and_edits(context) {
            Some((name, logger_edits)) if context.source.starts_line(raise.start()) => {
                let indent = context.source.indentation_at(raise.start());
                let ending = context.source.line_ending().as_str();
                edits.push(Edit::insertion(
                    format!(
                        "{name}.exception({}){ending}{indent}",
                        string_literal("Unhandled error", quote)
                    ),
                    raise.start(),
                ));
                edits.extend(logger_edits);
            }
            _ => fixable = false,
        }
    }
    let fix = fixable.then(|| {
        Fix::new(
            "send a generic message and log the exception",
            edits,
            Safety::Unsafe,
        )
    });
    let range: TextRange = raise.range();
    findings.push(
        &TRANSFORM,
        range,
        format!(
            "this 5xx sends `{}`'s text to clients: send \"{MESSAGE}\" and log the traceback",
            leaking.name
        ),
        fix,
    );
}

/// The lines that computed, for the detail alone, a value from the
/// exception (`tb = traceback.format_exc()`): with the detail gone they
/// would be assignments nothing reads.
fn values_left_unused(context: &FileContext, leaking: &LeakingRaise) -> Vec<Edit> {
    struct Loads<'a> {
        found: Vec<&'a ast::ExprName>,
    }
    impl<'a> Visitor<'a> for Loads<'a> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Name(name) = expr
                && !name.ctx.is_store()
            {
                self.found.push(name);
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut in_detail = Loads { found: Vec::new() };
    in_detail.visit_expr(leaking.detail);
    let mut in_body = Loads { found: Vec::new() };
    in_body.visit_body(leaking.handler_body);
    // The `except` body's statements, nested blocks included (not nested
    // functions or classes).
    struct Statements<'a> {
        found: Vec<&'a Stmt>,
    }
    impl<'a> Visitor<'a> for Statements<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            self.found.push(stmt);
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, _expr: &'a Expr) {}
    }
    let mut statements = Statements { found: Vec::new() };
    statements.visit_body(leaking.handler_body);
    let statements = statements.found;
    let mut edits = Vec::new();
    let mut names: Vec<&str> = in_detail
        .found
        .iter()
        .map(|name| name.id.as_str())
        .filter(|name| *name != leaking.name)
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let read_elsewhere = in_body.found.iter().any(|load| {
            load.id.as_str() == name && !leaking.detail.range().contains_range(load.range())
        });
        if read_elsewhere {
            continue;
        }
        // Its one assignment in the `except` body, alone on its lines.
        let assignments: Vec<&ast::StmtAssign> = statements
            .iter()
            .filter_map(|stmt| match stmt {
                Stmt::Assign(assign)
                    if matches!(&assign.targets[..], [Expr::Name(target)] if target.id.as_str() == name) =>
                {
                    Some(assign)
                }
                _ => None,
            })
            .collect();
        let [assignment] = assignments[..] else {
            continue;
        };
        if !leaks(context, &assignment.value, leaking.name)
            || !context.source.starts_line(assignment.start())
        {
            continue;
        }
        let start = context.source.line_start(assignment.start());
        let end = context.source.full_line_end(assignment.end());
        edits.push(Edit::deletion(TextRange::new(start, end)));
    }
    // Imports of the `except` body that only those lines read
    // (`import traceback` for `traceback.format_exc()`), with the blank
    // line after them.
    let gone = |range: TextRange| {
        leaking.detail.range().contains_range(range)
            || edits.iter().any(|edit| edit.range().contains_range(range))
    };
    let mut imports: Vec<Edit> = Vec::new();
    for stmt in &statements {
        let bound: Vec<&str> = match stmt {
            Stmt::Import(import) => import
                .names
                .iter()
                .map(|alias| {
                    alias.asname.as_ref().map_or_else(
                        || alias.name.id.split('.').next().unwrap_or_default(),
                        |asname| asname.id.as_str(),
                    )
                })
                .collect(),
            Stmt::ImportFrom(import) => import
                .names
                .iter()
                .map(|alias| alias.asname.as_ref().unwrap_or(&alias.name).id.as_str())
                .collect(),
            _ => continue,
        };
        let still_read = bound.iter().any(|name| {
            in_body
                .found
                .iter()
                .any(|load| load.id.as_str() == *name && !gone(load.range()))
        });
        if still_read || !context.source.starts_line(stmt.start()) {
            continue;
        }
        let start = context.source.line_start(stmt.start());
        let mut end = context.source.full_line_end(stmt.end());
        let next_end = context.source.full_line_end(end);
        if end < context.source.text_len()
            && context
                .source
                .slice(TextRange::new(end, next_end))
                .trim()
                .is_empty()
        {
            end = next_end;
        }
        imports.push(Edit::deletion(TextRange::new(start, end)));
    }
    edits.extend(imports);
    edits
}
