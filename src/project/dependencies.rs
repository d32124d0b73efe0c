//! What a project declares it depends on, read from its files: PEP 621's
//! `[project] dependencies`, Poetry's `[tool.poetry.dependencies]`, and
//! `requirements.txt` (or `requirements/base.txt`). Plans ask whether a
//! package is declared, which Pydantic the declarations pin, and how to
//! declare a package in the project's own way, its formatting kept.

use std::path::{Path, PathBuf};

use crate::project::plan::PlanContext;
use crate::python::app_settings::PydanticMajor;
use crate::text::files::{FileChange, TextEdit, TomlEdit, TomlValue};

/// A project's declared dependencies.
#[derive(Debug, Default)]
pub struct Declared {
    pyproject: PathBuf,
    /// `[project] dependencies`, when the table has the array.
    pep621: Option<Vec<String>>,
    /// `[tool.poetry.dependencies]`: name and version, when the table exists.
    poetry: Option<Vec<(String, String)>>,
    /// Requirement files and their lines.
    requirements: Vec<(PathBuf, Vec<String>)>,
}

/// A requirement's name, normalised: `Pydantic_Settings[x]>=2` → `pydantic-settings`.
pub fn requirement_name(requirement: &str) -> String {
    requirement
        .trim()
        .split(|c: char| "<>=!~[ ;@^".contains(c))
        .next()
        .unwrap_or_default()
        .to_lowercase()
        .replace('_', "-")
}

