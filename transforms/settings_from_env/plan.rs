//! The plan of `settings-from-env`: every literal secret of the project,
//! judged once from the index; the field each becomes, the variable it is
//! read from and its value for `.env`; the class that receives the fields
//! (the project's `BaseSettings`, or a new `Settings` in its config
//! module); how code reaches it; and the project files it edits
//! (`.env`, `.env.example`, `.gitignore`, the declared dependencies). A
//! secret that cannot move is refused with its reason; one refused by
//! what `.env` holds already lands nothing at all.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::project::app_settings::{
    Accessor, AppSettings, CLASS_NAME, ConfigModule, FACTORY_NAME, SettingsClass, SettingsTarget,
    is_built, is_outside_the_app, readers, settings_class,
};
use crate::project::dependencies::Declared;
use crate::project::index::{ModuleSummary, SecretKind};
use crate::project::plan::{Plan, PlanContext, PlanFile, Promise};
use crate::python::app_settings::{NewField, PydanticMajor, config_module_text};
use crate::text::files::{FileChange, TextEdit, env_entries};

/// The project step.
pub fn plan(context: &PlanContext) -> Box<dyn Plan> {
    let extra = if context.runs("cors-credentials") {
        crate::transforms::cors_credentials::needed_field(context.index)
            .into_iter()
            .collect()
    } else {
        Vec::new()
    };
    Box::new(SettingsPlan::new(context, extra))
}

/// One secret that moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedSecret {
    pub module: String,
    pub kind: SecretKind,
    /// The constant, field or variable it was bound to in the code.
    pub name: String,
    /// The settings field that holds it.
    pub field: String,
    /// The variable `.env` sets.
    pub variable: String,
}

/// A secret that may move, before the project's other secrets are seen.
struct Candidate {
    moved: MovedSecret,
    value: String,
    /// The settings class whose field's default it is.
    class: Option<SettingsClass>,
}

/// A secret that stays, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedSecret {
    pub module: String,
    pub name: String,
    pub reason: String,
}

#[derive(Debug)]
pub struct SettingsPlan {
    pub target: Option<SettingsTarget>,
    pub major: PydanticMajor,
    /// How code reaches the settings (a new factory when nothing did).
    pub accessor: Option<Accessor>,
    pub moved: Vec<MovedSecret>,
    pub refused: Vec<RefusedSecret>,
    /// Fields the target class gains, in order.
    pub new_fields: Vec<NewField>,
    /// Classes (qualified) told to read `.env`.
    pub env_file_for: BTreeMap<String, PydanticMajor>,
    /// What `env_file=` says, relative to the project's directory.
    pub env_file: String,
    /// When the project declares no dependencies: what to install.
    pub install_note: Option<String>,
    changes: Vec<FileChange>,
    promises: Vec<Promise>,
}

