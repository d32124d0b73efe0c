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
    /// What the route reads after the guard, and after the guard with its
    /// ownership check (when it has one that can be taken out).
    pub after_guard: ReadAfter,
    pub after_ownership: Option<ReadAfter>,
    /// Why the route's signature cannot be rewritten, when it cannot.
    pub signature: Result<(), String>,
    /// The suppression comments on the route's header and its load.
    pub ignored: Option<crate::python::suppression::LineSuppression>,
}

/// The request parameters a guard reads that the rest of its route reads
/// too: the route and the dependency would both declare them, and FastAPI
/// would validate each twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadAfter {
    /// The path parameter the guard loads by.
    pub path_parameter: bool,
    /// The others (the session is not one: `Depends` is solved once per
    /// request), each with its annotation's qualified name when that may
    /// be a project's alias of a dependency, which only the index tells.
    pub shared: Vec<(CompactString, Option<CompactString>)>,
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

/// The routes a plan can name: module-level functions, each defined once
/// (a route built inside a factory function, or a name defined twice, is
/// not one the plan could tell from another).
pub fn module_routes<'r, 'a>(
    facts: &'r FastApiFacts<'a>,
) -> impl Iterator<Item = &'r crate::python::fastapi::Route<'a>> + 'r {
    facts.routes.iter().filter(move |route| {
        let name = route.function.name.as_str();
        facts
            .module_functions
            .get(name)
            .is_some_and(|function| std::ptr::eq(*function, route.function))
            && facts
                .functions
                .iter()
                .filter(|function| function.name.as_str() == name)
                .count()
                == 1
    })
}

/// A function's header, from its first decorator to its name: where the
/// comments that suppress a transform for the whole function are.
pub fn header_range(function: &ast::StmtFunctionDef) -> TextRange {
    let start = function
        .decorator_list
        .first()
        .map_or(function.start(), Ranged::start);
    TextRange::new(start, function.name.end())
}

/// The guards of a module's routes.
pub fn guards(
    facts: &FastApiFacts,
    tokens: &Tokens,
    text: &str,
    (module, is_package): (&str, bool),
    imports: &rustc_hash::FxHashMap<CompactString, CompactString>,
    ignored: &dyn Fn([TextRange; 2]) -> Option<crate::python::suppression::LineSuppression>,
) -> Vec<GuardSummary> {
    let mut found = Vec::new();
    for route in module_routes(facts) {
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
        let after_ownership = ownership
            .is_some()
            .then(|| read_after(facts, module, is_package, function, &guard, 3));
        let header = header_range(function);
        found.push(GuardSummary {
            route: function.name.as_str().into(),
            resource: guard.resource.into(),
            parameter: guard.parameter.parameter.name.as_str().into(),
            loaded: loaded(facts, module, is_package, &guard),
            awaited: guard.awaited,
            guard: extracted,
            ownership,
            after_guard: read_after(facts, module, is_package, function, &guard, 2),
            after_ownership,
            signature: rewritable_signature(tokens, function),
            ignored: ignored([header, guard.load.range()]),
        });
    }
    found
}

/// What the route reads after the first `count` statements of its guard.
fn read_after(
    facts: &FastApiFacts,
    module: &str,
    is_package: bool,
    function: &ast::StmtFunctionDef,
    guard: &ResourceGuard,
    count: usize,
) -> ReadAfter {
    use crate::python::extraction::names_read;
    let rest = names_read(&function.body[guard.first + count..]);
    let guard_reads = names_read(&function.body[guard.first..guard.first + count]);
    let path_parameter = guard.parameter.parameter.name.as_str();
    let shared = function
        .parameters
        .iter_non_variadic_params()
        .filter(|declared| {
            let name = declared.parameter.name.as_str();
            name != guard.resource
                && name != path_parameter
                && guard_reads.contains(&name)
                && rest.contains(&name)
        })
        .filter_map(|declared| {
            let is_dependency = declared
                .default
                .as_deref()
                .and_then(|default| facts.param_call(default))
                .is_some_and(|(function, _)| function.is_dependency());
            let annotation = declared.parameter.annotation.as_deref();
            if is_dependency
                || annotation.is_some_and(|annotation| {
                    crate::project::index::annotated_dependency(facts, annotation).is_some()
                })
            {
                return None;
            }
            let alias = annotation
                .and_then(|annotation| qualified_in(facts, module, is_package, annotation))
                .map(CompactString::from);
            Some((declared.parameter.name.as_str().into(), alias))
        })
        .collect();
    ReadAfter {
        path_parameter: rest.contains(&path_parameter),
        shared,
    }
}

