//! The plan of `split-schemas`: which Pydantic models that hold secrets
//! and serve routes are split into `Create` / `Read` / `InDB`, which members
//! already exist, and which parameters receive request bodies and so take
//! the `Create` member. A pure function of the index, so every file's
//! transform makes the same decisions; each new member is a promise that
//! the model's module defines it.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashSet as HashSet;

use crate::project::index::{ArgumentSlot, ClassKind, ModelRole, ProjectIndex};
use crate::project::models::{field_names, model_kind, secret_fields};
use crate::project::plan::{Plan, PlanContext, PlanFile, Promise};
use crate::project::transform::Settings;
use crate::python::naming::{
    PUBLIC_SUFFIXES, SecretFields, is_hashed_field, is_server_made, public_names,
};
use crate::python::types::TypeShape;

/// Reads `secret-fields`: more field names (or `*_suffix` / `prefix_*`
/// patterns) that hold secrets, for every transform that judges secrets.
pub fn configure(table: &toml::Table, settings: &mut Settings) -> Result<(), String> {
    for (option, value) in table {
        match option.as_str() {
            "secret-fields" => {
                let fields = value
                    .as_array()
                    .and_then(|items| {
                        items
                            .iter()
                            .map(|item| item.as_str().map(String::from))
                            .collect::<Option<Vec<String>>>()
                    })
                    .ok_or_else(|| format!("{option}: expected a list of strings"))?;
                settings.set(SecretFields(fields));
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(())
}

/// The project step.
pub fn plan(context: &PlanContext) -> Box<dyn Plan> {
    Box::new(SchemaPlan::new(context.index))
}

/// Class names that are already one member of a family: never split.
const FAMILY_SUFFIXES: [&str; 12] = [
    "Create", "Update", "Read", "Out", "Public", "Response", "Schema", "InDB", "InDb", "Base",
    "Patch", "Login",
];

/// Which member of the family a value or a class is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// What a client sends.
    Create,
    /// What the API sends back.
    Read,
    /// What is stored or loaded.
    InDb,
}

/// Whether the member with `role` keeps `field`: `Create` drops what the
/// server makes, `Read` every secret, `InDB` plaintext secrets.
pub fn keeps(index: &ProjectIndex, role: Role, field: &str) -> bool {
    let secret = index.is_secret_field(field);
    match role {
        Role::Create => !is_server_made(field),
        Role::Read => !secret && !is_hashed_field(field),
        Role::InDb => !secret || is_hashed_field(field),
    }
}

/// One member of a model's family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    /// Qualified name: where it is, or will be, defined.
    pub qualified: String,
    /// Already defined in the project: nothing to write.
    pub exists: bool,
}

/// A model to split, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitModel {
    /// The model, qualified and followed through re-exports.
    pub model: String,
    pub home: String,
    pub name: String,
    pub create: Member,
    pub read: Member,
    pub in_db: Member,
    /// Functions (`module.function` or `module.Class.method`) and the
    /// parameters of theirs that receive a route's request body.
    pub create_parameters: BTreeSet<(String, String)>,
}

impl SplitModel {
    /// The members this run writes, in the order they are written.
    pub fn new_members(&self) -> impl Iterator<Item = &Member> {
        [&self.create, &self.read, &self.in_db]
            .into_iter()
            .filter(|member| !member.exists)
    }

    /// Whether the original class gives way to `InDB` (and becomes an alias of it).
    pub fn replaces_original(&self) -> bool {
        !self.in_db.exists
    }
}

/// Every split of the run, by model.
#[derive(Debug, Default)]
pub struct SchemaPlan {
    models: BTreeMap<String, SplitModel>,
    /// Models that qualify but cannot be split automatically: home module,
    /// class name, and why.
    refused: Vec<(String, String, String)>,
    /// What makes a file concerned, kept in step with `models` and `refused`.
    reach: Reach,
}