impl SettingsPlan {
    /// The plan for the project, with `extra` fields (other transforms')
    /// written into a class this plan creates.
    pub fn new(context: &PlanContext, extra: Vec<NewField>) -> SettingsPlan {
        let index = context.index;
        let mut plan = SettingsPlan {
            target: None,
            major: crate::python::app_settings::PydanticMajor::V2,
            accessor: None,
            moved: Vec::new(),
            refused: Vec::new(),
            new_fields: Vec::new(),
            env_file_for: BTreeMap::new(),
            env_file: ".env".to_string(),
            install_note: None,
            changes: Vec::new(),
            promises: Vec::new(),
        };
        let mut modules: Vec<&ModuleSummary> = index
            .modules()
            .filter(|module| !module.secrets.is_empty() && !is_outside_the_app(&module.name))
            .collect();
        if modules.is_empty() {
            return plan;
        }
        modules.sort_by(|a, b| a.name.cmp(&b.name));
        let settings = AppSettings::of(index, context.paths);
        let classes = &settings.classes;
        plan.major = settings.major;
        plan.accessor = settings.accessor_or_new();
        // Every secret the plan would move stays, for one reason; a default
        // of a model that is not settings is not the plan's to report.
        let refuse_all = |plan: &mut SettingsPlan, reason: &str| {
            for module in &modules {
                for secret in &module.secrets {
                    if let SecretKind::Field { class } = &secret.kind
                        && settings_class(index, &format!("{}.{class}", module.name)).is_none()
                    {
                        continue;
                    }
                    plan.refused.push(RefusedSecret {
                        module: module.name.clone(),
                        name: secret.name.to_string(),
                        reason: reason.to_string(),
                    });
                }
            }
        };
        let target = match settings.target() {
            Some(target) => target,
            None => {
                refuse_all(
                    &mut plan,
                    "the project has no settings class, and no app beside which to write one",
                );
                return plan;
            }
        };
        if matches!(target, SettingsTarget::New(_)) {
            plan.major = new_class_major(context, &settings, context.root);
        }
        // The names a new class or factory takes must be free.
        let taken = |module: &str, name: &str| {
            index
                .module(module)
                .is_some_and(|summary| summary.bound_names.contains(name))
        };
        let new_names: Vec<(&str, &str)> = match (&target, &plan.accessor) {
            (SettingsTarget::New(ConfigModule::Existing(module)), _) => {
                vec![
                    (module.as_str(), CLASS_NAME),
                    (module.as_str(), FACTORY_NAME),
                ]
            }
            (
                _,
                Some(Accessor::Factory {
                    module,
                    name,
                    exists: false,
                }),
            ) => vec![(module.as_str(), name.as_str())],
            _ => Vec::new(),
        };
        if let Some((module, name)) = new_names.iter().find(|(module, name)| taken(module, name)) {
            let reason = format!(
                "`{module}` binds `{name}` already, so the settings cannot be written there"
            );
            refuse_all(&mut plan, &reason);
            return plan;
        }
        let Some(root) = context.root else {
            refuse_all(&mut plan, "the project has no directory to hold `.env`");
            return plan;
        };
        // Code that builds settings with `_env_file=` reads a file only it knows.
        let chosen = index.modules().find_map(|module| {
            module
                .env_file_chosen
                .iter()
                .find(|class| settings_class(index, class).is_some())
        });
        if let Some(class) = chosen {
            let name = class.rsplit('.').next().unwrap_or(class);
            refuse_all(
                &mut plan,
                &format!("the code chooses the dotenv file `{name}` reads (`_env_file=`)"),
            );
            return plan;
        }
        if let SettingsTarget::Class(class) = &target {
            if class.env_file_unknown {
                refuse_all(
                    &mut plan,
                    &format!(
                        "`{}` reads a dotenv file named by code, not a literal",
                        class.name
                    ),
                );
                return plan;
            }
            if let Some(first) = class.env_files.as_ref().and_then(|files| files.first()) {
                plan.env_file = first.clone();
            }
        }
        let env_path = normalize(&root.join(&plan.env_file));
        let env_file = plan.env_file.clone();
        let env_text = (context.read)(&env_path);
        let present: Vec<(String, String)> =
            env_text.as_deref().map(env_entries).unwrap_or_default();
        let home = target.module().to_string();
        let accessor_module = plan
            .accessor
            .as_ref()
            .map(|accessor| accessor.module().to_string());
        let new_class = matches!(target, SettingsTarget::New(_));

        // Each secret: its field and variable, or why it stays.
        let mut values: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut candidates: Vec<Candidate> = Vec::new();
        for module in &modules {
            for secret in &module.secrets {
                if secret
                    .ignored
                    .as_ref()
                    .is_some_and(|ignored| ignored.covers(super::TRANSFORM.name, None))
                {
                    continue;
                }
                let refuse = |plan: &mut SettingsPlan, reason: String| {
                    plan.refused.push(RefusedSecret {
                        module: module.name.clone(),
                        name: secret.name.to_string(),
                        reason,
                    });
                };
                let in_class = |class: &str, field: &str| {
                    settings_class(index, &format!("{}.{class}", module.name))
                        .map(|class| (class, field.to_string()))
                };
                // A field of a settings class keeps its place; anything
                // else becomes a field of the target.
                let (class_field, kind) = match &secret.kind {
                    SecretKind::Field { class } => match in_class(class, &secret.name) {
                        Some(found) => (Some(found), secret.kind.clone()),
                        // A default of a model that is not settings: not configuration.
                        None => continue,
                    },
                    SecretKind::Fallback {
                        field_of: Some((class, field)),
                    } => match in_class(class, field) {
                        Some(found) => (Some(found), secret.kind.clone()),
                        None => (None, SecretKind::Fallback { field_of: None }),
                    },
                    other => (None, other.clone()),
                };
                let (field, variable) = if let Some((class, field)) = &class_field {
                    if class.env_file_unknown {
                        refuse(
                            &mut plan,
                            format!("`{}` reads a dotenv file named by code", class.name),
                        );
                        continue;
                    }
                    if let Some(first) = class.env_files.as_ref().and_then(|files| files.first())
                        && normalize(&root.join(first)) != env_path
                    {
                        refuse(
                            &mut plan,
                            format!("`{}` reads `{first}`, not `{env_file}`", class.name),
                        );
                        continue;
                    }
                    let variable = class.variable(field);
                    if matches!(kind, SecretKind::Fallback { .. })
                        && !variable.eq_ignore_ascii_case(&secret.name)
                    {
                        refuse(
                            &mut plan,
                            format!(
                                "the field reads `{variable}`, not the variable `{}` its default reads",
                                secret.name
                            ),
                        );
                        continue;
                    }
                    (field.clone(), variable)
                } else {
                    let prefix = match &target {
                        SettingsTarget::Class(class) => class.env_prefix.clone(),
                        SettingsTarget::New(_) => String::new(),
                    };
                    let style = |name: &str| match &target {
                        SettingsTarget::Class(class) => class.field_name(name),
                        SettingsTarget::New(_) => name.to_lowercase(),
                    };
                    let field = match &kind {
                        SecretKind::Fallback { .. } => {
                            let upper = secret.name.to_uppercase();
                            match upper.strip_prefix(&prefix.to_uppercase()) {
                                Some(rest) => style(rest),
                                None => {
                                    refuse(
                                        &mut plan,
                                        format!(
                                            "the settings read variables prefixed `{prefix}`, so `{}` would be renamed",
                                            secret.name
                                        ),
                                    );
                                    continue;
                                }
                            }
                        }
                        _ => style(&secret.name),
                    };
                    if !is_field_name(&field) {
                        refuse(&mut plan, format!("`{field}` cannot be a settings field"));
                        continue;
                    }
                    let same_module =
                        module.name == home || accessor_module.as_deref() == Some(&module.name);
                    if secret.read_at_import && same_module && !new_class {
                        let reason = match &kind {
                            SecretKind::Fallback { .. } => {
                                "it is read while the settings' own module is imported, where the settings may not exist yet: move it by hand"
                            }
                            _ => {
                                "the settings' own module reads it while it is imported, so it cannot be bound after the settings: move it by hand"
                            }
                        };
                        refuse(&mut plan, reason.to_string());
                        continue;
                    }
                    let cycle = [Some(home.as_str()), accessor_module.as_deref()]
                        .into_iter()
                        .flatten()
                        .find(|other| *other != module.name && index.reaches(other, &module.name));
                    if let Some(other) = cycle {
                        refuse(
                            &mut plan,
                            format!(
                                "`{other}` imports this module: reading the settings here would make an import cycle"
                            ),
                        );
                        continue;
                    }
                    let variable = match &target {
                        SettingsTarget::Class(class) => class.variable(&field),
                        SettingsTarget::New(_) => field.to_uppercase(),
                    };
                    (field, variable)
                };
                // Pydantic 2 stops a class that reads `.env` at a key that
                // is not its field: each class built that reads it must
                // take this one.
                let owner = class_field.as_ref().map(|(class, _)| class.qualified());
                let target_class = match &target {
                    SettingsTarget::Class(class) => Some(class.qualified()),
                    SettingsTarget::New(_) => None,
                };
                let stopped = classes.iter().find(|reader| {
                    if !reader.forbids_extra || !is_built(index, &reader.qualified()) {
                        return false;
                    }
                    let derives = |base: &Option<String>| {
                        base.as_ref()
                            .is_some_and(|base| reader.chain.contains(base))
                    };
                    let reads = match reader.env_files.as_ref().and_then(|files| files.first()) {
                        Some(first) => normalize(&root.join(first)) == env_path,
                        None => derives(&target_class) || derives(&owner),
                    };
                    let takes = reader
                        .fields
                        .iter()
                        .any(|known| reader.variable(known).eq_ignore_ascii_case(&variable))
                        || ((derives(&target_class) && class_field.is_none()) || derives(&owner))
                            && reader.variable(&field).eq_ignore_ascii_case(&variable);
                    reads && !takes
                });
                if let Some(reader) = stopped {
                    refuse(
                        &mut plan,
                        format!(
                            "`{}` reads `{env_file}` too, and stops at keys that are not its fields",
                            reader.name
                        ),
                    );
                    continue;
                }
                candidates.push(Candidate {
                    moved: MovedSecret {
                        module: module.name.clone(),
                        kind,
                        name: secret.name.to_string(),
                        field,
                        variable,
                    },
                    value: secret.value.clone(),
                    class: class_field.map(|(class, _)| class),
                });
            }
        }
        // One variable, one value: a variable the code gives different
        // values (one per environment class, or in two modules) stays
        // wherever it is.
        let mut values_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for candidate in &candidates {
            let values = values_of.entry(&candidate.moved.variable).or_default();
            if !values.contains(&candidate.value.as_str()) {
                values.push(&candidate.value);
            }
        }
        let ambiguous: Vec<String> = values_of
            .iter()
            .filter(|(_, values)| values.len() > 1)
            .map(|(variable, _)| variable.to_string())
            .collect();
        for candidate in candidates {
            let Candidate {
                moved,
                value,
                class,
            } = candidate;
            let variable = moved.variable.clone();
            let mut refusal: Option<String> = None;
            if ambiguous.contains(&variable) {
                refusal = Some(format!(
                    "the code gives `{variable}` different values (one per environment?): which one `{env_file}` holds is for a person to choose"
                ));
            } else if present
                .iter()
                .any(|(key, found)| key.eq_ignore_ascii_case(&variable) && *found != value)
            {
                refusal = Some(format!(
                    "`{env_file}` sets `{variable}` already, to another value; it is not overwritten"
                ));
            }
            // The classes built that read a field of `class` must read
            // `.env`: they do already, or `class` is told to (they inherit
            // it), unless one reads another file.
            let mut tell = None;
            if refusal.is_none()
                && let Some(class) = &class
            {
                let reads_env = |reader: &SettingsClass| {
                    reader
                        .env_files
                        .as_ref()
                        .and_then(|files| files.first())
                        .map(|first| normalize(&root.join(first)) == env_path)
                };
                let readers = readers(classes, index, class);
                if let Some(other) = readers
                    .iter()
                    .find(|reader| reads_env(reader) == Some(false))
                {
                    refusal = Some(format!(
                        "`{}` reads another dotenv file than `{env_file}`",
                        other.name
                    ));
                } else if class.env_files.is_none()
                    && (readers.is_empty()
                        || readers.iter().any(|reader| reads_env(reader).is_none()))
                {
                    tell = Some((class.qualified(), class.major));
                }
            }
            if let Some(reason) = refusal {
                plan.refused.push(RefusedSecret {
                    module: moved.module,
                    name: moved.name,
                    reason,
                });
                continue;
            }
            if let Some((class, major)) = tell {
                plan.env_file_for.insert(class, major);
            }
            values.insert(variable, (value, moved.module.clone()));
            if class.is_none() {
                let known = match &target {
                    SettingsTarget::Class(class) => class.has_field(&moved.field),
                    SettingsTarget::New(_) => false,
                };
                if !known && !plan.new_fields.iter().any(|new| new.name == moved.field) {
                    plan.new_fields.push(NewField {
                        name: moved.field.clone(),
                        annotation: "str".to_string(),
                        default: None,
                        example: None,
                    });
                }
            }
            plan.moved.push(moved);
        }
        if plan.moved.is_empty() {
            return plan;
        }
        // A factory is written only when moved values are read through it.
        let read_through_settings = plan.moved.iter().any(|moved| {
            !matches!(
                moved.kind,
                SecretKind::Field { .. } | SecretKind::Fallback { field_of: Some(_) }
            )
        });
        if !read_through_settings
            && matches!(plan.accessor, Some(Accessor::Factory { exists: false, .. }))
        {
            plan.accessor = None;
        }
        // Fields moved into the target are read from `.env` too.
        if let SettingsTarget::Class(class) = &target
            && class.env_files.is_none()
            && !plan.new_fields.is_empty()
        {
            plan.env_file_for.insert(class.qualified(), class.major);
        }

        // The files.
        let entries: Vec<(String, String)> = values
            .iter()
            .filter(|(variable, (value, _))| {
                !present
                    .iter()
                    .any(|(key, found)| key.eq_ignore_ascii_case(variable) && found == value)
            })
            .map(|(variable, (value, _))| (variable.clone(), value.clone()))
            .collect();
        if !entries.is_empty() {
            plan.changes.push(FileChange::Edit {
                path: env_path.clone(),
                edit: TextEdit::MergeEnv(entries),
            });
            plan.promises.push(Promise::Writes {
                path: env_path.clone(),
            });
        }
        let env_directory = env_path.parent().unwrap_or(root).to_path_buf();
        let env_name = env_path.file_name().map_or_else(
            || ".env".to_string(),
            |name| name.to_string_lossy().to_string(),
        );
        if !ignores_env(context, &env_directory, root, &env_name) {
            plan.changes.push(FileChange::Edit {
                path: env_directory.join(".gitignore"),
                edit: TextEdit::AppendLines(vec![env_name.clone()]),
            });
        }
        let example_path = example_file(context, &env_directory);
        let example: Vec<(String, String)> = (context.read)(&example_path)
            .as_deref()
            .map(env_entries)
            .unwrap_or_default();
        let mut example_keys: Vec<(String, String)> = values
            .keys()
            .filter(|variable| {
                !example
                    .iter()
                    .any(|(key, _)| key.eq_ignore_ascii_case(variable))
            })
            .map(|variable| (variable.clone(), String::new()))
            .collect();
        if new_class {
            for field in &extra {
                if let Some(example_value) = &field.example
                    && !example
                        .iter()
                        .any(|(key, _)| key.eq_ignore_ascii_case(&field.name))
                {
                    example_keys.push((field.name.to_uppercase(), example_value.clone()));
                }
            }
        }
        if !example_keys.is_empty() {
            plan.changes.push(FileChange::Edit {
                path: example_path,
                edit: TextEdit::MergeEnv(example_keys),
            });
        }
        match &target {
            SettingsTarget::New(ConfigModule::New { module, path }) => {
                let mut fields = plan.new_fields.clone();
                fields.extend(extra);
                plan.changes.push(FileChange::Create {
                    path: path.clone(),
                    contents: config_module_text(plan.major, CLASS_NAME, &fields, &plan.env_file),
                    module: Some(module.clone()),
                });
                plan.promises.push(Promise::Defines {
                    module: module.clone(),
                    name: CLASS_NAME.to_string(),
                });
            }
            SettingsTarget::New(ConfigModule::Existing(module)) => {
                plan.promises.push(Promise::Defines {
                    module: module.clone(),
                    name: CLASS_NAME.to_string(),
                });
            }
            SettingsTarget::Class(class) => {
                if !plan.new_fields.is_empty() || plan.env_file_for.contains_key(&class.qualified())
                {
                    plan.promises.push(Promise::Defines {
                        module: class.module.clone(),
                        name: class.name.clone(),
                    });
                }
            }
        }
        if let Some(promise) = plan
            .accessor
            .as_ref()
            .and_then(Accessor::new_factory_promise)
            && !plan.promises.contains(&promise)
        {
            plan.promises.push(promise);
        }
        // What reading `.env` needs installed: `pydantic-settings` for a
        // new class under Pydantic 2 (it brings `python-dotenv`), and
        // `python-dotenv` itself under Pydantic 1.
        let reads_dotenv_newly = new_class || !plan.env_file_for.is_empty();
        let needed = match plan.major {
            PydanticMajor::V2 if new_class => Some(dependency_change(context, root)),
            PydanticMajor::V1 if reads_dotenv_newly && !imports_dotenv(index) => {
                let declared = Declared::read(context, root);
                if declared.declares_extra("pydantic", "dotenv") {
                    None
                } else {
                    Some(declared.addition("python-dotenv", "^1.0"))
                }
            }
            _ => None,
        };
        match needed {
            Some(Ok(Some(change))) => plan.changes.push(change),
            Some(Err(note)) => plan.install_note = Some(note),
            _ => {}
        }
        plan.target = Some(target);
        plan
    }

