//! Whole-file edits, end to end, with a transform of the tests' own (no
//! transform of the catalogue makes them yet): its plan creates a module,
//! moves one, and edits `.gitignore`, `.env` and `pyproject.toml`; its fixes
//! import a class from the module it creates. The diff shows the new file
//! against `/dev/null` and the move as a rename; `apply` writes them first,
//! creating directories; a change that cannot be made (the new file exists
//! already, the `.env` holds another value) takes the imports relying on it
//! with it; a second run changes nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use fastapi_codemod::cli::{self, Catalogue};
use fastapi_codemod::project::plan::{Plan, PlanContext, PlanFile, Promise};
use fastapi_codemod::project::transform::{FileContext, Findings, Transform};
use fastapi_codemod::python::imports::Symbol;
use fastapi_codemod::text::edit::{Edit, Fix, Safety};
use fastapi_codemod::text::files::{FileChange, TextEdit, TomlEdit, TomlValue};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::Ranged;

/// Moves `raise KeyError(…)` in `app.routes` to a `NotFound` of a new
/// `app/errors/exceptions.py`, and sets the project's files up for it.
static NAMED_ERRORS: Transform = Transform {
    name: "named-errors",
    summary: "a test transform with whole-file changes",
    source: "//! # named-errors\n",
    run,
    plan: Some(plan),
    ..Transform::BASE
};

#[derive(Debug)]
struct ErrorsPlan {
    /// The new module and its file, unless it exists or was withdrawn.
    module: Option<(String, PathBuf)>,
    root: Option<PathBuf>,
    /// `app/legacy.py`, moved to `app/errors/legacy.py`.
    moved: Option<(PathBuf, PathBuf)>,
}

const MODULE: &str = "app.errors.exceptions";

fn plan(context: &PlanContext) -> Box<dyn Plan> {
    let package = context
        .paths
        .get("app")
        .and_then(|init| init.parent())
        .map(Path::to_path_buf);
    let module = package
        .as_ref()
        .filter(|_| context.index.module(MODULE).is_none())
        .map(|package| (MODULE.to_string(), package.join("errors/exceptions.py")));
    let moved = context
        .paths
        .get("app.legacy")
        .and_then(|legacy| Some((legacy.clone(), legacy.parent()?.join("errors/legacy.py"))));
    Box::new(ErrorsPlan {
        module,
        root: context.root.map(Path::to_path_buf),
        moved,
    })
}

impl Plan for ErrorsPlan {
    fn concerns(&self, file: &PlanFile) -> bool {
        file.module_name == Some("app.routes")
    }

    fn promises(&self) -> Vec<Promise> {
        let mut promises = Vec::new();
        if let Some((module, _)) = &self.module {
            promises.push(Promise::Defines {
                module: module.clone(),
                name: "NotFound".into(),
            });
            if let Some(root) = &self.root {
                promises.push(Promise::Writes {
                    path: root.join(".env"),
                });
            }
        }
        promises
    }

    fn withdraw(&mut self, _broken: &[Promise]) {
        self.module = None;
    }

    fn file_changes(&self) -> Vec<FileChange> {
        let mut changes = Vec::new();
        if let Some((module, path)) = &self.module {
            changes.push(FileChange::Create {
                path: path.clone(),
                contents:
                    "class NotFound(Exception):\n    \"\"\"Raised when nothing is found.\"\"\"\n"
                        .into(),
                module: Some(module.clone()),
            });
        }
        if let Some((from, to)) = &self.moved {
            changes.push(FileChange::Move {
                from: from.clone(),
                to: to.clone(),
                contents: None,
            });
        }
        if let Some(root) = &self.root {
            changes.push(FileChange::Edit {
                path: root.join(".gitignore"),
                edit: TextEdit::AppendLines(vec![".env".into()]),
            });
            if self.module.is_some() {
                changes.push(FileChange::Edit {
                    path: root.join(".env"),
                    edit: TextEdit::MergeEnv(vec![("ERRORS_URL".into(), "https://errors".into())]),
                });
            }
            changes.push(FileChange::Edit {
                path: root.join("pyproject.toml"),
                edit: TextEdit::Toml(vec![TomlEdit::Set {
                    table: vec!["tool".into(), "errors".into()],
                    key: "enabled".into(),
                    value: TomlValue::Boolean(true),
                }]),
            });
        }
        changes
    }
}

