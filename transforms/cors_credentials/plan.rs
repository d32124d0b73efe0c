//! The plan of `cors-credentials`: the modules whose `CORSMiddleware`
//! allows credentials from any origin, the setting that lists the allowed
//! origins instead (`cors_origins`, read from `CORS_ORIGINS`), the class
//! it goes in and how code reaches it, and the `.env.example` key.

use crate::project::app_settings::{
    Accessor, AppSettings, CLASS_NAME, ConfigModule, SettingsTarget, is_outside_the_app,
};
use crate::project::plan::{Plan, PlanContext, PlanFile, Promise};
use crate::python::app_settings::{NewField, PydanticMajor, config_module_text};
use crate::text::files::{FileChange, TextEdit, env_entries};

/// The project step.
pub fn plan(context: &PlanContext) -> Box<dyn Plan> {
    Box::new(CorsPlan::new(context))
}

/// The field, as a new settings class writes it.
pub fn origins_field(name: &str) -> NewField {
    NewField {
        name: name.to_string(),
        annotation: "list[str]".to_string(),
        default: Some("[]".to_string()),
        example: Some("[]".to_string()),
    }
}

#[derive(Debug)]
pub struct CorsPlan {
    pub target: Option<SettingsTarget>,
    pub accessor: Option<Accessor>,
    pub major: PydanticMajor,
    /// The setting's field, and whether the class needs it written.
    pub field: String,
    pub new_field: bool,
    /// The variable it is read from.
    pub variable: String,
    /// Modules whose wildcards are rewritten.
    pub modules: Vec<String>,
    /// Whether one of them reads the setting (not only origin regexes
    /// removed beside explicit origins).
    pub needs_origins: bool,
    /// Modules whose wildcards stay, and why.
    pub refused: Vec<(String, String)>,
    changes: Vec<FileChange>,
    promises: Vec<Promise>,
}

