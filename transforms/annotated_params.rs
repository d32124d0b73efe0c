//! # annotated-params (safe)
//!
//! ## What it does
//! Rewrites parameters whose default value is a call to one of FastAPI's
//! parameter functions — `Depends`, `Security`, `Query`, `Path`, `Body`,
//! `Header`, `Cookie`, `Form`, `File` — into the `Annotated` form, in route
//! handlers, dependencies and every other function (class dependencies'
//! `__init__` included). A request value's default moves out of the call and
//! becomes the parameter's default; `...` or no default means required.
//!
//! ## Why is this bad?
//! FastAPI recommends `Annotated` since 0.95. In the default-value form the
//! function cannot be called directly with its real defaults (calling it
//! outside FastAPI passes a `Depends` object), type checkers see the wrong
//! type, and the metadata cannot be shared as a type alias. The `Annotated`
//! form keeps the type, the FastAPI metadata and the default each in its
//! place.
//!
//! Unannotated parameters get the dependency's return annotation when the
//! dependency is defined in the same file (the yielded type for a generator
//! dependency; the class itself for a class dependency), else `Any`.
//! Moving defaults out can leave a required parameter after an optional
//! one; the transform then inserts a `*` so that the parameters from there
//! on are keyword-only, which FastAPI does not mind (it passes every
//! parameter by keyword). `Annotated` comes from `typing`, or from
//! `typing_extensions` when the target version is below Python 3.9.
//!
//! `# noqa: FAST002` (ruff's rule for the same practice) and
//! `# fastapi-codemod: ignore[annotated-params]` on the parameter's line
//! leave that parameter alone; on the `def` line or a decorator's line they
//! leave the whole signature alone.
//!
//! ## Example
//! ```python
//! from fastapi import APIRouter, Depends, Query
//! from sqlalchemy.orm import Session
//!
//! from app.deps import get_db
//!
//! router = APIRouter()
//!
//!
//! @router.get("/items/")
//! def read_items(
//!     q: str | None = Query(None, max_length=50),
//!     db: Session = Depends(get_db),
//! ):
//!     return db.query(Item).filter(Item.name == q).all()
//! ```
//!
//! Use instead:
//! ```python
//! from typing import Annotated
//!
//! from fastapi import APIRouter, Depends, Query
//! from sqlalchemy.orm import Session
//!
//! from app.deps import get_db
//!
//! router = APIRouter()
//!
//!
//! @router.get("/items/")
//! def read_items(
//!     q: Annotated[str | None, Query(max_length=50)] = None,
//!     *,
//!     db: Annotated[Session, Depends(get_db)],
//! ):
//!     return db.query(Item).filter(Item.name == q).all()
//! ```
//!
//! A project whose declared dependencies pin FastAPI older than 0.95
//! (`fastapi==0.68.0`, `^0.92`), which cannot read `Annotated` parameters, gets the
//! findings without fixes, and the reason.
//!
//! ## Fix safety
//! Safe: FastAPI reads both forms the same way for every request. The fix
//! is marked unsafe when it has to make parameters keyword-only and the
//! function is also called positionally in the same file, since such a call
//! would then fail.

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::{self as ast, Expr, ParameterWithDefault, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::project::index::UNINFORMATIVE_TYPES;
use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::fastapi::qualified_in;
use crate::python::fastapi::{ParamFunction, yielded_type};
use crate::python::imports::Symbol;
use crate::python::syntax::{argument_deletion, join_lines, list_item_deletion, tokens_within};
use crate::text::edit::{Edit, Fix, Safety};

pub static TRANSFORM: Transform = Transform {
    name: "annotated-params",
    safety: Safety::Safe,
    summary: "`x: T = Depends(f)` / `Query(None, …)` → `x: Annotated[T, Depends(f)]` / `Annotated[T, Query(…)] = None`",
    ruff_code: Some("FAST002"),
    source: include_str!("annotated_params.rs"),
    run,
    requires: Some(crate::project::transform::Requirement {
        package: "fastapi",
        at_least: (0, 95),
        brings: "`Annotated` dependencies",
    }),
    ..Transform::BASE
};

/// Where a parameter sits in its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    PositionalOnly,
    PositionalOrKeyword,
    KeywordOnly,
}

