//! What every scenario reports: a table on standard output and the same figures as JSON in
//! the output directory, with the machine and the date, so a number in BENCHMARKS.md can be
//! traced to the run that measured it.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;
use serde_json::{Value, json};

/// Latencies of one load, and how many operations per second it sustained.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Throughput {
    pub(crate) operations: u64,
    pub(crate) failed: u64,
    pub(crate) seconds: f64,
    pub(crate) per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub(crate) max_ms: f64,
}

impl Throughput {
    /// The table cells every scenario shows for a load: per second, then p50, p95, p99 (ms).
    pub(crate) fn cells(&self) -> [String; 4] {
        [
            format!("{:.0}", self.per_second),
            format!("{:.2}", self.p50_ms),
            format!("{:.2}", self.p95_ms),
            format!("{:.2}", self.p99_ms),
        ]
    }

    pub(crate) fn from_latencies(
        mut latencies: Vec<Duration>,
        failed: u64,
        elapsed: Duration,
    ) -> Self {
        latencies.sort_unstable();
        let seconds = elapsed.as_secs_f64();
        let operations = latencies.len() as u64;
        Self {
            operations,
            failed,
            seconds,
            per_second: if seconds > 0.0 {
                operations as f64 / seconds
            } else {
                0.0
            },
            p50_ms: percentile(&latencies, 0.50),
            p95_ms: percentile(&latencies, 0.95),
            p99_ms: percentile(&latencies, 0.99),
            max_ms: latencies.last().map_or(0.0, millis),
        }
    }
}

/// The nearest-rank percentile, in milliseconds.
pub(crate) fn percentile(sorted: &[Duration], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((quantile * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    millis(&sorted[rank - 1])
}

fn millis(duration: &Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Peak resident set size of a process (`VmHWM`), in MiB; `None` once it has gone.
pub(crate) fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let kib: f64 = line
            .strip_prefix("VmHWM:")?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    })
}

/// The figures of one scenario: printed as a table and written to `<out>/<scenario>.json`.
pub(crate) struct Report {
    scenario: &'static str,
    parameters: Value,
    columns: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    results: Vec<Value>,
    summary: serde_json::Map<String, Value>,
}

impl Report {
    pub(crate) fn new(
        scenario: &'static str,
        parameters: Value,
        columns: Vec<&'static str>,
    ) -> Self {
        Self {
            scenario,
            parameters,
            columns,
            rows: Vec::new(),
            results: Vec::new(),
            summary: serde_json::Map::new(),
        }
    }

    /// One line of the table, and its figures in the JSON.
    pub(crate) fn row(&mut self, cells: Vec<String>, result: Value) {
        self.rows.push(cells);
        self.results.push(result);
    }

    /// A headline figure (a ratio, a peak RSS) under `summary`.
    pub(crate) fn summary(&mut self, key: &str, value: Value) {
        self.summary.insert(key.to_owned(), value);
    }

    /// Prints the table and writes the JSON; returns the JSON's path.
    pub(crate) fn finish(self, out: &Path) -> anyhow::Result<std::path::PathBuf> {
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.len()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.len());
            }
        }
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:>width$}"))
                .collect::<Vec<_>>()
                .join("  ")
        };
        let mut lines = vec![
            String::new(),
            format!("== {} ==", self.scenario),
            line(self.columns.iter().map(|c| (*c).to_owned()).collect()),
        ];
        lines.extend(self.rows.iter().cloned().map(line));
        for (key, value) in &self.summary {
            lines.push(format!("{key}: {value}"));
        }
        crate::say(&lines.join("\n"));

        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let path = out.join(format!("{}.json", self.scenario));
        let document = json!({
            "scenario": self.scenario,
            "date": chrono::Utc::now().to_rfc3339(),
            "machine": machine(),
            "parameters": self.parameters,
            "results": self.results,
            "summary": self.summary,
        });
        std::fs::write(&path, serde_json::to_vec_pretty(&document)?)
            .with_context(|| format!("writing {}", path.display()))?;
        crate::say(&format!("report: {}", path.display()));
        Ok(path)
    }
}

/// What the figures were measured on.
fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|name| name.trim_start_matches([' ', '\t', ':']).to_owned())
        });
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let kib: f64 = info
                .lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()?;
            Some((kib / 1024.0 / 1024.0 * 10.0).round() / 10.0)
        });
    json!({
        "cpus": std::thread::available_parallelism().map_or(0, usize::from),
        "cpu": cpu,
        "memory_gib": memory_gib,
        "os": std::env::consts::OS,
    })
}
