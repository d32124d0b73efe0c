//! `fastapi-codemod server`: a language server over standard input and
//! output. It finds the projects under the editor's workspace folders as
//! the command line would, indexes them once in the background (reporting
//! `$/progress`), then keeps each index current file by file
//! ([`crate::project::live`]): a change re-summarizes that module only,
//! and the file is checked against the rest of the project with its
//! buffer as it is. Findings are published as diagnostics; each fixable
//! one has a quick fix, and `source.fixAll.fastapi-codemod` makes every
//! safe fix of a file, each with a `WorkspaceEdit` over every file the fix
//! touches (computed on `codeAction/resolve` when the client can, away
//! from the loop, which goes on serving changes meanwhile). Hover on a
//! finding shows what `explain` prints. When the client watches files for
//! it (`workspace/didChangeWatchedFiles`), a Python file changed on disk
//! and not open is taken in as a buffer would be, and a file created or
//! deleted, or a project's configuration changed, has the projects indexed
//! again in the background while the old index goes on serving.
//!
//! Nothing the client sends ends the server but `exit`: a frame that is
//! not a message gets an error response ([`transport`]), an unknown
//! method `MethodNotFound`, bad parameters `InvalidParams`, a handler that
//! panics `InternalError`, a file that does not parse no diagnostics.

mod documents;
mod edits;
mod transport;
mod workspace;

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Result;
use crossbeam_channel::{Receiver, Sender};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Diagnostic,
    DiagnosticSeverity, DidChangeConfigurationParams, DidChangeTextDocumentParams,
    DidChangeWatchedFilesParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, FileChangeType, Hover, HoverContents, HoverParams, InitializeParams,
    MarkupContent, MarkupKind, NumberOrString, Position, PublishDiagnosticsParams, Range,
};
use serde_json::{Value, json};

use super::Catalogue;
use crate::project::pipeline::{self, LocatedFinding, Mode};
use crate::text::edit::Safety;
use documents::{Document, Encoding, uri_to_path};
use edits::EditSupport;
use transport::{Incoming, error_response, read_frame, write_frame};
use workspace::{EditorProject, Options};

/// The code action kind of "fix everything safe in this file".
const FIX_ALL_KIND: &str = "source.fixAll.fastapi-codemod";

/// Where each transform's documentation is published.
const DOCUMENTATION: &str =
    "https://github.com/fastapi-codemod/fastapi-codemod/blob/main/docs/transforms";

/// How long the client must pause before the plans are made again after a
/// change to the index.
const REPLAN_AFTER: std::time::Duration = std::time::Duration::from_millis(40);

/// Stack size for the threads that run the engine, as the command line's.
const STACK_BYTES: usize = 64 * 1024 * 1024;

/// More files than this changed on disk at once (a branch checked out) are
/// indexed again with the whole project, in the background, rather than
/// taken in one by one on the loop.
const MOST_FILES_TAKEN_IN: usize = 32;

/// The files whose changes on disk the server asks the client to report:
/// Python modules, what decides the projects and their configuration, and
/// the files plans read and write.
const WATCHED: &[&str] = &[
    "**/*.py",
    "**/pyproject.toml",
    "**/setup.cfg",
    "**/requirements.txt",
    "**/.env*",
    "**/.gitignore",
];

/// Serves the Language Server Protocol on standard input and output until
/// `exit`; the exit status is 0 after `shutdown`, 1 without it.
pub fn serve(catalogue: Catalogue) -> Result<ExitCode> {
    // The engine's parallel work runs on threads with room for deep code.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_BYTES)
        .build_global();
    let (frames, incoming) = crossbeam_channel::unbounded::<Incoming>();
    std::thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || {
            let mut input = std::io::stdin().lock();
            // A read error is the end of the input too.
            while let Ok(Some(frame)) = read_frame(&mut input) {
                if frames.send(frame).is_err() {
                    break;
                }
            }
        })?;
    let (outgoing, to_write) = crossbeam_channel::unbounded::<String>();
    let writer = std::thread::Builder::new()
        .name("lsp-writer".into())
        .spawn(move || {
            let mut output = std::io::stdout().lock();
            for value in to_write {
                if write_frame(&mut output, &value).is_err() {
                    break;
                }
            }
        })?;
    let main = std::thread::Builder::new()
        .name("lsp-main".into())
        .stack_size(STACK_BYTES)
        .spawn(move || Server::new(catalogue, outgoing).run(&incoming))?;
    let code = main.join().unwrap_or(1);
    let _ = writer.join();
    Ok(ExitCode::from(code))
}

/// What the client can take.
#[derive(Debug, Clone, Copy, Default)]
struct ClientSupport {
    /// Code actions whose edit is filled in on `codeAction/resolve`.
    resolve_edit: bool,
    edits: EditSupport,
    progress: bool,
    markdown: bool,
    /// The client watches files when the server registers for it.
    watch_files: bool,
}

/// Where the server is in the protocol's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Uninitialized,
    Running,
    ShutDown,
}

/// The projects once the background indexing has made them.
enum Projects {
    Indexing(Receiver<Vec<EditorProject>>),
    Ready(Vec<EditorProject>),
}

