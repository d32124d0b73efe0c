//! The shape every transform has, and what it is given to work on.

use ruff_python_ast::ModModule;
use ruff_python_ast::PythonVersion;
use ruff_python_ast::token::Tokens;
use ruff_text_size::TextRange;

use std::any::TypeId;
use std::cell::RefCell;

use crate::project::Project;
use crate::project::plan::{Plan, PlanContext};
pub use crate::project::settings::Settings;
use crate::python::fastapi::FastApiFacts;
use crate::python::imports::Importer;
use crate::python::suppression::Suppressions;
use crate::text::edit::{Finding, Fix, Safety};
use crate::text::source::SourceFile;

/// One rewrite in the catalogue. Each lives in its own file under
/// `transforms/`, whose leading `//!` comment is its documentation.
pub struct Transform {
    /// Kebab-case name after the practice it enforces.
    pub name: &'static str,
    pub safety: Safety,
    /// One line for `list`.
    pub summary: &'static str,
    /// The ruff rule this transform mirrors, whose `# noqa` it honours.
    pub ruff_code: Option<&'static str>,
    /// The transform's own source file, from which `explain` takes the
    /// documentation (its leading `//!` lines).
    pub source: &'static str,
    /// Looks at one parsed file and reports findings, with fixes where it can.
    pub run: fn(&FileContext, &mut Findings),
    /// Its project step, computed once from the index (see [`crate::project::plan`]).
    pub plan: Option<MakePlan>,
    /// Reads its `[tool.fastapi-codemod.NAME]` table into [`Settings`];
    /// an error names the option and says what was expected.
    pub configure: Option<Configure>,
    /// A package version its rewrites need. In a project whose declared
    /// dependencies pin an older one, its findings keep no fix, and say why.
    pub requires: Option<Requirement>,
}

/// A package at a version from which on a transform's output works:
/// FastAPI 0.95 for `Annotated` dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub package: &'static str,
    /// Major and minor.
    pub at_least: (u64, u64),
    /// What the version brings, for the message: "`Annotated` dependencies".
    pub brings: &'static str,
}

/// Makes a transform's plan from the index.
pub type MakePlan = fn(&PlanContext) -> Box<dyn Plan>;

/// Reads a transform's configuration table.
pub type Configure = fn(&toml::Table, &mut Settings) -> Result<(), String>;

impl Transform {
    /// A transform that does nothing, to fill in the fields one leaves out:
    /// `Transform { name: …, run, ..Transform::BASE }`.
    pub const BASE: Transform = Transform {
        name: "",
        safety: Safety::Safe,
        summary: "",
        ruff_code: None,
        source: "",
        run: |_, _| {},
        plan: None,
        configure: None,
        requires: None,
    };

    /// The documentation: the transform file's leading `//!` comment, as Markdown.
    pub fn documentation(&self) -> String {
        let mut lines = Vec::new();
        for line in self.source.lines() {
            let Some(doc) = line.strip_prefix("//!") else {
                break;
            };
            lines.push(doc.strip_prefix(' ').unwrap_or(doc));
        }
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }
}

impl std::fmt::Debug for Transform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transform")
            .field("name", &self.name)
            .field("safety", &self.safety)
            .finish()
    }
}

/// Options that change what transforms write.
#[derive(Debug, Clone)]
pub struct TransformOptions {
    /// The oldest Python the code must run on.
    pub target_version: PythonVersion,
    /// The longest line new code may write before it is wrapped the way
    /// black and ruff's formatter would wrap it.
    pub line_length: usize,
    /// What transforms read from their own configuration tables.
    pub settings: Settings,
}

impl Default for TransformOptions {
    fn default() -> Self {
        TransformOptions {
            target_version: PythonVersion::PY39,
            line_length: 88,
            settings: Settings::default(),
        }
    }
}

/// Everything a transform may read about one file.
pub struct FileContext<'a> {
    pub source: &'a SourceFile,
    pub module: &'a ModModule,
    pub tokens: &'a Tokens,
    pub facts: &'a FastApiFacts<'a>,
    pub suppressions: &'a Suppressions,
    pub options: &'a TransformOptions,
    /// The project this file belongs to (empty for a lone file).
    pub project: &'a Project,
    /// This file's dotted module name, when it is part of a project.
    pub module_name: Option<&'a str>,
    /// The transforms running in this pass.
    pub selected: &'a [&'static Transform],
    /// Whether this file is a package's `__init__.py`.
    pub is_package: bool,
    /// The plans this file's transforms looked at, by type.
    pub(crate) consulted: RefCell<Vec<TypeId>>,
    /// The project's answers about other modules' objects, kept for the
    /// file's run.
    pub(crate) types: crate::python::blocking::RememberedTypes<'a>,
    /// A first look, in the index pass: it is of use only if it finds
    /// nothing to fix, so it may stop at the first fix that applies.
    pub first_look: bool,
}

