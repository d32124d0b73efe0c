//! # pydantic-field-types (unsafe)
//!
//! ## What it does
//! Gives the text fields of input schemas the validators Pydantic has for
//! them. Input schemas are the models routes receive as a request body,
//! the models those hold as fields, and Pydantic classes named `…Create`,
//! `…Update` or `…In`; never a model a route sends back, an ORM table or
//! settings.
//!
//! - `email: str` (and `…_email`, `email_address`) becomes `EmailStr`.
//!   `EmailStr` needs the `email-validator` package: when the project's
//!   `pyproject.toml` (PEP 621 or Poetry) or `requirements.txt` does not
//!   declare it (or `pydantic[email]`, or `fastapi[standard]`), the same
//!   run adds it there, the file's formatting kept; a project that declares
//!   no dependencies is told what to install.
//! - A password the client chooses (`password`, `new_password`,
//!   `password_confirm`) gets `Field(min_length=8, max_length=128)`,
//!   merged into a `Field(...)` it has. The current password a user proves
//!   (`old_password`, `current_password`, or `password` beside
//!   `new_password`) is left alone: it was set under older rules.
//! - A URL (`url`, `website`, `homepage`, `callback`, `…_url`) accepts only
//!   `http` and `https` URLs. Under Pydantic 2 the value stays a `str` as
//!   the client sent it, because code stores it in string columns and
//!   concatenates it (`AnyHttpUrl` itself is a `Url` object, and would add
//!   a `/` to `https://example.com`): the field becomes `HttpUrlStr`,
//!   `Annotated[str, AfterValidator(...)]` around a `TypeAdapter(AnyHttpUrl)`,
//!   defined once in the module, or, when fields of several modules need
//!   it, once in a new `validators.py` of their package, which they import. Under Pydantic 1, `AnyHttpUrl` is a `str`
//!   already and is used as it is. A URL field whose default is other text
//!   (`"placeholder-image"`) holds more than URLs, and is left alone.
//!
//! A schema the project's own code builds (outside its tests) is reported,
//! not rewritten: the values the server puts in it would be validated too.
//! So is a password field of a project that checks passwords itself (a
//! function such as `check_invalid_password` or `validate_password`),
//! whose own error would no longer be reached.
//! Login schemas (`UserLogin`, `SignIn`, `Credentials`, …) are left
//! alone: they are checked against what was stored under older rules, and
//! `EmailStr` would normalise an address that must match as it was stored.
//! Optional fields stay optional and defaults stay. A field declared in a
//! base class that responses or tables share (`UserBase`, inherited by
//! `UserRead` and `User`) is overridden in the input schema instead
//! (`email: EmailStr` in `UserCreate`), so responses are not validated
//! again. Pydantic 1 projects (as their imports or pinned dependencies
//! say) get the Pydantic 1 spellings.
//!
//! ## Why is this bad?
//! A field typed `str` accepts any text. An e-mail address that cannot
//! receive mail, a one-character password or a `javascript:` URL is stored,
//! and fails later, far from the request that sent it. Pydantic's types
//! reject such input with a 422 naming the field, before the route runs.
//!
//! ## Example
//! ```python
//! from fastapi import FastAPI
//! from pydantic import BaseModel
//!
//! app = FastAPI()
//!
//!
//! class UserCreate(BaseModel):
//!     email: str
//!     password: str
//!     website: str | None = None
//!
//!
//! @app.post("/users")
//! def create_user(user: UserCreate) -> dict:
//!     return {"email": user.email}
//! ```
//!
//! Use instead:
//! ```python
//! from typing import Annotated
//!
//! from fastapi import FastAPI
//! from pydantic import AfterValidator, AnyHttpUrl, BaseModel, EmailStr, Field, TypeAdapter
//!
//! app = FastAPI()
//!
//!
//! _http_url = TypeAdapter(AnyHttpUrl)
//!
//!
//! def _validate_http_url(value: str) -> str:
//!     _http_url.validate_python(value)
//!     return value
//!
//!
//! HttpUrlStr = Annotated[str, AfterValidator(_validate_http_url)]
//!
//!
//! class UserCreate(BaseModel):
//!     email: EmailStr
//!     password: str = Field(min_length=8, max_length=128)
//!     website: HttpUrlStr | None = None
//!
//!
//! @app.post("/users")
//! def create_user(user: UserCreate) -> dict:
//!     return {"email": user.email}
//! ```
//!
//! ## Fix safety
//! Unsafe: input that was accepted before is rejected with 422 (an
//! address without `@`, a seven-character password, a relative URL), and
//! `EmailStr` normalises the domain of the addresses it accepts
//! (`Ann@Example.COM` is stored as `Ann@example.com`). Clients and tests
//! that send such input must change.

