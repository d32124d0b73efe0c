//! # response-model (unsafe)
//!
//! ## What it does
//! Finds every route whose output FastAPI does not validate — no
//! `response_model=` and no return annotation naming a model (`Any`, `dict`,
//! an ORM class, a `Response` and `None` do not count) — and adds the
//! `response_model=` that what it returns calls for. The model is inferred,
//! never guessed, from every `return` of the route:
//! - a model it builds: `User(...)`, `UserRead.model_validate(...)`;
//! - a function or method it calls, by its return annotation:
//!   `await user_service.get_by_id(db, user_id)`, `crud.user.get(db, id=id)`
//!   (methods of module-level instances and of generic bases such as
//!   `CRUDBase[User, …]` included), through local variables assigned once;
//! - a parameter's annotation (`current_user: CurrentUser`);
//! - an ORM query of a known model: `db.get(User, id)`,
//!   `db.query(User).filter(…).first()`, `session.exec(select(User)).all()`,
//!   `db.scalars(select(User)).all()`.
//!
//! An ORM model, or a Pydantic model holding a secret field
//! (`hashed_password`, `api_key`, `*_token`, …), is sent through its public
//! schema: the Pydantic class named `<Model>Read`, `<Model>Out`,
//! `<Model>Public`, `<Model>Response` or `<Model>Schema`, anywhere in the
//! project (a stored form such as `UserInDB` looks for `UserRead`, then a
//! plain `User` schema). For an ORM object a schema that reads attributes
//! (`from_attributes=True`, `orm_mode = True`) is preferred. Lists become
//! `list[UserRead]` (`List[UserRead]` before Python 3.9 or where the file
//! uses `typing.List`); `Optional` results become the model itself.
//!
//! `response_model=` goes last in the decorator (or `add_api_route(...)`
//! call), in its layout, and the schema is imported where needed.
//!
//! Routes that return a `Response` of their own (`JSONResponse`,
//! `StreamingResponse`, `RedirectResponse`, `FileResponse`, templates…), that
//! set a non-JSON `response_class=`, that return nothing, that stream from a
//! generator, or that say `response_model=None` are left alone. A route
//! whose output cannot be told (a dict, a call without a return annotation,
//! paths that disagree, a model with no public schema) is reported by
//! `check` with the reason.
//!
//! ## Why is this bad?
//! Without a response model FastAPI sends whatever the function returns:
//! an ORM `User` goes out with its `hashed_password`, internal flags and
//! other tenants' ids. A response model validates the output and filters
//! it down to the fields the schema declares ("Use `response_model` to
//! control output").
//!
//! ## Example
//! ```python
//! from fastapi import APIRouter
//! from pydantic import BaseModel, ConfigDict
//! from sqlalchemy.orm import DeclarativeBase, Session
//!
//!
//! class Base(DeclarativeBase):
//!     pass
//!
//!
//! class User(Base):
//!     __tablename__ = "users"
//!
//!
//! class UserRead(BaseModel):
//!     model_config = ConfigDict(from_attributes=True)
//!
//!     id: int
//!     email: str
//!
//!
//! router = APIRouter()
//!
//!
//! @router.get("/users/{user_id}")
//! def read_user(user_id: int, db: Session):
//!     return db.get(User, user_id)
//! ```
//!
//! Use instead:
//! ```python
//! from fastapi import APIRouter
//! from pydantic import BaseModel, ConfigDict
//! from sqlalchemy.orm import DeclarativeBase, Session
//!
//!
//! class Base(DeclarativeBase):
//!     pass
//!
//!
//! class User(Base):
//!     __tablename__ = "users"
//!
//!
//! class UserRead(BaseModel):
//!     model_config = ConfigDict(from_attributes=True)
//!
//!     id: int
//!     email: str
//!
//!
//! router = APIRouter()
//!
//!
//! @router.get("/users/{user_id}", response_model=UserRead)
//! def read_user(user_id: int, db: Session):
//!     return db.get(User, user_id)
//! ```
//!
//! ## Fix safety
//! Unsafe. Filtering changes what clients receive: a field they read that
//! the schema lacks disappears, and a returned object that does not fit the
//! schema becomes a 500 error instead of a response. A route that can
//! return `None` (an `Optional` result) now fails validation instead of
//! sending `null`. Review each change: `diff --select response-model
//! --unsafe` lists them all.

use ruff_python_ast::{self as ast, Expr, PythonVersion, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange};

