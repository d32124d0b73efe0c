//! Real FastAPI apps and test suites before and after the transforms that
//! move route code into dependencies and services.
//!
//! - `resource-dependencies`: the layered fixture app, driven with
//!   TestClient, answers every request (found, missing, invalid id, the
//!   update) and serves the OpenAPI schema byte for byte as before, while
//!   its routes now take `valid_item_id`.
//! - `dependency-overrides`: the fixture's own pytest suite, whose patches
//!   of a dependency did nothing, now runs those tests with the fake; its
//!   module-level overrides are undone after each test.
//! - `service-layer`: the layered shop answers every request (creations,
//!   a duplicate that fails in the database, listings, a restock) the same,
//!   its work now in `services/products.py`.
//!
//! - every transform at once (`apply --unsafe`): the articles app, whose
//!   new dependencies take the aliases `dependency-aliases` defines, answers
//!   every request as before, and a second run changes nothing.
//!
//! It needs Python with `fastapi`, `sqlalchemy`, `pytest` and
//! `pytest-mock`; see `common::python_with_fastapi`.

mod common;

use std::path::Path;

const PROBE: &str = r#"
import json
import sys

from fastapi.testclient import TestClient

sys.path.insert(0, sys.argv[1])
from app.main import app

client = TestClient(app, raise_server_exceptions=False)
for method, url in [
    ("GET", "/items/1"),
    ("GET", "/items/1?q=x"),
    ("GET", "/items/999"),
    ("GET", "/items/abc"),
    ("PATCH", "/items/1?name=ink"),
    ("GET", "/items/1"),
    ("PATCH", "/items/999?name=ink"),
    ("PATCH", "/items/abc"),
    ("GET", "/items/1/limited"),
    ("PATCH", "/items/999"),
    ("DELETE", "/items/999?reason=old"),
    ("DELETE", "/items/abc?reason=old"),
    ("DELETE", "/items/1?reason=done"),
    ("GET", "/items/1"),
    # A missing item and a missing query parameter: the documented change.
    ("DELETE", "/items/999"),
]:
    response = client.request(method, url)
    print(method, url, response.status_code, response.content)
print(json.dumps(client.get("/openapi.json").json(), sort_keys=True))
"#;

/// Pyflakes finds nothing the run added, and a second run of `select`
/// (every transform when empty) changes nothing.
fn clean_and_settled(
    python: &Path,
    directory: &Path,
    flakes_before: &common::Diagnostics,
    select: &str,
) {
    let mut arguments = vec!["--unsafe"];
    if !select.is_empty() {
        arguments.extend(["--select", select]);
    }
    let flakes_after = common::pyflakes(python, directory);
    for (key, count) in &flakes_after {
        assert!(
            flakes_before.get(key).is_some_and(|before| before >= count),
            "new {key:?}"
        );
    }
    common::diff_is_empty(directory, &arguments, ".");
}

fn fixture(transform: &str, name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(transform)
        .join(name)
}

