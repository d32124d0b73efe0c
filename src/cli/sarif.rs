//! `--format sarif`: one SARIF 2.1.0 log for GitHub code scanning. Each
//! transform is a rule, with its summary and its documentation as help;
//! each finding a result at its place, with its fix as SARIF replacements
//! when it has one. Columns count characters (`unicodeCodePoints`), as
//! `check` prints them.

use serde_json::{Value, json};

use super::report::FindingReport;
use crate::project::transform::Transform;

/// The SARIF log of a run's findings, given by file path.
pub fn document(transforms: &[&Transform], findings: &[(String, FindingReport)]) -> Value {
    let rules: Vec<Value> = transforms
        .iter()
        .map(|transform| {
            let help = transform.documentation();
            json!({
                "id": transform.name,
                "name": rule_name(transform.name),
                "shortDescription": { "text": transform.summary },
                "fullDescription": { "text": transform.summary },
                "help": { "text": help, "markdown": help },
                "defaultConfiguration": { "level": "warning" },
                "properties": { "safety": transform.safety.as_str() },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|(path, finding)| result(transforms, path, finding))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "fastapi-codemod",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

fn result(transforms: &[&Transform], path: &str, finding: &FindingReport) -> Value {
    let uri = uri(path);
    let mut result = json!({
        "ruleId": finding.transform,
        "level": "warning",
        "message": { "text": finding.message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri },
                "region": { "startLine": finding.line, "startColumn": finding.column },
            }
        }],
    });
    if let Some(index) = transforms
        .iter()
        .position(|transform| transform.name == finding.transform)
    {
        result["ruleIndex"] = json!(index);
    }
    if let Some(fix) = &finding.fix {
        let replacements: Vec<Value> = fix
            .edits
            .iter()
            .map(|edit| {
                json!({
                    "deletedRegion": {
                        "startLine": edit.start.0,
                        "startColumn": edit.start.1,
                        "endLine": edit.end.0,
                        "endColumn": edit.end.1,
                    },
                    "insertedContent": { "text": edit.content },
                })
            })
            .collect();
        result["fixes"] = json!([{
            "description": { "text": fix.title },
            "artifactChanges": [{
                "artifactLocation": { "uri": uri },
                "replacements": replacements,
            }],
        }]);
    }
    result
}

/// `split-words` → `SplitWords`, SARIF's convention for a rule's name.
fn rule_name(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// A path as a relative URI reference: `/`-separated, with every byte
/// outside RFC 3986's unreserved characters percent-encoded.
pub fn uri(path: &str) -> String {
    let mut text = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            text.push(byte as char);
        } else {
            text.push_str(&format!("%{byte:02X}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_uri_references() {
        assert_eq!(uri("app/routers/items.py"), "app/routers/items.py");
        assert_eq!(uri("my app/é.py"), "my%20app/%C3%A9.py");
        assert_eq!(rule_name("split-words"), "SplitWords");
    }
}
