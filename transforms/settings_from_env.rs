//! # settings-from-env (unsafe)
//!
//! ## What it does
//! Moves hard-coded secrets out of the code and into the environment:
//! module-level constants (`SECRET_KEY = "…"`, `STRIPE_API_KEY: str =
//! "sk_live_…"`), defaults of `BaseSettings` fields (`jwt_secret: str =
//! "…"`), `os.getenv("X", "…")` / `os.environ.get("X", "…")` fallbacks,
//! and URLs with credentials in them (`postgresql://user:pass@host/db`,
//! `redis://:pass@host`).
//!
//! **Which values are secrets.** A value must pass two tests. Its name
//! must end in a secret noun: `password`, `passwd`, `pwd`, `…_pass`,
//! `secret`, `token`, `credentials`, `apikey`, or `key` after `secret`,
//! `api`, `private`, `access`, `signing`, `encryption`, `jwt` and the like
//! (so `TOKEN_PREFIX`, `PASSWORD_MIN_LENGTH` and `API_KEY_HEADER` are not).
//! And its value must not be a placeholder (empty, `{…}`, `<your-key>`,
//! `"update me"`, `"changethis"`, `"DummyKey"`), a prefix (`"pk_"`), a
//! path to a key file, or a name: a value made of the name's own words and
//! code words,
//! such as an enum look-alike `access_token = "access_token"`, an error
//! code `INVALID_PASSWORD = "INVALID_PASSWORD"`, a header `"X-API-Key"`, a
//! message `"Invalid credentials!"`, a column `PK_TOKEN = "token"`.
//! Another single word that is only part of the name (`SECRET_KEY =
//! "secret"`, `ADMIN_PASSWORD = "password"`) is a weak secret, and moves.
//! A URL with a password moves under any name; under a `…_dsn` name a user
//! alone counts. `python::secrets` holds the rule and its word lists.
//!
//! **Where a secret goes.**
//! - It becomes a field of the project's settings class: the
//!   `BaseSettings` subclass the app builds (through project bases too), or
//!   else a new `Settings` in the config module (`config.py`,
//!   `core/config.py` or `settings.py`, found or created beside the app).
//!   The field has no default, so a missing value stops the app at startup
//!   with Pydantic's message naming it.
//! - The value is written to `.env` (created when missing), in the
//!   project's directory or where the class's `env_file` says. A key that
//!   `.env` sets already to another value is never overwritten: that
//!   secret stays, and `check` says why. A class whose fields are upper
//!   case gets `SECRET_KEY`, and an `env_prefix` or `case_sensitive`
//!   class its own spelling of the variable.
//! - `.env` is added to `.gitignore`, and `.env.example` gets the key with
//!   an empty value.
//! - The class is told to read `.env` (`model_config =
//!   SettingsConfigDict(env_file=".env")`, or `class Config: env_file` under
//!   Pydantic 1) when it does not already; a class that names its dotenv
//!   file is read from that file.
//! - A new settings class is written for the Pydantic the code uses, or
//!   else the one the dependencies pin (`pydantic<2`, `fastapi==0.95`),
//!   else 2. Under Pydantic 2 it needs `pydantic-settings`: it is added to
//!   the declared dependencies (`[project] dependencies`, Poetry's table,
//!   or `requirements.txt`) when they lack it, and `check` says what to
//!   install when the project declares none.
//!
//! **Code keeps working.** A constant keeps its name, bound from the
//! settings (`SECRET_KEY = settings.secret_key`, or
//! `get_settings().secret_key` when the project reaches its settings
//! through a factory, which is written with `@lru_cache` when there is
//! none). That is the smallest diff and the clearest: every module that
//! imports `SECRET_KEY`, and every test that patches it, works unchanged,
//! and the rebinding says where the value comes from. A fallback becomes
//! the setting itself: `os.getenv("API_KEY", "…")` → `settings.api_key`.
//!
//! Left alone, with the reason in `check`:
//! - a variable the code gives different values (a `TestConfig` that
//!   overrides its base's database URL): which one `.env` holds is a
//!   person's choice, so every one of them stays;
//! - a key `.env` sets already to another value;
//! - settings whose dotenv file the code chooses (`env_file=` set to a
//!   variable, or `Settings(_env_file=path)`);
//! - a class built elsewhere that reads another dotenv file, or that
//!   refuses `.env` keys it has no field for (Pydantic 2's `extra="forbid"`);
//! - a secret whose module the settings module imports (reading the
//!   settings there would make a cycle), and a constant its own settings
//!   module reads while it is imported;
//! - a variable outside a settings class's `env_prefix`.
//!
//! Not looked at: private attributes and `ClassVar`s, secrets in tests,
//! migrations, `examples/` and `docs/`, secrets passed as call arguments
//! (`SessionMiddleware(app, secret_key="…")`), and other configuration
//! libraries (`starlette.config.Config`, `python-decouple`).
//! `# fastapi-codemod: ignore[settings-from-env]` leaves a secret alone.
//!
//! ## Why is this bad?
//! A secret in the code is in every clone, fork, backup and CI log of the
//! repository, and the same in every environment: rotating it means a
//! commit, and production signs tokens with the key every developer has.
//!
//! ## Example
//! ```python
//! from pydantic_settings import BaseSettings
//!
//!
//! class Settings(BaseSettings):
//!     app_name: str = "blog"
//!     jwt_secret: str = "9f2b7c1e4d5a6b8c"
//!
//!
//! settings = Settings()
//! ```
//!
//! Use instead:
//! ```python
//! from pydantic_settings import BaseSettings, SettingsConfigDict
//!
//!
//! class Settings(BaseSettings):
//!     model_config = SettingsConfigDict(env_file=".env")
//!
//!     app_name: str = "blog"
//!     jwt_secret: str
//!
//!
//! settings = Settings()
//! ```
//!
//! with `JWT_SECRET=9f2b7c1e4d5a6b8c` in `.env`, `.env` in `.gitignore`
//! and `JWT_SECRET=` in `.env.example`.
//!
//! ## Fix safety
//! Unsafe: the app now needs its environment. It starts only where `.env`
//! (or the real environment) provides every moved value, so a deployment
//! must set them; and a value read from the environment wins over the one
//! that was in the code.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::project::index::SecretKind;
use crate::project::settings_writer::{
    Deferred, HomeWrite, Needs, SettingsReference, Site, before_accessor,
};
use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::app_settings::{ConfigPlace, PydanticMajor, env_file_config};
use crate::python::imports::Symbol;
use crate::python::secrets::{LiteralSecret, SecretPlace, literal_secrets};
use crate::python::syntax::argument_deletion;
use crate::text::edit::{Edit, Fix, Safety};

