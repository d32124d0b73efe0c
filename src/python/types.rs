//! The shape of an annotated type, as far as responses care: one object of
//! a class, a list of them, a type variable of a generic class, or `None`.
//! `Optional[User]`, `User | None` and `Annotated[User, …]` are `User`;
//! `list[User]`, `List[User]` and `Sequence[User]` are a list of `User`.

use compact_str::CompactString;
use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::{self as ast, Expr, Operator};
use ruff_text_size::Ranged;

use crate::python::fastapi::FastApiFacts;
use crate::python::fastapi::qualified_in;

/// What a type annotation says a value is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeShape {
    /// A named type, qualified (`app.models.User`, `typing.Any`).
    Class(String),
    /// A list, sequence or iterable of something.
    List(Box<TypeShape>),
    /// A type variable (`ModelType` in `class CRUDBase(Generic[ModelType])`).
    Variable(String),
    /// `None`.
    None,
    /// Anything else, as written (`dict`, `dict[str, int]`, `int | str`).
    Other(String),
}

impl TypeShape {
    /// The shape with type variables replaced by what `bound` maps them to.
    pub fn substitute(&self, bound: &dyn Fn(&str) -> Option<TypeShape>) -> TypeShape {
        match self {
            TypeShape::Variable(name) => bound(name).unwrap_or_else(|| self.clone()),
            TypeShape::List(item) => TypeShape::List(Box::new(item.substitute(bound))),
            other => other.clone(),
        }
    }

    /// The class of one object, or of a list's items, and whether it is a
    /// list: `User` → `(User, false)`, `list[User]` → `(User, true)`.
    pub fn class(&self) -> Option<(&str, bool)> {
        match self {
            TypeShape::Class(class) => Some((class, false)),
            TypeShape::List(item) => match item.as_ref() {
                TypeShape::Class(class) => Some((class, true)),
                _ => None,
            },
            _ => None,
        }
    }

    /// How the shape reads in a message: `app.models.User` → `User`,
    /// `list[User]`.
    pub fn describe(&self) -> String {
        match self {
            TypeShape::Class(qualified) => qualified
                .rsplit_once('.')
                .map_or(qualified.as_str(), |(_, name)| name)
                .to_string(),
            TypeShape::List(item) => format!("list[{}]", item.describe()),
            TypeShape::Variable(name) => name.clone(),
            TypeShape::None => "None".to_string(),
            TypeShape::Other(text) => text.clone(),
        }
    }
}

/// Where an annotation is written: the module, and the type variables in scope.
pub struct TypeScope<'s> {
    pub facts: &'s FastApiFacts<'s>,
    pub module: &'s str,
    pub is_package: bool,
    pub type_variables: &'s HashSet<CompactString>,
    pub text: &'s str,
}

/// The qualified names that mean "a list of" in an annotation.
const LIST_TYPES: [&str; 12] = [
    "list",
    "typing.List",
    "typing.Sequence",
    "typing.Iterable",
    "typing.Collection",
    "typing.AbstractSet",
    "typing_extensions.List",
    "typing_extensions.Sequence",
    "collections.abc.Sequence",
    "collections.abc.Iterable",
    "collections.abc.Collection",
    "set",
];

/// The shape of an annotation written in `scope`.
pub fn shape_of(scope: &TypeScope, annotation: &Expr) -> TypeShape {
    let other = || TypeShape::Other(scope.text[annotation.range()].to_string());
    match annotation {
        Expr::NoneLiteral(_) => TypeShape::None,
        Expr::StringLiteral(literal) => {
            let value = literal.value.to_str();
            match ruff_python_parser::parse_expression(value) {
                Ok(parsed) => {
                    let inner = TypeScope {
                        text: value,
                        ..*scope
                    };
                    shape_of(&inner, parsed.expr())
                }
                Err(_) => other(),
            }
        }
        Expr::Name(name) if scope.type_variables.contains(name.id.as_str()) => {
            TypeShape::Variable(name.id.to_string())
        }
        Expr::Name(_) | Expr::Attribute(_) => {
            match qualified_in(scope.facts, scope.module, scope.is_package, annotation) {
                Some(qualified) => TypeShape::Class(qualified),
                None => other(),
            }
        }
        Expr::BinOp(binary) if binary.op == Operator::BitOr => {
            let members = [
                shape_of(scope, &binary.left),
                shape_of(scope, &binary.right),
            ];
            optional_member(&members).unwrap_or_else(other)
        }
        Expr::Subscript(subscript) => {
            let base = generic_base(scope, &subscript.value);
            let arguments: Vec<&Expr> = match subscript.slice.as_ref() {
                Expr::Tuple(tuple) => tuple.elts.iter().collect(),
                single => vec![single],
            };
            match base.as_deref() {
                Some("typing.Optional" | "typing_extensions.Optional") if arguments.len() == 1 => {
                    shape_of(scope, arguments[0])
                }
                Some("typing.Union" | "typing_extensions.Union") => {
                    let members: Vec<TypeShape> = arguments
                        .iter()
                        .map(|argument| shape_of(scope, argument))
                        .collect();
                    optional_member(&members).unwrap_or_else(other)
                }
                Some("typing.Annotated" | "typing_extensions.Annotated") => arguments
                    .first()
                    .map_or_else(other, |first| shape_of(scope, first)),
                Some(list) if LIST_TYPES.contains(&list) && arguments.len() == 1 => {
                    TypeShape::List(Box::new(shape_of(scope, arguments[0])))
                }
                _ => other(),
            }
        }
        _ => other(),
    }
}

