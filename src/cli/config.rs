//! `[tool.fastapi-codemod]` in the nearest `pyproject.toml`, read once per
//! directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use globset::{Glob, GlobSet, GlobSetBuilder};
use ruff_python_ast::PythonVersion;

use super::args::parse_target_version;
use super::path_map::PathMap;
use crate::project::transform::{Settings, Transform};

/// The settings of one `pyproject.toml`.
#[derive(Debug, Clone, Default)]
pub struct ProjectConfig {
    /// The directory holding the `pyproject.toml` (exclude patterns are relative to it).
    pub root: PathBuf,
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub exclude: Option<GlobSet>,
    /// `target-version`, or the lower bound of `[project] requires-python`.
    pub target_version: Option<PythonVersion>,
    /// `line-length`, or `[tool.ruff]` / `[tool.black]`'s.
    pub line_length: Option<usize>,
    /// What transforms read from their `[tool.fastapi-codemod.NAME]` tables.
    pub settings: Settings,
}

impl ProjectConfig {
    /// Whether a path under this project matches an `exclude` pattern.
    pub fn is_excluded(&self, path: &Path) -> bool {
        let Some(exclude) = &self.exclude else {
            return false;
        };
        let absolute = absolute(path);
        let Ok(relative) = absolute.strip_prefix(&self.root) else {
            return false;
        };
        relative
            .ancestors()
            .any(|part| !part.as_os_str().is_empty() && exclude.is_match(part))
    }
}

/// Finds and caches the configuration that applies to each directory.
#[derive(Debug, Default)]
pub struct ConfigResolver {
    /// The transforms whose tables a configuration may hold.
    catalogue: &'static [&'static Transform],
    /// `--config FILE`: one configuration for everything.
    fixed: Option<Result<Arc<ProjectConfig>, String>>,
    /// Shared, not copied: a run has many directories and few configurations.
    by_directory: PathMap<Option<Result<Arc<ProjectConfig>, String>>>,
}

impl ConfigResolver {
    pub fn new(config_file: Option<&Path>, catalogue: &'static [&'static Transform]) -> Self {
        let fixed = config_file.map(|file| {
            load(file, catalogue)
                .map(|loaded| Arc::new(loaded.config))
                .map_err(|error| format!("{error:#}"))
        });
        ConfigResolver {
            catalogue,
            fixed,
            by_directory: PathMap::default(),
        }
    }

    /// The configuration for a file: `--config`, else the nearest
    /// `pyproject.toml` with a `[tool.fastapi-codemod]` table (or, failing
    /// that, the nearest with `requires-python`). An error names the broken file.
    pub fn for_file(&mut self, file: &Path) -> Option<Result<Arc<ProjectConfig>, String>> {
        if let Some(fixed) = &self.fixed {
            return Some(fixed.clone());
        }
        let directory = absolute(file)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        self.for_directory(&directory)
    }

    fn for_directory(&mut self, directory: &Path) -> Option<Result<Arc<ProjectConfig>, String>> {
        if let Some(found) = self.by_directory.get(directory) {
            return found.clone();
        }
        let candidate = directory.join("pyproject.toml");
        let here = if candidate.is_file() {
            match load(&candidate, self.catalogue) {
                Ok(config) if config.has_tool_table => Some(Ok(Arc::new(config.config))),
                Ok(config) => {
                    // No table of ours: keep looking up, but remember requires-python.
                    let above = directory
                        .parent()
                        .and_then(|parent| self.for_directory(parent));
                    match above {
                        Some(found) => Some(found),
                        None if config.config.target_version.is_some() => {
                            Some(Ok(Arc::new(config.config)))
                        }
                        None => None,
                    }
                }
                Err(error) => Some(Err(format!("{error:#}"))),
            }
        } else {
            directory
                .parent()
                .and_then(|parent| self.for_directory(parent))
        };
        self.by_directory
            .insert(directory.to_path_buf(), here.clone());
        here
    }
}

struct Loaded {
    config: ProjectConfig,
    has_tool_table: bool,
}

