//! # dependency-overrides (unsafe)
//!
//! ## What it does
//! In tests, finds two mistakes with FastAPI dependencies and rewrites them:
//!
//! - **A patch that does nothing.** `mock.patch("app.deps.get_current_user",
//!   …)`, `mocker.patch(…)` or `monkeypatch.setattr(…)` aimed at a function
//!   that routes take through `Depends(…)`. Routes captured the function
//!   when they were declared, so the patch never reaches them and the test
//!   silently runs the real dependency. The patch becomes an override of
//!   the app the tests drive, undone when the patch would have been:
//!   `with patch(…)` becomes `with patch.dict(app.dependency_overrides,
//!   {get_current_user: fake})`, `mocker.patch(…)` becomes
//!   `mocker.patch.dict(…)`, and `monkeypatch.setattr(…)` becomes
//!   `monkeypatch.setitem(app.dependency_overrides, get_current_user,
//!   fake)`. `return_value=user` gives the fake `lambda: user`; `new=` or
//!   the second argument is the fake itself.
//! - **An override never cleared.** `app.dependency_overrides[get_db] =
//!   override_get_db` at module level, or in a test or fixture of a project
//!   that never clears its overrides, leaks into every later test (pytest
//!   imports every test module before it runs the first). At module level
//!   it becomes an `autouse` fixture of that module; in a test or fixture,
//!   `monkeypatch.setitem(app.dependency_overrides, get_db,
//!   override_get_db)`, which pytest undoes after the test (the function
//!   takes `monkeypatch` when it does not yet).
//!
//! **The app** is the project's module-level `FastAPI()` instance (the
//! one the test's client wraps), by the name the test module imports it
//! under, or imported from its module.
//!
//! Reported, not rewritten: a patch whose mock the test goes on to use
//! (no `new=`, `return_value=` or fake given, or `as mock` used), a
//! `return_value=` that is not a plain name or literal (the patch
//! evaluates it once; a lambda would on every request), a fake that takes
//! parameters (FastAPI would read them as the request's), a decorator
//! `@patch(…)` (its mock is an argument of the test), a comment inside the
//! call, a dependency the code also calls directly (the patch may be meant
//! for those calls), an override set inside a module-level `if`/`try`/
//! class, on a line it shares, in a `conftest.py` (meant for every test,
//! session fixtures included) or a unittest module, or in a function
//! pytest does not call with fixtures (a helper, `setUp`), and a project
//! with no single module-level app.
//!
//! ## Why is this bad?
//! A test that patches a dependency passes against the real one: it
//! authenticates for real, or writes to the real database. An override
//! that is never cleared makes tests pass or fail by the order they run
//! in. FastAPI's documented way is `app.dependency_overrides`, cleared
//! after each test.
//!
//! ## Example
//! ```python
//! # file: app/main.py
//! from fastapi import Depends, FastAPI
//!
//! from app.deps import get_current_user
//!
//! app = FastAPI()
//!
//!
//! @app.get("/me")
//! def me(user: str = Depends(get_current_user)):
//!     return {"user": user}
//! # file: app/deps.py
//! def get_current_user() -> str:
//!     raise RuntimeError("no token")
//! # file: tests/test_me.py
//! from unittest import mock
//!
//! from fastapi.testclient import TestClient
//!
//! from app.main import app
//!
//! client = TestClient(app)
//!
//!
//! def test_me():
//!     with mock.patch("app.deps.get_current_user", return_value="alice"):
//!         assert client.get("/me").json() == {"user": "alice"}
//! ```
//!
//! Use instead:
//! ```python
//! # file: app/main.py
//! from fastapi import Depends, FastAPI
//!
//! from app.deps import get_current_user
//!
//! app = FastAPI()
//!
//!
//! @app.get("/me")
//! def me(user: str = Depends(get_current_user)):
//!     return {"user": user}
//! # file: app/deps.py
//! def get_current_user() -> str:
//!     raise RuntimeError("no token")
//! # file: tests/test_me.py
//! from unittest import mock
//!
//! from fastapi.testclient import TestClient
//!
//! from app.deps import get_current_user
//! from app.main import app
//!
//! client = TestClient(app)
//!
//!
//! def test_me():
//!     with mock.patch.dict(app.dependency_overrides, {get_current_user: lambda: "alice"}):
//!         assert client.get("/me").json() == {"user": "alice"}
//! ```
//!
//! ## Fix safety
//! Unsafe: the tests change what they run. A test that patched a
//! dependency now gets the fake, so it may fail where it used to pass
//! against the real dependency, which is the point; a test of another
//! module that relied on a leaked override now runs the real dependency.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::project::layout::is_test_module;
use crate::project::plan::{Plan, PlanContext, PlanFile};
use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::extraction::names_read;
use crate::python::fastapi::qualified_in;
use crate::python::imports::Symbol;
use crate::text::edit::{Edit, Fix, Safety};

