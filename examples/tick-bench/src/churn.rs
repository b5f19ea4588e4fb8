//! The life-cycle scenarios: `churn-10k` (spawn, bind and despawn every
//! tick) and its long form, `--soak`.

use std::hint::black_box;
use std::time::Instant;

use bindery::{Engine, Entity};
use indicatif::ProgressBar;

use crate::measure::{rss_bytes, stats_ns};
use crate::outcome::Outcome;
use crate::scenarios::{Plan, V, finish, time, time_checked};

/// The state of a churn run.
struct Churn {
    /// The engine.
    engine: Engine,
    /// The targets spawned last tick, despawned this tick.
    previous: Vec<Entity>,
    /// The targets spawned this tick.
    spawned: Vec<Entity>,
}

impl Churn {
    fn new(engine: Engine, n: usize) -> Self {
        Self { engine, previous: Vec::with_capacity(n), spawned: Vec::with_capacity(n) }
    }

    /// One tick of churn: a new target bound to each source, last tick's
    /// targets despawned, then the tick.
    fn step(&mut self, sources: &[Entity]) {
        self.spawned.clear();
        for &source in sources {
            let t = self.engine.spawn((V(-1.0),));
            self.engine.bind::<V>(source, t).expect("alive");
            self.spawned.push(t);
        }
        for e in self.previous.drain(..) {
            self.engine.despawn(e).expect("alive");
        }
        self.engine.tick();
        std::mem::swap(&mut self.previous, &mut self.spawned);
    }
}

/// `churn-10k`: persistent sources; each tick spawns targets bound to them
/// and despawns the previous tick's.
pub fn churn(plan: Plan, bar: &ProgressBar) -> Outcome {
    /// RSS is compared between the end of this tick and the end of the run.
    const RSS_FROM: usize = 10;
    let n = plan.size(10_000);
    let ticks = plan.ticks.unwrap_or(if plan.quick { 10 } else { 100 });
    bar.set_message(format!("churn: {n} spawn+bind+despawn per tick"));
    let mut engine = Engine::new();
    let sources: Vec<Entity> = (0..n).map(|i| engine.spawn((V(i as f64),))).collect();
    let mut state = Churn::new(engine, n);
    let mut ok = true;
    let mut rss = (0, 0);
    let samples = time_checked(
        ticks,
        bar,
        &mut state,
        |s, _| s.step(&sources),
        // Counts back to the steady state every tick.
        |s, k| {
            ok &= s.engine.entity_count() == 2 * n && s.engine.binding_count() == n;
            if k + 1 == RSS_FROM {
                rss.0 = rss_bytes();
            }
            if k + 1 == ticks {
                rss.1 = rss_bytes();
            }
        },
    );
    let Churn { engine, previous, .. } = state;
    ok &= previous.iter().zip(&sources).all(|(&t, &s)| engine.get::<V>(t) == engine.get::<V>(s));
    // RSS is only compared on full runs long enough to have a tick 10 and
    // many after it (--quick checks counts only).
    let rss_checked = !plan.quick && ticks >= 2 * RSS_FROM;
    let flat = rss.1 as f64 <= rss.0 as f64 * 1.05;
    if rss_checked {
        ok &= flat;
    }
    // Baseline: the same churn on slot vectors with a free list.
    let mut values: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mut stale: Vec<bool> = vec![false; n];
    let mut free: Vec<u32> = Vec::new();
    let mut edges: Vec<(u32, u32)> = Vec::new();
    let mut live: Vec<u32> = Vec::new();
    let mut fresh: Vec<u32> = Vec::with_capacity(n);
    let base = time(ticks, bar, |_| {
        fresh.clear();
        for s in 0..n as u32 {
            let t = free.pop().unwrap_or_else(|| {
                values.push(0.0);
                stale.push(false);
                (values.len() - 1) as u32
            });
            values[t as usize] = -1.0;
            edges.push((s, t));
            fresh.push(t);
        }
        for &t in &live {
            stale[t as usize] = true;
        }
        edges.retain(|&(_, t)| !stale[t as usize]);
        for &t in &live {
            stale[t as usize] = false;
        }
        free.append(&mut live);
        for &(s, t) in &edges {
            values[t as usize] = values[s as usize];
        }
        std::mem::swap(&mut live, &mut fresh);
    });
    black_box(&values);
    let mut outcome = finish("churn-10k", n, &samples, &base, n, &engine, ok);
    outcome.note = if rss_checked {
        format!(
            "{:.0} ns per spawn+bind+despawn; RSS tick {RSS_FROM} {} MiB -> tick {ticks} {} MiB{}",
            outcome.per_edge_ns,
            rss.0 >> 20,
            rss.1 >> 20,
            if flat { "" } else { " (grew)" }
        )
    } else {
        format!("{:.0} ns per spawn+bind+despawn; RSS not checked (counts only)", outcome.per_edge_ns)
    };
    outcome
}

/// `--soak`: `churn-10k` for 10,000 ticks, RSS sampled every 1,000.
pub fn soak(plan: Plan, bar: &ProgressBar) -> Outcome {
    let n = plan.size(10_000);
    let ticks = plan.ticks.unwrap_or(10_000);
    let mut engine = Engine::new();
    let sources: Vec<Entity> = (0..n).map(|i| engine.spawn((V(i as f64),))).collect();
    let mut state = Churn::new(engine, n);
    let mut samples = Vec::new();
    let mut rss = Vec::new();
    let mut ok = true;
    for k in 0..ticks {
        let start = Instant::now();
        state.step(&sources);
        samples.push(start.elapsed().as_nanos() as u64);
        ok &= state.engine.entity_count() == 2 * n && state.engine.binding_count() == n;
        if (k + 1) % (ticks / 10).max(1) == 0 {
            rss.push(rss_bytes());
            bar.set_message(format!("soak: tick {} of {ticks}, RSS {} MiB", k + 1, rss_bytes() >> 20));
        }
    }
    let first = rss.first().copied().unwrap_or(0);
    let last = rss.last().copied().unwrap_or(0);
    ok &= last as f64 <= first as f64 * 1.05;
    let (median, min) = stats_ns(&samples);
    Outcome {
        ticks,
        median_ns: median,
        min_ns: min,
        edges_per_tick: n,
        per_edge_ns: median as f64 / n as f64,
        entities: state.engine.entity_count(),
        bindings: state.engine.binding_count(),
        ok,
        note: format!(
            "RSS MiB every {} ticks: {}",
            (ticks / 10).max(1),
            rss.iter().map(|r| (r >> 20).to_string()).collect::<Vec<_>>().join(" ")
        ),
        ..Outcome::new("soak-churn-10k", n)
    }
}
