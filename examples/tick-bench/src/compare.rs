//! `--compare OLD.jsonl`: this run against an earlier `--json` run,
//! scenario by scenario, so a user sees what their change did.

use crate::json::{self, Value};
use crate::outcome::Outcome;
use crate::table::{self, human, times};

/// Moves smaller than this fraction are called `same`: identical runs on a
/// shared 2-core machine differed by up to 10% on most scenarios (more on
/// `sparse-1m`, `two-way-100k` and `threads-4x250k`; docs/BENCHMARKS.md).
const NOISE: f64 = 0.10;

/// Median moves smaller than this are called `same` too: the clock reads in
/// steps of 10 ns and reading it costs tens (`idle-1m` ticks in ~100 ns).
const NOISE_NS: f64 = 100.0;

/// What a comparison needs of one scenario's result, from this run or from
/// a JSON line.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The scenario's name.
    pub scenario: String,
    /// Its size, if the line had one: runs of different sizes (`--quick`
    /// against a full run) are not compared.
    pub size: Option<u64>,
    /// Median ns per tick.
    pub median_ns: f64,
    /// bindery / baseline per edge; 0 where there is none.
    pub ratio: f64,
    /// Whether its correctness checks passed (true if the line did not say).
    pub ok: bool,
}

impl Summary {
    /// The summary of a scenario of this run.
    pub fn of(outcome: &Outcome) -> Self {
        Self {
            scenario: outcome.scenario.clone(),
            size: Some(outcome.size as u64),
            median_ns: outcome.median_ns as f64,
            ratio: outcome.ratio(),
            ok: outcome.ok,
        }
    }

    /// The summary in one JSON line; `scenario` and `median_ns` are
    /// required, the other keys optional, unknown keys ignored.
    fn from_json(line: &str) -> Result<Self, String> {
        let value = json::parse(line)?;
        if !matches!(value, Value::Object(_)) {
            return Err("not a JSON object".into());
        }
        let number = |key: &str| value.get(key).and_then(Value::as_f64);
        Ok(Self {
            scenario: value
                .get("scenario")
                .and_then(Value::as_str)
                .ok_or("no \"scenario\" string")?
                .to_string(),
            size: number("size").map(|x| x as u64),
            median_ns: number("median_ns").ok_or("no \"median_ns\" number")?,
            ratio: number("ratio").unwrap_or(0.0),
            ok: value.get("ok").and_then(Value::as_bool).unwrap_or(true),
        })
    }
}

/// Reads the lines of a `--json` file (blank lines skipped). A scenario on
/// several lines keeps its last one, so appended runs compare against the
/// newest.
pub fn read(text: &str) -> Result<Vec<Summary>, String> {
    let mut runs: Vec<Summary> = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let summary = Summary::from_json(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        match runs.iter_mut().find(|s| s.scenario == summary.scenario) {
            Some(earlier) => *earlier = summary,
            None => runs.push(summary),
        }
    }
    if runs.is_empty() {
        return Err("no results in it".into());
    }
    Ok(runs)
}

/// This run (`new`) against `old`, read from `old_name`: the scenarios of
/// this run in its order, then those only in `old`; a legend follows.
pub fn report(old: &[Summary], new: &[Summary], old_name: &str) -> String {
    let header =
        ["scenario", "old median", "new median", "new/old", "old ratio", "new ratio", "new/old", "verdict"];
    let right = [false, true, true, true, true, true, true, false];
    let mut rows = Vec::new();
    for n in new {
        let row = match old.iter().find(|o| o.scenario == n.scenario) {
            Some(o) => vec![
                n.scenario.clone(),
                human(o.median_ns as u64),
                human(n.median_ns as u64),
                times(change(o.median_ns, n.median_ns)),
                times(o.ratio),
                times(n.ratio),
                times(change(o.ratio, n.ratio)),
                verdict(o, n).into(),
            ],
            None => {
                let mut row = vec![n.scenario.clone(), "-".into(), human(n.median_ns as u64)];
                row.extend(["-".into(), "-".into(), times(n.ratio), "-".into(), "not in old run".into()]);
                row
            }
        };
        rows.push(row);
    }
    for o in old.iter().filter(|o| !new.iter().any(|n| n.scenario == o.scenario)) {
        let mut row = vec![o.scenario.clone(), human(o.median_ns as u64), "-".into(), "-".into()];
        row.extend([times(o.ratio), "-".into(), "-".into(), "not run now".into()]);
        rows.push(row);
    }
    format!("compared with {old_name}:\n\n{}\n{LEGEND}", table::render(&header, &right, &rows))
}

/// What the comparison's columns mean.
const LEGEND: &str = "\
new/old   this run's median (or ratio) over the earlier run's: below 1.00x is faster now
verdict   better or worse by the ratio's change where the scenario has a ratio (it divides out
          the machine's speed and load), else by the median's; moves within 10% (or 100 ns)
          are same: rerun to be sure of smaller ones
";

/// `new / old`, or 0 (no factor) when either is missing.
fn change(old: f64, new: f64) -> f64 {
    if old > 0.0 && new > 0.0 { new / old } else { 0.0 }
}

