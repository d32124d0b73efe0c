//! What a function returns, inferred through the project index and never
//! guessed: a model it builds (`User(...)`, `UserRead.model_validate(...)`),
//! what a function or method it calls is annotated to return (including
//! methods of module-level service instances and of generic CRUD classes),
//! an ORM query of a known model (`db.get(User, id)`,
//! `db.query(User).filter(...).first()`, `session.exec(select(User)).all()`),
//! a parameter's annotation, or a local variable assigned once.
//!
//! Each `return` is judged on its own; a path that cannot be told says why.

use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange};

use crate::project::index::{ClassKind, ProjectIndex};
use crate::project::models::{method_returns, model_kind};
use crate::python::fastapi::FastApiFacts;
use crate::python::fastapi::qualified_in;
use crate::python::flow::return_statements;
use crate::python::types::{TypeScope, TypeShape, shape_of};

/// How deep local variables and calls are followed.
const MAX_DEPTH: usize = 8;

/// What one `return` sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Returned {
    /// A value of this shape.
    Value(TypeShape),
    /// `None`, or a bare `return`.
    Nothing,
    /// A `Response` the route builds itself (`JSONResponse(...)`,
    /// `templates.TemplateResponse(...)`): FastAPI sends it as it is.
    Response,
    /// Cannot be told; the reason reads after "returns …".
    Unknown(String),
}

/// A `return` statement and what it sends.
#[derive(Debug, Clone)]
pub struct ReturnPath {
    pub range: TextRange,
    pub returned: Returned,
    /// The local name returned, for `return user`.
    pub name: Option<String>,
}

/// Infers return values in one module.
pub struct ReturnInference<'a> {
    pub facts: &'a FastApiFacts<'a>,
    pub index: &'a ProjectIndex,
    pub module: &'a str,
    pub is_package: bool,
    pub text: &'a str,
}

/// ORM query methods that keep the query's model.
const QUERY_STEPS: [&str; 17] = [
    "filter",
    "filter_by",
    "where",
    "order_by",
    "offset",
    "limit",
    "join",
    "outerjoin",
    "options",
    "group_by",
    "having",
    "distinct",
    "unique",
    "scalars",
    "execution_options",
    "params",
    "slice",
];

/// Query methods that give one object (or `None`).
const QUERY_ONE: [&str; 7] = [
    "first",
    "one",
    "one_or_none",
    "scalar",
    "scalar_one",
    "scalar_one_or_none",
    "get",
];

/// Constructors of a Pydantic model from other data.
const MODEL_CONSTRUCTORS: [&str; 10] = [
    "model_validate",
    "model_validate_json",
    "model_validate_strings",
    "model_construct",
    "from_orm",
    "parse_obj",
    "parse_raw",
    "construct",
    "validate",
    "parse_obj_as",
];

/// Names a function's body binds, with what each is bound to.
#[derive(Default)]
struct Locals<'a> {
    /// Parameters and their annotations.
    parameters: HashMap<&'a str, Option<&'a Expr>>,
    /// Every binding of a name in the body: `Some(value)` for `name = value`,
    /// `Annotated(annotation)` for `name: T = …`, `None` for other bindings
    /// (loops, `with … as`, augmented assignment, unpacking).
    bindings: HashMap<&'a str, Vec<Binding<'a>>>,
}