use crate::project::index::{ClassKind, ProjectIndex, body_yields, summarize_module};
use crate::project::models::{NoPublicSchema, model_kind, public_schema_for, secret_fields};
use crate::project::references::{ProjectReference, project_reference};
use crate::project::returns::{ReturnInference, Returned, is_response_class};
use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::fastapi::{dotted_text, function_header_range};
use crate::python::flow::always_exits;
use crate::python::imports::Symbol;
use crate::python::syntax::append_argument;
use crate::python::types::TypeShape;
use crate::text::edit::{Edit, Fix, Safety};

pub static TRANSFORM: Transform = Transform {
    name: "response-model",
    safety: Safety::Unsafe,
    summary: "a route whose output is not validated gets `response_model=` inferred from what it returns",
    ruff_code: None,
    source: include_str!("response_model.rs"),
    run,
    ..Transform::BASE
};

/// Response classes that still send JSON, and so still use a response model.
const JSON_RESPONSE_CLASSES: [&str; 3] = ["JSONResponse", "ORJSONResponse", "UJSONResponse"];

fn run(context: &FileContext, findings: &mut Findings) {
    if context.facts.routes.is_empty() && !context.source.text().contains("add_api_route") {
        return;
    }
    let module = context.module_name.unwrap_or("__main__");
    // A lone file (no module name) has no project index: it is its own.
    let own_index;
    let index = match context.module_name {
        Some(_) => &context.project.index,
        None => {
            own_index = ProjectIndex::new([summarize_module(
                module,
                false,
                context.module,
                context.tokens,
                context.source.text(),
            )]);
            &own_index
        }
    };
    let is_package = context.is_package;
    let route = RouteContext {
        context,
        index,
        module,
        is_package,
        inference: ReturnInference {
            facts: context.facts,
            index,
            module,
            is_package,
            text: context.source.text(),
        },
    };
    for registered in &context.facts.routes {
        if registered.method != "websocket" {
            route.check(
                registered.function,
                &registered.decorator.arguments,
                function_header_range(registered.function),
                findings,
            );
        }
    }
    for call in context.facts.calls_to("add_api_route") {
        let Expr::Attribute(attribute) = call.func.as_ref() else {
            continue;
        };
        let is_router = dotted_text(&attribute.value)
            .is_some_and(|router| context.facts.routers.contains(&router));
        let endpoint = call.arguments.find_argument_value("endpoint", 1);
        if let (true, Some(Expr::Name(name))) = (is_router, endpoint)
            && let Some(function) = context.facts.module_functions.get(name.id.as_str())
        {
            route.check(function, &call.arguments, call.range(), findings);
        }
    }
}

/// One file's view of its routes and the project.
struct RouteContext<'a> {
    context: &'a FileContext<'a>,
    index: &'a ProjectIndex,
    module: &'a str,
    is_package: bool,
    inference: ReturnInference<'a>,
}