/// Whether a route's parameter list can be laid out again: no comments in
/// it, no positional-only parameters.
fn rewritable_signature(tokens: &Tokens, function: &ast::StmtFunctionDef) -> Result<(), String> {
    let parameters = &function.parameters;
    if !parameters.posonlyargs.is_empty() {
        return Err("its signature has positional-only parameters".into());
    }
    if crate::python::syntax::tokens_within(tokens, parameters.range())
        .iter()
        .any(|token| token.kind() == ruff_python_ast::token::TokenKind::Comment)
    {
        return Err("its signature has comments, which a new layout would lose".into());
    }
    Ok(())
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
    let travelling: Vec<&Expr> = parameters
        .iter()
        .flat_map(|parameter| {
            parameter
                .parameter
                .annotation
                .as_deref()
                .into_iter()
                .chain(parameter.default.as_deref())
        })
        .collect();
    let declared = needs(facts, function, &[], &travelling, false)?;
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
    let range = crate::python::extraction::with_trailing_comment(text, range);
    let code = reindented(text, tokens, range, "", "\n").ok_or(
        "its text cannot be re-indented (a string spans lines, or a line is indented less)",
    )?;
    Ok(Extracted {
        text: code,
        parameters: declarations,
        imports: absolute_imports(&found, &declared, imports),
    })
}

/// The imports code and its declarations use, each once, qualified as
/// the module's summary has them (absolute).
fn absolute_imports(
    code: &crate::python::extraction::Needs,
    declarations: &crate::python::extraction::Needs,
    imports: &rustc_hash::FxHashMap<CompactString, CompactString>,
) -> Vec<(CompactString, CompactString)> {
    let mut used: Vec<(CompactString, CompactString)> = Vec::new();
    for (local, _) in code.imports.iter().chain(&declarations.imports) {
        if used.iter().any(|(known, _)| known == local) {
            continue;
        }
        let qualified = imports
            .get(local.as_str())
            .cloned()
            .unwrap_or_else(|| local.as_str().into());
        used.push((local.as_str().into(), qualified));
    }
    used
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

/// A route's persistence work ([`crate::python::persistence`]), as a
/// service function would take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkSummary {
    pub route: CompactString,
    /// Whether the work awaits.
    pub awaited: bool,
    /// Whether the work returns (so the route returns what the service does).
    pub returns: bool,
    /// The work, its parameters declared by type alone (`db: Session`,
    /// `item: ItemCreate`; locals bound before it bare), and its imports;
    /// or why a service cannot take it.
    pub work: Result<Extracted, String>,
    /// Every name the route binds (parameters, locals), which the name it
    /// calls the service module by must not be.
    pub bound: Vec<CompactString>,
    /// The suppression comments on the route's header and work.
    pub ignored: Option<crate::python::suppression::LineSuppression>,
    /// What each `raise HTTPException(…)` in the work raises (its class,
    /// qualified, and what it sends), or why that cannot be rewritten.
    pub http_raises: Vec<Result<(CompactString, crate::python::http_errors::ErrorShape), String>>,
}

