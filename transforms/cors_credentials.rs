//! # cors-credentials (unsafe)
//!
//! (documentation follows with the transform)

use crate::project::index::ProjectIndex;
use crate::python::app_settings::NewField;

/// The settings field the transform needs, when some module installs a
/// wildcard with credentials.
pub fn needed_field(index: &ProjectIndex) -> Option<NewField> {
    index
        .modules()
        .any(|module| module.cors_wildcards > 0)
        .then(|| NewField {
            name: "cors_origins".to_string(),
            annotation: "list[str]".to_string(),
            default: Some("[]".to_string()),
            example: Some("[]".to_string()),
        })
}
