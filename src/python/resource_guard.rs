//! A route's opening guard: it loads a resource by a path parameter and
//! raises when it is missing, maybe followed by an ownership check.
//!
//! ```python
//! post = service.get_post(db, post_id)      # or `await …`
//! if post is None:                          # or `if not post:`
//!     raise PostNotFound()
//! if post.author_id != user.id:             # optional
//!     raise NotPostOwner()
//! ```

use crate::python::fastapi::{FastApiFacts, Route};
use ruff_python_ast::{self as ast, CmpOp, Expr, Stmt, UnaryOp};

/// A route's guard (see the module comment).
#[derive(Debug)]
pub struct ResourceGuard<'a> {
    /// `post = …`: the load.
    pub load: &'a ast::StmtAssign,
    /// The call that loads, under an `await` when `awaited`.
    pub loader: &'a ast::ExprCall,
    pub awaited: bool,
    /// `if post is None: raise …`.
    pub missing: &'a ast::StmtIf,
    /// The name the resource is bound to: `post`.
    pub resource: &'a str,
    /// The path parameter it is loaded by: `post_id`.
    pub parameter: &'a ast::ParameterWithDefault,
    /// `if post.author_id != user.id: raise …`, and the parameter it
    /// compares the resource with (`user`).
    pub ownership: Option<(&'a ast::StmtIf, &'a ast::ParameterWithDefault)>,
    /// The index in the body of the load.
    pub first: usize,
}

/// The names a route's path declares: `{post_id}` and `{path:path}`.
pub fn path_parameters(route: &Route) -> Option<Vec<String>> {
    let path = route.decorator.arguments.args.first().or_else(|| {
        route
            .decorator
            .arguments
            .find_keyword("path")
            .map(|keyword| &keyword.value)
    })?;
    let Expr::StringLiteral(path) = path else {
        return None;
    };
    let path = path.value.to_str();
    let mut names = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let inside = &rest[open + 1..open + close];
        names.push(inside.split(':').next().unwrap_or(inside).to_string());
        rest = &rest[open + close + 1..];
    }
    Some(names)
}

/// The guard `route` opens with, if it has one.
pub fn resource_guard<'a>(facts: &FastApiFacts, route: &Route<'a>) -> Option<ResourceGuard<'a>> {
    let function = route.function;
    let path = path_parameters(route)?;
    let body = &function.body;
    let first = usize::from(is_docstring(body.first()?));
    let Stmt::Assign(load) = body.get(first)? else {
        return None;
    };
    let [Expr::Name(target)] = load.targets.as_slice() else {
        return None;
    };
    let loader = match load.value.as_ref() {
        Expr::Call(call) => call,
        Expr::Await(awaited) => match awaited.value.as_ref() {
            Expr::Call(call) => call,
            _ => return None,
        },
        _ => return None,
    };
    let awaited = crate::python::extraction::awaits(&body[first]);
    let resource = target.id.as_str();
    let parameters: Vec<&'a ast::ParameterWithDefault> =
        function.parameters.iter_non_variadic_params().collect();
    let parameter = *parameters.iter().find(|parameter| {
        let name = parameter.parameter.name.as_str();
        path.iter().any(|path_name| path_name == name)
            && crate::python::extraction::names_in(&load.value).contains(&name)
    })?;
    if parameters
        .iter()
        .any(|parameter| parameter.parameter.name.as_str() == resource)
        || facts.dependency_names.contains(resource)
    {
        return None;
    }
    let Stmt::If(missing) = body.get(first + 1)? else {
        return None;
    };
    if !missing.elif_else_clauses.is_empty()
        || !is_lone_raise(&missing.body)
        || !tests_missing(&missing.test, resource)
    {
        return None;
    }
    let ownership = match body.get(first + 2) {
        Some(Stmt::If(check))
            if check.elif_else_clauses.is_empty() && is_lone_raise(&check.body) =>
        {
            owner_compared(&check.test, resource).and_then(|owner| {
                parameters
                    .iter()
                    .find(|candidate| {
                        candidate.parameter.name.as_str() == owner
                            && owner != parameter.parameter.name.as_str()
                    })
                    .map(|owner| (check, *owner))
            })
        }
        _ => None,
    };
    // Something must follow: a route is not only its guard.
    let after = first + 2 + usize::from(ownership.is_some());
    body.get(after)?;
    Some(ResourceGuard {
        load,
        loader,
        awaited,
        missing,
        resource,
        parameter,
        ownership,
        first,
    })
}

