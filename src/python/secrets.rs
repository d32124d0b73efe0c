//! Which literal values in code are secrets: a rule on the name the value
//! is bound to and a rule on the value itself. Both must agree.
//!
//! **The name.** Its words (split at `_`, `-` and case changes) must end
//! in a secret noun: `password`, `passwd`, `pwd`, `pass`, `secret`,
//! `token`, `credentials`, `creds`, `apikey`, or `key` after one of
//! `secret`, `api`, `private`, `access`, `signing`, `encryption`, `jwt`,
//! `fernet`, `master`, `hmac`, `webhook`, `session`, `auth`, `client`,
//! `license`. So `SECRET_KEY`, `SMTP_PASSWORD`, `STRIPE_API_KEY`,
//! `JWT_SECRET` and `GITHUB_TOKEN` name secrets, and `TOKEN_PREFIX`,
//! `PASSWORD_MIN_LENGTH`, `ACCESS_TOKEN_EXPIRE_MINUTES`, `API_KEY_HEADER`
//! and `SECRET_KEY_FILE` do not: they name something about a secret.
//!
//! **The value.** A name's value is not a secret when it is
//! - empty or blank, a template (`{…}`, `${…}`, `%s`, `<your-key>`), or
//!   words that ask for a value or say it is not one (`"update me"`,
//!   `"your-secret-key-here"`, `"changethis"`, `"DummyKey"`): a placeholder;
//! - a name itself: letters and digits joined by `_ - . :`, every word of
//!   which comes from the name it is bound to or from a short vocabulary
//!   of codes and headers (`invalid`, `expired`, `x`, `bearer`, …), with
//!   two words or more or spelling the whole name. This is what enum
//!   look-alikes, error codes and header names are: `ACCESS_TOKEN =
//!   "access_token"`, `INVALID_PASSWORD = "INVALID_PASSWORD"`, `API_KEY =
//!   "X-API-Key"`, or a namespaced code that spells a name saying more than
//!   "secret" (`AUTH_INVALID_CREDENTIALS = "urn:problem:auth:invalid-credentials"`).
//!   A message made of such words is one too (`INVALID_CREDENTIALS =
//!   "Invalid credentials!"`), and so is `token` or `key` alone
//!   (`PK_TOKEN = "token"`, a column); any other lone word that is only
//!   part of the name is a weak secret, not a code: `SECRET_KEY = "secret"`
//!   and `ADMIN_PASSWORD = "password"` are moved;
//! - a prefix: six characters or fewer ending in `_` or `-` (`"pk_"`);
//! - a path to a file that holds the secret (`/run/secrets/key`, `*.pem`).
//!
//! **URLs.** Whatever its name, a URL with a password in it
//! (`postgresql://user:pass@host/db`, `redis://:pass@host`) holds a
//! secret; under a `dsn` name, a user alone counts too (Sentry's DSN
//! carries its key as the user).

use ruff_python_ast::{self as ast, Expr, Stmt};

/// Secret nouns a name may end in.
const SECRET_NOUNS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "secret",
    "token",
    "credentials",
    "creds",
    "apikey",
];

/// Words before `key` that make it a secret key.
const KEY_QUALIFIERS: &[&str] = &[
    "secret",
    "api",
    "private",
    "access",
    "signing",
    "encryption",
    "jwt",
    "fernet",
    "master",
    "hmac",
    "webhook",
    "session",
    "auth",
    "client",
    "license",
];

/// Words that codes and header names are made of, beside the name's own.
const CODE_WORDS: &[&str] = &[
    "x",
    "invalid",
    "expired",
    "missing",
    "wrong",
    "incorrect",
    "bad",
    "reset",
    "forgot",
    "change",
    "changed",
    "required",
    "type",
    "header",
    "error",
    "not",
    "found",
    "failed",
    "refresh",
    "access",
    "bearer",
    "auth",
    "authorization",
    "id",
    "user",
    "new",
    "old",
    "confirm",
    "confirmation",
    "verify",
    "verification",
    "mismatch",
    "too",
    "short",
    "long",
    "weak",
    "key",
    "api",
    "token",
    "password",
    "secret",
    "cookie",
    "session",
];

