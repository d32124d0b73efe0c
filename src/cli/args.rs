//! The command line's arguments, as clap parses them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "fastapi-codemod",
    version,
    about = "Rewrites FastAPI codebases toward current best practices, as reviewable diffs",
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print unified diffs of what would change; change nothing.
    Diff {
        #[command(flatten)]
        run: RunArgs,
        /// Exit with status 1 if any file would change.
        #[arg(long)]
        exit_code: bool,
    },
    /// Write the changes back to the files, atomically.
    Apply {
        #[command(flatten)]
        run: RunArgs,
        /// Also write files that have uncommitted changes or are not tracked by git.
        #[arg(long)]
        allow_dirty: bool,
        /// Show each fix and ask whether to apply it: [y]es, [n]o, [a]ll of
        /// this transform, [q]uit. Writes only what was accepted.
        #[arg(long, short = 'i')]
        interactive: bool,
        /// Exit with status 1 when any file was changed (for pre-commit).
        #[arg(long)]
        exit_non_zero_on_fix: bool,
    },
    /// Print one line per finding; exit 1 if there are any.
    Check {
        #[command(flatten)]
        run: RunArgs,
    },
    /// List every transform: name, safety, summary.
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Print a transform's documentation with its before/after example.
    Explain {
        /// The transform's name, as `list` prints it.
        name: String,
    },
    /// Run as a language server over standard input and output: findings
    /// as you type and their fixes as code actions, in any editor with an
    /// LSP client.
    Server,
}

/// Options shared by `diff`, `apply` and `check`.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Files or directories to process [default: .]
    pub paths: Vec<PathBuf>,
    /// Run only these transforms (comma-separated; `ALL` adds opt-in ones).
    #[arg(long, value_delimiter = ',')]
    pub select: Option<Vec<String>>,
    /// Never run these transforms (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Also apply fixes marked unsafe.
    #[arg(long = "unsafe")]
    pub unsafe_fixes: bool,
    /// Output format: `sarif` for GitHub code scanning, `gitlab` for GitLab code quality.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Colour diffs and findings: `auto` does on a terminal, unless `NO_COLOR` is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print no progress bar and no summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Fix and write only the files of shard I of N (for CI matrices); the
    /// whole project is still read, so every shard decides alike.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Leave out files that the configuration's `exclude` matches even when
    /// named on the command line (as pre-commit names them).
    #[arg(long)]
    pub force_exclude: bool,
    /// Use this pyproject.toml for every file instead of the nearest one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Worker threads [default: the number of cores]
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// The oldest Python the code must run on (py38 … py314).
    #[arg(long, value_parser = parse_target_version)]
    pub target_version: Option<TargetVersion>,
    /// Read one file from standard input, treated as NAME, and write the result to standard output.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Github,
    Sarif,
    Gitlab,
}

impl OutputFormat {
    /// Whether the output is a document for machines (no progress bar, no summary).
    pub fn is_document(self) -> bool {
        matches!(
            self,
            OutputFormat::Json | OutputFormat::Sarif | OutputFormat::Gitlab
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `--shard I/N`: the I-th of N shards, one-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let invalid = || format!("invalid shard `{text}`; expected I/N with 1 <= I <= N, such as 2/4");
    let (index, count) = text.split_once('/').ok_or_else(invalid)?;
    let index: u64 = index.trim().parse().map_err(|_| invalid())?;
    let count: u64 = count.trim().parse().map_err(|_| invalid())?;
    if index == 0 || count == 0 || index > count {
        return Err(invalid());
    }
    Ok(Shard { index, count })
}

/// A Python version as `py39` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetVersion(pub ruff_python_ast::PythonVersion);

pub fn parse_target_version(text: &str) -> Result<TargetVersion, String> {
    let digits = text.strip_prefix("py").unwrap_or(text).replace('.', "");
    let minor = digits
        .strip_prefix('3')
        .and_then(|minor| minor.parse::<u8>().ok())
        .filter(|minor| (7..=15).contains(minor))
        .ok_or_else(|| format!("unknown Python version `{text}`; expected one of py38 … py314"))?;
    Ok(TargetVersion(ruff_python_ast::PythonVersion {
        major: 3,
        minor,
    }))
}
