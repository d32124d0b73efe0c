//! What one file says about the application's settings: which bases make
//! a class a `BaseSettings` (and of which Pydantic), how a settings class
//! is configured (`model_config = SettingsConfigDict(env_file=…)` or
//! `class Config: env_file = …`), which functions build one
//! (`get_settings()`), and where a new field or factory goes in its text.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextSize};

use crate::python::fastapi::FastApiFacts;
use crate::text::source::SourceFile;

/// Pydantic's major version, as the settings class spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PydanticMajor {
    /// `pydantic.BaseSettings`, `class Config: env_file = …`.
    V1,
    /// `pydantic_settings.BaseSettings`, `model_config = SettingsConfigDict(…)`.
    V2,
}

/// The version a base class means, when it is Pydantic's `BaseSettings`.
pub fn settings_base(qualified: &str) -> Option<PydanticMajor> {
    match qualified {
        "pydantic_settings.BaseSettings" | "pydantic_settings.main.BaseSettings" => {
            Some(PydanticMajor::V2)
        }
        "pydantic.BaseSettings"
        | "pydantic.env_settings.BaseSettings"
        | "pydantic.v1.BaseSettings" => Some(PydanticMajor::V1),
        _ => None,
    }
}

/// How a settings class reads its environment, from its own body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsConfig {
    /// The dotenv files it reads, when its configuration names any.
    pub env_files: Option<Vec<String>>,
    /// `env_prefix`, when set to a literal.
    pub env_prefix: Option<String>,
    /// `case_sensitive`, when set to a literal.
    pub case_sensitive: Option<bool>,
    /// `extra` (`"ignore"`, `"allow"`, `"forbid"`, or `Extra.…`), when set.
    pub extra: Option<String>,
    /// Whether `env_file` is set to something that is not a literal.
    pub env_file_unknown: bool,
    /// Where its configuration is: `model_config = …`, or `class Config`.
    pub place: Option<ConfigPlace>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigPlace {
    /// `model_config = SettingsConfigDict(…)` (or a dict display).
    ModelConfig,
    /// `class Config:` (Pydantic 1).
    ConfigClass,
}

/// The configuration a class body writes.
pub fn settings_config(class: &ast::StmtClassDef) -> SettingsConfig {
    let mut config = SettingsConfig::default();
    let read = |key: &str, value: &Expr, config: &mut SettingsConfig| match key {
        "env_file" => match strings_of(value) {
            Some(files) => config.env_files = Some(files),
            None => config.env_file_unknown = !matches!(value, Expr::NoneLiteral(_)),
        },
        "env_prefix" => {
            if let Expr::StringLiteral(literal) = value {
                config.env_prefix = Some(literal.value.to_str().to_string());
            }
        }
        "case_sensitive" => {
            if let Expr::BooleanLiteral(literal) = value {
                config.case_sensitive = Some(literal.value);
            }
        }
        "extra" => {
            config.extra = match value {
                Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
                Expr::Attribute(attribute) => Some(attribute.attr.to_string()),
                _ => Some(String::new()),
            };
        }
        _ => {}
    };
    for stmt in &class.body {
        match stmt {
            Stmt::Assign(assign) if matches!(assign.targets.as_slice(), [Expr::Name(name)] if name.id == "model_config") =>
            {
                config.place = Some(ConfigPlace::ModelConfig);
                match assign.value.as_ref() {
                    Expr::Call(call) => {
                        for keyword in &call.arguments.keywords {
                            if let Some(name) = &keyword.arg {
                                read(name.as_str(), &keyword.value, &mut config);
                            }
                        }
                    }
                    Expr::Dict(dict) => {
                        for item in &dict.items {
                            if let Some(Expr::StringLiteral(key)) = &item.key {
                                read(key.value.to_str(), &item.value, &mut config);
                            }
                        }
                    }
                    _ => config.env_file_unknown = true,
                }
            }
            Stmt::ClassDef(inner) if inner.name.id == "Config" => {
                config.place = Some(ConfigPlace::ConfigClass);
                for stmt in &inner.body {
                    let (target, value) = match stmt {
                        Stmt::Assign(assign) => (assign.targets.first(), Some(&*assign.value)),
                        Stmt::AnnAssign(assign) => {
                            (Some(assign.target.as_ref()), assign.value.as_deref())
                        }
                        _ => continue,
                    };
                    if let (Some(Expr::Name(name)), Some(value)) = (target, value) {
                        read(name.id.as_str(), value, &mut config);
                    }
                }
            }
            _ => {}
        }
    }
    config
}