/// A parameter to rewrite, and what it becomes.
struct Rewrite<'a> {
    parameter: &'a ParameterWithDefault,
    function: ParamFunction,
    /// The new default, if the call carried one.
    default: Option<String>,
    /// Text of the type: the annotation, or the inferred type.
    annotation: AnnotationText,
    /// The call with its default removed.
    call: String,
}

#[derive(Clone)]
enum AnnotationText {
    /// The existing annotation, verbatim.
    Written(String),
    /// An existing `Annotated[...]` without FastAPI metadata: the call is appended.
    AlreadyAnnotated { before_close: String, close: String },
    /// Inferred from the dependency.
    Inferred(String),
    /// Inferred from a dependency in another module: a type to import.
    InferredImport { module: String, name: String },
    /// Nothing known: `Any`.
    Any,
    /// A string annotation: the whole `Annotated[…]` goes inside the quotes.
    Quoted { quote: char, content: String },
    /// The parameter cannot be rewritten safely, for this reason.
    Blocked(String),
}

fn run(context: &FileContext, findings: &mut Findings) {
    for &function in &context.facts.functions {
        check_function(context, function, findings);
        if context.is_first_look() && findings.has_applicable_fix() {
            return;
        }
    }
}

fn check_function(context: &FileContext, function: &StmtFunctionDef, findings: &mut Findings) {
    let parameters = &function.parameters;
    // A comment on the `def` line, or on any line of its decorators, covers every parameter.
    let header_lines = context.header_lines(function);
    let all: Vec<(Kind, &ParameterWithDefault)> = parameters
        .posonlyargs
        .iter()
        .map(|parameter| (Kind::PositionalOnly, parameter))
        .chain(
            parameters
                .args
                .iter()
                .map(|parameter| (Kind::PositionalOrKeyword, parameter)),
        )
        .chain(
            parameters
                .kwonlyargs
                .iter()
                .map(|parameter| (Kind::KeywordOnly, parameter)),
        )
        .collect();

    let (blocked, rewrites): (Vec<Rewrite>, Vec<Rewrite>) = all
        .iter()
        .filter(|(_, parameter)| {
            !context.is_suppressed(&TRANSFORM, parameter.range(), &header_lines)
        })
        .filter_map(|(_, parameter)| rewrite_of(context, parameter))
        .partition(|rewrite| matches!(rewrite.annotation, AnnotationText::Blocked(_)));
    for rewrite in &blocked {
        if let AnnotationText::Blocked(reason) = &rewrite.annotation {
            let name = &rewrite.parameter.parameter.name.id;
            let message = format!("use `Annotated` for `{name}`; not rewritten: {reason}");
            findings.push(&TRANSFORM, rewrite.parameter.range(), message, None);
        }
    }
    if rewrites.is_empty() {
        return;
    }

    // After the rewrite, does a required parameter follow an optional one?
    let keeps_default = |parameter: &ParameterWithDefault| match rewrites
        .iter()
        .find(|rewrite| std::ptr::eq(rewrite.parameter, parameter))
    {
        Some(rewrite) => rewrite.default.is_some(),
        None => parameter.default.is_some(),
    };
    let positional: Vec<&(Kind, &ParameterWithDefault)> = all
        .iter()
        .filter(|(kind, _)| *kind != Kind::KeywordOnly)
        .collect();
    let mut seen_default = false;
    let mut first_misordered: Option<(usize, Kind, &ParameterWithDefault)> = None;
    for (index, (kind, parameter)) in positional.iter().enumerate() {
        if keeps_default(parameter) {
            seen_default = true;
        } else if seen_default {
            first_misordered = Some((index, *kind, parameter));
            break;
        }
    }

    let mut unfixable: Option<String> = None;
    let mut keyword_only_from: Option<&ParameterWithDefault> = None;
    let mut safety = Safety::Safe;
    if let Some((index, kind, parameter)) = first_misordered {
        if kind == Kind::PositionalOnly {
            unfixable = Some(format!(
                "moving defaults out would leave positional-only `{}` required after an optional parameter",
                parameter.parameter.name.id
            ));
        } else if parameters.vararg.is_some() {
            unfixable = Some(format!(
                "moving defaults out would leave `{}` required after an optional parameter, and `*{}` prevents making it keyword-only",
                parameter.parameter.name.id,
                parameters
                    .vararg
                    .as_ref()
                    .map(|vararg| vararg.name.id.as_str())
                    .unwrap_or_default()
            ));
        } else {
            keyword_only_from = Some(parameter);
            if is_called_positionally(context, function, index) {
                safety = Safety::Unsafe;
            }
        }
    }

    let (fix, notes) = match unfixable {
        Some(_) => (None, Vec::new()),
        None => {
            let (fix, notes) = build_fix(context, function, &rewrites, keyword_only_from, safety);
            (Some(fix), notes)
        }
    };
    for rewrite in &rewrites {
        let name = &rewrite.parameter.parameter.name.id;
        let message = match &unfixable {
            Some(reason) => format!("use `Annotated` for `{name}`; not rewritten: {reason}"),
            None if safety == Safety::Unsafe => format!(
                "use `Annotated[…, {}(…)]` for `{name}`; unsafe fix: it makes parameters keyword-only and `{}` is called positionally in this file",
                rewrite.function.name(),
                function.name.id
            ),
            None => format!(
                "use `Annotated[…, {}(…)]` for `{name}`",
                rewrite.function.name()
            ),
        };
        // How a type whose name is taken here is reached instead.
        let mut message = message;
        for note in &notes {
            if let AnnotationText::InferredImport {
                name: type_name, ..
            } = &rewrite.annotation
                && note.starts_with(&format!("`{type_name}` "))
            {
                message.push_str("; ");
                message.push_str(note);
            }
        }
        findings.push(&TRANSFORM, rewrite.parameter.range(), message, fix.clone());
    }
}

