//! `fastapi-codemod server`, driven over stdio as an editor drives it: the
//! real binary, a copy of a project in a temporary directory, and the
//! protocol's messages. What a code action's edit makes of the files is
//! checked against what `apply` makes of a second copy.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_fastapi-codemod");

/// How long any one answer may take before the test fails (the first
/// index of a debug build included).
const PATIENCE: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "__pycache__" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A project copied into a temporary directory.
fn project_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path().canonicalize().unwrap().join("project");
    copy_dir(&fixture(name), &root);
    (directory, root)
}

/// Every file under `root`, by path relative to it, with its text.
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("__pycache__") {
                    pending.push(path);
                }
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    files
}

/// What `apply --allow-dirty` with `arguments` makes of a fresh copy of
/// the project.
fn applied(name: &str, arguments: &[&str]) -> BTreeMap<String, String> {
    let (_directory, root) = project_copy(name);
    let output = Command::new(BINARY)
        .arg("apply")
        .arg("--allow-dirty")
        .arg("--quiet")
        .args(arguments)
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        output.status.success() || output.status.code() == Some(1),
        "apply failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    snapshot(&root)
}

fn uri(path: &Path) -> String {
    let mut text = String::from("file://");
    for byte in path.to_str().unwrap().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                text.push(byte as char)
            }
            _ => text.push_str(&format!("%{byte:02X}")),
        }
    }
    text
}

fn path_of(uri: &str) -> PathBuf {
    let rest = uri.strip_prefix("file://").unwrap();
    let mut bytes = Vec::new();
    let raw = rest.as_bytes();
    let mut index = 0;
    while index < raw.len() {
        if raw[index] == b'%' {
            bytes.push(u8::from_str_radix(&rest[index + 1..index + 3], 16).unwrap());
            index += 3;
        } else {
            bytes.push(raw[index]);
            index += 1;
        }
    }
    PathBuf::from(String::from_utf8(bytes).unwrap())
}

/// An editor's side of the connection.
struct Client {
    child: Child,
    input: Option<ChildStdin>,
    messages: Receiver<Value>,
    /// Messages read while waiting for another.
    seen: Vec<Value>,
    next_id: i64,
}