pub mod plan;

use plan::{MovedSecret, SettingsPlan};

pub static TRANSFORM: Transform = Transform {
    name: "settings-from-env",
    safety: Safety::Unsafe,
    summary: "hard-coded secrets and URLs with credentials move into the settings class, read from `.env`",
    ruff_code: None,
    source: include_str!("settings_from_env.rs"),
    run,
    plan: Some(plan::plan),
    configure: None,
    requires: None,
};

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(module) = context.module_name else {
        return;
    };
    let Some(plan) = context.plan::<SettingsPlan>() else {
        return;
    };
    let secrets = literal_secrets(context.facts, context.module);
    // Secrets that stay, with their reason.
    for secret in &secrets {
        if let Some(reason) = plan.refusal(module, &secret.name) {
            findings.push(
                &TRANSFORM,
                secret.literal.range(),
                format!("`{}` holds a secret, but it stays: {reason}", secret.name),
                None,
            );
        }
    }
    let Some(target) = plan.target.as_ref() else {
        return;
    };
    let source = context.source;
    let quote = source.quote().as_char();
    let indent = source.indent_unit().to_string();
    let mut needs = Needs::default();
    let mut deferred: Vec<Deferred> = Vec::new();
    let mut sites: Vec<Site> = Vec::new();

    // The secrets here, each with what the plan made of it.
    let moved: Vec<(&LiteralSecret, &MovedSecret)> = secrets
        .iter()
        .filter_map(|secret| {
            let planned = plan
                .moved_in(module)
                .find(|moved| matches_secret(moved, secret))?;
            Some((secret, planned))
        })
        .collect();
    // What reads the settings here imports them; a default removed does not.
    let reads_settings = moved.iter().any(|(secret, planned)| {
        !matches!(
            (&secret.place, &planned.kind),
            (SecretPlace::Field { .. }, _)
                | (
                    SecretPlace::Fallback { .. },
                    SecretKind::Fallback { field_of: Some(_) }
                )
        )
    });
    let reference = plan
        .accessor
        .as_ref()
        .filter(|_| reads_settings)
        .map(|accessor| SettingsReference::new(context, accessor, &mut needs));
    let mut bindings: Vec<(String, String)> = Vec::new();
    for (secret, planned) in &moved {
        sites.push((
            secret.literal.range(),
            format!(
                "move `{}` to the settings' `{}`, read from `{}` in `{}`",
                secret.name, planned.field, planned.variable, plan.env_file
            ),
        ));
        let read = |range: TextRange| -> Deferred {
            let field = planned.field.clone();
            let reference = reference.clone();
            Box::new(move |references| {
                let settings = reference
                    .as_ref()
                    .map(|reference| reference.expression(references))
                    .unwrap_or_default();
                vec![Edit::replacement(format!("{settings}.{field}"), range)]
            })
        };
        match (&secret.place, &planned.kind) {
            (
                SecretPlace::Field {
                    statement,
                    field_call,
                    ..
                },
                _,
            ) => match field_call {
                None => deferred.push(default_removal(statement)),
                Some(call) => {
                    let position = call
                        .arguments
                        .iter_source_order()
                        .position(|argument| {
                            argument.range().contains_range(secret.literal.range())
                        })
                        .unwrap_or(0);
                    let range =
                        argument_deletion(source, context.tokens, &call.arguments, position);
                    deferred.push(Box::new(move |_| vec![Edit::deletion(range)]));
                }
            },
            (SecretPlace::Fallback { call }, SecretKind::Fallback { field_of: Some(_) }) => {
                if let Some((_, statement)) =
                    crate::python::secrets::field_of_call(context.module, call)
                {
                    deferred.push(default_removal(statement));
                }
            }
            (SecretPlace::Fallback { call }, _) => deferred.push(read(call.range())),
            (SecretPlace::Constant { statement }, _) => {
                let later = plan.accessor.as_ref().is_some_and(|accessor| {
                    before_accessor(context, target, accessor, statement.start())
                });
                if later {
                    // Bound again once the settings exist, further down.
                    let lines = TextRange::new(
                        source.line_start(statement.start()),
                        source.full_line_end(statement.end()),
                    );
                    let name = match statement {
                        Stmt::AnnAssign(assign) => format!(
                            "{}: {}",
                            source.slice(assign.target.range()),
                            source.slice(assign.annotation.range())
                        ),
                        _ => secret.name.clone(),
                    };
                    bindings.push((name, planned.field.clone()));
                    deferred.push(Box::new(move |_| vec![Edit::deletion(lines)]));
                } else {
                    deferred.push(read(parenthesized(source.text(), secret.literal.range())));
                }
            }
        }
    }

    // The settings' module: fields, the class, the factory, bindings.
    HomeWrite {
        target,
        accessor: plan.accessor.as_ref(),
        major: plan.major,
        fields: &plan.new_fields,
        env_file: &plan.env_file,
        bindings,
    }
    .write(context, &mut needs, &mut deferred, &mut sites);
    // Classes told to read `.env`.
    let mut classes: Vec<(&String, &&ast::StmtClassDef)> =
        context.facts.module_classes.iter().collect();
    classes.sort_by_key(|(_, statement)| statement.start());
    for (name, statement) in classes {
        if !plan.reads_env_file(module, name) || reads_env_file(statement) {
            continue;
        }
        let major = plan.class_major(module, name);
        let config_dict = (major == PydanticMajor::V2)
            .then(|| needs.need(Symbol::new("pydantic_settings", "SettingsConfigDict")));
        let edit = env_file_edit(context, statement, major, &plan.env_file, quote, &indent);
        deferred.push(Box::new(move |references: &[String]| {
            let config_dict = config_dict.map_or("", |position| references[position].as_str());
            edit(config_dict)
        }));
        sites.push((
            statement.name.range(),
            format!("`{name}` reads `{}`", plan.env_file),
        ));
    }

    if deferred.is_empty() {
        return;
    }
    let edits = needs.edits(context, &deferred);
    let fix = Fix::new("move secrets into the settings", edits, Safety::Unsafe);
    let note = plan
        .install_note
        .as_ref()
        .map(|note| format!(" ({note})"))
        .unwrap_or_default();
    for (range, message) in sites {
        findings.push(
            &TRANSFORM,
            range,
            format!("{message}{note}"),
            Some(fix.clone()),
        );
    }
}