struct Server {
    catalogue: Catalogue,
    out: Sender<String>,
    phase: Phase,
    encoding: Encoding,
    support: ClientSupport,
    folders: Vec<PathBuf>,
    options: Options,
    /// Open documents by URI.
    documents: HashMap<String, Document>,
    projects: Option<Projects>,
    /// The projects being indexed again while the ready ones serve, and
    /// whether the files changed again meanwhile.
    reindexing: Option<Receiver<Vec<EditorProject>>>,
    reindex_again: bool,
    next_id: i32,
}

/// How long making the plans again took, for the log.
fn elapsed_ms(started: Instant) -> String {
    format!("{:.1} ms", started.elapsed().as_secs_f64() * 1000.0)
}

impl Server {
    fn new(catalogue: Catalogue, out: Sender<String>) -> Self {
        Server {
            catalogue,
            out,
            phase: Phase::Uninitialized,
            encoding: Encoding::Utf16,
            support: ClientSupport::default(),
            folders: Vec::new(),
            options: Options::default(),
            documents: HashMap::new(),
            projects: None,
            reindexing: None,
            reindex_again: false,
            next_id: 0,
        }
    }

    fn run(mut self, incoming: &Receiver<Incoming>) -> u8 {
        loop {
            let (indexed, first) = match (&self.projects, &self.reindexing) {
                (Some(Projects::Indexing(receiver)), _) => (receiver.clone(), true),
                (_, Some(receiver)) => (receiver.clone(), false),
                _ => (crossbeam_channel::never(), false),
            };
            // Plans are made again once the client pauses, not on every
            // keystroke of a burst, nor while the diagnostics just
            // published are on their way.
            let pause = if self.plans_are_stale() {
                crossbeam_channel::after(REPLAN_AFTER)
            } else {
                crossbeam_channel::never()
            };
            let frame = crossbeam_channel::select! {
                recv(incoming) -> frame => frame.ok(),
                recv(indexed) -> projects => {
                    self.indexed(projects.unwrap_or_default(), first);
                    continue;
                }
                recv(pause) -> _ => {
                    self.replan();
                    continue;
                }
            };
            // The client went away without `exit`.
            let Some(frame) = frame else { return 1 };
            match frame {
                Incoming::Malformed { id, code, message } => {
                    self.log(&format!("ignored a frame: {message}"));
                    self.send(error_response(id, code, &message));
                }
                Incoming::Message(Message::Request(request)) => self.request(request),
                Incoming::Message(Message::Notification(notification)) => {
                    if notification.method == "exit" {
                        return if self.phase == Phase::ShutDown { 0 } else { 1 };
                    }
                    self.notification(notification);
                }
                // Answers to our own requests (progress tokens, the file
                // watcher's registration) need nothing.
                Incoming::Message(Message::Response(_)) => {}
            }
        }
    }

    fn send(&self, value: Value) {
        let _ = self.out.send(value.to_string());
    }

    fn send_message(&self, message: Message) {
        if let Ok(body) = serde_json::to_string(&message) {
            let _ = self.out.send(body);
        }
    }

