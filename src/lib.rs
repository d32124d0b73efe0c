//! fastapi-codemod: rewrites FastAPI codebases toward current best practices.
//!
//! The engine (everything but [`cli`]) is pure: it takes file contents and
//! returns findings and fixed text. Only the command line reads and writes
//! files. See `ARCHITECTURE.md` for the map.

pub mod blocking;
pub mod cli;
pub mod edit;
pub mod fastapi;
pub mod fix_loop;
pub mod imports;
pub mod index;
pub mod models;
pub mod pipeline;
pub mod plan;
pub mod project;
pub mod returns;
pub mod source;
pub mod suppression;
pub mod syntax;
pub mod transform;
pub mod types;

#[path = "../transforms/mod.rs"]
pub mod transforms;
