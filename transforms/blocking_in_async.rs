//! # blocking-in-async (safe)
//!
//! ## What it does
//! Moves calls that block off the event loop when they sit in an
//! `async def` (a route, a dependency or any other coroutine; not in a
//! nested `def`, `lambda` or class): `time.sleep(x)` becomes
//! `await asyncio.sleep(x)`, and every other blocking call becomes
//! `await asyncio.get_running_loop().run_in_executor(None, partial(f, …))`,
//! keeping every argument and comment.
//!
//! What blocks is recognised through imports and types, not by name:
//! `requests` (functions and `Session` methods), `httpx` (functions and
//! `Client` methods, not `AsyncClient`), `urllib.request.urlopen`,
//! `urllib3`, `subprocess`, `os.system` / `os.popen` / `os.wait*`, `open`
//! and `io.open`, `pathlib.Path` reads and writes, `socket` connections,
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
//! (`with open(…) as f:`), iterated over, or inside a generator
//! expression — are reported by `check`, not rewritten. When
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
//! import time
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
//!     receipt = (await asyncio.get_running_loop().run_in_executor(None, partial(requests.post, "https://pay.example.com", json={"amount": amount}))).json()
//!     await client.post("https://audit.example.com", json=receipt)
//!     return receipt
//! ```
//!
//! ## Fix safety
//! Safe: the call does the same work, in a worker thread instead of on the
//! event loop. Code that relied on the call blocking everything else (it
//! should not) would see other requests interleave.

use ruff_text_size::Ranged;

use crate::blocking::{BlockingSite, analyze};
use crate::edit::{Edit, Fix, Safety};
use crate::imports::Symbol;
use crate::transform::{ExecutorStyle, FileContext, Findings, Transform};

pub static TRANSFORM: Transform = Transform {
    name: "blocking-in-async",
    safety: Safety::Safe,
    summary: "blocking calls in `async def` → `await asyncio.sleep` / `run_in_executor(None, partial(f, …))`",
    ruff_code: None,
    source: include_str!("blocking_in_async.rs"),
    run,
};

fn run(context: &FileContext, findings: &mut Findings) {
    for &function in &context.facts.functions {
        if !function.is_async {
            continue;
        }
        if context.is_selected("async-without-await")
            && super::async_without_await::converts(context, function).is_some()
        {
            continue;
        }
        let body = analyze(
            context.facts,
            context.project,
            context.module_name,
            &context.options.blocking_calls,
            function,
        );
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
    let arguments = inner.trim_start();
    let with_arguments = |head: &str| {
        if arguments.trim().is_empty() {
            head.to_string()
        } else {
            format!("{head}, {arguments}")
        }
    };
    let importer = context.importer();
    let mut edits: Vec<Edit> = Vec::new();
    let text = if site.is_sleep {
        let (asyncio, edit) = importer.import_module("asyncio");
        edits.extend(edit);
        format!("await {asyncio}.sleep({inner})")
    } else {
        match context.options.executor_style {
            ExecutorStyle::RunInExecutor => {
                let (asyncio, edit) = importer.import_module("asyncio");
                edits.extend(edit);
                let imported = importer.import(&[Symbol::new("functools", "partial")]);
                edits.extend(imported.edits);
                let partial = &imported.references[0];
                format!(
                    "await {asyncio}.get_running_loop().run_in_executor(None, {partial}({}))",
                    with_arguments(callee)
                )
            }
            ExecutorStyle::ToThread => {
                let (asyncio, edit) = importer.import_module("asyncio");
                edits.extend(edit);
                format!("await {asyncio}.to_thread({})", with_arguments(callee))
            }
            ExecutorStyle::Threadpool => {
                let imported =
                    importer.import(&[Symbol::new("fastapi.concurrency", "run_in_threadpool")]);
                edits.extend(imported.edits);
                format!(
                    "await {}({})",
                    imported.references[0],
                    with_arguments(callee)
                )
            }
        }
    };
    let text = if site.needs_parentheses {
        format!("({text})")
    } else {
        text
    };
    edits.push(Edit::replacement(text, call.range()));
    Fix::new(
        format!("move `{}` off the event loop", site.what),
        edits,
        Safety::Safe,
    )
}
