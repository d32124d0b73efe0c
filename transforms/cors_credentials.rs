//! # cors-credentials (unsafe)
//!
//! ## What it does
//! Finds `CORSMiddleware` installed with `allow_credentials=True` and an
//! origin wildcard, in `app.add_middleware(CORSMiddleware, …)` or in
//! `FastAPI(middleware=[Middleware(CORSMiddleware, …)])`. The wildcard may
//! be `allow_origins=["*"]`, a module variable holding such a list, or an
//! `allow_origin_regex` that matches every origin (`".*"`).
//!
//! The wildcard becomes the setting `cors_origins: list[str] = []` of the
//! project's settings class (a new `Settings` in the config module when it
//! has none, as `settings-from-env` writes it), read from the environment
//! variable `CORS_ORIGINS` as a JSON list (`CORS_ORIGINS='["https://app.example.com"]'`),
//! the way pydantic-settings reads lists. The empty default means no
//! cross-origin access until it is configured; the key is added to
//! `.env.example`. Origins listed next to the wildcard stay:
//! `["http://localhost:3000", "*"]` becomes `["http://localhost:3000",
//! *settings.cors_origins]`. A class whose fields are upper case gets
//! `CORS_ORIGINS`; a class with an `env_prefix` reads it prefixed. Lists
//! of explicit origins are left alone.
//!
//! Left alone, with the reason in `check`: a module that the settings
//! module imports (reading the settings there would make a cycle).
//!
//! ## Why is this bad?
//! With credentials allowed, Starlette answers a wildcard by echoing the
//! origin that asks, with `Access-Control-Allow-Credentials: true`: every
//! website a logged-in user visits can make requests with their cookies
//! and read the answers. Browsers refuse `*` with credentials for this
//! reason; the middleware's echo works around them.
//!
//! ## Example
//! ```python
//! from fastapi import FastAPI
//! from fastapi.middleware.cors import CORSMiddleware
//! from pydantic_settings import BaseSettings
//!
//!
//! class Settings(BaseSettings):
//!     app_name: str = "blog"
//!
//!
//! settings = Settings()
//! app = FastAPI()
//! app.add_middleware(
//!     CORSMiddleware,
//!     allow_origins=["*"],
//!     allow_credentials=True,
//!     allow_methods=["*"],
//! )
//! ```
//!
//! Use instead:
//! ```python
//! from fastapi import FastAPI
//! from fastapi.middleware.cors import CORSMiddleware
//! from pydantic_settings import BaseSettings
//!
//!
//! class Settings(BaseSettings):
//!     app_name: str = "blog"
//!     cors_origins: list[str] = []
//!
//!
//! settings = Settings()
//! app = FastAPI()
//! app.add_middleware(
//!     CORSMiddleware,
//!     allow_origins=settings.cors_origins,
//!     allow_credentials=True,
//!     allow_methods=["*"],
//! )
//! ```
//!
//! ## Fix safety
//! Unsafe: browsers on origins that were answered before are refused until
//! `CORS_ORIGINS` lists them. That is the point, but a deployment must set
//! it.

use ruff_python_ast::PythonVersion;
use ruff_text_size::Ranged;

use crate::project::index::ProjectIndex;
use crate::project::settings_writer::{Deferred, HomeWrite, Needs, SettingsReference, Site};
use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::app_settings::NewField;
use crate::python::cors::{Origins, cors_wildcards};
use crate::python::syntax::{argument_deletion, replace_argument};
use crate::text::edit::{Edit, Fix, Safety};

pub mod plan;

use plan::{CorsPlan, origins_field};

pub static TRANSFORM: Transform = Transform {
    name: "cors-credentials",
    safety: Safety::Unsafe,
    summary: "`allow_origins=[\"*\"]` with `allow_credentials=True` becomes the origins listed in the `CORS_ORIGINS` setting",
    ruff_code: None,
    source: include_str!("cors_credentials.rs"),
    run,
    plan: Some(plan::plan),
    configure: None,
    requires: None,
};

