//! Layer 2, Python and FastAPI semantics of one file: what its names mean
//! through its imports, its routes and dependencies, annotations as types,
//! which calls block, suppression comments, how to import a symbol, and
//! token-level edits. Built on [`crate::text`]; knows nothing of other files.

pub mod app_settings;
pub mod bindings;
pub mod blocking;
pub mod cors;
pub mod extraction;
pub mod fastapi;
pub mod flow;
pub mod http_errors;
pub mod imports;
pub mod naming;
pub mod persistence;
pub mod resource_guard;
pub mod secrets;
pub mod suppression;
pub mod syntax;
pub mod types;
