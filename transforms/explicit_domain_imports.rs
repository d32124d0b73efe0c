//! # explicit-domain-imports (safe)
//!
//! ## What it does
//! In a project organised by domain (packages that hold their own routes,
//! `router.py`, `routes.py`, `endpoints.py` or `controller.py`, beside
//! `service.py`, `schemas.py`, `models.py`, …, at any depth), a module of one domain that imports a function or a
//! module-level instance by name from another domain's module imports the
//! module instead, under the alias `<domain>_<module>`, and every use names
//! it through the module: `from src.auth.service import create_user`
//! becomes `from src.auth import service as auth_service`, and
//! `create_user(...)` becomes `auth_service.create_user(...)`.
//!
//! Relative imports (`from ..auth.service import create_user`) and names a
//! package re-exports (`from src.auth import create_user`, defined in
//! `src/auth/service.py`) are resolved through the project; a name a
//! module outside the domain re-exports is left as the file imports it. When the file
//! imports that module already (`import src.auth.service as svc`), its
//! alias is used.
//!
//! A name imported under an alias that names its domain or module already
//! (`publish as eventstream_publish`) is explicit as it is. Left alone: classes (schemas, models, exceptions), type aliases and
//! constants imported by name (names that start with a capital), imports within one domain, modules outside domains
//! (`main.py`, tests), and code already in this form. A name that stays
//! is reported with the reason: the alias names something else in the
//! file, other modules import the name from this one (or tests patch it
//! here), or the file binds the name again, lists it in `__all__` or names
//! it in a string annotation.
//!
//! ## Why is this bad?
//! Every domain has a `service.py`: a bare `create_user` in the posts
//! router does not say which domain's service it calls, and two domains'
//! `get_by_id` cannot both be imported. A module alias says where each
//! call goes, and keeps domains' dependencies on each other visible at
//! each use.
//!
//! ## Example
//! ```python
//! # file: src/auth/service.py
//! def create_user(name: str) -> dict:
//!     return {"name": name}
//! # file: src/auth/router.py
//! from fastapi import APIRouter
//!
//! router = APIRouter()
//! # file: src/posts/service.py
//! from src.auth.service import create_user
//!
//!
//! def create_post(author: str) -> dict:
//!     return {"author": create_user(author)}
//! # file: src/posts/router.py
//! from fastapi import APIRouter
//!
//! router = APIRouter()
//! ```
//!
//! Use instead:
//! ```python
//! # file: src/auth/service.py
//! def create_user(name: str) -> dict:
//!     return {"name": name}
//! # file: src/auth/router.py
//! from fastapi import APIRouter
//!
//! router = APIRouter()
//! # file: src/posts/service.py
//! from src.auth import service as auth_service
//!
//!
//! def create_post(author: str) -> dict:
//!     return {"author": auth_service.create_user(author)}
//! # file: src/posts/router.py
//! from fastapi import APIRouter
//!
//! router = APIRouter()
//! ```
//!
//! ## Fix safety
//! Safe: the module attribute is the same object the name was bound to,
//! looked up when the code runs. A test that patches the defining module's
//! attribute (`patch("src.auth.service.create_user")`) now reaches these
//! calls too, which is what such a patch means.

use ruff_python_ast::{self as ast, Stmt};
use ruff_text_size::Ranged;

use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::bindings::{GlobalUses, global_uses_of};
use crate::python::imports::{Symbol, relative_spelling};
use crate::python::naming::mentions_identifier;
use crate::text::edit::{Edit, Fix, Safety};

pub mod plan;

use plan::{CrossImport, DomainImportsPlan};

pub static TRANSFORM: Transform = Transform {
    name: "explicit-domain-imports",
    safety: Safety::Safe,
    summary: "Functions imported by name from another domain's module are reached through the module: `auth_service.create_user`",
    ruff_code: None,
    source: include_str!("explicit_domain_imports.rs"),
    run,
    plan: Some(plan::plan),
    configure: None,
    requires: None,
};

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(module) = context.module_name else {
        return;
    };
    let Some(plan) = context.plan::<DomainImportsPlan>() else {
        return;
    };
    let imports = plan.imports_in(module);
    if imports.is_empty() {
        return;
    }
    let locals: Vec<&str> = imports.iter().map(|cross| cross.local.as_str()).collect();
    let uses = global_uses_of(context.module, &locals);
    for (cross, uses) in imports.iter().zip(&uses) {
        let Some((import, alias)) = module_level_import(&context.module.body, &cross.local) else {
            continue;
        };
        let range = alias.range();
        if context.is_suppressed(&TRANSFORM, range, &[]) {
            continue;
        }
        let message = format!(
            "`{}` is imported by name from `{}`, another domain's module",
            cross.local, cross.module
        );
        match fix_for(context, cross, uses, import.level > 0) {
            Ok(Some((reference, fix))) => findings.push(
                &TRANSFORM,
                range,
                format!("{message}: reach it as `{reference}.{}`", cross.name),
                Some(fix),
            ),
            Ok(None) => {}
            Err(reason) => findings.push(
                &TRANSFORM,
                range,
                format!("{message}; it stays: {reason}"),
                None,
            ),
        }
    }
}

/// The top-level `from … import …` that binds `local`, and its name.
fn module_level_import<'a>(
    body: &'a [Stmt],
    local: &str,
) -> Option<(&'a ast::StmtImportFrom, &'a ast::Alias)> {
    body.iter().find_map(|stmt| match stmt {
        Stmt::ImportFrom(import) => import
            .names
            .iter()
            .find(|alias| alias.asname.as_ref().unwrap_or(&alias.name).id == local)
            .map(|alias| (import, alias)),
        _ => None,
    })
}

/// The module reference and the fix, `None` when the name is not used. The
/// new import is relative when the one it replaces is.
fn fix_for(
    context: &FileContext,
    cross: &CrossImport,
    uses: &GlobalUses,
    relative: bool,
) -> Result<Option<(String, Fix)>, String> {
    if let Some(reason) = &cross.refusal {
        return Err(reason.clone());
    }
    if let Some(reason) = &uses.blocked {
        return Err(reason.clone());
    }
    if uses.loads.is_empty() {
        return Ok(None);
    }
    // The file's own import of the module, else a new one under the alias.
    let existing = context
        .facts
        .imports
        .local_name_of(&cross.module)
        .filter(|local| context.facts.runtime_import_names.contains(*local))
        .map(str::to_string);
    let (reference, mut edits) = match existing {
        Some(existing) => (existing, Vec::new()),
        None => {
            if mentions_identifier(context.source.text(), &cross.alias) {
                return Err(format!("`{}` names something else here", cross.alias));
            }
            let (parent, stem) = cross
                .module
                .rsplit_once('.')
                .ok_or("the module is not in a package")?;
            let spelling = match context.module_name.filter(|_| relative) {
                Some(here) => relative_spelling(here, context.is_package, parent)
                    .unwrap_or(parent.to_string()),
                None => parent.to_string(),
            };
            let symbol = Symbol {
                module: spelling.into(),
                name: stem.to_string().into(),
                alias: Some(cross.alias.clone().into()),
            };
            let imported = context.importer().import(&[symbol]);
            if !imported.notes.is_empty() {
                return Err(imported.notes.join("; "));
            }
            (imported.references[0].clone(), imported.edits)
        }
    };
    for load in &uses.loads {
        edits.push(Edit::replacement(
            format!("{reference}.{}", cross.name),
            *load,
        ));
    }
    let title = format!("reach `{}` through `{reference}`", cross.name);
    Ok(Some((reference, Fix::new(title, edits, Safety::Safe))))
}
