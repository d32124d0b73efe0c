//! The plan of `pydantic-field-types`: which fields of which input
//! schemas get a validator, where each is written (in the class that
//! declares it, or as an override in the input schema when the declaring
//! class is shared with responses or tables), the Pydantic it is written
//! for, and the dependency `EmailStr` needs.

use std::path::PathBuf;

use rustc_hash::FxHashMap as HashMap;

use crate::project::app_settings::code_major;
use crate::project::dependencies::Declared;
use crate::project::layout::is_test_module;
use crate::project::models::{InputSchemas, lineage};
use crate::project::plan::{Plan, PlanContext, PlanFile, Promise};
use crate::python::app_settings::PydanticMajor;
use crate::python::naming::{TextMeaning, is_login_schema, text_meaning};
use crate::text::files::FileChange;

/// The project step.
pub fn plan(context: &PlanContext) -> Box<dyn Plan> {
    Box::new(FieldTypesPlan::new(context))
}

/// Where a field's validator is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// On the field where its class declares it.
    InPlace,
    /// As a new field of the input schema, overriding the one it inherits
    /// from `base` (which responses or tables share), with the base's
    /// optionality and default.
    Override {
        base: String,
        optional: bool,
        default: Option<String>,
    },
}

/// One field to validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRewrite {
    /// The class it is written in, by its name in its module.
    pub class: String,
    pub field: String,
    pub meaning: TextMeaning,
    pub placement: Placement,
}

/// A field that stays as it is, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRefusal {
    /// The input schema it was found in, by its name in its module.
    pub class: String,
    pub field: String,
    pub reason: String,
}

#[derive(Debug)]
pub struct FieldTypesPlan {
    pub major: PydanticMajor,
    /// Module → the fields its classes get validators on.
    pub rewrites: HashMap<String, Vec<FieldRewrite>>,
    /// Module → the fields of its input schemas that stay, with the reason.
    pub refusals: HashMap<String, Vec<FieldRefusal>>,
    /// What to install for `EmailStr` when the project declares no
    /// dependencies to add it to.
    pub install_note: Option<String>,
    /// The module every Pydantic 2 URL field imports `HttpUrlStr` from when
    /// fields of more than one module need it: a new `validators.py` in
    /// their package, created with the type (`None` once withdrawn).
    pub url_module: Option<String>,
    url_module_path: Option<PathBuf>,
    changes: Vec<FileChange>,
}

/// The name of the Pydantic 2 URL type, and its definition in a module of
/// its own.
pub const URL_TYPE: &str = "HttpUrlStr";
const URL_MODULE_TEXT: &str = "\
\"\"\"Types that check what clients send.\"\"\"

from typing import Annotated

from pydantic import AfterValidator, AnyHttpUrl, TypeAdapter

_http_url = TypeAdapter(AnyHttpUrl)


def _validate_http_url(value: str) -> str:
    _http_url.validate_python(value)
    return value


HttpUrlStr = Annotated[str, AfterValidator(_validate_http_url)]
";

/// Whether an annotation, as written, is a plain text type: `Some(false)`
/// for `str`, `Some(true)` for `Optional[str]`, `str | None` and the like.
pub fn text_annotation(annotation: &str) -> Option<bool> {
    let compact: String = annotation.chars().filter(|c| !c.is_whitespace()).collect();
    let compact = compact
        .strip_prefix("typing.")
        .unwrap_or(&compact)
        .to_string();
    match compact.as_str() {
        "str" => Some(false),
        "Optional[str]" | "str|None" | "None|str" | "Union[str,None]" | "Union[None,str]" => {
            Some(true)
        }
        _ => None,
    }
}

/// Whether a name says "password", in any case.
fn mentions_password(name: &str) -> bool {
    name.as_bytes()
        .windows("password".len())
        .any(|window| window.eq_ignore_ascii_case(b"password"))
}

/// Whether a default written in a base class can be written again in a
/// subclass as it is: nothing, `None`, `...`, a string or number literal.
fn is_plain_default(default: Option<&str>) -> bool {
    let Some(default) = default else {
        return true;
    };
    let default = default.trim();
    default == "None"
        || default == "..."
        || default.parse::<f64>().is_ok()
        || ((default.starts_with('"') || default.starts_with('\''))
            && !default.contains('\n')
            && default.len() >= 2)
}

