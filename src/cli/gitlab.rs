//! `--format gitlab`: a GitLab code quality report, one issue per finding.
//! The fingerprint is a hash of the path, the transform, the message and
//! which of the identical findings of the file it is, so it does not move
//! when lines are added above the finding.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::report::FindingReport;
use super::stable_hash;

/// The code quality report of a run's findings, given by file path.
pub fn document(findings: &[(String, FindingReport)]) -> Value {
    let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let issues: Vec<Value> = findings
        .iter()
        .map(|(path, finding)| {
            let occurrence = seen
                .entry((path, finding.transform, &finding.message))
                .or_default();
            let identity = format!(
                "{path}\0{}\0{}\0{occurrence}",
                finding.transform, finding.message
            );
            *occurrence += 1;
            json!({
                "description": finding.message,
                "check_name": finding.transform,
                "fingerprint": format!("{:016x}", stable_hash(identity.as_bytes())),
                "severity": "minor",
                "location": {
                    "path": path,
                    "lines": { "begin": finding.line },
                },
            })
        })
        .collect();
    Value::Array(issues)
}