fn run(context: &FileContext, findings: &mut Findings) {
    if context.module_name != Some("app.routes") {
        return;
    }
    let Some(plan) = context.plan::<ErrorsPlan>() else {
        return;
    };
    if plan.module.is_none() {
        return;
    }
    let mut raises = Vec::new();
    for stmt in &context.facts.functions {
        for inner in &stmt.body {
            if let Stmt::Raise(raise) = inner
                && let Some(Expr::Call(call)) = raise.exc.as_deref()
                && matches!(call.func.as_ref(), Expr::Name(name) if name.id == "KeyError")
            {
                raises.push(call.range());
            }
        }
    }
    if raises.is_empty() {
        return;
    }
    let imported = context
        .importer()
        .import(&[Symbol::new(MODULE, "NotFound")]);
    let mut edits: Vec<Edit> = raises
        .iter()
        .map(|range| Edit::replacement(format!("{}()", imported.references[0]), *range))
        .collect();
    edits.extend(imported.edits);
    let fix = Fix::new("raise `NotFound`", edits, Safety::Safe);
    for range in raises {
        findings.push(
            &NAMED_ERRORS,
            range,
            "raise a named error",
            Some(fix.clone()),
        );
    }
}

static CATALOGUE: &[&Transform] = &[&NAMED_ERRORS];

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<Vec<u8>>>);

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Output {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn run_cli(directory: &Path, arguments: &[&str]) -> (ExitCode, String) {
    let output = Output::default();
    let mut command: Vec<std::ffi::OsString> = vec!["fastapi-codemod".into()];
    command.extend(arguments.iter().map(Into::into));
    command.push(directory.as_os_str().to_owned());
    let code = cli::run(
        Catalogue(CATALOGUE),
        command,
        Some(Box::new(output.clone())),
    )
    .expect("the run starts");
    (code, output.text())
}

const ROUTES: &str = "\
from fastapi import APIRouter

router = APIRouter()


@router.get(\"/items/{key}\")
def read_item(key: str):
    raise KeyError(key)
";

fn project() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    let files: [(&str, &str); 6] = [
        ("pyproject.toml", "[project]\nname = \"app\"  # kept\n"),
        (".gitignore", "__pycache__/\n"),
        (".env", "DEBUG=1\n"),
        ("app/__init__.py", ""),
        ("app/routes.py", ROUTES),
        ("app/legacy.py", "OLD = 1\n"),
    ];
    for (name, contents) in files {
        let path = directory.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    directory
}

fn read(directory: &Path, name: &str) -> String {
    std::fs::read_to_string(directory.join(name)).unwrap_or_else(|_| format!("<no {name}>"))
}

#[test]
fn new_moved_and_edited_files_show_as_git_does_and_land_first() {
    let directory = project();
    let root = directory.path();
    let (code, diff) = run_cli(root, &["diff"]);
    assert_eq!(code, ExitCode::SUCCESS, "{diff}");
    let exceptions = root.join("app/errors/exceptions.py").display().to_string();
    let expected_new = format!(
        "diff --git a/{exceptions} b/{exceptions}\nnew file mode 100644\n--- /dev/null\n+++ b/{exceptions}\n@@ -0,0 +1,2 @@\n+class NotFound(Exception):\n+    \"\"\"Raised when nothing is found.\"\"\"\n"
    );
    assert!(diff.contains(&expected_new), "{diff}");
    let legacy = root.join("app/legacy.py").display().to_string();
    let moved = root.join("app/errors/legacy.py").display().to_string();
    assert!(
        diff.contains(&format!(
            "diff --git a/{legacy} b/{moved}\nrename from {legacy}\nrename to {moved}\n"
        )),
        "{diff}"
    );
    assert!(
        diff.contains("+.env\n") && diff.contains("+ERRORS_URL=https://errors\n"),
        "{diff}"
    );
    assert!(diff.contains("+[tool.errors]\n+enabled = true\n"), "{diff}");
    assert!(
        diff.contains("+from app.errors.exceptions import NotFound\n")
            && diff.contains("+    raise NotFound()\n"),
        "{diff}"
    );
    // `diff` changes nothing.
    assert!(!root.join("app/errors").exists());

    let (code, output) = run_cli(root, &["apply", "--allow-dirty", "--format", "json"]);
    assert_eq!(code, ExitCode::SUCCESS, "{output}");
    let document: serde_json::Value = serde_json::from_str(&output).unwrap();
    let kinds: Vec<(&str, bool)> = document["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|file| Some((file["change"].as_str()?, file["written"].as_bool()?)))
        .collect();
    assert_eq!(
        kinds,
        [
            ("create", true),
            ("move", true),
            ("edit", true),
            ("edit", true),
            ("edit", true)
        ],
        "{output}"
    );
    assert_eq!(
        read(root, "app/errors/exceptions.py"),
        "class NotFound(Exception):\n    \"\"\"Raised when nothing is found.\"\"\"\n"
    );
    assert_eq!(read(root, "app/errors/legacy.py"), "OLD = 1\n");
    assert!(!root.join("app/legacy.py").exists());
    assert_eq!(read(root, ".gitignore"), "__pycache__/\n.env\n");
    assert_eq!(read(root, ".env"), "DEBUG=1\nERRORS_URL=https://errors\n");
    assert_eq!(
        read(root, "pyproject.toml"),
        "[project]\nname = \"app\"  # kept\n\n[tool.errors]\nenabled = true\n"
    );
    assert!(read(root, "app/routes.py").contains("    raise NotFound()\n"));

    // A second run has nothing left to do.
    let (code, diff) = run_cli(root, &["diff", "--exit-code"]);
    assert_eq!(code, ExitCode::SUCCESS, "{diff}");
    assert_eq!(diff, "");
}

#[test]
fn a_change_that_cannot_be_made_takes_what_relies_on_it_with_it() {
    // The `.env` holds another value for the key: the plan's promise that
    // it writes `.env` is broken, the plan withdraws the module, and the
    // route keeps its `KeyError`.
    let directory = project();
    let root = directory.path();
    std::fs::write(root.join(".env"), "ERRORS_URL=https://elsewhere\n").unwrap();
    let (code, output) = run_cli(root, &["apply", "--allow-dirty", "--format", "json"]);
    assert_eq!(
        code,
        ExitCode::from(2),
        "the refused edit is an error: {output}"
    );
    assert!(
        output.contains("`ERRORS_URL` is set in the file already"),
        "{output}"
    );
    assert_eq!(read(root, "app/routes.py"), ROUTES);
    assert!(!root.join("app/errors/exceptions.py").exists());
    assert_eq!(read(root, ".env"), "ERRORS_URL=https://elsewhere\n");

    // A file where the new module goes, that the run does not read (git
    // ignores it): never overwritten, and nothing imports from it.
    let directory = project();
    let root = directory.path();
    std::fs::create_dir_all(root.join("app/errors")).unwrap();
    std::fs::write(root.join("app/errors/exceptions.py"), "# mine\n").unwrap();
    std::fs::write(root.join(".gitignore"), "app/errors/\n").unwrap();
    let (code, output) = run_cli(root, &["apply", "--allow-dirty", "--format", "json"]);
    assert_eq!(
        code,
        ExitCode::from(2),
        "the refused creation is an error: {output}"
    );
    assert!(
        output.contains("exists already; it is not overwritten"),
        "{output}"
    );
    assert_eq!(read(root, "app/errors/exceptions.py"), "# mine\n");
    assert_eq!(read(root, "app/routes.py"), ROUTES);
}

#[test]
fn outside_git_new_files_need_allow_dirty() {
    let directory = project();
    let root = directory.path();
    let (_, output) = run_cli(root, &["apply", "--format", "json"]);
    let document: serde_json::Value = serde_json::from_str(&output).unwrap();
    let created = document["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|file| file["change"] == "create")
        .expect("the creation is reported");
    assert!(
        created["error"]
            .as_str()
            .unwrap()
            .contains("not inside a git repository"),
        "{output}"
    );
    assert!(!root.join("app/errors").exists());
    assert_eq!(read(root, "app/routes.py"), ROUTES);
}