/// The names and modules a file must touch to be concerned by the plan,
/// so that asking costs a lookup per import however many models split.
#[derive(Debug, Default)]
struct Reach {
    /// Modules of split or refused models.
    homes: HashSet<String>,
    /// Modules of split models and every package above them: importing
    /// any of them reaches a split model.
    homes_and_parents: HashSet<String>,
    /// Class names of split and refused models.
    names: HashSet<String>,
}

impl Reach {
    fn new(models: &BTreeMap<String, SplitModel>, refused: &[(String, String, String)]) -> Self {
        let mut reach = Reach::default();
        for split in models.values() {
            reach.homes.insert(split.home.clone());
            reach.names.insert(split.name.clone());
            let mut module = split.home.as_str();
            loop {
                reach.homes_and_parents.insert(module.to_string());
                match module.rsplit_once('.') {
                    Some((parent, _)) => module = parent,
                    None => break,
                }
            }
        }
        for (home, name, _) in refused {
            reach.homes.insert(home.clone());
            reach.names.insert(name.clone());
        }
        reach
    }
}

impl SchemaPlan {
    pub fn new(index: &ProjectIndex) -> Self {
        let mut modules: Vec<_> = index.modules().collect();
        modules.sort_by(|a, b| a.name.cmp(&b.name));
        // A model sent to clients leaks its secrets; a model only received
        // leaks nothing, but lets clients set what the server makes
        // (`id`, `hashed_password`) when it holds such fields. A request
        // model with a plaintext `password` alone is already a `Create`.
        let mut sent: BTreeSet<String> = BTreeSet::new();
        let mut received: BTreeSet<String> = BTreeSet::new();
        for module in &modules {
            for model_use in &module.model_uses {
                let class = index.canonical(&model_use.class);
                match model_use.role {
                    ModelRole::Response => {
                        // `return get_user(...)`: what the function returns is sent.
                        if let Some((_, function)) = index.function(&class) {
                            if let Some((returned, _)) =
                                function.returns_shape.as_ref().and_then(TypeShape::class)
                            {
                                sent.insert(index.canonical(returned));
                            }
                        } else if index.class(&class).is_none()
                            && let Some((owner, _)) = class.rsplit_once('.')
                            && index.class(owner).is_some()
                        {
                            // `return User.model_validate(...)`.
                            sent.insert(index.canonical(owner));
                        } else {
                            sent.insert(class);
                        }
                    }
                    ModelRole::Body => {
                        received.insert(class);
                    }
                };
            }
        }
        let mut models = BTreeMap::new();
        let mut refused = Vec::new();
        for model in sent.union(&received) {
            let wanted = sent.contains(model)
                || field_names(index, model)
                    .iter()
                    .any(|field| is_server_made(field));
            if !wanted {
                continue;
            }
            let Some(split) = plan_model(index, model) else {
                continue;
            };
            match inherited_conflict(index, &split).or_else(|| subclass_conflict(index, &split)) {
                Some(reason) => refused.push((split.home.clone(), split.name.clone(), reason)),
                None => {
                    models.insert(model.clone(), split);
                }
            }
        }
        // Parameters that receive a request body of a split model.
        for module in &modules {
            for flow in &module.body_flows {
                let class = index.canonical(&flow.class);
                let Some(split) = models.get_mut(&class) else {
                    continue;
                };
                if let Some(parameter) = receiving_parameter(index, &flow.callee, &flow.slot) {
                    split.create_parameters.insert(parameter);
                }
            }
        }
        let reach = Reach::new(&models, &refused);
        SchemaPlan {
            models,
            refused,
            reach,
        }
    }

    pub fn model(&self, canonical: &str) -> Option<&SplitModel> {
        self.models.get(canonical)
    }

    pub fn models(&self) -> impl Iterator<Item = &SplitModel> {
        self.models.values()
    }

    /// Splits whose new members `module` defines.
    pub fn new_in(&self, module: &str) -> impl Iterator<Item = &SplitModel> {
        self.models
            .values()
            .filter(move |split| split.home == module && split.new_members().next().is_some())
    }