/// Whether a URL field's default is text that is no URL
/// (`"placeholder-image"`): the field holds more than URLs.
fn holds_other_text(default: Option<&str>) -> bool {
    let Some(default) = default else {
        return false;
    };
    let text = default.trim().trim_start_matches(['r', 'u', 'R', 'U']);
    let quoted = (text.starts_with('"') || text.starts_with('\'')) && text.len() > 2;
    quoted && !text[1..].starts_with("http://") && !text[1..].starts_with("https://")
}

/// Whether a default already bounds the length of a password.
fn bounds_length(default: Option<&str>) -> (bool, bool) {
    let default = default.unwrap_or_default();
    (
        default.contains("min_length"),
        default.contains("max_length"),
    )
}

impl FieldTypesPlan {
    fn new(context: &PlanContext) -> FieldTypesPlan {
        let index = context.index;
        let mut plan = FieldTypesPlan {
            major: PydanticMajor::V2,
            rewrites: HashMap::default(),
            refusals: HashMap::default(),
            install_note: None,
            url_module: None,
            url_module_path: None,
            changes: Vec::new(),
        };
        let schemas = InputSchemas::of(index);
        let inputs = schemas.inputs();
        if inputs.is_empty() {
            return plan;
        }
        let declared = context.root.map(|root| Declared::read(context, root));
        plan.major = code_major(index)
            .or_else(|| declared.as_ref().and_then(Declared::pydantic_major))
            .unwrap_or(PydanticMajor::V2);
        // Who builds each input schema in the project's own code (not its
        // tests): values the server makes would be validated too.
        let mut built_by: HashMap<String, String> = HashMap::default();
        // A function of the project that checks passwords itself
        // (`check_invalid_password`, `validate_password_strength`).
        let mut password_check: Option<String> = None;
        // A call builds a class through a class's name (CapWords, maybe an
        // alias of a re-export): calls of functions are not followed.
        let mut modules: Vec<_> = index.modules().collect();
        modules.sort_by(|a, b| a.name.cmp(&b.name));
        for module in &modules {
            if is_test_module(&module.name) {
                continue;
            }
            for callee in &module.called {
                let last = callee.rsplit('.').next().unwrap_or(callee);
                if !last.starts_with(|c: char| c.is_ascii_uppercase()) {
                    continue;
                }
                let class = index.canonical(callee);
                if schemas.is_input(&class) {
                    built_by.entry(class).or_insert_with(|| module.name.clone());
                }
            }
            if password_check.is_none() {
                password_check = module
                    .functions
                    .iter()
                    .map(|function| function.name.as_str())
                    .find(|name| {
                        mentions_password(name) && {
                            let name = name.to_ascii_lowercase();
                            ["valid", "check", "strength", "policy", "strong"]
                                .iter()
                                .any(|word| name.contains(word))
                        }
                    })
                    .map(|name| format!("{}.{name}", module.name));
            }
        }
        let mut emails = false;
        for input in inputs {
            let Some((input_module, input_class)) = index.class(input) else {
                continue;
            };
            let input_module = input_module.name.clone();
            let input_name = input_class.name.to_string();
            // A login proves who a user is against what was stored under
            // older rules (and `EmailStr` normalises what it accepts).
            if is_login_schema(&input_name) {
                continue;
            }
            let mut seen: Vec<&str> = Vec::new();
            let lineage = lineage(index, input);
            // Beside `new_password`, `password` is the current one, which
            // the user proves.
            let changes_password = lineage.iter().any(|(_, class)| {
                class
                    .fields
                    .iter()
                    .any(|(field, _, _)| field == "new_password")
            });
            for (module, owner) in lineage {
                for (field, annotation, default) in &owner.fields {
                    if seen.contains(&field.as_str()) {
                        continue;
                    }
                    seen.push(field.as_str());
                    let Some(meaning) = text_meaning(field) else {
                        continue;
                    };
                    let Some(optional) = text_annotation(annotation) else {
                        continue;
                    };
                    let default = default.as_deref();
                    if meaning == TextMeaning::Password
                        && (bounds_length(default) == (true, true)
                            || (changes_password && field == "password"))
                    {
                        continue;
                    }
                    if meaning == TextMeaning::HttpUrl && holds_other_text(default) {
                        continue;
                    }
                    if let Some(builder) = built_by.get(input) {
                        plan.refuse(
                            &input_module,
                            &input_name,
                            field,
                            format!(
                                "the project builds `{input_name}` itself (in `{builder}`), so values the server makes would be validated too"
                            ),
                        );
                        continue;
                    }
                    if meaning == TextMeaning::Password
                        && let Some(check) = &password_check
                    {
                        plan.refuse(
                            &input_module,
                            &input_name,
                            field,
                            format!("the project checks passwords itself (`{check}`), with its own answer"),
                        );
                        continue;
                    }
                    let owner_qualified = format!("{module}.{}", owner.name);
                    let logins_below = schemas
                        .subclasses(&owner_qualified)
                        .iter()
                        .any(|class| is_login_schema(class.rsplit('.').next().unwrap_or(class)));
                    let rewrite = if schemas.is_input_only(&owner_qualified) && !logins_below {
                        Some((
                            module.to_string(),
                            FieldRewrite {
                                class: owner.name.to_string(),
                                field: field.to_string(),
                                meaning,
                                placement: Placement::InPlace,
                            },
                        ))
                    } else if owner_qualified == input {
                        plan.refuse(
                            &input_module,
                            &input_name,
                            field,
                            format!(
                                "`{input_name}` is also a base of models that are not input schemas, which would validate it too"
                            ),
                        );
                        None
                    } else if !schemas.is_input_only(input) {
                        plan.refuse(
                            &input_module,
                            &input_name,
                            field,
                            format!(
                                "it is declared in `{}`, which models that are not input schemas share, and `{input_name}` is a base of such models too",
                                owner.name
                            ),
                        );
                        None
                    } else if !is_plain_default(default)
                        || (meaning == TextMeaning::Password
                            && bounds_length(default) != (false, false))
                    {
                        plan.refuse(
                            &input_module,
                            &input_name,
                            field,
                            format!(
                                "it is declared in `{}`, which models that are not input schemas share, with a default that cannot be written again here",
                                owner.name
                            ),
                        );
                        None
                    } else {
                        Some((
                            input_module.clone(),
                            FieldRewrite {
                                class: input_name.clone(),
                                field: field.to_string(),
                                meaning,
                                placement: Placement::Override {
                                    base: owner.name.to_string(),
                                    optional,
                                    default: default.map(str::to_string),
                                },
                            },
                        ))
                    };
                    if let Some((module, rewrite)) = rewrite {
                        emails |= meaning == TextMeaning::Email;
                        let list = plan.rewrites.entry(module).or_default();
                        if !list.contains(&rewrite) {
                            list.push(rewrite);
                        }
                    }
                }
            }
        }
        if plan.major == PydanticMajor::V2 {
            plan.shared_url_module(context);
        }
        if emails {
            let already = declared.as_ref().is_some_and(|declared| {
                declared.declares("email-validator")
                    || declared.declares_extra("pydantic", "email")
                    || declared.declares_extra("fastapi", "all")
                    || declared.declares_extra("fastapi", "standard")
            });
            if !already {
                let (requirement, poetry) = match plan.major {
                    PydanticMajor::V2 => ("email-validator>=2", "^2.0"),
                    PydanticMajor::V1 => ("email-validator", "*"),
                };
                match declared.map(|declared| declared.addition(requirement, poetry)) {
                    Some(Ok(Some(change))) => plan.changes.push(change),
                    Some(Ok(None)) => {}
                    Some(Err(note)) => plan.install_note = Some(note),
                    None => {
                        plan.install_note = Some(
                            "install `email-validator`, which `EmailStr` needs: the project declares no dependencies"
                                .to_string(),
                        )
                    }
                }
            }
        }
        plan
    }

