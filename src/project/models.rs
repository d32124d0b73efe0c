//! What the project's classes are as data: Pydantic models and ORM tables
//! (followed through the project's own base classes), which fields hold
//! secrets, which schema is a model's public face, and what methods of
//! generic classes (`CRUDBase[User, …]`) return.

use compact_str::CompactString;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::project::index::{ClassKind, ClassSummary, ProjectIndex};
use crate::python::naming::public_names;
use crate::python::types::TypeShape;

/// How deep base-class chains are followed.
const MAX_DEPTH: usize = 16;

/// The kind of a project class, through its project base classes: `User`
/// deriving from a project `UserBase(BaseModel)` is a Pydantic model, and a
/// SQLModel class with `table=True` is a table wherever `SQLModel` comes in.
pub fn model_kind(index: &ProjectIndex, qualified: &str) -> Option<ClassKind> {
    let (_, class) = index.class(qualified)?;
    let ancestors = ancestors(index, qualified);
    if class.table
        && ancestors.iter().any(|ancestor| {
            ancestor
                .bases
                .iter()
                .any(|base| base == "sqlmodel.SQLModel")
        })
    {
        return Some(ClassKind::OrmModel);
    }
    Some(
        ancestors
            .iter()
            .map(|ancestor| ancestor.kind)
            .find(|kind| *kind != ClassKind::Plain)
            .unwrap_or(ClassKind::Plain),
    )
}

/// The class and its project base classes, nearest first.
fn ancestors<'i>(index: &'i ProjectIndex, qualified: &str) -> Vec<&'i ClassSummary> {
    let mut found: Vec<&ClassSummary> = Vec::new();
    let mut seen: HashSet<String> = HashSet::default();
    let mut queue: Vec<(String, usize)> = vec![(index.canonical(qualified), 0)];
    let mut position = 0;
    while position < queue.len() {
        let (name, depth) = queue[position].clone();
        position += 1;
        if depth > MAX_DEPTH || !seen.insert(name.clone()) {
            continue;
        }
        let Some((_, class)) = index.class(&name) else {
            continue;
        };
        found.push(class);
        for base in &class.bases {
            queue.push((index.canonical(base), depth + 1));
        }
    }
    found
}

