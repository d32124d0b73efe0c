//! Which names a module's imports bind, and which names its code refers
//! to: what the engine needs to remove exactly the imports that fixes left
//! unused, the way pyflakes judges them.
//!
//! A name counts as referred to when code loads or deletes it anywhere in
//! the file (a local of the same name counts too, to be safe), when a
//! string annotation (`"User"`, `list["models.User"]`) names it, when
//! `__all__` lists it, or when a `# type:` comment mentions it.

use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, ModModule, Stmt};
use ruff_text_size::Ranged;

use crate::python::fastapi::dotted_text;
use crate::text::source::SourceFile;

/// A name bound by an import at module level, or in a module-level
/// `if TYPE_CHECKING:` block.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImportBinding {
    /// The name the import binds (`os` for `import os.path`).
    pub local: String,
    /// What it imports, as written: `os.path`, `.deps.get_db`.
    pub target: String,
    /// Bound only for type checkers.
    pub under_type_checking: bool,
    /// Written `name as name`: an explicit re-export, which pyflakes (and
    /// type checkers) take as meant for other modules.
    pub explicit_re_export: bool,
}

/// The imports whose names may be removed when nothing uses them: those of
/// top-level statements and of module-level `if TYPE_CHECKING:` blocks
/// (imports in other blocks, such as `try: import x`, are left alone).
pub fn module_imports(module: &ModModule) -> Vec<ImportBinding> {
    let mut bindings = Vec::new();
    for stmt in &module.body {
        match stmt {
            Stmt::Import(_) | Stmt::ImportFrom(_) => import_bindings(stmt, false, &mut bindings),
            Stmt::If(branch) if is_type_checking(&branch.test) => {
                for inner in &branch.body {
                    import_bindings(inner, true, &mut bindings);
                }
            }
            _ => {}
        }
    }
    bindings
}

/// Whether a test is `TYPE_CHECKING` (or `typing.TYPE_CHECKING`, any alias).
pub fn is_type_checking(test: &Expr) -> bool {
    dotted_text(test)
        .is_some_and(|text| text == "TYPE_CHECKING" || text.ends_with(".TYPE_CHECKING"))
}

fn import_bindings(stmt: &Stmt, under_type_checking: bool, bindings: &mut Vec<ImportBinding>) {
    match stmt {
        Stmt::Import(import) => {
            for alias in &import.names {
                let module = alias.name.id.as_str();
                let local = match &alias.asname {
                    Some(asname) => asname.id.to_string(),
                    None => module.split('.').next().unwrap_or(module).to_string(),
                };
                bindings.push(ImportBinding {
                    explicit_re_export: alias
                        .asname
                        .as_ref()
                        .is_some_and(|asname| asname.id == module),
                    local,
                    target: module.to_string(),
                    under_type_checking,
                });
            }
        }
        Stmt::ImportFrom(import) => {
            let prefix = format!(
                "{}{}",
                ".".repeat(import.level as usize),
                import
                    .module
                    .as_ref()
                    .map_or("", |module| module.id.as_str())
            );
            for alias in &import.names {
                let name = alias.name.id.as_str();
                if name == "*" {
                    continue;
                }
                let local = alias
                    .asname
                    .as_ref()
                    .map_or(name, |asname| asname.id.as_str());
                let target = if prefix.ends_with('.') {
                    format!("{prefix}{name}")
                } else {
                    format!("{prefix}.{name}")
                };
                bindings.push(ImportBinding {
                    local: local.to_string(),
                    target,
                    under_type_checking,
                    explicit_re_export: alias
                        .asname
                        .as_ref()
                        .is_some_and(|asname| asname.id == name),
                });
            }
        }
        _ => {}
    }
}

/// Every name the module's code refers to (see the module comment).
pub fn referenced_names(
    module: &ModModule,
    tokens: &Tokens,
    source: &SourceFile,
) -> HashSet<String> {
    let mut references = References::default();
    references.visit_body(&module.body);
    let mut names = references.names;
    // `# type: List[Session]` comments, word by word.
    for token in tokens
        .iter()
        .filter(|token| token.kind() == TokenKind::Comment)
    {
        let comment = source.slice(token.range());
        if let Some(index) = comment.find("type:") {
            for word in comment[index + 5..].split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                if !word.is_empty() && word != "ignore" {
                    names.insert(word.to_string());
                }
            }
        }
    }
    names
}