impl Client {
    /// Starts the server on `root` and initializes it with these client
    /// capabilities and options.
    fn start(root: &Path, capabilities: Value, options: Value) -> Client {
        let mut client = Client::start_raw();
        let response = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "workspaceFolders": [{ "uri": uri(root), "name": "project" }],
                "capabilities": capabilities,
                "initializationOptions": options,
            }),
        );
        assert!(response.get("result").is_some(), "{response}");
        client.notify("initialized", json!({}));
        client
    }

    /// Starts the server, not initialized.
    fn start_raw() -> Client {
        let mut child = Command::new(BINARY)
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let output = child.stdout.take().unwrap();
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut output = BufReader::new(output);
            loop {
                let mut length = None;
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
                        length = Some(value.parse::<usize>().unwrap());
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                output.read_exact(&mut body).unwrap();
                if sender.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let input = child.stdin.take();
        Client {
            child,
            input,
            messages,
            seen: Vec::new(),
            next_id: 0,
        }
    }

    fn write_raw(&mut self, bytes: &[u8]) {
        let input = self.input.as_mut().unwrap();
        input.write_all(bytes).unwrap();
        input.flush().unwrap();
    }

    fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).unwrap();
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend(body);
        self.write_raw(&frame);
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(|message| {
            message.get("id") == Some(&json!(id)) && message.get("method").is_none()
        })
    }

    /// The next message `wanted` picks; the others are kept, and requests
    /// from the server are answered.
    fn wait_for(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(position) = self.seen.iter().position(&wanted) {
            return self.seen.remove(position);
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.messages.recv_timeout(left) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no answer in time; seen: {:#?}", self.seen)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server went away; seen: {:#?}", self.seen)
                }
            };
            // The server asks for progress tokens: granted.
            if message.get("method").is_some()
                && let Some(id) = message.get("id")
            {
                let answer = json!({ "jsonrpc": "2.0", "id": id, "result": null });
                self.send(&answer);
            }
            if wanted(&message) {
                return message;
            }
            self.seen.push(message);
        }
    }

    /// The next diagnostics published for `path`.
    fn diagnostics(&mut self, path: &Path) -> Vec<Value> {
        let uri = uri(path);
        let published = self.wait_for(|message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
        });
        published["params"]["diagnostics"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn open(&mut self, path: &Path) -> Vec<Value> {
        let text = std::fs::read_to_string(path).unwrap();
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri(path), "languageId": "python", "version": 1, "text": text } }),
        );
        self.diagnostics(path)
    }

    /// Replaces an open document's whole text.
    fn change(&mut self, path: &Path, version: i32, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri(path), "version": version },
                "contentChanges": [{ "text": text }],
            }),
        );
        self.diagnostics(path)
    }

    /// The code actions at a diagnostic.
    fn actions_at(&mut self, path: &Path, diagnostic: &Value, only: Option<&str>) -> Vec<Value> {
        let mut context = json!({ "diagnostics": [diagnostic] });
        if let Some(only) = only {
            context["only"] = json!([only]);
        }
        let response = self.request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri(path) }, "range": diagnostic["range"], "context": context }),
        );
        response["result"].as_array().unwrap().clone()
    }

    fn resolve(&mut self, action: &Value) -> Value {
        let response = self.request("codeAction/resolve", action.clone());
        response["result"].clone()
    }

    /// Shuts the server down and waits for it to exit: its exit status.
    fn shut_down(mut self) -> std::process::ExitStatus {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null, "{response}");
        self.notify("exit", Value::Null);
        drop(self.input.take());
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// What a client that takes everything says it can do.
fn full_capabilities() -> Value {
    json!({
        "window": { "workDoneProgress": true },
        "textDocument": {
            "codeAction": { "resolveSupport": { "properties": ["edit"] } },
            "hover": { "contentFormat": ["markdown", "plaintext"] },
        },
        "workspace": {
            "workspaceEdit": { "documentChanges": true, "resourceOperations": ["create", "rename", "delete"] },
        },
    })
}

/// A byte offset of a UTF-16 position in `text`.
fn offset(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap() as usize;
    let character = position["character"].as_u64().unwrap() as usize;
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(newline) => start += newline + 1,
            None => return text.len(),
        }
    }
    let end = text[start..]
        .find('\n')
        .map_or(text.len(), |newline| start + newline);
    let mut units = 0;
    for (index, character_here) in text[start..end].char_indices() {
        if units >= character {
            return start + index;
        }
        units += character_here.len_utf16();
    }
    end
}

fn apply_text_edits(text: &str, edits: &[Value]) -> String {
    let mut ranges: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|edit| {
            (
                offset(text, &edit["range"]["start"]),
                offset(text, &edit["range"]["end"]),
                edit["newText"].as_str().unwrap(),
            )
        })
        .collect();
    ranges.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    let mut result = text.to_string();
    for (start, end, new_text) in ranges {
        result.replace_range(start..end, new_text);
    }
    result
}

/// Applies a workspace edit to the files on disk, as an editor would
/// (then saving every file it touched): the paths it touched.
fn apply_workspace_edit(edit: &Value) -> Vec<PathBuf> {
    let mut touched = Vec::new();
    let mut edit_file = |uri: &str, edits: &[Value]| {
        let path = path_of(uri);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, apply_text_edits(&text, edits)).unwrap();
        touched.push(path);
    };
    if let Some(changes) = edit["documentChanges"].as_array() {
        for change in changes {
            match change["kind"].as_str() {
                Some("create") => {
                    let path = path_of(change["uri"].as_str().unwrap());
                    assert!(!path.exists(), "a create over {}", path.display());
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    std::fs::write(&path, "").unwrap();
                }
                Some("rename") => std::fs::rename(
                    path_of(change["oldUri"].as_str().unwrap()),
                    path_of(change["newUri"].as_str().unwrap()),
                )
                .unwrap(),
                Some("delete") => {
                    std::fs::remove_file(path_of(change["uri"].as_str().unwrap())).unwrap()
                }
                _ => edit_file(
                    change["textDocument"]["uri"].as_str().unwrap(),
                    change["edits"].as_array().unwrap(),
                ),
            }
        }
    }
    if let Some(changes) = edit["changes"].as_object() {
        for (uri, edits) in changes {
            edit_file(uri, edits.as_array().unwrap());
        }
    }
    touched
}