    /// Sends a notification, its parameters serialized once, straight to
    /// the frame's text (a file's diagnostics can be many).
    fn notify(&self, method: &str, params: impl serde::Serialize) {
        #[derive(serde::Serialize)]
        struct Outgoing<'m, P> {
            jsonrpc: &'static str,
            method: &'m str,
            params: P,
        }
        let outgoing = Outgoing {
            jsonrpc: "2.0",
            method,
            params,
        };
        if let Ok(body) = serde_json::to_string(&outgoing) {
            let _ = self.out.send(body);
        }
    }

    fn log(&self, message: &str) {
        self.notify(
            "window/logMessage",
            json!({ "type": 4, "message": message }),
        );
    }

    fn respond(&self, id: RequestId, result: Result<Value, (ErrorCode, String)>) {
        send_response(&self.out, id, result);
    }

    fn request(&mut self, request: Request) {
        let Request { id, method, params } = request;
        let result = match (self.phase, method.as_str()) {
            (Phase::Uninitialized, "initialize") => self.initialize(params),
            (Phase::Uninitialized, _) => Err((
                ErrorCode::ServerNotInitialized,
                format!("`{method}` before `initialize`"),
            )),
            (_, "initialize") => {
                Err((ErrorCode::InvalidRequest, "initialized already".to_string()))
            }
            (Phase::ShutDown, _) => Err((
                ErrorCode::InvalidRequest,
                format!("`{method}` after `shutdown`"),
            )),
            (Phase::Running, "shutdown") => {
                self.phase = Phase::ShutDown;
                Ok(Value::Null)
            }
            (Phase::Running, _) => {
                match catch_unwind(AssertUnwindSafe(|| self.running_request(&method, params))) {
                    Ok(Reply::Now(result)) => result,
                    Ok(Reply::Later(jobs)) => {
                        self.answer_later(id, jobs);
                        return;
                    }
                    Err(payload) => Err(internal_error(&*payload)),
                }
            }
        };
        self.respond(id, result);
    }

    /// Answers request `id` from a worker thread, once it has resolved the
    /// code actions of `jobs` (each a whole run over the project, which
    /// takes long on a large one): the loop goes on serving changes and
    /// diagnostics meanwhile. The answer is a list when the client asked
    /// for one (`textDocument/codeAction`), else the one action.
    fn answer_later(&self, id: RequestId, jobs: ResolveJobs) {
        let pool = match background_pool() {
            Ok(pool) => pool,
            Err(message) => {
                let message = format!("could not start the threads that resolve fixes: {message}");
                self.respond(id, Err((ErrorCode::InternalError, message)));
                return;
            }
        };
        let out = self.out.clone();
        pool.spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| jobs.resolve()))
                .map_err(|payload| internal_error(&*payload));
            send_response(&out, id, result);
        });
    }

    fn running_request(&mut self, method: &str, params: Value) -> Reply {
        match method {
            "textDocument/codeAction" => match parse::<CodeActionParams>(params) {
                Ok(params) => self.code_actions(params),
                Err(error) => Reply::Now(Err(error)),
            },
            "codeAction/resolve" => match parse::<CodeAction>(params) {
                Ok(action) => match self.resolve_job(action) {
                    ResolveJob { action, run: None } => Reply::Now(Ok(to_value(action))),
                    job => Reply::Later(ResolveJobs::One(Box::new(job))),
                },
                Err(error) => Reply::Now(Err(error)),
            },
            "textDocument/hover" => match parse::<HoverParams>(params) {
                Ok(params) => Reply::Now(Ok(to_value(self.hover(params)))),
                Err(error) => Reply::Now(Err(error)),
            },
            _ => Reply::Now(Err((
                ErrorCode::MethodNotFound,
                format!("unknown method `{method}`"),
            ))),
        }
    }

    fn notification(&mut self, notification: Notification) {
        if self.phase == Phase::Uninitialized {
            return;
        }
        let Notification { method, params } = notification;
        let handled = catch_unwind(AssertUnwindSafe(|| match method.as_str() {
            "initialized" => {
                self.start_indexing();
                self.watch_files();
                Ok(())
            }
            "workspace/didChangeWatchedFiles" => {
                parse(params).map(|params| self.did_change_watched_files(params))
            }
            "workspace/didChangeConfiguration" => parse::<DidChangeConfigurationParams>(params)
                .map(|params| self.did_change_configuration(params.settings)),
            "textDocument/didOpen" => parse(params).map(|params| self.did_open(params)),
            "textDocument/didChange" => parse(params).map(|params| self.did_change(params)),
            "textDocument/didSave" => parse(params).map(|params| self.did_save(params)),
            "textDocument/didClose" => parse(params).map(|params| self.did_close(params)),
            _ => Ok(()),
        }));
        match handled {
            Ok(Ok(())) => {}
            Ok(Err((_, message))) => self.log(&format!("`{method}`: {message}")),
            Err(payload) => self.log(&format!(
                "`{method}`: internal error: {}",
                pipeline::panic_message(&*payload)
            )),
        }
    }

    fn initialize(&mut self, params: Value) -> Result<Value, (ErrorCode, String)> {
        let options = params.get("initializationOptions").cloned();
        let params: InitializeParams = parse(params)?;
        self.options = Options::from_json(options, self.catalogue, "initializationOptions")
            .map_err(|message| (ErrorCode::InvalidParams, message))?;
        let capabilities = &params.capabilities;
        self.encoding = Encoding::negotiate(
            capabilities
                .general
                .as_ref()
                .and_then(|general| general.position_encodings.as_deref()),
        );
        let text = capabilities.text_document.as_ref();
        let code_action = text.and_then(|text| text.code_action.as_ref());
        let workspace_edit = capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.workspace_edit.as_ref());
        let operations = workspace_edit
            .and_then(|edit| edit.resource_operations.clone())
            .unwrap_or_default();
        self.support = ClientSupport {
            resolve_edit: code_action
                .and_then(|action| action.resolve_support.as_ref())
                .is_some_and(|support| {
                    support.properties.iter().any(|property| property == "edit")
                }),
            edits: EditSupport {
                document_changes: workspace_edit
                    .and_then(|edit| edit.document_changes)
                    .unwrap_or(false),
                create: operations.contains(&lsp_types::ResourceOperationKind::Create),
                rename: operations.contains(&lsp_types::ResourceOperationKind::Rename),
                delete: operations.contains(&lsp_types::ResourceOperationKind::Delete),
            },
            progress: capabilities
                .window
                .as_ref()
                .and_then(|window| window.work_done_progress)
                .unwrap_or(false),
            markdown: text
                .and_then(|text| text.hover.as_ref())
                .and_then(|hover| hover.content_format.as_ref())
                .is_some_and(|formats| formats.contains(&MarkupKind::Markdown)),
            watch_files: capabilities
                .workspace
                .as_ref()
                .and_then(|workspace| workspace.did_change_watched_files.as_ref())
                .and_then(|watched| watched.dynamic_registration)
                .unwrap_or(false),
        };
        #[allow(deprecated)]
        let folders: Vec<PathBuf> = match (
            &params.workspace_folders,
            &params.root_uri,
            &params.root_path,
        ) {
            (Some(folders), _, _) if !folders.is_empty() => folders
                .iter()
                .filter_map(|folder| uri_to_path(&folder.uri))
                .collect(),
            (_, Some(root), _) => uri_to_path(root).into_iter().collect(),
            (_, _, Some(root)) => vec![PathBuf::from(root)],
            _ => Vec::new(),
        };
        self.folders = folders;
        self.phase = Phase::Running;
        Ok(json!({
            "capabilities": {
                "positionEncoding": self.encoding.kind(),
                "textDocumentSync": {
                    "openClose": true,
                    "change": 2,
                    "save": { "includeText": false },
                },
                "codeActionProvider": {
                    "codeActionKinds": ["quickfix", FIX_ALL_KIND],
                    "resolveProvider": true,
                },
                "hoverProvider": true,
            },
            "serverInfo": { "name": "fastapi-codemod", "version": env!("CARGO_PKG_VERSION") },
        }))
    }

    /// Finds and indexes the projects on a thread of its own; the loop
    /// takes them when they are ready.
    fn start_indexing(&mut self) {
        if self.projects.is_some() {
            return;
        }
        self.projects = Some(match self.spawn_indexing(false) {
            Some(indexed) => Projects::Indexing(indexed),
            None => Projects::Ready(Vec::new()),
        });
    }

    /// Finds and indexes the projects again, in the background, the ready
    /// ones serving meanwhile; once more after that when asked while an
    /// indexing goes on (it may have read the files before they changed).
    fn start_reindexing(&mut self) {
        match self.projects {
            None => {}
            Some(Projects::Ready(_)) if self.reindexing.is_none() => {
                self.reindexing = self.spawn_indexing(true);
            }
            Some(_) => self.reindex_again = true,
        }
    }

    /// Starts a thread that finds and indexes the projects under the
    /// workspace folders, with the open buffers as they are now; what it
    /// sends when done. `None` when no thread could start.
    /// Indexed again (`in_background`), the projects are made on the
    /// low-priority threads that resolve fixes, so that typing meanwhile
    /// is served at once.
    fn spawn_indexing(&mut self, in_background: bool) -> Option<Receiver<Vec<EditorProject>>> {
        let (done, indexed) = crossbeam_channel::bounded(1);
        let catalogue = self.catalogue;
        let options = self.options.clone();
        let folders = self.folders.clone();
        let open = self.open_texts();
        let out = self.out.clone();
        let token = self.progress_token();
        let spawned = std::thread::Builder::new()
            .name("lsp-index".into())
            .stack_size(STACK_BYTES)
            .spawn(move || {
                let started = Instant::now();
                let (found, errors) = workspace::find_projects(catalogue, &options, &folders);
                let total: usize = found.iter().map(|project| project.files.len()).sum();
                let progress = IndexProgress::new(out.clone(), token, total);
                let index = || -> Vec<EditorProject> {
                    found
                        .into_iter()
                        .map(|project| EditorProject::index(project, &open, &progress))
                        .collect()
                };
                let projects = match background_pool() {
                    Ok(pool) if in_background => pool.install(index),
                    _ => index(),
                };
                progress.end(&format!(
                    "{total} files in {} projects, {} ms",
                    projects.len(),
                    started.elapsed().as_millis()
                ));
                for (path, message) in errors {
                    let note =
                        json!({ "type": 3, "message": format!("{}: {message}", path.display()) });
                    let _ = out.send(
                        json!({ "jsonrpc": "2.0", "method": "window/logMessage", "params": note })
                            .to_string(),
                    );
                }
                let _ = done.send(projects);
            });
        spawned.ok().map(|_| indexed)
    }

    /// Takes new options from the client's settings: `{"fastapi-codemod":
    /// {…}}`, or the options themselves. Options that differ have the
    /// projects indexed again with them, the old index serving meanwhile;
    /// options the server cannot take are shown to the user, and the ones
    /// in force stay. Settings of other servers, or none, change nothing.
    fn did_change_configuration(&mut self, settings: Value) {
        let ours = match settings.get("fastapi-codemod") {
            Some(ours) => ours.clone(),
            None if settings.as_object().is_some_and(|settings| {
                !settings.is_empty()
                    && settings
                        .keys()
                        .all(|key| Options::KEYS.contains(&key.as_str()))
            }) =>
            {
                settings
            }
            None => return,
        };
        match Options::from_json(Some(ours), self.catalogue, "settings") {
            Ok(options) if options != self.options => {
                self.options = options;
                self.start_reindexing();
            }
            Ok(_) => {}
            Err(message) => self.notify(
                "window/showMessage",
                json!({ "type": 1, "message": format!("fastapi-codemod: {message}; the options in force stay") }),
            ),
        }
    }

    /// Asks the client to report changes to the files of [`WATCHED`].
    fn watch_files(&mut self) {
        if !self.support.watch_files {
            return;
        }
        self.next_id += 1;
        let watchers: Vec<Value> = WATCHED
            .iter()
            .map(|pattern| json!({ "globPattern": pattern }))
            .collect();
        let request = Request::new(
            RequestId::from(format!("fastapi-codemod-{}", self.next_id)),
            "client/registerCapability".to_string(),
            json!({ "registrations": [{
                "id": "fastapi-codemod/watched-files",
                "method": "workspace/didChangeWatchedFiles",
                "registerOptions": { "watchers": watchers },
            }] }),
        );
        self.send_message(Message::Request(request));
    }

    /// Files changed on disk: a Python file of a project that is not open
    /// is taken in from disk (an open one is its buffer); a file created
    /// or deleted, a project's configuration changed, or a checkout's
    /// worth of files has the projects indexed again; another file the
    /// plans read (`.env`, `.gitignore`) has them made again.
    fn did_change_watched_files(&mut self, params: DidChangeWatchedFilesParams) {
        if self.reindexing.is_some() || matches!(self.projects, Some(Projects::Indexing(_))) {
            // The indexing under way may have read the files before.
            self.start_reindexing();
            return;
        }
        let open: std::collections::HashSet<PathBuf> = self
            .documents
            .values()
            .map(|document| document.path.clone())
            .collect();
        let mut take_in: Vec<(usize, usize, PathBuf)> = Vec::new();
        let mut reindex = false;
        let mut replan = false;
        for change in &params.changes {
            let Some(path) = uri_to_path(&change.uri) else {
                continue;
            };
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            if matches!(name, "pyproject.toml" | "setup.cfg" | "requirements.txt") {
                reindex = true;
            } else if !is_python(&path) {
                replan = true;
            } else if open.contains(&path) {
                // The buffer is the file, whatever the disk holds.
            } else {
                match (self.locate(&path), change.typ) {
                    (
                        Some((project, position)),
                        FileChangeType::CHANGED | FileChangeType::CREATED,
                    ) => {
                        take_in.push((project, position, path));
                    }
                    (Some(_), _) => reindex = true,
                    (None, FileChangeType::CREATED) => reindex = true,
                    (None, _) => {}
                }
            }
        }
        if take_in.len() > MOST_FILES_TAKEN_IN {
            reindex = true;
        }
        if reindex {
            self.start_reindexing();
            return;
        }
        if let Some(Projects::Ready(projects)) = &mut self.projects {
            for (project, position, path) in take_in {
                if let Some(text) = disk_text(&path) {
                    projects[project].live.take_in(position, &text);
                }
            }
            if replan {
                for project in projects.iter_mut() {
                    project.live.mark_plans_stale();
                }
            }
        }
    }

    /// A token for `$/progress`, created with the client first; `None`
    /// when the client takes no progress.
    fn progress_token(&mut self) -> Option<String> {
        if !self.support.progress {
            return None;
        }
        self.next_id += 1;
        let token = format!("fastapi-codemod/index/{}", self.next_id);
        let request = Request::new(
            RequestId::from(format!("fastapi-codemod-{}", self.next_id)),
            "window/workDoneProgress/create".to_string(),
            json!({ "token": token }),
        );
        self.send_message(Message::Request(request));
        Some(token)
    }

    /// Takes the projects once indexed (`first`) or indexed again: the open
    /// buffers go in, since they may have changed meanwhile, and the plans
    /// are made; then every open document is published, or, indexed again,
    /// each whose findings that changes.
    fn indexed(&mut self, projects: Vec<EditorProject>, first: bool) {
        self.reindexing = None;
        self.projects = Some(Projects::Ready(projects));
        let keys: Vec<String> = self.documents.keys().cloned().collect();
        for key in &keys {
            self.take_in(key);
        }
        if self.plans_are_stale() {
            let open = self.open_texts();
            if let Some(Projects::Ready(projects)) = &mut self.projects {
                for project in projects.iter_mut() {
                    project.replan(&open);
                }
            }
        }
        for key in &keys {
            if first {
                self.publish(key);
            } else {
                self.publish_if_changed(key);
            }
        }
        if !first {
            self.log("the projects were indexed again");
        }
        if std::mem::take(&mut self.reindex_again) {
            self.start_reindexing();
        }
    }

    fn open_texts(&self) -> HashMap<PathBuf, String> {
        self.documents
            .values()
            .map(|document| (document.path.clone(), document.text.clone()))
            .collect()
    }

    fn ready_projects(&self) -> &[EditorProject] {
        match &self.projects {
            Some(Projects::Ready(projects)) => projects,
            _ => &[],
        }
    }

    /// The project holding `path`, and the file's position in it.
    fn locate(&self, path: &Path) -> Option<(usize, usize)> {
        self.ready_projects()
            .iter()
            .enumerate()
            .find_map(|(index, project)| Some((index, project.live.position(path)?)))
    }

    fn did_open(&mut self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        let Some(path) = uri_to_path(&item.uri).filter(|path| is_python(path)) else {
            return;
        };
        let key = item.uri.as_str().to_string();
        self.documents.insert(
            key.clone(),
            Document::new(item.uri, path, item.version, item.text),
        );
        self.take_in(&key);
        self.publish(&key);
    }

    fn did_change(&mut self, params: DidChangeTextDocumentParams) {
        let key = params.text_document.uri.as_str().to_string();
        let encoding = self.encoding;
        let Some(document) = self.documents.get_mut(&key) else {
            return;
        };
        document.change(
            params.text_document.version,
            params.content_changes,
            encoding,
        );
        // The module's new summary is in the index at once; the plans follow
        // when the client pauses (see `run`), and every open document whose
        // findings that changes is published again then.
        self.take_in(&key);
        self.publish(&key);
    }

    fn did_save(&mut self, params: DidSaveTextDocumentParams) {
        let key = params.text_document.uri.as_str().to_string();
        if self.documents.contains_key(&key) {
            self.publish(&key);
        }
    }

    fn did_close(&mut self, params: DidCloseTextDocumentParams) {
        let key = params.text_document.uri.as_str().to_string();
        let Some(document) = self.documents.remove(&key) else {
            return;
        };
        // The file is what is on disk again.
        if let Some((project, position)) = self.locate(&document.path)
            && let Some(text) = disk_text(&document.path)
            && let Some(Projects::Ready(projects)) = &mut self.projects
        {
            projects[project].live.take_in(position, &text);
        }
        self.notify(
            "textDocument/publishDiagnostics",
            PublishDiagnosticsParams::new(document.uri, Vec::new(), None),
        );
    }

    /// Puts an open document's text into its project's index; whether the
    /// index changed.
    fn take_in(&mut self, key: &str) -> bool {
        let Some(document) = self.documents.get(key) else {
            return false;
        };
        let Some((project, position)) = self.locate(&document.path) else {
            return false;
        };
        let text = document.text.clone();
        let Some(Projects::Ready(projects)) = &mut self.projects else {
            return false;
        };
        projects[project].live.take_in(position, &text)
    }

    fn plans_are_stale(&self) -> bool {
        self.ready_projects()
            .iter()
            .any(|project| project.live.plans_are_stale())
    }

    /// Makes the plans of every project whose index changed again, and
    /// publishes again each open document whose findings that changes.
    fn replan(&mut self) {
        let started = Instant::now();
        let open = self.open_texts();
        if let Some(Projects::Ready(projects)) = &mut self.projects {
            for project in projects
                .iter_mut()
                .filter(|project| project.live.plans_are_stale())
            {
                project.replan(&open);
            }
        }
        let planned = elapsed_ms(started);
        let keys: Vec<String> = self.documents.keys().cloned().collect();
        let mut published = 0;
        for key in keys {
            if self.publish_if_changed(&key) {
                published += 1;
            }
        }
        self.log(&format!(
            "plans made again in {planned}; {published} documents published again ({} in all)",
            elapsed_ms(started)
        ));
    }

    /// What the engine finds in an open document, with its project.
    fn check(&self, document: &Document) -> Vec<LocatedFinding> {
        let outcome = match self.locate(&document.path) {
            Some((project, position)) => self.ready_projects()[project]
                .live
                .check(position, &document.text),
            None if matches!(self.projects, Some(Projects::Ready(_))) => {
                match workspace::lone_selection(self.catalogue, &self.options, &document.path) {
                    Ok(selection) => pipeline::process(&document.text, &selection, Mode::Check),
                    Err(message) => {
                        self.log(&format!("{}: {message}", document.path.display()));
                        return Vec::new();
                    }
                }
            }
            // Nothing is published before the projects are indexed.
            None => return Vec::new(),
        };
        if let Some(error) = &outcome.error
            && !matches!(error, pipeline::FileError::Syntax { .. })
        {
            self.log(&format!("{}: {error}", document.path.display()));
        }
        outcome.findings
    }

    fn publish(&mut self, key: &str) {
        if !matches!(self.projects, Some(Projects::Ready(_))) {
            return;
        }
        let Some(document) = self.documents.get(key) else {
            return;
        };
        let findings = self.check(document);
        let diagnostics: Vec<Diagnostic> = findings
            .iter()
            .map(|finding| self.diagnostic(document, finding))
            .collect();
        let params = PublishDiagnosticsParams::new(
            document.uri.clone(),
            diagnostics,
            Some(document.version),
        );
        if let Some(document) = self.documents.get_mut(key) {
            document.findings = findings;
        }
        self.notify("textDocument/publishDiagnostics", params);
    }

    /// Publishes an open document again when its findings changed since it
    /// was last published; whether they did.
    fn publish_if_changed(&mut self, key: &str) -> bool {
        let Some(document) = self.documents.get(key) else {
            return false;
        };
        if self.check(document) == document.findings {
            return false;
        }
        self.publish(key);
        true
    }

    fn diagnostic(&self, document: &Document, finding: &LocatedFinding) -> Diagnostic {
        Diagnostic {
            range: document.range_of(finding, self.encoding),
            severity: Some(DiagnosticSeverity::WARNING),
            code: Some(NumberOrString::String(finding.transform.to_string())),
            code_description: format!("{DOCUMENTATION}/{}.md", finding.transform)
                .parse()
                .ok()
                .map(|href| lsp_types::CodeDescription { href }),
            source: Some("fastapi-codemod".to_string()),
            message: finding.message.clone(),
            related_information: None,
            tags: None,
            data: finding.fix.as_ref().map(|fix| json!({ "fix": fix.title })),
        }
    }

    /// The code actions at a place: listed at once, their edits resolved
    /// later (`codeAction/resolve`), or on a worker before the answer when
    /// the client cannot resolve.
    fn code_actions(&self, params: CodeActionParams) -> Reply {
        let key = params.text_document.uri.as_str();
        let Some(document) = self.documents.get(key) else {
            return Reply::Now(Ok(json!([])));
        };
        let wants = |kind: &str| {
            params.context.only.as_ref().is_none_or(|only| {
                only.iter().any(|wanted| {
                    let wanted = wanted.as_str();
                    kind == wanted || kind.starts_with(&format!("{wanted}."))
                })
            })
        };
        let mut actions = Vec::new();
        if wants("quickfix") {
            for finding in &document.findings {
                let Some(fix) = &finding.fix else { continue };
                let range = document.range_of(finding, self.encoding);
                if !overlaps(range, params.range) {
                    continue;
                }
                let data = json!({
                    "uri": key,
                    "version": document.version,
                    "transform": finding.transform,
                    "title": fix.title,
                });
                let action = CodeAction {
                    title: fix.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![self.diagnostic(document, finding)]),
                    is_preferred: Some(true),
                    data: Some(data),
                    ..CodeAction::default()
                };
                actions.push(action);
            }
        }
        let safe_fixes = document
            .findings
            .iter()
            .filter(|finding| finding.fix.is_some() && self.is_safe(finding.transform))
            .count();
        if safe_fixes > 0 && wants(FIX_ALL_KIND) {
            actions.push(CodeAction {
                title: "Fix all safe findings (fastapi-codemod)".to_string(),
                kind: Some(CodeActionKind::new(FIX_ALL_KIND)),
                data: Some(json!({ "uri": key, "version": document.version, "fix_all": true })),
                ..CodeAction::default()
            });
        }
        if !self.support.resolve_edit && !actions.is_empty() {
            let jobs = actions
                .into_iter()
                .map(|action| self.resolve_job(action))
                .collect();
            return Reply::Later(ResolveJobs::List(jobs));
        }
        let actions: Vec<CodeActionOrCommand> = actions
            .into_iter()
            .map(CodeActionOrCommand::CodeAction)
            .collect();
        Reply::Now(Ok(to_value(actions)))
    }

    fn is_safe(&self, transform: &str) -> bool {
        is_safe(self.catalogue, transform)
    }

    /// A code action with what filling in its edit takes, from the project
    /// as it is now (nothing, when there is no edit to fill in).
    fn resolve_job(&self, action: CodeAction) -> ResolveJob {
        let Some(data) = action.data.clone() else {
            return ResolveJob { action, run: None };
        };
        let Some(document) = data
            .get("uri")
            .and_then(Value::as_str)
            .and_then(|uri| self.documents.get(uri))
        else {
            return ResolveJob { action, run: None };
        };
        let Some((project, position)) = self.locate(&document.path) else {
            return ResolveJob { action, run: None };
        };
        let project = &self.ready_projects()[project];
        let fix_all = data
            .get("fix_all")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let transform = data
            .get("transform")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let title = data
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let catalogue = self.catalogue;
        let pick: edits::Pick = if fix_all {
            Box::new(move |name, _| is_safe(catalogue, name))
        } else {
            Box::new(move |name, fix| name == transform && fix == title)
        };
        let wanted = edits::Wanted {
            path: document.path.clone(),
            module: project
                .live
                .module_name(position)
                .unwrap_or_default()
                .to_string(),
            pick,
        };
        let versions: HashMap<PathBuf, i32> = self
            .documents
            .values()
            .map(|document| (document.path.clone(), document.version))
            .collect();
        ResolveJob {
            action,
            run: Some(FixRun {
                wanted,
                project: project.snapshot(self.open_texts()),
                versions,
                encoding: self.encoding,
                support: self.support.edits,
            }),
        }
    }

    fn hover(&self, params: HoverParams) -> Option<Hover> {
        let place = params.text_document_position_params;
        let document = self.documents.get(place.text_document.uri.as_str())?;
        let mut shown: Vec<&'static str> = Vec::new();
        let mut range = None;
        for finding in &document.findings {
            let found = document.range_of(finding, self.encoding);
            if contains(found, place.position) && !shown.contains(&finding.transform) {
                shown.push(finding.transform);
                range.get_or_insert(found);
            }
        }
        if shown.is_empty() {
            return None;
        }
        let text: Vec<String> = shown
            .iter()
            .filter_map(|name| self.catalogue.by_name(name))
            .map(|transform| transform.documentation())
            .collect();
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: if self.support.markdown {
                    MarkupKind::Markdown
                } else {
                    MarkupKind::PlainText
                },
                value: text.join("\n---\n\n"),
            }),
            range,
        })
    }
}