#[test]
fn guards_become_dependencies_and_every_response_stays() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    common::copy_tree(
        &fixture("resource-dependencies", "layered_items"),
        directory.path(),
    );
    let before = common::run_script(
        &python,
        directory.path(),
        PROBE,
        &[directory.path().as_os_str()],
    );
    let flakes_before = common::pyflakes(&python, directory.path());
    common::apply_to(
        directory.path(),
        &["--unsafe", "--select", "resource-dependencies"],
        ".",
    );
    let router = std::fs::read_to_string(directory.path().join("app/routers/items.py")).unwrap();
    assert!(router.contains("Depends(valid_item_id)"), "{router}");
    assert!(!router.contains("if not item:\r\n        raise HTTPException(status_code=404, detail=\"Item not found\")\r\n    return {\"name\""), "{router}");
    let deps = std::fs::read_to_string(directory.path().join("app/deps.py")).unwrap();
    assert!(
        deps.contains("def valid_item_id(item_id: int, db: Session = Depends(get_db))"),
        "{deps}"
    );
    let after = common::run_script(
        &python,
        directory.path(),
        PROBE,
        &[directory.path().as_os_str()],
    );
    // `rename_item` reads `item_id` after its guard, so it keeps both.
    assert!(
        router.contains("def rename_item(\r\n    name: str,\r\n    item_id: int,\r\n    db"),
        "{router}"
    );
    let documented = "DELETE /items/999 ";
    let unchanged = |probe: &str| -> String {
        probe
            .lines()
            .filter(|line| !line.starts_with(documented))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(unchanged(&before), unchanged(&after));
    let status = |probe: &str| {
        probe
            .lines()
            .find(|line| line.starts_with(documented))
            .map(|line| line.split(' ').nth(2).unwrap().to_string())
    };
    assert_eq!(status(&before).as_deref(), Some("422"));
    assert_eq!(
        status(&after).as_deref(),
        Some("404"),
        "the dependency runs before the route's own parameters are validated"
    );
    clean_and_settled(
        &python,
        directory.path(),
        &flakes_before,
        "resource-dependencies",
    );
}

