//! The scenarios of `docs/BENCHMARKS.md`, each run on bindery and on the baseline.

use std::hint::black_box;
use std::time::Instant;

use bindery::{Engine, Entity};
use indicatif::ProgressBar;

use crate::baseline::{self, Csr};
use crate::measure::{rss_bytes, stats_ns};
use crate::outcome::Outcome;

/// The benchmarked property.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct V(pub f64);

/// A small deterministic generator (xorshift64*), shared by both sides.
#[derive(Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// A number in `0..n`.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize) % n
    }

    /// For each of `ticks` ticks, `k` distinct indices in `0..n` (`k <= n`),
    /// drawn before timing so both sides replay exactly the same changes and
    /// every change of a tick writes something.
    pub fn distinct_picks(&mut self, n: usize, k: usize, ticks: usize) -> Vec<Vec<u32>> {
        let k = k.min(n);
        let mut seen = vec![usize::MAX; n];
        (0..ticks)
            .map(|tick| {
                let mut picks = Vec::with_capacity(k);
                while picks.len() < k {
                    let i = self.below(n);
                    if seen[i] != tick {
                        seen[i] = tick;
                        picks.push(i as u32);
                    }
                }
                picks
            })
            .collect()
    }
}

/// How big and how long.
#[derive(Clone, Copy)]
pub struct Plan {
    /// Divide sizes by this (10 with `--quick`).
    pub scale: usize,
    /// Ticks to time, unless a scenario fixes its own.
    pub ticks: Option<usize>,
    /// Whether `--quick` is on.
    pub quick: bool,
}

impl Plan {
    /// A scenario's size: its full size divided by the scale, at least 1.
    pub(crate) fn size(&self, full: usize) -> usize {
        (full / self.scale).max(1)
    }

    /// Ticks to time: `--ticks` if given, else the scenario's default (a
    /// quarter of it, at least 3, with `--quick`).
    pub(crate) fn ticks(&self, default: usize) -> usize {
        self.ticks.unwrap_or(if self.quick { default.div_ceil(4).max(3) } else { default })
    }
}

/// Times `ticks` runs of `f`, in nanoseconds each.
pub(crate) fn time(ticks: usize, bar: &ProgressBar, mut f: impl FnMut(usize)) -> Vec<u64> {
    time_checked(ticks, bar, &mut (), |(), k| f(k), |(), _| {})
}

/// Times `ticks` runs of `work` on `state`, running the untimed `check` on
/// it after each (so checks can read what `work` mutated without being
/// counted).
pub(crate) fn time_checked<S>(
    ticks: usize,
    bar: &ProgressBar,
    state: &mut S,
    mut work: impl FnMut(&mut S, usize),
    mut check: impl FnMut(&mut S, usize),
) -> Vec<u64> {
    (0..ticks)
        .map(|k| {
            let start = Instant::now();
            work(state, k);
            let ns = start.elapsed().as_nanos() as u64;
            check(state, k);
            bar.tick();
            ns
        })
        .collect()
}

/// The `build-1m` graph: `pairs` one-way bindings between `2 * pairs`
/// entities, synced.
pub struct Pairs {
    engine: Engine,
    sources: Vec<Entity>,
    targets: Vec<Entity>,
    csr: Csr,
}

/// `build-1m`: spawn, then bind; time and bytes per binding.
pub fn build(plan: Plan, bar: &ProgressBar) -> (Outcome, Pairs) {
    let pairs = plan.size(1_000_000);
    bar.set_message(format!("build: spawning {} entities", 2 * pairs));
    let mut engine = Engine::new();
    let entities: Vec<Entity> = (0..2 * pairs).map(|_| engine.spawn((V(0.0),))).collect();
    let rss_before = rss_bytes();
    bar.set_message(format!("build: binding {pairs} pairs"));
    let start = Instant::now();
    for pair in entities.chunks_exact(2) {
        engine.bind::<V>(pair[0], pair[1]).expect("alive, with V");
    }
    let bind_ns = start.elapsed().as_nanos() as u64;
    let rss_after = rss_bytes();
    let (entity_count, binding_count) = (engine.entity_count(), engine.binding_count());
    engine.tick(); // the initial sync, not timed

    let edges: Vec<(u32, u32)> = (0..pairs as u32).map(|i| (2 * i, 2 * i + 1)).collect();
    let start = Instant::now();
    let csr = Csr::new(2 * pairs, black_box(&edges));
    let base_ns = start.elapsed().as_nanos() as u64;

    let per = bind_ns as f64 / pairs as f64;
    let base = base_ns as f64 / pairs as f64;
    let bytes = rss_after.saturating_sub(rss_before) as f64 / pairs as f64;
    let outcome = Outcome {
        ticks: 1,
        median_ns: bind_ns,
        min_ns: bind_ns,
        edges_per_tick: pairs,
        per_edge_ns: per,
        baseline_per_edge_ns: base,
        entities: entity_count,
        bindings: binding_count,
        bytes_per_binding: bytes,
        ok: entity_count == 2 * pairs && binding_count == pairs,
        note: format!("{per:.0} ns per bind, {bytes:.0} bytes per binding"),
        ..Outcome::new("build-1m", pairs)
    };
    let (sources, targets) = entities.chunks_exact(2).map(|p| (p[0], p[1])).unzip();
    (outcome, Pairs { engine, sources, targets, csr })
}