/// Reports the index pass's progress, a few times a second at most.
struct IndexProgress {
    out: Sender<String>,
    token: Option<String>,
    total: usize,
    done: AtomicUsize,
    last: std::sync::Mutex<Instant>,
}

impl IndexProgress {
    fn new(out: Sender<String>, token: Option<String>, total: usize) -> Self {
        let progress = IndexProgress {
            out,
            token,
            total,
            done: AtomicUsize::new(0),
            last: std::sync::Mutex::new(Instant::now()),
        };
        progress.send(json!({
            "kind": "begin",
            "title": "fastapi-codemod",
            "message": format!("indexing {total} files"),
            "percentage": 0,
            "cancellable": false,
        }));
        progress
    }

    fn send(&self, value: Value) {
        let Some(token) = &self.token else { return };
        let _ = self.out.send(
            json!({
                "jsonrpc": "2.0",
                "method": "$/progress",
                "params": { "token": token, "value": value },
            })
            .to_string(),
        );
    }

    fn end(&self, message: &str) {
        self.send(json!({ "kind": "end", "message": message }));
    }
}

impl crate::project::run::Progress for IndexProgress {
    fn indexed(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.elapsed().as_millis() < 200 {
            return;
        }
        *last = Instant::now();
        let percentage = (done * 100 / self.total.max(1)).min(100);
        self.send(json!({
            "kind": "report",
            "message": format!("indexing {done}/{} files", self.total),
            "percentage": percentage,
        }));
    }
}