impl Declared {
    /// The declarations in `root`'s files.
    pub fn read(context: &PlanContext, root: &Path) -> Declared {
        let pyproject = root.join("pyproject.toml");
        let document =
            (context.read)(&pyproject).and_then(|text| text.parse::<toml_edit::DocumentMut>().ok());
        let pep621 = document.as_ref().and_then(|document| {
            let array = document.get("project")?.get("dependencies")?.as_array()?;
            Some(
                array
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_string))
                    .collect(),
            )
        });
        let poetry = document.as_ref().and_then(|document| {
            let table = document
                .get("tool")?
                .get("poetry")?
                .get("dependencies")?
                .as_table_like()?;
            Some(
                table
                    .iter()
                    .map(|(key, value)| {
                        let version = value
                            .as_str()
                            .map(str::to_string)
                            .or_else(|| {
                                value
                                    .as_table_like()
                                    .and_then(|inline| inline.get("version"))
                                    .and_then(|version| version.as_str())
                                    .map(str::to_string)
                            })
                            .unwrap_or_default();
                        (key.to_string(), version)
                    })
                    .collect(),
            )
        });
        let requirements = ["requirements.txt", "requirements/base.txt"]
            .iter()
            .filter_map(|name| {
                let path = root.join(name);
                let text = (context.read)(&path)?;
                let lines = text
                    .lines()
                    .map(str::trim)
                    .filter(|line| {
                        !line.is_empty() && !line.starts_with('#') && !line.starts_with('-')
                    })
                    .map(str::to_string)
                    .collect();
                Some((path, lines))
            })
            .collect();
        Declared {
            pyproject,
            pep621,
            poetry,
            requirements,
        }
    }

    /// Every requirement, as name and the rest (`>=2`, `^1.10`, `[all]>=0.1`).
    fn all(&self) -> Vec<(String, String)> {
        let split = |requirement: &str| {
            let name = requirement_name(requirement);
            let rest = requirement.trim()[name.len().min(requirement.trim().len())..].to_string();
            (name, rest)
        };
        let mut all: Vec<(String, String)> = Vec::new();
        for requirement in self.pep621.iter().flatten() {
            all.push(split(requirement));
        }
        for (name, version) in self.poetry.iter().flatten() {
            all.push((requirement_name(name), version.clone()));
        }
        for (_, lines) in &self.requirements {
            for line in lines {
                all.push(split(line));
            }
        }
        all
    }

    /// Whether some requirement is `name` (or, for `pydantic-settings`,
    /// `fastapi[all]`, which brings it).
    pub fn declares(&self, name: &str) -> bool {
        self.all().iter().any(|(declared, rest)| {
            declared == name
                || (name == "pydantic-settings"
                    && declared == "fastapi"
                    && rest.replace(' ', "").starts_with("[all"))
        })
    }

    /// Whether some requirement is `name` with `extra`: `pydantic[dotenv]`.
    pub fn declares_extra(&self, name: &str, extra: &str) -> bool {
        self.all().iter().any(|(declared, rest)| {
            declared == name
                && rest
                    .trim_start()
                    .strip_prefix('[')
                    .and_then(|rest| rest.split_once(']'))
                    .is_some_and(|(extras, _)| extras.split(',').any(|one| one.trim() == extra))
        })
    }

    /// Why the declarations rule out `requirement`, when a declared
    /// version of its package is older than it asks: `fastapi==0.68.0`
    /// against 0.95.
    pub fn rules_out(
        &self,
        requirement: &crate::project::transform::Requirement,
    ) -> Option<String> {
        self.all()
            .iter()
            .filter(|(name, _)| name == requirement.package)
            .find_map(|(name, specifier)| {
                below(specifier, requirement.at_least).then(|| {
                    let (major, minor) = requirement.at_least;
                    format!(
                        "the project pins `{name}{}`, and {} need {major}.{minor}",
                        specifier.trim(),
                        requirement.brings
                    )
                })
            })
    }

    /// The Pydantic the declarations pin, when they pin one.
    pub fn pydantic_major(&self) -> Option<PydanticMajor> {
        let all = self.all();
        let of = |wanted: &str| {
            all.iter()
                .filter(|(name, _)| name == wanted)
                .find_map(|(name, rest)| required_major(name, rest))
        };
        of("pydantic")
            .or_else(|| of("pydantic-settings"))
            .or_else(|| of("fastapi"))
    }

    /// The change that declares `requirement` (`pydantic-settings>=2`, with
    /// Poetry's `version` for Poetry) where the project declares the
    /// others: `None` when it is declared already; an error saying what to
    /// install when the project declares nothing.
    pub fn addition(
        &self,
        requirement: &str,
        poetry_version: &str,
    ) -> Result<Option<FileChange>, String> {
        let name = requirement_name(requirement);
        if self.declares(&name) {
            return Ok(None);
        }
        if self.pep621.is_some() {
            return Ok(Some(FileChange::Edit {
                path: self.pyproject.clone(),
                edit: TextEdit::Toml(vec![TomlEdit::AddToArray {
                    table: vec!["project".into()],
                    key: "dependencies".into(),
                    item: requirement.into(),
                }]),
            }));
        }
        if self.poetry.is_some() {
            return Ok(Some(FileChange::Edit {
                path: self.pyproject.clone(),
                edit: TextEdit::Toml(vec![TomlEdit::Set {
                    table: vec!["tool".into(), "poetry".into(), "dependencies".into()],
                    key: name,
                    value: TomlValue::String(poetry_version.into()),
                }]),
            }));
        }
        if let Some((path, _)) = self.requirements.first() {
            return Ok(Some(FileChange::Edit {
                path: path.clone(),
                edit: TextEdit::AppendLines(vec![requirement.into()]),
            }));
        }
        Err(format!(
            "install `{name}`: the project declares no dependencies"
        ))
    }
}

/// The major and minor of the first version in a text: `^0.92.1` → 0.92.
fn version(text: &str) -> Option<(u64, u64)> {
    let digits: String = text
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut parts = digits.split('.');
    Some((
        parts.next()?.parse().ok()?,
        parts
            .next()
            .and_then(|minor| minor.parse().ok())
            .unwrap_or(0),
    ))
}