pub static TRANSFORM: Transform = Transform {
    name: "dependency-overrides",
    safety: Safety::Unsafe,
    summary: "in tests, a patch of a dependency (which routes never see) → `app.dependency_overrides`, undone after the test; overrides never cleared get their cleanup",
    ruff_code: None,
    source: include_str!("dependency_overrides.rs"),
    run,
    plan: Some(plan),
    configure: None,
    requires: None,
};

/// The app the tests drive, and whether the project clears overrides.
#[derive(Debug, Default)]
pub struct OverridePlan {
    /// The module-level app: its module and name.
    app: Option<(String, String)>,
    /// Whether some `conftest.py` clears overrides.
    conftest_clears: bool,
}

fn plan(context: &PlanContext) -> Box<dyn Plan> {
    let index = context.index;
    let mut apps: Vec<(String, String)> = index
        .modules()
        .filter(|module| module.makes_app && !is_test_module(&module.name))
        .filter_map(|module| {
            let name = module
                .routing
                .apps
                .iter()
                .find(|app| module.bound_names.contains(app.as_str()))?;
            Some((module.name.clone(), name.to_string()))
        })
        .collect();
    apps.sort();
    apps.dedup();
    Box::new(OverridePlan {
        app: (apps.len() == 1).then(|| apps.remove(0)),
        conftest_clears: index.modules().any(|module| {
            module.name.rsplit('.').next() == Some("conftest") && module.clears_dependency_overrides
        }),
    })
}

impl Plan for OverridePlan {
    fn concerns(&self, file: &PlanFile) -> bool {
        file.module_name.is_some_and(is_test_module)
            && file.summary.is_none_or(|summary| summary.uses_test_doubles)
    }
}

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(module) = context.module_name.filter(|module| is_test_module(module)) else {
        return;
    };
    let text = context.source.text();
    if !text.contains("patch")
        && !text.contains("setattr")
        && !text.contains("dependency_overrides")
    {
        return;
    }
    let Some(plan) = context.plan::<OverridePlan>() else {
        return;
    };
    let mut sites = Sites::default();
    sites.visit_body(&context.module.body);
    let cleared = plan.conftest_clears || crate::project::index::clears_dependency_overrides(text);
    for site in sites.patches {
        patch_finding(context, plan, module, &site, findings);
    }
    let (module_level, in_functions): (Vec<OverrideSite>, Vec<OverrideSite>) = sites
        .overrides
        .into_iter()
        .partition(|site| site.function.is_none());
    for site in in_functions {
        override_finding(context, &site, cleared, findings);
    }
    // A conftest's overrides are meant for every test (and session
    // fixtures may use them); unittest modules have no fixtures.
    let module_fix = !module.ends_with("conftest")
        && !text.contains("unittest.main(")
        && !text.contains("TestCase)");
    let (own, nested): (Vec<OverrideSite>, Vec<OverrideSite>) =
        module_level.into_iter().partition(|site| {
            site.top_level && module_fix && alone_on_its_lines(context, site.assign.range())
        });
    for site in nested {
        let target = &context.source.text()[site.assign.targets[0].range()];
        findings.push(
            &TRANSFORM,
            site.assign.range(),
            format!("`{target}` is set when the module is imported and never undone: it leaks into every test of the run"),
            None,
        );
    }
    for group in adjacent(context, own) {
        module_overrides(context, &group, findings);
    }
}

/// A call that patches, where it stands.
struct PatchSite<'a> {
    call: &'a ast::ExprCall,
    /// `with patch(…) as name:`'s name, when the call is a `with` item.
    with_item: Option<Option<&'a Expr>>,
    /// The call is a statement of its own.
    statement: bool,
    decorator: bool,
    /// The body the `with` covers.
    with_body: &'a [Stmt],
}