/// The settings field the transform needs in a class written for it, when
/// some module installs a wildcard with credentials.
pub fn needed_field(index: &ProjectIndex) -> Option<NewField> {
    index
        .modules()
        .any(|module| module.cors_needs_origins)
        .then(|| origins_field("cors_origins"))
}

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(module) = context.module_name else {
        return;
    };
    let Some(plan) = context.plan::<CorsPlan>() else {
        return;
    };
    let wildcards = if plan.modules.iter().any(|known| known == module)
        || plan.refused.iter().any(|(known, _)| known == module)
    {
        cors_wildcards(context.facts)
    } else {
        Vec::new()
    };
    let message = "credentials are allowed from any origin, so every website can make requests with a user's cookies";
    if let Some((_, reason)) = plan.refused.iter().find(|(known, _)| known == module) {
        for wildcard in &wildcards {
            findings.push(
                &TRANSFORM,
                wildcard.call.range(),
                format!("{message}; it stays: {reason}"),
                None,
            );
        }
    }
    let Some(target) = plan.target.as_ref() else {
        return;
    };
    let source = context.source;
    let tokens = context.tokens;
    let mut needs = Needs::default();
    let mut deferred: Vec<Deferred> = Vec::new();
    let mut sites: Vec<Site> = Vec::new();
    let rewritten = plan.modules.iter().any(|known| known == module);
    let wildcards: Vec<_> = wildcards
        .into_iter()
        .filter(|wildcard| {
            rewritten && !context.is_suppressed(&TRANSFORM, wildcard.call.range(), &[])
        })
        .collect();
    // A list of origins with comments inside is not collapsed: the
    // comments would be lost.
    let commented = |wildcard: &crate::python::cors::CorsWildcard| match &wildcard.origins {
        Origins::List { list, .. } | Origins::Variable { list, .. } => {
            crate::python::syntax::tokens_within(tokens, list.range())
                .iter()
                .any(|token| token.kind() == ruff_python_ast::token::TokenKind::Comment)
        }
        Origins::Regex { .. } => false,
    };
    let (wildcards, kept): (Vec<_>, Vec<_>) = wildcards
        .into_iter()
        .partition(|wildcard| !commented(wildcard));
    for wildcard in &kept {
        findings.push(
            &TRANSFORM,
            wildcard.call.range(),
            format!("{message}; it stays: a comment inside the origins would be lost"),
            None,
        );
    }
    let reference = plan
        .accessor
        .as_ref()
        .filter(|_| wildcards.iter().any(|wildcard| wildcard.needs_origins()))
        .map(|accessor| SettingsReference::new(context, accessor, &mut needs));
    for wildcard in &wildcards {
        let field = plan.field.clone();
        let reference = reference.clone();
        let origins = move |references: &[String], explicit: &[String]| {
            let settings = reference
                .as_ref()
                .map(|reference| reference.expression(references))
                .unwrap_or_default();
            if explicit.is_empty() {
                format!("{settings}.{field}")
            } else {
                format!("[{}, *{settings}.{field}]", explicit.join(", "))
            }
        };
        let texts = |items: &[&ruff_python_ast::Expr]| -> Vec<String> {
            items
                .iter()
                .map(|item| source.slice(item.range()).to_string())
                .collect()
        };
        let keyword_position = |keyword: &ruff_python_ast::Keyword| {
            wildcard
                .call
                .arguments
                .iter_source_order()
                .position(|argument| argument.range() == keyword.range())
                .unwrap_or_default()
        };
        let line_length = context.options.line_length;
        match &wildcard.origins {
            Origins::List { list, explicit } => {
                // The keyword anew, so that a long line is laid out again.
                let keyword = wildcard.call.arguments.find_keyword("allow_origins");
                let position = keyword.map(keyword_position).unwrap_or_default();
                let range = list.range();
                let explicit = texts(explicit);
                let arguments = &wildcard.call.arguments;
                deferred.push(Box::new(move |references| {
                    let value = origins(references, &explicit);
                    if keyword.is_some() {
                        replace_argument(
                            source,
                            tokens,
                            arguments,
                            position,
                            &format!("allow_origins={value}"),
                            line_length,
                        )
                    } else {
                        vec![Edit::replacement(value, range)]
                    }
                }));
            }
            Origins::Variable { list, explicit, .. } => {
                let range = list.range();
                let explicit = texts(explicit);
                deferred.push(Box::new(move |references| {
                    vec![Edit::replacement(origins(references, &explicit), range)]
                }));
            }
            Origins::Regex {
                keyword,
                allow_origins: Some(_),
            } => {
                let range = argument_deletion(
                    source,
                    tokens,
                    &wildcard.call.arguments,
                    keyword_position(keyword),
                );
                deferred.push(Box::new(move |_| vec![Edit::deletion(range)]));
            }
            Origins::Regex {
                keyword,
                allow_origins: None,
            } => {
                let position = keyword_position(keyword);
                let arguments = &wildcard.call.arguments;
                deferred.push(Box::new(move |references| {
                    replace_argument(
                        source,
                        tokens,
                        arguments,
                        position,
                        &format!("allow_origins={}", origins(references, &[])),
                        line_length,
                    )
                }));
            }
        }
        let instead = if wildcard.needs_origins() {
            format!(
                "allow the origins the `{}` setting lists instead",
                plan.variable
            )
        } else {
            "allow only the origins listed".to_string()
        };
        sites.push((wildcard.call.range(), format!("{message}: {instead}")));
    }

    // The setting, in the settings' module (`typing.List` before 3.9).
    let annotation = if context.options.target_version < PythonVersion::PY39 {
        "List[str]"
    } else {
        "list[str]"
    };
    let fields: Vec<NewField> = (plan.new_field && plan.needs_origins)
        .then(|| NewField {
            annotation: annotation.to_string(),
            ..origins_field(&plan.field)
        })
        .into_iter()
        .collect();
    HomeWrite {
        target,
        accessor: plan.accessor.as_ref().filter(|_| plan.needs_origins),
        major: plan.major,
        fields: &fields,
        env_file: ".env",
        bindings: Vec::new(),
    }
    .write(context, &mut needs, &mut deferred, &mut sites);
    if deferred.is_empty() {
        return;
    }
    let edits = needs.edits(context, &deferred);
    let fix = Fix::new(
        "read the allowed origins from the settings",
        edits,
        Safety::Unsafe,
    );
    for (range, message) in sites {
        findings.push(&TRANSFORM, range, message, Some(fix.clone()));
    }
}
