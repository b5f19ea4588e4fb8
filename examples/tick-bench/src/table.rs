//! The report on stdout: the table of outcomes (the default columns fit
//! [`WIDTH`]; `--wide` prints every column), the notes under it and the
//! legend that says what the columns mean.

use std::fmt::Write as _;

use crate::outcome::Outcome;

/// The widest line the default report prints: it reads in a 100-column
/// terminal without wrapping.
pub const WIDTH: usize = 100;

/// Which columns the table has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// What a reader needs: scenario, size, median, ns/edge, baseline,
    /// ratio, target, met, ok. Notes follow the table.
    Default,
    /// Every column, notes included (`--wide`).
    Wide,
}

/// One column of the outcome table.
struct Column {
    /// Its header.
    header: &'static str,
    /// Numbers are right-aligned, words left-aligned.
    right: bool,
    /// The cell of one outcome.
    cell: fn(&Outcome) -> String,
}

/// The columns of [`Layout::Default`].
const DEFAULT: [Column; 9] = [SCENARIO, SIZE, MEDIAN, PER_EDGE, BASELINE, RATIO, TARGET, MET, OK];

/// The columns of [`Layout::Wide`].
const WIDE: [Column; 15] = [
    SCENARIO, SIZE, TICKS, MEDIAN, MIN, PER_EDGE, BASELINE, RATIO, ENTITIES, BINDINGS, BYTES, TARGET, MET,
    OK, NOTE,
];

const SCENARIO: Column = Column { header: "scenario", right: false, cell: |o| o.scenario.clone() };
const SIZE: Column = Column { header: "size", right: true, cell: |o| thousands(o.size) };
const TICKS: Column = Column { header: "ticks", right: true, cell: |o| thousands(o.ticks) };
const MEDIAN: Column = Column { header: "median", right: true, cell: |o| human(o.median_ns) };
const MIN: Column = Column { header: "min", right: true, cell: |o| human(o.min_ns) };
const PER_EDGE: Column = Column {
    header: "ns/edge",
    right: true,
    cell: |o| if o.edges_per_tick > 0 { format!("{:.1}", o.per_edge_ns) } else { "-".into() },
};
const BASELINE: Column = Column {
    header: "baseline",
    right: true,
    cell: |o| {
        if o.baseline_per_edge_ns > 0.0 { format!("{:.1}", o.baseline_per_edge_ns) } else { "-".into() }
    },
};
const RATIO: Column = Column { header: "ratio", right: true, cell: |o| times(o.ratio()) };
const ENTITIES: Column = Column { header: "entities", right: true, cell: |o| thousands(o.entities) };
const BINDINGS: Column = Column { header: "bindings", right: true, cell: |o| thousands(o.bindings) };
const BYTES: Column = Column {
    header: "bytes/binding",
    right: true,
    cell: |o| if o.bytes_per_binding > 0.0 { format!("{:.0}", o.bytes_per_binding) } else { "-".into() },
};
const TARGET: Column = Column { header: "target", right: false, cell: |o| o.target().0 };
const MET: Column =
    Column { header: "met", right: false, cell: |o| if o.target().1 { "yes" } else { "no" }.into() };
const OK: Column = Column { header: "ok", right: false, cell: |o| if o.ok { "ok" } else { "FAIL" }.into() };
const NOTE: Column = Column { header: "note", right: false, cell: |o| o.note.clone() };

/// The table of `outcomes` in `layout`, header and rule first.
pub fn table(outcomes: &[Outcome], layout: Layout) -> String {
    let columns: &[Column] = match layout {
        Layout::Default => &DEFAULT,
        Layout::Wide => &WIDE,
    };
    let header: Vec<&str> = columns.iter().map(|c| c.header).collect();
    let right: Vec<bool> = columns.iter().map(|c| c.right).collect();
    let rows: Vec<Vec<String>> =
        outcomes.iter().map(|o| columns.iter().map(|c| (c.cell)(o)).collect()).collect();
    render(&header, &right, &rows)
}