#[derive(Clone, Copy)]
enum Binding<'a> {
    Value(&'a Expr),
    Annotated(&'a Expr),
    Other,
}

impl<'a> ReturnInference<'a> {
    /// Every `return` in the function's own body (nested functions, lambdas
    /// and classes excluded), in source order.
    pub fn returns(&self, function: &'a StmtFunctionDef) -> Vec<ReturnPath> {
        let locals = Locals::of(function);
        let mut paths = Vec::new();
        for stmt in return_statements(&function.body) {
            match stmt.value.as_deref() {
                None => paths.push(ReturnPath {
                    range: stmt.range(),
                    returned: Returned::Nothing,
                    name: None,
                }),
                Some(value) => {
                    // `a if c else b`: two paths.
                    let mut branches = vec![value];
                    while let Some(index) = branches
                        .iter()
                        .position(|branch| matches!(branch, Expr::If(_)))
                    {
                        let Expr::If(conditional) = branches.remove(index) else {
                            unreachable!("found above");
                        };
                        branches.push(&conditional.body);
                        branches.push(&conditional.orelse);
                    }
                    for branch in branches {
                        paths.push(ReturnPath {
                            range: stmt.range(),
                            returned: self.value(branch, &locals, 0),
                            name: match branch {
                                Expr::Name(name) => Some(name.id.to_string()),
                                _ => None,
                            },
                        });
                    }
                }
            }
        }
        paths
    }

    /// The shape of an annotation written in this module, aliases followed.
    pub fn annotation_shape(&self, annotation: &Expr) -> TypeShape {
        let variables = Default::default();
        let scope = TypeScope {
            facts: self.facts,
            module: self.module,
            is_package: self.is_package,
            type_variables: &variables,
            text: self.text,
        };
        self.without_alias(shape_of(&scope, annotation))
    }

    /// A dependency alias (`CurrentUser`) stands for its type.
    fn without_alias(&self, shape: TypeShape) -> TypeShape {
        match shape {
            TypeShape::Class(qualified) => {
                let canonical = self.index.canonical(&qualified);
                match self.index.alias_type(&canonical) {
                    Some(type_name) => TypeShape::Class(type_name.to_string()),
                    None => TypeShape::Class(canonical),
                }
            }
            TypeShape::List(item) => TypeShape::List(Box::new(self.without_alias(*item))),
            other => other,
        }
    }

    fn qualified(&self, expr: &Expr) -> Option<String> {
        qualified_in(self.facts, self.module, self.is_package, expr)
            .map(|qualified| self.index.canonical(&qualified))
    }

    /// A call as messages name it: `crud.get(…)`, or `….first(…)` when long.
    fn call_text(&self, call: &ast::ExprCall) -> String {
        let callee = &self.text[call.func.range()];
        if callee.len() <= 40 && !callee.contains('\n') {
            return format!("{callee}(…)");
        }
        match call.func.as_ref() {
            Expr::Attribute(attribute) => format!("….{}(…)", attribute.attr.id),
            _ => "this call".to_string(),
        }
    }

    fn text_of(&self, expr: &Expr) -> String {
        let text = &self.text[expr.range()];
        if text.len() > 40 || text.contains('\n') {
            match expr {
                Expr::Call(call) => self.call_text(call),
                _ => "this expression".to_string(),
            }
        } else {
            text.to_string()
        }
    }

    fn value(&self, expr: &'a Expr, locals: &Locals<'a>, depth: usize) -> Returned {
        if depth > MAX_DEPTH {
            return Returned::Unknown(format!("`{}`, followed too deep", self.text_of(expr)));
        }
        match expr {
            Expr::Await(awaited) => self.value(&awaited.value, locals, depth + 1),
            Expr::NoneLiteral(_) => Returned::Nothing,
            Expr::Name(name) => self.name_value(name, locals, depth),
            Expr::Call(call) => self.call_value(call, locals, depth),
            Expr::If(conditional) => {
                let body = self.value(&conditional.body, locals, depth + 1);
                let orelse = self.value(&conditional.orelse, locals, depth + 1);
                match (body, orelse) {
                    (Returned::Nothing, _) | (_, Returned::Nothing) => {
                        Returned::Unknown(format!("`{}`, which may be `None`", self.text_of(expr)))
                    }
                    (body, orelse) if body == orelse => body,
                    _ => Returned::Unknown(format!(
                        "`{}`, whose branches differ",
                        self.text_of(expr)
                    )),
                }
            }
            Expr::ListComp(comprehension) => {
                match self.element_value(
                    &comprehension.elt,
                    &comprehension.generators,
                    locals,
                    depth,
                ) {
                    Returned::Value(item) => Returned::Value(TypeShape::List(Box::new(item))),
                    _ => Returned::Unknown(match comprehension.elt.as_ref() {
                        Expr::Dict(_) | Expr::DictComp(_) => "a list of dicts".to_string(),
                        element => format!(
                            "a list of `{}`, whose type is not known",
                            self.text_of(element)
                        ),
                    }),
                }
            }
            Expr::Dict(_) | Expr::DictComp(_) => Returned::Unknown("a dict".to_string()),
            Expr::StringLiteral(_) | Expr::FString(_) => Returned::Unknown("a string".to_string()),
            Expr::NumberLiteral(_) => Returned::Unknown("a number".to_string()),
            Expr::BooleanLiteral(_) => Returned::Unknown("a boolean".to_string()),
            Expr::List(_) | Expr::Tuple(_) | Expr::Set(_) => {
                Returned::Unknown(format!("`{}`", self.text_of(expr)))
            }
            _ => Returned::Unknown(format!("`{}`, whose type is not known", self.text_of(expr))),
        }
    }

    /// The element of `[elt for x in xs]`: `elt` itself, or `x` when it is
    /// the loop variable over a known list.
    fn element_value(
        &self,
        element: &'a Expr,
        generators: &'a [ast::Comprehension],
        locals: &Locals<'a>,
        depth: usize,
    ) -> Returned {
        if let (Expr::Name(name), [generator]) = (element, generators)
            && matches!(&generator.target, Expr::Name(target) if target.id == name.id)
        {
            return match self.value(&generator.iter, locals, depth + 1) {
                Returned::Value(TypeShape::List(item)) => Returned::Value(*item),
                _ => Returned::Unknown(format!("`{}`", name.id)),
            };
        }
        self.value(element, locals, depth + 1)
    }

    fn name_value(&self, name: &'a ast::ExprName, locals: &Locals<'a>, depth: usize) -> Returned {
        let id = name.id.as_str();
        let bindings = locals.bindings.get(id).map_or(&[][..], Vec::as_slice);
        if let Some(annotation) = locals.parameters.get(id) {
            return match (annotation, bindings) {
                (Some(annotation), []) => self.annotation_value(annotation),
                (None, []) => Returned::Unknown(format!("`{id}`, a parameter without annotation")),
                _ => Returned::Unknown(format!("`{id}`, a parameter assigned again")),
            };
        }
        match bindings {
            [Binding::Value(value)] => self.value(value, locals, depth + 1),
            [Binding::Annotated(annotation)] => self.annotation_value(annotation),
            [] => match self.qualified(&Expr::Name(name.clone())) {
                Some(_) => Returned::Unknown(format!("`{id}`, defined outside the function")),
                None => Returned::Unknown(format!("`{id}`")),
            },
            _ => Returned::Unknown(format!("`{id}`, which is assigned more than once")),
        }
    }

    fn annotation_value(&self, annotation: &Expr) -> Returned {
        match self.annotation_shape(annotation) {
            TypeShape::None => Returned::Nothing,
            shape => Returned::Value(shape),
        }
    }

    fn call_value(&self, call: &'a ast::ExprCall, locals: &Locals<'a>, depth: usize) -> Returned {
        if self.is_response_call(call) {
            return Returned::Response;
        }
        if let Expr::Name(name) = call.func.as_ref()
            && name.id == "dict"
            && self.qualified(&call.func).is_none()
        {
            return Returned::Unknown("a dict".to_string());
        }
        if let Some(qualified) = self.qualified(&call.func)
            && let Some(returned) = self.project_call(&qualified)
        {
            return returned;
        }
        if let Expr::Attribute(attribute) = call.func.as_ref() {
            let method = attribute.attr.id.as_str();
            // A method of an object whose class the project defines.
            if let Returned::Value(TypeShape::Class(class)) =
                self.value(&attribute.value, locals, depth + 1)
                && self.index.class(&class).is_some()
            {
                return match method_returns(self.index, &class, method) {
                    Some((shape, _)) => self.shape_value(shape),
                    None => Returned::Unknown(format!(
                        "`{}`, whose return type is not annotated",
                        self.text_of(&call.func)
                    )),
                };
            }
            if let Some(returned) = self.query_result(call, method, locals, depth) {
                return returned;
            }
        }
        Returned::Unknown(format!(
            "`{}`, whose return type is not known",
            self.call_text(call)
        ))
    }

    fn shape_value(&self, shape: TypeShape) -> Returned {
        match self.without_alias(shape) {
            TypeShape::None => Returned::Nothing,
            shape => Returned::Value(shape),
        }
    }

    /// A call of something the project defines, by qualified name: a class
    /// (building it), a model's constructor method, a function, or a method
    /// of a module-level instance.
    fn project_call(&self, qualified: &str) -> Option<Returned> {
        if self.index.class(qualified).is_some() {
            return Some(Returned::Value(TypeShape::Class(qualified.to_string())));
        }
        if let Some((_, function)) = self.index.function(qualified) {
            return Some(match &function.returns_shape {
                Some(shape) => self.shape_value(shape.clone()),
                None => Returned::Unknown(format!(
                    "`{}(…)`, whose return type is not annotated",
                    function.name
                )),
            });
        }
        let (owner, method) = qualified.rsplit_once('.')?;
        let owner = self.index.canonical(owner);
        if self.index.class(&owner).is_some() {
            if MODEL_CONSTRUCTORS.contains(&method)
                && model_kind(self.index, &owner) == Some(ClassKind::PydanticModel)
            {
                return Some(Returned::Value(TypeShape::Class(owner)));
            }
            return Some(self.method_value(&owner, method));
        }
        let (module, name) = owner.rsplit_once('.')?;
        let class = self.index.module(module)?.instances.get(name)?;
        Some(self.method_value(&self.index.canonical(class), method))
    }

    fn method_value(&self, class: &str, method: &str) -> Returned {
        match method_returns(self.index, class, method) {
            Some((shape, _)) => self.shape_value(shape),
            None => Returned::Unknown(format!(
                "`{}.{method}(…)`, whose return type is not annotated",
                class.rsplit('.').next().unwrap_or(class)
            )),
        }
    }

    /// `FileResponse(...)`, `responses.JSONResponse(...)`,
    /// `templates.TemplateResponse(...)`, or a project subclass of a response.
    fn is_response_call(&self, call: &ast::ExprCall) -> bool {
        let last = match call.func.as_ref() {
            Expr::Name(name) => name.id.as_str(),
            Expr::Attribute(attribute) => attribute.attr.id.as_str(),
            _ => return false,
        };
        if last == "TemplateResponse" {
            return true;
        }
        match self.qualified(&call.func) {
            Some(qualified) => is_response_class(self.index, &qualified),
            None => false,
        }
    }

    /// What an ORM query call returns: `db.get(User, id)` one `User`,
    /// `db.query(User)....first()` one, `....all()` a list.
    fn query_result(
        &self,
        call: &'a ast::ExprCall,
        method: &str,
        locals: &Locals<'a>,
        depth: usize,
    ) -> Option<Returned> {
        let Expr::Attribute(attribute) = call.func.as_ref() else {
            return None;
        };
        let receiver = attribute.value.as_ref();
        // `session.get(User, id)`, `session.scalar(select(User)…)`.
        if matches!(method, "get" | "get_one")
            && let Some(first) = call.arguments.args.first()
            && let Some(model) = self.orm_model(first)
        {
            return Some(Returned::Value(TypeShape::Class(model)));
        }
        if method == "scalar"
            && let Some(first) = call.arguments.args.first()
            && let Some(query) = self.query_of(first, locals, depth)
        {
            return Some(Returned::Value(TypeShape::Class(query.model)));
        }
        let query = self.query_of(receiver, locals, depth)?;
        let model = TypeShape::Class(query.model);
        if method == "all" && !query.rows {
            Some(Returned::Value(TypeShape::List(Box::new(model))))
        } else if QUERY_ONE.contains(&method) && (!query.rows || method.starts_with("scalar")) {
            Some(Returned::Value(model))
        } else {
            None
        }
    }

    /// The model a query selects, following `.filter(...)` and the like back
    /// to `db.query(User)`, `session.exec(select(User))`,
    /// `session.scalars(select(User))` or `session.execute(select(User))`
    /// (rows until `.scalars()`).
    fn query_of(&self, expr: &'a Expr, locals: &Locals<'a>, depth: usize) -> Option<Query> {
        if depth > MAX_DEPTH {
            return None;
        }
        match expr {
            Expr::Await(awaited) => self.query_of(&awaited.value, locals, depth + 1),
            // `query = db.query(User)`, then narrowed in place any number of
            // times (`query = query.filter(…)`): the first assignment's model.
            Expr::Name(name) => {
                if locals.parameters.contains_key(name.id.as_str()) {
                    return None;
                }
                match locals.bindings.get(name.id.as_str())?.as_slice() {
                    [Binding::Value(first), rest @ ..]
                        if rest.iter().all(|binding| {
                            matches!(binding, Binding::Value(value) if narrows(value, name.id.as_str()))
                        }) =>
                    {
                        self.query_of(first, locals, depth + 1)
                    }
                    _ => None,
                }
            }
            Expr::Call(call) => {
                if self.is_select(&call.func) {
                    return match call.arguments.args.as_ref() {
                        [only] => Some(Query {
                            model: self.orm_model(only)?,
                            rows: false,
                        }),
                        _ => None,
                    };
                }
                let Expr::Attribute(attribute) = call.func.as_ref() else {
                    return None;
                };
                let method = attribute.attr.id.as_str();
                let first = call.arguments.args.first();
                match method {
                    "query" if call.arguments.args.len() == 1 => Some(Query {
                        model: self.orm_model(first?)?,
                        rows: false,
                    }),
                    "exec" | "scalars" | "execute" if first.is_some() => {
                        let inner = self.query_of(first?, locals, depth + 1)?;
                        Some(Query {
                            rows: method == "execute",
                            ..inner
                        })
                    }
                    step if QUERY_STEPS.contains(&step) => {
                        let inner = self.query_of(&attribute.value, locals, depth + 1)?;
                        Some(Query {
                            rows: inner.rows && step != "scalars",
                            ..inner
                        })
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn is_select(&self, func: &Expr) -> bool {
        self.qualified(func).is_some_and(|qualified| {
            matches!(
                qualified.as_str(),
                "sqlalchemy.select"
                    | "sqlalchemy.future.select"
                    | "sqlalchemy.sql.select"
                    | "sqlalchemy.sql.expression.select"
                    | "sqlmodel.select"
            )
        })
    }

    /// The qualified name of an ORM model the expression names.
    fn orm_model(&self, expr: &Expr) -> Option<String> {
        let qualified = self.qualified(expr)?;
        (model_kind(self.index, &qualified) == Some(ClassKind::OrmModel)).then_some(qualified)
    }
}

/// Whether `value` is `name` narrowed by query steps: `query.filter(…)`,
/// `query.where(…).order_by(…)`.
fn narrows(value: &Expr, name: &str) -> bool {
    match value {
        Expr::Call(call) => match call.func.as_ref() {
            Expr::Attribute(attribute) if QUERY_STEPS.contains(&attribute.attr.id.as_str()) => {
                match attribute.value.as_ref() {
                    Expr::Name(base) => base.id.as_str() == name,
                    other => narrows(other, name),
                }
            }
            _ => false,
        },
        _ => false,
    }
}

/// What a query selects.
struct Query {
    model: String,
    /// Still rows (`execute(...)`), not objects, until `.scalars()`.
    rows: bool,
}

/// Whether a qualified name is one of FastAPI's or Starlette's response
/// classes, or a project class deriving from one.
pub fn is_response_class(index: &ProjectIndex, qualified: &str) -> bool {
    fn is_framework_response(name: &str) -> bool {
        (name.starts_with("fastapi.") || name.starts_with("starlette."))
            && name.ends_with("Response")
    }
    if is_framework_response(qualified) {
        return true;
    }
    let mut current = vec![index.canonical(qualified)];
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        for name in &current {
            if let Some((_, class)) = index.class(name) {
                for base in &class.bases {
                    if is_framework_response(base) {
                        return true;
                    }
                    next.push(index.canonical(base));
                }
            }
        }
        if next.is_empty() {
            break;
        }
        current = next;
    }
    false
}

impl<'a> Locals<'a> {
    fn of(function: &'a StmtFunctionDef) -> Self {
        let mut locals = Locals::default();
        for parameter in function.parameters.iter() {
            locals
                .parameters
                .insert(parameter.name().id.as_str(), parameter.annotation());
        }
        let mut collector = BindingCollector {
            locals: &mut locals,
        };
        collector.visit_body(&function.body);
        locals
    }

    fn bind(&mut self, name: &'a str, binding: Binding<'a>) {
        self.bindings.entry(name).or_default().push(binding);
    }
}

struct BindingCollector<'l, 'a> {
    locals: &'l mut Locals<'a>,
}

impl<'a> BindingCollector<'_, 'a> {
    fn bind_target(&mut self, target: &'a Expr) {
        match target {
            Expr::Name(name) => self.locals.bind(name.id.as_str(), Binding::Other),
            Expr::Tuple(tuple) => tuple.elts.iter().for_each(|elt| self.bind_target(elt)),
            Expr::List(list) => list.elts.iter().for_each(|elt| self.bind_target(elt)),
            Expr::Starred(starred) => self.bind_target(&starred.value),
            _ => {}
        }
    }
}

impl<'a> Visitor<'a> for BindingCollector<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(function) => {
                self.locals.bind(function.name.id.as_str(), Binding::Other);
                return;
            }
            Stmt::ClassDef(class) => {
                self.locals.bind(class.name.id.as_str(), Binding::Other);
                return;
            }
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    match target {
                        Expr::Name(name) => self
                            .locals
                            .bind(name.id.as_str(), Binding::Value(&assign.value)),
                        other => self.bind_target(other),
                    }
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Expr::Name(name) = assign.target.as_ref() {
                    self.locals
                        .bind(name.id.as_str(), Binding::Annotated(&assign.annotation));
                }
            }
            Stmt::AugAssign(assign) => self.bind_target(&assign.target),
            Stmt::For(for_stmt) => self.bind_target(&for_stmt.target),
            Stmt::With(with) => {
                for item in &with.items {
                    if let Some(target) = &item.optional_vars {
                        self.bind_target(target);
                    }
                }
            }
            Stmt::Delete(delete) => delete.targets.iter().for_each(|t| self.bind_target(t)),
            Stmt::Import(import) => {
                for alias in &import.names {
                    let local = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.locals.bind(local.id.as_str(), Binding::Other);
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    let local = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.locals.bind(local.id.as_str(), Binding::Other);
                }
            }
            Stmt::Try(block) => {
                for handler in &block.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    if let Some(name) = &handler.name {
                        self.locals.bind(name.id.as_str(), Binding::Other);
                    }
                }
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Named(named) => {
                self.bind_target(&named.target);
                visitor::walk_expr(self, expr);
            }
            Expr::Lambda(_) => {}
            _ => visitor::walk_expr(self, expr),
        }
    }
}
