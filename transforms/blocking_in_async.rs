//! # blocking-in-async (safe)
//!
//! ## What it does
//! Moves calls that block off the event loop when they sit in an
//! `async def` (a route, a dependency or any other coroutine; not in a
//! nested `def`, `lambda` or class): `time.sleep(x)` becomes
//! `await asyncio.sleep(x)`, and every other blocking call becomes
//! `await asyncio.get_running_loop().run_in_executor(None, partial(f, …))`,
//! keeping every argument and comment. A call too long for its line, or
//! already spread over lines, gets one argument per line.
//!
//! What blocks is recognised through imports and types, not by name:
//! `requests` (functions and `Session` methods), `httpx` (functions and
//! `Client` methods, not `AsyncClient`), `urllib.request.urlopen`,
//! `urllib3`, `subprocess`, `os.system` / `os.popen` / `os.wait*`, `open`
//! and `io.open`, `pathlib.Path` reads and writes, file-system work
//! (`shutil.rmtree`/`copytree`/`copy*`/`move`, `os.remove`, `os.listdir`,
//! `os.scandir`, `os.walk`, `os.makedirs`, `os.rename`…), `socket` connections,
//! `smtplib`, boto3 clients and resources, a synchronous SQLAlchemy or
//! SQLModel `Session` (typed as one, also through `Annotated` and project
//! aliases such as `SessionDep`, or created as one) including
//! `query(…)…all()` chains, `sqlite3` / `psycopg2` / `pymysql` connections,
//! `redis.Redis` (not `redis.asyncio`) and `pymongo`. More calls can be
//! listed in `[tool.fastapi-codemod.blocking-in-async] blocking-calls`
//! (`"mycompany.sdk.Client.send"`, `"legacy_billing.*"`), and
//! `executor-style` chooses `run_in_executor` (default), `to_thread`
//! (`await asyncio.to_thread(f, …)`) or `threadpool`
//! (`await run_in_threadpool(f, …)` from `fastapi.concurrency`).
//!
//! Calls that cannot move in place — used as a context manager
//! (`with open(…) as f:`), iterated over, inside a generator expression, or
//! on a `sqlite3` connection (which works only in the thread that created
//! it) — are reported by `check`, not rewritten. When
//! `async-without-await` can make the whole function a `def`, it wins.
//!
//! ## Why is this bad?
//! An `async def` runs on the event loop: while `requests.get` waits for a
//! payment provider, every other request on the server waits too.
//!
//! ## Example
//! ```python
//! import time
//!
//! import httpx
//! import requests
//! from fastapi import APIRouter
//!
//! router = APIRouter()
//!
//!
//! @router.post("/charge")
//! async def charge(amount: int, client: httpx.AsyncClient):
//!     time.sleep(1)
//!     receipt = requests.post("https://pay.example.com", json={"amount": amount}).json()
//!     await client.post("https://audit.example.com", json=receipt)
//!     return receipt
//! ```
//!
//! Use instead:
//! ```python
//! import asyncio
//! from functools import partial
//!
//! import httpx
//! import requests
//! from fastapi import APIRouter
//!
//! router = APIRouter()
//!
//!
//! @router.post("/charge")
//! async def charge(amount: int, client: httpx.AsyncClient):
//!     await asyncio.sleep(1)
//!     receipt = (await asyncio.get_running_loop().run_in_executor(
//!         None,
//!         partial(requests.post, "https://pay.example.com", json={"amount": amount}),
//!     )).json()
//!     await client.post("https://audit.example.com", json=receipt)
//!     return receipt
//! ```
//!
//! ## Fix safety
//! Safe: the call does the same work, in a worker thread instead of on the
//! event loop. Code that relied on the call blocking everything else (it
//! should not) would see other requests interleave.

use ruff_text_size::Ranged;

use crate::project::transform::{FileContext, Findings, Settings, Transform};
use crate::python::blocking::BlockingCalls;
use crate::python::blocking::BlockingSite;
use crate::python::imports::Symbol;
use crate::text::edit::{Edit, Fix, Safety};

pub static TRANSFORM: Transform = Transform {
    name: "blocking-in-async",
    safety: Safety::Safe,
    summary: "blocking calls in `async def` → `await asyncio.sleep` / `run_in_executor(None, partial(f, …))`",
    ruff_code: None,
    source: include_str!("blocking_in_async.rs"),
    run,
    configure: Some(configure),
    ..Transform::BASE
};

/// How a blocking call runs off the event loop (`executor-style`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExecutorStyle {
    /// `await asyncio.get_running_loop().run_in_executor(None, partial(f, …))`
    #[default]
    RunInExecutor,
    /// `await asyncio.to_thread(f, …)`
    ToThread,
    /// `await run_in_threadpool(f, …)` from `fastapi.concurrency`
    Threadpool,
}