/// What a parameter becomes, if it has a FastAPI parameter function as default.
fn rewrite_of<'a>(
    context: &FileContext,
    parameter: &'a ParameterWithDefault,
) -> Option<Rewrite<'a>> {
    let default = parameter.default.as_deref()?;
    let (function, call) = context.facts.param_call(default)?;
    let source = context.source;

    let (call_text, default_text) = if function.is_dependency() {
        (source.slice(call.range()).to_string(), None)
    } else {
        split_default(context, call)?
    };

    let annotation = match parameter.parameter.annotation.as_deref() {
        Some(annotation) if context.facts.is_annotated(annotation) => {
            already_annotated(context, annotation)?
        }
        Some(Expr::StringLiteral(string)) => {
            match quoted_annotation(source.slice(string.range()), &call_text) {
                Some(quoted) => quoted,
                // `Annotated["T", Depends(f)]` is fine: FastAPI does not look at
                // `T` when the dependency is explicit.
                None if function.is_dependency() && has_explicit_dependency(call) => {
                    AnnotationText::Written(source.slice(string.range()).to_string())
                }
                None => AnnotationText::Blocked(
                    "the string annotation cannot take the call inside it; rewrite it by hand"
                        .into(),
                ),
            }
        }
        Some(annotation) => AnnotationText::Written(source.slice(annotation.range()).to_string()),
        None => inferred_type(context, function, call).unwrap_or(AnnotationText::Any),
    };

    Some(Rewrite {
        parameter,
        function,
        default: default_text,
        annotation,
        call: call_text,
    })
}

fn has_explicit_dependency(call: &ast::ExprCall) -> bool {
    call.arguments
        .find_argument_value("dependency", 0)
        .is_some()
}

