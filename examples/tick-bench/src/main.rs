//! The tick benchmark runner: every scenario of `docs/BENCHMARKS.md` on
//! bindery and on an in-process baseline (flat `Vec<f64>` values, CSR
//! adjacency, dirty list), compared as ratios.
//!
//! ```text
//! cargo run --release -p tick-bench                 # every scenario, full size
//! cargo run --release -p tick-bench -- --quick      # sizes / 10, few ticks (CI smoke)
//! cargo run --release -p tick-bench -- --scenario sparse-1m,chain-10k
//! cargo run --release -p tick-bench -- --json results.jsonl
//! cargo run --release -p tick-bench -- --compare results.jsonl   # a later run against that one
//! cargo run --release -p tick-bench -- --wide       # every column
//! cargo run --release -p tick-bench -- --soak       # churn-10k for 10,000 ticks, RSS over time
//! ```
//!
//! A progress bar runs on stderr; the report goes to stdout. The exit status
//! is 1 if any scenario's correctness check failed, 2 on a usage error.
//! `docs/BENCHMARKS.md` says what each scenario models and how to read and
//! compare the numbers.

mod baseline;
mod churn;
mod compare;
mod json;
mod measure;
mod outcome;
mod scenarios;
mod table;
mod threads;

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use indicatif::{ProgressBar, ProgressStyle};
use outcome::Outcome;
use scenarios::Plan;
use table::Layout;

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

/// The command line.
#[derive(Debug)]
struct Args {
    /// Sizes / 10 and few ticks.
    quick: bool,
    /// Scenarios to run (empty: all).
    scenario: Vec<String>,
    /// Where to write the JSON lines.
    json: Option<std::path::PathBuf>,
    /// Ticks to time per scenario, overriding the defaults.
    ticks: Option<usize>,
    /// Run only the leak soak.
    soak: bool,
    /// Print every column.
    wide: bool,
    /// An earlier `--json` run to compare this one with.
    compare: Option<std::path::PathBuf>,
}

impl Args {
    /// The flags and their help. Built with clap's builder rather than its
    /// derive macro: the derive needs a second `syn` in the cold build.
    fn command() -> Command {
        Command::new("tick-bench")
            .about("Runs bindery's tick benchmark: each scenario on bindery and on a flat baseline")
            .after_help(
                "What each scenario models, how to read the table and how to compare runs: \
                 docs/BENCHMARKS.md",
            )
            .arg(
                Arg::new("quick")
                    .long("quick")
                    .action(ArgAction::SetTrue)
                    .help("Sizes / 10 and few ticks: a smoke run for CI"),
            )
            .arg(
                Arg::new("scenario")
                    .long("scenario")
                    .value_name("NAMES")
                    .value_delimiter(',')
                    .value_parser(SCENARIOS)
                    .action(ArgAction::Append)
                    .help("Comma-separated scenarios to run (default: all)"),
            )
            .arg(
                Arg::new("json")
                    .long("json")
                    .value_name("FILE")
                    .value_parser(value_parser!(std::path::PathBuf))
                    .help("Also write one JSON object per scenario to this file"),
            )
            .arg(
                Arg::new("ticks")
                    .long("ticks")
                    .value_name("N")
                    .value_parser(parse_ticks)
                    .help("Ticks to time per scenario (overrides each scenario's default; at least 1)"),
            )
            .arg(Arg::new("soak").long("soak").action(ArgAction::SetTrue).help(
                "Run only the leak soak: churn-10k for 10,000 ticks (or --ticks), reporting RSS over \
                 time; fails if RSS grows more than 5%",
            ))
            .arg(Arg::new("wide").long("wide").action(ArgAction::SetTrue).help(
                "Print every column (ticks, min, entities, bindings, bytes/binding, notes), not only the \
                 100-column default",
            ))
            .arg(
                Arg::new("compare")
                    .long("compare")
                    .value_name("OLD.jsonl")
                    .value_parser(value_parser!(std::path::PathBuf))
                    .help(
                        "After the table, compare each scenario with an earlier --json run: time and \
                         ratio, new / old",
                    ),
            )
    }

    /// Parses the process's arguments; exits with clap's message on a
    /// usage error, and 0 after `--help`.
    fn parse() -> Self {
        Self::from_matches(&Self::command().get_matches())
    }

