//! # split-schemas (unsafe)
//!
//! ## What it does
//! Splits a Pydantic model that holds a secret field (`password`,
//! `hashed_password`, `password_hash`, `secret`, `*_secret`, `token`,
//! `*_token`, `api_key`, `private_key`, and the names listed under
//! `[tool.fastapi-codemod.split-schemas] secret-fields`) that routes send to
//! clients — as a `response_model`, a return annotation or a returned value,
//! also through a service function — or receive as a request body while it
//! holds fields only the server should set, into the three models the
//! practice asks for, written next to it:
//! - `<Name>Create`: what a client sends. Plaintext secrets stay; fields
//!   the server makes (`id`, `created_at`, `updated_at`, hashed secrets) go.
//! - `<Name>Read`: what a client may see. No secret of any kind, and it reads
//!   attributes (`model_config = ConfigDict(from_attributes=True)`, or
//!   `class Config: orm_mode = True` in a Pydantic v1 file).
//! - `<Name>InDB`: the stored form, everything but plaintext secrets. The
//!   original name stays importable as `<Name> = <Name>InDB`.
//!
//! Field annotations, defaults, `Field(...)` calls and comments are carried
//! verbatim. A field validator goes with every class that keeps all the
//! fields it validates; model validators go with `Create` (they check
//! input); other methods stay with `InDB`. A model that inherits project
//! fields (`class User(UserBase)`) keeps inheriting them. A family that
//! partly exists (`UserCreate` but no `UserRead`) is completed, not
//! duplicated; when `<Name>InDB` exists the original class stays.
//!
//! Then every use across the project is rewritten by the role it plays:
//! - in: a route's body parameter, and the parameter of a project function
//!   or CRUD method that the route passes the body to → `Create`;
//! - out: `response_model=`, a route's return annotation → `Read`;
//! - stored or loaded: other annotations and constructor calls → `InDB`.
//!
//! Imports follow, file by file, and a package that re-exports the model
//! re-exports its new members too. A use whose role cannot be told (a base
//! class, `isinstance`) is left as it is — it still works through the alias
//! — and reported.
//!
//! ## Why is this bad?
//! One model for everything leaks secrets: the `User` that accepts a sign-up
//! also goes back out with its `hashed_password`, and clients can set fields
//! only the server should ("Separate Schemas for Input, Output, and
//! Internal Use").
//!
//! ## Example
//! ```python
//! from fastapi import APIRouter
//! from pydantic import BaseModel
//!
//! router = APIRouter()
//!
//!
//! class User(BaseModel):
//!     id: int | None = None
//!     email: str
//!     password: str | None = None
//!     hashed_password: str | None = None
//!
//!
//! @router.post("/users", response_model=User)
//! def sign_up(user: User):
//!     return User(id=1, email=user.email, hashed_password="hashed")
//! ```
//!
//! Use instead:
//! ```python
//! from fastapi import APIRouter
//! from pydantic import BaseModel, ConfigDict
//!
//! router = APIRouter()
//!
//!
//! class UserCreate(BaseModel):
//!     """What a client sends."""
//!
//!     email: str
//!     password: str | None = None
//!
//!
//! class UserRead(BaseModel):
//!     """What the API sends back: no secrets."""
//!
//!     model_config = ConfigDict(from_attributes=True)
//!
//!     id: int | None = None
//!     email: str
//!
//!
//! class UserInDB(BaseModel):
//!     """The stored form."""
//!
//!     id: int | None = None
//!     email: str
//!     hashed_password: str | None = None
//!
//!
//! User = UserInDB  # kept for code outside the project: use UserCreate, UserRead or UserInDB
//!
//!
//! @router.post("/users", response_model=UserRead)
//! def sign_up(user: UserCreate):
//!     return UserInDB(id=1, email=user.email, hashed_password="hashed")
//! ```
//!
//! ## Fix safety
//! Unsafe: it changes the API's request and response schemas. Clients can
//! no longer send server-made fields (`id`, `hashed_password`) and no longer
//! receive secrets; code that built the model from a request and read a
//! server-made field from it must now get that field elsewhere. Review the
//! new classes (which fields went where, which validators followed them)
//! and every reported use.

use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::project::references::{ProjectReference, project_reference};
use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::fastapi::qualified_in;
use crate::python::imports::Symbol;
use crate::text::edit::{Edit, Fix, Safety};

pub mod plan;

use plan::{Member, Role, SchemaPlan, SplitModel, keeps};

pub static TRANSFORM: Transform = Transform {
    name: "split-schemas",
    safety: Safety::Unsafe,
    summary: "a model with secrets used by routes becomes `Create` / `Read` / `InDB`, and every use takes the right one",
    ruff_code: None,
    source: include_str!("split_schemas.rs"),
    run,
    plan: Some(plan::plan),
    configure: Some(plan::configure),
    requires: None,
};