/// The Pydantic a requirement pins, when it pins a major: `pydantic<2`,
/// `pydantic = "^1.10"`, `pydantic==0.26` are 1; `pydantic>=2` is 2; so is
/// FastAPI from 0.100 on, and FastAPI before it is 1.
pub fn required_major(name: &str, specifier: &str) -> Option<PydanticMajor> {
    let name = name.trim().to_lowercase().replace('_', "-");
    let specifier: String = specifier.chars().filter(|c| !c.is_whitespace()).collect();
    let first_number = version;
    let clauses: Vec<&str> = specifier
        .split(',')
        .filter(|clause| !clause.is_empty())
        .collect();
    let pins = |clause: &str| -> Option<(u64, u64)> {
        if clause.starts_with('>') || clause.starts_with('<') || clause.starts_with("!=") {
            return None;
        }
        first_number(clause)
    };
    match name.as_str() {
        "pydantic" | "pydantic-settings" => {
            for clause in &clauses {
                if let Some(bound) = clause.strip_prefix("<=") {
                    if first_number(bound)?.0 < 2 {
                        return Some(PydanticMajor::V1);
                    }
                } else if let Some(bound) = clause.strip_prefix('<') {
                    let (major, minor) = first_number(bound)?;
                    if major < 2 || (major == 2 && minor == 0) {
                        return Some(PydanticMajor::V1);
                    }
                } else if let Some(bound) = clause.strip_prefix(">=") {
                    if first_number(bound)?.0 >= 2 {
                        return Some(PydanticMajor::V2);
                    }
                } else if let Some((major, _)) = pins(clause) {
                    return Some(if major >= 2 {
                        PydanticMajor::V2
                    } else {
                        PydanticMajor::V1
                    });
                }
            }
            None
        }
        "fastapi" => {
            for clause in &clauses {
                if let Some((major, minor)) = pins(clause) {
                    return Some(if major > 0 || minor >= 100 {
                        PydanticMajor::V2
                    } else {
                        PydanticMajor::V1
                    });
                }
            }
            None
        }
        _ => None,
    }
}

/// Whether a version specifier allows only versions older than `least`:
/// `==0.68.0`, `^0.92` and `~=0.90.1` (pinned series), `<0.95` or
/// `<=0.94`. Open or unreadable specifiers allow it.
fn below(specifier: &str, least: (u64, u64)) -> bool {
    let specifier: String = specifier.chars().filter(|c| !c.is_whitespace()).collect();
    let specifier = specifier
        .split_once(']')
        .map_or(specifier.as_str(), |(_, rest)| rest);
    specifier.split(',').any(|clause| {
        let bounded = |operator: &str, strict: bool| {
            clause
                .strip_prefix(operator)
                .and_then(version)
                .is_some_and(|bound| {
                    if strict {
                        bound <= least
                    } else {
                        bound < least
                    }
                })
        };
        if clause.starts_with(">") || clause.starts_with("!=") {
            return false;
        }
        bounded("==", false)
            || bounded("~=", false)
            || bounded("^", false)
            || bounded("<=", false)
            || (!clause.starts_with("<=") && bounded("<", true))
            || (clause.starts_with('~') && !clause.starts_with("~=") && bounded("~", false))
            || (clause.chars().next().is_some_and(|c| c.is_ascii_digit())
                && version(clause).is_some_and(|bound| bound < least))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_that_rule_a_requirement_out() {
        for specifier in [
            "==0.68.0",
            "^0.92.0",
            "~=0.90.1",
            "<0.95",
            "<=0.94.1",
            ">=0.60,<0.90",
            "0.88.0",
            "[all]==0.70",
        ] {
            assert!(below(specifier, (0, 95)), "{specifier}");
        }
        for specifier in [
            "",
            ">=0.60",
            "==0.110.0",
            "^0.115",
            "<1",
            ">=0.95",
            "*",
            "<0.96",
        ] {
            assert!(!below(specifier, (0, 95)), "{specifier}");
        }
    }

    #[test]
    fn names_and_pinned_majors() {
        assert_eq!(
            requirement_name("Pydantic_Settings[x]>=2"),
            "pydantic-settings"
        );
        assert_eq!(requirement_name("fastapi"), "fastapi");
        assert_eq!(required_major("pydantic", "<2"), Some(PydanticMajor::V1));
        assert_eq!(required_major("pydantic", "^0.26"), Some(PydanticMajor::V1));
        assert_eq!(
            required_major("pydantic", "==1.10.2"),
            Some(PydanticMajor::V1)
        );
        assert_eq!(required_major("pydantic", ">=2.5"), Some(PydanticMajor::V2));
        assert_eq!(required_major("pydantic", "^2.4"), Some(PydanticMajor::V2));
        assert_eq!(required_major("pydantic", ">=1.8,<3"), None);
        assert_eq!(
            required_major("fastapi", "==0.95.1"),
            Some(PydanticMajor::V1)
        );
        assert_eq!(required_major("fastapi", "^0.110"), Some(PydanticMajor::V2));
        assert_eq!(required_major("fastapi", ">=0.110"), None);
        assert_eq!(required_major("fastapi", ""), None);
    }
}