/// `X.dependency_overrides[K] = V`, where it stands.
struct OverrideSite<'a> {
    assign: &'a ast::StmtAssign,
    function: Option<&'a ast::StmtFunctionDef>,
    /// Whether pytest calls the function with fixtures: a module-level
    /// `test_…`, a `test_…` method of a plain `Test…` class, a fixture.
    takes_fixtures: bool,
    /// Whether the statement is one of the module's own (not inside an
    /// `if`, `try`, `with` or class at module level).
    top_level: bool,
}

#[derive(Default)]
struct Sites<'a> {
    patches: Vec<PatchSite<'a>>,
    overrides: Vec<OverrideSite<'a>>,
    function: Option<&'a ast::StmtFunctionDef>,
    /// Whether the current function takes fixtures from pytest.
    takes_fixtures: bool,
    /// The class the visit is in, directly.
    class: Option<&'a ast::StmtClassDef>,
    /// How deep in blocks the visit is, outside functions.
    depth: usize,
}

impl<'a> Visitor<'a> for Sites<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(function) => {
                for decorator in &function.decorator_list {
                    if let Expr::Call(call) = &decorator.expression {
                        self.patches.push(PatchSite {
                            call,
                            with_item: None,
                            statement: false,
                            decorator: true,
                            with_body: &[],
                        });
                    }
                }
                let is_fixture = function.decorator_list.iter().any(|decorator| {
                    let callee = match &decorator.expression {
                        Expr::Call(call) => call.func.as_ref(),
                        other => other,
                    };
                    matches!(callee, Expr::Attribute(attribute) if attribute.attr.as_str() == "fixture")
                        || matches!(callee, Expr::Name(name) if name.id.as_str() == "fixture")
                });
                let is_test = function.name.starts_with("test");
                let module_level =
                    self.function.is_none() && self.class.is_none() && self.depth == 0;
                let plain_test_class = self.function.is_none()
                    && self.depth == 1
                    && self.class.is_some_and(|class| {
                        class.name.starts_with("Test")
                            && class
                                .arguments
                                .as_ref()
                                .is_none_or(|bases| bases.is_empty())
                    });
                let takes = (is_fixture || is_test) && (module_level || plain_test_class);
                let outer = self.function.replace(function);
                let outer_takes = std::mem::replace(&mut self.takes_fixtures, takes);
                let outer_class = self.class.take();
                self.visit_body(&function.body);
                self.function = outer;
                self.takes_fixtures = outer_takes;
                self.class = outer_class;
                return;
            }
            Stmt::ClassDef(class) => {
                let outer = self.class.replace(class);
                self.depth += 1;
                self.visit_body(&class.body);
                self.depth -= 1;
                self.class = outer;
                return;
            }
            Stmt::With(with) => {
                for item in &with.items {
                    if let Expr::Call(call) = &item.context_expr {
                        self.patches.push(PatchSite {
                            call,
                            with_item: Some(item.optional_vars.as_deref()),
                            statement: false,
                            decorator: false,
                            with_body: &with.body,
                        });
                    }
                }
                self.depth += usize::from(self.function.is_none());
                self.visit_body(&with.body);
                self.depth -= usize::from(self.function.is_none());
                return;
            }
            Stmt::Expr(expr) => {
                if let Expr::Call(call) = expr.value.as_ref() {
                    self.patches.push(PatchSite {
                        call,
                        with_item: None,
                        statement: true,
                        decorator: false,
                        with_body: &[],
                    });
                }
            }
            Stmt::Assign(assign) => {
                if let [Expr::Subscript(subscript)] = assign.targets.as_slice()
                    && let Expr::Attribute(attribute) = subscript.value.as_ref()
                    && attribute.attr.as_str() == "dependency_overrides"
                {
                    self.overrides.push(OverrideSite {
                        assign,
                        function: self.function,
                        takes_fixtures: self.takes_fixtures,
                        top_level: self.function.is_none() && self.depth == 0,
                    });
                }
            }
            _ => {}
        }
        let block = self.function.is_none()
            && matches!(
                stmt,
                Stmt::If(_)
                    | Stmt::Try(_)
                    | Stmt::With(_)
                    | Stmt::For(_)
                    | Stmt::While(_)
                    | Stmt::Match(_)
            );
        self.depth += usize::from(block);
        visitor::walk_stmt(self, stmt);
        self.depth -= usize::from(block);
    }
}

