//! The plan of `cached-settings`: the settings factories to cache, and for
//! each settings class that routes or dependencies build themselves, the
//! factory they call instead (one the project has, or `get_settings` to
//! write after the class, a promise).

use std::collections::BTreeMap;

use crate::project::app_settings::{FACTORY_NAME, is_outside_the_app, settings_classes};
use crate::project::plan::{Plan, PlanContext, PlanFile, Promise};

/// The project step.
pub fn plan(context: &PlanContext) -> Box<dyn Plan> {
    Box::new(CachePlan::new(context))
}

/// The factory a settings class is reached by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factory {
    pub module: String,
    pub name: String,
    /// False for one the run writes after the class.
    pub exists: bool,
    /// The class's own module and name.
    pub class_module: String,
    pub class_name: String,
}

/// A build of a settings class that stays, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub module: String,
    pub function: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct CachePlan {
    /// Factories without a cache: module and function.
    pub uncached: Vec<(String, String)>,
    /// By settings class (qualified): its factory.
    pub factories: BTreeMap<String, Factory>,
    /// Routes and dependencies that build a settings class: module,
    /// function, class (qualified).
    pub rewrites: Vec<(String, String, String)>,
    pub refused: Vec<Refused>,
}

impl CachePlan {
    fn new(context: &PlanContext) -> CachePlan {
        let index = context.index;
        let mut plan = CachePlan::default();
        let classes: Vec<String> = settings_classes(index)
            .iter()
            .map(|class| class.qualified())
            .collect();
        if classes.is_empty() {
            return plan;
        }
        let mut modules: Vec<_> = index
            .modules()
            .filter(|module| !is_outside_the_app(&module.name))
            .collect();
        modules.sort_by(|a, b| a.name.cmp(&b.name));
        // Existing factories, the class's own module first.
        for module in &modules {
            for factory in &module.factories {
                let class = index.canonical(&factory.class);
                if !classes.contains(&class) {
                    continue;
                }
                if !factory.cached {
                    plan.uncached
                        .push((module.name.clone(), factory.name.to_string()));
                }
                let (class_module, class_name) = class.rsplit_once('.').unwrap_or(("", &class));
                let own = module.name == class_module;
                let known = plan
                    .factories
                    .get(&class)
                    .is_some_and(|known| known.module == class_module);
                if !known && (own || !plan.factories.contains_key(&class)) {
                    plan.factories.insert(
                        class.clone(),
                        Factory {
                            module: module.name.clone(),
                            name: factory.name.to_string(),
                            exists: true,
                            class_module: class_module.to_string(),
                            class_name: class_name.to_string(),
                        },
                    );
                }
            }
        }
        // Builds in routes and dependencies.
        for module in &modules {
            for build in &module.builds {
                let class = index.canonical(&build.class);
                if !classes.contains(&class) {
                    continue;
                }
                let qualified = format!("{}.{}", module.name, build.function);
                if !build.in_route && !index.is_used_as_dependency(&qualified) {
                    continue;
                }
                let refuse = |plan: &mut CachePlan, reason: String| {
                    plan.refused.push(Refused {
                        module: module.name.clone(),
                        function: build.function.to_string(),
                        reason,
                    });
                };
                let factory = match plan.factories.get(&class) {
                    Some(factory) => factory.clone(),
                    None => {
                        let (class_module, class_name) =
                            class.rsplit_once('.').unwrap_or(("", &class));
                        let summary = index.module(class_module);
                        let taken = summary
                            .is_some_and(|summary| summary.bound_names.contains(FACTORY_NAME));
                        if taken {
                            let is_async = summary
                                .and_then(|summary| summary.function(FACTORY_NAME))
                                .is_some_and(|function| function.is_async);
                            let reason = if is_async {
                                format!(
                                    "`{class_module}.{FACTORY_NAME}` is `async def`, whose result `lru_cache` would keep as a spent coroutine"
                                )
                            } else {
                                format!("`{class_module}` binds `{FACTORY_NAME}` to something else")
                            };
                            refuse(&mut plan, reason);
                            continue;
                        }
                        let factory = Factory {
                            module: class_module.to_string(),
                            name: FACTORY_NAME.to_string(),
                            exists: false,
                            class_module: class_module.to_string(),
                            class_name: class_name.to_string(),
                        };
                        plan.factories.insert(class.clone(), factory.clone());
                        factory
                    }
                };
                if factory.module != module.name && index.reaches(&factory.module, &module.name) {
                    refuse(
                        &mut plan,
                        format!(
                            "`{}` imports this module: calling its factory here would make an import cycle",
                            factory.module
                        ),
                    );
                    continue;
                }
                plan.rewrites
                    .push((module.name.clone(), build.function.to_string(), class));
            }
        }
        // A factory nothing will call is not written.
        let used: Vec<String> = plan
            .rewrites
            .iter()
            .map(|(_, _, class)| class.clone())
            .collect();
        plan.factories
            .retain(|class, factory| factory.exists || used.contains(class));
        plan
    }

    /// The factories to write in `module`.
    pub fn new_in<'p>(&'p self, module: &'p str) -> impl Iterator<Item = &'p Factory> {
        self.factories
            .values()
            .filter(move |factory| !factory.exists && factory.module == module)
    }
}

impl Plan for CachePlan {
    fn concerns(&self, file: &PlanFile) -> bool {
        let Some(module) = file.module_name else {
            return false;
        };
        self.uncached.iter().any(|(owner, _)| owner == module)
            || self.rewrites.iter().any(|(owner, _, _)| owner == module)
            || self.refused.iter().any(|refused| refused.module == module)
            || self.new_in(module).next().is_some()
    }

    fn promises(&self) -> Vec<Promise> {
        self.factories
            .values()
            .filter(|factory| !factory.exists)
            .map(|factory| Promise::Defines {
                module: factory.module.clone(),
                name: factory.name.clone(),
            })
            .collect()
    }

    /// A factory that could not be written takes the calls to it back.
    fn withdraw(&mut self, broken: &[Promise]) {
        let gone: Vec<String> = self
            .factories
            .iter()
            .filter(|(_, factory)| {
                broken.iter().any(|promise| {
                    matches!(promise, Promise::Defines { module, name } if *module == factory.module && *name == factory.name)
                })
            })
            .map(|(class, _)| class.clone())
            .collect();
        self.rewrites.retain(|(_, _, class)| !gone.contains(class));
        self.factories.retain(|class, _| !gone.contains(class));
    }
}