/// A string annotation stays a string, with the whole `Annotated[…]` inside
/// it: FastAPI evaluates a string annotation but not strings nested in
/// `Annotated`, so `Annotated["T", Query()]` would leave `T` unresolved and
/// `Annotated["T", Depends()]` would depend on the string. `None` when the
/// literal or the call cannot be put in one simple string.
fn quoted_annotation(literal: &str, call: &str) -> Option<AnnotationText> {
    let quote = literal
        .chars()
        .next()
        .filter(|quote| matches!(quote, '"' | '\''))?;
    let content = literal.strip_prefix(quote)?.strip_suffix(quote)?;
    let simple = |text: &str| !text.contains(['\\', '\n', '\r', '#']);
    if literal.starts_with("\"\"\"")
        || literal.starts_with("'''")
        || !simple(content)
        || !simple(call)
    {
        return None;
    }
    let other = if quote == '"' { '\'' } else { '"' };
    let quote = [quote, other]
        .into_iter()
        .find(|candidate| !content.contains(*candidate) && !call.contains(*candidate))?;
    Some(AnnotationText::Quoted {
        quote,
        content: content.to_string(),
    })
}

/// For `Annotated[T, meta]` with no FastAPI metadata yet: the text up to the
/// closing bracket, so the call can be appended. `None` (leave it alone) when
/// the metadata already holds a FastAPI parameter function.
fn already_annotated(context: &FileContext, annotation: &Expr) -> Option<AnnotationText> {
    let Expr::Subscript(subscript) = annotation else {
        return None;
    };
    let elements: &[Expr] = match subscript.slice.as_ref() {
        Expr::Tuple(tuple) => &tuple.elts,
        single => std::slice::from_ref(single),
    };
    if elements
        .iter()
        .skip(1)
        .any(|element| context.facts.param_call(element).is_some())
    {
        return None;
    }
    let last = elements.last()?;
    let before = TextRange::new(annotation.start(), last.end());
    let close = TextRange::new(last.end(), annotation.end());
    Some(AnnotationText::AlreadyAnnotated {
        before_close: context.source.slice(before).to_string(),
        close: context.source.slice(close).to_string(),
    })
}

/// The call without its default, and the default (`None` when required).
/// `None` overall when the call's arguments cannot be taken apart safely.
fn split_default(context: &FileContext, call: &ast::ExprCall) -> Option<(String, Option<String>)> {
    let arguments = &call.arguments;
    if arguments.args.iter().any(Expr::is_starred_expr)
        || arguments
            .keywords
            .iter()
            .any(|keyword| keyword.arg.is_none())
    {
        return None;
    }
    let position = arguments
        .iter_source_order()
        .position(|argument| match argument {
            ast::ArgOrKeyword::Arg(expr) => arguments
                .args
                .first()
                .is_some_and(|first| std::ptr::eq(first, expr)),
            ast::ArgOrKeyword::Keyword(keyword) => keyword
                .arg
                .as_ref()
                .is_some_and(|arg| arg.as_str() == "default"),
        });
    let source = context.source;
    let Some(position) = position else {
        return Some((source.slice(call.range()).to_string(), None));
    };
    let value = arguments.iter_source_order().nth(position)?.value();
    // `...`, `Ellipsis` and pydantic v1's `Required` all mean "required".
    let default = if value.is_ellipsis_literal_expr()
        || context.facts.resolves_to(value, "pydantic.Required")
        || context.facts.resolves_to(value, "pydantic.fields.Required")
        || context.facts.resolves_to(value, "builtins.Ellipsis")
        || matches!(value, Expr::Name(name) if name.id.as_str() == "Ellipsis")
    {
        None
    } else {
        Some(source.slice(value.range()).to_string())
    };
    let deletion = argument_deletion(source, context.tokens, arguments, position);
    let call_text = format!(
        "{}{}",
        source.slice(TextRange::new(call.start(), deletion.start())),
        source.slice(TextRange::new(deletion.end(), call.end()))
    );
    Some((call_text, default))
}