/// How a call patches: `patch`-like (`unittest.mock.patch`, `mocker.patch`)
/// or `monkeypatch.setattr`.
enum Patcher {
    Mock,
    MonkeyPatch,
}

fn patcher(context: &FileContext, call: &ast::ExprCall) -> Option<Patcher> {
    let facts = context.facts;
    if facts.resolves_to(&call.func, "unittest.mock.patch")
        || facts.resolves_to(&call.func, "mock.patch")
    {
        return Some(Patcher::Mock);
    }
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return None;
    };
    match (attribute.value.as_ref(), attribute.attr.as_str()) {
        (Expr::Name(name), "patch") if name.id.as_str() == "mocker" => Some(Patcher::Mock),
        (Expr::Name(name), "setattr") if name.id.as_str() == "monkeypatch" => {
            Some(Patcher::MonkeyPatch)
        }
        _ => None,
    }
}

fn patch_finding(
    context: &FileContext,
    plan: &OverridePlan,
    module: &str,
    site: &PatchSite,
    findings: &mut Findings,
) {
    let Some(kind) = patcher(context, site.call) else {
        return;
    };
    let index = &context.project.index;
    let arguments = &site.call.arguments;
    // The patched target, qualified, and the fake's argument.
    let (target, fake_at) = match (&kind, arguments.args.first()) {
        (Patcher::Mock, Some(Expr::StringLiteral(target))) => {
            (target.value.to_str().to_string(), 1)
        }
        (Patcher::MonkeyPatch, Some(Expr::StringLiteral(target))) => {
            (target.value.to_str().to_string(), 1)
        }
        (Patcher::MonkeyPatch, Some(object)) => {
            let Some(Expr::StringLiteral(name)) = arguments.args.get(1) else {
                return;
            };
            let Some(object) = qualified_in(context.facts, module, context.is_package, object)
            else {
                return;
            };
            (format!("{object}.{}", name.value.to_str()), 2)
        }
        _ => return,
    };
    let dependency = resolved(index, &target);
    if !index.is_used_as_dependency(&dependency) || index.function(&dependency).is_none() {
        return;
    }
    // Called directly too, the patch may be meant for those calls.
    let (defined_in, function_name) = dependency.rsplit_once('.').unwrap_or(("", &dependency));
    let called_directly = index.is_called_from_elsewhere(defined_in, function_name)
        || index
            .module(defined_in)
            .is_some_and(|home| home.called.contains(dependency.as_str()));
    let range = site.call.range();
    if context.is_suppressed(&TRANSFORM, range, &[]) {
        return;
    }
    let has_comment = crate::python::syntax::tokens_within(context.tokens, range)
        .iter()
        .any(|token| token.kind() == ruff_python_ast::token::TokenKind::Comment);
    let short = dependency
        .rsplit('.')
        .next()
        .unwrap_or(&dependency)
        .to_string();
    let message = format!(
        "`{target}` is used through `Depends`: routes never see this patch, so the test runs the real `{short}`"
    );
    let refuse = |findings: &mut Findings, why: &str| {
        findings.push(
            &TRANSFORM,
            range,
            format!("{message}; override it in `app.dependency_overrides` ({why})"),
            None,
        );
    };
    if has_comment {
        return refuse(findings, "a comment inside the call would be lost");
    }
    if called_directly {
        return refuse(
            findings,
            "the code also calls it directly, so the patch may be meant for those calls",
        );
    }
    if site.decorator {
        return refuse(
            findings,
            "a decorator's mock is an argument of the test: rewrite it by hand",
        );
    }
    if site.with_item.is_none() && !site.statement {
        return refuse(findings, "the patch's result is used");
    }
    if let Some(Some(name)) = site.with_item {
        let Expr::Name(name) = name else {
            return refuse(findings, "the mock is unpacked");
        };
        let uses = context
            .source
            .text()
            .match_indices(name.id.as_str())
            .filter(|(at, _)| {
                let text = context.source.text();
                let before = text[..*at].chars().next_back();
                let after = text[at + name.id.len()..].chars().next();
                let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !part(before) && !part(after)
            });
        if names_read(site.with_body).contains(&name.id.as_str()) || uses.count() > 1 {
            return refuse(findings, "the test uses the mock");
        }
    }
    let Some((app_module, app_name)) = &plan.app else {
        return refuse(
            findings,
            "the project has no single module-level app to override on",
        );
    };
    let text = context.source.text();
    // The fake.
    let fake = match kind {
        Patcher::Mock => {
            let mut fake = None;
            for keyword in &arguments.keywords {
                let value = &text[keyword.value.range()];
                match keyword.arg.as_ref().map(|arg| arg.as_str()) {
                    Some("new") => fake = Some(fake_text(context, &keyword.value, value)),
                    // Evaluated once by the patch: a name or a literal
                    // gives the same object from a lambda.
                    Some("return_value") => {
                        fake = Some(
                            is_plain_value(&keyword.value).then(|| format!("lambda: {value}")),
                        );
                    }
                    Some("side_effect") => fake = Some(fake_text(context, &keyword.value, value)),
                    _ => {
                        return refuse(
                            findings,
                            "the patch takes arguments an override has no use for",
                        );
                    }
                }
            }
            if let Some(value) = arguments.args.get(fake_at) {
                fake = Some(fake_text(context, value, &text[value.range()]));
            }
            if arguments.args.len() > fake_at + 1 {
                return refuse(
                    findings,
                    "the patch takes arguments an override has no use for",
                );
            }
            match fake {
                Some(Some(fake)) => fake,
                Some(None) => {
                    return refuse(
                        findings,
                        "FastAPI would read the fake's parameters as the request's",
                    );
                }
                None => return refuse(findings, "no fake is given: the test uses the mock"),
            }
        }
        Patcher::MonkeyPatch => {
            if !arguments.keywords.is_empty() || arguments.args.len() != fake_at + 1 {
                return refuse(findings, "the call takes other arguments");
            }
            let value = &arguments.args[fake_at];
            match fake_text(context, value, &text[value.range()]) {
                Some(fake) => fake,
                None => {
                    return refuse(
                        findings,
                        "FastAPI would read the fake's parameters as the request's",
                    );
                }
            }
        }
    };
    let symbols = [
        Symbol::owned(app_module.clone(), app_name.clone()),
        Symbol::owned(
            dependency
                .rsplit_once('.')
                .map_or("", |(module, _)| module)
                .to_string(),
            short.clone(),
        ),
    ];
    // Tests import the app's package as their first party.
    let first_party = app_module.split('.').next();
    let imported = context
        .importer()
        .with_first_party(first_party)
        .import(&symbols);
    let app = &imported.references[0];
    let dependency_reference = &imported.references[1];
    let callee = &text[site.call.func.range()];
    let replacement = match kind {
        Patcher::Mock => {
            format!("{callee}.dict({app}.dependency_overrides, {{{dependency_reference}: {fake}}})")
        }
        Patcher::MonkeyPatch => {
            let receiver = callee.strip_suffix(".setattr").unwrap_or("monkeypatch");
            format!(
                "{receiver}.setitem({app}.dependency_overrides, {dependency_reference}, {fake})"
            )
        }
    };
    let mut edits = imported.edits;
    let replaced = match site.with_item {
        // `as mock` the test no longer uses goes with the mock.
        Some(Some(name)) => TextRange::new(range.start(), name.end()),
        _ => range,
    };
    edits.push(Edit::replacement(replacement, replaced));
    findings.push(
        &TRANSFORM,
        range,
        message,
        Some(Fix::new(
            format!("Override `{short}` on the app"),
            edits,
            Safety::Unsafe,
        )),
    );
}

