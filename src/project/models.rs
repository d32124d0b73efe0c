//! What the project's classes are as data: Pydantic models and ORM tables
//! (followed through the project's own base classes), which fields hold
//! secrets, which schema is a model's public face, and what methods of
//! generic classes (`CRUDBase[User, …]`) return.

use compact_str::CompactString;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::project::index::{ClassKind, ClassSummary, ModelRole, ProjectIndex};
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
    lineage(index, qualified)
        .into_iter()
        .map(|(_, class)| class)
        .collect()
}

/// The class and its project base classes, nearest first, each with its
/// module's name.
pub fn lineage<'i>(index: &'i ProjectIndex, qualified: &str) -> Vec<(&'i str, &'i ClassSummary)> {
    let mut found: Vec<(&str, &ClassSummary)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::default();
    let mut queue: Vec<(String, usize)> = vec![(index.canonical(qualified), 0)];
    let mut position = 0;
    while position < queue.len() {
        let (name, depth) = queue[position].clone();
        position += 1;
        if depth > MAX_DEPTH || !seen.insert(name.clone()) {
            continue;
        }
        let Some((module, class)) = index.class(&name) else {
            continue;
        };
        found.push((module.name.as_str(), class));
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

/// The schemas clients send: the classes routes receive as a request
/// body, the models those hold as fields (`items: list[ItemIn]`), and
/// Pydantic classes named `…Create`, `…Update` or `…In`. Never a class a
/// route sends back, an ORM table, or settings.
#[derive(Debug, Default)]
pub struct InputSchemas {
    /// Qualified names of the input schemas.
    inputs: HashSet<String>,
    /// Qualified names of the classes that are input schemas and nothing
    /// else, and whose project subclasses are too: a change to one of
    /// their fields reaches no response, table or other model.
    input_only: HashSet<String>,
    /// Each project class's direct project subclasses.
    subclasses: HashMap<String, Vec<String>>,
}

impl InputSchemas {
    pub fn of(index: &ProjectIndex) -> InputSchemas {
        let mut responses: HashSet<String> = HashSet::default();
        let mut inputs: HashSet<String> = HashSet::default();
        let mut subclasses: HashMap<String, Vec<String>> = HashMap::default();
        let mut modules: Vec<_> = index.modules().collect();
        modules.sort_by(|a, b| a.name.cmp(&b.name));
        for module in &modules {
            for used in &module.model_uses {
                let class = index.canonical(&used.class);
                match used.role {
                    ModelRole::Body => inputs.insert(class),
                    ModelRole::Response => responses.insert(class),
                };
            }
            for class in &module.class_summaries {
                let qualified = format!("{}.{}", module.name, class.name);
                for base in &class.bases {
                    subclasses
                        .entry(index.canonical(base))
                        .or_default()
                        .push(qualified.clone());
                }
                let name = class.name.as_str();
                let named_as_input = ["Create", "Update", "In"]
                    .iter()
                    .any(|suffix| name.len() > suffix.len() && name.ends_with(suffix));
                if named_as_input {
                    inputs.insert(qualified);
                }
            }
        }
        // Asked of most classes more than once: answered once each.
        let models: std::cell::RefCell<HashMap<String, bool>> = Default::default();
        let is_model = |qualified: &str| {
            if let Some(known) = models.borrow().get(qualified) {
                return *known;
            }
            let answer = model_kind(index, qualified) == Some(ClassKind::PydanticModel)
                && !ancestors(index, qualified).iter().any(|class| {
                    class
                        .bases
                        .iter()
                        .any(|base| base.ends_with("BaseSettings"))
                });
            models.borrow_mut().insert(qualified.to_string(), answer);
            answer
        };
        inputs.retain(|class| is_model(class) && !responses.contains(class));
        // The models input schemas hold, to a fixed point.
        let mut queue: Vec<String> = inputs.iter().cloned().collect();
        queue.sort();
        while let Some(class) = queue.pop() {
            for (module, ancestor) in lineage(index, &class) {
                for (_, annotation, _) in &ancestor.fields {
                    for member in annotation_classes(index, module, annotation) {
                        if is_model(&member)
                            && !responses.contains(&member)
                            && inputs.insert(member.clone())
                        {
                            queue.push(member);
                        }
                    }
                }
            }
        }
        // A class is only input when it is an input schema, or a base of
        // input schemas only, and every subclass is only input too.
        fn only_input(
            class: &str,
            inputs: &HashSet<String>,
            responses: &HashSet<String>,
            subclasses: &HashMap<String, Vec<String>>,
            is_model: &dyn Fn(&str) -> bool,
            known: &mut HashMap<String, bool>,
            depth: usize,
        ) -> bool {
            if let Some(answer) = known.get(class) {
                return *answer;
            }
            if depth > MAX_DEPTH {
                return false;
            }
            known.insert(class.to_string(), false);
            let children = subclasses.get(class).map_or(&[][..], Vec::as_slice);
            let answer = is_model(class)
                && !responses.contains(class)
                && (inputs.contains(class) || !children.is_empty())
                && children.iter().all(|child| {
                    only_input(
                        child,
                        inputs,
                        responses,
                        subclasses,
                        is_model,
                        known,
                        depth + 1,
                    )
                });
            known.insert(class.to_string(), answer);
            answer
        }
        let mut known: HashMap<String, bool> = HashMap::default();
        let mut candidates: Vec<String> = inputs.iter().cloned().collect();
        for class in inputs.iter() {
            for (module, ancestor) in lineage(index, class) {
                candidates.push(format!("{module}.{}", ancestor.name));
            }
        }
        candidates.sort();
        candidates.dedup();
        let input_only = candidates
            .into_iter()
            .filter(|class| {
                only_input(
                    class,
                    &inputs,
                    &responses,
                    &subclasses,
                    &is_model,
                    &mut known,
                    0,
                )
            })
            .collect();
        InputSchemas {
            inputs,
            input_only,
            subclasses,
        }
    }

    /// Whether clients send the class (qualified).
    pub fn is_input(&self, qualified: &str) -> bool {
        self.inputs.contains(qualified)
    }

    /// Whether a change to the class's own fields reaches only what clients
    /// send.
    pub fn is_input_only(&self, qualified: &str) -> bool {
        self.input_only.contains(qualified)
    }

    /// The project classes that derive from the class, directly or not.
    pub fn subclasses(&self, qualified: &str) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let mut queue: Vec<&str> = vec![qualified];
        while let Some(class) = queue.pop() {
            for child in self.subclasses.get(class).into_iter().flatten() {
                if !found.contains(child) && found.len() < 1024 {
                    found.push(child.clone());
                    queue.push(child);
                }
            }
        }
        found
    }

    /// The input schemas, sorted.
    pub fn inputs(&self) -> Vec<&str> {
        let mut inputs: Vec<&str> = self.inputs.iter().map(String::as_str).collect();
        inputs.sort_unstable();
        inputs
    }
}

/// The project classes an annotation names, read in `module`:
/// `list[ItemIn]`, `Optional[schemas.Address]`.
pub fn annotation_classes(index: &ProjectIndex, module: &str, annotation: &str) -> Vec<String> {
    let Some(summary) = index.module(module) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for word in annotation.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')) {
        let (head, rest) = word.split_once('.').unwrap_or((word, ""));
        if head.is_empty() {
            continue;
        }
        let qualified = if let Some(imported) = summary.imports.get(head) {
            if rest.is_empty() {
                imported.to_string()
            } else {
                format!("{imported}.{rest}")
            }
        } else if rest.is_empty() && summary.classes.contains(head) {
            format!("{module}.{head}")
        } else {
            continue;
        };
        let canonical = index.canonical(&qualified);
        if index.class(&canonical).is_some() && !found.contains(&canonical) {
            found.push(canonical);
        }
    }
    found
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