/// `idle-1m`: tick with nothing changed.
pub fn idle(plan: Plan, bar: &ProgressBar, graph: &mut Pairs) -> Outcome {
    bar.set_message("idle: ticking");
    let mut written = 0;
    let samples = time(plan.ticks(1000), bar, |_| written += graph.engine.tick().properties_written);
    let base = time(plan.ticks(1000), bar, |_| {
        black_box(graph.csr.tick());
    });
    let (median, min) = stats_ns(&samples);
    Outcome {
        ticks: samples.len(),
        median_ns: median,
        min_ns: min,
        baseline_per_edge_ns: 0.0,
        entities: graph.engine.entity_count(),
        bindings: graph.engine.binding_count(),
        ok: written == 0,
        note: format!("baseline idle {} ns", stats_ns(&base).0),
        ..Outcome::new("idle-1m", graph.sources.len())
    }
}

/// `sparse-1m`: 1% of the sources change per tick, each to a value it never
/// held; the same changes replay on the baseline.
pub fn sparse(plan: Plan, bar: &ProgressBar, graph: &mut Pairs) -> Outcome {
    let n = graph.sources.len();
    let changes = (n / 100).max(1);
    let ticks = plan.ticks(20);
    bar.set_message(format!("sparse: {changes} changes per tick"));
    let picks = Rng(0x9e37_79b9_7f4a_7c15).distinct_picks(n, changes, ticks);
    let value = |k: usize| 1.0e6 + k as f64;
    let (sources, targets) = (&graph.sources, &graph.targets);
    let mut ok = true;
    let mut written = Vec::with_capacity(ticks);
    let samples = time_checked(
        ticks,
        bar,
        &mut graph.engine,
        |engine, k| {
            for &i in &picks[k] {
                engine.set(sources[i as usize], V(value(k))).expect("alive, with V");
            }
            written.push(engine.tick().properties_written);
        },
        // Every changed source's target holds its value after the tick.
        |engine, k| ok &= picks[k].iter().all(|&i| engine.get::<V>(targets[i as usize]) == Ok(V(value(k)))),
    );
    ok &= written.iter().all(|&w| w == changes);
    let mut base_written = Vec::with_capacity(ticks);
    let base = time(ticks, bar, |k| {
        for &i in &picks[k] {
            graph.csr.set(2 * i, value(k));
        }
        base_written.push(graph.csr.tick());
    });
    ok &= base_written == written;
    ok &= targets
        .iter()
        .enumerate()
        .all(|(i, &t)| graph.engine.get::<V>(t) == Ok(V(graph.csr.values[2 * i + 1])));
    finish("sparse-1m", n, &samples, &base, mean(&written), &graph.engine, ok)
}

/// The mean of `xs` (0 when empty).
pub(crate) fn mean(xs: &[usize]) -> usize {
    xs.iter().sum::<usize>() / xs.len().max(1)
}

/// Fills in the timing columns of an outcome.
pub(crate) fn finish(
    name: &str,
    size: usize,
    samples: &[u64],
    base: &[u64],
    edges: usize,
    engine: &Engine,
    ok: bool,
) -> Outcome {
    let (median, min) = stats_ns(samples);
    let (base_median, _) = stats_ns(base);
    let per = median as f64 / edges.max(1) as f64;
    let base_per = base_median as f64 / edges.max(1) as f64;
    Outcome {
        ticks: samples.len(),
        median_ns: median,
        min_ns: min,
        edges_per_tick: edges,
        per_edge_ns: per,
        baseline_per_edge_ns: base_per,
        entities: engine.entity_count(),
        bindings: engine.binding_count(),
        ok,
        ..Outcome::new(name, size)
    }
}