#[derive(Default)]
struct References {
    names: HashSet<String>,
    /// Inside an annotation, where a string is a forward reference.
    in_annotation: usize,
}

impl References {
    fn annotation(&mut self, expr: &Expr) {
        self.in_annotation += 1;
        self.visit_expr(expr);
        self.in_annotation -= 1;
    }

    /// The names a string annotation refers to.
    fn forward_reference(&mut self, text: &str) {
        let Ok(parsed) = ruff_python_parser::parse_expression(text) else {
            return;
        };
        let mut inner = References {
            in_annotation: 1,
            ..References::default()
        };
        inner.visit_expr(parsed.expr());
        self.names.extend(inner.names);
    }

    fn dunder_all(&mut self, value: &Expr) {
        let elements: &[Expr] = match value {
            Expr::List(list) => &list.elts,
            Expr::Tuple(tuple) => &tuple.elts,
            Expr::Call(call) => {
                // `__all__.extend([...])` and the like.
                for argument in &call.arguments.args {
                    self.dunder_all(argument);
                }
                return;
            }
            Expr::BinOp(binary) => {
                self.dunder_all(&binary.left);
                self.dunder_all(&binary.right);
                return;
            }
            _ => return,
        };
        for element in elements {
            if let Expr::StringLiteral(string) = element {
                self.names.insert(string.value.to_str().to_string());
            }
        }
    }
}

fn targets_all(target: &Expr) -> bool {
    matches!(target, Expr::Name(name) if name.id == "__all__")
}