impl CorsPlan {
    fn new(context: &PlanContext) -> CorsPlan {
        let index = context.index;
        let mut plan = CorsPlan {
            target: None,
            accessor: None,
            major: PydanticMajor::V2,
            field: "cors_origins".to_string(),
            new_field: true,
            variable: "CORS_ORIGINS".to_string(),
            modules: Vec::new(),
            needs_origins: false,
            refused: Vec::new(),
            changes: Vec::new(),
            promises: Vec::new(),
        };
        let mut modules: Vec<String> = index
            .modules()
            .filter(|module| module.cors_wildcards > 0 && !is_outside_the_app(&module.name))
            .map(|module| module.name.clone())
            .collect();
        if modules.is_empty() {
            return plan;
        }
        modules.sort();
        let settings = AppSettings::of(index, context.paths);
        plan.accessor = settings.accessor_or_new();
        plan.major = settings.major;
        let Some(target) = settings.target() else {
            plan.refused = modules
                .into_iter()
                .map(|module| {
                    (
                        module,
                        "the project has no settings class, and no app beside which to write one"
                            .to_string(),
                    )
                })
                .collect();
            return plan;
        };
        if matches!(target, SettingsTarget::New(_)) {
            plan.major = crate::transforms::settings_from_env::plan::new_class_major(
                context,
                &settings,
                context.root,
            );
        }
        if let SettingsTarget::Class(class) = &target {
            plan.field = class.field_name("cors_origins");
            plan.variable = class.variable(&plan.field);
            plan.new_field = !class.has_field(&plan.field);
        }
        let accessor_module = plan
            .accessor
            .as_ref()
            .map(|accessor| accessor.module().to_string());
        for module in modules {
            let cycle = [Some(target.module()), accessor_module.as_deref()]
                .into_iter()
                .flatten()
                .find(|other| *other != module && index.reaches(other, &module));
            match cycle {
                Some(other) => plan.refused.push((
                    module,
                    format!("`{other}` imports this module: reading the settings here would make an import cycle"),
                )),
                None => plan.modules.push(module),
            }
        }
        plan.needs_origins = plan.modules.iter().any(|module| {
            index
                .module(module)
                .is_some_and(|summary| summary.cors_needs_origins)
        });
        if !plan.needs_origins {
            // Only regexes removed, or nothing: the setting is not needed.
            if !plan.modules.is_empty() {
                plan.target = Some(target);
            }
            plan.accessor = None;
            return plan;
        }
        let root = context.root;
        // The example dotenv file shows the key: the one beside the file
        // the class reads, else the project's.
        let env_directory = root.map(|root| match &target {
            SettingsTarget::Class(class) => class
                .env_files
                .as_ref()
                .and_then(|files| files.first())
                .and_then(|first| {
                    crate::transforms::settings_from_env::plan::normalize(&root.join(first))
                        .parent()
                        .map(std::path::Path::to_path_buf)
                })
                .unwrap_or_else(|| root.to_path_buf()),
            SettingsTarget::New(_) => root.to_path_buf(),
        });
        if let Some(directory) = env_directory {
            let example =
                crate::transforms::settings_from_env::plan::example_file(context, &directory);
            let present = (context.read)(&example)
                .as_deref()
                .map(env_entries)
                .unwrap_or_default();
            if plan.new_field
                && !present
                    .iter()
                    .any(|(key, _)| key.eq_ignore_ascii_case(&plan.variable))
            {
                plan.changes.push(FileChange::Edit {
                    path: example,
                    edit: TextEdit::MergeEnv(vec![(plan.variable.clone(), "[]".to_string())]),
                });
            }
        }
        match &target {
            SettingsTarget::Class(class) => {
                if plan.new_field {
                    plan.promises.push(Promise::Defines {
                        module: class.module.clone(),
                        name: class.name.clone(),
                    });
                }
            }
            SettingsTarget::New(config) => {
                plan.promises.push(Promise::Defines {
                    module: config.module().to_string(),
                    name: CLASS_NAME.to_string(),
                });
                // A new module, unless `settings-from-env` writes it with
                // this field.
                let written_by_settings = context.runs("settings-from-env")
                    && crate::transforms::settings_from_env::plan::SettingsPlan::new(
                        context,
                        vec![origins_field(&plan.field)],
                    )
                    .file_changes()
                    .iter()
                    .any(|change| matches!(change, FileChange::Create { .. }));
                if let ConfigModule::New { module, path } = config
                    && !written_by_settings
                {
                    plan.changes.push(FileChange::Create {
                        path: path.clone(),
                        contents: config_module_text(
                            plan.major,
                            CLASS_NAME,
                            &[origins_field(&plan.field)],
                            ".env",
                        ),
                        module: Some(module.clone()),
                    });
                    if plan.major == PydanticMajor::V2
                        && let Some(root) = root
                        && let Ok(Some(change)) =
                            crate::transforms::settings_from_env::plan::dependency_change(
                                context, root,
                            )
                    {
                        plan.changes.push(change);
                    }
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
        plan.target = Some(target);
        plan
    }
}

impl Plan for CorsPlan {
    fn concerns(&self, file: &PlanFile) -> bool {
        let Some(module) = file.module_name else {
            return false;
        };
        self.modules.iter().any(|known| known == module)
            || self.refused.iter().any(|(known, _)| known == module)
            || self
                .target
                .as_ref()
                .is_some_and(|target| target.module() == module)
            || self
                .accessor
                .as_ref()
                .is_some_and(|accessor| accessor.module() == module && !self.modules.is_empty())
    }

    fn promises(&self) -> Vec<Promise> {
        self.promises.clone()
    }

    fn withdraw(&mut self, broken: &[Promise]) {
        if broken.is_empty() {
            return;
        }
        for module in self.modules.drain(..) {
            self.refused.push((
                module,
                "a change it needs could not be made (see the errors)".to_string(),
            ));
        }
        self.target = None;
        self.changes.clear();
        self.promises.clear();
    }

    fn file_changes(&self) -> Vec<FileChange> {
        self.changes.clone()
    }
}
