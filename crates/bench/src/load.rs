//! Driving a load: closed loops (each worker starts its next operation when the last one
//! answered), or an open loop at a fixed rate, collecting each operation's latency.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::report::Throughput;

pub(crate) use vern::demo::Rng;

/// Zipf-distributed ranks in [0, n): rank k has weight 1 / (k + 1)^s. A few streams are hot,
/// most are written once or twice, as case streams are.
pub(crate) struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub(crate) fn new(n: usize, exponent: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..n.max(1))
            .map(|k| {
                total += 1.0 / ((k + 1) as f64).powf(exponent);
                total
            })
            .collect::<Vec<_>>();
        Self {
            cumulative: cumulative.into_iter().map(|c| c / total).collect(),
        }
    }

    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cumulative
            .partition_point(|&c| c < u)
            .min(self.cumulative.len() - 1)
    }
}

/// What one worker of a load measured. A worker runs until [`Recorder::running`] says stop.
pub(crate) struct Recorder {
    stop: Arc<AtomicBool>,
    latencies: Vec<Duration>,
    failed: u64,
    /// Each failure's message, the first few, for the report.
    errors: Vec<String>,
}

impl Recorder {
    pub(crate) fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }

    /// Runs one operation and records its latency, or its failure.
    pub(crate) async fn time<T>(
        &mut self,
        operation: impl Future<Output = anyhow::Result<T>>,
    ) -> Option<T> {
        let begun = Instant::now();
        match operation.await {
            Ok(value) => {
                self.latencies.push(begun.elapsed());
                Some(value)
            }
            Err(error) => {
                self.failed += 1;
                if self.errors.len() < 3 {
                    self.errors.push(format!("{error:#}"));
                }
                None
            }
        }
    }
}

/// Runs `count` workers for `duration`: `body(worker, recorder)` loops while the recorder
/// is running and hands it back. Returns what they measured together.
pub(crate) async fn workers<F, Fut>(count: usize, duration: Duration, body: F) -> Throughput
where
    F: Fn(usize, Recorder) -> Fut,
    Fut: Future<Output = Recorder> + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..count)
        .map(|worker| {
            tokio::spawn(body(
                worker,
                Recorder {
                    stop: stop.clone(),
                    latencies: Vec::new(),
                    failed: 0,
                    errors: Vec::new(),
                },
            ))
        })
        .collect();
    // On a terminal only: in a log, a line every few seconds of a timed load says nothing.
    let mut progress = Progress::on_terminal_only("load");
    let seconds = duration.as_secs();
    while started.elapsed() < duration {
        let elapsed = started.elapsed().as_secs().min(seconds);
        progress.tick(elapsed, seconds);
        let left = duration.saturating_sub(started.elapsed());
        tokio::time::sleep(left.min(Duration::from_millis(250))).await;
    }
    progress.tick(seconds, seconds);
    drop(progress);
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    let mut failed = 0;
    let mut errors = Vec::new();
    for task in tasks {
        if let Ok(mut done) = task.await {
            latencies.append(&mut done.latencies);
            failed += done.failed;
            errors.append(&mut done.errors);
        }
    }
    let elapsed = started.elapsed();
    if let Some(first) = errors.first() {
        crate::say(&format!("  {failed} failed; the first: {first}"));
    }
    Throughput::from_latencies(latencies, failed, elapsed)
}

/// `workers` whose body is one operation repeated: `operation(worker, sequence)`.
pub(crate) async fn closed_loop<F, Fut>(
    count: usize,
    duration: Duration,
    operation: F,
) -> Throughput
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let operation = Arc::new(operation);
    workers(count, duration, move |worker, mut recorder| {
        let operation = operation.clone();
        async move {
            let mut sequence = 0u64;
            while recorder.running() {
                recorder.time(operation(worker, sequence)).await;
                sequence += 1;
            }
            recorder
        }
    })
    .await
}

/// A long step's progress for the person running the bench: a bar on a terminal, a printed
/// line every few seconds otherwise (`vern::progress`).
pub(crate) struct Progress(vern::progress::Progress);

impl Progress {
    pub(crate) fn new(what: impl Into<String>) -> Self {
        Self(vern::progress::Progress::new(what, None).plain(crate::say, Duration::from_secs(3)))
    }

    /// A bar on a terminal, nothing elsewhere.
    pub(crate) fn on_terminal_only(what: impl Into<String>) -> Self {
        Self(vern::progress::Progress::new(what, None).plain(|_| {}, Duration::MAX))
    }

    pub(crate) fn tick(&mut self, done: u64, total: u64) {
        self.0.set_total(total);
        let seconds = self.0.elapsed().as_secs_f64();
        self.0.set(done, || {
            format!(
                "{done}/{total} ({:.0}%) in {seconds:.0} s",
                if total == 0 {
                    100.0
                } else {
                    done as f64 * 100.0 / total as f64
                }
            )
        });
    }
}