impl<'a> RouteContext<'a> {
    /// Looks at one route: `function`, registered by a call with `arguments`.
    fn check(
        &self,
        function: &'a StmtFunctionDef,
        arguments: &ast::Arguments,
        location: TextRange,
        findings: &mut Findings,
    ) {
        let context = self.context;
        // `**options` may carry `response_model` already.
        if arguments.find_keyword("response_model").is_some()
            || arguments
                .keywords
                .iter()
                .any(|keyword| keyword.arg.is_none())
            || self.sends_raw_responses(arguments)
            || function
                .returns
                .as_deref()
                .is_some_and(|returns| self.annotation_validates(returns))
            || body_yields(&function.body)
        {
            return;
        }
        let header = context.header_lines(function);
        if context.is_suppressed(&TRANSFORM, arguments.range(), &header) {
            return;
        }
        let no_content = is_no_content(arguments);
        let paths = self.inference.returns(function);
        if paths.iter().any(|path| path.returned == Returned::Response)
            || paths.iter().all(|path| path.returned == Returned::Nothing)
        {
            return;
        }

        let name = function.name.id.as_str();
        // `db.delete(post); db.commit(); return post`: the object is gone from
        // the session, and a schema that reads its relationships fails.
        if let Some(deleted) = paths
            .iter()
            .filter_map(|path| path.name.as_deref())
            .find(|returned| deletes(context, function, returned))
        {
            findings.push(
                &TRANSFORM,
                location,
                format!(
                    "`{name}` returns `{deleted}` after deleting it: a response model reading it (or its relationships) would fail; return what the client needs explicitly"
                ),
                None,
            );
            return;
        }
        let mut schemas: Vec<TypeShape> = Vec::new();
        let mut returns_nothing = !always_exits(&function.body);
        for path in &paths {
            match &path.returned {
                Returned::Value(shape) => match self.schema_for(shape) {
                    Ok(schema) => {
                        if !schemas.contains(&schema) {
                            schemas.push(schema);
                        }
                    }
                    Err(reason) => {
                        findings.push(
                            &TRANSFORM,
                            location,
                            format!("`{name}` returns {reason}"),
                            None,
                        );
                        return;
                    }
                },
                Returned::Nothing => returns_nothing = true,
                Returned::Unknown(what) => {
                    findings.push(
                        &TRANSFORM,
                        location,
                        format!(
                            "`{name}` returns {what}: its output is not validated and no response model can be inferred"
                        ),
                        None,
                    );
                    return;
                }
                Returned::Response => return,
            }
        }
        let schema = match schemas.as_slice() {
            [schema] => schema,
            [first, second, ..] => {
                findings.push(
                    &TRANSFORM,
                    location,
                    format!(
                        "`{name}` returns `{}` on one path and `{}` on another: no single response model fits",
                        first.describe(),
                        second.describe()
                    ),
                    None,
                );
                return;
            }
            [] => return,
        };
        if returns_nothing && !no_content {
            findings.push(
                &TRANSFORM,
                location,
                format!(
                    "`{name}` returns `{}` on some paths and `None` on others: no response model fits both",
                    schema.describe()
                ),
                None,
            );
            return;
        }
        let Some((text, mut edits)) = self.schema_text(schema) else {
            findings.push(
                &TRANSFORM,
                location,
                format!(
                    "`{name}` should have `response_model={}`, but this file cannot import it: the name is taken, or imported only inside a function or under `TYPE_CHECKING`",
                    schema.describe()
                ),
                None,
            );
            return;
        };
        edits.extend(append_argument(
            context.source,
            context.tokens,
            arguments,
            &format!("response_model={text}"),
            context.options.line_length,
        ));
        findings.push(
            &TRANSFORM,
            location,
            format!("`{name}` sends its result unvalidated: add `response_model={text}`"),
            Some(Fix::new(
                format!("Add `response_model={text}`"),
                edits,
                Safety::Unsafe,
            )),
        );
    }

    /// `response_class=` of a response that is not JSON (`HTMLResponse`,
    /// `PlainTextResponse`, `StreamingResponse`…): FastAPI sends the
    /// route's own output.
    fn sends_raw_responses(&self, arguments: &ast::Arguments) -> bool {
        let Some(keyword) = arguments.find_keyword("response_class") else {
            return false;
        };
        let name = dotted_text(&keyword.value).unwrap_or_default();
        let last = name.rsplit('.').next().unwrap_or(&name);
        !JSON_RESPONSE_CLASSES.contains(&last)
    }

    /// Whether a return annotation already makes FastAPI validate the
    /// output: anything but `Any`, `dict`, an ORM class, a response, `None`.
    fn annotation_validates(&self, returns: &Expr) -> bool {
        let shape = self.inference.annotation_shape(returns);
        self.shape_validates(&shape)
    }

    fn shape_validates(&self, shape: &TypeShape) -> bool {
        match shape {
            TypeShape::None => false,
            TypeShape::List(item) => self.shape_validates(item),
            TypeShape::Variable(_) => true,
            // `dict` and `dict[str, Any]` let anything through; `dict[str, int]`
            // is validated.
            TypeShape::Other(text) => {
                let base = text.split('[').next().unwrap_or(text).trim();
                let is_mapping = matches!(
                    base,
                    "dict" | "Dict" | "typing.Dict" | "Mapping" | "typing.Mapping"
                );
                !(matches!(base, "Any" | "object")
                    || (is_mapping && (!text.contains('[') || text.contains("Any"))))
            }
            TypeShape::Class(qualified) => {
                !(matches!(
                    qualified.as_str(),
                    "typing.Any" | "typing_extensions.Any" | "typing.Dict" | "typing.Mapping"
                ) || is_response_class(self.index, qualified)
                    || model_kind(self.index, qualified) == Some(ClassKind::OrmModel))
            }
        }
    }