    /// The secrets of `module` that move.
    pub fn moved_in<'p>(&'p self, module: &'p str) -> impl Iterator<Item = &'p MovedSecret> {
        self.moved
            .iter()
            .filter(move |moved| moved.module == module)
    }

    /// Why a secret of `module` bound to `name` stays, if it does.
    pub fn refusal(&self, module: &str, name: &str) -> Option<&str> {
        self.refused
            .iter()
            .find(|refused| refused.module == module && refused.name == name)
            .map(|refused| refused.reason.as_str())
    }

    /// Whether the class `class` of `module` is told to read `.env`.
    pub fn reads_env_file(&self, module: &str, class: &str) -> bool {
        self.env_file_for.contains_key(&format!("{module}.{class}"))
    }

    /// The Pydantic a class told to read `.env` is written for.
    pub fn class_major(&self, module: &str, class: &str) -> PydanticMajor {
        self.env_file_for
            .get(&format!("{module}.{class}"))
            .copied()
            .unwrap_or(self.major)
    }
}

impl Plan for SettingsPlan {
    fn concerns(&self, file: &PlanFile) -> bool {
        let Some(module) = file.module_name else {
            return false;
        };
        self.target
            .as_ref()
            .is_some_and(|target| target.module() == module)
            || self
                .accessor
                .as_ref()
                .is_some_and(|accessor| accessor.module() == module)
            || self.moved.iter().any(|moved| moved.module == module)
            || self.refused.iter().any(|refused| refused.module == module)
            || self.env_file_for.keys().any(|class| {
                class
                    .rsplit_once('.')
                    .is_some_and(|(owner, _)| owner == module)
            })
    }