/// The shape shared by `chain-10k` and `fanout-100k`: value 0 of `values`
/// (entity `entities[0]`) is set every tick; `check(engine, value)` says
/// whether the rest followed in that ONE tick, and every tick must write
/// `expected` properties. The baseline runs the same sets on `edges`.
struct SingleSource<'a> {
    name: &'a str,
    size: usize,
    entities: Vec<Entity>,
    edges: Vec<(u32, u32)>,
    expected: usize,
}

fn single_source(
    bar: &ProgressBar,
    ticks: usize,
    mut engine: Engine,
    setup: SingleSource<'_>,
    mut check: impl FnMut(&Engine, f64) -> bool,
) -> Outcome {
    engine.tick();
    let value = |k: usize| k as f64 + 1.0;
    let source = setup.entities[0];
    let mut ok = true;
    let mut written = Vec::with_capacity(ticks);
    let samples = time_checked(
        ticks,
        bar,
        &mut engine,
        |engine, k| {
            engine.set(source, V(value(k))).expect("alive");
            written.push(engine.tick().properties_written);
        },
        |engine, k| ok &= check(engine, value(k)),
    );
    ok &= written.iter().all(|&w| w == setup.expected);
    let mut csr = Csr::new(setup.entities.len(), &setup.edges);
    let base = time(ticks, bar, |k| {
        csr.set(0, value(k));
        black_box(csr.tick());
    });
    // The baseline ends with the same values, one by one.
    ok &= setup.entities.iter().zip(&csr.values).all(|(&e, &x)| engine.get::<V>(e) == Ok(V(x)));
    finish(setup.name, setup.size, &samples, &base, mean(&written), &engine, ok)
}

/// `chain-10k`: a0 → a1 → … → aN, set a0.
pub fn chain(plan: Plan, bar: &ProgressBar) -> Outcome {
    let n = plan.size(10_000).max(2);
    bar.set_message(format!("chain: {n} links"));
    let mut engine = Engine::new();
    let chain: Vec<Entity> = (0..n).map(|_| engine.spawn((V(0.0),))).collect();
    for pair in chain.windows(2) {
        engine.bind::<V>(pair[0], pair[1]).expect("alive");
    }
    let last = chain[n - 1];
    let edges = (0..n as u32 - 1).map(|i| (i, i + 1)).collect();
    let setup = SingleSource { name: "chain-10k", size: n, entities: chain, edges, expected: n - 1 };
    // The last link holds the new value after ONE tick.
    single_source(bar, plan.ticks(200), engine, setup, |engine, x| engine.get::<V>(last) == Ok(V(x)))
}

/// `fanout-100k`: one source bound to every target.
pub fn fanout(plan: Plan, bar: &ProgressBar) -> Outcome {
    let n = plan.size(100_000);
    bar.set_message(format!("fanout: {n} targets"));
    let mut engine = Engine::new();
    let entities: Vec<Entity> = (0..=n).map(|_| engine.spawn((V(0.0),))).collect();
    for &t in &entities[1..] {
        engine.bind::<V>(entities[0], t).expect("alive");
    }
    let targets = entities[1..].to_vec();
    let edges = (1..=n as u32).map(|t| (0, t)).collect();
    let setup = SingleSource { name: "fanout-100k", size: n, entities, edges, expected: n };
    // All targets hold the new value after one tick.
    single_source(bar, plan.ticks(100), engine, setup, |engine, x| {
        targets.iter().all(|&t| engine.get::<V>(t) == Ok(V(x)))
    })
}