use ruff_python_ast::{self as ast, Expr, Operator, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::app_settings::PydanticMajor;
use crate::python::fastapi::{FastApiFacts, binds_at_module_level};
use crate::python::imports::Symbol;
use crate::python::naming::TextMeaning;
use crate::python::syntax::append_argument;
use crate::text::edit::{Edit, Fix, Safety};

pub mod plan;

use plan::{FieldRewrite, FieldTypesPlan, Placement};

pub static TRANSFORM: Transform = Transform {
    name: "pydantic-field-types",
    safety: Safety::Unsafe,
    summary: "Input schemas' e-mail, password and URL fields get Pydantic's validators",
    ruff_code: None,
    source: include_str!("pydantic_field_types.rs"),
    run,
    plan: Some(plan::plan),
    configure: None,
    requires: None,
};

/// The length a chosen password must have.
const PASSWORD_LENGTH: [(&str, &str); 2] = [("min_length", "8"), ("max_length", "128")];

/// The names the Pydantic 2 URL type is defined under.
const URL_ALIAS: &str = plan::URL_TYPE;
const URL_VALIDATOR: &str = "_validate_http_url";
const URL_ADAPTER: &str = "_http_url";

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(module) = context.module_name else {
        return;
    };
    let Some(plan) = context.plan::<FieldTypesPlan>() else {
        return;
    };
    let classes: Vec<&ast::StmtClassDef> = context
        .module
        .body
        .iter()
        .filter_map(|stmt| match stmt {
            Stmt::ClassDef(class) => Some(class),
            _ => None,
        })
        .collect();
    let class_named = |name: &str| classes.iter().copied().find(|class| class.name.id == name);
    for refusal in plan.refusals_in(module) {
        let Some(class) = class_named(&refusal.class) else {
            continue;
        };
        let range = field_statement(class, &refusal.field)
            .map_or(class.name.range(), |field| field.range());
        if context.is_suppressed(&TRANSFORM, range, &[]) {
            continue;
        }
        findings.push(
            &TRANSFORM,
            range,
            format!(
                "`{}.{}` is not validated: {}",
                refusal.class, refusal.field, refusal.reason
            ),
            None,
        );
    }
    let url_home = UrlHome::of(context, plan, &classes);
    for rewrite in plan.rewrites_in(module) {
        let Some(class) = class_named(&rewrite.class) else {
            continue;
        };
        let target = match &rewrite.placement {
            Placement::InPlace => match field_statement(class, &rewrite.field) {
                Some(field) => Target::Field(field),
                None => continue,
            },
            Placement::Override { .. } => {
                if field_statement(class, &rewrite.field).is_some() {
                    continue;
                }
                Target::Class(class)
            }
        };
        let range = match target {
            Target::Field(field) => field.range(),
            Target::Class(class) => class.name.range(),
        };
        if context.is_suppressed(&TRANSFORM, range, &[]) {
            continue;
        }
        let mut message = problem(rewrite);
        if let Placement::Override { base, .. } = &rewrite.placement {
            message.push_str(&format!(
                " (it is declared in `{base}`, which other models share: `{}` overrides it)",
                rewrite.class
            ));
        }
        if rewrite.meaning == TextMeaning::Email
            && let Some(note) = &plan.install_note
        {
            message.push_str(&format!("; {note}"));
        }
        match fix_for(context, plan, rewrite, target, &url_home) {
            Ok(fix) => findings.push(&TRANSFORM, range, message, Some(fix)),
            Err(reason) => findings.push(
                &TRANSFORM,
                range,
                format!("{message}; it stays: {reason}"),
                None,
            ),
        }
    }
}

/// Where a rewrite is written: on a field, or as a new field of a class.
#[derive(Clone, Copy)]
enum Target<'a> {
    Field(&'a ast::StmtAnnAssign),
    Class(&'a ast::StmtClassDef),
}

/// What is wrong with the field, for the finding.
fn problem(rewrite: &FieldRewrite) -> String {
    let field = format!("`{}.{}`", rewrite.class, rewrite.field);
    match rewrite.meaning {
        TextMeaning::Email => {
            format!("{field} accepts any text as an e-mail address: validate it with `EmailStr`")
        }
        TextMeaning::Password => {
            format!("{field} accepts a password of any length: require 8 to 128 characters")
        }
        TextMeaning::HttpUrl => {
            format!("{field} accepts any text as a URL: accept only http and https URLs")
        }
    }
}

/// The annotated statement declaring `field` in a class's own body.
fn field_statement<'a>(
    class: &'a ast::StmtClassDef,
    field: &str,
) -> Option<&'a ast::StmtAnnAssign> {
    class.body.iter().find_map(|stmt| match stmt {
        Stmt::AnnAssign(assign)
            if matches!(assign.target.as_ref(), Expr::Name(name) if name.id == field) =>
        {
            Some(assign)
        }
        _ => None,
    })
}

