//! What one scenario measured, its target, and its JSON line.

use crate::json;

/// What one scenario measured.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The scenario's name from `docs/BENCHMARKS.md`.
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

    /// The project's target for this scenario (docs/BENCHMARKS.md lists
    /// them), as the table shows it, and whether it is met.
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
            "cellx-5000" => ("ratio <= 5, <= 2 ms".into(), ratio <= 5.0 && self.median_ns <= 2_000_000),
            s if s.starts_with("cellx") => ("ratio <= 5".into(), ratio <= 5.0),
            _ => (String::new(), true),
        }
    }

    /// One JSON object on one line, the keys of docs/BENCHMARKS.md first
    /// (`--compare` reads it back).
    pub fn json(&self) -> String {
        let (target, met) = self.target();
        format!(
            "{{\"scenario\": {}, \"size\": {}, \"ticks\": {}, \"median_ns\": {}, \"min_ns\": {}, \
             \"edges_per_tick\": {}, \"per_edge_ns\": {:.3}, \"baseline_per_edge_ns\": {:.3}, \"ratio\": {:.3}, \
             \"entities\": {}, \"bindings\": {}, \"bytes_per_binding\": {:.1}, \"ok\": {}, \
             \"target\": {}, \"target_met\": {}, \"note\": {}}}",
            json::quote(&self.scenario),
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
            json::quote(&target),
            met,
            json::quote(&self.note),
        )
    }
}