impl<'a> Visitor<'a> for References {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            // The names an import binds are not uses of them.
            Stmt::Import(_) | Stmt::ImportFrom(_) => {}
            Stmt::FunctionDef(function) => {
                for decorator in &function.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(parameters) = &function.type_params {
                    self.visit_type_params(parameters);
                }
                for parameter in function.parameters.iter() {
                    if let Some(annotation) = parameter.annotation() {
                        self.annotation(annotation);
                    }
                    if let Some(default) = parameter.default() {
                        self.visit_expr(default);
                    }
                }
                if let Some(returns) = &function.returns {
                    self.annotation(returns);
                }
                // In its body a parameter's name means the parameter, not
                // a module-level binding of the same name.
                let mut body = References::default();
                body.visit_body(&function.body);
                let mut names = body.names;
                for parameter in function.parameters.iter() {
                    names.remove(parameter.name().as_str());
                }
                self.names.extend(names);
            }
            Stmt::AnnAssign(assign) => {
                self.annotation(&assign.annotation);
                self.visit_expr(&assign.target);
                if let Some(value) = &assign.value {
                    if targets_all(&assign.target) {
                        self.dunder_all(value);
                    }
                    self.visit_expr(value);
                }
            }
            Stmt::Assign(assign) if assign.targets.iter().any(targets_all) => {
                self.dunder_all(&assign.value);
                visitor::walk_stmt(self, stmt);
            }
            Stmt::AugAssign(assign) if targets_all(&assign.target) => {
                self.dunder_all(&assign.value);
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Expr(expression) => {
                if let Expr::Call(call) = expression.value.as_ref()
                    && let Expr::Attribute(attribute) = call.func.as_ref()
                    && targets_all(&attribute.value)
                {
                    self.dunder_all(&expression.value);
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) => {
                if !matches!(name.ctx, ExprContext::Store) {
                    self.names.insert(name.id.to_string());
                }
            }
            Expr::StringLiteral(string) if self.in_annotation > 0 => {
                self.forward_reference(string.value.to_str());
            }
            // `Literal["a"]` holds values, and `Annotated[T, …]` metadata
            // after its type: only the type is an annotation.
            Expr::Subscript(subscript) if self.in_annotation > 0 => {
                self.visit_expr(&subscript.value);
                let base = dotted_text(&subscript.value).unwrap_or_default();
                let last = base.rsplit('.').next().unwrap_or_default();
                let saved = self.in_annotation;
                match (last, subscript.slice.as_ref()) {
                    ("Literal", slice) => {
                        self.in_annotation = 0;
                        self.visit_expr(slice);
                    }
                    ("Annotated", Expr::Tuple(tuple)) => {
                        for (position, element) in tuple.elts.iter().enumerate() {
                            self.in_annotation = if position == 0 { saved } else { 0 };
                            self.visit_expr(element);
                        }
                    }
                    (_, slice) => self.visit_expr(slice),
                }
                self.in_annotation = saved;
            }
            // A call is code, also inside an annotation (`Depends(f)`);
            // `cast("User", value)` and `TypeVar("T", bound="User")` take a
            // type.
            Expr::Call(call) => {
                let saved = std::mem::take(&mut self.in_annotation);
                let callee = match call.func.as_ref() {
                    Expr::Name(name) => Some(name.id.as_str()),
                    Expr::Attribute(attribute) => Some(attribute.attr.id.as_str()),
                    _ => None,
                };
                self.visit_expr(&call.func);
                for (position, argument) in call.arguments.args.iter().enumerate() {
                    if callee == Some("cast") && position == 0 {
                        self.annotation(argument);
                    } else {
                        self.visit_expr(argument);
                    }
                }
                for keyword in &call.arguments.keywords {
                    let is_bound = callee == Some("TypeVar")
                        && keyword.arg.as_ref().is_some_and(|arg| arg.id == "bound");
                    if is_bound {
                        self.annotation(&keyword.value);
                    } else {
                        self.visit_expr(&keyword.value);
                    }
                }
                self.in_annotation = saved;
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// The names bound by `module_imports` that nothing refers to.
pub fn unreferenced_imports(
    module: &ModModule,
    tokens: &Tokens,
    source: &SourceFile,
) -> Vec<ImportBinding> {
    let referenced = referenced_names(module, tokens, source);
    module_imports(module)
        .into_iter()
        .filter(|binding| !referenced.contains(&binding.local))
        .collect()
}

/// An import inside a function's body, which binds a name for that
/// function alone.
#[derive(Debug, Clone)]
pub struct LocalImport<'a> {
    /// The functions it is in, outermost first: `Service.create`.
    pub scope: String,
    pub statement: &'a Stmt,
    pub local: String,
    /// Whether the function's code names it (any name token but the
    /// import's own, nested functions included).
    pub referenced: bool,
}

/// The imports of every function's body (not nested functions', which are
/// their own), with whether the function still names what they bind.
pub fn local_imports<'a>(
    module: &'a ModModule,
    tokens: &Tokens,
    text: &str,
) -> Vec<LocalImport<'a>> {
    let mut found = Vec::new();
    collect_local_imports(&module.body, "", tokens, text, &mut found);
    found
}

fn collect_local_imports<'a>(
    body: &'a [Stmt],
    scope: &str,
    tokens: &Tokens,
    text: &str,
    found: &mut Vec<LocalImport<'a>>,
) {
    for stmt in body {
        let (name, inner_body, is_function) = match stmt {
            Stmt::FunctionDef(function) => (&function.name, &function.body, true),
            Stmt::ClassDef(class) => (&class.name, &class.body, false),
            _ => continue,
        };
        let inner = if scope.is_empty() {
            name.id.to_string()
        } else {
            format!("{scope}.{}", name.id)
        };
        if is_function {
            let mut imports: Vec<&Stmt> = Vec::new();
            function_level_imports(inner_body, &mut imports);
            for import in imports {
                for local in import_locals(import) {
                    let referenced = tokens
                        .in_range(stmt.range())
                        .iter()
                        .filter(|token| token.kind() == TokenKind::Name)
                        .filter(|token| !import.range().contains_range(token.range()))
                        .any(|token| text[token.range()] == *local);
                    found.push(LocalImport {
                        scope: inner.clone(),
                        statement: import,
                        local,
                        referenced,
                    });
                }
            }
        }
        collect_local_imports(inner_body, &inner, tokens, text, found);
    }
}

