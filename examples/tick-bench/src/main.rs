//! The tick benchmark runner: every scenario of `BENCHMARKS.md` on bindery
//! and on an in-process baseline (flat `Vec<f64>` values, CSR adjacency,
//! dirty list), compared as ratios.
//!
//! ```text
//! cargo run --release -p tick-bench                 # every scenario, full size
//! cargo run --release -p tick-bench -- --quick      # sizes / 10, few ticks (CI smoke)
//! cargo run --release -p tick-bench -- --scenario sparse-1m,chain-10k
//! cargo run --release -p tick-bench -- --json results.jsonl
//! cargo run --release -p tick-bench -- --soak       # churn-10k for 10,000 ticks, RSS over time
//! ```
//!
//! A progress bar runs on stderr; the table goes to stdout. The exit status
//! is non-zero if any scenario's correctness check failed.

mod baseline;
mod report;
mod scenarios;

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use report::Outcome;
use scenarios::Plan;

/// Every scenario, in running order.
const SCENARIOS: [&str; 12] = [
    "build-1m",
    "idle-1m",
    "sparse-1m",
    "chain-10k",
    "fanout-100k",
    "two-way-100k",
    "churn-10k",
    "cellx-1000",
    "cellx-2500",
    "cellx-5000",
    "threads-4x250k",
    "all",
];

/// bindery's tick benchmark.
#[derive(Parser, Debug)]
#[command(about = "Runs the BENCHMARKS.md scenarios on bindery and on a flat baseline")]
struct Args {
    /// Sizes / 10 and few ticks: a smoke run for CI.
    #[arg(long)]
    quick: bool,
    /// Comma-separated scenarios to run (default: all).
    #[arg(long, value_delimiter = ',')]
    scenario: Vec<String>,
    /// Also write one JSON object per scenario to this file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// Ticks to time per scenario (overrides each scenario's default; at
    /// least 1).
    #[arg(long, value_parser = parse_ticks)]
    ticks: Option<usize>,
    /// Run only the leak soak: churn-10k for 10,000 ticks (or --ticks),
    /// reporting RSS over time; fails if RSS grows more than 5%.
    #[arg(long)]
    soak: bool,
}

/// Parses `--ticks`: a whole number of at least 1.
fn parse_ticks(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("at least one tick is needed to time anything".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e}")),
    }
}

/// Runs the chosen scenarios, prints the table, writes the JSON lines;
/// exits 2 on a usage error and 1 if a correctness check failed.
fn main() -> ExitCode {
    let args = Args::parse();
    let mut wanted: Vec<String> = if args.scenario.is_empty() || args.scenario.iter().any(|s| s == "all") {
        SCENARIOS[..SCENARIOS.len() - 1].iter().map(|s| s.to_string()).collect()
    } else {
        args.scenario.clone()
    };
    if let Some(bad) = wanted.iter().find(|s| !SCENARIOS.contains(&s.as_str())) {
        eprintln!("tick-bench: unknown scenario {bad:?}; known: {}", SCENARIOS.join(", "));
        return ExitCode::from(2);
    }
    // Each scenario once, in the order first named.
    let mut seen = std::collections::HashSet::new();
    wanted.retain(|s| seen.insert(s.clone()));
    // Create the JSON file first: a bad path should not cost a full run.
    let mut json = match &args.json {
        None => None,
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Some((path, std::io::BufWriter::new(file))),
            Err(e) => {
                eprintln!("tick-bench: cannot create {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
    };
    let plan = Plan { scale: if args.quick { 10 } else { 1 }, ticks: args.ticks, quick: args.quick };

    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed}] {msg}").expect("valid template"));
    bar.enable_steady_tick(Duration::from_millis(100));

    let mut outcomes: Vec<Outcome> = Vec::new();
    if args.soak {
        wanted.clear();
        outcomes.push(scenarios::soak(plan, &bar));
    }
    let needs_pairs = wanted.iter().any(|s| matches!(s.as_str(), "build-1m" | "idle-1m" | "sparse-1m"));
    let mut pairs = None;
    if needs_pairs {
        let (outcome, graph) = scenarios::build(plan, &bar);
        if wanted.iter().any(|s| s == "build-1m") {
            outcomes.push(outcome);
        }
        pairs = Some(graph);
    }
    // The build-1m graph is dropped as soon as the last scenario on it is
    // done, so the later scenarios (churn's RSS check above all) do not run
    // beside hundreds of MiB of it.
    let last_on_pairs = wanted.iter().rposition(|s| matches!(s.as_str(), "idle-1m" | "sparse-1m"));
    if last_on_pairs.is_none() {
        pairs = None;
    }
    for (i, name) in wanted.iter().enumerate() {
        let outcome = match name.as_str() {
            "build-1m" => continue,
            "idle-1m" => scenarios::idle(plan, &bar, pairs.as_mut().expect("built")),
            "sparse-1m" => scenarios::sparse(plan, &bar, pairs.as_mut().expect("built")),
            "chain-10k" => scenarios::chain(plan, &bar),
            "fanout-100k" => scenarios::fanout(plan, &bar),
            "two-way-100k" => scenarios::two_way(plan, &bar),
            "churn-10k" => scenarios::churn(plan, &bar),
            "cellx-1000" => scenarios::cellx(plan, &bar, 1000),
            "cellx-2500" => scenarios::cellx(plan, &bar, 2500),
            "cellx-5000" => scenarios::cellx(plan, &bar, 5000),
            "threads-4x250k" => scenarios::threads(plan, &bar),
            other => unreachable!("checked above: {other}"),
        };
        if Some(i) == last_on_pairs {
            pairs = None;
        }
        bar.println(format!(
            "{:<15} {:>10}/tick  ratio {:>6}  {}",
            outcome.scenario,
            report::human(outcome.median_ns),
            if outcome.ratio() > 0.0 { format!("{:.2}x", outcome.ratio()) } else { "-".into() },
            if outcome.ok { "ok" } else { "FAILED" }
        ));
        outcomes.push(outcome);
    }
    bar.finish_and_clear();

    print!("{}", report::table(&outcomes));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!("ns/edge: median tick time / properties written per tick (build: ns per bind; churn: ns per");
    println!("spawn+bind+despawn; threads: ns per command end to end). ratio: bindery / baseline.");
    println!("bytes/binding: resident-set growth (VmRSS, /proc/self/status) over the bind phase / bindings.");
    println!("{}{cores} cores; sizes / {}.", if args.quick { "--quick: " } else { "" }, plan.scale);

    if let Some((path, file)) = &mut json {
        let written =
            outcomes.iter().try_for_each(|o| writeln!(file, "{}", o.json())).and_then(|()| file.flush());
        if let Err(e) = written {
            eprintln!("tick-bench: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if outcomes.iter().all(|o| o.ok) {
        ExitCode::SUCCESS
    } else {
        eprintln!("tick-bench: a correctness check failed");
        ExitCode::FAILURE
    }
}