    fn promises(&self) -> Vec<Promise> {
        self.promises.clone()
    }

    /// A secret that could not land takes every other with it: they share
    /// `.env` and the settings class.
    fn withdraw(&mut self, broken: &[Promise]) {
        if broken.is_empty() {
            return;
        }
        let reason = "a change it needs could not be made (see the errors)".to_string();
        for moved in self.moved.drain(..) {
            self.refused.push(RefusedSecret {
                module: moved.module,
                name: moved.name,
                reason: reason.clone(),
            });
        }
        self.target = None;
        self.accessor = None;
        self.new_fields.clear();
        self.env_file_for.clear();
        self.changes.clear();
        self.promises.clear();
    }

    fn file_changes(&self) -> Vec<FileChange> {
        self.changes.clone()
    }
}

/// Whether a field name may be written: an identifier, not a keyword, and
/// outside Pydantic's `model_` namespace.
fn is_field_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !name.starts_with("model_")
        && !name.starts_with('_')
        && !matches!(
            name,
            "class"
                | "def"
                | "return"
                | "import"
                | "from"
                | "pass"
                | "global"
                | "lambda"
                | "async"
                | "await"
                | "none"
                | "true"
                | "false"
        )
}

/// `a/b/../c` as `a/c`, without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                if !normal.pop() {
                    normal.push("..");
                }
            }
            Component::CurDir => {}
            other => normal.push(other.as_os_str()),
        }
    }
    normal
}