/// The persistence work of a module's routes.
pub fn route_work(
    facts: &FastApiFacts,
    tokens: &Tokens,
    text: &str,
    (module, is_package): (&str, bool),
    imports: &rustc_hash::FxHashMap<CompactString, CompactString>,
    ignored: &dyn Fn([TextRange; 2]) -> Option<crate::python::suppression::LineSuppression>,
) -> Vec<WorkSummary> {
    let mut found = Vec::new();
    for route in module_routes(facts) {
        let Some(work) = crate::python::persistence::route_work(facts, route) else {
            continue;
        };
        let function = route.function;
        let statements = &function.body[work.first..];
        let code = match work.refusal {
            Some(reason) => Err(reason),
            None => service_code(facts, tokens, text, function, statements, imports),
        };
        let mut bound: Vec<CompactString> =
            crate::python::extraction::locals_before(function, function.end())
                .into_iter()
                .map(CompactString::from)
                .collect();
        bound.extend(
            function
                .parameters
                .iter()
                .map(|parameter| CompactString::from(parameter.name().as_str())),
        );
        let header = header_range(function);
        let work_range = TextRange::new(statements[0].start(), function.end());
        let http_raises = work
            .http_raises
            .iter()
            .map(|raise| {
                let raised = crate::python::http_errors::raised_error(
                    facts,
                    module,
                    is_package,
                    text,
                    raise,
                    &|_| true,
                )
                .ok_or("what it raises is not known")?;
                let commented =
                    crate::python::syntax::tokens_within(tokens, raised.call.arguments.range())
                        .iter()
                        .any(|token| token.kind() == ruff_python_ast::token::TokenKind::Comment);
                if commented {
                    return Err("a comment inside the call".to_string());
                }
                let shape = raised.shape.map_err(str::to_string)?;
                Ok((CompactString::from(raised.class), shape))
            })
            .collect();
        found.push(WorkSummary {
            http_raises,
            bound,
            ignored: ignored([header, work_range]),
            route: function.name.as_str().into(),
            awaited: statements
                .iter()
                .any(|stmt| crate::python::extraction::awaits(stmt)),
            returns: !crate::python::flow::return_statements(statements).is_empty(),
            work: code,
        });
    }
    found
}

fn service_code(
    facts: &FastApiFacts,
    tokens: &Tokens,
    text: &str,
    function: &ast::StmtFunctionDef,
    statements: &[Stmt],
    imports: &rustc_hash::FxHashMap<CompactString, CompactString>,
) -> Result<Extracted, String> {
    let found = needs(facts, function, statements, &[], true)?;
    let all: Vec<&ast::ParameterWithDefault> =
        function.parameters.iter_non_variadic_params().collect();
    let mut declarations = Vec::new();
    let mut types: Vec<&Expr> = Vec::new();
    for parameter in &all {
        let name = parameter.parameter.name.as_str();
        if !found.parameters.iter().any(|used| used == name) {
            continue;
        }
        // The type without FastAPI's metadata: `Annotated[T, Depends(f)]` is `T`.
        let annotation =
            parameter
                .parameter
                .annotation
                .as_deref()
                .map(|annotation| match annotation {
                    // An alias of this module: `SessionDep = Annotated[Session, …]`.
                    Expr::Name(name) => match facts
                        .module_values
                        .get(name.id.as_str())
                        .and_then(|value| value.value)
                    {
                        Some(alias @ Expr::Subscript(subscript)) if facts.is_annotated(alias) => {
                            match subscript.slice.as_ref() {
                                Expr::Tuple(tuple) => tuple.elts.first().unwrap_or(annotation),
                                _ => annotation,
                            }
                        }
                        _ => annotation,
                    },
                    Expr::Subscript(subscript) if facts.is_annotated(annotation) => {
                        match subscript.slice.as_ref() {
                            Expr::Tuple(tuple) => tuple.elts.first().unwrap_or(annotation),
                            _ => annotation,
                        }
                    }
                    _ => annotation,
                });
        let declaration = match annotation {
            Some(annotation) => {
                types.push(annotation);
                let written = &text[annotation.range()];
                let written = if written.contains('\n') {
                    crate::python::syntax::join_lines(written)
                        .ok_or("a parameter it reads is annotated over lines with a comment")?
                } else {
                    written.to_string()
                };
                format!("{name}: {written}")
            }
            None => name.to_string(),
        };
        declarations.push((CompactString::from(name), declaration));
    }
    if let Some(missing) = found
        .parameters
        .iter()
        .find(|used| !declarations.iter().any(|(name, _)| name == used.as_str()))
    {
        return Err(format!("it uses `*{missing}`"));
    }
    for local in &found.locals {
        declarations.push((local.as_str().into(), local.clone()));
    }
    let typed = needs(facts, function, &[], &types, false)?;
    let range = TextRange::new(
        statements[0].start(),
        statements[statements.len() - 1].end(),
    );
    let range = crate::python::extraction::with_trailing_comment(text, range);
    let code = reindented(text, tokens, range, "", "\n").ok_or(
        "its text cannot be re-indented (a string spans lines, or a line is indented less)",
    )?;
    Ok(Extracted {
        text: code,
        parameters: declarations,
        imports: absolute_imports(&found, &typed, imports),
    })
}