/// The import statements of a function's body, in its blocks but not in
/// nested functions or classes.
fn function_level_imports<'a>(body: &'a [Stmt], found: &mut Vec<&'a Stmt>) {
    use ruff_python_ast::statement_visitor::{StatementVisitor, walk_stmt};
    struct Imports<'a, 'f> {
        found: &'f mut Vec<&'a Stmt>,
    }
    impl<'a> StatementVisitor<'a> for Imports<'a, '_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::Import(_) | Stmt::ImportFrom(_) => self.found.push(stmt),
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                other => walk_stmt(self, other),
            }
        }
    }
    let mut visitor = Imports { found };
    for stmt in body {
        visitor.visit_stmt(stmt);
    }
}

/// The names an import statement binds.
fn import_locals(stmt: &Stmt) -> Vec<String> {
    let mut bindings = Vec::new();
    import_bindings(stmt, false, &mut bindings);
    bindings.into_iter().map(|binding| binding.local).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unreferenced(source: &str) -> Vec<String> {
        let parsed = ruff_python_parser::parse_module(source).unwrap();
        let file = SourceFile::new(source);
        unreferenced_imports(parsed.syntax(), parsed.tokens(), &file)
            .into_iter()
            .map(|binding| binding.local)
            .collect()
    }

    #[test]
    fn imports_inside_functions_belong_to_them() {
        let source = "import os\n\n\ndef f():\n    import json, sys\n    from a import b as c\n    return json.dumps(c)\n\n\nclass K:\n    def g(self):\n        if True:\n            import re\n        return lambda: re\n";
        let parsed = ruff_python_parser::parse_module(source).unwrap();
        let found: Vec<(String, String, bool)> =
            local_imports(parsed.syntax(), parsed.tokens(), source)
                .into_iter()
                .map(|import| (import.scope, import.local, import.referenced))
                .collect();
        assert_eq!(
            found,
            [
                ("f".to_string(), "json".to_string(), true),
                ("f".to_string(), "sys".to_string(), false),
                ("f".to_string(), "c".to_string(), true),
                ("K.g".to_string(), "re".to_string(), true),
            ]
        );
    }

    #[test]
    fn uses_the_way_pyflakes_sees_them() {
        let source = r#"
"""Sleep for a time."""
import os.path
import time
from typing import TYPE_CHECKING, Annotated, List, Literal, cast
from fastapi import Query
from app import models, schemas
from app.deps import get_db, get_user, Unused

if TYPE_CHECKING:
    from app.models import Item

__all__ = ["get_user"]
x: "List[models.User]" = cast("schemas.User", None)
data = {"time": 1, "Unused": 2}
y: Annotated["Item", Query(description="time")] = None
z: Literal["Unused"] = "Unused"

def route(item: "Item", db=get_db):  # type: (int) -> None
    return os.path.join("a")
"#;
        assert_eq!(unreferenced(source), ["time", "Unused"]);
    }

    #[test]
    fn a_parameter_of_the_same_name_is_no_use_of_an_import() {
        let source =
            "from fastapi import status\n\n\ndef by_status(status):\n    return status.value\n";
        assert_eq!(unreferenced(source), ["status"]);
    }
}

/// Where a module's code reads the module-level binding of a name, for a
/// rewrite of every use (`create_user(…)` → `auth_service.create_user(…)`).
#[derive(Debug, Default)]
pub struct GlobalUses {
    /// Each load of the name that means the module-level binding.
    pub loads: Vec<ruff_text_size::TextRange>,
    /// Why the uses cannot all be rewritten, when they cannot: the name is
    /// bound again at module level, declared `global`, deleted, listed in
    /// `__all__` or named in a string annotation.
    pub blocked: Option<String>,
}

/// The uses of the module-level binding of `name` (see [`GlobalUses`]). A
/// function, lambda, comprehension or class body that binds the name
/// itself is skipped whole: its uses mean its own binding.
pub fn global_uses(module: &ModModule, name: &str) -> GlobalUses {
    global_uses_of(module, &[name]).pop().unwrap_or_default()
}