    /// Chooses the shared module of the URL type, when fields of two or
    /// more modules need it and their package has no `validators` module.
    fn shared_url_module(&mut self, context: &PlanContext) {
        let mut modules: Vec<&String> = self
            .rewrites
            .iter()
            .filter(|(_, rewrites)| {
                rewrites
                    .iter()
                    .any(|rewrite| rewrite.meaning == TextMeaning::HttpUrl)
            })
            .map(|(module, _)| module)
            .collect();
        if modules.len() < 2 {
            return;
        }
        modules.sort();
        let packages: Vec<Vec<&str>> = modules
            .iter()
            .map(|module| {
                let mut parts: Vec<&str> = module.split('.').collect();
                parts.pop();
                parts
            })
            .collect();
        let mut common: Vec<&str> = packages[0].clone();
        for package in &packages[1..] {
            let shared = common
                .iter()
                .zip(package)
                .take_while(|(a, b)| a == b)
                .count();
            common.truncate(shared);
        }
        if common.is_empty() {
            return;
        }
        let home = format!("{}.validators", common.join("."));
        let taken = context.index.module(&home).is_some()
            || context
                .index
                .modules()
                .any(|module| module.name.starts_with(&format!("{home}.")));
        let first = modules[0];
        let (Some(path), false) = (context.paths.get(first.as_str()), taken) else {
            return;
        };
        if context
            .index
            .module(first)
            .is_some_and(|summary| summary.is_package)
        {
            return;
        }
        let mut directory = path.parent().map(PathBuf::from);
        for _ in common.len()..packages[0].len() {
            directory = directory.and_then(|directory| directory.parent().map(PathBuf::from));
        }
        let Some(directory) = directory else {
            return;
        };
        self.url_module_path = Some(directory.join("validators.py"));
        self.url_module = Some(home);
    }

