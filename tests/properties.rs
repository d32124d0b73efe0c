//! Property tests for SPEC.md's invariants: fix application never panics
//! and lands only whole fixes; on generated FastAPI code, the output always
//! parses, a second run changes nothing, and comments and line endings survive.

mod common;

use fastapi_codemod::text::edit::{Edit, Fix, Safety};
use fastapi_codemod::text::fix_loop::apply_fixes;
use fastapi_codemod::transforms;
use proptest::prelude::*;
use ruff_python_ast::PythonVersion;
use ruff_text_size::{Ranged, TextRange, TextSize};

/// A fix of one to three non-overlapping edits inside a text of `len` bytes.
fn fix_strategy(len: usize) -> impl Strategy<Value = Fix> {
    prop::collection::vec((0..=len, 0..=3usize, "[a-z*]{0,3}"), 1..=3).prop_map(move |parts| {
        let mut cursor = 0usize;
        let mut edits = Vec::new();
        let mut parts = parts;
        parts.sort_by_key(|(start, _, _)| *start);
        for (start, width, content) in parts {
            let start = start.max(cursor);
            if start > len {
                break;
            }
            let end = (start + width).min(len);
            edits.push(Edit::replacement(
                content,
                TextRange::new(TextSize::new(start as u32), TextSize::new(end as u32)),
            ));
            cursor = end + 1;
        }
        Fix::new("generated", edits, Safety::Safe)
    })
}

fn text_and_fixes() -> impl Strategy<Value = (String, Vec<Fix>)> {
    "[a-z \n]{0,40}".prop_flat_map(|text| {
        let len = text.len();
        (Just(text), prop::collection::vec(fix_strategy(len), 0..8))
    })
}

proptest! {
    #[test]
    fn only_whole_fixes_land((text, fixes) in text_and_fixes()) {
        let borrowed: Vec<&Fix> = fixes.iter().collect();
        let (output, applied) = apply_fixes(&text, &borrowed);

        // The distinct edits of the applied fixes never touch the same text.
        let mut taken: Vec<&Edit> = Vec::new();
        for &index in &applied {
            for edit in fixes[index].edits() {
                if !taken.contains(&edit) {
                    taken.push(edit);
                }
            }
        }
        for (i, a) in taken.iter().enumerate() {
            for b in &taken[i + 1..] {
                prop_assert!(!a.conflicts_with(b), "{a:?} and {b:?} both landed");
            }
        }
        // The output is the input with exactly those edits: lengths agree.
        let expected_len = taken.iter().fold(text.len() as isize, |len, edit| {
            len + edit.content().len() as isize - usize::from(edit.range().len()) as isize
        });
        prop_assert_eq!(output.len() as isize, expected_len);
        // A fix left out conflicts with one that landed.
        for (index, fix) in fixes.iter().enumerate() {
            if !applied.contains(&index) {
                let conflicts = fix.edits().iter().any(|edit| !taken.contains(&edit) && taken.iter().any(|other| other.conflicts_with(edit)));
                prop_assert!(conflicts, "fix {index} was dropped without a conflict");
            }
        }
    }
}

/// How a generated file spells FastAPI's functions.
const IMPORT_STYLES: [(&str, &str); 4] = [
    (
        "from fastapi import APIRouter, Body, Depends, Path, Query",
        "",
    ),
    (
        "from fastapi import APIRouter, Body as B, Depends as D, Path as P, Query as Q",
        "alias",
    ),
    ("import fastapi as f\nfrom fastapi import APIRouter", "f."),
    ("import fastapi\nfrom fastapi import APIRouter", "fastapi."),
];

fn call(style: &str, name: &str) -> String {
    match style {
        "alias" => name[..1].to_string(),
        prefix => format!("{prefix}{name}"),
    }
}

/// One parameter's source text, for a given import style.
fn parameter_strategy() -> impl Strategy<Value = (u8, u8)> {
    (0u8..10, 0u8..4)
}