/// Each test's outcome, `tests/test_me.py::name PASSED`, from `pytest -rA`.
fn outcomes(python: &Path, directory: &Path) -> Vec<String> {
    let output = std::process::Command::new(python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-rA",
            "-p",
            "no:cacheprovider",
            "tests",
        ])
        .current_dir(directory)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("pytest runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut found: Vec<String> = stdout
        .lines()
        .filter_map(|line| {
            let (status, rest) = line.split_once(' ')?;
            matches!(status, "PASSED" | "FAILED" | "ERROR")
                .then(|| format!("{} {status}", rest.split(" - ").next().unwrap_or(rest)))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn patched_dependencies_become_overrides_the_routes_see() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    common::copy_tree(
        &fixture("dependency-overrides", "pytest_suite"),
        directory.path(),
    );
    let before = outcomes(&python, directory.path());
    let flakes_before = common::pyflakes(&python, directory.path());
    common::apply_to(
        directory.path(),
        &["--unsafe", "--select", "dependency-overrides"],
        ".",
    );
    let after = outcomes(&python, directory.path());
    let test = |name: &str, status: &str| format!("tests/test_me.py::{name} {status}");
    // The patches did nothing: the tests ran the leaked override instead.
    for name in ["test_me_with_mocker", "test_me_with_monkeypatch"] {
        assert!(before.contains(&test(name, "FAILED")), "{before:?}");
        assert!(after.contains(&test(name, "PASSED")), "{after:?}");
    }
    // What it leaves (a comment inside the patch) fails as before; the rest passes as before.
    assert!(
        after.contains(&test("test_me_with_patch", "FAILED")),
        "{after:?}"
    );
    for name in [
        "test_mock_used",
        "test_decorated",
        "test_not_a_dependency",
        "test_override_in_test",
    ] {
        assert!(before.contains(&test(name, "PASSED")), "{before:?}");
        assert!(after.contains(&test(name, "PASSED")), "{after:?}");
    }
    clean_and_settled(
        &python,
        directory.path(),
        &flakes_before,
        "dependency-overrides",
    );
}

const SHOP_PROBE: &str = r#"
import json
import sys

from fastapi.testclient import TestClient

sys.path.insert(0, sys.argv[1])
from shop.main import app

client = TestClient(app, raise_server_exceptions=False)
for method, url, body in [
    ("POST", "/products", {"name": "pen", "stock": 3}),
    ("POST", "/products", {"name": "ink"}),
    ("POST", "/products", {"name": "  "}),
    ("POST", "/products", {"stock": 1}),
    ("POST", "/products", {"name": "pen"}),
    ("GET", "/products?min_stock=1", None),
    ("POST", "/products/restock?amount=2", None),
    ("GET", "/products", None),
    ("GET", "/products/export", None),
]:
    response = client.request(method, url, json=body)
    print(method, url, response.status_code, response.content, response.headers.get("x-count"))
print(json.dumps(client.get("/openapi.json").json(), sort_keys=True))
"#;

#[test]
fn route_work_moves_into_a_service_and_every_response_stays() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    common::copy_tree(&fixture("service-layer", "layered_shop"), directory.path());
    let probe = |directory: &Path| {
        common::run_script(&python, directory, SHOP_PROBE, &[directory.as_os_str()])
    };
    let before = probe(directory.path());
    let flakes_before = common::pyflakes(&python, directory.path());
    common::apply_to(
        directory.path(),
        &["--unsafe", "--select", "service-layer"],
        ".",
    );
    let service =
        std::fs::read_to_string(directory.path().join("shop/services/products.py")).unwrap();
    assert!(
        service.contains("def add_product(product: ProductIn, db: Session):"),
        "{service}"
    );
    let router =
        std::fs::read_to_string(directory.path().join("shop/routers/products.py")).unwrap();
    assert!(
        router.contains("return products_service.add_product(product=product, db=db)"),
        "{router}"
    );
    // The same responses, the same database effects (a duplicate name fails as before).
    assert_eq!(before, probe(directory.path()));
    clean_and_settled(&python, directory.path(), &flakes_before, "service-layer");
}

const ARTICLES_PROBE: &str = r#"
import json
import sys

from fastapi.testclient import TestClient

sys.path.insert(0, sys.argv[1])
from app.main import app

client = TestClient(app, raise_server_exceptions=False)
for method, url, body in [
    ("GET", "/articles/1", None),
    ("GET", "/articles/999", None),
    ("GET", "/articles/0", None),
    ("GET", "/articles/abc", None),
    ("PUT", "/articles/2", {"title": "Stolen"}),
    ("PUT", "/articles/999", {"title": "Nowhere"}),
    ("PUT", "/articles/1", {"name": "no title"}),
    ("PUT", "/articles/1", {"title": "Renamed"}),
    ("GET", "/articles/1", None),
    ("POST", "/articles/1/publish", None),
    ("POST", "/articles/999/publish", None),
    ("POST", "/articles/0/star", None),
    ("POST", "/articles/2/star", None),
    ("DELETE", "/articles/2", None),
    ("DELETE", "/articles/999", None),
    ("DELETE", "/articles/1", None),
    ("GET", "/articles/1", None),
    ("GET", "/comments/1", None),
    ("GET", "/comments/1/link", None),
    ("GET", "/comments/9", None),
]:
    response = client.request(method, url, json=body)
    print(method, url, response.status_code, response.content)
print(json.dumps(client.get("/openapi.json").json(), sort_keys=True))
"#;

#[test]
fn with_every_transform_the_new_dependencies_take_aliases_and_every_response_stays() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    common::copy_tree(
        &fixture("resource-dependencies", "with_aliases"),
        directory.path(),
    );
    let probe = |directory: &Path| {
        common::run_script(&python, directory, ARTICLES_PROBE, &[directory.as_os_str()])
    };
    let before = probe(directory.path());
    let flakes_before = common::pyflakes(&python, directory.path());
    common::apply_to(directory.path(), &["--unsafe"], ".");
    let dependencies =
        std::fs::read_to_string(directory.path().join("app/articles/dependencies.py")).unwrap();
    for expected in [
        "    db: SessionDep,\n",
        "ValidArticleId = Annotated[Article, Depends(valid_article_id)]",
        "def valid_owned_article(\n    article: ValidArticleId,\n    user: CurrentUser,\n)",
        "ValidOwnedArticle = Annotated[Article, Depends(valid_owned_article)]",
    ] {
        assert!(
            dependencies.contains(expected),
            "{expected}\n{dependencies}"
        );
    }
    let router = std::fs::read_to_string(directory.path().join("app/articles/router.py")).unwrap();
    assert!(
        router.contains("    article: ValidOwnedArticle,\n"),
        "{router}"
    );
    assert_eq!(before, probe(directory.path()));
    clean_and_settled(&python, directory.path(), &flakes_before, "");
}