/// `range` with the parentheses around it, when it has some
/// (`("tok-" "value")`, written over two lines).
fn parenthesized(text: &str, range: TextRange) -> TextRange {
    let before = text[..usize::from(range.start())].trim_end();
    let after = text[usize::from(range.end())..].trim_start();
    if before.ends_with('(') && after.starts_with(')') {
        let start = TextSize::try_from(before.len() - 1).unwrap_or(range.start());
        let end = range.end()
            + TextSize::try_from(text[usize::from(range.end())..].len() - after.len() + 1)
                .unwrap_or_default();
        TextRange::new(start, end)
    } else {
        range
    }
}

/// Whether a secret of the file is the one the plan moves.
fn matches_secret(moved: &MovedSecret, secret: &LiteralSecret) -> bool {
    if moved.name != secret.name {
        return false;
    }
    match (&moved.kind, &secret.place) {
        (SecretKind::Constant, SecretPlace::Constant { .. }) => true,
        (SecretKind::Field { class }, SecretPlace::Field { class: found, .. }) => {
            found.name.as_str() == class.as_str()
        }
        (SecretKind::Fallback { .. }, SecretPlace::Fallback { .. }) => true,
        _ => false,
    }
}

/// `name: T = value` → `name: T` (a parenthesized value with its
/// parentheses: the statement ends after them).
fn default_removal<'s>(statement: &ast::StmtAnnAssign) -> Deferred<'s> {
    let range = TextRange::new(statement.annotation.end(), statement.end());
    Box::new(move |_| vec![Edit::deletion(range)])
}

