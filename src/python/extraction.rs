//! Code taken out of a function to live in a function of its own, maybe in
//! another module: what it needs from where it was (the enclosing
//! function's parameters and locals, the module's imports) and its text,
//! re-indented. Shared by the transforms that move route code into
//! dependencies and services.

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange};

use crate::python::fastapi::FastApiFacts;

/// What extracted code refers to, in order of first use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Parameters of the enclosing function.
    pub parameters: Vec<String>,
    /// Names bound earlier in the enclosing function's body.
    pub locals: Vec<String>,
    /// Names module-level imports bind, with their qualified meaning.
    pub imports: Vec<(String, String)>,
}

/// Why code cannot be taken out of its function.
pub type Refusal = String;

/// Loads and stores of names in some code, in source order.
#[derive(Default)]
struct Names<'a> {
    loads: Vec<&'a str>,
    stores: Vec<&'a str>,
    /// `global`, `nonlocal`, `yield`, `return` inside the code.
    scope_escapes: Vec<&'static str>,
    in_nested: usize,
}

impl<'a> Visitor<'a> for Names<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Global(_) => self.scope_escapes.push("`global`"),
            Stmt::Nonlocal(_) => self.scope_escapes.push("`nonlocal`"),
            Stmt::FunctionDef(function) => {
                self.stores.push(function.name.as_str());
                for decorator in &function.decorator_list {
                    self.visit_decorator(decorator);
                }
                self.in_nested += 1;
                self.visit_parameters(&function.parameters);
                if let Some(returns) = &function.returns {
                    self.visit_expr(returns);
                }
                self.visit_body(&function.body);
                self.in_nested -= 1;
                return;
            }
            Stmt::ClassDef(class) => self.stores.push(class.name.as_str()),
            Stmt::Import(import) => {
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.stores
                        .push(bound.as_str().split('.').next().unwrap_or_default());
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    self.stores
                        .push(alias.asname.as_ref().unwrap_or(&alias.name).as_str());
                }
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) => match name.ctx {
                ExprContext::Load => self.loads.push(name.id.as_str()),
                _ => self.stores.push(name.id.as_str()),
            },
            Expr::Yield(_) | Expr::YieldFrom(_) if self.in_nested == 0 => {
                self.scope_escapes.push("`yield`");
            }
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    for parameter in parameters.iter() {
                        self.stores.push(parameter.name().as_str());
                    }
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }

    fn visit_parameter(&mut self, parameter: &'a ast::Parameter) {
        self.stores.push(parameter.name.as_str());
        visitor::walk_parameter(self, parameter);
    }
}

/// The names `function` binds in its body before `before` (its own scope:
/// nested functions' insides left out).
pub fn locals_before(function: &StmtFunctionDef, before: ruff_text_size::TextSize) -> Vec<String> {
    let mut names = Names::default();
    for stmt in function.body.iter().take_while(|stmt| stmt.end() <= before) {
        names.visit_stmt(stmt);
    }
    let mut locals: Vec<String> = Vec::new();
    for name in names.stores {
        if !locals.iter().any(|known| known == name) {
            locals.push(name.to_string());
        }
    }
    locals
}

/// The names some statements read, each once, in order of first use.
pub fn names_read(statements: &[Stmt]) -> Vec<&str> {
    let mut names = Names::default();
    for stmt in statements {
        names.visit_stmt(stmt);
    }
    let mut read: Vec<&str> = Vec::new();
    for name in names.loads {
        if !read.contains(&name) {
            read.push(name);
        }
    }
    read
}

/// The names an expression reads.
pub fn names_in(expr: &Expr) -> Vec<&str> {
    let mut names = Names::default();
    names.visit_expr(expr);
    names.loads
}

/// `global` or `nonlocal` anywhere in the function's own scope.
fn function_escapes(function: &StmtFunctionDef) -> Option<&'static str> {
    let mut names = Names::default();
    for stmt in &function.body {
        names.visit_stmt(stmt);
    }
    names
        .scope_escapes
        .into_iter()
        .find(|escape| *escape != "`yield`")
}

/// The names import statements inside the function bind.
fn imports_inside(function: &StmtFunctionDef) -> Vec<&str> {
    #[derive(Default)]
    struct Imports<'a>(Vec<&'a str>);
    impl<'a> Visitor<'a> for Imports<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::Import(import) => {
                    for alias in &import.names {
                        let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                        self.0
                            .push(bound.as_str().split('.').next().unwrap_or_default());
                    }
                }
                Stmt::ImportFrom(import) => {
                    for alias in &import.names {
                        self.0
                            .push(alias.asname.as_ref().unwrap_or(&alias.name).as_str());
                    }
                }
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
                _ => {}
            }
            visitor::walk_stmt(self, stmt);
        }
    }
    let mut imports = Imports::default();
    for stmt in &function.body {
        imports.visit_stmt(stmt);
    }
    imports.0
}

