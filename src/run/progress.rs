//! The progress bar of `myelin run`: simulated time of every simulation (protocols and search
//! trials), shown on stderr only when it is a terminal and the run has lasted more than a
//! second, so that short runs and logs stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// The bar (hidden until it is worth showing).
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
    enabled: bool,
}

impl Progress {
    /// A hidden bar; `quiet` keeps it hidden for good.
    pub fn new(quiet: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} ms simulated  {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress {
            bar,
            started: Instant::now(),
            shown: false,
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// A simulation of `ms` starts.
    pub fn start(&mut self, label: &str, ms: f64) {
        self.bar.inc_length(ms.round() as u64);
        self.bar.set_message(label.to_string());
        self.maybe_show();
    }

    /// `ms` more were simulated.
    pub fn advance(&mut self, ms: f64) {
        self.bar.inc(ms.round() as u64);
        self.maybe_show();
    }

    fn maybe_show(&mut self) {
        if self.enabled && !self.shown && self.started.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Prints a warning on stderr.
pub fn warn(msg: &str) {
    eprintln!("{msg}");
}