/// The words of a name: `STRIPE_API_KEY`, `stripeApiKey` → `stripe api key`.
pub fn words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for character in name.chars() {
        if !character.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if character.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = character.is_lowercase() || character.is_ascii_digit();
        current.extend(character.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether a name means a secret (see the module documentation).
pub fn is_secret_name(name: &str) -> bool {
    let words = words(name);
    let Some(last) = words.last() else {
        return false;
    };
    if SECRET_NOUNS.contains(&last.as_str()) {
        // `pass` alone is a keyword-ish word; it needs a qualifier.
        return last != "pass" || words.len() > 1;
    }
    last == "key" && words.len() > 1 && KEY_QUALIFIERS.contains(&words[words.len() - 2].as_str())
}

/// Whether a name is one a URL or DSN goes by.
fn is_url_name(name: &str) -> bool {
    words(name)
        .last()
        .is_some_and(|last| matches!(last.as_str(), "url" | "uri" | "dsn" | "dburl"))
}

/// Why a value bound to a secret name is not a secret, if it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSecret {
    Placeholder,
    /// A code, an enum look-alike or a header name.
    Name,
    Prefix,
    Path,
}

impl std::fmt::Display for NotSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotSecret::Placeholder => "a placeholder",
            NotSecret::Name => "a name or code, not a secret",
            NotSecret::Prefix => "a prefix",
            NotSecret::Path => "a path to a file",
        })
    }
}

/// Whether `value`, bound to `name`, is a secret to move out of the code:
/// `Ok` when it is, else why not. A name that means no secret gives
/// `None`: the value is not looked at (unless it is a URL with
/// credentials, which is a secret under any name).
pub fn judge(name: &str, value: &str) -> Option<Result<(), NotSecret>> {
    // Every string constant of a project is judged: the name's words are
    // split only for a value that could be a URL with credentials, or once
    // for the name test.
    if value.contains("://") && value.contains('@') {
        let dsn = words(name).last().is_some_and(|word| word == "dsn");
        if url_has_credentials(value, dsn) {
            return Some(Ok(()));
        }
    }
    if !is_secret_name(name) || is_url_name(name) {
        return None;
    }
    Some(judge_value(name, value))
}

fn judge_value(name: &str, value: &str) -> Result<(), NotSecret> {
    let trimmed = value.trim();
    if trimmed.is_empty()
        || trimmed.contains('{')
        || trimmed.contains("%s")
        || trimmed.contains("%(")
        || (trimmed.starts_with('<') && trimmed.ends_with('>'))
        || trimmed.chars().all(|c| matches!(c, '*' | '.' | 'x' | 'X'))
    {
        return Err(NotSecret::Placeholder);
    }
    if trimmed.len() <= 6 && (trimmed.ends_with('_') || trimmed.ends_with('-')) {
        return Err(NotSecret::Prefix);
    }
    if ["/", "./", "../", "~/"]
        .iter()
        .any(|start| trimmed.starts_with(start))
        || [".pem", ".key", ".json", ".crt", ".txt", ".p12"]
            .iter()
            .any(|end| trimmed.ends_with(end))
    {
        return Err(NotSecret::Path);
    }
    let name_words = words(name);
    let value_words = words(trimmed);
    // "update me", "your-secret-key-here", "changethis".
    let placeholder = value_words
        .iter()
        .any(|word| PLACEHOLDER_MARKERS.contains(&word.as_str()))
        && value_words.iter().all(|word| {
            PLACEHOLDER_MARKERS.contains(&word.as_str())
                || PLACEHOLDER_WORDS.contains(&word.as_str())
                || name_words.contains(word)
        });
    if placeholder {
        return Err(NotSecret::Placeholder);
    }
    // `token` or `key` alone names something (`PK_TOKEN = "token"`, a
    // column); `"secret"` or `"password"` alone is a weak secret.
    if matches!(
        trimmed.to_lowercase().as_str(),
        "token" | "key" | "apikey" | "api_key" | "credentials"
    ) {
        return Err(NotSecret::Name);
    }
    // Words of the name and of codes only: a code, a header, or a message
    // (`INVALID_CREDENTIALS = "Invalid credentials!"`).
    let known = value_words
        .iter()
        .all(|word| name_words.contains(word) || CODE_WORDS.contains(&word.as_str()));
    if known && (value_words.len() >= 2 || value_words == name_words) {
        return Err(NotSecret::Name);
    }
    let identifier_like = trimmed.chars().next().is_some_and(char::is_alphabetic)
        && trimmed
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if identifier_like {
        // A code that spells its whole name inside a namespace
        // (`AUTH_INVALID_CREDENTIALS = "urn:problem:auth:invalid-credentials"`),
        // when the name says more than what a secret is.
        let spells_name = value_words.len() > name_words.len()
            && name_words.iter().all(|word| value_words.contains(word))
            && name_words
                .iter()
                .any(|word| !SECRET_VOCABULARY.contains(&word.as_str()));
        if spells_name {
            return Err(NotSecret::Name);
        }
    }
    Ok(())
}

