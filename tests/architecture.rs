//! The engine's shape, checked: it knows no transform by name, so adding a
//! transform touches only its own files under `transforms/` and the one
//! registration list.

use std::path::{Path, PathBuf};

use fastapi_codemod::transforms;

/// Every `.rs` file under `directory`, sorted.
fn rust_files(directory: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![directory.to_path_buf()];
    while let Some(directory) = stack.pop() {
        for entry in std::fs::read_dir(&directory).expect("a readable source directory") {
            let path = entry.expect("a readable entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn the_engine_names_no_transform() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&source);
    assert!(files.len() > 10, "the engine's files are found");
    let mut found = Vec::new();
    for file in files {
        // The binary is the glue that hands the catalogue to the command line.
        if file.ends_with("src/main.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for transform in transforms::ALL {
            for (number, line) in text.lines().enumerate() {
                if line.contains(transform.name) {
                    found.push(format!(
                        "{}:{}: {}",
                        file.strip_prefix(&source).unwrap().display(),
                        number + 1,
                        transform.name
                    ));
                }
            }
        }
        assert!(
            !text.contains("crate::transforms"),
            "{} imports the catalogue",
            file.display()
        );
    }
    assert!(
        found.is_empty(),
        "transform names in the engine:\n{}",
        found.join("\n")
    );
}

/// The engine's layers, lowest first: each may use only those before it.
const LAYERS: [&str; 4] = ["text", "python", "project", "cli"];

#[test]
fn layers_import_only_downwards() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut upward = Vec::new();
    for (level, layer) in LAYERS.iter().enumerate() {
        let files = rust_files(&source.join(layer));
        assert!(!files.is_empty(), "the {layer} layer has files");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in text.lines().enumerate() {
                for higher in &LAYERS[level + 1..] {
                    if line.contains(&format!("crate::{higher}::"))
                        || line.contains(&format!("crate::{higher};"))
                        || line.contains(&format!("super::super::{higher}"))
                    {
                        upward.push(format!(
                            "{}:{}: {layer} uses {higher}",
                            file.strip_prefix(&source).unwrap().display(),
                            number + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that go up a layer:\n{}",
        upward.join("\n")
    );
}
