//! Starlette's `CORSMiddleware` as FastAPI code installs it, and the one
//! setting that makes it dangerous: credentials allowed together with an
//! origin wildcard. With `allow_credentials=True` Starlette answers a
//! wildcard by echoing whatever origin asks, so every website may make
//! credentialed requests.
//!
//! Both installations count: `app.add_middleware(CORSMiddleware, …)` and
//! `FastAPI(middleware=[Middleware(CORSMiddleware, …)])`. The wildcard may
//! be `allow_origins=["*"]` (alone or among explicit origins), a module
//! variable holding such a list, or an `allow_origin_regex` that matches
//! any origin (`".*"`, `"^https?://.*$"`).

use ruff_python_ast::{self as ast, Expr};

use crate::python::fastapi::FastApiFacts;

/// Qualified names of the middleware class.
const CORS_MIDDLEWARE: &[&str] = &[
    "starlette.middleware.cors.CORSMiddleware",
    "fastapi.middleware.cors.CORSMiddleware",
];
/// Qualified names of Starlette's middleware wrapper.
const MIDDLEWARE: &[&str] = &[
    "starlette.middleware.Middleware",
    "fastapi.middleware.Middleware",
];

/// One installation of `CORSMiddleware` that allows credentials from any origin.
#[derive(Debug, Clone)]
pub struct CorsWildcard<'a> {
    /// `app.add_middleware(…)` or `Middleware(…)`.
    pub call: &'a ast::ExprCall,
    pub origins: Origins<'a>,
}

impl CorsWildcard<'_> {
    /// Whether replacing the wildcard takes a list of origins: all but an
    /// origin regex beside explicit origins, which goes with nothing in
    /// its place.
    pub fn needs_origins(&self) -> bool {
        !matches!(
            self.origins,
            Origins::Regex {
                allow_origins: Some(_),
                ..
            }
        )
    }
}

/// Where the wildcard is.
#[derive(Debug, Clone)]
pub enum Origins<'a> {
    /// `allow_origins=[…]` with `"*"` in it; the other items are explicit
    /// origins, kept.
    List {
        list: &'a Expr,
        explicit: Vec<&'a Expr>,
    },
    /// `allow_origins=origins`, a module-level variable whose list holds `"*"`.
    Variable {
        name: &'a str,
        list: &'a Expr,
        explicit: Vec<&'a Expr>,
    },
    /// `allow_origin_regex=".*"`; `allow_origins`, when the call has it too.
    Regex {
        keyword: &'a ast::Keyword,
        allow_origins: Option<&'a ast::Keyword>,
    },
}

/// Every wildcard installation in a module.
pub fn cors_wildcards<'a>(facts: &FastApiFacts<'a>) -> Vec<CorsWildcard<'a>> {
    let is_cors = |expr: &Expr| {
        CORS_MIDDLEWARE
            .iter()
            .any(|name| facts.resolves_to(expr, name))
    };
    let mut found = Vec::new();
    for call in &facts.calls {
        let installs = match call.func.as_ref() {
            Expr::Attribute(attribute) if attribute.attr.as_str() == "add_middleware" => true,
            callee => MIDDLEWARE
                .iter()
                .any(|name| facts.resolves_to(callee, name)),
        };
        if !installs || !call.arguments.args.first().is_some_and(is_cors) {
            continue;
        }
        let credentials = call
            .arguments
            .find_keyword("allow_credentials")
            .is_some_and(
                |keyword| matches!(keyword.value, Expr::BooleanLiteral(ref value) if value.value),
            );
        if !credentials {
            continue;
        }
        let allow_origins = call.arguments.find_keyword("allow_origins");
        let origins = if let Some(keyword) = call
            .arguments
            .find_keyword("allow_origin_regex")
            .filter(|keyword| matches!(&keyword.value, Expr::StringLiteral(regex) if matches_any_origin(regex.value.to_str())))
        {
            Some(Origins::Regex {
                keyword,
                allow_origins,
            })
        } else {
            allow_origins.and_then(|keyword| match &keyword.value {
                Expr::Name(name) => {
                    let list = facts.module_values.get(name.id.as_str())?.value?;
                    let explicit = wildcard_list(list)?;
                    Some(Origins::Variable {
                        name: name.id.as_str(),
                        list,
                        explicit,
                    })
                }
                list => Some(Origins::List {
                    list,
                    explicit: wildcard_list(list)?,
                }),
            })
        };
        if let Some(origins) = origins {
            found.push(CorsWildcard { call, origins });
        }
    }
    found
}

/// The items other than `"*"` of a list or tuple that holds `"*"`.
fn wildcard_list(list: &Expr) -> Option<Vec<&Expr>> {
    let items = match list {
        Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => elts,
        _ => return None,
    };
    let is_star =
        |item: &Expr| matches!(item, Expr::StringLiteral(literal) if literal.value.to_str() == "*");
    items
        .iter()
        .any(is_star)
        .then(|| items.iter().filter(|item| !is_star(item)).collect())
}

/// Whether an origin regex matches every origin (or every origin of a scheme).
pub fn matches_any_origin(regex: &str) -> bool {
    let mut rest = regex.trim();
    rest = rest.strip_prefix('^').unwrap_or(rest);
    rest = rest.strip_suffix('$').unwrap_or(rest);
    for scheme in [
        "https?://",
        "http(s)?://",
        "https://",
        "http://",
        "(http|https)://",
    ] {
        if let Some(stripped) = rest.strip_prefix(scheme) {
            rest = stripped;
            break;
        }
    }
    let rest = rest.trim_start_matches('(').trim_end_matches(')');
    matches!(rest, ".*" | ".+" | ".*?" | "[^/]*" | "[^/]+")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_that_match_any_origin() {
        for regex in [".*", "^.*$", "https?://.*", "^https://.+$", "(.*)"] {
            assert!(matches_any_origin(regex), "{regex}");
        }
        for regex in [
            "https://.*\\.example\\.com",
            "^https://app\\.example\\.com$",
            "",
        ] {
            assert!(!matches_any_origin(regex), "{regex}");
        }
    }
}