/// The imports a module that takes in moved code needs, as symbols, one
/// per local name: a name two meanings would bind is refused, and a name
/// the home defines itself needs no import.
#[derive(Debug, Default, Clone)]
pub struct HomeImports {
    pub symbols: Vec<crate::python::imports::Symbol>,
}

impl HomeImports {
    /// Adds `local`, meaning `qualified` (absolute). `None` when `local`
    /// stands for something else already.
    pub fn add(
        &mut self,
        index: &crate::project::index::ProjectIndex,
        home: &str,
        local: &str,
        qualified: &str,
    ) -> Option<()> {
        use crate::python::imports::Symbol;
        // The home bound to a name of its own: `deps.get_db` inside `deps`.
        if qualified == home {
            return None;
        }
        if qualified
            .rsplit_once('.')
            .is_some_and(|(module, name)| module == home && name == local)
        {
            return Some(());
        }
        let symbol = match qualified.rsplit_once('.') {
            Some((module, name)) => {
                let mut symbol = Symbol::owned(module, name);
                if name != local {
                    symbol.alias = Some(local.to_string().into());
                }
                symbol
            }
            None if qualified == local => Symbol::owned("", qualified),
            None => return None,
        };
        match self.symbols.iter().find(|known| known.local() == local) {
            Some(known)
                if index.canonical(&format!("{}.{}", known.module, known.name))
                    != index.canonical(qualified) =>
            {
                None
            }
            Some(_) => Some(()),
            None => {
                self.symbols.push(symbol);
                Some(())
            }
        }
    }

    /// Adds every import `code` uses.
    pub fn add_all(
        &mut self,
        index: &crate::project::index::ProjectIndex,
        home: &str,
        code: &Extracted,
    ) -> Option<()> {
        for (local, qualified) in &code.imports {
            self.add(index, home, local, qualified)?;
        }
        Some(())
    }

    /// A module the symbols come from that is, or imports, `router`: the
    /// home would import it back.
    pub fn imports_back(
        &self,
        index: &crate::project::index::ProjectIndex,
        router: &str,
    ) -> Option<String> {
        self.symbols.iter().find_map(|symbol| {
            let whole = format!("{}.{}", symbol.module, symbol.name);
            let module = if index.module(&whole).is_some() {
                whole
            } else {
                symbol.module.to_string()
            };
            (module == router || index.reaches(&module, router)).then_some(module)
        })
    }
}

/// The file of a new module `home` of the project, found from where the
/// module `router` lives: up to the packages they share, then down.
pub fn new_module_path(
    paths: &std::collections::HashMap<String, std::path::PathBuf>,
    router: &crate::project::index::ModuleSummary,
    home: &str,
) -> Option<std::path::PathBuf> {
    let path = paths.get(&router.name)?;
    let mut directory = path.parent()?.to_path_buf();
    let router_package: Vec<&str> = if router.is_package {
        router.name.split('.').collect()
    } else {
        let mut parts: Vec<&str> = router.name.split('.').collect();
        parts.pop();
        parts
    };
    let mut home_parts: Vec<&str> = home.split('.').collect();
    let file = home_parts.pop()?;
    let shared = router_package
        .iter()
        .zip(&home_parts)
        .take_while(|(a, b)| a == b)
        .count();
    for _ in shared..router_package.len() {
        directory = directory.parent()?.to_path_buf();
    }
    for part in &home_parts[shared..] {
        directory = directory.join(part);
    }
    Some(directory.join(format!("{file}.py")))
}