/// Whether a top-level statement of the function before `before` binds
/// `name` on every path: an assignment, not a branch.
fn bound_unconditionally(
    function: &StmtFunctionDef,
    name: &str,
    before: ruff_text_size::TextSize,
) -> bool {
    function
        .body
        .iter()
        .take_while(|stmt| stmt.end() <= before)
        .any(|stmt| {
            let targets: Vec<&Expr> = match stmt {
                Stmt::Assign(assign) => assign.targets.iter().collect(),
                Stmt::AnnAssign(assign) if assign.value.is_some() => vec![assign.target.as_ref()],
                Stmt::AugAssign(assign) => vec![assign.target.as_ref()],
                Stmt::With(with) => with
                    .items
                    .iter()
                    .filter_map(|item| item.optional_vars.as_deref())
                    .collect(),
                _ => Vec::new(),
            };
            let mut names = Names::default();
            for target in targets {
                names.visit_expr(target);
            }
            names.stores.contains(&name)
        })
}

/// What `statements` (and `expressions` that travel with them: the
/// annotations and defaults of parameters they declare) need, judged in
/// `function`.
/// A name the module defines itself (a function, class or variable) is
/// refused: the new home would have to import it back. A local bound
/// before the statements is refused unless `locals_allowed`.
pub fn needs(
    facts: &FastApiFacts,
    function: &StmtFunctionDef,
    statements: &[Stmt],
    expressions: &[&Expr],
    locals_allowed: bool,
) -> Result<Needs, Refusal> {
    let mut names = Names::default();
    for stmt in statements {
        names.visit_stmt(stmt);
    }
    if let Some(escape) = names.scope_escapes.first() {
        return Err(format!("it uses {escape}"));
    }
    for expression in expressions {
        names.visit_expr(expression);
    }
    let parameters: Vec<&str> = function
        .parameters
        .iter()
        .map(|parameter| parameter.name().as_str())
        .collect();
    let start = statements
        .first()
        .map_or(function.body[0].start(), Ranged::start);
    let earlier = locals_before(function, start);
    if let Some(escape) = function_escapes(function) {
        return Err(format!("the function uses {escape}"));
    }
    let imported_inside = imports_inside(function);
    let mut needs = Needs::default();
    for name in names.loads {
        // A parameter or an earlier local the code reads is passed in, even
        // when the code binds the name too.
        let passed = parameters.contains(&name) || earlier.iter().any(|local| local == name);
        if names.stores.contains(&name) && !passed {
            // Bound by the code itself (maybe only on some paths, which
            // its own function would see the same way).
            continue;
        }
        // Imported inside the function: the new home imports it too.
        if imported_inside.contains(&name)
            && !parameters.contains(&name)
            && let Some(qualified) = facts.imports.target_of(name)
        {
            if !needs.imports.iter().any(|(known, _)| known == name) {
                needs
                    .imports
                    .push((name.to_string(), qualified.to_string()));
            }
            continue;
        }
        if parameters.contains(&name) {
            if !needs.parameters.iter().any(|known| known == name) {
                needs.parameters.push(name.to_string());
            }
            continue;
        }
        if earlier.iter().any(|local| local == name) {
            if !locals_allowed {
                return Err(format!("it uses `{name}`, bound earlier in the function"));
            }
            if !bound_unconditionally(function, name, start) {
                return Err(format!(
                    "it uses `{name}`, which is bound before it only on some paths"
                ));
            }
            if !needs.locals.iter().any(|known| known == name) {
                needs.locals.push(name.to_string());
            }
            continue;
        }
        if let Some(qualified) = facts.imports.target_of(name) {
            if !facts.runtime_import_names.contains(name) {
                return Err(format!(
                    "it uses `{name}`, imported only for type checking or inside a function"
                ));
            }
            if !needs.imports.iter().any(|(known, _)| known == name) {
                needs
                    .imports
                    .push((name.to_string(), qualified.to_string()));
            }
            continue;
        }
        if facts.module_functions.contains_key(name)
            || facts.module_classes.contains_key(name)
            || facts.module_assignments.contains(name)
        {
            return Err(format!("it uses `{name}`, defined in this module"));
        }
        if !crate::python::naming::is_builtin(name) {
            return Err(format!("it uses `{name}`, which is not bound where it is"));
        }
    }
    Ok(needs)
}

