//! Real FastAPI apps driven with TestClient before and after `apply`.
//! For `domain-exceptions`, one app in a domain layout and one layered:
//! every error response (status, headers, body) and the OpenAPI schema
//! are byte-identical, while the raises now name their classes. For `hide-internal-errors`, an app
//! whose handler and route send a password-bearing exception text: after
//! `apply --unsafe` no client sees it, and the log holds the tracebacks.
//!
//! It needs Python with `fastapi` and `httpx`; see
//! `common::python_with_fastapi`.

mod common;

use std::path::Path;

/// Requests every route of both fixture apps makes on the errors they
/// raise, and prints each response's status, headers and body.
const PROBE: &str = r#"
import importlib
import json
import sys

from fastapi.testclient import TestClient

sys.path.insert(0, sys.argv[1])
app = importlib.import_module(sys.argv[2]).app
client = TestClient(app, raise_server_exceptions=False)
requests = [line.split(" ", 1) for line in sys.argv[3].splitlines()]
for method, url in requests:
    response = client.request(method, url)
    headers = sorted(
        (name, value) for name, value in response.headers.items() if name != "date"
    )
    print(method, url, response.status_code, headers, response.content)
schema = client.get("/openapi.json")
print("openapi", schema.status_code, json.dumps(schema.json(), sort_keys=True))
"#;

fn probe(python: &Path, directory: &Path, module: &str, requests: &str) -> String {
    common::run_script(
        python,
        directory,
        PROBE,
        &[directory.as_os_str(), module.as_ref(), requests.as_ref()],
    )
}

fn copy_fixture(name: &str, to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/domain-exceptions")
        .join(name);
    let mut stack = vec![from.clone()];
    while let Some(directory) = stack.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.strip_prefix(&from).unwrap());
            if path.is_dir() {
                std::fs::create_dir_all(&target).unwrap();
                stack.push(path);
            } else {
                std::fs::write(&target, std::fs::read(&path).unwrap()).unwrap();
            }
        }
    }
}

fn same_responses(fixture: &str, root: &str, module: &str, requests: &str, created: &str) {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    copy_fixture(fixture, directory.path());
    let before = probe(&python, directory.path(), module, requests);
    assert!(
        !directory.path().join(created).exists(),
        "{created} exists before apply"
    );
    common::apply_to(directory.path(), &["--select", "domain-exceptions"], root);
    assert!(
        directory.path().join(created).exists(),
        "apply creates {created}"
    );
    let after = probe(&python, directory.path(), module, requests);
    assert_eq!(before, after, "the error responses changed");
    // Every request was answered with an error, so the test saw them.
    assert_eq!(
        before
            .lines()
            .filter(|line| !line.starts_with("openapi") && line.contains(" 4"))
            .count(),
        requests.lines().count()
    );
    assert!(before.contains("openapi 200 {"), "{before}");
}

#[test]
fn a_domain_layout_sends_the_same_errors_after_apply() {
    same_responses(
        "domain_layout",
        "src",
        "src.main",
        "GET /posts/7\nPUT /posts/101?user=ann\nPUT /posts/1?user=bob\nPOST /auth/token?username=bob&password=x\nPOST /auth/token?username=ann&password=x",
        "src/posts/exceptions.py",
    );
}

#[test]
fn a_layered_app_sends_the_same_errors_after_apply() {
    same_responses(
        "layered_app",
        "app",
        "app.main",
        "GET /users/11?token=ann\nGET /users/1?token=root\nGET /users/1\nGET /users/1?token=guest\nPOST /users/?email=x\nGET /items/0\nGET /items/1\nGET /items/2",
        "app/exceptions.py",
    );
}

/// An app whose handler and route send a connection error's text, which
/// holds a password.
const LEAKING_APP: &str = r#"
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse

app = FastAPI()


def connect():
    raise ConnectionError("could not connect to postgres://admin:hunter2@10.0.3.7/prod")


@app.exception_handler(ConnectionError)
async def on_connection_error(request, exc):
    return JSONResponse(
        status_code=503, content={"detail": str(exc), "type": type(exc).__name__}
    )


@app.get("/handled")
def handled():
    connect()


@app.get("/route")
def route():
    try:
        connect()
    except ConnectionError as e:
        raise HTTPException(status_code=500, detail=f"database error: {e}")
"#;

/// Calls both routes with logging to stderr; prints each response.
const LEAK_PROBE: &str = r#"
import logging
import sys

from fastapi.testclient import TestClient

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
sys.path.insert(0, sys.argv[1])
from app.main import app

client = TestClient(app, raise_server_exceptions=False)
for url in ["/handled", "/route"]:
    response = client.get(url)
    print(url, response.status_code, response.content)
"#;

#[test]
fn no_exception_text_reaches_clients_after_apply_and_the_log_has_it() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    let app = directory.path().join("src/app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("__init__.py"), "").unwrap();
    std::fs::write(app.join("main.py"), LEAKING_APP).unwrap();
    let run = || {
        let path = directory.path().join("probe.py");
        std::fs::write(&path, LEAK_PROBE).unwrap();
        let output = std::process::Command::new(&python)
            .arg(&path)
            .arg(directory.path().join("src"))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        (
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (before, _) = run();
    assert_eq!(before.matches("hunter2").count(), 2, "{before}");
    common::apply_to_src(
        directory.path(),
        &["--select", "hide-internal-errors", "--unsafe"],
    );
    let (after, log) = run();
    assert_eq!(
        after,
        "/handled 503 b'{\"detail\":\"Internal server error\"}'\n\
         /route 500 b'{\"detail\":\"Internal server error\"}'\n"
    );
    assert_eq!(log.matches("Traceback").count(), 2, "{log}");
    assert!(log.matches("hunter2").count() >= 2, "{log}");
}
