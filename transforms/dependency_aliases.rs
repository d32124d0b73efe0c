//! # dependency-aliases (safe)
//!
//! ## What it does
//! Gives every dependency used in two or more places one named alias,
//! `CurrentUser = Annotated[User, Depends(get_current_user)]`, defined right
//! after the dependency in the module that defines it (or, for a dependency
//! from another package, in the module that uses it most), and rewrites
//! each parameter to `current_user: CurrentUser`, importing the alias in
//! each module in that module's own style (absolute or relative). An alias
//! that already exists anywhere in the project for the same meaning is
//! reused. Imports the rewrite leaves unused (`Depends`, `Annotated`, the
//! dependency, the type) are removed, and only those.
//!
//! Two parameters mean the same when they have the same type and the same
//! `Depends(f, …)` / `Security(f, scopes=…)` call, with `f` resolved
//! through imports and re-exports: `deps.get_db` and a `get_db` imported
//! from `app.api.deps` are the same dependency.
//!
//! Names follow what FastAPI developers write by hand:
//! `get_current_user` → `CurrentUser`, `get_current_active_superuser` →
//! `CurrentActiveSuperuser`; a dependency named after its type or after
//! nothing in particular (`get_db` or `get_session` giving a `Session`) →
//! `SessionDep`; a dependency giving a builtin (`oauth2_scheme` giving `str`
//! to a parameter `token`) → `TokenDep`. A name already taken in the
//! defining module or a using module gets `Dep` appended, then a number.
//!
//! Uses are rewritten only where importing the alias cannot create an import
//! cycle: if the alias's module imports the using module, those uses stay
//! as they are and `check` says why. `# fastapi-codemod:
//! ignore[dependency-aliases]` leaves a parameter alone.
//!
//! ## Why is this bad?
//! The same `Annotated[Session, Depends(get_db)]` repeated over dozens of
//! routes is noise, drifts (one route forgets `use_cache=False`, another
//! the scopes) and makes changing a dependency a project-wide search. One
//! alias per dependency, defined next to it, is how FastAPI's own templates
//! and documentation write it.
//!
//! ## Example
//! ```python
//! from typing import Annotated
//!
//! from fastapi import APIRouter, Depends
//! from sqlalchemy.orm import Session
//!
//! router = APIRouter()
//!
//!
//! def get_db():
//!     yield Session()
//!
//!
//! @router.get("/items")
//! def list_items(db: Annotated[Session, Depends(get_db)]):
//!     return db.items()
//!
//!
//! @router.get("/users")
//! def list_users(db: Annotated[Session, Depends(get_db)]):
//!     return db.users()
//! ```
//!
//! Use instead:
//! ```python
//! from typing import Annotated
//!
//! from fastapi import APIRouter, Depends
//! from sqlalchemy.orm import Session
//!
//! router = APIRouter()
//!
//!
//! def get_db():
//!     yield Session()
//!
//!
//! SessionDep = Annotated[Session, Depends(get_db)]
//!
//!
//! @router.get("/items")
//! def list_items(db: SessionDep):
//!     return db.items()
//!
//!
//! @router.get("/users")
//! def list_users(db: SessionDep):
//!     return db.users()
//! ```
//!
//! A project whose declared dependencies pin FastAPI older than 0.95
//! (`fastapi==0.68.0`, `^0.92`), which cannot read `Annotated` aliases, gets the
//! findings without fixes, and the reason.
//!
//! ## Fix safety
//! Safe: an alias of `Annotated[T, Depends(f)]` is the same annotation to
//! FastAPI. The definition and every use land together: if the alias cannot
//! be written in its module (a syntax error there, a file `apply` may not
//! touch), no use of it is rewritten.

use ruff_python_ast::{Expr, ParameterWithDefault, Stmt, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange};

use crate::project::index::{annotated_dependency, key_of};
use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::imports::Symbol;
use crate::text::edit::{Edit, Fix, Safety};

pub mod plan;

pub use plan::{AliasDefinition, AliasOptions, AliasPlan, PlannedAlias, alias_name};

pub static TRANSFORM: Transform = Transform {
    name: "dependency-aliases",
    safety: Safety::Safe,
    summary: "one named alias per dependency (`CurrentUser = Annotated[User, Depends(get_current_user)]`), used everywhere",
    ruff_code: None,
    source: include_str!("dependency_aliases.rs"),
    run,
    plan: Some(plan::plan),
    configure: Some(plan::configure),
    requires: Some(crate::project::transform::Requirement {
        package: "fastapi",
        at_least: (0, 95),
        brings: "`Annotated` dependencies",
    }),
};

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(module_name) = context.module_name else {
        return;
    };
    let Some(plan) = context.plan::<AliasPlan>() else {
        return;
    };
    define_new_aliases(context, plan, module_name, findings);
    rewrite_uses(context, plan, module_name, findings);
}