/// Whether a class's configuration names a dotenv file already.
fn reads_env_file(class: &ast::StmtClassDef) -> bool {
    crate::python::app_settings::settings_config(class)
        .env_files
        .is_some()
}

/// An edit of a class's configuration, made once the name its file binds
/// to `SettingsConfigDict` is known.
type ConfigEdit<'s> = Box<dyn Fn(&str) -> Vec<Edit> + 's>;

/// The edit that makes a class read the dotenv file: a keyword added to
/// its `SettingsConfigDict(…)`, a key to its dict, a line to its `class
/// Config`, or the configuration written in its body.
fn env_file_edit<'s>(
    context: &FileContext<'s>,
    class: &'s ast::StmtClassDef,
    major: PydanticMajor,
    env_file: &str,
    quote: char,
    indent: &str,
) -> ConfigEdit<'s> {
    let source = context.source;
    let tokens = context.tokens;
    let line_length = context.options.line_length;
    let ending = source.line_ending().as_str();
    let value = format!("{quote}{env_file}{quote}");
    let body_indent = class.body.first().map_or_else(
        || indent.to_string(),
        |stmt| source.indentation_at(stmt.start()).to_string(),
    );
    let place = crate::python::app_settings::settings_config(class).place;
    let model_config = class.body.iter().find_map(|stmt| match stmt {
        Stmt::Assign(assign)
            if matches!(assign.targets.as_slice(), [Expr::Name(name)] if name.id == "model_config") =>
        {
            Some(&*assign.value)
        }
        _ => None,
    });
    let config_class = class.body.iter().find_map(|stmt| match stmt {
        Stmt::ClassDef(inner) if inner.name.id == "Config" => Some(inner),
        _ => None,
    });
    match (place, model_config, config_class) {
        (Some(ConfigPlace::ModelConfig), Some(Expr::Call(call)), _) => {
            let argument = format!("env_file={value}");
            let edits = crate::python::syntax::append_argument(
                source,
                tokens,
                &call.arguments,
                &argument,
                line_length,
            );
            Box::new(move |_| edits.clone())
        }
        (Some(ConfigPlace::ModelConfig), Some(Expr::Dict(dict)), _) => {
            let at = dict.start() + TextSize::new(1);
            let item = if dict.items.is_empty() {
                format!("{quote}env_file{quote}: {value}")
            } else {
                format!("{quote}env_file{quote}: {value}, ")
            };
            Box::new(move |_| vec![Edit::insertion(item.clone(), at)])
        }
        (_, _, Some(config)) => {
            let last = config.body.last().map_or(config.end(), Ranged::end);
            let at = source.full_line_end(last);
            let inner_indent = config.body.first().map_or_else(
                || format!("{body_indent}{indent}"),
                |stmt| source.indentation_at(stmt.start()).to_string(),
            );
            let line = format!("{inner_indent}env_file = {value}{ending}");
            Box::new(move |_| vec![Edit::insertion(line.clone(), at)])
        }
        _ => match major {
            PydanticMajor::V2 => {
                let docstring = class.body.first().filter(
                    |stmt| matches!(stmt, Stmt::Expr(expr) if expr.value.is_string_literal_expr()),
                );
                // After the docstring and a blank line, and a blank line
                // before what follows.
                let (at, before) = match docstring {
                    Some(docstring) => (source.full_line_end(docstring.end()), ending.to_string()),
                    None => (
                        class
                            .body
                            .first()
                            .map_or(class.end(), |stmt| source.line_start(stmt.start())),
                        String::new(),
                    ),
                };
                let rest = &source.text()[usize::from(at)..];
                let after = if rest
                    .split('\n')
                    .next()
                    .is_some_and(|line| line.trim().is_empty())
                    && docstring.is_some()
                {
                    ""
                } else {
                    ending
                };
                let env_file = env_file.to_string();
                let indent = indent.to_string();
                Box::new(move |config_dict| {
                    let line =
                        env_file_config(major, config_dict, &env_file, quote, &indent, ending);
                    vec![Edit::insertion(
                        format!("{before}{body_indent}{line}{ending}{after}"),
                        at,
                    )]
                })
            }
            PydanticMajor::V1 => {
                let at = source.full_line_end(class.end());
                let line = env_file_config(major, "", env_file, quote, indent, ending).replace(
                    &format!("{ending}{indent}{indent}"),
                    &format!("{ending}{body_indent}{indent}"),
                );
                Box::new(move |_| {
                    vec![Edit::insertion(
                        format!("{ending}{body_indent}{line}{ending}"),
                        at,
                    )]
                })
            }
        },
    }
}