/// Words that say a value is to be filled in.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "change",
    "changeme",
    "changethis",
    "update",
    "updateme",
    "replace",
    "replaceme",
    "your",
    "todo",
    "fixme",
    "tbd",
    "here",
    "insert",
    "enter",
    "xxx",
    "dummy",
    "fake",
    "example",
    "sample",
    "placeholder",
];

/// Other words a placeholder is made of.
const PLACEHOLDER_WORDS: &[&str] = &[
    "me", "this", "a", "the", "with", "to", "it", "own", "real", "value",
];

/// The words secrets are named with.
const SECRET_VOCABULARY: &[&str] = &[
    "secret",
    "key",
    "password",
    "passwd",
    "pwd",
    "pass",
    "token",
    "credentials",
    "creds",
    "api",
    "apikey",
    "access",
    "private",
    "jwt",
    "signing",
    "client",
];

/// Whether a URL carries a password (`scheme://user:pass@host`,
/// `redis://:pass@host`), or with `user_counts` any user at all.
pub fn url_has_credentials(value: &str, user_counts: bool) -> bool {
    let Some((scheme, rest)) = value.split_once("://") else {
        return false;
    };
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return false;
    };
    if host.is_empty() || userinfo.contains(['{', '$', '<', '%']) {
        return false;
    }
    match userinfo.split_once(':') {
        Some((_, password)) => !password.is_empty(),
        None => user_counts && !userinfo.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_hold_secrets() {
        for name in [
            "SECRET_KEY",
            "SMTP_PASSWORD",
            "STRIPE_API_KEY",
            "JWT_SECRET",
            "GITHUB_TOKEN",
            "db_pass",
            "AWS_SECRET_ACCESS_KEY",
            "privateKey",
            "client_secret",
            "SECRET",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "TOKEN_PREFIX",
            "PASSWORD_MIN_LENGTH",
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            "API_KEY_HEADER",
            "SECRET_KEY_FILE",
            "ALGORITHM",
            "KEY",
            "PRIMARY_KEY",
            "pass",
            "DATABASE_URL",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn values_that_are_secrets_and_values_that_are_not() {
        let secret = |name: &str, value: &str| judge(name, value) == Some(Ok(()));
        assert!(secret(
            "SECRET_KEY",
            "09d25e094faa6ca2556c818166b7a9563b93f7"
        ));
        assert!(secret("SECRET_KEY", "secret"));
        assert!(secret("SECRET_KEY", "my-super-secret-key"));
        assert!(secret("STRIPE_API_KEY", "sk_live_51Habc"));
        assert!(secret("SMTP_PASSWORD", "hunter2"));
        assert!(secret("SECRET", "SECRETSECRET"));
        assert_eq!(
            judge("access_token", "access_token"),
            Some(Err(NotSecret::Name))
        );
        assert_eq!(
            judge("INVALID_PASSWORD", "INVALID_PASSWORD"),
            Some(Err(NotSecret::Name))
        );
        assert_eq!(judge("API_KEY", "X-API-Key"), Some(Err(NotSecret::Name)));
        assert_eq!(judge("PASSWORD", "password"), Some(Err(NotSecret::Name)));
        assert_eq!(judge("PK_TOKEN", "token"), Some(Err(NotSecret::Name)));
        assert!(secret("ADMIN_PASSWORD", "password"));
        assert_eq!(
            judge("INVALID_CREDENTIALS", "Invalid Credentials!"),
            Some(Err(NotSecret::Name))
        );
        assert_eq!(
            judge("GATEWAY_API_KEY", "DummyKey"),
            Some(Err(NotSecret::Placeholder))
        );
        assert!(secret("SECRET", "super secret jwt secret"));
        assert!(secret("JWT_SECRET", "secret"));
        assert_eq!(
            judge(
                "AUTH_INVALID_CREDENTIALS",
                "urn:problem:auth:invalid-credentials"
            ),
            Some(Err(NotSecret::Name))
        );
        assert_eq!(
            judge("MAILGUN_API_KEY", "update me"),
            Some(Err(NotSecret::Placeholder))
        );
        assert_eq!(
            judge("SECRET_KEY", "your-secret-key-here"),
            Some(Err(NotSecret::Placeholder))
        );
        assert_eq!(
            judge("SECRET_KEY", "changethis"),
            Some(Err(NotSecret::Placeholder))
        );
        assert!(secret(
            "JWT_SECRET",
            "change-me-to-a-strong-secret-key-of-32-bytes"
        ));
        assert_eq!(judge("TOKEN", "pk_"), Some(Err(NotSecret::Prefix)));
        assert_eq!(judge("TOKEN_PREFIX", "pk_"), None);
        assert_eq!(judge("SECRET_KEY", ""), Some(Err(NotSecret::Placeholder)));
        assert_eq!(
            judge("SECRET_KEY", "<your secret>"),
            Some(Err(NotSecret::Placeholder))
        );
        assert_eq!(
            judge("PRIVATE_KEY", "/run/secrets/key"),
            Some(Err(NotSecret::Path))
        );
    }

    #[test]
    fn urls_with_credentials_are_secrets_under_any_name() {
        let secret = |name: &str, value: &str| judge(name, value) == Some(Ok(()));
        assert!(secret("DATABASE_URL", "postgresql://user:pass@host/db"));
        assert!(secret("REDIS", "redis://:pass@host:6379/0"));
        assert!(secret("SENTRY_DSN", "https://abc123@o1.ingest.sentry.io/1"));
        assert!(!secret(
            "SENTRY_URL",
            "https://abc123@o1.ingest.sentry.io/1"
        ));
        assert!(!secret("DATABASE_URL", "sqlite:///./app.db"));
        assert!(!secret(
            "DATABASE_URL",
            "postgresql://{user}:{password}@{host}/db"
        ));
        assert_eq!(judge("DATABASE_URL", "postgresql://localhost/db"), None);
    }
}

/// A literal secret in a module, found by [`literal_secrets`].
#[derive(Debug, Clone)]
pub struct LiteralSecret<'a> {
    pub place: SecretPlace<'a>,
    /// The name judged: the constant's, the field's, or the variable's.
    pub name: String,
    /// The literal's value.
    pub value: String,
    /// The string literal itself.
    pub literal: &'a Expr,
}

/// Where a literal secret is written.
#[derive(Debug, Clone)]
pub enum SecretPlace<'a> {
    /// `SECRET_KEY = "…"` (or annotated) at module level.
    Constant { statement: &'a Stmt },
    /// A field's default in a class body (`jwt_secret: str = "…"`, also
    /// `Field("…")` / `Field(default="…")`): a secret when the class is a
    /// `BaseSettings`, which only the project can tell.
    Field {
        class: &'a ast::StmtClassDef,
        statement: &'a ast::StmtAnnAssign,
        /// The `Field(…)` call the literal is an argument of.
        field_call: Option<&'a ast::ExprCall>,
    },
    /// `os.getenv("NAME", "…")` or `os.environ.get("NAME", "…")`: the
    /// variable's fallback.
    Fallback { call: &'a ast::ExprCall },
}

/// The functions whose second argument is a fallback for a variable.
const ENVIRONMENT_READS: &[&str] = &["os.getenv", "os.environ.get"];

/// The module's literal secrets: module-level constants, class fields'
/// defaults, and environment fallbacks, each judged by [`judge`].
pub fn literal_secrets<'a>(
    facts: &crate::python::fastapi::FastApiFacts<'a>,
    module: &'a ast::ModModule,
) -> Vec<LiteralSecret<'a>> {
    let mut found = Vec::new();
    let string = |expr: &'a Expr| match expr {
        Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
        _ => None,
    };
    let mut push = |place: SecretPlace<'a>, name: &str, literal: &'a Expr| {
        if let Some(value) = string(literal)
            && judge(name, &value) == Some(Ok(()))
        {
            found.push(LiteralSecret {
                place,
                name: name.to_string(),
                value,
                literal,
            });
        }
    };
    for statement in &module.body {
        match statement {
            Stmt::Assign(assign) => {
                if let [Expr::Name(target)] = assign.targets.as_slice() {
                    push(
                        SecretPlace::Constant { statement },
                        target.id.as_str(),
                        &assign.value,
                    );
                }
            }
            Stmt::AnnAssign(assign) => {
                if let (Expr::Name(target), Some(value)) =
                    (assign.target.as_ref(), assign.value.as_deref())
                {
                    push(
                        SecretPlace::Constant { statement },
                        target.id.as_str(),
                        value,
                    );
                }
            }
            Stmt::ClassDef(class) => {
                for inner in &class.body {
                    let Stmt::AnnAssign(field) = inner else {
                        continue;
                    };
                    let (Expr::Name(target), Some(value)) =
                        (field.target.as_ref(), field.value.as_deref())
                    else {
                        continue;
                    };
                    // Private attributes are not fields.
                    if target.id.starts_with('_') {
                        continue;
                    }
                    // Class variables are not fields either; asked only
                    // of a secret, since it takes resolving a name.
                    let class_variable = || match field.annotation.as_ref() {
                        Expr::Subscript(subscript) => {
                            facts.resolves_to(&subscript.value, "typing.ClassVar")
                        }
                        other => facts.resolves_to(other, "typing.ClassVar"),
                    };
                    let (literal, field_call) = match value {
                        Expr::StringLiteral(_)
                            if judge(target.id.as_str(), &string(value).unwrap_or_default())
                                == Some(Ok(()))
                                && class_variable() =>
                        {
                            continue;
                        }
                        Expr::Call(call)
                            if facts.resolves_to(&call.func, "pydantic.Field")
                                || facts.resolves_to(&call.func, "pydantic.fields.Field") =>
                        {
                            let default = call
                                .arguments
                                .find_keyword("default")
                                .map(|keyword| &keyword.value)
                                .or_else(|| call.arguments.args.first());
                            match default {
                                Some(default) => (default, Some(call)),
                                None => continue,
                            }
                        }
                        // `SecretStr("…")`: the whole default goes.
                        Expr::Call(call)
                            if call.arguments.len() == 1
                                && (facts.resolves_to(&call.func, "pydantic.SecretStr")
                                    || facts
                                        .resolves_to(&call.func, "pydantic.types.SecretStr")) =>
                        {
                            match call.arguments.args.first() {
                                Some(value) => (value, None),
                                None => continue,
                            }
                        }
                        other => (other, None),
                    };
                    push(
                        SecretPlace::Field {
                            class,
                            statement: field,
                            field_call,
                        },
                        target.id.as_str(),
                        literal,
                    );
                }
            }
            _ => {}
        }
    }
    // Most modules read no environment: their calls are not looked at.
    let reads_environment = facts.imports.imports_from("os");
    for call in facts.calls.iter().filter(|_| reads_environment) {
        if !ENVIRONMENT_READS
            .iter()
            .any(|read| facts.resolves_to(&call.func, read))
        {
            continue;
        }
        let Some(Expr::StringLiteral(variable)) = call.arguments.args.first() else {
            continue;
        };
        let fallback = call.arguments.args.get(1).or_else(|| {
            call.arguments
                .find_keyword("default")
                .map(|keyword| &keyword.value)
        });
        if let Some(fallback) = fallback {
            push(
                SecretPlace::Fallback { call },
                variable.value.to_str(),
                fallback,
            );
        }
    }
    {
        use ruff_text_size::Ranged;
        found.sort_by_key(|secret| secret.literal.start());
    }
    found
}