/// Adds the definitions of new aliases whose home is this module.
fn define_new_aliases(
    context: &FileContext,
    plan: &AliasPlan,
    module_name: &str,
    findings: &mut Findings,
) {
    for alias in plan.new_in(module_name) {
        let Some(definition) = &alias.definition else {
            continue;
        };
        if is_defined_here(context, &alias.name) {
            continue;
        }
        let mut symbols = vec![
            Symbol::new(context.typing_module(), "Annotated"),
            Symbol::new(
                "fastapi",
                if alias.key.function == "Security" {
                    "Security"
                } else {
                    "Depends"
                },
            ),
        ];
        if let Some((module, name)) = &definition.type_import {
            symbols.push(Symbol::owned(module.clone(), name.clone()));
        }
        let imported = context.importer().import(&symbols);
        let arguments = if alias.key.arguments.is_empty() {
            String::new()
        } else {
            format!(", {}", alias.key.arguments)
        };
        let type_text = match &definition.type_import {
            Some(_) => imported.references[2].clone(),
            None => definition.type_text.clone(),
        };
        let call = format!(
            "{}({}{arguments})",
            imported.references[1], definition.dependency_text
        );
        let mut line = format!(
            "{} = {}[{type_text}, {call}]",
            alias.name, imported.references[0]
        );
        if line.chars().count() > context.options.line_length {
            // Too long for one line: wrapped as black wraps a subscript.
            let ending = context.source.line_ending().as_str();
            let unit = context.source.indent_unit();
            let hugged = format!("{unit}{type_text}, {call}");
            let body = if hugged.chars().count() <= context.options.line_length {
                hugged
            } else {
                format!("{unit}{type_text},{ending}{unit}{call},")
            };
            line = format!(
                "{} = {}[{ending}{body}{ending}]",
                alias.name, imported.references[0]
            );
        }
        let Some(insertion) = definition_insertion(context, definition.after.as_deref(), &line)
        else {
            continue;
        };
        let mut edits = vec![insertion];
        edits.extend(imported.edits);
        let range = TextRange::empty(edits[0].start());
        let fix = Fix::new(format!("define `{}`", alias.name), edits, Safety::Safe);
        findings.push(
            &TRANSFORM,
            range,
            format!(
                "define `{}` for the dependency used by {} parameters",
                alias.name, alias.uses
            ),
            Some(fix),
        );
    }
}

/// Where the alias line goes: after the dependency's definition (with the
/// blank lines a top-level definition wants), or after the imports.
fn definition_insertion(context: &FileContext, after: Option<&str>, line: &str) -> Option<Edit> {
    let source = context.source;
    let ending = source.line_ending().as_str();
    let anchor = match after {
        Some(name) => context
            .module
            .body
            .iter()
            .find(|stmt| defines(stmt, name))?,
        None => context
            .module
            .body
            .iter()
            .take_while(|stmt| {
                matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_) | Stmt::Expr(_))
            })
            .last()?,
    };
    let at = source.full_line_end(anchor.end());
    let needs_newline =
        usize::from(at) == source.text().len() && !source.text().ends_with(['\n', '\r']);
    let lead = if needs_newline { ending } else { "" };
    let text = match anchor {
        Stmt::FunctionDef(_) | Stmt::ClassDef(_) => format!("{lead}{ending}{ending}{line}{ending}"),
        _ => format!("{lead}{ending}{line}{ending}"),
    };
    Some(Edit::insertion(text, at))
}

/// Whether the module binds `name` at module level (by import or definition).
fn is_defined_here(context: &FileContext, name: &str) -> bool {
    context.facts.imports.is_bound(name)
        || context.module.body.iter().any(|stmt| defines(stmt, name))
}

fn defines(stmt: &Stmt, name: &str) -> bool {
    match stmt {
        Stmt::FunctionDef(function) => function.name.id == name,
        Stmt::ClassDef(class) => class.name.id == name,
        Stmt::Assign(assign) => assign
            .targets
            .iter()
            .any(|target| matches!(target, Expr::Name(target) if target.id == name)),
        Stmt::AnnAssign(assign) => {
            matches!(assign.target.as_ref(), Expr::Name(target) if target.id == name)
        }
        _ => false,
    }
}

/// One parameter to rewrite to an alias.
struct Use<'a> {
    function: &'a StmtFunctionDef,
    parameter: &'a ParameterWithDefault,
    annotation: &'a Expr,
    alias: &'a PlannedAlias,
}