fn render_parameter(kind: u8, variant: u8, index: usize, style: &str) -> String {
    let name = format!("p{index}");
    let depends = call(style, "Depends");
    let query = call(style, "Query");
    let path = call(style, "Path");
    let body = call(style, "Body");
    match kind {
        0 => name,
        1 => format!("{name}: int"),
        2 => format!("{name}: int = {variant}"),
        3 => format!("{name}: str | None = {query}(None, max_length={variant})"),
        4 => format!("{name}={depends}(get_db)"),
        5 => format!("{name}: Session = {depends}(local_dependency)"),
        6 => format!("{name}: int = {path}(..., gt={variant})"),
        7 => format!("{name}: str = {body}(default=\"x\", embed=True)"),
        8 => format!("{name}: list[str] = {query}(default_factory=list)"),
        9 if variant == 0 => format!("{name}: Account"),
        _ => format!(
            "{name}: str = {query}(\n        None,  # comment {variant}\n        alias=\"a{variant}\",\n    )"
        ),
    }
}

#[derive(Debug, Clone)]
struct Generated {
    source: String,
}

fn module_strategy() -> impl Strategy<Value = Generated> {
    let function = (
        any::<bool>(),                                     // async
        any::<bool>(),                                     // route decorator
        prop::collection::vec(parameter_strategy(), 0..6), // parameters
        0u8..5,                                            // marker: none, *, *args, **kwargs, /
        any::<bool>(),                                     // one per line
        0u8..7, // body: what it blocks on, awaits or returns
        0u8..3, // decorator layout
    );
    (
        0usize..IMPORT_STYLES.len(),
        0u8..4,        // typing import style
        any::<bool>(), // docstring
        prop::collection::vec(function, 1..4),
        any::<bool>(), // CRLF
        any::<bool>(), // BOM
        any::<bool>(), // trailing newline
    )
        .prop_map(
            |(style_index, typing, docstring, functions, crlf, bom, trailing_newline)| {
                let (imports, style) = IMPORT_STYLES[style_index];
                let mut lines: Vec<String> = Vec::new();
                if docstring {
                    lines.push("\"\"\"A generated module.\"\"\"".into());
                }
                match typing {
                    1 => lines.push("from typing import Optional".into()),
                    2 => lines.push("from typing import (\n    Any,\n    Optional,\n)".into()),
                    3 => lines.push("import typing".into()),
                    _ => {}
                }
                lines.push(imports.into());
                lines.push(
                    "import time\n\nimport requests\nfrom sqlalchemy.orm import Session\n\nfrom .deps import get_db, other\n".into(),
                );
                lines.push(
                    "from pydantic import BaseModel, ConfigDict\nfrom sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n\n\nclass Row(Base):\n    __tablename__ = \"rows\"\n\n\nclass RowRead(BaseModel):\n    model_config = ConfigDict(from_attributes=True)\n\n    id: int\n\n\nclass Thing(BaseModel):\n    name: str\n\n\nclass Account(BaseModel):\n    id: int | None = None\n    email: str\n    password: str | None = None\n    hashed_password: str | None = None\n\n".into(),
                );
                lines.push("router = APIRouter()\n\n".into());
                lines.push("def local_dependency() -> Session:\n    return Session()\n\n".into());
                for (index, (is_async, is_route, parameters, marker, one_per_line, body, layout)) in
                    functions.into_iter().enumerate()
                {
                    // Parameters without a default come first, as Python requires.
                    let mut parameters = parameters;
                    parameters.sort_by_key(|(kind, _)| *kind > 1);
                    let mut items: Vec<String> = parameters
                        .iter()
                        .enumerate()
                        .map(|(position, (kind, variant))| {
                            render_parameter(*kind, *variant, position, style)
                        })
                        .collect();
                    let at = items.len() / 2;
                    match marker {
                        1 => items.insert(at, "*".into()),
                        2 => items.insert(at, "*args".into()),
                        3 => items.push("**kwargs".into()),
                        4 if at > 0 => items.insert(at, "/".into()),
                        _ => {}
                    }
                    if is_route {
                        lines.push(match layout {
                            0 => format!("@router.get(\"/r{index}\")"),
                            1 => format!("@router.get(\n    \"/r{index}\",\n    tags=[\"t\"],  # grouped\n)"),
                            _ => format!("@router.get(\n    \"/r{index}\", summary=\"Route number {index}\"\n)"),
                        });
                    }
                    let keyword = if is_async { "async def" } else { "def" };
                    let signature = if one_per_line {
                        let body: String = items
                            .iter()
                            .map(|item| format!("    {item},  # about {item:.2}\n"))
                            .collect();
                        format!("{keyword} f{index}(\n{body}):")
                    } else {
                        format!("{keyword} f{index}({}):", items.join(", "))
                    };
                    lines.push(signature);
                    lines.push(
                        match body {
                            1 => "    time.sleep(1)\n    return None\n\n",
                            2 => "    data = requests.get(\"https://example.com\", timeout=3).json()  # upstream\n    return data\n\n",
                            3 => "    await other()\n    rows = [r for r in requests.get(\"u\").json()]\n    time.sleep(1)\n    return rows\n\n",
                            4 => "    with open(\"f\") as handle:\n        return sum(len(line) for line in open(\"g\"))\n\n",
                            5 => "    return Thing(name=\"x\")  # built here\n\n",
                            6 => "    rows = session.query(Row).all()\n    return rows\n\n",
                            7 => "    return Account(email=\"a\")\n\n",
                            _ => "    return None\n\n",
                        }
                        .into(),
                    );
                }
                let mut source = lines.join("\n");
                if !trailing_newline {
                    source = source.trim_end().to_string();
                }
                if crlf {
                    source = source.replace('\n', "\r\n");
                }
                if bom {
                    source.insert(0, '\u{feff}');
                }
                Generated { source }
            },
        )
}