/// The edits that define `definitions` (each at column 0, lines joined
/// with `\n`, indented with four spaces) at the end of the file, in its
/// own line ending and indentation, with the imports they need. `Err` when
/// a name they use is bound to something else in the file.
pub fn appended_definitions(
    context: &crate::project::transform::FileContext,
    symbols: &[crate::python::imports::Symbol],
    definitions: &[&str],
) -> Result<Vec<crate::text::edit::Edit>, String> {
    use crate::text::edit::Edit;
    let imported = context.importer().import(symbols);
    if let Some((_, symbol)) = imported
        .references
        .iter()
        .zip(symbols)
        .find(|(reference, symbol)| *reference != symbol.local())
    {
        return Err(format!(
            "`{}` is bound to something else here",
            symbol.local()
        ));
    }
    let ending = context.source.line_ending().as_str();
    let unit = context.source.indent_unit();
    let text = context.source.text();
    let mut added = String::new();
    if !text.is_empty() && !text.ends_with('\n') {
        added.push_str(ending);
    }
    for definition in definitions {
        if !text.trim().is_empty() || !added.is_empty() {
            added.push_str(ending);
            added.push_str(ending);
        }
        for (number, line) in definition.lines().enumerate() {
            if number > 0 {
                added.push_str(ending);
            }
            let depth = line.len() - line.trim_start_matches("    ").len();
            added.push_str(&unit.repeat(depth / 4));
            added.push_str(&line[depth..]);
        }
        added.push_str(ending);
    }
    let mut edits = imported.edits;
    edits.push(Edit::insertion(added, context.source.text_len()));
    Ok(edits)
}

/// A definition a plan moves into a home module: its name, the imports
/// it needs there, and its text at column 0.
#[derive(Debug, Clone, Copy)]
pub struct MovedDefinition<'p> {
    pub name: &'p str,
    pub imports: &'p [crate::python::imports::Symbol],
    pub definition: &'p str,
}

/// The imports every definition needs, each once, in order.
fn merged_imports(definitions: &[MovedDefinition]) -> Vec<crate::python::imports::Symbol> {
    let mut symbols = Vec::new();
    for moved in definitions {
        for symbol in moved.imports {
            if !symbols.contains(symbol) {
                symbols.push(symbol.clone());
            }
        }
    }
    symbols
}

/// The text of a new home module holding `definitions`.
pub fn new_home_text(home: &str, definitions: &[MovedDefinition]) -> String {
    let first_party = home.split('.').next().unwrap_or(home);
    let mut text = crate::python::imports::import_block(&merged_imports(definitions), first_party);
    for moved in definitions {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(moved.definition);
        text.push('\n');
    }
    text
}

/// In an existing home's own run: the finding that defines `definitions`
/// at its end (`why` says for whom), or says why they cannot be.
pub fn define_in_home(
    context: &crate::project::transform::FileContext,
    transform: &crate::project::transform::Transform,
    definitions: &[MovedDefinition],
    why: &str,
    findings: &mut crate::project::transform::Findings,
) {
    use crate::text::edit::{Fix, Safety};
    let definitions: Vec<MovedDefinition> = definitions
        .iter()
        .filter(|moved| !context.facts.module_functions.contains_key(moved.name))
        .copied()
        .collect();
    let Some(first) = definitions.first() else {
        return;
    };
    let at = TextRange::empty(context.source.text_len());
    let texts: Vec<&str> = definitions.iter().map(|moved| moved.definition).collect();
    let names: Vec<&str> = definitions.iter().map(|moved| moved.name).collect();
    match appended_definitions(context, &merged_imports(&definitions), &texts) {
        Ok(edits) => findings.push(
            transform,
            at,
            format!("defines `{}` {why}", names.join("`, `")),
            Some(Fix::new(
                format!("Define `{}`", names.join("`, `")),
                edits,
                Safety::Unsafe,
            )),
        ),
        Err(reason) => findings.push(
            transform,
            at,
            format!("`{}` cannot be defined here: {reason}", first.name),
            None,
        ),
    }
}