/// The type a dependency provides when it is defined in this file: its
/// return annotation (the yielded type for a generator), or the class itself.
fn inferred_type(
    context: &FileContext,
    function: ParamFunction,
    call: &ast::ExprCall,
) -> Option<AnnotationText> {
    if !function.is_dependency() {
        return None;
    }
    let dependency = call.arguments.find_argument_value("dependency", 0)?;
    let facts = context.facts;
    if let Expr::Name(name) = dependency {
        // A module-level function, else the one function of that name anywhere
        // in the file (dependencies defined inside a factory or a fixture).
        let mut nested = facts
            .functions
            .iter()
            .filter(|function| function.name.id == name.id);
        let unique_nested = match (nested.next(), nested.next()) {
            (Some(only), None) => Some(*only),
            _ => None,
        };
        if let Some(dependency) = facts
            .module_functions
            .get(name.id.as_str())
            .copied()
            .or(unique_nested)
        {
            let returns = dependency.returns.as_deref()?;
            let yielded = yielded_type(context.facts, returns)?;
            return Some(AnnotationText::Inferred(
                context.source.slice(yielded.range()).to_string(),
            ));
        }
        if let Some(class) = facts.module_classes.get(name.id.as_str()) {
            return Some(AnnotationText::Inferred(class.name.id.to_string()));
        }
    }
    inferred_from_index(context, dependency)
}

/// The type of a dependency defined in another module of the project, as
/// this module can write it (importing it if needed).
fn inferred_from_index(context: &FileContext, dependency: &Expr) -> Option<AnnotationText> {
    let module = context.module_name?;
    let is_package = context
        .project
        .index
        .module(module)
        .is_some_and(|summary| summary.is_package);
    let index = &context.project.index;
    let qualified = qualified_in(context.facts, module, is_package, dependency)?;
    let canonical = index.canonical(&qualified);
    let (type_module, type_name) = match index.function(&qualified) {
        Some((_, function)) => match &function.provides_qualified {
            Some(provides) => provides.rsplit_once('.')?,
            // A builtin such as `dict` is written as it is.
            None => {
                let provides = function.provides.as_deref()?;
                let builtin = provides.chars().all(|c| c.is_alphanumeric() || c == '_');
                return builtin.then(|| AnnotationText::Inferred(provides.to_string()));
            }
        },
        // A class used as its own dependency: its type is the expression itself.
        None => {
            let (class_module, class) = canonical.rsplit_once('.')?;
            let is_class = index
                .module(class_module)
                .is_some_and(|summary| summary.classes.contains(class));
            return is_class.then(|| {
                AnnotationText::Inferred(context.source.slice(dependency.range()).to_string())
            });
        }
    };
    let type_qualified = format!("{type_module}.{type_name}");
    if UNINFORMATIVE_TYPES.contains(&type_qualified.as_str()) {
        return None;
    }
    // Already bound here, by the name or through its module.
    let type_canonical = index.canonical(&type_qualified);
    for (local, target) in context.facts.imports.iter() {
        if !target.starts_with('.') && index.canonical(target) == type_canonical {
            return Some(AnnotationText::Inferred(local.to_string()));
        }
    }
    for (local, target) in context.facts.imports.iter() {
        if target == type_module {
            return Some(AnnotationText::Inferred(format!("{local}.{type_name}")));
        }
    }
    // A name this file binds to something else is reached another way by
    // the importer, which says how.
    Some(AnnotationText::InferredImport {
        module: type_module.to_string(),
        name: type_name.to_string(),
    })
}

/// Edits that make `parameter` and every later positional parameter
/// keyword-only: a `*` before it, and an existing bare `*` removed.
fn keyword_only_edits(
    context: &FileContext,
    parameters: &ast::Parameters,
    parameter: &ParameterWithDefault,
) -> Vec<Edit> {
    let source = context.source;
    let start = parameter.start();
    let star = if source.starts_line(start) {
        format!(
            "*,{}{}",
            source.line_ending().as_str(),
            source.indentation_at(start)
        )
    } else {
        "*, ".to_string()
    };
    let mut edits = vec![Edit::insertion(star, start)];
    // A bare `*` already stands between the last positional and the first
    // keyword-only parameter: remove it, keeping any comment beside it.
    if let (Some(last), Some(first_keyword_only)) =
        (parameters.args.last(), parameters.kwonlyargs.first())
    {
        let between = tokens_within(
            context.tokens,
            TextRange::new(last.end(), first_keyword_only.start()),
        );
        if let Some(star_token) = between.iter().find(|token| token.kind() == TokenKind::Star) {
            let items = [last.range(), star_token.range(), first_keyword_only.range()];
            let inner = TextRange::new(
                parameters.start() + TextSize::new(1),
                parameters.end() - TextSize::new(1),
            );
            edits.push(Edit::deletion(list_item_deletion(
                source,
                context.tokens,
                &items,
                1,
                inner,
            )));
        }
    }
    edits
}