/// Every field name of a class, its project base classes' included.
pub fn field_names(index: &ProjectIndex, qualified: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for class in ancestors(index, qualified).into_iter().rev() {
        for (name, _, _) in &class.fields {
            if !names.iter().any(|known| known == name) {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// The secret fields a model would send. A token response (`Token`,
/// `AuthTokens`) exists to hand its tokens over: those are not leaks.
pub fn secret_fields(index: &ProjectIndex, qualified: &str) -> Vec<String> {
    let class_name = qualified.rsplit('.').next().unwrap_or(qualified);
    let is_token_response = class_name.contains("Token");
    field_names(index, qualified)
        .into_iter()
        .filter(|name| index.is_secret_field(name))
        .filter(|name| !(is_token_response && (name == "token" || name.ends_with("_token"))))
        .collect()
}

/// Whether a model reads attributes of the objects it validates
/// (`from_attributes=True` or `orm_mode = True`, its own or inherited).
pub fn reads_attributes(index: &ProjectIndex, qualified: &str) -> bool {
    ancestors(index, qualified)
        .iter()
        .any(|class| class.from_attributes)
}

/// Why a model has no public schema to send it through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoPublicSchema;

/// The schema a model is sent through: for an ORM model or a model holding
/// secrets, the Pydantic class named `<Model>Read`, `<Model>Out`,
/// `<Model>Public`, `<Model>Response` or `<Model>Schema` (in that order),
/// anywhere in the project, without secrets of its own. A stored form
/// (`UserInDB`) is named after the rest (`UserRead`), and a Pydantic
/// class with just that name (`User` for `UserInDB`, or a schema `User` for
/// an ORM `User`) comes last. When the model is an ORM object, schemas that
/// read attributes are preferred: Pydantic v1 cannot validate an ORM object
/// without `orm_mode`.
pub fn public_schema(index: &ProjectIndex, qualified: &str) -> Result<String, NoPublicSchema> {
    public_schema_for(index, qualified, None)
}

/// [`public_schema`], seen from module `near`: among schemas of one name
/// (`app.v1.schemas.UserRead`, `app.v2.schemas.UserRead`), the one from a
/// module `near` imports comes first.
pub fn public_schema_for(
    index: &ProjectIndex,
    qualified: &str,
    near: Option<&str>,
) -> Result<String, NoPublicSchema> {
    let imported: Vec<&CompactString> = near
        .and_then(|module| index.module(module))
        .map(|summary| summary.imported_modules.iter().collect())
        .unwrap_or_default();
    let canonical = index.canonical(qualified);
    let name = canonical.rsplit('.').next().unwrap_or(&canonical);
    let is_orm = model_kind(index, &canonical) == Some(ClassKind::OrmModel);
    let names = public_names(name);
    let mut candidates: Vec<(bool, usize, bool, String)> = Vec::new();
    for (rank, candidate) in names.iter().enumerate() {
        for schema in index.classes_named(candidate) {
            if *schema == canonical
                || model_kind(index, schema) != Some(ClassKind::PydanticModel)
                || !secret_fields(index, schema).is_empty()
                || wraps(index, schema, name)
            {
                continue;
            }
            let preferred = !is_orm || reads_attributes(index, schema);
            let home = schema.rsplit_once('.').map_or("", |(home, _)| home);
            let is_near = imported.iter().any(|module| {
                *module == home || index.canonical(&format!("{module}.{candidate}")) == *schema
            });
            candidates.push((!preferred, rank, !is_near, schema.clone()));
        }
    }
    candidates.sort();
    candidates
        .into_iter()
        .next()
        .map(|(_, _, _, schema)| schema)
        .ok_or(NoPublicSchema)
}

/// Whether a schema wraps the model rather than describing it: an envelope
/// such as `PostResponse(data: list[Post], count: int)`.
fn wraps(index: &ProjectIndex, schema: &str, model_name: &str) -> bool {
    ancestors(index, schema).iter().any(|class| {
        class.fields.iter().any(|(_, annotation, _)| {
            annotation
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == model_name)
        })
    })
}

/// What a method returns, followed through the class's project bases with
/// their type arguments: `crud.user.get` on `CRUDUser(CRUDBase[User, …])`,
/// where `CRUDBase.get` returns `Optional[ModelType]`, returns `User`.
/// Also whether the method is a coroutine.
pub fn method_returns(
    index: &ProjectIndex,
    class: &str,
    method: &str,
) -> Option<(TypeShape, bool)> {
    let mut queue: Vec<(String, HashMap<String, TypeShape>, usize)> =
        vec![(index.canonical(class), HashMap::default(), 0)];
    let mut position = 0;
    while position < queue.len() {
        let (name, bindings, depth) = queue[position].clone();
        position += 1;
        if depth > MAX_DEPTH {
            continue;
        }
        let Some((_, summary)) = index.class(&name) else {
            continue;
        };
        let bound = |variable: &str| bindings.get(variable).cloned();
        if let Some(found) = summary.method(method) {
            let shape = found.returns_shape.as_ref()?.substitute(&bound);
            return Some((shape, found.is_async));
        }
        for (base, arguments) in summary.bases.iter().zip(&summary.base_arguments) {
            let Some((_, base_summary)) = index.class(base) else {
                continue;
            };
            let next: HashMap<String, TypeShape> = base_summary
                .type_parameters
                .iter()
                .zip(arguments)
                .map(|(parameter, argument)| (parameter.clone(), argument.substitute(&bound)))
                .collect();
            queue.push((index.canonical(base), next, depth + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::index::summarize;

    fn index(modules: &[(&str, &str)]) -> ProjectIndex {
        ProjectIndex::new(
            modules
                .iter()
                .map(|(name, source)| summarize(name, false, source).unwrap()),
        )
    }

    const MODELS: &str = "\
from sqlalchemy.orm import DeclarativeBase
class Base(DeclarativeBase): ...
class User(Base):
    __tablename__ = 'users'
class Item(Base):
    __tablename__ = 'items'
";

    const SCHEMAS: &str = "\
from pydantic import BaseModel, ConfigDict
class UserBase(BaseModel):
    email: str
class UserCreate(UserBase):
    password: str
class UserInDB(UserBase):
    hashed_password: str
class UserOut(UserBase):
    id: int
class UserRead(UserBase):
    id: int
    model_config = ConfigDict(from_attributes=True)
class ItemSchema(BaseModel):
    title: str
class Token(BaseModel):
    access_token: str
    token_type: str
";

    #[test]
    fn kinds_and_secrets_follow_project_bases() {
        let index = index(&[("app.models", MODELS), ("app.schemas", SCHEMAS)]);
        assert_eq!(
            model_kind(&index, "app.models.User"),
            Some(ClassKind::OrmModel)
        );
        assert_eq!(
            model_kind(&index, "app.schemas.UserInDB"),
            Some(ClassKind::PydanticModel)
        );
        assert_eq!(
            secret_fields(&index, "app.schemas.UserInDB"),
            ["hashed_password"]
        );
        assert_eq!(field_names(&index, "app.schemas.UserRead"), ["email", "id"]);
        assert!(secret_fields(&index, "app.schemas.Token").is_empty());
        assert!(reads_attributes(&index, "app.schemas.UserRead"));
    }

    #[test]
    fn public_schemas() {
        let index = index(&[("app.models", MODELS), ("app.schemas", SCHEMAS)]);
        // `Read` comes before `Out`, and for an ORM object a schema that
        // reads attributes is preferred.
        assert_eq!(
            public_schema(&index, "app.models.User").as_deref(),
            Ok("app.schemas.UserRead")
        );
        assert_eq!(
            public_schema(&index, "app.schemas.UserInDB").as_deref(),
            Ok("app.schemas.UserRead")
        );
        assert_eq!(
            public_schema(&index, "app.models.Item").as_deref(),
            Ok("app.schemas.ItemSchema")
        );
        let bare = index_without_read_schemas();
        assert_eq!(public_schema(&bare, "app.models.User"), Err(NoPublicSchema));
    }

    fn index_without_read_schemas() -> ProjectIndex {
        index(&[("app.models", MODELS)])
    }

    #[test]
    fn generic_methods_return_their_type_arguments() {
        let index = index(&[
            ("app.models", MODELS),
            (
                "app.crud.base",
                "\
from typing import Generic, List, Optional, TypeVar
ModelType = TypeVar('ModelType')
class CRUDBase(Generic[ModelType]):
    def get(self, db, id) -> Optional[ModelType]: ...
    def get_multi(self, db) -> List[ModelType]: ...
",
            ),
            (
                "app.crud.crud_user",
                "\
from app.crud.base import CRUDBase
from app.models import User
class CRUDUser(CRUDBase[User]):
    async def authenticate(self, db) -> User | None: ...
user = CRUDUser(User)
",
            ),
        ]);
        let user = TypeShape::Class("app.models.User".into());
        assert_eq!(
            method_returns(&index, "app.crud.crud_user.CRUDUser", "get"),
            Some((user.clone(), false))
        );
        assert_eq!(
            method_returns(&index, "app.crud.crud_user.CRUDUser", "get_multi"),
            Some((TypeShape::List(Box::new(user.clone())), false))
        );
        assert_eq!(
            method_returns(&index, "app.crud.crud_user.CRUDUser", "authenticate"),
            Some((user, true))
        );
        assert_eq!(
            index.module("app.crud.crud_user").unwrap().instances["user"],
            "app.crud.crud_user.CRUDUser"
        );
    }
}
