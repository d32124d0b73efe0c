//! fastapi-codemod: rewrites FastAPI codebases toward current best practices.
//!
//! The engine is in layers that import only downwards: [`text`] (text and
//! edits), [`python`] (one file's Python and FastAPI semantics),
//! [`project`] (the index, plans and the run) and [`cli`] (the command
//! line, the only part that does I/O). The catalogue of transforms sits on
//! top; the engine knows none of them by name, and `main` hands the
//! catalogue to the command line. See `ARCHITECTURE.md` for the map.

pub mod cli;
pub mod project;
pub mod python;
pub mod text;

#[path = "../transforms/mod.rs"]
pub mod transforms;