/// Whether a statement awaits in its own scope (nested functions aside).
pub fn awaits(stmt: &Stmt) -> bool {
    #[derive(Default)]
    struct Finder(bool);
    impl<'a> Visitor<'a> for Finder {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                _ => {
                    self.0 |= matches!(stmt, Stmt::With(with) if with.is_async)
                        || matches!(stmt, Stmt::For(each) if each.is_async);
                    visitor::walk_stmt(self, stmt);
                }
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Await(_) => self.0 = true,
                Expr::Lambda(_) => return,
                _ => {}
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut finder = Finder::default();
    finder.visit_stmt(stmt);
    finder.0
}

/// `range` with the comment that ends its last line, when one does: code
/// moved elsewhere takes it along.
pub fn with_trailing_comment(text: &str, range: TextRange) -> TextRange {
    let end = usize::from(range.end());
    let line_end = text[end..]
        .find(['\n', '\r'])
        .map_or(text.len(), |at| end + at);
    let rest = &text[end..line_end];
    if rest.trim_start().starts_with('#') {
        let content_end = end + rest.trim_end().len();
        TextRange::new(
            range.start(),
            ruff_text_size::TextSize::try_from(content_end).unwrap_or(range.end()),
        )
    } else {
        range
    }
}

/// The source of `range`, which starts a line's code, re-indented: its
/// first line's indentation replaced by `indent` on every line, lines
/// joined with `ending`. `None` when a line is indented less than the first
/// (a continuation written flush left) or a string spans lines, whose
/// content re-indenting would change.
pub fn reindented(
    text: &str,
    tokens: &Tokens,
    range: TextRange,
    indent: &str,
    ending: &str,
) -> Option<String> {
    let spans_lines = crate::python::syntax::tokens_within(tokens, range)
        .iter()
        .any(|token| {
            matches!(
                token.kind(),
                TokenKind::String | TokenKind::FStringMiddle | TokenKind::TStringMiddle
            ) && text[token.range()].contains('\n')
        });
    if spans_lines {
        return None;
    }
    let start = usize::from(range.start());
    let line_start = text[..start].rfind('\n').map_or(0, |at| at + 1);
    let own = &text[line_start..start];
    if !own.trim().is_empty() {
        return None;
    }
    let mut lines = Vec::new();
    for line in text[line_start..usize::from(range.end())].split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            lines.push(String::new());
            continue;
        }
        let rest = line.strip_prefix(own)?;
        // Tabs that indent become four spaces each, the unit new code is
        // written in (and turned into the home's own unit there).
        let tabs = rest.len() - rest.trim_start_matches('\t').len();
        let rest = format!("{}{}", "    ".repeat(tabs), &rest[tabs..]);
        lines.push(format!("{indent}{rest}"));
    }
    Some(lines.join(ending))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    fn function_needs(source: &str, from: usize, locals_allowed: bool) -> Result<Needs, Refusal> {
        let parsed = parse_module(source).unwrap();
        let module = parsed.syntax();
        let facts = FastApiFacts::new(module);
        let Stmt::FunctionDef(function) = module.body.last().unwrap() else {
            panic!("the last statement is a function");
        };
        needs(
            &facts,
            function,
            &function.body[from..],
            &[],
            locals_allowed,
        )
    }

    #[test]
    fn needs_name_parameters_locals_and_imports_in_order() {
        let source = "from app import service\nimport json\n\ndef f(db, post_id, other):\n    x = 1\n    post = service.get(db, post_id, x)\n    print(json.dumps(post))\n";
        let needs = function_needs(source, 1, true).unwrap();
        assert_eq!(needs.parameters, ["db", "post_id"]);
        assert_eq!(needs.locals, ["x"]);
        assert_eq!(
            needs.imports,
            [
                ("service".to_string(), "app.service".to_string()),
                ("json".to_string(), "json".to_string())
            ]
        );
        assert!(function_needs(source, 1, false).is_err());
    }

    #[test]
    fn module_definitions_and_yields_are_refused() {
        let source = "LIMIT = 3\n\ndef f(db):\n    return db.query(LIMIT)\n";
        assert_eq!(
            function_needs(source, 0, true).unwrap_err(),
            "it uses `LIMIT`, defined in this module"
        );
        let source = "def f(db):\n    yield db\n";
        assert!(function_needs(source, 0, true).is_err());
    }

    #[test]
    fn reindenting_keeps_continuations_and_refuses_strings_over_lines() {
        let source = "def f():\n    x = call(\n        1,\n    )\n    y = '''a\nb'''\n";
        let parsed = parse_module(source).unwrap();
        let Stmt::FunctionDef(function) = &parsed.syntax().body[0] else {
            unreachable!()
        };
        let first = function.body[0].range();
        assert_eq!(
            reindented(source, parsed.tokens(), first, "\t", "\r\n").unwrap(),
            "\tx = call(\r\n\t    1,\r\n\t)"
        );
        assert_eq!(
            reindented(source, parsed.tokens(), function.body[1].range(), "", "\n"),
            None
        );
        let tabbed = "def f():\n\tif x:\n\t\ty = 1\n";
        let parsed = parse_module(tabbed).unwrap();
        let Stmt::FunctionDef(function) = &parsed.syntax().body[0] else {
            unreachable!()
        };
        assert_eq!(
            reindented(tabbed, parsed.tokens(), function.body[0].range(), "", "\n").unwrap(),
            "if x:\n    y = 1"
        );
    }
}
