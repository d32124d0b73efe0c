//! The language server's latency as an editor sees it: on a copy of a real
//! project with a generated 1,000-line router added to it, the time from
//! sending `didChange` to reading the router's `publishDiagnostics`, over
//! edits of two kinds: inside a route's body (the index learns nothing
//! new) and to a route's signature (the module is summarized again, the
//! index mended and the plans made again). A bare parse of the router, in
//! this process, is the floor.
//!
//! Edits come 150 ms apart, as a quick typist's do: the server makes the
//! plans again in such a pause, after it has published (its log says how
//! long that took, and that is reported too).
//!
//! Then code actions are listed and resolved, and the projects indexed
//! again after a file is created on disk, with typing timed during both.
//!
//! `cargo bench --bench server_latency -- PROJECT_DIR [EDITS]`; with
//! `SERVER_BINARY=PATH`, another build is measured (each resolved edit is
//! printed with a digest, to compare builds by).
//! (the release binary; PROJECT_DIR is copied, never changed).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_fastapi-codemod");

/// The time between two edits.
const PAUSE: Duration = Duration::from_millis(150);

fn main() {
    let mut arguments = std::env::args()
        .skip(1)
        .filter(|argument| argument != "--bench");
    let Some(project) = arguments.next() else {
        eprintln!("usage: cargo bench --bench server_latency -- PROJECT_DIR [EDITS]");
        std::process::exit(2);
    };
    let edits: usize = arguments
        .next()
        .map_or(20, |count| count.parse().expect("a number of edits"));
    let copy = tempfile::tempdir().unwrap();
    let root = copy.path().canonicalize().unwrap().join("project");
    copy_dir(Path::new(&project), &root);
    let package = root.join("latency_bench");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(package.join("__init__.py"), "").unwrap();
    std::fs::write(package.join("deps.py"), DEPENDENCIES).unwrap();
    let router_text = router(1000);
    let router_path = package.join("router.py");
    std::fs::write(&router_path, &router_text).unwrap();
    let files = count_python(&root);
    println!(
        "project: {project} ({files} Python files with the router), router: {} lines",
        router_text.lines().count()
    );

    let mut server = Server::start(&root);
    let started = Instant::now();
    server.wait(|message| {
        message["method"] == "$/progress" && message["params"]["value"]["kind"] == "end"
    });
    println!(
        "index built in the background: {} ms",
        started.elapsed().as_millis()
    );
    let uri = uri(&router_path);
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "python", "version": 1, "text": router_text } }),
    );
    let diagnostics = server.diagnostics(&uri, 1);
    println!("findings in the router: {}", diagnostics.len());

    let floor = parse_time(&router_text);
    let mut text = router_text.clone();
    let mut version = 1;
    for (kind, edit) in [
        ("body", body_edit as fn(&str, usize) -> Change),
        ("signature", signature_edit),
    ] {
        let mut times = Vec::new();
        for round in 0..edits {
            let change = edit(&text, round);
            let (_, served) = server.edit(&uri, &mut text, &mut version, &change);
            times.push(served);
            std::thread::sleep(PAUSE);
        }
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "didChange → publishDiagnostics, {kind} edits ({edits}): median {:.2} ms, min {:.2} ms, max {:.2} ms; {:.0}× a bare parse of the router ({:.3} ms)",
            millis(median),
            millis(times[0]),
            millis(times[times.len() - 1]),
            millis(median) / millis(floor),
            millis(floor),
        );
        let mut replans = std::mem::take(&mut server.replans);
        if !replans.is_empty() {
            replans.sort_by(f64::total_cmp);
            println!(
                "  then, in the pause, the plans made again: {} times, median {:.2} ms, max {:.2} ms",
                replans.len(),
                replans[replans.len() / 2],
                replans[replans.len() - 1]
            );
        }
    }

    // A quick fix: listing the actions at a finding, then resolving one
    // into its edit (two project runs: the fix's group, then the group).
    let diagnostics = server.diagnostics_now(&uri);
    let mut listings = Vec::new();
    let mut resolutions = Vec::new();
    // One fixable finding of each transform, up to five.
    let mut transforms_seen: Vec<&Value> = Vec::new();
    let fixable: Vec<&Value> = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic["data"].is_object())
        .filter(|diagnostic| {
            let new = !transforms_seen.contains(&&diagnostic["code"]);
            if new {
                transforms_seen.push(&diagnostic["code"]);
            }
            new
        })
        .take(5)
        .collect();
    for diagnostic in fixable {
        let sent = Instant::now();
        let actions = server.request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri },
                "range": diagnostic["range"],
                "context": { "diagnostics": [diagnostic], "only": ["quickfix"] },
            }),
        );
        listings.push(sent.elapsed());
        let Some(action) = actions["result"]
            .as_array()
            .and_then(|actions| actions.first())
        else {
            continue;
        };
        let sent = Instant::now();
        let resolved = server.request("codeAction/resolve", action.clone());
        resolutions.push(sent.elapsed());
        assert!(resolved["result"]["edit"].is_object(), "{resolved}");
        // What the edit is, to compare builds by.
        let edit = canonical(&resolved["result"]["edit"]).replace(&self::uri(&root), "PROJECT");
        println!(
            "  resolved `{}`: {} bytes of edit, digest {:016x}",
            resolved["result"]["title"].as_str().unwrap_or_default(),
            edit.len(),
            digest(&edit)
        );
    }
    // Typing goes on while a fix is resolved: the change is served first.
    let mut during = Vec::new();
    if let Some(diagnostic) = diagnostics.iter().find(|d| d["data"].is_object()) {
        let actions = server.request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri },
                "range": diagnostic["range"],
                "context": { "diagnostics": [diagnostic], "only": ["quickfix"] },
            }),
        );
        for round in 0..5 {
            let action = actions["result"][0].clone();
            let asked = server.ask("codeAction/resolve", action);
            let change = body_edit(&text, round);
            let (_, served) = server.edit(&uri, &mut text, &mut version, &change);
            during.push(served);
            server.wait(|message| message["id"] == asked && message.get("method").is_none());
        }
    }
    // Typing goes on while the projects are indexed again, as a file
    // created on disk has them: the change is served first.
    let mut during_reindex = Vec::new();
    let mut reindexes = Vec::new();
    for round in 0..5 {
        let created = package.join(format!("created_{round}.py"));
        std::fs::write(
            &created,
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
        )
        .unwrap();
        server.reindexed = None;
        let started = Instant::now();
        server.notify(
            "workspace/didChangeWatchedFiles",
            json!({ "changes": [{ "uri": self::uri(&created), "type": 1 }] }),
        );
        // Well into the indexing.
        std::thread::sleep(Duration::from_millis(50));
        let change = body_edit(&text, round);
        let (sent, served) = server.edit(&uri, &mut text, &mut version, &change);
        if server.reindexed.is_none() {
            server.wait(is_reindexed);
        }
        let reindexed = server.reindexed.expect("indexed again");
        // A change served after the indexing ended did not wait on it.
        if sent < reindexed {
            during_reindex.push(served);
        }
        reindexes.push(reindexed - started);
        std::thread::sleep(PAUSE);
    }
    for (what, mut times) in [
        (
            "didChange → publishDiagnostics while a fix is resolved",
            during,
        ),
        (
            "didChange → publishDiagnostics while the projects are indexed again",
            during_reindex,
        ),
        ("indexed again after a file is created on disk", reindexes),
        ("codeAction (the quick fixes at a finding)", listings),
        ("codeAction/resolve (one quick fix's edit)", resolutions),
    ] {
        times.sort();
        if let (Some(first), Some(last)) = (times.first(), times.last()) {
            println!(
                "{what}, {} requests: median {:.2} ms, min {:.2} ms, max {:.2} ms",
                times.len(),
                millis(times[times.len() / 2]),
                millis(*first),
                millis(*last),
            );
        }
    }
    server.request("shutdown", Value::Null);
    server.notify("exit", Value::Null);
}