fn find<'d>(diagnostics: &'d [Value], code: &str, message: &str) -> &'d Value {
    diagnostics
        .iter()
        .find(|diagnostic| {
            diagnostic["code"] == code && diagnostic["message"].as_str().unwrap().contains(message)
        })
        .unwrap_or_else(|| panic!("no {code} diagnostic saying {message:?} in {diagnostics:#?}"))
}

fn quick_fix<'a>(actions: &'a [Value], title: &str) -> &'a Value {
    actions
        .iter()
        .find(|action| action["kind"] == "quickfix" && action["title"] == title)
        .unwrap_or_else(|| panic!("no quick fix {title:?} in {actions:#?}"))
}

/// The whole session of the issue, on the bundled example: diagnostics on
/// open, a quick fix, its edit applied, the diagnostic gone after
/// `didChange`, and a clean exit.
#[test]
fn an_editor_session_on_the_example_project() {
    let (_directory, root) = {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path().canonicalize().unwrap().join("blog_api");
        copy_dir(&fixture("examples/blog_api"), &root);
        (directory, root)
    };
    let mut client = Client::start(&root, full_capabilities(), Value::Null);
    // The index is built in the background, with progress.
    let begin = client.wait_for(|message| {
        message["method"] == "$/progress" && message["params"]["value"]["kind"] == "begin"
    });
    assert!(
        begin["params"]["value"]["message"]
            .as_str()
            .unwrap()
            .starts_with("indexing")
    );
    let router = root.join("app/api/routers/items.py");
    let diagnostics = client.open(&router);
    let db = find(&diagnostics, "annotated-params", "for `db`");
    assert_eq!(db["source"], "fastapi-codemod");
    assert_eq!(db["severity"], 2);
    assert!(
        db["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/docs/transforms/annotated-params.md")
    );
    let text = std::fs::read_to_string(&router).unwrap();
    let start = offset(&text, &db["range"]["start"]);
    let end = offset(&text, &db["range"]["end"]);
    assert!(
        text[start..end].starts_with("db"),
        "{:?}",
        &text[start..end]
    );
    // Hover shows what `explain` prints.
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri(&router) }, "position": db["range"]["start"] }),
    );
    let explain = Command::new(BINARY)
        .args(["explain", "annotated-params"])
        .output()
        .unwrap();
    assert_eq!(
        hover["result"]["contents"]["value"],
        String::from_utf8(explain.stdout).unwrap()
    );
    assert_eq!(hover["result"]["contents"]["kind"], "markdown");

    let actions = client.actions_at(&router, db, None);
    let title = db["data"]["fix"].as_str().unwrap();
    let action = quick_fix(&actions, title);
    assert!(action.get("edit").is_none(), "the edit comes on resolve");
    assert!(
        actions
            .iter()
            .any(|action| action["kind"] == "source.fixAll.fastapi-codemod")
    );
    let resolved = client.resolve(action);
    let touched = apply_workspace_edit(&resolved["edit"]);
    assert_eq!(touched, std::slice::from_ref(&router));
    let fixed = std::fs::read_to_string(&router).unwrap();
    assert_ne!(fixed, text);
    let diagnostics = client.change(&router, 2, &fixed);
    let function = db["data"]["fix"].as_str().unwrap();
    assert!(
        !diagnostics
            .iter()
            .any(|diagnostic| diagnostic["code"] == "annotated-params"
                && diagnostic["data"]["fix"] == function),
        "fixed, yet {diagnostics:#?}"
    );
    // The file still has findings of other transforms.
    assert!(
        diagnostics
            .iter()
            .any(|diagnostic| diagnostic["code"] != "annotated-params")
    );
    assert!(client.shut_down().success());
}

