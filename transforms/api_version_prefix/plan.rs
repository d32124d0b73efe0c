//! The plan of `api-version-prefix`: whether the project mounts a version
//! already, the apps whose includes move under `/api/v1`, and every route
//! path that moves with them (followed through routers that include
//! routers), so that tests and clients calling those paths follow.

use rustc_hash::FxHashMap as HashMap;

use crate::project::index::{PathText, ProjectIndex};
use crate::project::plan::{Plan, PlanContext, PlanFile};

/// The prefix the routers move under.
pub const VERSION_PREFIX: &str = "/api/v1";

/// How deep routers including routers are followed.
const MAX_DEPTH: usize = 16;

/// The project step.
pub fn plan(context: &PlanContext) -> Box<dyn Plan> {
    Box::new(VersionPlan::new(context.index))
}

#[derive(Debug, Default)]
pub struct VersionPlan {
    /// Module → the names of its apps whose includes move.
    pub apps: HashMap<String, Vec<String>>,
    /// The paths that move, as routes declare them (`/users/{user_id}`).
    pub moved: Vec<String>,
    /// Why nothing moves, when an app includes routers but cannot be
    /// rewritten.
    pub refusal: Option<String>,
}

/// Whether a path (or the expression that makes it) says it is versioned:
/// `/api/v1`, `/v2`, `settings.API_V1_STR`, `f"{version_prefix}/books"`.
pub fn names_a_version(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if lower.contains("version") || lower.contains("api_v") {
        return true;
    }
    let bytes = lower.as_bytes();
    bytes.windows(2).enumerate().any(|(at, pair)| {
        pair[0] == b'v'
            && pair[1].is_ascii_digit()
            && (at == 0 || !bytes[at - 1].is_ascii_alphanumeric())
    })
}

impl VersionPlan {
    fn new(index: &ProjectIndex) -> VersionPlan {
        let mut plan = VersionPlan::default();
        let mut modules: Vec<_> = index
            .modules()
            .filter(|module| !module.routing.apps.is_empty())
            .collect();
        if modules.is_empty() {
            return plan;
        }
        modules.sort_by(|a, b| a.name.cmp(&b.name));
        let versioned = index.modules().any(|module| {
            let routing = &module.routing;
            routing
                .includes
                .iter()
                .filter_map(|include| include.prefix.as_ref())
                .chain(routing.prefixes.iter().filter_map(|(_, prefix)| prefix.as_ref()))
                .any(|prefix| names_a_version(prefix.text()))
                || routing.routes.iter().any(|(_, path)| {
                    matches!(path, PathText::Literal(path) if names_a_version(path.split('/').nth(1).unwrap_or_default()) || path.starts_with("/api/v"))
                })
        });
        if versioned {
            return plan;
        }
        let routers = Routers::of(index);
        let mut moved: Vec<String> = Vec::new();
        for module in modules {
            let apps: Vec<String> = module
                .routing
                .apps
                .iter()
                .filter(|app| {
                    module
                        .routing
                        .includes
                        .iter()
                        .any(|include| include.receiver == **app)
                })
                .map(|app| app.to_string())
                .collect();
            if !apps.is_empty() {
                plan.apps.insert(module.name.clone(), apps.clone());
            }
            for app in &apps {
                for include in module
                    .routing
                    .includes
                    .iter()
                    .filter(|include| include.receiver == *app)
                {
                    let base = match &include.prefix {
                        None => String::new(),
                        Some(PathText::Literal(prefix)) => prefix.clone(),
                        Some(PathText::Expression(text)) => {
                            plan.refusal = Some(format!(
                                "the prefix `{text}` is not a literal, so the paths that move are not known"
                            ));
                            return plan;
                        }
                    };
                    if let Err(reason) =
                        routers.expand(index, &include.router, &base, 0, &mut moved)
                    {
                        plan.refusal = Some(reason);
                        return plan;
                    }
                }
            }
        }
        moved.sort();
        moved.dedup();
        plan.moved = moved;
        plan
    }
}

/// The project's routers, by qualified name: what each declares and
/// includes, wherever the code that does it is (`@user_router.get(…)` in a
/// module that imports `user_router`).
#[derive(Default)]
struct Routers<'i> {
    prefixes: HashMap<String, Option<&'i PathText>>,
    routes: HashMap<String, Vec<&'i PathText>>,
    includes: HashMap<String, Vec<&'i crate::project::index::Include>>,
}