/// [`global_uses`] of several names, in one walk of the module.
pub fn global_uses_of(module: &ModModule, names: &[&str]) -> Vec<GlobalUses> {
    let mut uses = Uses {
        names,
        found: names.iter().map(|_| GlobalUses::default()).collect(),
        shadowed: vec![false; names.len()],
        in_annotation: 0,
    };
    let bindings = shallow_bindings(&module.body, names);
    for (position, name) in names.iter().enumerate() {
        if bindings[position].count > 1 {
            uses.block(
                position,
                format!("the module binds `{name}` more than once"),
            );
        }
    }
    uses.visit_body(&module.body);
    for (position, name) in names.iter().enumerate() {
        if referenced_in_all(module, name) {
            uses.found[position].blocked = Some(format!("`__all__` lists `{name}`"));
        }
    }
    uses.found
}

/// Whether `__all__` lists `name`.
fn referenced_in_all(module: &ModModule, name: &str) -> bool {
    let mut references = References::default();
    for stmt in &module.body {
        match stmt {
            Stmt::Assign(assign) if assign.targets.iter().any(targets_all) => {
                references.dunder_all(&assign.value)
            }
            Stmt::AugAssign(assign) if targets_all(&assign.target) => {
                references.dunder_all(&assign.value)
            }
            Stmt::AnnAssign(assign) if targets_all(&assign.target) => {
                if let Some(value) = &assign.value {
                    references.dunder_all(value);
                }
            }
            _ => {}
        }
    }
    references.names.contains(name)
}

/// How often a body binds a name in its own scope (nested functions and
/// classes are their own scopes; their names count), and whether it
/// declares the name `global`.
#[derive(Default)]
struct Bindings {
    count: usize,
    global: bool,
}

fn shallow_bindings(body: &[Stmt], names: &[&str]) -> Vec<Bindings> {
    struct Binds<'n> {
        names: &'n [&'n str],
        found: Vec<Bindings>,
    }
    impl Binds<'_> {
        fn bind(&mut self, name: &str) {
            if let Some(position) = self.names.iter().position(|known| *known == name) {
                self.found[position].count += 1;
            }
        }
    }
    impl<'a> Visitor<'a> for Binds<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(function) => self.bind(function.name.as_str()),
                Stmt::ClassDef(class) => self.bind(class.name.as_str()),
                Stmt::Import(import) => {
                    for alias in &import.names {
                        let local = alias.asname.as_ref().unwrap_or(&alias.name).id.as_str();
                        self.bind(local.split('.').next().unwrap_or(local));
                    }
                }
                Stmt::ImportFrom(import) => {
                    for alias in &import.names {
                        let local = alias.asname.as_ref().unwrap_or(&alias.name).id.as_str();
                        if local == "*" {
                            for found in &mut self.found {
                                found.count += 1;
                            }
                        } else {
                            self.bind(local);
                        }
                    }
                }
                Stmt::Global(ruff_python_ast::StmtGlobal { names, .. })
                | Stmt::Nonlocal(ruff_python_ast::StmtNonlocal { names, .. }) => {
                    for declared in names {
                        if let Some(position) = self
                            .names
                            .iter()
                            .position(|known| *known == declared.as_str())
                        {
                            self.found[position].global = true;
                        }
                    }
                }
                _ => visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_except_handler(&mut self, handler: &'a ruff_python_ast::ExceptHandler) {
            let ruff_python_ast::ExceptHandler::ExceptHandler(inner) = handler;
            if let Some(bound) = &inner.name {
                self.bind(bound.as_str());
            }
            visitor::walk_except_handler(self, handler);
        }
        fn visit_pattern(&mut self, pattern: &'a ruff_python_ast::Pattern) {
            use ruff_python_ast::Pattern;
            let bound = match pattern {
                Pattern::MatchAs(matched) => matched.name.as_ref(),
                Pattern::MatchStar(star) => star.name.as_ref(),
                Pattern::MatchMapping(mapping) => mapping.rest.as_ref(),
                _ => None,
            };
            if let Some(bound) = bound {
                self.bind(bound.as_str());
            }
            visitor::walk_pattern(self, pattern);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Name(found) if !matches!(found.ctx, ExprContext::Load) => {
                    self.bind(found.id.as_str());
                }
                Expr::Lambda(_) => {}
                // A comprehension's targets are its own; what it computes
                // may bind here (`(y := …)`).
                Expr::ListComp(ast::ExprListComp {
                    elt, generators, ..
                })
                | Expr::SetComp(ast::ExprSetComp {
                    elt, generators, ..
                })
                | Expr::Generator(ast::ExprGenerator {
                    elt, generators, ..
                }) => {
                    self.visit_expr(elt);
                    self.generators(generators);
                }
                Expr::DictComp(ast::ExprDictComp {
                    key,
                    value,
                    generators,
                    ..
                }) => {
                    if let Some(key) = key {
                        self.visit_expr(key);
                    }
                    self.visit_expr(value);
                    self.generators(generators);
                }
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    impl Binds<'_> {
        fn generators(&mut self, generators: &[ast::Comprehension]) {
            for generator in generators {
                self.visit_expr(&generator.iter);
                for condition in &generator.ifs {
                    self.visit_expr(condition);
                }
            }
        }
    }
    let mut binds = Binds {
        names,
        found: names.iter().map(|_| Bindings::default()).collect(),
    };
    binds.visit_body(body);
    binds.found
}