#[test]
fn a_fix_resolved_while_typing_goes_on_is_the_fix_of_the_text_it_was_asked_for() {
    let (_directory, root) = {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path().canonicalize().unwrap().join("blog_api");
        copy_dir(&fixture("examples/blog_api"), &root);
        (directory, root)
    };
    let mut client = Client::start(&root, full_capabilities(), Value::Null);
    let router = root.join("app/api/routers/items.py");
    let text = std::fs::read_to_string(&router).unwrap();
    let diagnostics = client.open(&router);
    let db = find(&diagnostics, "annotated-params", "for `db`");
    let actions = client.actions_at(&router, db, Some("quickfix"));
    let action = quick_fix(&actions, db["data"]["fix"].as_str().unwrap()).clone();
    // The resolve is asked, then the user types before it is answered: the
    // change is served (the run goes on away from the loop), and the edit
    // that comes is for version 1, which the client would drop.
    client.next_id += 1;
    let id = client.next_id;
    client.send(
        &json!({ "jsonrpc": "2.0", "id": id, "method": "codeAction/resolve", "params": action }),
    );
    let typed = format!("# typed while the fix was resolved\n{text}");
    let diagnostics = client.change(&router, 2, &typed);
    assert!(!diagnostics.is_empty());
    let resolved = client.wait_for(|message| message.get("id") == Some(&json!(id)));
    let changes = resolved["result"]["edit"]["documentChanges"]
        .as_array()
        .unwrap();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["textDocument"]["uri"], uri(&router));
    assert_eq!(changes[0]["textDocument"]["version"], 1);
    // Applied to the text it was made for, it makes the fix.
    let edits = changes[0]["edits"].as_array().unwrap();
    let fixed = apply_text_edits(&text, edits);
    assert!(fixed.contains("db: Annotated["), "{fixed}");
    assert!(client.shut_down().success());
}

/// Starts a server on a fresh copy of the shop and opens `file`: the
/// client, the copy's root, and the file's diagnostics.
fn shop_session(
    file: &str,
    capabilities: Value,
    options: Value,
) -> (Client, tempfile::TempDir, PathBuf, Vec<Value>) {
    let (directory, root) = project_copy("tests/server/shop");
    let mut client = Client::start(&root, capabilities, options);
    let diagnostics = client.open(&root.join(file));
    (client, directory, root, diagnostics)
}

/// Resolves the quick fix of a diagnostic, applies its edit to the copy,
/// and checks the copy is what `apply --select <transform>` makes.
fn check_quick_fix(file: &str, code: &str, message: &str, select: &str) {
    let (mut client, _directory, root, diagnostics) =
        shop_session(file, full_capabilities(), Value::Null);
    let path = root.join(file);
    let diagnostic = find(&diagnostics, code, message).clone();
    let title = diagnostic["data"]["fix"]
        .as_str()
        .expect("a fixable finding")
        .to_string();
    let actions = client.actions_at(&path, &diagnostic, Some("quickfix"));
    assert!(
        actions.iter().all(|action| action["kind"] == "quickfix"),
        "{actions:#?}"
    );
    let resolved = client.resolve(quick_fix(&actions, &title));
    apply_workspace_edit(&resolved["edit"]);
    assert_eq!(
        snapshot(&root),
        applied("tests/server/shop", &["--select", select]),
        "{resolved:#}"
    );
    assert!(client.shut_down().success());
}

#[test]
fn a_quick_fix_in_one_file_is_what_apply_makes_of_it() {
    check_quick_fix(
        "app/routers/search.py",
        "annotated-params",
        "for `q`",
        "annotated-params",
    );
}

/// The alias's definition in `deps.py` and its uses in both routers are
/// one edit, from either end.
#[test]
fn an_alias_quick_fix_covers_every_file_it_touches() {
    check_quick_fix(
        "app/routers/orders.py",
        "dependency-aliases",
        "`DatabaseDep` for `db`",
        "dependency-aliases",
    );
    check_quick_fix(
        "app/deps.py",
        "dependency-aliases",
        "define `DatabaseDep`",
        "dependency-aliases",
    );
}

/// A domain exception's quick fix creates `exceptions.py`.
#[test]
fn an_exception_quick_fix_creates_its_module() {
    check_quick_fix(
        "app/routers/items.py",
        "domain-exceptions",
        "`ItemNotFound`",
        "domain-exceptions",
    );
}