fn load(file: &Path, catalogue: &[&Transform]) -> Result<Loaded> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("{}: cannot read", file.display()))?;
    let document: toml::Table =
        toml::from_str(&text).with_context(|| format!("{}: invalid TOML", file.display()))?;
    let root = absolute(file)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut config = ProjectConfig {
        root,
        ..ProjectConfig::default()
    };

    let requires_python = document
        .get("project")
        .and_then(|project| project.get("requires-python"))
        .and_then(toml::Value::as_str);
    // Poetry projects say it as a dependency on `python`.
    let poetry_python = document
        .get("tool")
        .and_then(|tool| tool.get("poetry"))
        .and_then(|poetry| poetry.get("dependencies"))
        .and_then(|dependencies| dependencies.get("python"))
        .and_then(toml::Value::as_str);
    config.target_version = requires_python.or(poetry_python).and_then(lower_bound);
    let tool_line_length = |tool: &str| {
        document
            .get("tool")
            .and_then(|tools| tools.get(tool))
            .and_then(|table| table.get("line-length"))
    };
    config.line_length = tool_line_length("ruff")
        .or_else(|| tool_line_length("black"))
        .and_then(toml::Value::as_integer)
        .and_then(|length| usize::try_from(length).ok());

    let table = document
        .get("tool")
        .and_then(|tool| tool.get("fastapi-codemod"));
    let Some(table) = table else {
        return Ok(Loaded {
            config,
            has_tool_table: false,
        });
    };
    let table = table
        .as_table()
        .with_context(|| format!("{}: [tool.fastapi-codemod] is not a table", file.display()))?;
    for (key, value) in table {
        let context = || format!("{}: [tool.fastapi-codemod] {key}", file.display());
        match key.as_str() {
            "select" => config.select = Some(string_list(value).with_context(context)?),
            "ignore" => config.ignore = string_list(value).with_context(context)?,
            "exclude" => {
                let mut builder = GlobSetBuilder::new();
                for pattern in string_list(value).with_context(context)? {
                    builder.add(Glob::new(&pattern).with_context(context)?);
                }
                config.exclude = Some(builder.build().with_context(context)?);
            }
            "line-length" => {
                let length = value.as_integer().filter(|length| *length > 0);
                let length = length
                    .context("expected a positive whole number")
                    .with_context(context)?;
                config.line_length = usize::try_from(length).ok();
            }
            "target-version" => {
                let text = value
                    .as_str()
                    .context("expected a string such as \"py310\"")
                    .with_context(context)?;
                let version = parse_target_version(text)
                    .map_err(anyhow::Error::msg)
                    .with_context(context)?;
                config.target_version = Some(version.0);
            }
            // A transform's own table: it reads its options itself.
            name if value.is_table() => {
                let Some(transform) = catalogue.iter().find(|transform| transform.name == name)
                else {
                    bail!(
                        "{}: unknown key `{name}` in [tool.fastapi-codemod]",
                        file.display()
                    );
                };
                let table = value.as_table().expect("checked to be a table");
                match transform.configure {
                    Some(configure) => {
                        configure(table, &mut config.settings).map_err(|message| {
                            anyhow::anyhow!(
                                "{}: [tool.fastapi-codemod.{name}] {message}",
                                file.display()
                            )
                        })?
                    }
                    None if table.is_empty() => {}
                    None => bail!(
                        "{}: [tool.fastapi-codemod.{name}] `{name}` has no options",
                        file.display()
                    ),
                }
            }
            other => bail!(
                "{}: unknown key `{other}` in [tool.fastapi-codemod]",
                file.display()
            ),
        }
    }
    Ok(Loaded {
        config,
        has_tool_table: true,
    })
}

fn string_list(value: &toml::Value) -> Result<Vec<String>> {
    let array = value.as_array().context("expected a list of strings")?;
    array
        .iter()
        .map(|item| {
            item.as_str()
                .map(String::from)
                .context("expected a list of strings")
        })
        .collect()
}

/// The lowest Python version a `requires-python` specifier allows, e.g.
/// `>=3.8,<4` → 3.8.
fn lower_bound(specifier: &str) -> Option<PythonVersion> {
    specifier
        .split(',')
        .map(str::trim)
        .filter_map(|part| {
            [">=", "~=", "==", "^", "~"]
                .iter()
                .find_map(|operator| part.strip_prefix(operator))
        })
        .filter_map(|version| {
            let mut numbers = version.trim().split('.');
            let major: u8 = numbers.next()?.parse().ok()?;
            let minor: u8 = numbers
                .next()
                .and_then(|minor| minor.trim_end_matches('*').parse().ok())
                .unwrap_or(0);
            (major == 3).then_some(PythonVersion { major, minor })
        })
        .min()
}

pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_python_lower_bound() {
        assert_eq!(lower_bound(">=3.8,<4"), Some(PythonVersion::PY38));
        assert_eq!(lower_bound(">= 3.10"), Some(PythonVersion::PY310));
        assert_eq!(lower_bound("~=3.11.2"), Some(PythonVersion::PY311));
        assert_eq!(lower_bound("<4"), None);
        assert_eq!(lower_bound("^3.8"), Some(PythonVersion::PY38));
        assert_eq!(lower_bound("~3.10"), Some(PythonVersion::PY310));
    }
}