/// Whether the file calls `function` with a positional argument at or past
/// positional parameter `index`. A method called through an attribute gets
/// `self` for free, so its first positional argument fills parameter 1.
fn is_called_positionally(context: &FileContext, function: &StmtFunctionDef, index: usize) -> bool {
    let is_method = function
        .parameters
        .args
        .first()
        .is_some_and(|first| matches!(first.parameter.name.id.as_str(), "self" | "cls"));
    context
        .facts
        .calls_to(function.name.id.as_str())
        .any(|call| {
            let implicit = usize::from(is_method && call.func.is_attribute_expr());
            let arguments = &call.arguments.args;
            arguments.iter().any(Expr::is_starred_expr) || arguments.len() + implicit > index
        })
}

fn build_fix(
    context: &FileContext,
    function: &StmtFunctionDef,
    rewrites: &[Rewrite],
    keyword_only_from: Option<&ParameterWithDefault>,
    safety: Safety,
) -> (Fix, Vec<String>) {
    let mut symbols = vec![Symbol::new(context.typing_module(), "Annotated")];
    if rewrites
        .iter()
        .any(|rewrite| matches!(rewrite.annotation, AnnotationText::Any))
    {
        symbols.push(Symbol::new("typing", "Any"));
    }
    let type_symbols: Vec<Symbol> = rewrites
        .iter()
        .filter_map(|rewrite| match &rewrite.annotation {
            AnnotationText::InferredImport { module, name } => {
                Some(Symbol::owned(module.clone(), name.clone()))
            }
            _ => None,
        })
        .collect();
    let fixed_symbols = symbols.len();
    symbols.extend(type_symbols);
    let imported = context.importer().import(&symbols);
    let annotated = &imported.references[0];
    let any = if fixed_symbols > 1 {
        imported.references[1].as_str()
    } else {
        "Any"
    };
    let type_references: Vec<(&Symbol, &String)> = symbols[fixed_symbols..]
        .iter()
        .zip(&imported.references[fixed_symbols..])
        .collect();
    let rewrites: Vec<Rewrite> = rewrites
        .iter()
        .map(|rewrite| {
            let annotation = match &rewrite.annotation {
                AnnotationText::InferredImport { module, name } => {
                    let symbol = Symbol::owned(module.clone(), name.clone());
                    let reference = type_references
                        .iter()
                        .find(|(candidate, _)| **candidate == symbol)
                        .map_or_else(|| name.clone(), |(_, reference)| (*reference).clone());
                    AnnotationText::Inferred(reference)
                }
                other => other.clone(),
            };
            Rewrite {
                annotation,
                call: rewrite.call.clone(),
                default: rewrite.default.clone(),
                ..*rewrite
            }
        })
        .collect();
    let rewrites = &rewrites[..];
    let source = context.source;
    let texts: Vec<(&ParameterWithDefault, String)> = rewrites
        .iter()
        .map(|rewrite| {
            let start = rewrite.parameter.start();
            let own_line = source
                .starts_line(start)
                .then(|| source.indentation_at(start));
            (
                rewrite.parameter,
                rewritten_text(context, rewrite, annotated, any, own_line),
            )
        })
        .collect();

    let mut edits: Vec<Edit> = texts
        .iter()
        .map(|(parameter, text)| Edit::replacement(text.clone(), parameter.range()))
        .collect();
    if let Some(parameter) = keyword_only_from {
        edits.extend(keyword_only_edits(context, &function.parameters, parameter));
    }
    let laid_out = |rewrite: &Rewrite, indent: &str| {
        rewritten_text(context, rewrite, annotated, any, Some(indent))
    };
    if let Some(exploded) = explode_if_too_long(
        context,
        function,
        rewrites,
        &laid_out,
        keyword_only_from,
        &edits,
    ) {
        edits = vec![exploded];
    }
    edits.extend(imported.edits);
    let title = format!("use `Annotated` in the signature of `{}`", function.name.id);
    (Fix::new(title, edits, safety), imported.notes)
}