/// `source.fixAll` makes every safe fix of the file, and what must land
/// with them elsewhere: the alias's definition and its other use.
#[test]
fn fix_all_is_every_safe_fix_of_the_file() {
    let (mut client, _directory, root, diagnostics) =
        shop_session("app/routers/items.py", full_capabilities(), Value::Null);
    let path = root.join("app/routers/items.py");
    let response = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri(&path) },
            "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
            "context": { "diagnostics": [], "only": ["source.fixAll"] },
        }),
    );
    let actions = response["result"].as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.fastapi-codemod");
    let resolved = client.resolve(&actions[0]);
    apply_workspace_edit(&resolved["edit"]);
    assert_eq!(
        snapshot(&root),
        applied(
            "tests/server/shop",
            &["--select", "domain-exceptions,dependency-aliases"]
        )
    );
    // Unsafe findings stay, without a fix: the server was not told to
    // offer unsafe fixes.
    let unsafe_finding = find(&diagnostics, "response-model", "read_item");
    assert!(
        unsafe_finding.get("data").is_none_or(Value::is_null),
        "{unsafe_finding}"
    );
    let fixed = std::fs::read_to_string(&path).unwrap();
    let after = client.change(&path, 2, &fixed);
    assert!(
        after
            .iter()
            .all(|diagnostic| diagnostic["code"] == "response-model"),
        "{after:#?}"
    );
    assert!(client.shut_down().success());
}

/// With `unsafe` in the initialization options, unsafe fixes are offered;
/// `select` narrows the transforms as `--select` does.
#[test]
fn initialization_options_choose_as_the_command_line_does() {
    let (client, _directory, root, diagnostics) = shop_session(
        "app/routers/items.py",
        full_capabilities(),
        json!({ "select": ["hide-internal-errors", "settings-from-env", "domain-exceptions"], "unsafe": true }),
    );
    assert!(
        diagnostics
            .iter()
            .all(|diagnostic| diagnostic["code"] == "domain-exceptions"),
        "{diagnostics:#?}"
    );
    assert!(client.shut_down().success());
    drop(root);
    let (client, _directory, _root, diagnostics) = shop_session(
        "app/routers/orders.py",
        full_capabilities(),
        json!({ "unsafe": true }),
    );
    let response_model = find(&diagnostics, "response-model", "order_item");
    assert!(response_model["data"].is_null() || response_model.get("data").is_none());
    assert!(client.shut_down().success());
    // An unknown transform is refused at `initialize`.
    let (_directory, root) = project_copy("tests/server/shop");
    let mut child = Command::new(BINARY)
        .arg("server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "rootUri": uri(&root), "capabilities": {}, "initializationOptions": { "select": ["no-such-thing"] } },
    })
    .to_string();
    let mut input = child.stdin.take().unwrap();
    write!(input, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    drop(input);
    let output = child.wait_with_output().unwrap();
    let output = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.contains("unknown transform `no-such-thing`") && output.contains("-32602"),
        "{output}"
    );
}

/// Settings sent after startup choose as the options do: the projects are
/// indexed again with them, and an open document's findings follow; a
/// setting the server cannot take is shown, and the options stay.
#[test]
fn changed_settings_choose_again() {
    let (mut client, _directory, root, orders) =
        shop_session("app/routers/orders.py", full_capabilities(), Value::Null);
    let path = root.join("app/routers/orders.py");
    find(&orders, "dependency-aliases", "`DatabaseDep` for `db`");
    find(&orders, "response-model", "order_item");
    // The next diagnostics of `orders.py` are some, all of transform `code`.
    let only_of = |client: &mut Client, code: &str| {
        let orders = client.diagnostics(&path);
        assert!(
            !orders.is_empty() && orders.iter().all(|diagnostic| diagnostic["code"] == code),
            "{orders:#?}"
        );
    };
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "fastapi-codemod": { "select": ["response-model"] } } }),
    );
    only_of(&mut client, "response-model");
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "fastapi-codemod": { "select": ["no-such-thing"] } } }),
    );
    let shown = client.wait_for(|message| message["method"] == "window/showMessage");
    let message = shown["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("unknown transform `no-such-thing`"),
        "{message}"
    );
    // The options themselves, as some clients send them, choose too.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "select": ["dependency-aliases"] } }),
    );
    only_of(&mut client, "dependency-aliases");
    assert!(client.shut_down().success());
}