/// A value a lambda may return again and again for the same object: a
/// name, an attribute, a literal.
fn is_plain_value(value: &Expr) -> bool {
    match value {
        Expr::Name(_) | Expr::Attribute(_) => true,
        Expr::StringLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_) => true,
        Expr::UnaryOp(unary) => is_plain_value(&unary.operand),
        _ => false,
    }
}

/// What a dotted path a test patches names, through the modules it passes:
/// `app.main.deps.get_current_user`, where `app.main` imports `deps`, is
/// `app.deps.get_current_user`; re-exports followed.
fn resolved(index: &crate::project::index::ProjectIndex, target: &str) -> String {
    let mut target = target.to_string();
    for _ in 0..8 {
        let parts: Vec<&str> = target.split('.').collect();
        let Some(split) = (1..parts.len())
            .rev()
            .find(|&at| index.module(&parts[..at].join(".")).is_some())
        else {
            break;
        };
        let module = index
            .module(&parts[..split].join("."))
            .expect("found above");
        match module.imports.get(parts[split]) {
            Some(qualified) if split + 1 < parts.len() => {
                target = format!("{qualified}.{}", parts[split + 1..].join("."));
            }
            _ => break,
        }
    }
    index.canonical(&target)
}

/// The fake as an override: a lambda or a function of this module that
/// takes nothing. `None` otherwise: FastAPI would read its parameters as
/// the request's.
fn fake_text(context: &FileContext, fake: &Expr, written: &str) -> Option<String> {
    match fake {
        Expr::Lambda(lambda) => lambda.parameters.is_none().then(|| written.to_string()),
        Expr::Name(name) => {
            let takes_nothing = context.facts.functions.iter().any(|function| {
                function.name.as_str() == name.id.as_str() && function.parameters.is_empty()
            });
            takes_nothing.then(|| written.to_string())
        }
        _ => None,
    }
}