impl<'i> Routers<'i> {
    fn of(index: &'i ProjectIndex) -> Routers<'i> {
        let mut routers = Routers::default();
        for module in index.modules() {
            // What a router's name, as this module writes it, means.
            let qualify = |written: &str| -> String {
                let (head, rest) = written.split_once('.').unwrap_or((written, ""));
                let qualified = match module.imports.get(head) {
                    Some(imported) if rest.is_empty() => imported.to_string(),
                    Some(imported) => format!("{imported}.{rest}"),
                    None => format!("{}.{written}", module.name),
                };
                index.canonical(&qualified)
            };
            let routing = &module.routing;
            for (name, prefix) in &routing.prefixes {
                routers
                    .prefixes
                    .insert(format!("{}.{name}", module.name), prefix.as_ref());
            }
            for (on, path) in &routing.routes {
                routers.routes.entry(qualify(on)).or_default().push(path);
            }
            for include in &routing.includes {
                routers
                    .includes
                    .entry(qualify(&include.receiver))
                    .or_default()
                    .push(include);
            }
        }
        routers
    }

    /// Adds the paths of the routes `router` (qualified) holds, under `base`.
    fn expand(
        &self,
        index: &ProjectIndex,
        router: &str,
        base: &str,
        depth: usize,
        moved: &mut Vec<String>,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Ok(());
        }
        let canonical = index.canonical(router);
        let own = match self.prefixes.get(&canonical) {
            Some(Some(PathText::Literal(prefix))) => prefix.clone(),
            Some(Some(PathText::Expression(text))) => {
                return Err(format!(
                    "the prefix `{text}` of `{canonical}` is not a literal, so the paths that move are not known"
                ));
            }
            Some(None) => String::new(),
            None => return Err(format!("the router `{router}` is not one of the project's")),
        };
        let base = format!("{base}{own}");
        for path in self.routes.get(&canonical).into_iter().flatten() {
            match path {
                PathText::Literal(path) => moved.push(format!("{base}{path}")),
                PathText::Expression(text) => {
                    return Err(format!(
                        "the path `{text}` of a route of `{canonical}` is not a literal"
                    ));
                }
            }
        }
        for include in self.includes.get(&canonical).into_iter().flatten() {
            let prefix = match &include.prefix {
                None => String::new(),
                Some(PathText::Literal(prefix)) => prefix.clone(),
                Some(PathText::Expression(text)) => {
                    return Err(format!(
                        "the prefix `{text}` is not a literal, so the paths that move are not known"
                    ));
                }
            };
            self.expand(
                index,
                &include.router,
                &format!("{base}{prefix}"),
                depth + 1,
                moved,
            )?;
        }
        Ok(())
    }
}

/// Whether a requested path (its query cut off; `\0` stands for an
/// interpolated value) is a route's path: `{name}` takes one segment,
/// `{name:path}` the rest, a trailing slash aside.
pub fn path_matches(requested: &str, pattern: &str) -> bool {
    let requested = requested.split(['?', '#']).next().unwrap_or_default();
    let requested: Vec<&str> = requested.trim_end_matches('/').split('/').collect();
    let pattern: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    for (position, segment) in pattern.iter().enumerate() {
        if segment.starts_with('{') && segment.ends_with(":path}") {
            return requested.len() > position;
        }
        let Some(asked) = requested.get(position) else {
            return false;
        };
        let is_parameter = segment.starts_with('{') && segment.ends_with('}');
        if is_parameter {
            if asked.is_empty() {
                return false;
            }
        } else if asked != segment && !(asked.contains('\0') && asked.len() > 0) {
            return false;
        }
    }
    requested.len() == pattern.len()
}

impl Plan for VersionPlan {
    fn concerns(&self, _file: &PlanFile) -> bool {
        !self.apps.is_empty() || self.refusal.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_seen() {
        for text in [
            "/api/v1",
            "/v2",
            "settings.API_V1_STR",
            "f\"{version_prefix}/books\"",
            "API_V2",
        ] {
            assert!(names_a_version(text), "{text}");
        }
        for text in ["/videos", "/users", "/api", "settings.PREFIX", "/dev1"] {
            assert!(!names_a_version(text), "{text}");
        }
    }

    #[test]
    fn paths_match_routes() {
        assert!(path_matches("/users/7", "/users/{user_id}"));
        assert!(path_matches("/users/", "/users"));
        assert!(path_matches("/users?skip=1", "/users/"));
        assert!(path_matches("/users/\0", "/users/{user_id}"));
        assert!(path_matches("/files/a/b.txt", "/files/{name:path}"));
        assert!(!path_matches("/users/7/items", "/users/{user_id}"));
        assert!(!path_matches("/items", "/users"));
        assert!(!path_matches("/docs", "/{item_id}/x"));
    }
}