/// The class field whose whole default is `call`
/// (`secret_key: str = os.getenv("SECRET_KEY", "…")`), if any.
pub fn field_of_call<'a>(
    module: &'a ast::ModModule,
    call: &ast::ExprCall,
) -> Option<(&'a ast::StmtClassDef, &'a ast::StmtAnnAssign)> {
    use ruff_text_size::Ranged;
    module.body.iter().find_map(|statement| {
        let Stmt::ClassDef(class) = statement else {
            return None;
        };
        class.body.iter().find_map(|inner| match inner {
            Stmt::AnnAssign(field)
                if field
                    .value
                    .as_deref()
                    .is_some_and(|value| value.range() == call.range()) =>
            {
                Some((class, field))
            }
            _ => None,
        })
    })
}

/// Whether module-level code other than `statement` reads `name` while the
/// module is imported (function bodies are not run then; class bodies,
/// decorators and defaults are).
pub fn read_at_import(module: &ast::ModModule, statement: &Stmt, name: &str) -> bool {
    use ruff_python_ast::visitor::{self, Visitor};
    use ruff_text_size::Ranged;
    struct Reads<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'a> Visitor<'a> for Reads<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if let Stmt::FunctionDef(function) = stmt {
                for decorator in &function.decorator_list {
                    self.visit_decorator(decorator);
                }
                for parameter in function.parameters.iter_non_variadic_params() {
                    if let Some(default) = parameter.default() {
                        self.visit_expr(default);
                    }
                }
                return;
            }
            visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Name(name) if name.id.as_str() == self.name && name.ctx.is_load() => {
                    self.found = true;
                }
                Expr::Lambda(_) => {}
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut reads = Reads { name, found: false };
    for other in &module.body {
        if other.range() != statement.range() {
            reads.visit_stmt(other);
        }
    }
    reads.found
}