fn override_finding(
    context: &FileContext,
    site: &OverrideSite,
    cleared: bool,
    findings: &mut Findings,
) {
    let assign = site.assign;
    let range = assign.range();
    if context.is_suppressed(&TRANSFORM, range, &[]) {
        return;
    }
    let [Expr::Subscript(subscript)] = assign.targets.as_slice() else {
        return;
    };
    let text = context.source.text();
    let overrides = &text[subscript.value.range()];
    let key = &text[subscript.slice.range()];
    let value = &text[assign.value.range()];
    match site.function {
        None => {}
        Some(function) => {
            if cleared {
                return;
            }
            if !site.takes_fixtures || !alone_on_its_lines(context, range) {
                let message = format!(
                    "`{overrides}[{key}]` is never undone: it leaks into the tests that run after `{}`; undo it after the test",
                    function.name
                );
                findings.push(&TRANSFORM, range, message, None);
                return;
            }
            let message = format!(
                "`{overrides}[{key}]` is never undone: it leaks into the tests that run after `{}`",
                function.name
            );
            if crate::project::index::body_yields(&function.body) {
                // A yield fixture may clear after its yield; this one does not.
                findings.push(
                    &TRANSFORM,
                    range,
                    format!("{message}; clear it after the `yield`"),
                    None,
                );
                return;
            }
            let parameters = &function.parameters;
            let has_monkeypatch = parameters
                .iter()
                .any(|parameter| parameter.name().as_str() == "monkeypatch");
            let mut edits = Vec::new();
            if !has_monkeypatch {
                if parameters.vararg.is_some()
                    || parameters.kwarg.is_some()
                    || !parameters.kwonlyargs.is_empty()
                    || !parameters.posonlyargs.is_empty()
                {
                    findings.push(&TRANSFORM, range, message, None);
                    return;
                }
                let insertion = match parameters.args.last() {
                    Some(last) => Edit::insertion(", monkeypatch", last.end()),
                    None => Edit::insertion(
                        "monkeypatch",
                        parameters.end() - ruff_text_size::TextSize::from(1),
                    ),
                };
                edits.push(insertion);
            }
            edits.push(Edit::replacement(
                format!("monkeypatch.setitem({overrides}, {key}, {value})"),
                range,
            ));
            findings.push(
                &TRANSFORM,
                range,
                message,
                Some(Fix::new(
                    "Undo the override after the test",
                    edits,
                    Safety::Unsafe,
                )),
            );
        }
    }
}

/// Whether a statement has its lines to itself: nothing before it on its
/// first line, and at most a comment after it on its last (no `;`).
fn alone_on_its_lines(context: &FileContext, range: TextRange) -> bool {
    let source = context.source;
    let text = source.text();
    let before = &text[TextRange::new(source.line_start(range.start()), range.start())];
    let after = &text[TextRange::new(range.end(), source.full_line_end(range.end()))];
    before.trim().is_empty() && (after.trim().is_empty() || after.trim_start().starts_with('#'))
}

