//! Results: one [`Outcome`] per scenario, printed as a table and as JSON
//! lines.

use std::fmt::Write as _;

/// What one scenario measured.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The scenario's name from `BENCHMARKS.md`.
    pub scenario: String,
    /// Its size (pairs, links, targets, layers, commands).
    pub size: usize,
    /// Ticks timed.
    pub ticks: usize,
    /// Median nanoseconds per tick.
    pub median_ns: u64,
    /// Fastest tick, in nanoseconds.
    pub min_ns: u64,
    /// Edges propagated (properties written) per tick.
    pub edges_per_tick: usize,
    /// Median ns per propagated edge.
    pub per_edge_ns: f64,
    /// The baseline's ns per edge.
    pub baseline_per_edge_ns: f64,
    /// Live entities at the end.
    pub entities: usize,
    /// Live bindings at the end.
    pub bindings: usize,
    /// RSS delta over the bind phase / bindings (build only).
    pub bytes_per_binding: f64,
    /// Whether the scenario's correctness check passed.
    pub ok: bool,
    /// A human note for the table's last column.
    pub note: String,
}

impl Outcome {
    /// An empty outcome for `scenario` of `size`.
    pub fn new(scenario: &str, size: usize) -> Self {
        Self {
            scenario: scenario.to_string(),
            size,
            ticks: 0,
            median_ns: 0,
            min_ns: 0,
            edges_per_tick: 0,
            per_edge_ns: 0.0,
            baseline_per_edge_ns: 0.0,
            entities: 0,
            bindings: 0,
            bytes_per_binding: 0.0,
            ok: false,
            note: String::new(),
        }
    }

    /// bindery's ns per edge over the baseline's (0 when there are no edges).
    pub fn ratio(&self) -> f64 {
        if self.baseline_per_edge_ns > 0.0 { self.per_edge_ns / self.baseline_per_edge_ns } else { 0.0 }
    }

    /// The target of `BENCHMARKS.md` for this scenario, and whether it is met.
    pub fn target(&self) -> (String, bool) {
        let ratio = self.ratio();
        match self.scenario.as_str() {
            "idle-1m" => ("<= 1 us".into(), self.median_ns <= 1_000),
            "sparse-1m" => ("ratio <= 2".into(), ratio <= 2.0),
            "chain-10k" | "fanout-100k" => ("ratio <= 3".into(), ratio <= 3.0),
            "two-way-100k" => ("ratio <= 4".into(), ratio <= 4.0),
            "build-1m" => {
                ("<= 96 B, <= 150 ns".into(), self.bytes_per_binding <= 96.0 && self.per_edge_ns <= 150.0)
            }
            "churn-10k" => ("<= 100 ns, flat RSS".into(), self.per_edge_ns <= 100.0 && self.ok),
            "threads-4x250k" => {
                (">= 10 M/s".into(), self.per_edge_ns > 0.0 && 1e3 / self.per_edge_ns >= 10.0)
            }
            s if s.starts_with("cellx") => {
                let tick_ok = s != "cellx-5000" || self.median_ns <= 2_000_000;
                ("ratio <= 5".into(), ratio <= 5.0 && tick_ok)
            }
            _ => (String::new(), true),
        }
    }

    /// One JSON object, with the keys of `BENCHMARKS.md` first.
    pub fn json(&self) -> String {
        let (target, met) = self.target();
        format!(
            "{{\"scenario\": \"{}\", \"size\": {}, \"ticks\": {}, \"median_ns\": {}, \"min_ns\": {}, \
             \"edges_per_tick\": {}, \"per_edge_ns\": {:.3}, \"baseline_per_edge_ns\": {:.3}, \"ratio\": {:.3}, \
             \"entities\": {}, \"bindings\": {}, \"bytes_per_binding\": {:.1}, \"ok\": {}, \
             \"target\": \"{}\", \"target_met\": {}, \"note\": \"{}\"}}",
            self.scenario,
            self.size,
            self.ticks,
            self.median_ns,
            self.min_ns,
            self.edges_per_tick,
            self.per_edge_ns,
            self.baseline_per_edge_ns,
            self.ratio(),
            self.entities,
            self.bindings,
            self.bytes_per_binding,
            self.ok,
            target,
            met,
            self.note.replace('"', "'"),
        )
    }
}

/// A duration in the unit that reads best.
pub fn human(ns: u64) -> String {
    match ns {
        0..1_000 => format!("{ns} ns"),
        1_000..1_000_000 => format!("{:.1} µs", ns as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.2} ms", ns as f64 / 1e6),
        _ => format!("{:.2} s", ns as f64 / 1e9),
    }
}

/// Median and minimum of samples.
pub fn stats_ns(samples: &[u64]) -> (u64, u64) {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    (sorted.get(sorted.len() / 2).copied().unwrap_or(0), sorted.first().copied().unwrap_or(0))
}

/// The process's resident set size, from `/proc/self/status` (0 where that
/// does not exist).
pub fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<usize>().ok()))
        })
        .map_or(0, |kb| kb * 1024)
}

/// The aligned table of all outcomes.
pub fn table(outcomes: &[Outcome]) -> String {
    let header = [
        "scenario",
        "size",
        "ticks",
        "median",
        "min",
        "ns/edge",
        "base ns/edge",
        "ratio",
        "entities",
        "bindings",
        "bytes/binding",
        "target",
        "met",
        "ok",
        "note",
    ];
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            let (target, met) = o.target();
            vec![
                o.scenario.clone(),
                o.size.to_string(),
                o.ticks.to_string(),
                human(o.median_ns),
                human(o.min_ns),
                format!("{:.1}", o.per_edge_ns),
                format!("{:.1}", o.baseline_per_edge_ns),
                if o.ratio() > 0.0 { format!("{:.2}x", o.ratio()) } else { "-".into() },
                o.entities.to_string(),
                o.bindings.to_string(),
                if o.bytes_per_binding > 0.0 { format!("{:.0}", o.bytes_per_binding) } else { "-".into() },
                target,
                if met { "yes" } else { "no" }.into(),
                if o.ok { "ok" } else { "FAIL" }.into(),
                o.note.clone(),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = w - cell.chars().count();
            if i == 0 || i >= 11 {
                let _ = write!(s, "{cell}{}  ", " ".repeat(pad));
            } else {
                let _ = write!(s, "{}{cell}  ", " ".repeat(pad));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut out, &header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    line(&mut out, &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>());
    for row in &rows {
        line(&mut out, row);
    }
    out
}