/// The ORM model a session query loads: `db.get(Post, id)`,
/// `db.query(Post).filter(…).first()`, `session.exec(select(Post)…).first()`,
/// `(await session.execute(select(Post)…)).scalar_one_or_none()`.
pub fn queried_model(call: &ast::ExprCall) -> Option<&Expr> {
    if let Expr::Attribute(attribute) = call.func.as_ref()
        && matches!(attribute.attr.as_str(), "get" | "get_one")
        && let Some(model) = call.arguments.args.first()
        && looks_like_class(model)
    {
        return Some(model);
    }
    let mut expr = &call.func;
    let mut one = false;
    loop {
        match expr.as_ref() {
            Expr::Attribute(attribute) => {
                let method = attribute.attr.as_str();
                if matches!(
                    method,
                    "first"
                        | "one"
                        | "one_or_none"
                        | "scalar_one_or_none"
                        | "scalar_one"
                        | "scalar"
                ) {
                    one = true;
                }
                expr = &attribute.value;
            }
            Expr::Await(awaited) => expr = &awaited.value,
            Expr::Call(inner) => {
                let Expr::Attribute(attribute) = inner.func.as_ref() else {
                    return None;
                };
                let first = inner.arguments.args.first();
                match (attribute.attr.as_str(), first) {
                    ("get" | "get_one", Some(model)) if looks_like_class(model) => {
                        return Some(model);
                    }
                    ("query", Some(model)) if one && looks_like_class(model) => return Some(model),
                    ("exec" | "execute" | "scalar" | "scalars", Some(Expr::Call(statement)))
                        if one || attribute.attr.as_str() == "scalar" =>
                    {
                        // `select(Post).where(…).limit(1)`: the `select` under the steps.
                        let mut select = statement;
                        while let Expr::Attribute(step) = select.func.as_ref()
                            && let Expr::Call(inner) = step.value.as_ref()
                        {
                            select = inner;
                        }
                        let is_select = matches!(select.func.as_ref(), Expr::Name(name) if name.id.as_str() == "select")
                            || matches!(select.func.as_ref(), Expr::Attribute(attribute) if attribute.attr.as_str() == "select");
                        return match select.arguments.args.as_ref() {
                            [model] if is_select && looks_like_class(model) => Some(model),
                            _ => None,
                        };
                    }
                    _ => expr = &attribute.value,
                }
            }
            _ => return None,
        }
    }
}

/// `Post` or `models.Post`: a name whose last part is capitalised.
fn looks_like_class(expr: &Expr) -> bool {
    match expr {
        Expr::Name(name) => name.id.starts_with(|c: char| c.is_ascii_uppercase()),
        Expr::Attribute(attribute) => attribute.attr.starts_with(|c: char| c.is_ascii_uppercase()),
        _ => false,
    }
}

fn is_docstring(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Expr(expr) if expr.value.is_string_literal_expr())
}

fn is_lone_raise(body: &[Stmt]) -> bool {
    matches!(body, [Stmt::Raise(raise)] if raise.exc.is_some())
}

/// `post is None`, `post == None`, `not post`.
fn tests_missing(test: &Expr, resource: &str) -> bool {
    match test {
        Expr::UnaryOp(unary) if unary.op == UnaryOp::Not => is_name(&unary.operand, resource),
        Expr::Compare(compare) => {
            matches!(compare.ops.as_ref(), [CmpOp::Is | CmpOp::Eq])
                && is_name(&compare.left, resource)
                && matches!(compare.comparators.as_ref(), [Expr::NoneLiteral(_)])
        }
        _ => false,
    }
}

/// In `post.author_id != user.id` (either way round), the name the other
/// side starts from: `user`.
fn owner_compared<'e>(test: &'e Expr, resource: &str) -> Option<&'e str> {
    let Expr::Compare(compare) = test else {
        return None;
    };
    let ([CmpOp::NotEq | CmpOp::IsNot], [right]) =
        (compare.ops.as_ref(), compare.comparators.as_ref())
    else {
        return None;
    };
    let left = compare.left.as_ref();
    let (ours, theirs) = if root_name(left) == Some(resource) {
        (left, right)
    } else {
        (right, left)
    };
    if root_name(ours) != Some(resource) || !matches!(ours, Expr::Attribute(_)) {
        return None;
    }
    let owner = root_name(theirs)?;
    (owner != resource).then_some(owner)
}

/// `user` in `user.id` or `user.profile.id`.
fn root_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => root_name(&attribute.value),
        _ => None,
    }
}

fn is_name(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Name(found) if found.id.as_str() == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    fn guard_of(source: &str) -> Option<(String, String, bool, Option<String>)> {
        let parsed = parse_module(source).unwrap();
        let facts = FastApiFacts::new(parsed.syntax());
        let route = facts.routes.first()?;
        let guard = resource_guard(&facts, route)?;
        Some((
            guard.resource.to_string(),
            guard.parameter.parameter.name.to_string(),
            guard.awaited,
            guard
                .ownership
                .map(|(_, owner)| owner.parameter.name.to_string()),
        ))
    }

    #[test]
    fn guards_are_read_in_their_usual_spellings() {
        let source = r#"
from fastapi import APIRouter
router = APIRouter()

@router.get("/posts/{post_id}")
async def read(post_id: int, db, user):
    """Doc."""
    post = await service.get_post(db, post_id)
    if not post:
        raise PostNotFound()
    if post.author_id != user.id:
        raise NotOwner()
    return post
"#;
        assert_eq!(
            guard_of(source),
            Some(("post".into(), "post_id".into(), true, Some("user".into())))
        );
        let plain = r#"
from fastapi import APIRouter
router = APIRouter()

@router.get(path="/items/{item_id:int}")
def read(item_id: int, db):
    item = db.get(Item, item_id)
    if item is None:
        raise HTTPException(404)
    return item
"#;
        assert_eq!(
            guard_of(plain),
            Some(("item".into(), "item_id".into(), false, None))
        );
    }

    #[test]
    fn what_is_not_a_guard_is_left_alone() {
        for body in [
            // Loaded by something other than the path parameter.
            "    post = service.get_post(db, 1)\n    if post is None:\n        raise E()\n    return post\n",
            // The check does more than raise.
            "    post = service.get_post(db, post_id)\n    if post is None:\n        log()\n        raise E()\n    return post\n",
            // An else branch.
            "    post = service.get_post(db, post_id)\n    if post is None:\n        raise E()\n    else:\n        pass\n    return post\n",
            // Nothing after the guard.
            "    post = service.get_post(db, post_id)\n    if post is None:\n        raise E()\n",
        ] {
            let source = format!(
                "from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.get(\"/posts/{{post_id}}\")\ndef read(post_id: int, db):\n{body}"
            );
            assert_eq!(guard_of(&source), None, "{body}");
        }
    }
}