/// A variadic parameter's text with its stars, whether or not the parser's
/// range for it includes them.
fn starred(text: &str, stars: &str) -> String {
    if text.starts_with('*') {
        text.to_string()
    } else {
        format!("{stars}{text}")
    }
}

/// `name: Annotated[T, Call(…)] = default`.
fn rewritten_text(
    context: &FileContext,
    rewrite: &Rewrite,
    annotated: &str,
    any: &str,
    own_line_indent: Option<&str>,
) -> String {
    let name = context
        .source
        .slice(rewrite.parameter.parameter.name.range());
    let call = &rewrite.call;
    let type_text = match &rewrite.annotation {
        AnnotationText::AlreadyAnnotated {
            before_close,
            close,
        } => return with_default(name, &format!("{before_close}, {call}{close}"), rewrite),
        AnnotationText::Quoted { quote, content } => {
            return with_default(
                name,
                &format!("{quote}{annotated}[{content}, {call}]{quote}"),
                rewrite,
            );
        }
        AnnotationText::Blocked(_) => unreachable!("blocked parameters are not rewritten"),
        AnnotationText::Written(text) | AnnotationText::Inferred(text) => one_line(text),
        AnnotationText::InferredImport { name, .. } => name.clone(),
        AnnotationText::Any => any.to_string(),
    };
    let Some(indent) = own_line_indent else {
        return with_default(name, &format!("{annotated}[{type_text}, {call}]"), rewrite);
    };
    // A call spread over lines for no visible reason (no comment, no magic
    // trailing comma) is joined when that lets it fit, as a formatter would.
    let joined = call
        .contains(['\n', '\r'])
        .then(|| join_lines(call))
        .flatten();
    let call = joined.as_ref().unwrap_or(call);
    let flat = with_default(name, &format!("{annotated}[{type_text}, {call}]"), rewrite);
    // On a line of its own, a parameter too long for the line, or holding a
    // call that spans lines, is laid out as black lays out a subscript.
    let limit = context.options.line_length;
    let fits = |line: &str| indent.chars().count() + line.chars().count() < limit;
    if !flat.contains(['\n', '\r']) && fits(&flat) {
        return flat;
    }
    let source = context.source;
    let ending = source.line_ending().as_str();
    let inner = format!("{indent}{}", source.indent_unit());
    let default = rewrite
        .default
        .as_ref()
        .map(|default| format!(" = {default}"))
        .unwrap_or_default();
    let hugged = format!("{type_text}, {call}");
    let body =
        if !hugged.contains(['\n', '\r']) && fits(&format!("{}{hugged}", source.indent_unit())) {
            format!("{inner}{hugged}{ending}")
        } else {
            format!(
                "{inner}{type_text},{ending}{inner}{},{ending}",
                indent_continuation(&rewrite.call, source.indent_unit())
            )
        };
    format!("{name}: {annotated}[{ending}{body}{indent}]{default}")
}

fn with_default(name: &str, annotation: &str, rewrite: &Rewrite) -> String {
    match &rewrite.default {
        Some(default) => format!("{name}: {annotation} = {default}"),
        None => format!("{name}: {annotation}"),
    }
}

/// A type written over several lines (`str\n    | None`), joined into one,
/// unless it holds comments or strings, which are kept as written.
fn one_line(text: &str) -> String {
    if !text.contains(['\n', '\r']) || text.contains(['#', '"', '\'']) {
        return text.to_string();
    }
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    joined
        .replace("[ ", "[")
        .replace("( ", "(")
        .replace(", ]", "]")
        .replace(",]", "]")
        .replace(" ]", "]")
        .replace(" )", ")")
}