fn is_safe(catalogue: Catalogue, transform: &str) -> bool {
    catalogue
        .by_name(transform)
        .is_some_and(|transform| transform.safety == Safety::Safe)
}

fn parse<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(params).map_err(|error| {
        (
            ErrorCode::InvalidParams,
            format!("invalid parameters: {error}"),
        )
    })
}

fn is_python(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "py" || extension == "pyi")
}

fn overlaps(a: Range, b: Range) -> bool {
    let before = |x: Position, y: Position| (x.line, x.character) < (y.line, y.character);
    !(before(a.end, b.start) || before(b.end, a.start))
}

fn contains(range: Range, position: Position) -> bool {
    let key = |x: Position| (x.line, x.character);
    key(range.start) <= key(position) && key(position) <= key(range.end)
}

/// A file's text on disk, read as the index reads it (the size limit, the
/// encodings it decodes); `None` when it cannot be.
fn disk_text(path: &Path) -> Option<String> {
    super::disk::read_limited(path)
        .and_then(super::disk::decode)
        .ok()
}

/// The threads that resolve code actions and index the projects again: a
/// pool of their own, so that that work never holds the threads a
/// keystroke's check needs, and
/// running at a lower priority, so that on a busy machine the check gets
/// the processor first.
fn background_pool() -> Result<&'static rayon::ThreadPool, String> {
    static POOL: std::sync::OnceLock<Result<rayon::ThreadPool, String>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|index| format!("lsp-background-{index}"))
            .stack_size(STACK_BYTES)
            .start_handler(|_| yield_to_other_threads())
            .build()
            .map_err(|error| error.to_string())
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Lowers the calling thread's scheduling priority (Linux keeps a nice
/// value per thread); elsewhere, nothing.
fn yield_to_other_threads() {
    #[cfg(target_os = "linux")]
    // SAFETY: `setpriority` takes no pointers; `0` is the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// How a request is answered: now, or by a worker once its code actions
/// are resolved ([`Server::answer_later`]).
enum Reply {
    Now(Result<Value, (ErrorCode, String)>),
    Later(ResolveJobs),
}

/// A code action, with what filling in its edit takes when it has one.
struct ResolveJob {
    action: CodeAction,
    run: Option<FixRun>,
}

/// What filling in a code action's edit takes: the fixes it makes, the
/// project's files and the editor's buffers as they were when asked (an
/// edit carries their versions, so a client drops one made stale by later
/// typing).
struct FixRun {
    wanted: edits::Wanted,
    project: workspace::ProjectSnapshot,
    versions: HashMap<PathBuf, i32>,
    encoding: Encoding,
    support: EditSupport,
}

impl ResolveJob {
    /// The action with its edit: what `apply` makes of its fix (and of
    /// what must land with it) in every file it touches.
    fn resolve(self) -> CodeAction {
        let ResolveJob { mut action, run } = self;
        if let Some(FixRun {
            wanted,
            project,
            versions,
            encoding,
            support,
        }) = run
            && let Some((run, changes)) = edits::run_fixes(&project, wanted)
        {
            action.edit = Some(edits::workspace_edit(
                &project, &run, &changes, &versions, encoding, support,
            ));
        }
        action
    }
}

/// The code actions a worker resolves: the one of `codeAction/resolve`, or
/// the list of `textDocument/codeAction` (some with nothing to fill in).
enum ResolveJobs {
    One(Box<ResolveJob>),
    List(Vec<ResolveJob>),
}

impl ResolveJobs {
    fn resolve(self) -> Value {
        match self {
            ResolveJobs::One(job) => to_value(job.resolve()),
            ResolveJobs::List(jobs) => {
                let actions: Vec<CodeActionOrCommand> = jobs
                    .into_iter()
                    .map(|job| CodeActionOrCommand::CodeAction(job.resolve()))
                    .collect();
                to_value(actions)
            }
        }
    }
}

fn to_value(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or_default()
}

fn internal_error(payload: &(dyn std::any::Any + Send)) -> (ErrorCode, String) {
    (
        ErrorCode::InternalError,
        format!("internal error: {}", pipeline::panic_message(payload)),
    )
}

fn send_response(out: &Sender<String>, id: RequestId, result: Result<Value, (ErrorCode, String)>) {
    let response = match result {
        Ok(value) => Response::new_ok(id, value),
        Err((code, message)) => Response::new_err(id, code as i32, message),
    };
    if let Ok(body) = serde_json::to_string(&Message::Response(response)) {
        let _ = out.send(body);
    }
}