/// Whether a `.gitignore` of the directory or above it, up to the
/// project's directory and its parent, ignores the dotenv file `name`.
fn ignores_env(context: &PlanContext, directory: &Path, root: &Path, name: &str) -> bool {
    let stop = root.parent().unwrap_or(root);
    let mut current = Some(directory);
    while let Some(directory) = current {
        if let Some(text) = (context.read)(&directory.join(".gitignore"))
            && text
                .lines()
                .map(str::trim)
                .any(|line| ignore_pattern_matches(line, name))
        {
            return true;
        }
        if directory == stop {
            break;
        }
        current = directory.parent();
    }
    false
}

/// Whether a `.gitignore` line ignores a file of this name: the name
/// itself (anchored or not, in any directory), or a pattern with one `*`.
fn ignore_pattern_matches(line: &str, name: &str) -> bool {
    let pattern = line
        .trim_start_matches("**/")
        .trim_start_matches('/')
        .trim_end_matches('/');
    if pattern.is_empty() || pattern.starts_with('#') || pattern.starts_with('!') {
        return false;
    }
    match pattern.split_once('*') {
        None => pattern == name,
        Some((before, after)) if !after.contains('*') => {
            name.len() >= before.len() + after.len()
                && name.starts_with(before)
                && name.ends_with(after)
        }
        Some(_) => false,
    }
}