/// The qualified name of a subscripted annotation's base; builtins (`list`)
/// by their name when not rebound.
fn generic_base(scope: &TypeScope, base: &Expr) -> Option<String> {
    if let Some(qualified) = qualified_in(scope.facts, scope.module, scope.is_package, base) {
        return Some(qualified);
    }
    match base {
        Expr::Name(name) if matches!(name.id.as_str(), "list" | "set") => Some(name.id.to_string()),
        _ => None,
    }
}

/// `T` for the members of `T | None` (one member besides `None`).
fn optional_member(members: &[TypeShape]) -> Option<TypeShape> {
    let mut rest = members.iter().filter(|member| **member != TypeShape::None);
    let only = rest.next()?;
    rest.next().is_none().then(|| only.clone())
}

/// Type variables a class declares: `class C(Generic[A, B])`, `class C(Protocol[A])`
/// or `class C[A, B]:` (PEP 695).
pub fn class_type_parameters(scope: &TypeScope, class: &ast::StmtClassDef) -> Vec<String> {
    if let Some(parameters) = &class.type_params {
        return parameters
            .type_params
            .iter()
            .map(|parameter| parameter.name().id.to_string())
            .collect();
    }
    for base in class.bases() {
        let Expr::Subscript(subscript) = base else {
            continue;
        };
        let is_generic = qualified_in(
            scope.facts,
            scope.module,
            scope.is_package,
            &subscript.value,
        )
        .is_some_and(|name| {
            matches!(
                name.as_str(),
                "typing.Generic"
                    | "typing_extensions.Generic"
                    | "typing.Protocol"
                    | "typing_extensions.Protocol"
            )
        });
        if is_generic {
            let arguments: Vec<&Expr> = match subscript.slice.as_ref() {
                Expr::Tuple(tuple) => tuple.elts.iter().collect(),
                single => vec![single],
            };
            return arguments
                .into_iter()
                .filter_map(|argument| match argument {
                    Expr::Name(name) => Some(name.id.to_string()),
                    _ => None,
                })
                .collect();
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use ruff_python_parser::parse_module;

    use super::*;

    fn shape(source: &str, annotation: &str) -> TypeShape {
        let text = format!("{source}\nx: {annotation}\n");
        let parsed = parse_module(&text).unwrap();
        let facts = FastApiFacts::new(parsed.syntax());
        let variables: HashSet<CompactString> = ["ModelType".into()].into_iter().collect();
        let scope = TypeScope {
            facts: &facts,
            module: "app.routes",
            is_package: false,
            type_variables: &variables,
            text: &text,
        };
        let Some(ruff_python_ast::Stmt::AnnAssign(assign)) = parsed.syntax().body.last() else {
            panic!("no annotation");
        };
        shape_of(&scope, &assign.annotation)
    }

    fn class(name: &str) -> TypeShape {
        TypeShape::Class(name.to_string())
    }

    fn list(item: TypeShape) -> TypeShape {
        TypeShape::List(Box::new(item))
    }

    #[test]
    fn shapes_of_annotations() {
        let imports = "from typing import List, Optional, Union, Annotated, Sequence\nfrom app.models import User\nfrom app import schemas\nimport typing as t";
        let cases = [
            ("User", class("app.models.User")),
            ("schemas.UserRead", class("app.schemas.UserRead")),
            ("Optional[User]", class("app.models.User")),
            ("User | None", class("app.models.User")),
            ("None | User", class("app.models.User")),
            ("Union[User, None]", class("app.models.User")),
            ("'User'", class("app.models.User")),
            ("List[User]", list(class("app.models.User"))),
            (
                "list[schemas.UserRead]",
                list(class("app.schemas.UserRead")),
            ),
            ("t.Sequence[User]", list(class("app.models.User"))),
            ("Sequence[Optional[User]]", list(class("app.models.User"))),
            ("Annotated[User, 1]", class("app.models.User")),
            ("ModelType", TypeShape::Variable("ModelType".into())),
            (
                "Optional[ModelType]",
                TypeShape::Variable("ModelType".into()),
            ),
            ("None", TypeShape::None),
            ("dict", TypeShape::Other("dict".into())),
            ("dict[str, int]", TypeShape::Other("dict[str, int]".into())),
            (
                "Union[User, int]",
                TypeShape::Other("Union[User, int]".into()),
            ),
        ];
        for (annotation, expected) in cases {
            assert_eq!(shape(imports, annotation), expected, "{annotation}");
        }
    }
}