fn comments(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.find('#').map(|at| line[at..].trim_end().to_string()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn generated_fastapi_code_is_rewritten_safely(generated in module_strategy(), target in prop::sample::select(vec![PythonVersion::PY38, PythonVersion::PY39, PythonVersion::PY312]), unsafe_fixes in any::<bool>()) {
        let source = &generated.source;
        let text = source.strip_prefix('\u{feff}').unwrap_or(source);
        // Generated code that is not valid Python (a marker in a bad place) says nothing.
        prop_assume!(ruff_python_parser::parse_module(text).is_ok());

        let selection = common::selection(transforms::ALL, unsafe_fixes, target);
        let files = [("app.generated".to_string(), false, source.clone())];
        let outcome = common::fix_project_checked(&files, &selection).remove(0);
        prop_assert_eq!(&outcome.error, &None, "{}", source);
        let Some(fixed) = outcome.fixed else { return Ok(()) };

        prop_assert_eq!(fixed.starts_with('\u{feff}'), source.starts_with('\u{feff}'));
        prop_assert_eq!(fixed.ends_with('\n'), source.ends_with('\n'));
        if source.contains("\r\n") {
            prop_assert!(!fixed.replace("\r\n", "").contains('\n'), "a bare LF in a CRLF file:\n{fixed}");
        }
        // Every comment survives. `split-schemas` may carry a field's comment
        // into several new classes, and notes the alias it keeps; nothing
        // else adds one.
        let mut before = comments(source);
        let mut after = comments(&fixed);
        if fixed.contains("# kept for code outside the project") {
            for comment in &before {
                prop_assert!(after.contains(comment), "lost {}:\n{}", comment, fixed);
            }
            for comment in &after {
                prop_assert!(
                    before.contains(comment) || comment.starts_with("# kept for code outside the project"),
                    "added {}:\n{}", comment, fixed
                );
            }
        } else {
            before.sort();
            after.sort();
            prop_assert_eq!(before, after, "comments changed:\n{}", fixed);
        }

        // Check mode reports on the same text without changing anything.
        let checked = common::check_project(&files, &selection).remove(0);
        prop_assert!(checked.fixed.is_none());
        prop_assert!(!checked.findings.is_empty());
    }
}