    /// The `Read` member this run writes that a class is sent through: the
    /// split model's own, or one named after an ORM class (`UserRead` for
    /// `models.User`).
    pub fn new_read_for(&self, index: &ProjectIndex, class: &str) -> Option<&Member> {
        let canonical = index.canonical(class);
        if let Some(split) = self.models.get(&canonical) {
            return (!split.read.exists).then_some(&split.read);
        }
        let name = canonical.rsplit('.').next()?;
        let names = public_names(name);
        names.iter().find_map(|candidate| {
            self.models
                .values()
                .find(|split| !split.read.exists && split.read.name == *candidate)
                .map(|split| &split.read)
        })
    }

    /// Models of `module` that qualify but are not split, and why.
    pub fn refused_in<'s>(
        &'s self,
        module: &'s str,
    ) -> impl Iterator<Item = (&'s String, &'s String)> {
        self.refused
            .iter()
            .filter(move |(home, _, _)| home == module)
            .map(|(_, name, reason)| (name, reason))
    }

    /// Names of the models that qualify but are not split.
    pub fn refused_names(&self) -> impl Iterator<Item = &str> {
        self.refused.iter().map(|(_, name, _)| name.as_str())
    }
}

impl Plan for SchemaPlan {
    /// The modules of split or refused models, and modules that import a
    /// split model, the module or package it is in, or a name like it (an
    /// ORM class of the same name, which `response-model` sends through the
    /// new `Read` member).
    fn concerns(&self, file: &PlanFile) -> bool {
        let Some(module) = file.module_name else {
            return false;
        };
        let reach = &self.reach;
        if reach.homes.contains(module) {
            return true;
        }
        let Some(summary) = file.summary else {
            return false;
        };
        summary.imports.iter().any(|(local, target)| {
            reach.names.contains(local.as_str())
                || target
                    .rsplit('.')
                    .next()
                    .is_some_and(|last| reach.names.contains(last))
                || reach.homes_and_parents.contains(target.as_str())
        }) || summary
            .imported_modules
            .iter()
            .any(|imported| reach.homes_and_parents.contains(imported.as_str()))
            || reach
                .names
                .iter()
                .any(|name| summary.bound_names.contains(name.as_str()))
    }

    /// Each new member, defined in the model's module.
    fn promises(&self) -> Vec<Promise> {
        self.models
            .values()
            .flat_map(|split| {
                split.new_members().map(|member| Promise::Defines {
                    module: split.home.clone(),
                    name: member.name.clone(),
                })
            })
            .collect()
    }

    /// Drops splits with a member that could not be written: no file may
    /// refer to any member of theirs.
    fn withdraw(&mut self, broken: &[Promise]) {
        self.models.retain(|_, split| {
            !split.new_members().any(|member| {
                broken.contains(&Promise::Defines {
                    module: split.home.clone(),
                    name: member.name.clone(),
                })
            })
        });
        self.reach = Reach::new(&self.models, &self.refused);
    }
}

fn plan_model(index: &ProjectIndex, model: &str) -> Option<SplitModel> {
    let (home, name) = model.rsplit_once('.')?;
    let (home_summary, _) = index.class(model)?;
    if model_kind(index, model) != Some(ClassKind::PydanticModel)
        || secret_fields(index, model).is_empty()
        || FAMILY_SUFFIXES
            .iter()
            .any(|suffix| name.ends_with(suffix) && name != *suffix)
    {
        return None;
    }
    let existing = |names: &[String], public: bool| -> Option<String> {
        let mut found: Vec<&String> = names
            .iter()
            .flat_map(|candidate| index.classes_named(candidate))
            .filter(|qualified| {
                model_kind(index, qualified) == Some(ClassKind::PydanticModel)
                    && (!public || secret_fields(index, qualified).is_empty())
            })
            .collect();
        // A family lives together: only the model's own module counts (a
        // `UserRead` elsewhere may describe something else entirely).
        found.retain(|qualified| {
            qualified
                .rsplit_once('.')
                .is_some_and(|(module, _)| module == home)
        });
        found.first().map(|qualified| qualified.to_string())
    };
    let member = |suffix: &str, found: Option<String>| -> Option<Member> {
        Some(match found {
            Some(qualified) => Member {
                name: qualified.rsplit('.').next()?.to_string(),
                qualified,
                exists: true,
            },
            None => {
                let member_name = format!("{name}{suffix}");
                // A new name must be free in the home module.
                if home_summary.bound_names.contains(member_name.as_str()) {
                    return None;
                }
                Member {
                    qualified: format!("{home}.{member_name}"),
                    name: member_name,
                    exists: false,
                }
            }
        })
    };
    let read_names: Vec<String> = PUBLIC_SUFFIXES
        .iter()
        .map(|suffix| format!("{name}{suffix}"))
        .collect();
    Some(SplitModel {
        model: model.to_string(),
        home: home.to_string(),
        name: name.to_string(),
        create: member("Create", existing(&[format!("{name}Create")], false))?,
        read: member("Read", existing(&read_names, true))?,
        in_db: member(
            "InDB",
            existing(&[format!("{name}InDB"), format!("{name}InDb")], false),
        )?,
        create_parameters: BTreeSet::new(),
    })
}

