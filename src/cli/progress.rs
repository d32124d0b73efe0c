//! The progress bar of a long run: files looked at out of all, elapsed
//! time and rate, on standard error. It appears only once a run has taken
//! longer than a moment, only on a terminal, and never with `--quiet`,
//! a document format, or `--interactive`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::project::run::Progress;

/// How long a run goes before its bar appears (`FASTAPI_CODEMOD_PROGRESS_DELAY_MS`
/// changes it, for tests).
const DELAY: Duration = Duration::from_millis(300);

/// A run's bar, hidden until it has taken longer than a moment.
pub struct RunProgress {
    bar: ProgressBar,
    started: Instant,
    delay: Duration,
    shown: AtomicBool,
}

impl RunProgress {
    /// A bar over `total` files, when one may be drawn at all.
    pub fn new(total: usize, wanted: bool) -> Option<RunProgress> {
        if !wanted || !std::io::stderr().is_terminal() || total == 0 {
            return None;
        }
        let delay = std::env::var("FASTAPI_CODEMOD_PROGRESS_DELAY_MS")
            .ok()
            .and_then(|text| text.parse().ok())
            .map_or(DELAY, Duration::from_millis);
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {pos}/{len} files [{bar:24}] {elapsed} · {rate} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{:.0} files/s", state.per_sec());
                },
            )
            .progress_chars("=> "),
        );
        Some(RunProgress {
            bar,
            started: Instant::now(),
            delay,
            shown: AtomicBool::new(false),
        })
    }

    /// The bar, for printing around it.
    pub fn bar(&self) -> ProgressBar {
        self.bar.clone()
    }

    /// The package now running.
    pub fn package(&self, name: &str) {
        self.bar.set_prefix(name.to_string());
        self.bar.set_message(format!("· {name}"));
        self.reveal();
    }

    /// Removes the bar, before the summary.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn reveal(&self) {
        if !self.shown.load(Ordering::Relaxed)
            && self.started.elapsed() >= self.delay
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(100));
        }
    }
}

impl Progress for RunProgress {
    fn indexed(&self) {
        self.bar.inc(1);
        self.reveal();
    }

    fn fixing(&self, done: usize, total: usize) {
        if total > 0 {
            let package = self.bar.prefix();
            self.bar
                .set_message(format!("· {package} · fixing {done}/{total}"));
        }
        self.reveal();
    }
}
