//! Route code that plans may move to another module, summarised for the
//! index: the opening guards that become dependencies
//! ([`crate::python::resource_guard`]). Each summary holds the code's text
//! re-indented to column 0 and what it needs from its module (parameters
//! with their declarations, imports qualified absolutely), so that a plan
//! can write the new function without the route's syntax tree.

use compact_str::CompactString;
use ruff_python_ast::token::Tokens;
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::python::extraction::{needs, reindented};
use crate::python::fastapi::{FastApiFacts, qualified_in};
use crate::python::resource_guard::{ResourceGuard, resource_guard};

/// What a guard's loader gives, as far as its own module tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// What this function (or method, `app.crud.post.get`) returns,
    /// qualified absolutely.
    Call(CompactString),
    /// An object of this ORM model (`db.get(Post, id)`, `db.query(Post)…first()`).
    Model(CompactString),
}

/// Code that moves into a new function: its text at column 0 (lines joined
/// with `\n`), and what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub text: String,
    /// Parameters it reads, each with its declaration on one line
    /// (`db: Session = Depends(get_db)`).
    pub parameters: Vec<(CompactString, String)>,
    /// Local name → absolute qualified name, for every import it uses.
    pub imports: Vec<(CompactString, CompactString)>,
}

/// A route's opening guard (see [`crate::python::resource_guard`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardSummary {
    pub route: CompactString,
    pub resource: CompactString,
    /// The path parameter it loads by.
    pub parameter: CompactString,
    pub loaded: Option<Loaded>,
    /// Whether the load awaits.
    pub awaited: bool,
    /// The load and the missing check; or why they cannot be taken out.
    pub guard: Result<Extracted, String>,
    /// The ownership check and the parameter it compares with, when the
    /// guard has one that can be taken out.
    pub ownership: Option<(CompactString, Extracted)>,
}

impl GuardSummary {
    /// What routes must share to share a dependency: the code and the
    /// declarations of what it reads, spaces aside.
    pub fn key(&self) -> Option<String> {
        let guard = self.guard.as_ref().ok()?;
        let mut key: String = guard.text.split_whitespace().collect::<Vec<_>>().join(" ");
        for (_, declaration) in &guard.parameters {
            key.push('|');
            key.push_str(declaration);
        }
        Some(key)
    }
}

/// The guards of a module's routes.
pub fn guards(
    facts: &FastApiFacts,
    tokens: &Tokens,
    text: &str,
    module: &str,
    is_package: bool,
    imports: &rustc_hash::FxHashMap<CompactString, CompactString>,
) -> Vec<GuardSummary> {
    let mut found = Vec::new();
    for route in &facts.routes {
        let Some(guard) = resource_guard(facts, route) else {
            continue;
        };
        let function = route.function;
        let statements = &function.body[guard.first..guard.first + 2];
        let range = TextRange::new(statements[0].start(), statements[1].end());
        let extracted = extract(
            facts,
            tokens,
            text,
            function,
            statements,
            range,
            &[guard.parameter],
            imports,
            None,
        );
        let ownership = guard.ownership.and_then(|(check, owner)| {
            let statements = std::slice::from_ref(&function.body[guard.first + 2]);
            let code = extract(
                facts,
                tokens,
                text,
                function,
                statements,
                check.range(),
                &[owner],
                imports,
                Some(guard.resource),
            )
            .ok()?;
            // The check reads the resource and its owner, nothing else of the route.
            (code.parameters.len() == 1).then(|| (owner.parameter.name.as_str().into(), code))
        });
        found.push(GuardSummary {
            route: function.name.as_str().into(),
            resource: guard.resource.into(),
            parameter: guard.parameter.parameter.name.as_str().into(),
            loaded: loaded(facts, module, is_package, &guard),
            awaited: guard.awaited,
            guard: extracted,
            ownership,
        });
    }
    found
}

#[allow(clippy::too_many_arguments)]
fn extract(
    facts: &FastApiFacts,
    tokens: &Tokens,
    text: &str,
    function: &ast::StmtFunctionDef,
    statements: &[Stmt],
    range: TextRange,
    first: &[&ast::ParameterWithDefault],
    imports: &rustc_hash::FxHashMap<CompactString, CompactString>,
    resource: Option<&str>,
) -> Result<Extracted, String> {
    let all: Vec<&ast::ParameterWithDefault> =
        function.parameters.iter_non_variadic_params().collect();
    // Code after the guard may read the resource, which its new function
    // takes as a parameter.
    let found = needs(facts, function, statements, &[], resource.is_some())?;
    if let Some(local) = found
        .locals
        .iter()
        .find(|local| Some(local.as_str()) != resource)
    {
        return Err(format!("it uses `{local}`, bound earlier in the function"));
    }
    let mut parameters: Vec<&ast::ParameterWithDefault> = first.to_vec();
    for name in &found.parameters {
        let parameter = all
            .iter()
            .find(|parameter| parameter.parameter.name.as_str() == name)
            .ok_or_else(|| format!("it uses `*{name}`"))?;
        if !parameters
            .iter()
            .any(|known| known.parameter.name == parameter.parameter.name)
        {
            parameters.push(parameter);
        }
    }
    // The declarations travel too: what their annotations and defaults use.
    let declared = needs(facts, function, &[], &parameters, false)?;
    let mut declarations = Vec::new();
    for parameter in &parameters {
        let written = &text[parameter.range()];
        let one_line = if written.contains('\n') {
            crate::python::syntax::join_parameter_lines(&format!("({written})"))
                .and_then(|joined| Some(joined.strip_prefix('(')?.strip_suffix(')')?.to_string()))
                .ok_or("a parameter it reads is declared over lines with a comment")?
        } else {
            written.to_string()
        };
        declarations.push((parameter.parameter.name.as_str().into(), one_line));
    }
    let code = reindented(text, tokens, range, "", "\n").ok_or(
        "its text cannot be re-indented (a string spans lines, or a line is indented less)",
    )?;
    let mut used = Vec::new();
    for (local, _) in found.imports.iter().chain(&declared.imports) {
        if used
            .iter()
            .any(|(known, _): &(CompactString, CompactString)| known == local)
        {
            continue;
        }
        let qualified = imports
            .get(local.as_str())
            .cloned()
            .unwrap_or_else(|| local.as_str().into());
        used.push((local.as_str().into(), qualified));
    }
    Ok(Extracted {
        text: code,
        parameters: declarations,
        imports: used,
    })
}

/// What the loader gives, from the call alone.
fn loaded(
    facts: &FastApiFacts,
    module: &str,
    is_package: bool,
    guard: &ResourceGuard,
) -> Option<Loaded> {
    let qualified = |expr: &Expr| qualified_in(facts, module, is_package, expr);
    if let Some(model) = crate::python::resource_guard::queried_model(guard.loader) {
        return qualified(model).map(|model| Loaded::Model(model.into()));
    }
    qualified(&guard.loader.func).map(|callee| Loaded::Call(callee.into()))
}