struct Uses<'n> {
    names: &'n [&'n str],
    found: Vec<GlobalUses>,
    /// Which names a scope being walked binds itself.
    shadowed: Vec<bool>,
    in_annotation: usize,
}

impl Uses<'_> {
    fn block(&mut self, position: usize, reason: String) {
        self.found[position].blocked.get_or_insert(reason);
    }

    /// The position of a name not shadowed here.
    fn visible(&self, name: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|known| *known == name)
            .filter(|position| !self.shadowed[*position])
    }

    /// Walks `walk` with the names `shadows` says are bound there hidden.
    fn shadowing(&mut self, shadows: impl Fn(&str) -> bool, walk: impl FnOnce(&mut Self)) {
        let saved = self.shadowed.clone();
        for (position, name) in self.names.iter().enumerate() {
            self.shadowed[position] |= shadows(name);
        }
        if self.shadowed.iter().any(|shadowed| !shadowed) {
            walk(self);
        }
        self.shadowed = saved;
    }

    /// Visits a function-like scope's body, the names it binds hidden.
    fn scope(&mut self, parameters: Option<&ruff_python_ast::Parameters>, body: &[Stmt]) {
        let bindings = shallow_bindings(body, self.names);
        for (position, name) in self.names.iter().enumerate() {
            if bindings[position].global && !self.shadowed[position] {
                self.block(position, format!("a function declares `{name}` global"));
            }
        }
        let names = self.names;
        let binds = |name: &str| {
            let position = names.iter().position(|known| *known == name);
            position
                .is_some_and(|position| bindings[position].count > 0 || bindings[position].global)
                || parameters.is_some_and(|parameters| {
                    parameters
                        .iter()
                        .any(|parameter| parameter.name().as_str() == name)
                })
        };
        self.shadowing(binds, |uses| uses.visit_body(body));
    }
}

