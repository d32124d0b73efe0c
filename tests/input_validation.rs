//! A real FastAPI app driven with TestClient before and after
//! `apply --unsafe --select pydantic-field-types`: every valid request gets
//! the same answer, while an invalid e-mail address, a short password and a
//! URL that is not http(s) are now rejected with 422 naming the field, and
//! a login with an address `EmailStr` would refuse still gets through.
//!
//! It needs Python with `fastapi`, `httpx` and `email-validator`; see
//! `common::python_with_fastapi`.

mod common;

use std::path::Path;

/// Sends each request (`METHOD URL JSON`) and prints the status and body.
const PROBE: &str = r#"
import importlib
import json
import sys

from fastapi.testclient import TestClient

sys.path.insert(0, sys.argv[1])
app = importlib.import_module("app.main").app
client = TestClient(app, raise_server_exceptions=False)
for line in sys.argv[2].splitlines():
    method, url, body = line.split(" ", 2)
    response = client.request(method, url, json=json.loads(body))
    print(method, url, response.status_code, response.content.decode())
"#;

const VALID: &[&str] = &[
    r#"POST /users {"email": "ann@example.com", "password": "correct horse"}"#,
    r#"POST /users {"email": "bob@example.org", "full_name": "Bob", "password": "12345678"}"#,
    r#"PATCH /users/3 {"email": "ann@example.com"}"#,
    r#"PATCH /users/3 {}"#,
    r#"POST /login {"email": "not-an-address", "password": "x"}"#,
    r#"POST /items {"title": "t", "url": "https://example.com", "owner": {"contact_email": "o@example.com"}}"#,
    r#"POST /items {"title": "t", "url": "http://example.com/a?b=c", "owner": {"contact_email": "o@example.com", "website": "https://o.example"}}"#,
];

/// Requests the rewrite rejects, and the field each one's 422 names.
const INVALID: &[(&str, &str)] = &[
    (
        r#"POST /users {"email": "not-an-address", "password": "correct horse"}"#,
        "email",
    ),
    (
        r#"POST /users {"email": "ann@example.com", "password": "short"}"#,
        "password",
    ),
    (r#"PATCH /users/3 {"password": "1234567"}"#, "password"),
    (
        r#"POST /items {"title": "t", "url": "javascript:alert(1)", "owner": {"contact_email": "o@example.com"}}"#,
        "url",
    ),
    (
        r#"POST /items {"title": "t", "url": "https://example.com", "owner": {"contact_email": "nobody"}}"#,
        "contact_email",
    ),
];

fn probe(python: &Path, directory: &Path, requests: &[&str]) -> Vec<String> {
    common::run_script(
        python,
        directory,
        PROBE,
        &[directory.as_os_str(), requests.join("\n").as_ref()],
    )
    .lines()
    .map(str::to_string)
    .collect()
}

#[test]
fn invalid_input_is_rejected_and_valid_input_answered_the_same() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    common::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/pydantic-field-types/layered_shared_base"),
        directory.path(),
    );
    let invalid: Vec<&str> = INVALID.iter().map(|(request, _)| *request).collect();
    let valid_before = probe(&python, directory.path(), VALID);
    let invalid_before = probe(&python, directory.path(), &invalid);
    for answer in valid_before.iter().chain(&invalid_before) {
        assert!(answer.contains(" 200 "), "accepted before: {answer}");
    }

    common::apply_to(
        directory.path(),
        &["--unsafe", "--select", "pydantic-field-types"],
        ".",
    );
    let pyproject = std::fs::read_to_string(directory.path().join("pyproject.toml")).unwrap();
    assert!(pyproject.contains("\"email-validator>=2\","), "{pyproject}");

    assert_eq!(
        probe(&python, directory.path(), VALID),
        valid_before,
        "valid requests are answered differently"
    );
    let invalid_after = probe(&python, directory.path(), &invalid);
    for ((request, field), answer) in INVALID.iter().zip(&invalid_after) {
        assert!(answer.contains(" 422 "), "{request} is accepted: {answer}");
        assert!(
            answer.contains(&format!("\"{field}\"]")),
            "{request}: the error names another field: {answer}"
        );
    }
}
