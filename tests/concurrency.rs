//! A real FastAPI app, before and after `apply`: two concurrent requests to
//! a route that blocks no longer serialise. The test measures whether the
//! two handlers' running intervals overlap, not wall time against a limit.
//!
//! It needs Python with `fastapi` and `httpx`; it makes that environment
//! itself once, under cargo's target directory, from the package registry (or uses the
//! interpreter named by `FASTAPI_CODEMOD_PYTHON`).

mod common;

const APP: &str = r#"
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/report")
async def report():
    started = time.monotonic()
    time.sleep(0.4)
    return {"started": started, "ended": time.monotonic()}


@app.get("/rates")
async def rates():
    started = time.monotonic()
    await app.state.ready()
    time.sleep(0.4)
    return {"started": started, "ended": time.monotonic()}
"#;

/// Fires two requests at each route at once, in one event loop, and prints
/// whether their handlers overlapped.
const PROBE: &str = r#"
import asyncio
import sys

import httpx

sys.path.insert(0, sys.argv[1])
from app import app


async def noop():
    return None


app.state.ready = noop


async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for path in ("/report", "/rates"):
            first, second = await asyncio.gather(client.get(path), client.get(path))
            a, b = first.json(), second.json()
            overlap = a["started"] < b["ended"] and b["started"] < a["ended"]
            print(path, "overlap" if overlap else "serial")


asyncio.run(main())
"#;

#[test]
fn blocking_routes_stop_serialising_after_apply() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(directory.path().join("src")).unwrap();
    std::fs::write(directory.path().join("src/app.py"), APP).unwrap();

    assert_eq!(
        common::run_probe(&python, directory.path(), PROBE),
        "/report serial\n/rates serial\n"
    );

    common::apply_to_src(directory.path(), &[]);
    let rewritten = std::fs::read_to_string(directory.path().join("src/app.py")).unwrap();
    // One route never awaits: it becomes `def`. The other awaits: its sleep moves off the loop.
    assert!(rewritten.contains("\ndef report():"), "{rewritten}");
    assert!(
        rewritten.contains("await asyncio.sleep(0.4)"),
        "{rewritten}"
    );

    assert_eq!(
        common::run_probe(&python, directory.path(), PROBE),
        "/report overlap\n/rates overlap\n"
    );
}
