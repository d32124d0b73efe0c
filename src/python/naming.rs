//! What names mean in FastAPI code: which field names hold secrets or are
//! made by the server, and what a model's public schema is called.

/// Field names (or `*_suffix` / `prefix_*` patterns) the project's
/// configuration adds to those that hold secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretFields(pub Vec<String>);

/// Suffixes of a model's public schema, in order of preference.
pub const PUBLIC_SUFFIXES: [&str; 5] = ["Read", "Out", "Public", "Response", "Schema"];

/// Suffixes that mark a model's stored or internal form (`UserInDB`), whose
/// public schema is named after the rest (`UserRead`, or `User`).
const INTERNAL_SUFFIXES: [&str; 8] = [
    "InDB", "InDb", "DB", "Db", "Internal", "Private", "Model", "Table",
];

/// Whether a field name means a secret: any `*password*` (`password`,
/// `hashed_password`, `password_hash`, `password_confirm`), `secret`,
/// `*_secret`, `token`, `*_token`, `api_key`, `private_key`.
pub fn is_secret_field(name: &str) -> bool {
    matches!(name, "secret" | "token" | "api_key" | "private_key")
        || name.contains("password")
        || name.ends_with("_secret")
        || name.ends_with("_token")
}

/// Whether a secret field holds a hash the server computes
/// (`hashed_password`, `password_hash`), not what the client typed.
pub fn is_hashed_field(name: &str) -> bool {
    name.starts_with("hashed_") || name.ends_with("_hash") || name.ends_with("_hashed")
}

/// Whether the server, not the client, sets a field: `id`, `created_at`,
/// `updated_at`, hashed secrets.
pub fn is_server_made(name: &str) -> bool {
    matches!(name, "id" | "created_at" | "updated_at") || is_hashed_field(name)
}

/// The names a class's public schema may have, in order of preference:
/// `UserRead`, `UserOut`, … for `User`; for `UserInDB` also the names after
/// `User`, and `User` itself.
pub fn public_names(name: &str) -> Vec<String> {
    let stem = INTERNAL_SUFFIXES
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix).filter(|stem| !stem.is_empty()))
        .unwrap_or(name);
    let mut names: Vec<String> = Vec::new();
    for base in [name, stem] {
        for suffix in PUBLIC_SUFFIXES {
            let candidate = format!("{base}{suffix}");
            if !names.contains(&candidate) {
                names.push(candidate);
            }
        }
    }
    names.push(stem.to_string());
    names.push(name.to_string());
    names
}

/// Whether `text` holds `name` as a whole identifier (not inside a longer one).
pub fn mentions_identifier(text: &str, name: &str) -> bool {
    let is_identifier = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(is_identifier) && !after.is_some_and(is_identifier)
    })
}

/// What a client-typed text field of an input schema holds, when Pydantic
/// has a validator for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextMeaning {
    /// `email`, `contact_email`, `email_address`.
    Email,
    /// A password the client chooses: `password`, `new_password`,
    /// `password_confirm`; not a hash, and not the current password a user
    /// proves (`old_password`, `current_password`), which older rules set.
    Password,
    /// `url`, `website`, `homepage`, `callback`, `avatar_url`.
    HttpUrl,
}

/// What a text field's name says it holds, when it is one Pydantic validates.
pub fn text_meaning(name: &str) -> Option<TextMeaning> {
    let name = name.to_ascii_lowercase();
    let name = name.as_str();
    if name == "email"
        || name.ends_with("_email")
        || name == "email_address"
        || name.ends_with("_email_address")
    {
        return Some(TextMeaning::Email);
    }
    if name.contains("password")
        && !is_hashed_field(name)
        && !name.starts_with("old_")
        && !name.starts_with("current_")
        && !name.starts_with("hashed")
        && !name.contains("hint")
        && !name.contains("reset")
        && !name.contains("policy")
    {
        return Some(TextMeaning::Password);
    }
    if matches!(name, "url" | "website" | "homepage" | "callback") || name.ends_with("_url") {
        return Some(TextMeaning::HttpUrl);
    }
    None
}

/// Whether a schema's name says it proves who a user is (`UserLogin`,
/// `SignInRequest`, `Credentials`, `AuthenticateBody`): what it holds is
/// checked against what was stored earlier, under whatever rules held then.
pub fn is_login_schema(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "login",
        "logon",
        "signin",
        "sign_in",
        "credential",
        "authenticat",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// The dotted module path a string spells, and what follows a `:`
/// (`"app.crud.user.get"` → `app.crud.user.get`; `"app.main:app"` →
/// `app.main` and `app`): identifiers joined by dots, at least two.
/// Strings that name modules this way are patch targets, `module:attr`
/// references and dotted paths in configuration.
pub fn dotted_module_path(text: &str) -> Option<(&str, Option<&str>)> {
    let (path, attribute) = match text.split_once(':') {
        Some((path, attribute)) => (path, Some(attribute)),
        None => (text, None),
    };
    let dotted = path.contains('.')
        && path.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|character| character.is_alphanumeric() || character == '_')
        });
    dotted.then_some((path, attribute))
}

/// Python's built-in names, which code may use without binding them.
const BUILTINS: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "Ellipsis",
    "EncodingWarning",
    "EnvironmentError",
    "Exception",
    "ExceptionGroup",
    "False",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "None",
    "NotADirectoryError",
    "NotImplemented",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "True",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
    "__build_class__",
    "__debug__",
    "__doc__",
    "__file__",
    "__import__",
    "__name__",
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "copyright",
    "credits",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "license",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
];

/// Whether `name` is one of Python's built-in names (`len`, `None`,
/// `ValueError`, `__name__`).
pub fn is_builtin(name: &str) -> bool {
    BUILTINS.binary_search(&name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_meanings() {
        for (name, meaning) in [
            ("email", Some(TextMeaning::Email)),
            ("contact_email", Some(TextMeaning::Email)),
            ("email_address", Some(TextMeaning::Email)),
            ("emails", None),
            ("password", Some(TextMeaning::Password)),
            ("new_password", Some(TextMeaning::Password)),
            ("password_confirm", Some(TextMeaning::Password)),
            ("hashed_password", None),
            ("password_hash", None),
            ("old_password", None),
            ("current_password", None),
            ("url", Some(TextMeaning::HttpUrl)),
            ("avatar_url", Some(TextMeaning::HttpUrl)),
            ("website", Some(TextMeaning::HttpUrl)),
            ("callback", Some(TextMeaning::HttpUrl)),
            ("urls", None),
            ("curl", None),
        ] {
            assert_eq!(text_meaning(name), meaning, "{name}");
        }
        assert!(is_login_schema("UserLogin"));
        assert!(is_login_schema("SignInRequest"));
        assert!(!is_login_schema("UserCreate"));
        assert!(!is_login_schema("AuthorCreate"));
    }
}