impl<'a> FileContext<'a> {
    pub fn importer(&self) -> Importer<'a> {
        let package = self.module_name.and_then(|name| name.split('.').next());
        Importer::new(self.module, &self.facts.imports, self.source)
            .with_first_party(package)
            .with_runtime_names(&self.facts.runtime_import_names)
            .with_line_length(self.options.line_length)
    }

    /// How this file writes an import of the project module `module`:
    /// relative (`..deps`) when the file imports relatively already, else
    /// absolute.
    pub fn module_spelling(&self, module: &str) -> String {
        let relative = self
            .facts
            .imports
            .iter()
            .any(|(_, target)| target.starts_with('.'));
        match self.module_name.filter(|_| relative) {
            Some(here) => crate::python::imports::relative_spelling(here, self.is_package, module)
                .unwrap_or_else(|| module.to_string()),
            None => module.to_string(),
        }
    }

    /// The module `typing`-only names like `Annotated` come from for the target version.
    pub fn typing_module(&self) -> &'static str {
        if self.options.target_version >= PythonVersion::PY39 {
            "typing"
        } else {
            "typing_extensions"
        }
    }

    /// The lines of a function's header, from its first decorator to the
    /// `def` line: a suppression comment there covers the whole signature.
    /// None when the file has no suppression comment, which most have not.
    pub fn header_lines(&self, function: &ruff_python_ast::StmtFunctionDef) -> Vec<usize> {
        use ruff_text_size::Ranged;
        if self.suppressions.is_empty() {
            return Vec::new();
        }
        let start = function
            .decorator_list
            .first()
            .map_or(function.start(), Ranged::start);
        (self.source.line_number(start)..=self.source.line_number(function.name.start())).collect()
    }

    /// What a function's own body blocks on and awaits, judged with this
    /// file's facts, the project and the configured blocking calls.
    pub fn blocking_in<'f>(
        &self,
        function: &'f ruff_python_ast::StmtFunctionDef,
    ) -> crate::python::blocking::AsyncBody<'f> {
        let configured = self
            .options
            .settings
            .get::<crate::python::blocking::BlockingCalls>()
            .map_or(&[][..], |calls| calls.0.as_slice());
        crate::python::blocking::analyze(
            self.facts,
            &self.types,
            self.module_name,
            self.is_package,
            configured,
            function,
        )
    }

    /// Whether this run is a first look ([`crate::project::pipeline::first_look`]),
    /// which is thrown away as soon as it finds a fix that applies: a
    /// transform may stop once `findings` has one.
    pub fn is_first_look(&self) -> bool {
        self.first_look
    }

    /// Whether `transform` runs in this pass.
    pub fn is_selected(&self, transform: &Transform) -> bool {
        self.selected
            .iter()
            .any(|selected| std::ptr::eq(*selected, transform))
    }

    /// The run's plan of type `P`, when the transform that makes it runs in
    /// this project. A file that looks at a plan is run again when the plan
    /// withdraws a promise.
    pub fn plan<P: Plan>(&self) -> Option<&'a P> {
        let kind = TypeId::of::<P>();
        let mut consulted = self.consulted.borrow_mut();
        if !consulted.contains(&kind) {
            consulted.push(kind);
        }
        self.project.plan::<P>()
    }

    /// Whether `transform` is suppressed by a comment on any line from
    /// `range`'s first line to its last, or on one of `extra_lines`.
    pub fn is_suppressed(
        &self,
        transform: &Transform,
        range: TextRange,
        extra_lines: &[usize],
    ) -> bool {
        if self.suppressions.is_empty() {
            return false;
        }
        let first = self.source.line_number(range.start());
        let last = self.source.line_number(range.end());
        (first..=last)
            .chain(extra_lines.iter().copied())
            .any(|line| {
                self.suppressions
                    .is_suppressed(line, transform.name, transform.ruff_code)
            })
    }
}

/// Where a transform puts what it finds.
#[derive(Debug, Default)]
pub struct Findings {
    findings: Vec<Finding>,
    /// Set on a first look (see [`FileContext::is_first_look`]) once a
    /// finding carries a fix that applies.
    found_fix: bool,
    /// Whether unsafe fixes apply.
    unsafe_fixes: bool,
}

impl Findings {
    /// Findings of a run in which unsafe fixes apply or not.
    pub fn new(unsafe_fixes: bool) -> Self {
        Findings {
            unsafe_fixes,
            ..Findings::default()
        }
    }

    /// Whether some finding so far carries a fix that applies.
    pub fn has_applicable_fix(&self) -> bool {
        self.found_fix
    }

    pub fn push(
        &mut self,
        transform: &Transform,
        range: TextRange,
        message: impl Into<String>,
        fix: Option<Fix>,
    ) {
        self.found_fix |= fix
            .as_ref()
            .is_some_and(|fix| fix.safety() != Safety::Unsafe || self.unsafe_fixes);
        self.findings.push(Finding {
            transform: transform.name,
            range,
            message: message.into(),
            fix,
        });
    }

    pub fn into_vec(self) -> Vec<Finding> {
        self.findings
    }
}