/// A reference to a model being split, and the member it becomes.
struct Use<'a> {
    expr: &'a Expr,
    split: &'a SplitModel,
    role: Role,
}

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(module) = context.module_name else {
        return;
    };
    let Some(plan) = context.plan::<SchemaPlan>() else {
        return;
    };
    // Most files never mention a model being split: nothing to look at.
    let text = context.source.text();
    if !plan
        .models()
        .map(|split| split.name.as_str())
        .chain(plan.refused_names())
        .any(|name| text.contains(name))
    {
        return;
    }
    let index = &context.project.index;
    let is_package = context.is_package;
    // A reference: a name, an attribute chain, or a string annotation of one
    // (`"User"`, `"schemas.User"`).
    let resolve = |expr: &Expr| -> Option<&SplitModel> {
        let qualified = match expr {
            Expr::StringLiteral(literal) => {
                let text = literal.value.to_str();
                if !is_dotted_name(text) {
                    return None;
                }
                let parsed = ruff_python_parser::parse_expression(text).ok()?;
                qualified_in(context.facts, module, is_package, parsed.expr())?
            }
            other => qualified_in(context.facts, module, is_package, other)?,
        };
        plan.model(&index.canonical(&qualified))
    };

    let mut edits: Vec<Edit> = Vec::new();
    let mut notes: Vec<(TextRange, String)> = Vec::new();
    let mut symbols: Vec<Symbol> = Vec::new();

    // The new classes, where the model lives.
    let mut definitions: Vec<TextRange> = Vec::new();
    let mut refusals: Vec<(TextRange, String)> = Vec::new();
    for split in plan.new_in(module) {
        let Some(class) = context.facts.module_classes.get(&split.name) else {
            continue;
        };
        // Written in an earlier pass.
        if split
            .new_members()
            .all(|member| context.facts.module_classes.contains_key(&member.name))
        {
            continue;
        }
        match definition(context, split, class) {
            Ok((edit, needs)) => {
                definitions.push(class.range());
                let mut message = format!(
                    "`{}` holds secrets and serves routes: split it into {}",
                    split.name,
                    split
                        .new_members()
                        .map(|member| format!("`{}`", member.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                // A plaintext secret with no hash beside it was being stored.
                let fields =
                    crate::project::models::field_names(&context.project.index, &split.model);
                let unhashed: Vec<&String> = fields
                    .iter()
                    .filter(|field| !keeps(&context.project.index, Role::InDb, field))
                    .collect();
                if !split.in_db.exists
                    && !unhashed.is_empty()
                    && !fields
                        .iter()
                        .any(|field| crate::python::naming::is_hashed_field(field))
                {
                    message.push_str(&format!(
                        "; `{}` leaves out {}: store a hash instead",
                        split.in_db.name,
                        unhashed
                            .iter()
                            .map(|field| format!("`{field}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                notes.push((class.range(), message));
                edits.push(edit);
                symbols.extend(needs);
            }
            Err(reason) => refusals.push((class.range(), reason)),
        }
    }
    // A model that cannot be written here: this file changes nothing, and
    // the run drops the split everywhere once it sees it did not land.
    if !refusals.is_empty() {
        for (range, reason) in refusals {
            findings.push(&TRANSFORM, range, reason, None);
        }
        return;
    }

    for (model, reason) in plan.refused_in(module) {
        if let Some(class) = context.facts.module_classes.get(model) {
            findings.push(&TRANSFORM, class.range(), reason.clone(), None);
        }
    }

    // A package that re-exports a model re-exports its new members.
    if is_package {
        for (range, message, added) in re_exports(context, module, &resolve, &mut symbols) {
            notes.push((range, message));
            edits.extend(added);
        }
    }

    // Uses, by role.
    let mut collector = References {
        resolve: &resolve,
        found: Vec::new(),
    };
    collector.visit_body(&context.module.body);
    let all_references = collector.found;
    let mut uses: Vec<Use> = Vec::new();
    let mut handled: HashSet<TextRange> = HashSet::default();
    for (expr, split, role) in role_uses(context, module, &resolve) {
        if definitions
            .iter()
            .any(|range| range.contains_range(expr.range()))
        {
            continue;
        }
        if handled.insert(expr.range()) {
            uses.push(Use { expr, split, role });
        }
    }
    for (expr, split) in &all_references {
        let inside_definition = definitions
            .iter()
            .any(|range| range.contains_range(expr.range()));
        if !inside_definition && !handled.contains(&expr.range()) && !is_alias_target(context, expr)
        {
            notes.push((
                expr.range(),
                format!(
                    "this use of `{}` is left as it is (its role cannot be told); it now means `{}`",
                    split.name, split.in_db.name
                ),
            ));
        }
    }

    // How this file writes each member.
    let mut replacements: Vec<(TextRange, String)> = Vec::new();
    let mut pending: Vec<(TextRange, usize, Option<char>)> = Vec::new();
    for item in &uses {
        let member = match item.role {
            Role::Create => &item.split.create,
            Role::Read => &item.split.read,
            Role::InDb => &item.split.in_db,
        };
        match spelling(context, module, is_package, item.expr, item.split, member) {
            Some(Spelling::Text(text)) => replacements.push((item.expr.range(), text)),
            Some(Spelling::Import(symbol)) => {
                let position = symbol_position(&mut symbols, symbol);
                pending.push((item.expr.range(), position, None));
            }
            Some(Spelling::QuotedImport(symbol, quote)) => {
                let position = symbol_position(&mut symbols, symbol);
                pending.push((item.expr.range(), position, Some(quote)));
            }
            None => notes.push((
                item.expr.range(),
                format!(
                    "`{}` should become `{}` here, but this file cannot import it",
                    item.split.name, member.name
                ),
            )),
        }
    }
    if uses.is_empty() && definitions.is_empty() && edits.is_empty() && symbols.is_empty() {
        for (range, message) in notes {
            findings.push(&TRANSFORM, range, message, None);
        }
        return;
    }

    // Imports: the new names. The model's import, once nothing uses it, is
    // the engine's to remove.
    let imported = context.importer().import(&symbols);
    let (references, import_edits) = (imported.references, imported.edits);
    for (range, position, quote) in pending {
        let reference = &references[position];
        replacements.push((
            range,
            match quote {
                Some(quote) => format!("{quote}{reference}{quote}"),
                None => reference.clone(),
            },
        ));
    }
    for (range, text) in replacements {
        notes.push((range, format!("use `{text}` here")));
        edits.push(Edit::replacement(text, range));
    }
    edits.extend(import_edits);

    let fix = (!edits.is_empty()).then(|| {
        Fix::new(
            format!("split models with secrets in `{module}`"),
            edits,
            Safety::Unsafe,
        )
    });
    for (range, message) in notes {
        findings.push(&TRANSFORM, range, message, fix.clone());
    }
}

/// Every reference to a model being split, with its split.
struct References<'a> {
    resolve: &'a dyn Fn(&Expr) -> Option<&'a SplitModel>,
    found: Vec<(&'a Expr, &'a SplitModel)>,
}

impl<'a> Visitor<'a> for References<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let is_all = matches!(stmt, Stmt::Assign(assign) if assign
            .targets
            .iter()
            .any(|target| matches!(target, Expr::Name(name) if name.id == "__all__")));
        if !matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_)) && !is_all {
            visitor::walk_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if matches!(
            expr,
            Expr::Name(_) | Expr::Attribute(_) | Expr::StringLiteral(_)
        ) && let Some(split) = (self.resolve)(expr)
        {
            self.found.push((expr, split));
            return;
        }
        visitor::walk_expr(self, expr);
    }
}

/// The references whose role is known: route bodies and the parameters
/// they flow into take `Create`; responses take `Read`; other annotations
/// and constructor calls take `InDB`.
fn role_uses<'a>(
    context: &'a FileContext,
    module: &str,
    resolve: &'a dyn Fn(&Expr) -> Option<&'a SplitModel>,
) -> Vec<(&'a Expr, &'a SplitModel, Role)> {
    let facts = context.facts;
    let mut found: Vec<(&'a Expr, &'a SplitModel, Role)> = Vec::new();
    let push_all = |expr: &'a Expr, role: Role, found: &mut Vec<_>| {
        let mut references = References {
            resolve,
            found: Vec::new(),
        };
        references.visit_expr(expr);
        for (reference, split) in references.found {
            found.push((reference, split, role));
        }
    };
    // Routes first: their roles win over the generic ones below.
    for route in &facts.routes {
        let function = route.function;
        if let Some(keyword) = route.decorator.arguments.find_keyword("response_model") {
            push_all(&keyword.value, Role::Read, &mut found);
        }
        if let Some(returns) = function.returns.as_deref() {
            push_all(returns, Role::Read, &mut found);
        }
        for parameter in function.parameters.iter_non_variadic_params() {
            let Some(annotation) = parameter.parameter.annotation.as_deref() else {
                continue;
            };
            let from_body = facts.is_body_parameter(parameter);
            if from_body {
                // `User`, `Annotated[User, Body()]`, `"User"`.
                push_all(annotation, Role::Create, &mut found);
            } else {
                // Injected by a dependency: a loaded object.
                push_all(annotation, Role::InDb, &mut found);
            }
        }
    }
    // Parameters that receive a route's body.
    for (qualified, function) in qualified_functions(context, module) {
        for parameter in function.parameters.iter_non_variadic_params() {
            let Some(annotation) = parameter.parameter.annotation.as_deref() else {
                continue;
            };
            let role = match resolve(annotation) {
                Some(split)
                    if split.create_parameters.contains(&(
                        qualified.clone(),
                        parameter.parameter.name.id.to_string(),
                    )) =>
                {
                    Role::Create
                }
                _ => Role::InDb,
            };
            push_all(annotation, role, &mut found);
        }
        if let Some(returns) = function.returns.as_deref() {
            push_all(returns, Role::InDb, &mut found);
        }
    }
    // Stored or loaded: annotated names and constructor calls.
    struct Stored<'a> {
        resolve: &'a dyn Fn(&Expr) -> Option<&'a SplitModel>,
        found: Vec<(&'a Expr, &'a SplitModel, Role)>,
    }
    impl<'a> Visitor<'a> for Stored<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            // Annotated names, and dependency aliases
            // (`CurrentUser = Annotated[User, Depends(get_current_user)]`).
            let typed = match stmt {
                Stmt::AnnAssign(assign) => Some(assign.annotation.as_ref()),
                Stmt::Assign(assign) => match assign.value.as_ref() {
                    Expr::Subscript(subscript)
                        if matches!(subscript.value.as_ref(), Expr::Name(name) if name.id == "Annotated")
                            || matches!(subscript.value.as_ref(), Expr::Attribute(attribute) if attribute.attr.id == "Annotated") =>
                    {
                        Some(assign.value.as_ref())
                    }
                    _ => None,
                },
                _ => None,
            };
            if let Some(typed) = typed {
                let mut references = References {
                    resolve: self.resolve,
                    found: Vec::new(),
                };
                references.visit_expr(typed);
                for (reference, split) in references.found {
                    self.found.push((reference, split, Role::InDb));
                }
            }
            visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                let callee = match call.func.as_ref() {
                    // `User.model_validate(...)`, `User.parse_obj(...)`
                    Expr::Attribute(attribute) if (self.resolve)(&attribute.value).is_some() => {
                        Some(attribute.value.as_ref())
                    }
                    other if (self.resolve)(other).is_some() => Some(other),
                    _ => None,
                };
                if let Some(callee) = callee
                    && let Some(split) = (self.resolve)(callee)
                {
                    self.found.push((callee, split, Role::InDb));
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut stored = Stored {
        resolve,
        found: Vec::new(),
    };
    stored.visit_body(&context.module.body);
    found.extend(stored.found);
    found
}

/// Every function of the module with its qualified name: `module.function`,
/// or `module.Class.method` for methods of module-level classes.
fn qualified_functions<'a>(
    context: &'a FileContext,
    module: &str,
) -> Vec<(String, &'a StmtFunctionDef)> {
    let mut functions = Vec::new();
    for stmt in &context.module.body {
        match stmt {
            Stmt::FunctionDef(function) if context.facts.route_of(function).is_none() => {
                functions.push((format!("{module}.{}", function.name.id), function));
            }
            Stmt::ClassDef(class) => {
                for inner in &class.body {
                    if let Stmt::FunctionDef(method) = inner {
                        functions.push((
                            format!("{module}.{}.{}", class.name.id, method.name.id),
                            method,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    functions
}

/// Whether a reference is the target of a module-level assignment (the
/// model's own alias line, `User = UserInDB`).
fn is_alias_target(context: &FileContext, expr: &Expr) -> bool {
    context.module.body.iter().any(|stmt| match stmt {
        Stmt::Assign(assign) => assign
            .targets
            .iter()
            .any(|target| target.range() == expr.range()),
        _ => false,
    })
}

/// How a use site writes a member.
enum Spelling {
    Text(String),
    Import(Symbol),
    /// Imported, and written inside the string annotation's quotes.
    QuotedImport(Symbol, char),
}

fn spelling(
    context: &FileContext,
    module: &str,
    is_package: bool,
    expr: &Expr,
    split: &SplitModel,
    member: &Member,
) -> Option<Spelling> {
    if member.exists && member.qualified.rsplit_once('.').map(|(home, _)| home) != Some(&split.home)
    {
        // A member elsewhere in the project: as the file would import it.
        return Some(
            match project_reference(
                &context.project.index,
                context.facts,
                module,
                is_package,
                &member.qualified,
            )? {
                ProjectReference::Bound(text) => Spelling::Text(text),
                ProjectReference::Import(symbol) => Spelling::Import(symbol),
            },
        );
    }
    match expr {
        // `schemas.User` → `schemas.UserCreate`.
        Expr::Attribute(attribute) => Some(Spelling::Text(format!(
            "{}.{}",
            context.source.slice(attribute.value.range()),
            member.name
        ))),
        Expr::Name(name) => {
            name_spelling(context, module, is_package, name.id.as_str(), split, member)
        }
        // `"User"` → `"UserCreate"`, `"schemas.User"` → `"schemas.UserCreate"`.
        Expr::StringLiteral(literal) => {
            let text = literal.value.to_str();
            let quote = context.source.slice(expr.range()).chars().next()?;
            let inner = match text.rsplit_once('.') {
                Some((prefix, _)) => format!("{prefix}.{}", member.name),
                None => match name_spelling(context, module, is_package, text, split, member)? {
                    Spelling::Text(text) => text,
                    Spelling::Import(symbol) => {
                        return Some(Spelling::QuotedImport(symbol, quote));
                    }
                    Spelling::QuotedImport(..) => return None,
                },
            };
            Some(Spelling::Text(format!("{quote}{inner}{quote}")))
        }
        _ => None,
    }
}

/// How a file writes a member where it refers to the model by a plain
/// name (bound by an import, or defined in the model's own module).
fn name_spelling(
    context: &FileContext,
    module: &str,
    is_package: bool,
    name: &str,
    split: &SplitModel,
    member: &Member,
) -> Option<Spelling> {
    {
        {
            if module == split.home {
                return Some(Spelling::Text(member.name.clone()));
            }
            // A name imported inside a function (to break an import cycle)
            // or only for type checkers cannot move to module level.
            if !context.facts.runtime_import_names.contains(name) {
                return None;
            }
            // The member's name must be free here.
            if context.facts.imports.is_bound(&member.name)
                || context.facts.module_classes.contains_key(&member.name)
                || context.facts.module_functions.contains_key(&member.name)
                || context.facts.module_assignments.contains(&member.name)
            {
                return None;
            }
            // From where this file imports the model.
            let target = context
                .facts
                .imports
                .iter()
                .find(|(local, _)| *local == name)
                .map(|(_, target)| target.to_string())?;
            let (from, _) = target.rsplit_once('.')?;
            let from = if from.is_empty() { "." } else { from };
            // The model's module, or a package that re-exports it (which
            // re-exports the new members too); any other module that
            // happens to import the model does not, so import from home.
            let dots = from.len() - from.trim_start_matches('.').len();
            let absolute = if dots == 0 {
                Some(from.to_string())
            } else {
                crate::python::fastapi::resolve_relative(
                    module,
                    is_package,
                    dots as u32,
                    Some(&from[dots..]),
                )
            };
            let re_exporting = absolute.as_deref().is_some_and(|absolute| {
                absolute == split.home
                    || context
                        .project
                        .index
                        .module(absolute)
                        .is_some_and(|summary| summary.is_package)
            });
            let from = if re_exporting {
                from.to_string()
            } else if dots > 0 {
                crate::python::imports::relative_spelling(module, is_package, &split.home)
                    .unwrap_or_else(|| split.home.clone())
            } else {
                split.home.clone()
            };
            Some(Spelling::Import(Symbol::owned(from, member.name.clone())))
        }
    }
}

/// The position of `symbol` in `symbols`, added if missing.
fn symbol_position(symbols: &mut Vec<Symbol>, symbol: Symbol) -> usize {
    match symbols.iter().position(|known| *known == symbol) {
        Some(position) => position,
        None => {
            symbols.push(symbol);
            symbols.len() - 1
        }
    }
}

/// Whether a string is a plain dotted name (`User`, `schemas.User`).
fn is_dotted_name(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
}

/// For a package `__init__` that imports a split model by name: the new
/// members imported the same way, and added to `__all__` next to it.
fn re_exports<'a>(
    context: &FileContext,
    module: &str,
    resolve: &'a dyn Fn(&Expr) -> Option<&'a SplitModel>,
    symbols: &mut Vec<Symbol>,
) -> Vec<(TextRange, String, Vec<Edit>)> {
    let mut found = Vec::new();
    for stmt in &context.module.body {
        let Stmt::ImportFrom(import) = stmt else {
            continue;
        };
        for alias in &import.names {
            let local = alias.asname.as_ref().unwrap_or(&alias.name);
            let name_expr = Expr::Name(ast::ExprName {
                node_index: Default::default(),
                range: local.range(),
                id: local.id.clone(),
                ctx: ast::ExprContext::Load,
            });
            let Some(split) = resolve(&name_expr) else {
                continue;
            };
            if split.home == module {
                continue;
            }
            let from = format!(
                "{}{}",
                ".".repeat(import.level as usize),
                import.module.as_ref().map_or("", |name| name.id.as_str())
            );
            let names: Vec<&str> = split
                .new_members()
                .filter(|member| !context.facts.imports.is_bound(&member.name))
                .map(|member| member.name.as_str())
                .collect();
            let listed = all_entries(context, &split.name, &names);
            let mut added: Vec<&str> = Vec::new();
            for name in names {
                // Without `__all__`, an explicit re-export (`UserRead as
                // UserRead`) says the name is there for other modules.
                let symbol = Symbol::owned(from.clone(), name);
                let symbol = if listed.is_empty() {
                    symbol.re_exported()
                } else {
                    symbol
                };
                if !symbols.contains(&symbol) {
                    symbols.push(symbol);
                }
                added.push(name);
            }
            if added.is_empty() {
                continue;
            }
            found.push((
                alias.range(),
                format!(
                    "re-export {} next to `{}`",
                    added
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    split.name
                ),
                listed,
            ));
        }
    }
    found
}

/// Edits adding `names` after `after` in a module's `__all__` list.
fn all_entries(context: &FileContext, after: &str, names: &[&str]) -> Vec<Edit> {
    for stmt in &context.module.body {
        let Stmt::Assign(assign) = stmt else { continue };
        let is_all = assign
            .targets
            .iter()
            .any(|target| matches!(target, Expr::Name(name) if name.id == "__all__"));
        let (true, Expr::List(list)) = (is_all, assign.value.as_ref()) else {
            continue;
        };
        let Some(element) = list.elts.iter().find(
            |element| matches!(element, Expr::StringLiteral(literal) if literal.value.to_str() == after),
        ) else {
            continue;
        };
        let quote = context
            .source
            .slice(element.range())
            .chars()
            .next()
            .unwrap_or('"');
        let one_per_line = context.source.starts_line(element.start());
        let text: String = if one_per_line {
            let indent = context.source.indentation_at(element.start());
            let ending = context.source.line_ending().as_str();
            names
                .iter()
                .map(|name| format!(",{ending}{indent}{quote}{name}{quote}"))
                .collect()
        } else {
            names
                .iter()
                .map(|name| format!(", {quote}{name}{quote}"))
                .collect()
        };
        return vec![Edit::insertion(text, element.end())];
    }
    Vec::new()
}

/// The edit replacing the model's class with its new members (and the
/// alias), or adding the missing members after it; and the imports the new
/// text needs. `Err` says why the model cannot be split.
fn definition(
    context: &FileContext,
    split: &SplitModel,
    class: &ast::StmtClassDef,
) -> Result<(Edit, Vec<Symbol>), String> {
    let source = context.source;
    let ending = source.line_ending().as_str();
    let unit = source.indent_unit();
    // Statements sharing a line (`class User(BaseModel): id: int`, `a: int; b: str`)
    // cannot be handed out line by line.
    let shares_lines = class.body.iter().any(|stmt| {
        let line_start = source.line_start(stmt.start());
        !source
            .slice(TextRange::new(line_start, stmt.start()))
            .trim()
            .is_empty()
    });
    if shares_lines {
        return Err(format!(
            "`{}` holds secrets, but its body shares lines between statements: split it by hand",
            split.name
        ));
    }
    if !class.decorator_list.is_empty() || !source.indentation_at(class.start()).is_empty() {
        return Err(format!(
            "`{}` holds secrets, but a decorated or nested class is not split automatically",
            split.name
        ));
    }
    let bases = class.arguments.as_ref().map_or(String::new(), |arguments| {
        source.slice(arguments.range()).to_string()
    });
    // A statement's lines, with the comment lines right above it.
    let header_end = source.full_line_end(
        class
            .arguments
            .as_ref()
            .map_or(class.name.end(), |arguments| arguments.end()),
    );
    let text_of_lines = |range: TextRange| -> String {
        let mut start = source.line_start(range.start());
        while start > header_end {
            let previous = source.line_start(start - TextSize::new(1));
            let line = source.slice(TextRange::new(previous, start)).trim();
            if !line.starts_with('#') {
                break;
            }
            start = previous;
        }
        source
            .slice(TextRange::new(start, source.full_line_end(range.end())))
            .to_string()
    };
    let ensure_ending = |mut text: String| {
        if !text.ends_with(['\n', '\r']) {
            text.push_str(ending);
        }
        text
    };
    // The body in its own order: each statement, what it is, its text.
    let mut docstring: Option<String> = None;
    let mut items: Vec<(Item, String)> = Vec::new();
    let mut config: Option<&Stmt> = None;
    let mut field_list: Vec<String> = Vec::new();
    for (position, stmt) in class.body.iter().enumerate() {
        let text = ensure_ending(text_of_lines(stmt_range_with_decorators(stmt)));
        let item = match stmt {
            Stmt::Expr(expr) if position == 0 && matches!(*expr.value, Expr::StringLiteral(_)) => {
                docstring = Some(text);
                continue;
            }
            Stmt::AnnAssign(assign) => match assign.target.as_ref() {
                Expr::Name(name) => {
                    field_list.push(name.id.to_string());
                    Item::Field(name.id.to_string())
                }
                _ => Item::Other,
            },
            Stmt::Assign(assign)
                if assign.targets.iter().any(
                    |target| matches!(target, Expr::Name(name) if name.id == "model_config"),
                ) =>
            {
                config = Some(stmt);
                Item::Config
            }
            Stmt::ClassDef(inner) if inner.name.id == "Config" => {
                config = Some(stmt);
                Item::Config
            }
            Stmt::FunctionDef(function) => match validator_fields(function) {
                Some(Validator::Fields(names)) => Item::FieldValidator(names),
                Some(Validator::Model) => Item::ModelValidator,
                None if is_computed_field(function) => Item::ComputedField,
                None => Item::Other,
            },
            Stmt::Pass(_) => continue,
            _ => Item::Other,
        };
        items.push((item, text));
    }

    let v1 = match config {
        Some(Stmt::ClassDef(_)) => true,
        Some(_) => false,
        None => {
            let text = source.text();
            !(text.contains("model_config")
                || text.contains("ConfigDict")
                || text.contains("field_validator"))
                && (text.contains("orm_mode")
                    || text.contains("class Config")
                    || text.contains("@validator"))
        }
    };
    let mut needs: Vec<Symbol> = Vec::new();
    let read_config = match config {
        Some(stmt) => read_config_text(context, stmt, unit, ending),
        None if v1 => format!("{unit}class Config:{ending}{unit}{unit}orm_mode = True{ending}"),
        None => {
            needs.push(Symbol::new("pydantic", "ConfigDict"));
            let config_dict = context
                .facts
                .imports
                .local_name_of("pydantic.ConfigDict")
                .unwrap_or("ConfigDict");
            format!("{unit}model_config = {config_dict}(from_attributes=True){ending}")
        }
    };
    let mut classes: Vec<String> = Vec::new();
    for member in split.new_members() {
        let role = role_of(split, member);
        let mut text = format!("class {}{bases}:{ending}", member.name);
        let doc = match role {
            Role::Create => format!("{unit}\"\"\"What a client sends.\"\"\"{ending}"),
            Role::Read => format!("{unit}\"\"\"What the API sends back: no secrets.\"\"\"{ending}"),
            Role::InDb => docstring
                .clone()
                .unwrap_or_else(|| format!("{unit}\"\"\"The stored form.\"\"\"{ending}")),
        };
        text.push_str(&doc);
        // Kept statements in their order; consecutive fields stay together,
        // anything else is set apart by a blank line.
        let mut kept: Vec<(bool, String)> = Vec::new();
        if role == Role::Read && config.is_none() && !v1 {
            kept.push((false, read_config.clone()));
        }
        for (item, statement) in &items {
            let keep = match item {
                Item::Field(name) => keeps(&context.project.index, role, name),
                Item::Config => true,
                Item::FieldValidator(names) => names.iter().all(|name| {
                    name == "*"
                        || (keeps(&context.project.index, role, name) && field_list.contains(name))
                }),
                Item::ModelValidator => role == Role::Create,
                Item::ComputedField => role != Role::Create,
                Item::Other => role == Role::InDb,
            };
            // Nor where it reads a field this member drops
            // (`info.data["password"]`, `self.password`).
            let reads_dropped = !matches!(item, Item::Field(_))
                && field_list.iter().any(|field| {
                    !keeps(&context.project.index, role, field) && mentions_field(statement, field)
                });
            if !keep || reads_dropped {
                continue;
            }
            let statement = match (item, role) {
                (Item::Config, Role::Read) => read_config.clone(),
                // A self-reference (`friends: list["User"]`) names the member.
                (Item::Field(_), _) => statement
                    .replace(
                        &format!("\"{}\"", split.name),
                        &format!("\"{}\"", member.name),
                    )
                    .replace(&format!("'{}'", split.name), &format!("'{}'", member.name)),
                _ => statement.clone(),
            };
            kept.push((matches!(item, Item::Field(_)), statement));
        }
        if role == Role::Read && config.is_none() && v1 {
            kept.push((false, read_config.clone()));
        }
        let mut previous_was_field = false;
        for (position, (is_field, statement)) in kept.iter().enumerate() {
            if position == 0 || !(*is_field && previous_was_field) {
                text.push_str(ending);
            }
            text.push_str(statement);
            previous_was_field = *is_field;
        }
        classes.push(text);
    }
    let separator = format!("{ending}{ending}");
    let mut text = classes.join(&separator);
    if split.replaces_original() {
        text.push_str(&separator);
        text.push_str(&format!(
            "{} = {}  # kept for code outside the project: use {}, {} or {}{ending}",
            split.name, split.in_db.name, split.create.name, split.read.name, split.in_db.name
        ));
        let range = TextRange::new(
            source.line_start(class.start()),
            source.full_line_end(class.end()),
        );
        return Ok((Edit::replacement(text, range), needs));
    }
    let end = source.full_line_end(class.end());
    Ok((
        Edit::insertion(format!("{ending}{ending}{text}"), end),
        needs,
    ))
}

fn role_of(split: &SplitModel, member: &Member) -> Role {
    if member.name == split.create.name {
        Role::Create
    } else if member.name == split.read.name {
        Role::Read
    } else {
        Role::InDb
    }
}

/// A statement's range with its decorators.
fn stmt_range_with_decorators(stmt: &Stmt) -> TextRange {
    match stmt {
        Stmt::FunctionDef(function) => match function.decorator_list.first() {
            Some(first) => TextRange::new(first.start(), function.end()),
            None => function.range(),
        },
        other => other.range(),
    }
}

/// What a statement of the model's body is, for deciding where it goes.
enum Item {
    Field(String),
    Config,
    FieldValidator(Vec<String>),
    ModelValidator,
    /// `@computed_field`: part of what is sent and stored, not received.
    ComputedField,
    Other,
}

/// Whether a statement's text reads a field: `self.field`, `values["field"]`.
fn mentions_field(text: &str, field: &str) -> bool {
    text.contains(&format!(".{field}"))
        || text.contains(&format!("\"{field}\""))
        || text.contains(&format!("'{field}'"))
}

enum Validator {
    /// `@field_validator("a", "b")` / `@validator("a")`.
    Fields(Vec<String>),
    /// `@model_validator(...)` / `@root_validator`.
    Model,
}

fn validator_fields(function: &StmtFunctionDef) -> Option<Validator> {
    for decorator in &function.decorator_list {
        let (callee, arguments) = match &decorator.expression {
            Expr::Call(call) => (call.func.as_ref(), Some(&call.arguments)),
            other => (other, None),
        };
        let name = match callee {
            Expr::Name(name) => name.id.as_str(),
            Expr::Attribute(attribute) => attribute.attr.id.as_str(),
            _ => continue,
        };
        match name {
            "field_validator" | "validator" => {
                let names = arguments?
                    .args
                    .iter()
                    .filter_map(|argument| match argument {
                        Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
                        _ => None,
                    })
                    .collect();
                return Some(Validator::Fields(names));
            }
            "model_validator" | "root_validator" => return Some(Validator::Model),
            _ => {}
        }
    }
    None
}

/// Whether a method is decorated `@computed_field`.
fn is_computed_field(function: &StmtFunctionDef) -> bool {
    function.decorator_list.iter().any(|decorator| {
        let callee = match &decorator.expression {
            Expr::Call(call) => call.func.as_ref(),
            other => other,
        };
        matches!(callee, Expr::Name(name) if name.id == "computed_field")
            || matches!(callee, Expr::Attribute(attribute) if attribute.attr.id == "computed_field")
    })
}

/// The Read member's configuration: the original's, reading attributes.
fn read_config_text(context: &FileContext, stmt: &Stmt, unit: &str, ending: &str) -> String {
    let source = context.source;
    let original = source
        .slice(TextRange::new(
            source.line_start(stmt.start()),
            source.full_line_end(stmt.end()),
        ))
        .to_string();
    let original = if original.ends_with(['\n', '\r']) {
        original
    } else {
        format!("{original}{ending}")
    };
    match stmt {
        Stmt::Assign(assign) => match assign.value.as_ref() {
            // `ConfigDict(...)` in any layout gains the argument the way a
            // decorator gains `response_model=`.
            Expr::Call(call) if call.arguments.find_keyword("from_attributes").is_none() => {
                let base = source.line_start(stmt.start());
                let mut edits = crate::python::syntax::append_argument(
                    source,
                    context.tokens,
                    &call.arguments,
                    "from_attributes=True",
                    context.options.line_length,
                );
                edits.sort_by_key(|edit| std::cmp::Reverse(edit.start()));
                let mut text = original.clone();
                for edit in edits {
                    let start = usize::from(edit.start() - base);
                    let end = usize::from(edit.end() - base);
                    text.replace_range(start..end, edit.content());
                }
                text
            }
            _ => original,
        },
        Stmt::ClassDef(inner) => {
            let has_flag = source.slice(inner.range()).contains("orm_mode")
                || source.slice(inner.range()).contains("from_attributes");
            if has_flag {
                original
            } else {
                format!("{original}{unit}{unit}orm_mode = True{ending}")
            }
        }
        _ => original,
    }
}