    fn refuse(&mut self, module: &str, class: &str, field: &str, reason: String) {
        let refusal = FieldRefusal {
            class: class.to_string(),
            field: field.to_string(),
            reason,
        };
        let list = self.refusals.entry(module.to_string()).or_default();
        if !list.contains(&refusal) {
            list.push(refusal);
        }
    }

    /// The fields `module`'s classes get validators on.
    pub fn rewrites_in(&self, module: &str) -> &[FieldRewrite] {
        self.rewrites.get(module).map_or(&[], Vec::as_slice)
    }

    /// The fields of `module`'s input schemas that stay.
    pub fn refusals_in(&self, module: &str) -> &[FieldRefusal] {
        self.refusals.get(module).map_or(&[], Vec::as_slice)
    }
}

impl Plan for FieldTypesPlan {
    fn concerns(&self, file: &PlanFile) -> bool {
        file.module_name.is_some_and(|module| {
            self.rewrites.contains_key(module) || self.refusals.contains_key(module)
        })
    }

    fn promises(&self) -> Vec<Promise> {
        self.url_module
            .iter()
            .map(|module| Promise::Defines {
                module: module.clone(),
                name: URL_TYPE.to_string(),
            })
            .collect()
    }

    fn withdraw(&mut self, broken: &[Promise]) {
        if broken.iter().any(|promise| {
            matches!(promise, Promise::Defines { module, .. } if self.url_module.as_ref() == Some(module))
        }) {
            self.url_module = None;
        }
    }

    fn file_changes(&self) -> Vec<FileChange> {
        let mut changes = self.changes.clone();
        if let (Some(module), Some(path)) = (&self.url_module, &self.url_module_path) {
            changes.push(FileChange::Create {
                path: path.clone(),
                contents: URL_MODULE_TEXT.to_string(),
                module: Some(module.clone()),
            });
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_annotations() {
        assert_eq!(text_annotation("str"), Some(false));
        assert_eq!(text_annotation("Optional[str]"), Some(true));
        assert_eq!(text_annotation("str | None"), Some(true));
        assert_eq!(text_annotation("typing.Optional[str]"), Some(true));
        assert_eq!(text_annotation("EmailStr"), None);
        assert_eq!(text_annotation("list[str]"), None);
    }

    #[test]
    fn plain_defaults() {
        assert!(is_plain_default(None));
        assert!(is_plain_default(Some("None")));
        assert!(is_plain_default(Some("'x'")));
        assert!(!is_plain_default(Some("Field(...)")));
    }
}