/// An unsaved buffer is what the project sees: taking the last use of
/// `get_db` out of `items.py`, unsaved, leaves one, and `orders.py` loses
/// its alias finding; putting it back brings it back.
#[test]
fn unsaved_buffers_are_the_project_as_it_is() {
    let (mut client, _directory, root, orders) =
        shop_session("app/routers/orders.py", full_capabilities(), Value::Null);
    find(&orders, "dependency-aliases", "`DatabaseDep` for `db`");
    let items = root.join("app/routers/items.py");
    client.open(&items);
    let text = std::fs::read_to_string(&items).unwrap();
    let without = text.replace(
        "db: Annotated[Database, Depends(get_db)]",
        "db: Annotated[Database, Depends(Database)]",
    );
    assert_ne!(without, text);
    client.change(&items, 2, &without);
    let orders_path = root.join("app/routers/orders.py");
    let orders = client.diagnostics(&orders_path);
    assert!(
        !orders
            .iter()
            .any(|diagnostic| diagnostic["code"] == "dependency-aliases"),
        "{orders:#?}"
    );
    // Nothing was saved.
    assert_eq!(std::fs::read_to_string(&items).unwrap(), text);
    client.change(&items, 3, &text);
    let orders = client.diagnostics(&orders_path);
    find(&orders, "dependency-aliases", "`DatabaseDep` for `db`");
    assert!(client.shut_down().success());
}

/// A client that watches files for the server: a router changed on disk
/// and not open is taken in, one created or deleted has the project
/// indexed again, and an open document's findings follow each.
#[test]
fn files_changed_on_disk_are_the_project_as_it_is() {
    let mut capabilities = full_capabilities();
    capabilities["workspace"]["didChangeWatchedFiles"] = json!({ "dynamicRegistration": true });
    let (mut client, _directory, root, orders) =
        shop_session("app/routers/orders.py", capabilities, Value::Null);
    let registration = client.wait_for(|message| message["method"] == "client/registerCapability");
    let registered = &registration["params"]["registrations"][0];
    assert_eq!(registered["method"], "workspace/didChangeWatchedFiles");
    assert!(
        registered["registerOptions"]["watchers"]
            .as_array()
            .unwrap()
            .contains(&json!({ "globPattern": "**/*.py" })),
        "{registration}"
    );
    find(&orders, "dependency-aliases", "`DatabaseDep` for `db`");
    let orders_path = root.join("app/routers/orders.py");
    let has_alias = |diagnostics: &[Value]| {
        diagnostics
            .iter()
            .any(|diagnostic| diagnostic["code"] == "dependency-aliases")
    };
    let report = |client: &mut Client, path: &Path, kind: i32| {
        client.notify(
            "workspace/didChangeWatchedFiles",
            json!({ "changes": [{ "uri": uri(path), "type": kind }] }),
        );
        client.diagnostics(&orders_path)
    };
    // The other use of the database goes, on disk: no alias for one use.
    let items = root.join("app/routers/items.py");
    let text = std::fs::read_to_string(&items).unwrap();
    let without = text.replace(
        "db: Annotated[Database, Depends(get_db)]",
        "db: Annotated[Database, Depends(Database)]",
    );
    assert_ne!(without, text);
    std::fs::write(&items, &without).unwrap();
    let orders = report(&mut client, &items, 2);
    assert!(!has_alias(&orders), "{orders:#?}");
    // A new router uses it: two uses again.
    let refunds = root.join("app/routers/refunds.py");
    std::fs::write(
        &refunds,
        "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends\n\n\
         from app.deps import Database, get_db\n\nrouter = APIRouter(prefix=\"/refunds\")\n\n\n\
         @router.post(\"/{order_id}\")\n\
         def refund(order_id: int, db: Annotated[Database, Depends(get_db)]) -> dict:\n\
         \x20   return {\"refunded\": db.fetch(order_id)}\n",
    )
    .unwrap();
    let orders = report(&mut client, &refunds, 1);
    find(&orders, "dependency-aliases", "`DatabaseDep` for `db`");
    // It is deleted: one use again.
    std::fs::remove_file(&refunds).unwrap();
    let orders = report(&mut client, &refunds, 3);
    assert!(!has_alias(&orders), "{orders:#?}");
    assert!(client.shut_down().success());
}

