//! # cached-settings (safe)
//!
//! ## What it does
//! A function that returns a new `BaseSettings` object and has no cache
//! (`def get_settings(): return Settings()`, also through a local) gets
//! `@lru_cache`, with `functools` imported as the file imports it:
//!
//! A route or dependency that builds the settings itself (`settings =
//! Settings()` in its body) calls the cached factory instead. The factory is
//! the project's own (the one in the class's module first), or a new
//! `get_settings()` written after the class when the project has none.
//!
//! Left alone, with the reason in `check`: a build whose factory would be
//! imported from a module that imports this one (a cycle), and a class
//! whose module binds `get_settings` to something else.
//!
//! ## Why is this bad?
//! Every `Settings()` reads the environment and parses `.env` again: on
//! every request when a dependency or route builds it, and with values
//! that may differ from one call to the next. One cached object is read
//! once, at the first call, and every caller shares it; tests replace it
//! through `app.dependency_overrides[get_settings]` or
//! `get_settings.cache_clear()`.
//!
//! ## Example
//! ```python
//! from fastapi import FastAPI
//! from pydantic_settings import BaseSettings
//!
//! app = FastAPI()
//!
//!
//! class Settings(BaseSettings):
//!     app_name: str = "blog"
//!
//!
//! def get_settings():
//!     return Settings()
//!
//!
//! @app.get("/info")
//! def info():
//!     settings = Settings()
//!     return {"name": settings.app_name}
//! ```
//!
//! Use instead:
//! ```python
//! from functools import lru_cache
//!
//! from fastapi import FastAPI
//! from pydantic_settings import BaseSettings
//!
//! app = FastAPI()
//!
//!
//! class Settings(BaseSettings):
//!     app_name: str = "blog"
//!
//!
//! @lru_cache
//! def get_settings():
//!     return Settings()
//!
//!
//! @app.get("/info")
//! def info():
//!     settings = get_settings()
//!     return {"name": settings.app_name}
//! ```
//!
//! ## Fix safety
//! Safe for every request: the settings hold the same values, read once
//! instead of on every call. Code that changes the environment while the
//! process runs and expects the next call to see it (a test that
//! `monkeypatch.setenv`s between calls) must call
//! `get_settings.cache_clear()`.

use ruff_text_size::{Ranged, TextRange};

use crate::project::settings_writer::{Deferred, Needs, Site, factory_after_class};
use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::app_settings::factory;
use crate::python::fastapi::qualified_in;
use crate::python::imports::Symbol;
use crate::text::edit::{Edit, Fix, Safety};

pub mod plan;

use plan::CachePlan;

pub static TRANSFORM: Transform = Transform {
    name: "cached-settings",
    safety: Safety::Safe,
    summary: "a settings factory that builds `Settings()` on every call gets `@lru_cache`; routes call it instead of building their own",
    ruff_code: None,
    source: include_str!("cached_settings.rs"),
    run,
    plan: Some(plan::plan),
    configure: None,
    requires: None,
};

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(module) = context.module_name else {
        return;
    };
    let Some(plan) = context.plan::<CachePlan>() else {
        return;
    };
    let source = context.source;
    let ending = source.line_ending().as_str();
    let mut needs = Needs::default();
    let mut deferred: Vec<Deferred> = Vec::new();
    let mut sites: Vec<Site> = Vec::new();

    for refused in plan
        .refused
        .iter()
        .filter(|refused| refused.module == module)
    {
        if let Some(function) = context.facts.module_functions.get(&refused.function) {
            findings.push(
                &TRANSFORM,
                function.name.range(),
                format!(
                    "`{}` builds its own settings, and keeps doing so: {}",
                    refused.function, refused.reason
                ),
                None,
            );
        }
    }
    // Factories without a cache.
    for (_, name) in plan.uncached.iter().filter(|(owner, _)| owner == module) {
        let Some(function) = context.facts.module_functions.get(name).copied() else {
            continue;
        };
        if factory(context.facts, function).is_none_or(|factory| factory.cached)
            || context.is_suppressed(&TRANSFORM, function.name.range(), &[])
        {
            continue;
        }
        let cache = needs.need(Symbol::new("functools", "lru_cache"));
        let first = function
            .decorator_list
            .first()
            .map_or(function.start(), Ranged::start);
        let at = source.line_start(first);
        let indent = source.indentation_at(function.start()).to_string();
        deferred.push(Box::new(move |references| {
            vec![Edit::insertion(
                format!("{indent}@{}{ending}", references[cache]),
                at,
            )]
        }));
        sites.push((
            function.name.range(),
            format!("cache `{name}()`: it builds new settings on every call"),
        ));
    }
    // Factories to write here.
    for factory in plan.new_in(module) {
        if let Some((edit, site)) = factory_after_class(
            context,
            &factory.class_name,
            &factory.name,
            Vec::new(),
            &mut needs,
        ) {
            deferred.push(edit);
            sites.push(site);
        }
    }
    // Routes and dependencies that build their own.
    let index = &context.project.index;
    for (_, name, class) in plan.rewrites.iter().filter(|(owner, _, _)| owner == module) {
        let (Some(function), Some(factory)) = (
            context.facts.module_functions.get(name).copied(),
            plan.factories.get(class),
        ) else {
            continue;
        };
        let calls: Vec<TextRange> = context
            .facts
            .calls
            .iter()
            .filter(|call| {
                call.arguments.is_empty()
                    && function.range().contains_range(call.range())
                    && qualified_in(context.facts, module, context.is_package, &call.func)
                        .is_some_and(|built| index.canonical(&built) == *class)
                    && !context.is_suppressed(&TRANSFORM, call.range(), &[])
            })
            .map(|call| call.range())
            .collect();
        if calls.is_empty() {
            continue;
        }
        let symbol = (factory.module != module).then(|| {
            needs.need(Symbol::owned(
                context.module_spelling(&factory.module),
                factory.name.clone(),
            ))
        });
        let local = factory.name.clone();
        for range in &calls {
            sites.push((
                *range,
                format!(
                    "call the cached `{}()` instead of building `{}` here",
                    factory.name, factory.class_name
                ),
            ));
        }
        deferred.push(Box::new(move |references| {
            let callee = symbol.map_or(local.clone(), |position| references[position].clone());
            calls
                .iter()
                .map(|range| Edit::replacement(format!("{callee}()"), *range))
                .collect()
        }));
    }

    if deferred.is_empty() {
        return;
    }
    let edits = needs.edits(context, &deferred);
    let fix = Fix::new("cache the settings", edits, Safety::Safe);
    for (range, message) in sites {
        findings.push(&TRANSFORM, range, message, Some(fix.clone()));
    }
}