/// Why a model cannot be split automatically: a new member would inherit
/// a field it must not have (`id` from `UserBase` into `UserCreate`).
fn inherited_conflict(index: &ProjectIndex, split: &SplitModel) -> Option<String> {
    let (_, class) = index.class(&split.model)?;
    let inherited: Vec<String> = class
        .bases
        .iter()
        .flat_map(|base| field_names(index, base))
        .collect();
    for (role, member) in [
        (Role::Create, &split.create),
        (Role::Read, &split.read),
        (Role::InDb, &split.in_db),
    ] {
        if member.exists {
            continue;
        }
        if let Some(field) = inherited.iter().find(|field| !keeps(index, role, field)) {
            return Some(format!(
                "`{}` holds secrets, but it inherits `{field}`, which `{}` must not have: split its base by hand",
                split.name, member.name
            ));
        }
    }
    None
}

/// Why a model cannot be split automatically: a project class derives from
/// it, and would silently lose the fields `InDB` leaves out.
fn subclass_conflict(index: &ProjectIndex, split: &SplitModel) -> Option<String> {
    let dropped = field_names(index, &split.model)
        .into_iter()
        .any(|field| !keeps(index, Role::InDb, &field));
    if !split.replaces_original() || !dropped {
        return None;
    }
    let subclass = index.modules().find_map(|module| {
        module.class_summaries.iter().find_map(|class| {
            class
                .bases
                .iter()
                .any(|base| index.canonical(base) == split.model)
                .then(|| class.name.clone())
        })
    })?;
    Some(format!(
        "`{}` holds secrets, but `{subclass}` derives from it and would lose fields `{}` leaves out: split it by hand",
        split.name, split.in_db.name
    ))
}

/// The parameter of `callee` that an argument in `slot` lands in:
/// `(module.function, parameter)` or `(module.Class.method, parameter)` for
/// a method of a module-level instance (`crud.user.create`).
fn receiving_parameter(
    index: &ProjectIndex,
    callee: &str,
    slot: &ArgumentSlot,
) -> Option<(String, String)> {
    let canonical = index.canonical(callee);
    let (function_name, parameters, offset) = match index.function(&canonical) {
        Some((module, function)) => (
            format!("{}.{}", module.name, function.name),
            &function.parameters,
            0,
        ),
        None => {
            let (owner, method) = canonical.rsplit_once('.')?;
            let (module, name) = owner.rsplit_once('.')?;
            let class = index.canonical(index.module(module)?.instances.get(name)?);
            let (class_module, class_summary) = index.class(&class)?;
            let found = class_summary.method(method)?;
            (
                format!("{}.{}.{method}", class_module.name, class_summary.name),
                &found.parameters,
                1,
            )
        }
    };
    let parameter = match slot {
        ArgumentSlot::Position(position) => parameters.get(position + offset)?.0.clone(),
        ArgumentSlot::Keyword(keyword) => parameters
            .iter()
            .find(|(name, _)| name == keyword)?
            .0
            .clone(),
    };
    Some((function_name, parameter.to_string()))
}
