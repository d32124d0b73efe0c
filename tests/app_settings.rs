//! A real FastAPI app driven with TestClient before and after
//! `apply --unsafe` (every transform): its JWT signing key and a settings
//! default are hard-coded, its settings factory builds `Settings()` on
//! every call, and its CORS middleware allows credentials from any origin.
//! After `apply`, the app logs in with tokens signed by the moved key, read
//! from `.env` (tokens signed before still verify), the factory returns one
//! cached object, a preflight from an origin nobody listed gets no
//! `access-control-allow-origin`, and an origin listed in `CORS_ORIGINS`
//! gets one. No secret is left in a Python file.
//!
//! It needs Python with `fastapi`, `pydantic-settings`, `pyjwt` and
//! `httpx`; see `common::python_with_fastapi`.

mod common;

use std::path::Path;
use std::process::Command;

const SIGNING_KEY: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const SETTINGS_SECRET: &str = "k3y-f0r-w3bh00ks-9d8c7b6a";

fn app_files() -> Vec<(&'static str, String)> {
    vec![
        ("pyproject.toml", "[project]\nname = \"notes\"\ndependencies = [\n    \"fastapi\",\n    \"pydantic-settings\",\n    \"pyjwt\",\n]\n".to_string()),
        ("app/__init__.py", String::new()),
        (
            "app/config.py",
            format!(
                "from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n    app_name: str = \"notes\"\n    webhook_secret: str = \"{SETTINGS_SECRET}\"\n\n\ndef get_settings():\n    return Settings()\n"
            ),
        ),
        (
            "app/security.py",
            format!(
                "import jwt\n\nSECRET_KEY = \"{SIGNING_KEY}\"  # signs every session\nALGORITHM = \"HS256\"\nTOKEN_TYPE = \"bearer\"\n\n\ndef create_token(subject: str) -> str:\n    return jwt.encode({{\"sub\": subject}}, SECRET_KEY, algorithm=ALGORITHM)\n\n\ndef read_token(token: str) -> str:\n    return jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])[\"sub\"]\n"
            ),
        ),
        (
            "app/main.py",
            "\
from typing import Annotated

from fastapi import Depends, FastAPI, Header
from fastapi.middleware.cors import CORSMiddleware

from app.config import Settings, get_settings
from app.security import TOKEN_TYPE, create_token, read_token

app = FastAPI()
app.add_middleware(
    CORSMiddleware,
    allow_origins=[\"*\"],
    allow_credentials=True,
    allow_methods=[\"*\"],
    allow_headers=[\"*\"],
)


@app.post(\"/login\")
def login(username: str):
    return {\"access_token\": create_token(username), \"token_type\": TOKEN_TYPE}


@app.get(\"/me\")
def me(authorization: Annotated[str, Header()]):
    return {\"user\": read_token(authorization.removeprefix(\"Bearer \"))}


@app.get(\"/info\")
def info(settings: Annotated[Settings, Depends(get_settings)]):
    return {\"name\": settings.app_name, \"webhooks\": len(settings.webhook_secret)}
"
            .to_string(),
        ),
    ]
}

/// Logs in, reads `/me` with the new token and with `argv[1]` (a token
/// made before `apply`, or empty), asks whether the factory caches, and
/// sends preflights from two origins. Prints one line per fact.
const PROBE: &str = r#"
import sys

from fastapi.testclient import TestClient

from app.config import get_settings
from app.main import app

client = TestClient(app)
token = client.post("/login", params={"username": "ada"}).json()["access_token"]
print("token", token)
print("me", client.get("/me", headers={"Authorization": f"Bearer {token}"}).json())
if sys.argv[1]:
    earlier = client.get("/me", headers={"Authorization": f"Bearer {sys.argv[1]}"})
    print("earlier token", earlier.status_code, earlier.json())
print("info", client.get("/info").json())
print("cached", get_settings() is get_settings())
for origin in ["https://evil.example", "https://app.example.com"]:
    response = client.options(
        "/me",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    print("preflight", origin, response.headers.get("access-control-allow-origin"))
"#;

/// Runs the probe in `directory` (where `.env` is read from) with the
/// extra environment given.
fn probe(python: &Path, directory: &Path, earlier: &str, environment: &[(&str, &str)]) -> String {
    std::fs::write(directory.join("probe.py"), PROBE).unwrap();
    let output = Command::new(python)
        .current_dir(directory)
        .arg("probe.py")
        .arg(earlier)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("CORS_ORIGINS")
        .envs(environment.iter().copied())
        .output()
        .expect("the probe runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::remove_file(directory.join("probe.py")).unwrap();
    String::from_utf8(output.stdout).unwrap()
}

fn line<'o>(output: &'o str, key: &str) -> &'o str {
    output
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .unwrap_or_else(|| panic!("no `{key}` in:\n{output}"))
        .trim()
}

#[test]
fn the_app_runs_from_env_with_one_cached_settings_object_and_no_open_cors() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    for (name, contents) in app_files() {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    let before = probe(&python, root, "", &[]);
    assert_eq!(line(&before, "me"), "{'user': 'ada'}", "{before}");
    assert_eq!(line(&before, "cached"), "False", "{before}");
    // Any website is answered, with credentials.
    assert_eq!(
        line(&before, "preflight https://evil.example"),
        "https://evil.example",
        "{before}"
    );
    let token = line(&before, "token").to_string();

    common::apply_to(root, &["--unsafe"], ".");

    for (name, _) in app_files() {
        let text = std::fs::read_to_string(root.join(name)).unwrap();
        assert!(
            !text.contains(SIGNING_KEY) && !text.contains(SETTINGS_SECRET),
            "{name} still holds a secret:\n{text}"
        );
    }
    let env = std::fs::read_to_string(root.join(".env")).unwrap();
    assert!(
        env.contains(&format!("SECRET_KEY={SIGNING_KEY}"))
            && env.contains(&format!("WEBHOOK_SECRET={SETTINGS_SECRET}")),
        "{env}"
    );
    let example = std::fs::read_to_string(root.join(".env.example")).unwrap();
    assert!(
        example.contains("SECRET_KEY=\n") && example.contains("CORS_ORIGINS=[]\n"),
        "{example}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join(".gitignore")).unwrap(),
        ".env\n"
    );

    let after = probe(&python, root, &token, &[]);
    assert_eq!(line(&after, "me"), "{'user': 'ada'}", "{after}");
    assert_eq!(
        line(&after, "earlier token"),
        "200 {'user': 'ada'}",
        "tokens signed before still verify: {after}"
    );
    assert_eq!(
        line(&after, "info"),
        format!("{{'name': 'notes', 'webhooks': {}}}", SETTINGS_SECRET.len()),
        "{after}"
    );
    assert_eq!(line(&after, "cached"), "True", "{after}");
    assert_eq!(
        line(&after, "preflight https://evil.example"),
        "None",
        "{after}"
    );
    assert_eq!(
        line(&after, "preflight https://app.example.com"),
        "None",
        "{after}"
    );

    let listed = probe(
        &python,
        root,
        &token,
        &[("CORS_ORIGINS", "[\"https://app.example.com\"]")],
    );
    assert_eq!(
        line(&listed, "preflight https://app.example.com"),
        "https://app.example.com",
        "{listed}"
    );
    assert_eq!(
        line(&listed, "preflight https://evil.example"),
        "None",
        "{listed}"
    );

    // Without its environment the app does not start, and says why.
    std::fs::remove_file(root.join(".env")).unwrap();
    let output = Command::new(&python)
        .current_dir(root)
        .args(["-c", "import app.main"])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success()
            && stderr.contains("SECRET_KEY")
            && stderr.contains("Field required"),
        "{stderr}"
    );
}