fn rewrite_uses(
    context: &FileContext,
    plan: &AliasPlan,
    module_name: &str,
    findings: &mut Findings,
) {
    let project = context.project;
    let mut uses: Vec<Use> = Vec::new();
    for &function in &context.facts.functions {
        for parameter in function.parameters.iter_non_variadic_params() {
            if parameter.default.is_some() {
                continue;
            }
            let Some(annotation) = parameter.parameter.annotation.as_deref() else {
                continue;
            };
            let Some((type_expr, call)) = annotated_dependency(context.facts, annotation) else {
                continue;
            };
            let Some(key) = key_of(
                context.facts,
                module_name,
                context.is_package,
                type_expr,
                call,
                context.source.text(),
            ) else {
                continue;
            };
            let Some(alias) = plan.for_key(&project.index.canonical_key(key)) else {
                continue;
            };
            if context.is_suppressed(
                &TRANSFORM,
                parameter.range(),
                &context.header_lines(function),
            ) {
                continue;
            }
            if alias.home != module_name && project.index.reaches(&alias.home, module_name) {
                findings.push(
                    &TRANSFORM,
                    parameter.range(),
                    format!(
                        "`{}` could use `{}`, but `{}` imports this module: importing it here would create a cycle",
                        parameter.parameter.name.id, alias.name, alias.home
                    ),
                    None,
                );
                continue;
            }
            uses.push(Use {
                function,
                parameter,
                annotation,
                alias,
            });
        }
    }
    if uses.is_empty() {
        return;
    }

    // Uses wait while `annotated-params` is still converting parameters in
    // this file (both rewrite the same signatures), or while an alias this
    // module defines is not written yet.
    let waiting = context.is_selected(&super::annotated_params::TRANSFORM)
        && has_default_form_dependencies(context)
        || plan
            .new_in(module_name)
            .any(|alias| !is_defined_here(context, &alias.name));

    let mut symbols: Vec<Symbol> = Vec::new();
    for item in &uses {
        if item.alias.home != module_name {
            let symbol = alias_symbol(context, item.alias);
            if !symbols.contains(&symbol) {
                symbols.push(symbol);
            }
        }
    }
    // The imports the uses leave unused are the engine's to remove.
    let imported = context.importer().import(&symbols);
    let (references, import_edits) = (imported.references, imported.edits);

    let mut replacements: Vec<Edit> = Vec::new();
    for item in &uses {
        let symbol = alias_symbol(context, item.alias);
        let reference = match symbols.iter().position(|candidate| *candidate == symbol) {
            Some(index) if item.alias.home != module_name => references[index].clone(),
            _ => item.alias.name.clone(),
        };
        replacements.push(Edit::replacement(reference, item.annotation.range()));
    }
    // A signature spread over lines only because it was long is joined
    // when it now fits, as a formatter would.
    let mut edits: Vec<Edit> = Vec::new();
    let mut functions: Vec<&StmtFunctionDef> = uses.iter().map(|item| item.function).collect();
    functions.dedup_by(|a, b| std::ptr::eq(*a, *b));
    for function in functions {
        let inside: Vec<Edit> = replacements
            .iter()
            .filter(|edit| function.parameters.range().contains_range(edit.range()))
            .cloned()
            .collect();
        match joined_signature(context, function, &inside) {
            Some(joined) => edits.push(joined),
            None => edits.extend(inside),
        }
    }
    edits.extend(import_edits);

    let fix = (!waiting).then(|| {
        Fix::new(
            format!("use dependency aliases in `{module_name}`"),
            edits,
            Safety::Safe,
        )
    });
    for item in &uses {
        findings.push(
            &TRANSFORM,
            item.parameter.range(),
            format!(
                "use the alias `{}` for `{}`",
                item.alias.name, item.parameter.parameter.name.id
            ),
            fix.clone(),
        );
    }
}

/// The parameter list on one line, when it spans lines with no comment and
/// no magic trailing comma (`join_parameter_lines` refuses those), and the
/// `def` line then fits the line length.
fn joined_signature(
    context: &FileContext,
    function: &StmtFunctionDef,
    edits: &[Edit],
) -> Option<Edit> {
    let source = context.source;
    let parameters = &function.parameters;
    if source.line_number(parameters.start()) == source.line_number(parameters.end()) {
        return None;
    }
    // The new text of the list, then joined onto one line.
    let mut text = String::new();
    let mut cursor = parameters.start();
    for edit in edits {
        text.push_str(source.slice(TextRange::new(cursor, edit.start())));
        text.push_str(edit.content());
        cursor = edit.end();
    }
    text.push_str(source.slice(TextRange::new(cursor, parameters.end())));
    let joined = crate::python::syntax::join_parameter_lines(&text)?;
    let line_start = source.line_start(function.name.start());
    let prefix = source.slice(TextRange::new(line_start, parameters.start()));
    let line_end = source.full_line_end(parameters.end());
    let suffix = source
        .slice(TextRange::new(parameters.end(), line_end))
        .trim_end_matches(['\n', '\r']);
    let width = prefix.chars().count() + joined.chars().count() + suffix.chars().count();
    (width <= context.options.line_length).then(|| Edit::replacement(joined, parameters.range()))
}

/// How this module imports an alias: relative when it already imports the
/// alias's module relatively, else absolute.
fn alias_symbol(context: &FileContext, alias: &PlannedAlias) -> Symbol {
    Symbol::owned(context.module_spelling(&alias.home), alias.name.clone())
}

/// Whether `annotated-params` still has parameters to convert in this file.
fn has_default_form_dependencies(context: &FileContext) -> bool {
    let annotated_params = &super::annotated_params::TRANSFORM;
    context.facts.functions.iter().any(|function| {
        let header = context.header_lines(function);
        function
            .parameters
            .iter_non_variadic_params()
            .any(|parameter| {
                parameter
                    .default
                    .as_deref()
                    .is_some_and(|default| context.facts.param_call(default).is_some())
                    && !context.is_suppressed(annotated_params, parameter.range(), &header)
            })
    })
}
