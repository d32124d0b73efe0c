//! The floor fastapi-codemod's speed is measured against: walk the same
//! files the tool would, read and parse each one in parallel, nothing else.
//! With `--index`, build the project index instead (the tool's first pass),
//! to measure that pass's share of a run.
//!
//! `benches/compare.sh DIR` times this next to `fastapi-codemod diff DIR`.

use std::path::PathBuf;

use fastapi_codemod::cli::walk::{WalkItem, collect_files};
use rayon::prelude::*;

fn main() {
    let paths: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if paths.is_empty() {
        eprintln!("usage: parse_baseline DIR...");
        std::process::exit(2);
    }
    let files: Vec<PathBuf> = collect_files(&paths)
        .into_iter()
        .filter_map(|item| match item {
            WalkItem::File { path, .. } => Some(path),
            WalkItem::Error { .. } => None,
        })
        .collect();
    if std::env::args().any(|arg| arg == "--index") {
        let summaries: Vec<_> = files
            .par_iter()
            .filter_map(|path| {
                let text = std::fs::read_to_string(path).ok()?;
                let name = path
                    .with_extension("")
                    .to_string_lossy()
                    .replace(['/', '\\'], ".");
                fastapi_codemod::project::index::summarize(&name, false, &text)
            })
            .collect();
        let index = fastapi_codemod::project::index::ProjectIndex::new(summaries);
        eprintln!("indexed {} of {} files", index.len(), files.len());
        return;
    }
    let parsed: usize = files
        .par_iter()
        .map(|path| {
            let Ok(text) = std::fs::read_to_string(path) else {
                return 0;
            };
            usize::from(ruff_python_parser::parse_module(&text).is_ok())
        })
        .sum();
    eprintln!("parsed {parsed} of {} files", files.len());
}
