//! The progress of a long command a person waits for (seeding the demo, a view's rebuild, a
//! benchmark's load). On a terminal it is one line that redraws itself (`indicatif`); written
//! to a file or a CI log it is a plain log line every few seconds, with no control characters,
//! so a log keeps a readable record of how the work went.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the plain line is written when standard error is not a terminal, by default.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// The bar on the terminal now, if any: log lines written meanwhile hide it, print, and draw
/// it again ([`suspended`]), rather than tearing it.
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Runs `write` (a log line to standard error) with the bar, if one is shown, out of its way.
pub fn suspended<R>(write: impl FnOnce() -> R) -> R {
    let shown = SHOWN.lock().ok().and_then(|shown| shown.clone());
    match shown {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// One piece of long work's progress.
pub struct Progress {
    what: String,
    bar: Option<ProgressBar>,
    /// The number of steps, when known.
    total: Option<u64>,
    started: Instant,
    last_plain: Instant,
    plain_every: Duration,
    /// Where a plain line goes: the log, unless the caller prints its own (the bench).
    plain: fn(&str),
    /// The last step's plain line is written (once).
    said_last: bool,
}

fn log_line(line: &str) {
    tracing::info!("{line}");
}

impl Progress {
    /// Progress of `what` (say "seeding the demo") out of `total` steps, when known; a bar on
    /// a terminal, plain lines otherwise.
    pub fn new(what: impl Into<String>, total: Option<u64>) -> Self {
        let what = what.into();
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr_with_hz(4));
            bar.set_style(style(total.is_some()));
            bar.set_prefix(what.clone());
            if let Ok(mut shown) = SHOWN.lock() {
                *shown = Some(bar.clone());
            }
            bar
        });
        let now = Instant::now();
        Self {
            what,
            bar,
            total,
            started: now,
            last_plain: now,
            plain_every: PLAIN_EVERY,
            plain: log_line,
            said_last: false,
        }
    }

    /// Plain lines through `plain`, every `every`, rather than a log line every 10 s.
    pub fn plain(mut self, plain: fn(&str), every: Duration) -> Self {
        self.plain = plain;
        self.plain_every = every;
        self
    }

    /// Whether progress is drawn on a terminal (else it is logged).
    pub fn on_terminal(&self) -> bool {
        self.bar.is_some()
    }

    /// Seconds since it started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// `done` steps so far, and what to say beside them (only made when it will be shown).
    pub fn set(&mut self, done: u64, message: impl FnOnce() -> String) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(done);
                bar.set_message(message());
            }
            // Every few seconds, and the last step once.
            None => {
                let last = self.total.is_some_and(|total| done >= total);
                if (last && !self.said_last) || self.last_plain.elapsed() >= self.plain_every {
                    self.said_last |= last;
                    self.last_plain = Instant::now();
                    (self.plain)(&format!("{}: {}", self.what, message()));
                }
            }
        }
    }

    /// The number of steps, once it is known (or when it changes).
    pub fn set_total(&mut self, total: u64) {
        self.total = Some(total);
        if let Some(bar) = &self.bar
            && bar.length() != Some(total)
        {
            if bar.length().is_none() {
                bar.set_style(style(true));
            }
            bar.set_length(total);
        }
    }

    /// Clears the bar: what follows (the summary) is printed on a clean line.
    pub fn finish(self) {}
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            if let Ok(mut shown) = SHOWN.lock() {
                *shown = None;
            }
            bar.finish_and_clear();
        }
    }
}

/// A bar when the number of steps is known, a spinner when it is not.
fn style(counted: bool) -> ProgressStyle {
    if counted {
        ProgressStyle::with_template("{prefix}: [{bar:20}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
    } else {
        ProgressStyle::with_template("{prefix}: {spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
    }
}

/// Per second, over `elapsed`, as a whole number for a person to read.
pub fn rate(count: u64, elapsed: Duration) -> u64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        (count as f64 / seconds).round() as u64
    } else {
        0
    }
}