/// The example dotenv file beside `.env`: the one the project keeps
/// (`.env.example`, `.env.sample`, `.env.template`, `example.env`), or a
/// new `.env.example`.
pub fn example_file(context: &PlanContext, directory: &Path) -> PathBuf {
    [
        ".env.example",
        ".env.sample",
        ".env.template",
        "example.env",
        ".env.dist",
    ]
    .iter()
    .map(|name| directory.join(name))
    .find(|path| (context.read)(path).is_some())
    .unwrap_or_else(|| directory.join(".env.example"))
}

/// Whether the project's code imports `dotenv` (so `python-dotenv` is there).
fn imports_dotenv(index: &crate::project::index::ProjectIndex) -> bool {
    index.modules().any(|module| {
        module
            .imports
            .values()
            .any(|imported| imported == "dotenv" || imported.starts_with("dotenv."))
    })
}

/// The change that declares `pydantic-settings` in the project's
/// dependencies, `None` when they declare it already, or what to install
/// when the project declares none.
pub fn dependency_change(context: &PlanContext, root: &Path) -> Result<Option<FileChange>, String> {
    Declared::read(context, root).addition("pydantic-settings>=2", "^2.0")
}

/// The Pydantic a new settings class is written for: what the code
/// says, else what the dependencies pin, else 2.
pub fn new_class_major(
    context: &PlanContext,
    settings: &AppSettings,
    root: Option<&Path>,
) -> PydanticMajor {
    settings
        .code_major
        .or_else(|| root.and_then(|root| Declared::read(context, root).pydantic_major()))
        .unwrap_or(PydanticMajor::V2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignore_patterns_that_cover_a_dotenv_file() {
        for (line, name) in [
            (".env", ".env"),
            ("/.env", ".env"),
            ("**/.env", ".env"),
            (".env*", ".env.dev"),
            ("*.env", "prod.env"),
            (".env.dev", ".env.dev"),
        ] {
            assert!(ignore_pattern_matches(line, name), "{line} {name}");
        }
        for (line, name) in [
            (".env", ".env.dev"),
            ("*.env", ".env.dev"),
            ("# .env", ".env"),
            ("!.env", ".env"),
            (".envrc", ".env"),
        ] {
            assert!(!ignore_pattern_matches(line, name), "{line} {name}");
        }
    }
}