/// A client without `codeAction/resolve` or `documentChanges` gets each
/// edit with its action, as a map of edits by file.
#[test]
fn a_plain_client_gets_edits_at_once() {
    let (mut client, _directory, root, diagnostics) =
        shop_session("app/routers/search.py", json!({}), Value::Null);
    let path = root.join("app/routers/search.py");
    let diagnostic = find(&diagnostics, "annotated-params", "for `limit`");
    let actions = client.actions_at(&path, diagnostic, None);
    let action = quick_fix(&actions, diagnostic["data"]["fix"].as_str().unwrap());
    assert!(action["edit"]["changes"].is_object(), "{action:#}");
    apply_workspace_edit(&action["edit"]);
    assert_eq!(
        snapshot(&root),
        applied("tests/server/shop", &["--select", "annotated-params"])
    );
    assert!(client.shut_down().success());
}

/// Nothing the client sends crashes the server: a malformed frame, a body
/// that is not JSON, an unknown method, bad parameters, a request before
/// `initialize`, a file that does not parse. Each gets an error response
/// or no diagnostics, and the next message is served.
#[test]
fn bad_input_never_ends_the_server() {
    let (_directory, root) = project_copy("tests/server/shop");
    // Before `initialize`, a request is refused and the server waits.
    let mut early = Client::start_raw();
    let response = early.request("textDocument/hover", json!({}));
    assert_eq!(response["error"]["code"], -32002, "{response}");
    drop(early);

    let mut client = Client::start(&root, full_capabilities(), Value::Null);
    client.write_raw(b"Content-Length: 12\r\n\r\n{\"jsonrpc\":");
    let error =
        client.wait_for(|message| message.get("error").is_some() && message["id"].is_null());
    assert_eq!(error["error"]["code"], -32700);
    client.write_raw(b"this is no header\r\n\r\n");
    let error =
        client.wait_for(|message| message.get("error").is_some() && message["id"].is_null());
    assert_eq!(error["error"]["code"], -32700);
    client.send(&json!({ "jsonrpc": "2.0", "id": 41, "params": {} }));
    let error = client.wait_for(|message| message["id"] == 41);
    assert_eq!(error["error"]["code"], -32600);
    let response = client.request("workspace/frobnicate", json!({}));
    assert_eq!(response["error"]["code"], -32601);
    let response = client.request("textDocument/codeAction", json!({ "textDocument": 7 }));
    assert_eq!(response["error"]["code"], -32602);
    // A file that does not parse has no diagnostics; fixed, it has them.
    let broken = root.join("app/routers/broken.py");
    std::fs::write(
        &broken,
        "from fastapi import Query\n\ndef f(q: str = Query(None):\n    return q\n",
    )
    .unwrap();
    assert_eq!(client.open(&broken), Vec::<Value>::new());
    let fixed = "from fastapi import Query\n\n\ndef f(q: str = Query(None)):\n    return q\n";
    let diagnostics = client.change(&broken, 2, fixed);
    find(&diagnostics, "annotated-params", "for `q`");
    // A change to a document never opened is ignored.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&root.join("nowhere.py")), "version": 2 }, "contentChanges": [{ "text": "x" }] }),
    );
    let items = root.join("app/routers/items.py");
    assert!(!client.open(&items).is_empty());
    assert!(client.shut_down().success());
}

/// `exit` without `shutdown` exits with 1, as the protocol says.
#[test]
fn exit_without_shutdown_is_an_error() {
    let (_directory, root) = project_copy("tests/server/shop");
    let mut client = Client::start(&root, json!({}), Value::Null);
    client.notify("exit", Value::Null);
    drop(client.input.take());
    let status = client.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}