    /// The arguments out of clap's matches.
    fn from_matches(m: &ArgMatches) -> Self {
        Self {
            quick: m.get_flag("quick"),
            scenario: m.get_many::<String>("scenario").map_or_else(Vec::new, |v| v.cloned().collect()),
            json: m.get_one::<std::path::PathBuf>("json").cloned(),
            ticks: m.get_one::<usize>("ticks").copied(),
            soak: m.get_flag("soak"),
            wide: m.get_flag("wide"),
            compare: m.get_one::<std::path::PathBuf>("compare").cloned(),
        }
    }
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
    // Each scenario once, in the order first named.
    let mut seen = std::collections::HashSet::new();
    wanted.retain(|s| seen.insert(s.clone()));
    // Read the earlier run and create the JSON file first: a bad path should
    // not cost a full run, and --json may overwrite the --compare file.
    let old = match &args.compare {
        None => None,
        Some(path) => {
            match std::fs::read_to_string(path).map_err(|e| e.to_string()).and_then(|t| compare::read(&t)) {
                Ok(old) => Some((path, old)),
                Err(e) => {
                    eprintln!("tick-bench: cannot compare with {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
        }
    };
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
        outcomes.push(churn::soak(plan, &bar));
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
            "churn-10k" => churn::churn(plan, &bar),
            "cellx-1000" => scenarios::cellx(plan, &bar, 1000),
            "cellx-2500" => scenarios::cellx(plan, &bar, 2500),
            "cellx-5000" => scenarios::cellx(plan, &bar, 5000),
            "threads-4x250k" => threads::threads(plan, &bar),
            other => unreachable!("clap accepts only SCENARIOS: {other}"),
        };
        if Some(i) == last_on_pairs {
            pairs = None;
        }
        bar.println(format!(
            "{:<15} {:>10}/tick  ratio {:>6}  {}",
            outcome.scenario,
            table::human(outcome.median_ns),
            table::times(outcome.ratio()),
            if outcome.ok { "ok" } else { "FAILED" }
        ));
        outcomes.push(outcome);
    }
    bar.finish_and_clear();

    let layout = if args.wide { Layout::Wide } else { Layout::Default };
    print!("{}", table::table(&outcomes, layout));
    if layout == Layout::Default {
        let notes = table::notes(&outcomes);
        if !notes.is_empty() {
            print!("\n{notes}");
        }
    }
    println!();
    print!("{}", table::legend(layout));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    if args.quick {
        println!(
            "{cores} cores; --quick: sizes / {}, fewer ticks (a smoke run, not a measurement).",
            plan.scale
        );
    } else {
        println!("{cores} cores; full sizes.");
    }
    println!("Every column: --wide. What each scenario models and how to compare runs: docs/BENCHMARKS.md");
    if let Some((path, old)) = &old {
        let new: Vec<_> = outcomes.iter().map(compare::Summary::of).collect();
        print!("\n{}", compare::report(old, &new, &path.display().to_string()));
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(argv: &[&str]) -> Args {
        Args::from_matches(&Args::command().try_get_matches_from(argv).expect("valid arguments"))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn flags_parse_as_they_always_have() {
        let a =
            args(&["tick-bench", "--quick", "--scenario", "sparse-1m,chain-10k", "--scenario", "idle-1m"]);
        assert!(a.quick && !a.soak);
        assert_eq!(a.scenario, ["sparse-1m", "chain-10k", "idle-1m"]);
        let a = args(&["tick-bench", "--json", "out.jsonl", "--ticks", "7", "--soak", "--wide"]);
        assert!(a.wide && a.compare.is_none());
        assert_eq!(a.json.as_deref(), Some(std::path::Path::new("out.jsonl")));
        assert_eq!((a.ticks, a.soak, a.scenario.len()), (Some(7), true, 0));
    }

    #[test]
    fn help_points_to_the_benchmark_definitions() {
        let help = Args::command().render_help().to_string();
        assert!(help.contains("docs/BENCHMARKS.md"), "{help}");
        for flag in ["--quick", "--scenario", "--json", "--ticks", "--soak", "--wide", "--compare"] {
            assert!(help.contains(flag), "{flag} missing from\n{help}");
        }
    }

    #[test]
    fn an_unknown_scenario_is_a_usage_error() {
        let err = Args::command().try_get_matches_from(["tick-bench", "--scenario", "chain-10k,nope"]);
        assert_eq!(err.map(|_| ()).unwrap_err().kind(), clap::error::ErrorKind::InvalidValue);
    }

    #[test]
    fn zero_ticks_is_a_usage_error() {
        assert!(Args::command().try_get_matches_from(["tick-bench", "--ticks", "0"]).is_err());
    }
}