/// Module-level overrides in runs of statements with nothing else between them.
fn adjacent<'a>(context: &FileContext, sites: Vec<OverrideSite<'a>>) -> Vec<Vec<OverrideSite<'a>>> {
    let text = context.source.text();
    let mut groups: Vec<Vec<OverrideSite>> = Vec::new();
    for site in sites {
        if let Some(group) = groups.last_mut()
            && let Some(last) = group.last()
            && text[TextRange::new(last.assign.end(), site.assign.start())]
                .lines()
                .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
        {
            group.push(site);
            continue;
        }
        groups.push(vec![site]);
    }
    groups
}

/// Overrides set when the module is imported become one `autouse` fixture
/// of the module, which pytest undoes after each test.
fn module_overrides(context: &FileContext, group: &[OverrideSite], findings: &mut Findings) {
    let text = context.source.text();
    let source = context.source;
    let ending = source.line_ending().as_str();
    let unit = source.indent_unit();
    let mut lines = Vec::new();
    for (number, site) in group.iter().enumerate() {
        let [Expr::Subscript(subscript)] = site.assign.targets.as_slice() else {
            return;
        };
        // Comments between the overrides stay with them, in the fixture.
        if number > 0 {
            let previous = crate::python::extraction::with_trailing_comment(
                text,
                group[number - 1].assign.range(),
            );
            let between = &text[TextRange::new(previous.end(), site.assign.start())];
            for line in between
                .lines()
                .map(str::trim)
                .filter(|line| line.starts_with('#'))
            {
                lines.push(format!("{unit}{line}"));
            }
        }
        let kept = crate::python::extraction::with_trailing_comment(text, site.assign.range());
        let trailing = &text[TextRange::new(site.assign.end(), kept.end())];
        lines.push(format!(
            "{unit}monkeypatch.setitem({}, {}, {}){trailing}",
            &text[subscript.value.range()],
            &text[subscript.slice.range()],
            &text[site.assign.value.range()]
        ));
    }
    let first = group[0].assign;
    let last = group[group.len() - 1].assign;
    let range = crate::python::extraction::with_trailing_comment(
        text,
        TextRange::new(first.start(), last.end()),
    );
    if group
        .iter()
        .any(|site| context.is_suppressed(&TRANSFORM, site.assign.range(), &[]))
    {
        return;
    }
    let keys: Vec<String> = group
        .iter()
        .filter_map(|site| match site.assign.targets.as_slice() {
            [Expr::Subscript(subscript)] => Some(format!(
                "`{}[{}]`",
                &text[subscript.value.range()],
                &text[subscript.slice.range()]
            )),
            _ => None,
        })
        .collect();
    let message = format!(
        "{} {} set when the module is imported and never undone: it leaks into every test of the run",
        keys.join(", "),
        if keys.len() == 1 { "is" } else { "are" }
    );
    // A name the module does not spell anywhere: a star import may bind any other.
    let Some(name) = std::iter::once("override_dependencies".to_string())
        .chain((2..10).map(|number| format!("override_dependencies_{number}")))
        .find(|name| !crate::python::naming::mentions_identifier(text, name))
    else {
        return;
    };
    let (pytest, pytest_edit) = context.importer().import_module("pytest");
    // Two blank lines around the new top-level function.
    let blank_before = text[..usize::from(source.line_start(first.start()))]
        .lines()
        .rev()
        .take_while(|line| line.trim().is_empty())
        .count();
    let line_end = source.full_line_end(last.end());
    let blank_after = text[usize::from(line_end)..]
        .lines()
        .take_while(|line| line.trim().is_empty())
        .count();
    let at_end = text[usize::from(line_end)..].trim().is_empty();
    let mut fixture = ending.repeat(2usize.saturating_sub(blank_before));
    fixture.push_str(&format!(
        "@{pytest}.fixture(autouse=True){ending}def {name}(monkeypatch):{ending}{}",
        lines.join(ending)
    ));
    if !at_end {
        fixture.push_str(&ending.repeat(2usize.saturating_sub(blank_after)));
    }
    let mut edits: Vec<Edit> = pytest_edit.into_iter().collect();
    edits.push(Edit::replacement(fixture, range));
    let fix = Fix::new(
        "Set the overrides in an autouse fixture",
        edits,
        Safety::Unsafe,
    );
    findings.push(&TRANSFORM, range, message, Some(fix));
}
