//! `import`: `vern import history` of a generated history, its lines the example file's
//! lifecycle (`proto/vern/history/v1/example.jsonl`, eight steps of one report and its case)
//! repeated with fresh ids: the whole file into an empty database, then again (every line
//! already stored, as a run after a crash finds it).

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use serde_json::json;

use crate::Bench;
use crate::report::Report;

const EXAMPLE: &str = include_str!("../../../proto/vern/history/v1/example.jsonl");
/// The part of the example's line ids that each copy of the lifecycle replaces.
const EXAMPLE_IDS: &str = "0b6f4a52-8f0e-4c1e-9a43-0f0c3e";

/// `bench import`'s flags.
#[derive(clap::Args)]
pub(crate) struct Options {
    /// Lines of history (whole lifecycles of the example file's eight steps).
    #[arg(long, default_value_t = 100_000)]
    pub(crate) lines: usize,
}

pub(crate) async fn run(bench: &Bench, options: Options) -> anyhow::Result<()> {
    let (postgres, data_dir, out) = (&bench.postgres, &bench.data_dir, &bench.out);
    let file = data_dir.join("history.jsonl");
    let lines = write_history(&file, options.lines)?;
    let url = postgres.fresh_database("import").await?;
    let vern = crate::vern::binary()?;
    let mut report = Report::new(
        "import",
        json!({ "lines": lines }),
        vec!["run", "lines", "seconds", "lines/s"],
    );
    for run in ["into an empty database", "again (every line stored)"] {
        crate::say(&format!("import: {lines} lines, {run}"));
        let started = Instant::now();
        let output = tokio::process::Command::new(&vern)
            .args(["import", "history"])
            .arg(&file)
            .arg("--data-dir")
            .arg(data_dir.join("import-vern"))
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output()
            .await
            .context("running vern import history")?;
        let seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            output.status.success(),
            "vern import history failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let rate = lines as f64 / seconds;
        report.row(
            vec![
                run.to_owned(),
                lines.to_string(),
                format!("{seconds:.1}"),
                format!("{rate:.0}"),
            ],
            json!({ "run": run, "seconds": seconds, "lines_per_second": rate,
                    "said": String::from_utf8_lossy(&output.stdout).trim() }),
        );
    }
    report.finish(out)?;
    Ok(())
}

/// Writes `lines` lines (rounded up to whole lifecycles) and returns how many.
fn write_history(file: &Path, lines: usize) -> anyhow::Result<usize> {
    use std::io::Write as _;
    let example: Vec<&str> = EXAMPLE
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let copies = lines.div_ceil(example.len());
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(file).with_context(|| format!("creating {}", file.display()))?,
    );
    for copy in 0..copies {
        // Each copy's ids differ in the part the example shares, so its references still
        // name its own lines.
        let ids = format!(
            "{:08x}-{:04x}-4{:03x}-9a43-{:06x}",
            copy,
            copy % 0xffff,
            copy % 0xfff,
            copy
        );
        for line in &example {
            writeln!(
                out,
                "{}",
                line.replace(EXAMPLE_IDS, &ids[..EXAMPLE_IDS.len()])
            )?;
        }
    }
    out.flush()?;
    Ok(copies * example.len())
}