/// A JSON value as text with every object's keys in order: the edits of
/// a `changes` map come in any order.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let members: Vec<String> = keys
                .into_iter()
                .map(|key| format!("{}:{}", Value::from(key.as_str()), canonical(&map[key])))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// A hash of a text (FNV-1a), the same from one build to the next.
fn digest(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The server's log line once the projects were indexed again.
fn is_reindexed(message: &Value) -> bool {
    message["method"] == "window/logMessage"
        && message["params"]["message"]
            .as_str()
            .is_some_and(|text| text.contains("indexed again"))
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The median time of a bare parse of `text`.
fn parse_time(text: &str) -> Duration {
    let mut times: Vec<Duration> = (0..21)
        .map(|_| {
            let started = Instant::now();
            let parsed = ruff_python_parser::parse_module(text);
            std::hint::black_box(&parsed);
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// One text change: replace `start..end` (line, UTF-16 column) with `text`.
struct Change {
    start: (usize, usize),
    end: (usize, usize),
    text: String,
}

impl Change {
    fn range(&self) -> Value {
        json!({
            "start": { "line": self.start.0, "character": self.start.1 },
            "end": { "line": self.end.0, "character": self.end.1 },
        })
    }

    fn apply(&self, text: &str) -> String {
        let offset = |(line, column): (usize, usize)| -> usize {
            text.split_inclusive('\n')
                .take(line)
                .map(str::len)
                .sum::<usize>()
                + column
        };
        let mut result = text.to_string();
        result.replace_range(offset(self.start)..offset(self.end), &self.text);
        result
    }
}

/// The line and column where `needle` occurs for the `occurrence`-th time.
fn find(text: &str, needle: &str, occurrence: usize) -> (usize, usize) {
    let offset = text
        .match_indices(needle)
        .nth(occurrence)
        .map(|(offset, _)| offset)
        .unwrap_or_else(|| panic!("{needle:?} #{occurrence} in the router"));
    let line = text[..offset].matches('\n').count();
    let column = offset - text[..offset].rfind('\n').map_or(0, |newline| newline + 1);
    (line, column)
}

/// Types into a route's body: a new number in a log message.
fn body_edit(text: &str, round: usize) -> Change {
    let (line, column) = find(text, "logger.info(\"listing ", round % 15);
    let column = column + "logger.info(\"listing ".len();
    Change {
        start: (line, column),
        end: (line, column),
        text: round.to_string(),
    }
}

/// Adds a query parameter to a route's signature, or takes it out again.
fn signature_edit(text: &str, round: usize) -> Change {
    let route = round / 2 % 15;
    if round.is_multiple_of(2) {
        let (line, column) = find(text, "    limit: int = Query(20, le=100),", route);
        Change {
            start: (line, column),
            end: (line, column),
            text: format!("    tag_{round}: str = Query(None),\n"),
        }
    } else {
        let start = find(
            text,
            &format!("    tag_{}: str = Query(None),\n", round - 1),
            0,
        );
        Change {
            start,
            end: (start.0 + 1, 0),
            text: String::new(),
        }
    }
}

const DEPENDENCIES: &str = r#"from dataclasses import dataclass

from fastapi import Depends, HTTPException, status
from sqlalchemy.orm import Session


@dataclass
class User:
    id: int
    is_admin: bool


def get_db():
    session = Session()
    try:
        yield session
    finally:
        session.close()


def get_current_user(db: Session = Depends(get_db)) -> User:
    user = db.get(User, 1)
    if user is None:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Not signed in")
    return user
"#;

/// A router of about `lines` lines: resources with list, read, create and
/// delete routes, in the style the transforms rewrite.
fn router(lines: usize) -> String {
    let mut text = String::from(
        "import logging\nimport time\n\nimport requests\nfrom fastapi import APIRouter, Depends, HTTPException, Query\nfrom pydantic import BaseModel\nfrom sqlalchemy.orm import Session\n\nfrom latency_bench.deps import User, get_current_user, get_db\n\nlogger = logging.getLogger(__name__)\nrouter = APIRouter()\n",
    );
    let mut resource = 0;
    while text.lines().count() < lines {
        let name = format!("thing{resource}");
        let class = format!("Thing{resource}");
        text.push_str(&format!(
            r#"

class {class}Create(BaseModel):
    name: str
    description: str | None = None


class {class}(BaseModel):
    id: int
    name: str
    description: str | None = None


@router.get("/{name}s")
async def list_{name}s(
    q: str = Query(None, max_length=50),  # matched against the name
    limit: int = Query(20, le=100),
    db: Session = Depends(get_db),
    user: User = Depends(get_current_user),
):
    logger.info("listing {name}s for %s", user.id)
    rows = db.query({class}).filter({class}.name.contains(q or "")).limit(limit).all()
    return [{{"id": row.id, "name": row.name}} for row in rows]


@router.get("/{name}s/{{{name}_id}}")
async def read_{name}({name}_id: int, db: Session = Depends(get_db)):
    row = db.get({class}, {name}_id)
    if row is None:
        raise HTTPException(status_code=404, detail="{class} not found")
    return row


@router.post("/{name}s", status_code=201)
async def create_{name}(
    body: {class}Create,
    db: Session = Depends(get_db),
    user: User = Depends(get_current_user),
):
    if not user.is_admin:
        raise HTTPException(status_code=403, detail="Only admins may create {name}s")
    requests.post("https://audit.example/{name}", json=body.model_dump(), timeout=5)
    row = {class}(id=0, name=body.name, description=body.description)
    db.add(row)
    db.commit()
    return row


@router.delete("/{name}s/{{{name}_id}}")
def delete_{name}({name}_id: int, db: Session = Depends(get_db)):
    row = db.get({class}, {name}_id)
    if row is None:
        raise HTTPException(status_code=404, detail="{class} not found")
    time.sleep(0.01)
    db.delete(row)
    db.commit()
"#
        ));
        resource += 1;
    }
    text
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            if entry.file_name() != ".git" && entry.file_name() != "node_modules" {
                copy_dir(&entry.path(), &target);
            }
        } else if kind.is_file() {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn count_python(root: &Path) -> usize {
    let mut count = 0;
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(directory).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "py") {
                count += 1;
            }
        }
    }
    count
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display()).replace(' ', "%20")
}

struct Server {
    input: std::process::ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// How long each making of the plans again took, in ms, from the log.
    replans: Vec<f64>,
    /// When the log last said the projects were indexed again.
    reindexed: Option<Instant>,
    _child: std::process::Child,
}

impl Server {
    fn start(root: &Path) -> Server {
        // Another build (`SERVER_BINARY`), to compare its edits and times.
        let binary = std::env::var("SERVER_BINARY").unwrap_or_else(|_| BINARY.to_string());
        let mut child = Command::new(binary)
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let output = child.stdout.take().unwrap();
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut output = BufReader::new(output);
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if output.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("Content-Length: ") {
                        length = value.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                output.read_exact(&mut body).unwrap();
                if sender.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let mut server = Server {
            input: child.stdin.take().unwrap(),
            messages,
            next_id: 0,
            replans: Vec::new(),
            reindexed: None,
            _child: child,
        };
        server.request(
            "initialize",
            json!({
                "rootUri": uri(root),
                "capabilities": {
                    "window": { "workDoneProgress": true },
                    "textDocument": { "codeAction": {
                        "codeActionLiteralSupport": { "codeActionKind": { "valueSet": ["quickfix", "source"] } },
                        "resolveSupport": { "properties": ["edit"] },
                    } },
                },
            }),
        );
        server.notify("initialized", json!({}));
        server
    }

    fn send(&mut self, message: Value) {
        let body = serde_json::to_vec(&message).unwrap();
        write!(self.input, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.input.write_all(&body).unwrap();
        self.input.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.ask(method, params);
        self.wait(|message| message["id"] == id && message.get("method").is_none())
    }

    /// Sends a request without waiting for its answer: its id.
    fn ask(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self
                .messages
                .recv_timeout(Duration::from_secs(600))
                .expect("the server answers");
            if message.get("method").is_some()
                && let Some(id) = message.get("id")
            {
                let id = id.clone();
                self.send(json!({ "jsonrpc": "2.0", "id": id, "result": null }));
            }
            if is_reindexed(&message) {
                self.reindexed = Some(Instant::now());
            }
            if message["method"] == "window/logMessage"
                && let Some(text) = message["params"]["message"].as_str()
                && let Some(rest) = text.strip_prefix("plans made again in ")
                && let Some((ms, _)) = rest.split_once(" ms")
            {
                self.replans.push(ms.parse().unwrap());
            }
            if wanted(&message) {
                return message;
            }
        }
    }

    /// The diagnostics of `uri` as last published, once the plans are made
    /// again: a fresh open of the same text.
    fn diagnostics_now(&mut self, uri: &str) -> Vec<Value> {
        std::thread::sleep(PAUSE);
        self.notify(
            "textDocument/didSave",
            json!({ "textDocument": { "uri": uri } }),
        );
        self.wait(|message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
        })["params"]["diagnostics"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Makes `change` to the open document `uri`, whose `text` and
    /// `version` it brings up to date, and waits for its diagnostics:
    /// when it was sent, and how long they took.
    fn edit(
        &mut self,
        uri: &str,
        text: &mut String,
        version: &mut i32,
        change: &Change,
    ) -> (Instant, Duration) {
        *text = change.apply(text);
        *version += 1;
        let sent = Instant::now();
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": *version },
                "contentChanges": [{ "range": change.range(), "text": change.text }],
            }),
        );
        self.diagnostics(uri, *version);
        (sent, sent.elapsed())
    }

    fn diagnostics(&mut self, uri: &str, version: i32) -> Vec<Value> {
        let published = self.wait(|message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
                && message["params"]["version"] == version
        });
        published["params"]["diagnostics"]
            .as_array()
            .unwrap()
            .clone()
    }
}
