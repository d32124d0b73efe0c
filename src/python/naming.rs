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