impl<'a> Visitor<'a> for Uses<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(function) => {
                for decorator in &function.decorator_list {
                    self.visit_decorator(decorator);
                }
                for parameter in function.parameters.iter() {
                    if let Some(annotation) = parameter.annotation() {
                        self.in_annotation += 1;
                        self.visit_expr(annotation);
                        self.in_annotation -= 1;
                    }
                    if let Some(default) = parameter.default() {
                        self.visit_expr(default);
                    }
                }
                if let Some(returns) = &function.returns {
                    self.in_annotation += 1;
                    self.visit_expr(returns);
                    self.in_annotation -= 1;
                }
                self.scope(Some(&function.parameters), &function.body);
            }
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(arguments) = &class.arguments {
                    self.visit_arguments(arguments);
                }
                self.scope(None, &class.body);
            }
            Stmt::Delete(delete) => {
                for target in &delete.targets {
                    if let Expr::Name(found) = target
                        && let Some(position) = self.visible(found.id.as_str())
                    {
                        self.block(position, format!("the module deletes `{}`", found.id));
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::AnnAssign(assign) => {
                self.in_annotation += 1;
                self.visit_expr(&assign.annotation);
                self.in_annotation -= 1;
                self.visit_expr(&assign.target);
                if let Some(value) = &assign.value {
                    self.visit_expr(value);
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(found) => {
                if matches!(found.ctx, ExprContext::Load)
                    && let Some(position) = self.visible(found.id.as_str())
                {
                    self.found[position].loads.push(found.range());
                }
            }
            Expr::StringLiteral(string) if self.in_annotation > 0 => {
                let text = string.value.to_str();
                for position in 0..self.names.len() {
                    let name = self.names[position];
                    if !self.shadowed[position]
                        && crate::python::naming::mentions_identifier(text, name)
                    {
                        self.block(position, format!("a string annotation names `{name}`"));
                    }
                }
            }
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    for parameter in parameters.iter() {
                        if let Some(default) = parameter.default() {
                            self.visit_expr(default);
                        }
                    }
                }
                let parameters = lambda.parameters.as_deref();
                let binds = |name: &str| {
                    parameters.is_some_and(|parameters| {
                        parameters
                            .iter()
                            .any(|parameter| parameter.name().as_str() == name)
                    })
                };
                self.shadowing(binds, |uses| uses.visit_expr(&lambda.body));
            }
            Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_) => {
                let generators = match expr {
                    Expr::ListComp(comp) => &comp.generators,
                    Expr::SetComp(comp) => &comp.generators,
                    Expr::DictComp(comp) => &comp.generators,
                    Expr::Generator(comp) => &comp.generators,
                    _ => unreachable!(),
                };
                let binds = |name: &str| {
                    generators
                        .iter()
                        .any(|generator| stores(&generator.target, name))
                };
                self.shadowing(binds, |uses| visitor::walk_expr(uses, expr));
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// Whether an assignment target stores `name`.
fn stores(target: &Expr, name: &str) -> bool {
    match target {
        Expr::Name(found) => found.id == name,
        Expr::Tuple(tuple) => tuple.elts.iter().any(|element| stores(element, name)),
        Expr::List(list) => list.elts.iter().any(|element| stores(element, name)),
        Expr::Starred(starred) => stores(&starred.value, name),
        _ => false,
    }
}

#[cfg(test)]
mod global_uses_tests {
    use super::*;

    fn uses(source: &str, name: &str) -> (Vec<String>, Option<String>) {
        let parsed = ruff_python_parser::parse_module(source).unwrap();
        let found = global_uses(parsed.syntax(), name);
        let texts = found
            .loads
            .iter()
            .map(|range| {
                format!(
                    "{}:{}",
                    source[..range.start().to_usize()].lines().count(),
                    &source[*range]
                )
            })
            .collect();
        (texts, found.blocked)
    }

    #[test]
    fn loads_of_the_module_binding_and_not_of_locals() {
        let source = "\
from app.auth.service import create_user

@decorate(create_user)
def route(x=create_user) -> None:
    return create_user(x)

def shadowed(create_user):
    return create_user()

def assigned():
    create_user = 1
    return create_user

def comprehension(items):
    return [create_user for create_user in items] + [create_user(i) for i in items]

handler = lambda create_user: create_user
other = lambda: create_user
";
        let (loads, blocked) = uses(source, "create_user");
        assert_eq!(blocked, None);
        assert_eq!(
            loads,
            [
                "3:create_user",
                "4:create_user",
                "5:create_user",
                "15:create_user",
                "18:create_user"
            ]
        );
    }

    #[test]
    fn several_names_in_one_walk_shadow_apart() {
        let source = "from a import f, g\ndef h(f):\n    return f(g)\ndef k():\n    del g\n";
        let parsed = ruff_python_parser::parse_module(source).unwrap();
        let found = global_uses_of(parsed.syntax(), &["f", "g"]);
        assert!(found[0].loads.is_empty());
        assert_eq!(found[0].blocked, None);
        assert_eq!(found[1].loads.len(), 1);
        assert_eq!(
            found[1].blocked, None,
            "a local `del g` is not the module's"
        );
    }

    #[test]
    fn rebinding_blocks() {
        for source in [
            "from a import f\nf = wrap(f)\n",
            "from a import f\ndef g():\n    global f\n    f = 1\n",
            "from a import f\n__all__ = ['f']\n",
            "from a import f\ndel f\n",
            "from a import f\ndef g(x: 'f') -> None: ...\n",
        ] {
            assert!(uses(source, "f").1.is_some(), "{source}");
        }
    }
}