impl ExecutorStyle {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "run_in_executor" => Some(ExecutorStyle::RunInExecutor),
            "to_thread" => Some(ExecutorStyle::ToThread),
            "threadpool" | "run_in_threadpool" => Some(ExecutorStyle::Threadpool),
            _ => None,
        }
    }
}

/// Reads `executor-style`, and `blocking-calls` (which `async-without-await`
/// honours too).
fn configure(table: &toml::Table, settings: &mut Settings) -> Result<(), String> {
    for (option, value) in table {
        match option.as_str() {
            "executor-style" => {
                let style = value.as_str().and_then(ExecutorStyle::parse).ok_or_else(|| {
                    format!(
                        "{option}: expected \"run_in_executor\", \"to_thread\" or \"threadpool\""
                    )
                })?;
                settings.set(style);
            }
            "blocking-calls" => {
                let calls = value
                    .as_array()
                    .and_then(|items| {
                        items
                            .iter()
                            .map(|item| item.as_str().map(String::from))
                            .collect::<Option<Vec<String>>>()
                    })
                    .ok_or_else(|| format!("{option}: expected a list of strings"))?;
                settings.set(BlockingCalls(calls));
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(())
}

fn run(context: &FileContext, findings: &mut Findings) {
    for &function in &context.facts.functions {
        if !function.is_async {
            continue;
        }
        let body = context.blocking_in(function);
        if context.is_selected(&super::async_without_await::TRANSFORM)
            && super::async_without_await::converts_with(context, function, &body).is_some()
        {
            continue;
        }
        for site in &body.blocking {
            if context.is_suppressed(&TRANSFORM, site.call.range(), &[]) {
                continue;
            }
            let message = format!(
                "`{}` blocks the event loop in `async def {}`",
                site.what, function.name.id
            );
            match site.unmovable {
                Some(reason) => findings.push(
                    &TRANSFORM,
                    site.call.range(),
                    format!("{message}; not moved: {reason} (make the function `def`, or use an async library)"),
                    None,
                ),
                None => findings.push(&TRANSFORM, site.call.range(), message, Some(fix_for(context, site))),
            }
        }
    }
}

fn fix_for(context: &FileContext, site: &BlockingSite) -> Fix {
    let source = context.source;
    let call = site.call;
    let callee = source.slice(call.func.range());
    let inner = source.slice(call.arguments.inner_range());
    let importer = context.importer();
    let mut edits: Vec<Edit> = Vec::new();
    // `head(` and `)` around the work, and whether the callee goes inside `partial(…)`.
    let (open, close, in_partial) = if site.is_sleep {
        let (asyncio, edit) = importer.import_module("asyncio");
        edits.extend(edit);
        let text = format!("await {asyncio}.sleep({inner})");
        return finish(site, text, edits);
    } else {
        let style = context
            .options
            .settings
            .get::<ExecutorStyle>()
            .copied()
            .unwrap_or_default();
        match style {
            ExecutorStyle::RunInExecutor => {
                let (asyncio, edit) = importer.import_module("asyncio");
                edits.extend(edit);
                let imported = importer.import(&[Symbol::new("functools", "partial")]);
                edits.extend(imported.edits);
                (
                    format!("await {asyncio}.get_running_loop().run_in_executor("),
                    ")".to_string(),
                    Some(imported.references[0].clone()),
                )
            }
            ExecutorStyle::ToThread => {
                let (asyncio, edit) = importer.import_module("asyncio");
                edits.extend(edit);
                (format!("await {asyncio}.to_thread("), ")".to_string(), None)
            }
            ExecutorStyle::Threadpool => {
                let imported =
                    importer.import(&[Symbol::new("fastapi.concurrency", "run_in_threadpool")]);
                edits.extend(imported.edits);
                (
                    format!("await {}(", imported.references[0]),
                    ")".to_string(),
                    None,
                )
            }
        }
    };
    // Each item with the indentation of the line it starts on, so that a
    // multi-line argument keeps its shape when it moves.
    let mut items: Vec<(String, String)> = vec![(callee.to_string(), String::new())];
    items.extend(call.arguments.iter_source_order().map(|argument| {
        let indentation = source.indentation_at(argument.start()).to_string();
        (source.slice(argument.range()).to_string(), indentation)
    }));
    let flat_work = items
        .iter()
        .map(|(text, _)| text.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let flat = match &in_partial {
        Some(partial) => format!("{open}None, {partial}({flat_work}){close}"),
        None => format!("{open}{flat_work}{close}"),
    };
    let text = match exploded(
        context,
        site,
        &open,
        &close,
        in_partial.as_deref(),
        &items,
        &flat,
    ) {
        Some(exploded) => exploded,
        None => flat_or_verbatim(
            source,
            call,
            &open,
            &close,
            in_partial.as_deref(),
            callee,
            inner,
            flat,
        ),
    };
    finish(site, text, edits)
}

fn finish(site: &BlockingSite, text: String, mut edits: Vec<Edit>) -> Fix {
    let text = if site.needs_parentheses {
        format!("({text})")
    } else {
        text
    };
    edits.push(Edit::replacement(text, site.call.range()));
    Fix::new(
        format!("move `{}` off the event loop", site.what),
        edits,
        Safety::Safe,
    )
}

/// The one-line form; when the arguments hold comments, they are kept as
/// written instead.
#[allow(clippy::too_many_arguments)]
fn flat_or_verbatim(
    source: &crate::text::source::SourceFile,
    call: &ruff_python_ast::ExprCall,
    open: &str,
    close: &str,
    partial: Option<&str>,
    callee: &str,
    inner: &str,
    flat: String,
) -> String {
    let has_comments = inner.contains('#')
        && source
            .slice(call.arguments.range())
            .lines()
            .any(|line| line.contains('#'));
    if !has_comments {
        return flat;
    }
    let arguments = inner.trim_start();
    let work = if arguments.trim().is_empty() {
        callee.to_string()
    } else {
        format!("{callee}, {arguments}")
    };
    match partial {
        Some(partial) => format!("{open}None, {partial}({work}){close}"),
        None => format!("{open}{work}{close}"),
    }
}

/// One argument per line, as black lays out a call too long for its line
/// (or one already spread over lines): `None,` and `partial(` … `),` for
/// `run_in_executor`. `None` when the flat form fits, or when the arguments
/// hold comments or multi-line strings that cannot move.
fn exploded(
    context: &FileContext,
    site: &BlockingSite,
    open: &str,
    close: &str,
    partial: Option<&str>,
    items: &[(String, String)],
    flat: &str,
) -> Option<String> {
    let source = context.source;
    let call = site.call;
    let arguments_text = source.slice(call.arguments.range());
    let spread = arguments_text.contains(['\n', '\r']);
    let line_start = source.line_start(call.start());
    let before = source.slice(ruff_text_size::TextRange::new(line_start, call.start()));
    let after_end = source.full_line_end(call.end());
    let after = source
        .slice(ruff_text_size::TextRange::new(call.end(), after_end))
        .trim_end_matches(['\n', '\r']);
    let parentheses = if site.needs_parentheses { 2 } else { 0 };
    let width = before.chars().count() + flat.chars().count() + parentheses + after.chars().count();
    if !spread && width <= context.options.line_length {
        return None;
    }
    if arguments_text.contains('#')
        || arguments_text.contains("\"\"\"")
        || arguments_text.contains("'''")
    {
        return None;
    }
    let ending = source.line_ending().as_str();
    let unit = source.indent_unit();
    let base = source.indentation_at(call.start());
    let one = format!("{base}{unit}");
    let two = format!("{one}{unit}");
    // Each item on its own line, continuation lines moved to the new depth.
    let place = |(item, indentation): &(String, String), depth: &str| -> String {
        let mut lines = item.lines();
        let mut text = format!("{depth}{}", lines.next().unwrap_or_default());
        for line in lines {
            text.push_str(ending);
            text.push_str(depth);
            text.push_str(
                line.strip_prefix(indentation.as_str())
                    .unwrap_or(line.trim_start()),
            );
        }
        text.push(',');
        text.push_str(ending);
        text
    };
    let text = match partial {
        Some(partial) => {
            // `partial(…)` stays on one line when it fits there, as black keeps it.
            let single = items.iter().all(|(item, _)| !item.contains(['\n', '\r']));
            let joined = items
                .iter()
                .map(|(item, _)| item.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let line = format!("{one}{partial}({joined}),");
            if !spread && single && line.chars().count() <= context.options.line_length {
                format!("{open}{ending}{one}None,{ending}{line}{ending}{base}{close}")
            } else {
                let work: String = items.iter().map(|item| place(item, &two)).collect();
                format!(
                    "{open}{ending}{one}None,{ending}{one}{partial}({ending}{work}{one}),{ending}{base}{close}"
                )
            }
        }
        None => {
            let work: String = items.iter().map(|item| place(item, &one)).collect();
            format!("{open}{ending}{work}{base}{close}")
        }
    };
    Some(text)
}
