//! `api-version-prefix` on a real FastAPI app with its own test suite:
//! after `apply --select api-version-prefix`, every path of
//! `app.openapi()` is the old one under `/api/v1` (but the route declared
//! on the app itself), the suite (which follows through its strings, the
//! redirect and the OAuth2 `tokenUrl`) passes as it did before, and a
//! second run changes nothing.
//!
//! It needs Python with `fastapi`, `httpx` and `pytest`; see
//! `common::python_with_fastapi`.

mod common;

use std::path::Path;

/// Prints the app's OpenAPI paths and the docs' token URL, one per line.
const OPENAPI: &str = r#"
import sys

sys.path.insert(0, sys.argv[1])
from app.main import app

schema = app.openapi()
for path in sorted(schema["paths"]):
    print(path)
print("token", schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"])
"#;

#[test]
fn routers_move_under_a_version_and_the_tests_follow() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    common::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api-version-prefix/module_app"),
        directory.path(),
    );
    let paths = |directory: &Path| -> Vec<String> {
        common::run_script(&python, directory, OPENAPI, &[directory.as_os_str()])
            .lines()
            .map(str::to_string)
            .collect()
    };
    let before = paths(directory.path());
    let passed_before = common::pytest_summary(&python, directory.path());
    assert!(passed_before.contains("7 passed"), "{passed_before}");

    common::apply_to(directory.path(), &["--select", "api-version-prefix"], ".");
    std::fs::remove_file(directory.path().join("probe.py")).unwrap();

    let expected: Vec<String> = {
        let mut expected: Vec<String> = before
            .iter()
            .map(|line| match line.strip_prefix("token ") {
                Some(url) => format!("token api/v1/{url}"),
                None if line == "/health" => line.clone(),
                None => format!("/api/v1{line}"),
            })
            .collect();
        expected.sort();
        expected
    };
    let mut after = paths(directory.path());
    after.sort();
    assert_eq!(after, expected);
    assert!(
        before.iter().any(|line| line == "/users/{user_id}"),
        "{before:?}"
    );
    assert_eq!(
        common::pytest_summary(&python, directory.path()),
        passed_before
    );

    std::fs::remove_file(directory.path().join("probe.py")).unwrap();
    common::diff_is_empty(directory.path(), &["--select", "api-version-prefix"], ".");
}

#[test]
fn a_domain_layout_registering_its_routers_in_a_function_passes_its_tests_after_apply() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    common::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/api-version-prefix/domain_layout"),
        directory.path(),
    );
    let passed_before = common::pytest_summary(&python, directory.path());
    assert!(passed_before.starts_with("1 passed"), "{passed_before}");
    common::apply_to(directory.path(), &["--select", "api-version-prefix"], ".");
    let test = std::fs::read_to_string(directory.path().join("tests/test_posts.py")).unwrap();
    assert!(test.contains("\"/api/v1/auth/me/posts\""), "{test}");
    assert_eq!(
        common::pytest_summary(&python, directory.path()),
        passed_before
    );
}
