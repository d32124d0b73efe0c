//! The plan of `explicit-domain-imports`: for each module of a domain, the
//! functions and module-level instances it imports by name from another
//! domain's modules, resolved through re-exports, with the alias each
//! module is imported under (`auth_service`).

use rustc_hash::FxHashMap as HashMap;

use crate::project::layout::Domains;
use crate::project::plan::{Plan, PlanContext, PlanFile};

/// The project step.
pub fn plan(context: &PlanContext) -> Box<dyn Plan> {
    Box::new(DomainImportsPlan::new(context))
}

/// A name a module imports from another domain's module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossImport {
    /// The name the import binds here.
    pub local: String,
    /// The module that defines it (`src.auth.service`), and its name there.
    pub module: String,
    pub name: String,
    /// `<domain>_<module>`: `auth_service` (the module's name alone when
    /// it is the domain's: `transaction` for `…transaction.service.transaction`).
    pub alias: String,
    /// Why it stays, when the index tells.
    pub refusal: Option<String>,
}

#[derive(Debug, Default)]
pub struct DomainImportsPlan {
    /// Importing module → what it imports across domains.
    imports: HashMap<String, Vec<CrossImport>>,
}

impl DomainImportsPlan {
    fn new(context: &PlanContext) -> DomainImportsPlan {
        let index = context.index;
        let domains = Domains::of(index);
        let mut plan = DomainImportsPlan::default();
        if domains.is_empty() {
            return plan;
        }
        for module in index.modules() {
            let Some(here) = domains.domain_of(&module.name) else {
                continue;
            };
            // Only module-level imports are rewritten.
            let mut imports: Vec<(&str, &str)> = module
                .imports
                .iter()
                .filter(|(local, _)| module.module_level_imports.contains(*local))
                .map(|(local, qualified)| (local.as_str(), qualified.as_str()))
                .collect();
            imports.sort_unstable();
            for (local, qualified) in imports {
                // Classes, type aliases and constants are imported by name.
                let written_name = qualified.rsplit('.').next().unwrap_or(qualified);
                if written_name.starts_with(|c: char| c.is_ascii_uppercase()) {
                    continue;
                }
                let canonical = index.canonical(qualified);
                if index.module(&canonical).is_some() {
                    continue;
                }
                let Some((defining, name)) = canonical.rsplit_once('.') else {
                    continue;
                };
                let Some(there) = domains.domain_of(defining) else {
                    continue;
                };
                // A re-export is followed only within the domain (its
                // package's `__init__`), not through a module elsewhere.
                let written_module = qualified.rsplit_once('.').map_or("", |(module, _)| module);
                if domains.domain_of(written_module) != Some(there) {
                    continue;
                }
                if there == here || there == defining {
                    continue;
                }
                let Some(target) = index.module(defining) else {
                    continue;
                };
                let is_function = target.function(name).is_some();
                let is_instance = target.instances.contains_key(name);
                if !is_function && !is_instance {
                    continue;
                }
                let domain = there.rsplit('.').next().unwrap_or(there);
                let stem = defining.rsplit('.').next().unwrap_or(defining);
                // `publish as eventstream_publish` says where it comes from
                // already.
                if local != name && (local.contains(domain) || local.contains(stem)) {
                    continue;
                }
                let alias = if stem == domain {
                    stem.to_string()
                } else {
                    format!("{domain}_{stem}")
                };
                let refusal = index.is_imported_from(&module.name, local).then(|| {
                    format!(
                        "other modules import `{local}` from `{}`, or tests patch it there",
                        module.name
                    )
                });
                plan.imports
                    .entry(module.name.clone())
                    .or_default()
                    .push(CrossImport {
                        local: local.to_string(),
                        module: defining.to_string(),
                        name: name.to_string(),
                        alias,
                        refusal,
                    });
            }
        }
        plan
    }

    /// What `module` imports across domains.
    pub fn imports_in(&self, module: &str) -> &[CrossImport] {
        self.imports.get(module).map_or(&[], Vec::as_slice)
    }
}

impl Plan for DomainImportsPlan {
    fn concerns(&self, file: &PlanFile) -> bool {
        file.module_name
            .is_some_and(|module| self.imports.contains_key(module))
    }
}