/// Aligns `rows` under `header` and a rule, two spaces between columns;
/// `right[i]` right-aligns column `i`. Trailing spaces are trimmed.
pub fn render(header: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for ((cell, &w), &right) in cells.zip(&widths).zip(right) {
            let pad = " ".repeat(w.saturating_sub(cell.chars().count()));
            if right {
                let _ = write!(s, "{pad}{cell}  ");
            } else {
                let _ = write!(s, "{cell}{pad}  ");
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    let rules: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&mut rules.iter().map(String::as_str));
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// The notes of `outcomes` (those that have one), one scenario each,
/// wrapped to [`WIDTH`]; empty if there are none.
pub fn notes(outcomes: &[Outcome]) -> String {
    let name_width = outcomes.iter().map(|o| o.scenario.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for o in outcomes.iter().filter(|o| !o.note.is_empty()) {
        let indent = 2 + name_width + 2;
        let mut line = format!("  {:<name_width$}  ", o.scenario);
        let mut empty = true;
        for word in o.note.split_whitespace() {
            if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
                out.push_str(&line);
                out.push('\n');
                line = " ".repeat(indent);
                empty = true;
            }
            if !empty {
                line.push(' ');
            }
            line.push_str(word);
            empty = false;
        }
        out.push_str(&line);
        out.push('\n');
    }
    if out.is_empty() { out } else { format!("notes:\n{out}") }
}

/// What the columns of `layout` mean; every line fits [`WIDTH`].
pub fn legend(layout: Layout) -> String {
    match layout {
        Layout::Default => [TIMES, CHECKS].concat(),
        Layout::Wide => [TICKS_AND_MIN, TIMES, COUNTS, CHECKS].concat(),
    }
}

/// The legend of the timing columns.
const TIMES: &str = "\
median    median time of one tick (build-1m: binding all pairs; threads-4x250k: the whole run)
ns/edge   median / properties written per tick (build: per bind; churn: per spawn+bind+despawn;
          threads: per command, end to end); - when a tick writes nothing
baseline  ns/edge of the same work on flat vectors (CSR adjacency, a dirty list), same process
ratio     ns/edge / baseline: how far bindery is from this machine's speed of light; lower is
          better. Compare ratios, not times, between runs: the machine's speed cancels out.
";

/// The legend of the verdict columns.
const CHECKS: &str = "\
met       whether the target column is met. The targets are the project's (docs/BENCHMARKS.md
          lists them and why); several are stretch goals, so no is a gap still open, not an error
ok        the scenario's correctness checks passed (end values, counts, flat RSS); FAIL makes
          the exit status non-zero
";

/// The legend of `--wide`'s first extra columns.
const TICKS_AND_MIN: &str = "\
ticks     ticks timed (the median is over these)
min       the fastest of them
";

/// The legend of `--wide`'s count columns.
const COUNTS: &str = "\
entities, bindings  live at the end of the scenario
bytes/binding  resident-set growth (VmRSS, /proc/self/status) over the bind phase / bindings
";

/// A duration in the unit that reads best.
pub fn human(ns: u64) -> String {
    match ns {
        0..1_000 => format!("{ns} ns"),
        1_000..1_000_000 => format!("{:.1} µs", ns as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.2} ms", ns as f64 / 1e6),
        _ => format!("{:.2} s", ns as f64 / 1e9),
    }
}

/// A factor as `12.34x`, or `-` when there is none (0).
pub fn times(factor: f64) -> String {
    if factor > 0.0 { format!("{factor:.2}x") } else { "-".into() }
}

/// `n` with thousands separated by commas: `1,000,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows shaped like a full run's, with the longest names, sizes, times,
    /// targets and notes the runner prints.
    fn full_run() -> Vec<Outcome> {
        let scenarios = [
            ("build-1m", 1_000_000, 155_990_000),
            ("idle-1m", 1_000_000, 90),
            ("sparse-1m", 1_000_000, 4_680_000),
            ("chain-10k", 10_000, 277_200),
            ("fanout-100k", 100_000, 1_710_000),
            ("two-way-100k", 100_000, 299_800),
            ("churn-10k", 10_000, 2_200_000),
            ("cellx-1000", 1000, 213_400),
            ("cellx-2500", 2500, 536_500),
            ("cellx-5000", 5000, 1_080_000),
            ("threads-4x250k", 1_000_000, 82_850_000),
            ("soak-churn-10k", 10_000, 123_456_789_000),
        ];
        scenarios
            .iter()
            .map(|&(name, size, median_ns)| Outcome {
                ticks: 10_000,
                median_ns,
                min_ns: median_ns,
                edges_per_tick: if name == "idle-1m" { 0 } else { size },
                per_edge_ns: 1234.5,
                baseline_per_edge_ns: 999.9,
                entities: 2_000_000,
                bindings: 1_000_000,
                bytes_per_binding: 175.2,
                ok: name != "chain-10k",
                note: "220 ns per spawn+bind+despawn; RSS tick 10 47 MiB -> tick 100 47 MiB, and a \
                       note long enough that it has to wrap onto a second line"
                    .into(),
                ..Outcome::new(name, size)
            })
            .collect()
    }

    fn widest(text: &str) -> usize {
        text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    #[test]
    fn the_default_report_fits_100_columns() {
        let outcomes = full_run();
        let table = table(&outcomes, Layout::Default);
        assert_eq!(table.lines().count(), 2 + outcomes.len());
        assert!(widest(&table) <= WIDTH, "table is {} wide:\n{table}", widest(&table));
        let notes = notes(&outcomes);
        assert!(widest(&notes) <= WIDTH, "notes are {} wide:\n{notes}", widest(&notes));
        assert!(widest(&legend(Layout::Default)) <= WIDTH);
        assert!(widest(&legend(Layout::Wide)) <= WIDTH);
    }

    #[test]
    fn the_default_table_has_the_reader_s_columns_and_wide_has_all() {
        let outcomes = full_run();
        let header = |layout| table(&outcomes, layout).lines().next().unwrap_or_default().to_string();
        let words: Vec<String> = header(Layout::Default).split_whitespace().map(String::from).collect();
        assert_eq!(
            words,
            ["scenario", "size", "median", "ns/edge", "baseline", "ratio", "target", "met", "ok"]
        );
        let wide = header(Layout::Wide);
        for column in ["ticks", "min", "entities", "bindings", "bytes/binding", "note"] {
            assert!(wide.contains(column), "{column} missing from {wide}");
        }
    }

    #[test]
    fn the_legend_explains_every_default_column() {
        for word in ["median", "ns/edge", "baseline", "ratio", "met", "ok", "docs/BENCHMARKS.md"] {
            assert!(legend(Layout::Default).contains(word), "{word}");
        }
    }

    #[test]
    fn cells_read_as_numbers_with_units() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(human(90), "90 ns");
        assert_eq!(human(277_200), "277.2 µs");
        assert_eq!(times(0.0), "-");
        assert_eq!(times(13.694), "13.69x");
        let idle = &full_run()[1];
        assert_eq!(((PER_EDGE.cell)(idle), (OK.cell)(idle)), ("-".to_string(), "ok".to_string()));
    }

    #[test]
    fn a_failed_check_reads_fail() {
        let chain = &full_run()[3];
        assert_eq!((OK.cell)(chain), "FAIL");
    }

    #[test]
    fn notes_wrap_under_their_scenario() {
        let notes = notes(&full_run()[..1]);
        let lines: Vec<&str> = notes.lines().collect();
        assert_eq!(lines[0], "notes:");
        assert!(lines[1].starts_with("  build-1m  220 ns"));
        assert!(lines[2].starts_with("            ") && !lines[2].trim().is_empty());
        assert_eq!(super::notes(&[Outcome::new("idle-1m", 1)]), "");
    }
}