/// A call's text moved one level deeper: every continuation line gains one
/// indentation unit. Text inside triple-quoted strings must not move, so
/// such calls are left as they are.
fn indent_continuation(call: &str, unit: &str) -> String {
    if call.contains("\"\"\"") || call.contains("'''") {
        return call.to_string();
    }
    let mut lines = call.split_inclusive('\n');
    let mut text = lines.next().unwrap_or_default().to_string();
    for line in lines {
        if !line.trim().is_empty() {
            text.push_str(unit);
        }
        text.push_str(line);
    }
    text
}

/// A signature written on one line that the rewrite makes longer than the
/// line length is laid out one parameter per line with a trailing comma, as
/// black and ruff's formatter would. Returns the edit replacing the whole
/// parameter list, or `None` when the signature still fits or spans lines.
fn explode_if_too_long(
    context: &FileContext,
    function: &StmtFunctionDef,
    rewrites: &[Rewrite],
    laid_out: &dyn Fn(&Rewrite, &str) -> String,
    keyword_only_from: Option<&ParameterWithDefault>,
    edits: &[Edit],
) -> Option<Edit> {
    let source = context.source;
    let parameters = &function.parameters;
    // The parameters must all sit on one line: the `def` line, or one line
    // of their own between the brackets (black's layout when they fit).
    let inner = TextRange::new(
        parameters.start() + TextSize::new(1),
        parameters.end() - TextSize::new(1),
    );
    let inner_text = source.slice(inner);
    let leading = inner_text.len() - inner_text.trim_start().len();
    let trailing = inner_text.len() - inner_text.trim_end().len();
    let content_start = inner.start() + TextSize::try_from(leading).ok()?;
    let content_end = inner.end() - TextSize::try_from(trailing).ok()?;
    if content_start >= content_end
        || source.line_number(content_start) != source.line_number(content_end)
        || tokens_within(context.tokens, inner)
            .iter()
            .any(|token| token.kind() == TokenKind::Comment)
    {
        return None;
    }
    let line_start = source.line_start(content_start);
    let line_end = source.full_line_end(content_end);
    let line = source
        .slice(TextRange::new(line_start, line_end))
        .trim_end_matches(['\n', '\r']);
    let added: isize = edits
        .iter()
        .map(|edit| {
            edit.content().chars().count() as isize
                - source.slice(edit.range()).chars().count() as isize
        })
        .sum();
    let width = line.chars().count() as isize + added;
    if width <= context.options.line_length as isize {
        return None;
    }

    let ending = source.line_ending().as_str();
    let indent = source.indentation_at(function.name.start());
    let inner = format!("{indent}{}", source.indent_unit());
    let text_of = |parameter: &ParameterWithDefault| -> String {
        match rewrites
            .iter()
            .find(|rewrite| std::ptr::eq(rewrite.parameter, parameter))
        {
            Some(rewrite) => laid_out(rewrite, &inner),
            None => source.slice(parameter.range()).to_string(),
        }
    };
    let mut items: Vec<String> = Vec::new();
    for parameter in &parameters.posonlyargs {
        items.push(text_of(parameter));
    }
    if !parameters.posonlyargs.is_empty() {
        items.push("/".to_string());
    }
    for parameter in &parameters.args {
        if keyword_only_from.is_some_and(|from| std::ptr::eq(from, parameter)) {
            items.push("*".to_string());
        }
        items.push(text_of(parameter));
    }
    match &parameters.vararg {
        Some(vararg) => items.push(starred(source.slice(vararg.range()), "*")),
        None if !parameters.kwonlyargs.is_empty() && keyword_only_from.is_none() => {
            items.push("*".to_string())
        }
        None => {}
    }
    for parameter in &parameters.kwonlyargs {
        items.push(text_of(parameter));
    }
    if let Some(kwarg) = &parameters.kwarg {
        items.push(starred(source.slice(kwarg.range()), "**"));
    }

    let mut text = format!("({ending}");
    for item in items {
        text.push_str(&format!("{inner}{item},{ending}"));
    }
    text.push_str(&format!("{indent})"));
    Some(Edit::replacement(text, parameters.range()))
}