/// A string, or a tuple or list of strings.
fn strings_of(value: &Expr) -> Option<Vec<String>> {
    match value {
        Expr::StringLiteral(literal) => Some(vec![literal.value.to_str().to_string()]),
        Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => elts
            .iter()
            .map(|element| match element {
                Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// A module-level function that builds a class and returns it, taking no
/// argument: `def get_settings(): return Settings()`, also through a
/// local (`settings = Settings(); return settings`).
#[derive(Debug, Clone)]
pub struct Factory<'a> {
    pub function: &'a ast::StmtFunctionDef,
    /// The call that builds it, as written: its callee.
    pub built: &'a Expr,
    /// Whether `@lru_cache` / `@cache` (or `@lru_cache(…)`) decorates it.
    pub cached: bool,
}

/// The decorators that cache a function's result.
pub const CACHES: &[&str] = &["functools.lru_cache", "functools.cache"];

/// `function` as a factory, when it is one.
pub fn factory<'a>(
    facts: &FastApiFacts,
    function: &'a ast::StmtFunctionDef,
) -> Option<Factory<'a>> {
    let parameters = &function.parameters;
    let takes_nothing = parameters
        .posonlyargs
        .iter()
        .chain(&parameters.args)
        .chain(&parameters.kwonlyargs)
        .all(|parameter| parameter.default.is_some())
        && parameters.vararg.is_none()
        && parameters.kwarg.is_none();
    if !takes_nothing || function.is_async {
        return None;
    }
    let returns = crate::python::flow::return_statements(&function.body);
    let [returned] = returns.as_slice() else {
        return None;
    };
    let call = match returned.value.as_deref()? {
        Expr::Call(call) => call,
        Expr::Name(local) => function.body.iter().find_map(|stmt| match stmt {
            Stmt::Assign(assign) => match (assign.targets.as_slice(), assign.value.as_ref()) {
                ([Expr::Name(target)], Expr::Call(call)) if target.id == local.id => Some(call),
                _ => None,
            },
            Stmt::AnnAssign(assign) => match (assign.target.as_ref(), assign.value.as_deref()) {
                (Expr::Name(target), Some(Expr::Call(call))) if target.id == local.id => Some(call),
                _ => None,
            },
            _ => None,
        })?,
        _ => return None,
    };
    if !call.arguments.is_empty() {
        return None;
    }
    let cached = function.decorator_list.iter().any(|decorator| {
        let callee = match &decorator.expression {
            Expr::Call(call) => &*call.func,
            other => other,
        };
        CACHES.iter().any(|cache| facts.resolves_to(callee, cache))
    });
    Some(Factory {
        function,
        built: &call.func,
        cached,
    })
}

/// Where a new field of `class` goes: after its last annotated field; with
/// none, after its `model_config` or docstring, a blank line between; else
/// at the start of its body. The offset is the start of a line; the
/// indentation is the body's; the text before the fields separates them.
pub fn field_insertion(
    source: &SourceFile,
    class: &ast::StmtClassDef,
) -> (TextSize, String, &'static str) {
    let body_indent = class
        .body
        .first()
        .map(|stmt| source.indentation_at(stmt.start()).to_string())
        .unwrap_or_else(|| source.indent_unit().to_string());
    let is_model_config = |stmt: &Stmt| match stmt {
        Stmt::Assign(assign) => {
            matches!(assign.targets.as_slice(), [Expr::Name(name)] if name.id == "model_config")
        }
        Stmt::AnnAssign(assign) => {
            matches!(assign.target.as_ref(), Expr::Name(name) if name.id == "model_config")
        }
        _ => false,
    };
    let last_field = class.body.iter().rev().find(|stmt| {
        matches!(stmt, Stmt::AnnAssign(assign) if matches!(assign.target.as_ref(), Expr::Name(_)))
            && !is_model_config(stmt)
    });
    if let Some(field) = last_field {
        return (source.full_line_end(field.end()), body_indent, "");
    }
    let anchor = class
        .body
        .iter()
        .find(|stmt| is_model_config(stmt))
        .or_else(|| {
            class.body.first().filter(
                |stmt| matches!(stmt, Stmt::Expr(expr) if expr.value.is_string_literal_expr()),
            )
        });
    match anchor {
        Some(stmt) => (
            source.full_line_end(stmt.end()),
            body_indent,
            source.line_ending().as_str(),
        ),
        None => (
            class
                .body
                .first()
                .map_or(class.end(), |stmt| source.line_start(stmt.start())),
            body_indent,
            "",
        ),
    }
}

/// A cached factory for `class`, as the lines to write (without the blank
/// lines around it): `@lru_cache` over `def get_settings() -> Settings:`.
pub fn factory_text(name: &str, class: &str, cache: &str, indent: &str, ending: &str) -> String {
    format!("@{cache}{ending}def {name}() -> {class}:{ending}{indent}return {class}(){ending}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> ast::StmtClassDef {
        let parsed = ruff_python_parser::parse_module(text).unwrap();
        match parsed.into_syntax().body.remove(0) {
            Stmt::ClassDef(class) => class,
            _ => unreachable!(),
        }
    }

    #[test]
    fn configuration_in_either_major() {
        let v2 = class(
            "class S(BaseSettings):\n    model_config = SettingsConfigDict(env_file=(\".env\", \".env.prod\"), env_prefix=\"APP_\")\n",
        );
        let config = settings_config(&v2);
        assert_eq!(
            config.env_files,
            Some(vec![".env".to_string(), ".env.prod".to_string()])
        );
        assert_eq!(config.env_prefix.as_deref(), Some("APP_"));
        assert_eq!(config.place, Some(ConfigPlace::ModelConfig));
        let v1 = class(
            "class S(BaseSettings):\n    x: int = 1\n\n    class Config:\n        env_file = '.env'\n",
        );
        let config = settings_config(&v1);
        assert_eq!(config.env_files, Some(vec![".env".to_string()]));
        assert_eq!(config.place, Some(ConfigPlace::ConfigClass));
        assert_eq!(
            settings_config(&class("class S:\n    pass\n")),
            SettingsConfig::default()
        );
    }

    #[test]
    fn fields_go_after_the_last_field() {
        let text = "class S(BaseSettings):\n    \"\"\"Doc.\"\"\"\n\n    a: int = 1\n    b: str\n\n    def f(self):\n        pass\n";
        let source = SourceFile::new(text);
        let parsed = ruff_python_parser::parse_module(text).unwrap();
        let Stmt::ClassDef(class) = &parsed.syntax().body[0] else {
            unreachable!()
        };
        let (offset, indent, _) = field_insertion(&source, class);
        assert_eq!(
            &text[usize::from(offset)..],
            "\n    def f(self):\n        pass\n"
        );
        assert_eq!(indent, "    ");
    }
}

/// A field a transform adds to a settings class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewField {
    pub name: String,
    /// As written: `str`, `list[str]`.
    pub annotation: String,
    /// As written, when it has one: `[]`.
    pub default: Option<String>,
    /// The value `.env.example` shows for it, when not empty.
    pub example: Option<String>,
}