/// One word on how scenario `n` moved since `o`.
fn verdict(o: &Summary, n: &Summary) -> &'static str {
    if !n.ok {
        return "FAIL now";
    }
    if o.size.is_some() && n.size.is_some() && o.size != n.size {
        return "sizes differ";
    }
    let by_ratio = change(o.ratio, n.ratio);
    let factor = if by_ratio > 0.0 {
        by_ratio
    } else if (n.median_ns - o.median_ns).abs() < NOISE_NS {
        1.0
    } else {
        change(o.median_ns, n.median_ns)
    };
    if factor == 0.0 {
        "-"
    } else if factor < 1.0 - NOISE {
        "better"
    } else if factor > 1.0 + NOISE {
        "worse"
    } else {
        "same"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(scenario: &str, median_ns: f64, ratio: f64) -> Summary {
        Summary { scenario: scenario.into(), size: Some(1000), median_ns, ratio, ok: true }
    }

    #[test]
    fn an_outcome_s_json_line_reads_back_as_its_summary() {
        let outcome = Outcome {
            median_ns: 278_795,
            per_edge_ns: 27.882,
            baseline_per_edge_ns: 5.073,
            edges_per_tick: 9999,
            ok: true,
            note: "a \"quoted\" note, with a \\ too".into(),
            ..Outcome::new("chain-10k", 10_000)
        };
        let read = read(&outcome.json()).expect("valid JSON line");
        let mut want = Summary::of(&outcome);
        want.ratio = (want.ratio * 1000.0).round() / 1000.0; // written with 3 decimals
        assert_eq!(read, [want]);
        assert_eq!(
            json::parse(&outcome.json()).unwrap().get("note").and_then(Value::as_str),
            Some(&*outcome.note)
        );
    }

    #[test]
    fn an_earlier_run_s_file_reads_with_the_last_line_per_scenario_winning() {
        let text = "\
{\"scenario\": \"idle-1m\", \"size\": 1000000, \"median_ns\": 90, \"ratio\": 0.000, \"ok\": true}

{\"scenario\": \"chain-10k\", \"median_ns\": 300000, \"future\": {\"nested\": [1, 2]}}
{\"scenario\": \"idle-1m\", \"size\": 1000000, \"median_ns\": 80, \"ratio\": 0.000, \"ok\": false}
";
        let runs = read(text).expect("valid");
        assert_eq!(runs.len(), 2);
        assert_eq!((runs[0].median_ns, runs[0].ok), (80.0, false));
        assert_eq!((runs[1].size, runs[1].ratio, runs[1].ok), (None, 0.0, true));
    }

    #[test]
    fn a_bad_file_names_the_line() {
        assert_eq!(read("\n\n"), Err("no results in it".into()));
        assert_eq!(
            read("{\"scenario\": \"a\", \"median_ns\": 1}\n[1]"),
            Err("line 2: not a JSON object".into())
        );
        assert_eq!(read("{\"median_ns\": 1}"), Err("line 1: no \"scenario\" string".into()));
        assert!(
            read("{\"scenario\": \"a\", \"median_ns\": 1,}").unwrap_err().starts_with("line 1: expected")
        );
    }

    #[test]
    fn scenarios_missing_on_either_side_are_listed_not_compared() {
        let old = [summary("chain-10k", 200.0, 5.0), summary("soak-churn-10k", 9.0, 0.0)];
        let new = [summary("sparse-1m", 100.0, 4.0), summary("chain-10k", 100.0, 2.5)];
        let text = report(&old, &new, "before.jsonl");
        let rows: Vec<&str> = text.lines().skip(4).take(3).collect();
        assert!(rows[0].starts_with("sparse-1m") && rows[0].ends_with("not in old run"), "{text}");
        assert!(rows[1].starts_with("chain-10k") && rows[1].ends_with("better"), "{text}");
        assert!(rows[1].contains("0.50x"), "{text}");
        assert!(rows[2].starts_with("soak-churn-10k") && rows[2].ends_with("not run now"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= table::WIDTH), "{text}");
    }

    #[test]
    fn the_verdict_prefers_the_ratio_and_ignores_noise() {
        let old = summary("a", 100.0, 4.0);
        // Twice the time on a slower machine, the same ratio: same.
        assert_eq!(verdict(&old, &summary("a", 200.0, 4.2)), "same");
        assert_eq!(verdict(&old, &summary("a", 100.0, 5.0)), "worse");
        // No ratio (idle): the time decides.
        assert_eq!(verdict(&summary("a", 1000.0, 0.0), &summary("a", 500.0, 0.0)), "better");
        // ... but not by a clock step.
        assert_eq!(verdict(&summary("a", 90.0, 0.0), &summary("a", 100.0, 0.0)), "same");
        let quick = Summary { size: Some(100), ..summary("a", 10.0, 4.0) };
        assert_eq!(verdict(&old, &quick), "sizes differ");
        let failed = Summary { ok: false, ..summary("a", 100.0, 4.0) };
        assert_eq!(verdict(&old, &failed), "FAIL now");
    }
}
