//! `[tool.fastapi-codemod]` in the nearest `pyproject.toml`, read once per
//! directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use globset::{Glob, GlobSet, GlobSetBuilder};
use ruff_python_ast::PythonVersion;

use super::args::parse_target_version;

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
    /// `[tool.fastapi-codemod.dependency-aliases] min-uses`.
    pub alias_min_uses: Option<usize>,
    /// `[tool.fastapi-codemod.blocking-in-async] executor-style`.
    pub executor_style: Option<crate::transform::ExecutorStyle>,
    /// `[tool.fastapi-codemod.blocking-in-async] blocking-calls`.
    pub blocking_calls: Vec<String>,
    /// `[tool.fastapi-codemod.split-schemas] secret-fields`: more field
    /// names (or `*_suffix` / `prefix_*` patterns) that hold secrets.
    pub secret_fields: Vec<String>,
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
    /// `--config FILE`: one configuration for everything.
    fixed: Option<Result<ProjectConfig, String>>,
    by_directory: HashMap<PathBuf, Option<Result<ProjectConfig, String>>>,
}

impl ConfigResolver {
    pub fn new(config_file: Option<&Path>) -> Self {
        let fixed = config_file.map(|file| {
            load(file)
                .map(|loaded| loaded.config)
                .map_err(|error| format!("{error:#}"))
        });
        ConfigResolver {
            fixed,
            by_directory: HashMap::new(),
        }
    }

    /// The configuration for a file: `--config`, else the nearest
    /// `pyproject.toml` with a `[tool.fastapi-codemod]` table (or, failing
    /// that, the nearest with `requires-python`). An error names the broken file.
    pub fn for_file(&mut self, file: &Path) -> Option<Result<ProjectConfig, String>> {
        if let Some(fixed) = &self.fixed {
            return Some(fixed.clone());
        }
        let directory = absolute(file)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        self.for_directory(&directory)
    }

    fn for_directory(&mut self, directory: &Path) -> Option<Result<ProjectConfig, String>> {
        if let Some(found) = self.by_directory.get(directory) {
            return found.clone();
        }
        let candidate = directory.join("pyproject.toml");
        let here = if candidate.is_file() {
            match load(&candidate) {
                Ok(config) if config.has_tool_table => Some(Ok(config.config)),
                Ok(config) => {
                    // No table of ours: keep looking up, but remember requires-python.
                    let above = directory
                        .parent()
                        .and_then(|parent| self.for_directory(parent));
                    match above {
                        Some(found) => Some(found),
                        None if config.config.target_version.is_some() => Some(Ok(config.config)),
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

fn load(file: &Path) -> Result<Loaded> {
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
            "dependency-aliases" if value.is_table() => {
                for (option, setting) in value.as_table().into_iter().flatten() {
                    let context = || {
                        format!(
                            "{}: [tool.fastapi-codemod.dependency-aliases] {option}",
                            file.display()
                        )
                    };
                    match option.as_str() {
                        "min-uses" => {
                            let uses = setting.as_integer().filter(|uses| *uses >= 1);
                            let uses = uses
                                .context("expected a whole number of at least 1")
                                .with_context(context)?;
                            config.alias_min_uses = usize::try_from(uses).ok();
                        }
                        other => bail!(
                            "{}: unknown option `{other}` in [tool.fastapi-codemod.dependency-aliases]",
                            file.display()
                        ),
                    }
                }
            }
            "blocking-in-async" if value.is_table() => {
                for (option, setting) in value.as_table().into_iter().flatten() {
                    let context = || {
                        format!(
                            "{}: [tool.fastapi-codemod.blocking-in-async] {option}",
                            file.display()
                        )
                    };
                    match option.as_str() {
                        "executor-style" => {
                            let style = setting
                                .as_str()
                                .and_then(crate::transform::ExecutorStyle::parse);
                            let style = style
                                .context(
                                    "expected \"run_in_executor\", \"to_thread\" or \"threadpool\"",
                                )
                                .with_context(context)?;
                            config.executor_style = Some(style);
                        }
                        "blocking-calls" => {
                            config.blocking_calls = string_list(setting).with_context(context)?
                        }
                        other => bail!(
                            "{}: unknown option `{other}` in [tool.fastapi-codemod.blocking-in-async]",
                            file.display()
                        ),
                    }
                }
            }
            "split-schemas" if value.is_table() => {
                for (option, setting) in value.as_table().into_iter().flatten() {
                    let context = || {
                        format!(
                            "{}: [tool.fastapi-codemod.split-schemas] {option}",
                            file.display()
                        )
                    };
                    match option.as_str() {
                        "secret-fields" => {
                            config.secret_fields = string_list(setting).with_context(context)?
                        }
                        other => bail!(
                            "{}: unknown option `{other}` in [tool.fastapi-codemod.split-schemas]",
                            file.display()
                        ),
                    }
                }
            }
            // Per-transform option tables, e.g. [tool.fastapi-codemod.blocking-in-async].
            name if value.is_table() && crate::transforms::by_name(name).is_some() => {}
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