    /// A `Read` schema `split-schemas` writes in this run for the class.
    fn planned_read(&self, qualified: &str) -> Result<String, NoPublicSchema> {
        self.context
            .plan::<super::split_schemas::plan::SchemaPlan>()
            .and_then(|plan| plan.new_read_for(self.index, qualified))
            .map(|member| member.qualified.clone())
            .ok_or(NoPublicSchema)
    }

    /// The schema a returned shape is sent through, or why there is none
    /// (a phrase that reads after "returns").
    fn schema_for(&self, shape: &TypeShape) -> Result<TypeShape, String> {
        match shape {
            TypeShape::Class(qualified) => {
                let described = shape.describe();
                match model_kind(self.index, qualified) {
                    Some(ClassKind::PydanticModel) => {
                        let secrets = secret_fields(self.index, qualified);
                        if secrets.is_empty() {
                            return Ok(shape.clone());
                        }
                        public_schema_for(self.index, qualified, Some(self.module))
                            .or_else(|_| self.planned_read(qualified))
                            .map(TypeShape::Class)
                            .map_err(|_| {
                                format!(
                                    "`{described}`, which holds `{}`, and no read schema exists; run split-schemas or add one",
                                    secrets.join("`, `")
                                )
                            })
                    }
                    Some(ClassKind::OrmModel) => public_schema_for(self.index, qualified, Some(self.module))
                        .or_else(|_| self.planned_read(qualified))
                        .map(TypeShape::Class)
                        .map_err(|_| {
                            format!(
                                "`{described}` (ORM) and no read schema exists; run split-schemas or add one"
                            )
                        }),
                    Some(ClassKind::Plain) => Err(format!(
                        "`{described}`, which is not a Pydantic model: no response model can be inferred"
                    )),
                    None => Err(format!(
                        "`{described}`, which is not a model of this project: no response model can be inferred"
                    )),
                }
            }
            TypeShape::List(item) => Ok(TypeShape::List(Box::new(self.schema_for(item)?))),
            TypeShape::Variable(name) => Err(format!(
                "`{name}`, a type variable: no response model can be inferred"
            )),
            TypeShape::None => Err("`None`".to_string()),
            TypeShape::Other(text) => Err(format!(
                "`{text}`, which is not a model: no response model can be inferred"
            )),
        }
    }

    /// How this file writes the schema (`UserRead`, `list[schemas.UserRead]`),
    /// with the imports it needs.
    fn schema_text(&self, schema: &TypeShape) -> Option<(String, Vec<Edit>)> {
        let context = self.context;
        let (qualified, is_list) = schema.class()?;
        let mut symbols: Vec<Symbol> = Vec::new();
        let bound = match project_reference(
            self.index,
            context.facts,
            self.module,
            self.is_package,
            qualified,
        )? {
            ProjectReference::Bound(text) => Some(text),
            ProjectReference::Import(symbol) => {
                symbols.push(symbol);
                None
            }
        };
        let typing_list = is_list
            && (context.facts.imports.local_name_of("typing.List").is_some()
                || context.options.target_version < PythonVersion::PY39);
        if typing_list {
            symbols.push(Symbol::new("typing", "List"));
        }
        let imported = context.importer().import(&symbols);
        let mut references = imported.references.into_iter();
        let class_text = match bound {
            Some(text) => text,
            None => references.next()?,
        };
        let text = match (is_list, typing_list) {
            (false, _) => class_text,
            (true, true) => format!("{}[{class_text}]", references.next()?),
            (true, false) => format!("list[{class_text}]"),
        };
        Some((text, imported.edits))
    }
}

/// Whether the function's body calls `….delete(name)`.
fn deletes(context: &FileContext, function: &StmtFunctionDef, name: &str) -> bool {
    context.facts.calls_to("delete").any(|call| {
        function.range().contains_range(call.range())
            && matches!(call.arguments.args.first(), Some(Expr::Name(argument)) if argument.id.as_str() == name)
    })
}

/// Whether the route answers 204 No Content (`status_code=204`,
/// `status.HTTP_204_NO_CONTENT`), where returning nothing is right.
fn is_no_content(arguments: &ast::Arguments) -> bool {
    let Some(keyword) = arguments.find_keyword("status_code") else {
        return false;
    };
    match &keyword.value {
        Expr::NumberLiteral(number) => {
            matches!(&number.value, ast::Number::Int(value) if value.as_u16() == Some(204))
        }
        other => dotted_text(other).is_some_and(|text| text.contains("204")),
    }
}