/// `two-way-100k`: pairs bound both ways; per tick 1% of the pairs (distinct)
/// are set, alternately from side `a` and side `b`.
pub fn two_way(plan: Plan, bar: &ProgressBar) -> Outcome {
    let n = plan.size(100_000);
    let changes = (n / 100).clamp(2, n);
    bar.set_message(format!("two-way: {n} pairs"));
    let mut engine = Engine::new();
    let mut ends = Vec::with_capacity(n);
    for _ in 0..n {
        let a = engine.spawn((V(0.0),));
        let b = engine.spawn((V(0.0),));
        engine.bind_two_way::<V>(a, b).expect("alive");
        ends.push((a, b));
    }
    engine.tick();
    let ticks = plan.ticks(50);
    let picks = Rng(0x51_7cc1_b727_220a).distinct_picks(n, changes, ticks);
    // Tick k's c-th change: a value no property held before.
    let value = |k: usize, c: usize| (k * changes + c + 1) as f64;
    let mut ok = true;
    let mut written = Vec::with_capacity(ticks);
    let samples = time_checked(
        ticks,
        bar,
        &mut engine,
        |engine, k| {
            for (c, &i) in picks[k].iter().enumerate() {
                let (a, b) = ends[i as usize];
                engine.set(if c % 2 == 0 { a } else { b }, V(value(k, c))).expect("alive");
            }
            written.push(engine.tick().properties_written);
        },
        // Both sides of every pair set hold its value after one tick.
        |engine, k| {
            for (c, &i) in picks[k].iter().enumerate() {
                let (a, b) = ends[i as usize];
                let want = Ok(V(value(k, c)));
                ok &= engine.get::<V>(a) == want && engine.get::<V>(b) == want;
            }
        },
    );
    // Each property written at most once (no ping-pong): exactly the other
    // side of each pair set.
    ok &= written.iter().all(|&w| w == changes);
    let edges: Vec<(u32, u32)> =
        (0..n as u32).flat_map(|i| [(2 * i, 2 * i + 1), (2 * i + 1, 2 * i)]).collect();
    let mut csr = Csr::new(2 * n, &edges);
    let base = time(ticks, bar, |k| {
        for (c, &i) in picks[k].iter().enumerate() {
            csr.set(2 * i + (c % 2) as u32, value(k, c));
        }
        black_box(csr.tick());
    });
    ok &= ends.iter().enumerate().all(|(i, &(a, b))| {
        engine.get::<V>(a) == Ok(V(csr.values[2 * i])) && engine.get::<V>(b) == Ok(V(csr.values[2 * i + 1]))
    });
    finish("two-way-100k", n, &samples, &base, mean(&written), &engine, ok)
}

/// The state `churn-10k` carries from tick to tick.
/// `cellx-N`: layers of four derived properties.
pub fn cellx(plan: Plan, bar: &ProgressBar, layers: usize) -> Outcome {
    let name = format!("cellx-{layers}");
    bar.set_message(format!("{name}: building"));
    let mut engine = Engine::new();
    let first: Vec<Entity> = (1..=4).map(|x| engine.spawn((V(x as f64),))).collect();
    let mut prev = first.clone();
    for _ in 1..layers {
        let next: Vec<Entity> = (0..4).map(|_| engine.spawn((V(0.0),))).collect();
        engine.derive(next[0], (prev[1],), |(b,): (&V,)| *b).expect("derive");
        engine.derive(next[1], (prev[0], prev[2]), |(a, c): (&V, &V)| V(a.0 - c.0)).expect("derive");
        engine.derive(next[2], (prev[1], prev[3]), |(b, d): (&V, &V)| V(b.0 + d.0)).expect("derive");
        engine.derive(next[3], (prev[2],), |(c,): (&V,)| *c).expect("derive");
        prev = next;
    }
    engine.tick();
    let inputs = [[4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0]];
    let mut expected = Vec::new();
    let mut ok = true;
    let mut fired = Vec::new();
    let ticks = plan.ticks(50);
    bar.set_message(format!("{name}: ticking"));
    let samples = time(ticks, bar, |k| {
        for (e, x) in first.iter().zip(inputs[k % 2]) {
            engine.set(*e, V(x)).expect("alive");
        }
        let stats = engine.tick();
        ok &= stats.bindings_fired <= 4 * (layers - 1);
        fired.push(stats.properties_written);
    });
    baseline::cellx(inputs[(ticks - 1) % 2], layers, &mut expected);
    let last = expected[layers - 1];
    ok &= prev.iter().zip(last).all(|(&e, x)| engine.get::<V>(e) == Ok(V(x)));
    let base = time(ticks, bar, |k| {
        baseline::cellx(inputs[k % 2], layers, &mut expected);
        black_box(&expected);
    });
    let mut outcome = finish(&name, layers, &samples, &base, mean(&fired), &engine, ok);
    outcome.note = format!("update tick {:.2} ms", outcome.median_ns as f64 / 1e6);
    outcome
}
