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
    /// `<domain>_<module>`: `auth_service`.
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
            let mut imports: Vec<(&str, &str)> = module
                .imports
                .iter()
                .map(|(local, qualified)| (local.as_str(), qualified.as_str()))
                .collect();
            imports.sort_unstable();
            for (local, qualified) in imports {
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
                        alias: format!("{domain}_{stem}"),
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