/// The `str` of a text annotation: `str`, `Optional[str]`, `str | None`,
/// `Union[str, None]`.
fn text_type<'e>(facts: &FastApiFacts, annotation: &'e Expr) -> Option<&'e ast::ExprName> {
    let is_none = |expr: &Expr| matches!(expr, Expr::NoneLiteral(_));
    match annotation {
        Expr::Name(name) if name.id == "str" && !facts.imports.is_bound("str") => Some(name),
        Expr::Subscript(subscript) => {
            let is = |qualified: &str| {
                facts.resolves_to(&subscript.value, &format!("typing.{qualified}"))
                    || facts
                        .resolves_to(&subscript.value, &format!("typing_extensions.{qualified}"))
            };
            if is("Optional") {
                return text_type(facts, &subscript.slice);
            }
            if is("Union")
                && let Expr::Tuple(tuple) = subscript.slice.as_ref()
                && let [first, second] = tuple.elts.as_slice()
            {
                return match (is_none(first), is_none(second)) {
                    (true, false) => text_type(facts, second),
                    (false, true) => text_type(facts, first),
                    _ => None,
                };
            }
            None
        }
        Expr::BinOp(binary) if binary.op == Operator::BitOr => {
            match (is_none(&binary.left), is_none(&binary.right)) {
                (true, false) => text_type(facts, &binary.right),
                (false, true) => text_type(facts, &binary.left),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Where a module's Pydantic 2 URL type is, or will be, defined.
enum UrlHome {
    /// The module defines it already (an earlier run wrote it).
    Defined,
    /// It is written before this offset, the first class that needs it.
    Before(TextSize),
    /// It is imported from the module the plan creates for it.
    Shared(String),
    /// It cannot be written, and why.
    Refused(String),
    /// Nothing here needs it.
    Unneeded,
}

impl UrlHome {
    fn of(context: &FileContext, plan: &FieldTypesPlan, classes: &[&ast::StmtClassDef]) -> UrlHome {
        let module = context.module_name.unwrap_or_default();
        if plan.major != PydanticMajor::V2 {
            return UrlHome::Unneeded;
        }
        let needing: Vec<&str> = plan
            .rewrites_in(module)
            .iter()
            .filter(|rewrite| rewrite.meaning == TextMeaning::HttpUrl)
            .map(|rewrite| rewrite.class.as_str())
            .collect();
        let Some(first) = classes
            .iter()
            .find(|class| needing.contains(&class.name.id.as_str()))
        else {
            return UrlHome::Unneeded;
        };
        if let Some(shared) = &plan.url_module {
            return UrlHome::Shared(shared.clone());
        }
        let body = &context.module.body;
        let ours = body.iter().any(|stmt| match stmt {
            Stmt::Assign(assign) => {
                matches!(assign.targets.as_slice(), [Expr::Name(name)] if name.id == URL_ALIAS)
                    && context
                        .source
                        .slice(assign.value.range())
                        .contains("AfterValidator")
            }
            _ => false,
        });
        if ours {
            return UrlHome::Defined;
        }
        for name in [URL_ALIAS, URL_VALIDATOR, URL_ADAPTER] {
            if binds_at_module_level(body, name) {
                return UrlHome::Refused(format!("the module binds `{name}` already"));
            }
        }
        let start = first
            .decorator_list
            .first()
            .map_or(first.start(), Ranged::start);
        // Comments right above the class stay with it.
        let source = context.source;
        let mut line_start = source.line_start(start);
        while line_start > TextSize::new(0) {
            let previous = source.line_start(line_start - TextSize::new(1));
            let text = source.slice(TextRange::new(previous, line_start));
            if !text.trim_start().starts_with('#') {
                break;
            }
            line_start = previous;
        }
        UrlHome::Before(line_start)
    }
}

/// The fix that validates one field.
fn fix_for(
    context: &FileContext,
    plan: &FieldTypesPlan,
    rewrite: &FieldRewrite,
    target: Target,
    url_home: &UrlHome,
) -> Result<Fix, String> {
    let source = context.source;
    let mut symbols: Vec<Symbol> = Vec::new();
    // The type the field gets, with the symbol it needs first.
    let validated_type: Option<&str> = match rewrite.meaning {
        TextMeaning::Email => {
            symbols.push(Symbol::new("pydantic", "EmailStr"));
            Some("EmailStr")
        }
        TextMeaning::HttpUrl if plan.major == PydanticMajor::V1 => {
            symbols.push(Symbol::new("pydantic", "AnyHttpUrl"));
            Some("AnyHttpUrl")
        }
        TextMeaning::HttpUrl => match url_home {
            UrlHome::Refused(reason) => return Err(reason.clone()),
            UrlHome::Shared(module) => {
                symbols.push(Symbol::owned(context.module_spelling(module), URL_ALIAS));
                Some(URL_ALIAS)
            }
            _ => Some(URL_ALIAS),
        },
        TextMeaning::Password => None,
    };
    let url_definition = rewrite.meaning == TextMeaning::HttpUrl
        && plan.major == PydanticMajor::V2
        && matches!(url_home, UrlHome::Before(_));
    let first_url_symbol = symbols.len();
    if url_definition {
        symbols.push(Symbol::new(context.typing_module(), "Annotated"));
        for name in ["AfterValidator", "AnyHttpUrl", "TypeAdapter"] {
            symbols.push(Symbol::new("pydantic", name));
        }
    }
    let password = rewrite.meaning == TextMeaning::Password;
    let optional_override = matches!(
        &rewrite.placement,
        Placement::Override { optional: true, .. }
    );
    let optional_symbol = symbols.len();
    let union_syntax = context.options.target_version >= ruff_python_ast::PythonVersion::PY310;
    if optional_override && !union_syntax {
        symbols.push(Symbol::new("typing", "Optional"));
    }
    // A password's `Field`: an existing call it merges into, or a new one.
    let field_call = match target {
        Target::Field(field) => field.value.as_deref().and_then(|value| match value {
            Expr::Call(call)
                if ["pydantic.Field", "pydantic.fields.Field", "sqlmodel.Field"]
                    .iter()
                    .any(|name| context.facts.resolves_to(&call.func, name)) =>
            {
                Some(call)
            }
            _ => None,
        }),
        Target::Class(_) => None,
    };
    let field_symbol = symbols.len();
    if password && field_call.is_none() {
        symbols.push(Symbol::new("pydantic", "Field"));
    }
    let imported = context.importer().import(&symbols);
    let reference = |position: usize| imported.references[position].clone();
    let mut edits: Vec<Edit> = imported.edits.clone();
    let new_type = validated_type.map(|name| match (rewrite.meaning, url_home) {
        (TextMeaning::HttpUrl, UrlHome::Shared(_)) => reference(0),
        (TextMeaning::HttpUrl, _) if plan.major == PydanticMajor::V2 => name.to_string(),
        _ => reference(0),
    });
    let length_arguments = |present: &dyn Fn(&str) -> bool| -> Vec<String> {
        PASSWORD_LENGTH
            .iter()
            .filter(|(name, _)| !present(name))
            .map(|(name, value)| format!("{name}={value}"))
            .collect()
    };
    match target {
        Target::Field(field) => {
            if let Some(new_type) = &new_type {
                let text = text_type(context.facts, &field.annotation)
                    .ok_or("its annotation is not a plain `str`")?;
                edits.push(Edit::replacement(new_type.clone(), text.range()));
            }
            if password {
                match (field_call, field.value.as_deref()) {
                    (Some(call), _) => {
                        if call
                            .arguments
                            .keywords
                            .iter()
                            .any(|keyword| keyword.arg.is_none())
                        {
                            return Err("its `Field(...)` takes `**` arguments".to_string());
                        }
                        let missing =
                            length_arguments(&|name| call.arguments.find_keyword(name).is_some());
                        if missing.is_empty() {
                            return Err("its `Field(...)` bounds its length already".to_string());
                        }
                        // One per line in a call laid out one per line.
                        let separator = match call.arguments.iter_source_order().last() {
                            Some(last)
                                if source.line_number(call.arguments.start())
                                    != source.line_number(call.arguments.end()) =>
                            {
                                format!(
                                    ",{}{}",
                                    source.line_ending().as_str(),
                                    source.indentation_at(last.start())
                                )
                            }
                            _ => ", ".to_string(),
                        };
                        edits.extend(append_argument(
                            source,
                            context.tokens,
                            &call.arguments,
                            &missing.join(&separator),
                            context.options.line_length,
                        ));
                    }
                    (None, Some(value)) => {
                        let arguments = length_arguments(&|_| false).join(", ");
                        edits.push(Edit::replacement(
                            format!(
                                "{}({}, {arguments})",
                                reference(field_symbol),
                                source.slice(value.range())
                            ),
                            value.range(),
                        ));
                    }
                    (None, None) => {
                        let arguments = length_arguments(&|_| false).join(", ");
                        edits.push(Edit::insertion(
                            format!(" = {}({arguments})", reference(field_symbol)),
                            field.annotation.end(),
                        ));
                    }
                }
            }
        }
        Target::Class(class) => {
            let Placement::Override {
                optional, default, ..
            } = &rewrite.placement
            else {
                return Err("nothing to override".to_string());
            };
            let base_type = new_type.clone().unwrap_or_else(|| "str".to_string());
            let annotation = match (optional, union_syntax) {
                (false, _) => base_type,
                (true, true) => format!("{base_type} | None"),
                (true, false) => format!("{}[{base_type}]", reference(optional_symbol)),
            };
            let value = if password {
                let arguments = length_arguments(&|_| false).join(", ");
                let field = reference(field_symbol);
                match default.as_deref() {
                    None | Some("...") => format!(" = {field}({arguments})"),
                    Some(default) => format!(" = {field}({default}, {arguments})"),
                }
            } else {
                default
                    .as_deref()
                    .map(|default| format!(" = {default}"))
                    .unwrap_or_default()
            };
            let line = format!("{}: {annotation}{value}", rewrite.field);
            edits.push(override_edit(context, class, &line)?);
        }
    }
    if url_definition && let UrlHome::Before(at) = url_home {
        let ending = source.line_ending().as_str();
        let unit = source.indent_unit();
        let annotated = reference(first_url_symbol);
        let after = reference(first_url_symbol + 1);
        let any_http_url = reference(first_url_symbol + 2);
        let adapter = reference(first_url_symbol + 3);
        let definition = [
            format!("{URL_ADAPTER} = {adapter}({any_http_url})"),
            String::new(),
            String::new(),
            format!("def {URL_VALIDATOR}(value: str) -> str:"),
            format!("{unit}{URL_ADAPTER}.validate_python(value)"),
            format!("{unit}return value"),
            String::new(),
            String::new(),
            format!("{URL_ALIAS} = {annotated}[str, {after}({URL_VALIDATOR})]"),
            String::new(),
            String::new(),
            String::new(),
        ]
        .join(ending);
        edits.push(Edit::insertion(definition, *at));
    }
    let title = match rewrite.meaning {
        TextMeaning::Email => format!("validate `{}` with `EmailStr`", rewrite.field),
        TextMeaning::Password => format!("require 8 to 128 characters in `{}`", rewrite.field),
        TextMeaning::HttpUrl => format!("accept only http and https URLs in `{}`", rewrite.field),
    };
    Ok(Fix::new(title, edits, Safety::Unsafe))
}

/// The edit that adds a field line to a class: after its last annotated
/// field, else after its docstring, else in place of a lone `pass` or `...`.
fn override_edit(
    context: &FileContext,
    class: &ast::StmtClassDef,
    line: &str,
) -> Result<Edit, String> {
    let source = context.source;
    let ending = source.line_ending().as_str();
    let first = class.body.first().ok_or("the class has no body")?;
    if source.line_number(first.start()) == source.line_number(class.name.start()) {
        return Err("the class is written on one line".to_string());
    }
    let indent = source.indentation_at(first.start()).to_string();
    let last_field = class
        .body
        .iter()
        .filter(|stmt| matches!(stmt, Stmt::AnnAssign(_)))
        .last();
    if let Some(last_field) = last_field {
        return Ok(Edit::insertion(
            format!("{indent}{line}{ending}"),
            source.full_line_end(last_field.end()),
        ));
    }
    let is_placeholder = |stmt: &Stmt| match stmt {
        Stmt::Pass(_) => true,
        Stmt::Expr(expr) => matches!(expr.value.as_ref(), Expr::EllipsisLiteral(_)),
        _ => false,
    };
    if let [only] = class.body.as_slice()
        && is_placeholder(only)
    {
        return Ok(Edit::replacement(line.to_string(), only.range()));
    }
    let docstring = matches!(first, Stmt::Expr(expr) if expr.value.is_string_literal_expr());
    if docstring {
        return Ok(Edit::insertion(
            format!("{indent}{line}{ending}"),
            source.full_line_end(first.end()),
        ));
    }
    Ok(Edit::insertion(
        format!("{indent}{line}{ending}"),
        source.line_start(first.start()),
    ))
}