impl NewField {
    /// `name: annotation` or `name: annotation = default`.
    pub fn line(&self) -> String {
        match &self.default {
            Some(default) => format!("{}: {} = {default}", self.name, self.annotation),
            None => format!("{}: {}", self.name, self.annotation),
        }
    }
}

/// How a settings class says it reads `env_file`, in its major's spelling:
/// the statement in its body (one line for 2, a nested class for 1).
pub fn env_file_config(
    major: PydanticMajor,
    config_dict: &str,
    env_file: &str,
    quote: char,
    indent: &str,
    ending: &str,
) -> String {
    match major {
        PydanticMajor::V2 => {
            format!("model_config = {config_dict}(env_file={quote}{env_file}{quote})")
        }
        PydanticMajor::V1 => {
            format!("class Config:{ending}{indent}{indent}env_file = {quote}{env_file}{quote}")
        }
    }
}

/// A settings class and its cached factory, as written in a module: the
/// references are the names the module binds to `BaseSettings`,
/// `SettingsConfigDict` (unused under Pydantic 1) and `lru_cache`.
#[allow(clippy::too_many_arguments)]
pub fn settings_class_text(
    major: PydanticMajor,
    class: &str,
    base: &str,
    config_dict: &str,
    cache: &str,
    fields: &[NewField],
    env_file: &str,
    quote: char,
    indent: &str,
    ending: &str,
) -> String {
    let config = env_file_config(major, config_dict, env_file, quote, indent, ending);
    let mut text = format!("class {class}({base}):{ending}");
    let field_lines: String = fields
        .iter()
        .map(|field| format!("{indent}{}{ending}", field.line()))
        .collect();
    match major {
        PydanticMajor::V2 => {
            text.push_str(&format!("{indent}{config}{ending}"));
            if !fields.is_empty() {
                text.push_str(ending);
                text.push_str(&field_lines);
            }
        }
        PydanticMajor::V1 => {
            text.push_str(&field_lines);
            if !fields.is_empty() {
                text.push_str(ending);
            }
            text.push_str(&format!("{indent}{config}{ending}"));
        }
    }
    text.push_str(ending);
    text.push_str(ending);
    text.push_str(&factory_text(
        crate::python::app_settings::FACTORY,
        class,
        cache,
        indent,
        ending,
    ));
    text
}

/// The name of the factory transforms write.
pub const FACTORY: &str = "get_settings";

/// A new config module holding only the settings class and its factory.
pub fn config_module_text(
    major: PydanticMajor,
    class: &str,
    fields: &[NewField],
    env_file: &str,
) -> String {
    let imports = match major {
        PydanticMajor::V2 => "from pydantic_settings import BaseSettings, SettingsConfigDict\n",
        PydanticMajor::V1 => "from pydantic import BaseSettings\n",
    };
    let typing = if fields
        .iter()
        .any(|field| field.annotation.contains("List["))
    {
        "from typing import List\n"
    } else {
        ""
    };
    format!(
        "from functools import lru_cache\n{typing}\n{imports}\n\n{}",
        settings_class_text(
            major,
            class,
            "BaseSettings",
            "SettingsConfigDict",
            "lru_cache",
            fields,
            env_file,
            '"',
            "    ",
            "\n"
        )
    )
}
