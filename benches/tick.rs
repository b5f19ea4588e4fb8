//! Criterion benchmarks, one group per scenario family of `BENCHMARKS.md`,
//! each swept over sizes. The tick benchmark runner
//! (`cargo run --release -p tick-bench`) is the full-size, baseline-compared
//! report; these are for tracking one family precisely.
//!
//! `cargo bench --bench tick -- sparse` runs one family.

use std::hint::black_box;
use std::time::Duration;

use bindery::{Engine, Entity};
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main};

/// The benchmarked property.
#[derive(Clone, Copy, Debug, PartialEq)]
struct V(f64);

/// `pairs` one-way bindings between `2 * pairs` entities, initial sync done.
fn pairs(pairs: usize) -> (Engine, Vec<Entity>) {
    let mut engine = Engine::new();
    let mut sources = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        let s = engine.spawn((V(0.0),));
        let t = engine.spawn((V(0.0),));
        engine.bind::<V>(s, t).expect("alive, with V");
        sources.push(s);
    }
    engine.tick();
    (engine, sources)
}

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

/// A build family, swept over sizes: `setup` spawns the entities
/// (untimed), `bind` binds them (timed).
fn bench_builds<S>(c: &mut Criterion, name: &str, setup: impl Fn(usize) -> S, bind: impl Fn(S) -> Engine) {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    for size in [1_000, 10_000, 100_000] {
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            b.iter_batched(|| setup(size), &bind, BatchSize::PerIteration);
        });
    }
    group.finish();
}

/// Binding `size` one-way pairs (`tick-bench`'s build).
fn build(c: &mut Criterion) {
    bench_builds(
        c,
        "build",
        |size| {
            let mut engine = Engine::new();
            let entities: Vec<Entity> = (0..2 * size).map(|_| engine.spawn((V(0.0),))).collect();
            (engine, entities)
        },
        |(mut engine, entities)| {
            for pair in entities.chunks_exact(2) {
                engine.bind::<V>(pair[0], pair[1]).expect("alive");
            }
            engine
        },
    );
}

fn idle(c: &mut Criterion) {
    let mut group = c.benchmark_group("idle");
    for size in SIZES {
        let (mut engine, _) = pairs(size);
        group.bench_function(BenchmarkId::from_parameter(size), |b| b.iter(|| black_box(engine.tick())));
    }
    group.finish();
}

fn sparse(c: &mut Criterion) {
    let mut group = c.benchmark_group("sparse");
    for size in SIZES {
        let (mut engine, sources) = pairs(size);
        let changes = (size / 100).max(1);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut value = 0.0;
        group.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| {
                value += 1.0;
                for _ in 0..changes {
                    let s = sources[rng.below(sources.len())];
                    engine.set(s, V(value)).expect("alive");
                }
                black_box(engine.tick())
            })
        });
    }
    group.finish();
}

fn chain(c: &mut Criterion) {
    let mut group = c.benchmark_group("chain");
    for size in [100, 1_000, 10_000] {
        let mut engine = Engine::new();
        let chain: Vec<Entity> = (0..size).map(|_| engine.spawn((V(0.0),))).collect();
        for pair in chain.windows(2) {
            engine.bind::<V>(pair[0], pair[1]).expect("alive");
        }
        bench_set_one(&mut group, size, engine, chain[0]);
    }
    group.finish();
}

/// Benchmarks a tick after setting `source` to a new value, on a synced
/// graph (chain and fan-out).
fn bench_set_one(group: &mut BenchmarkGroup<'_, WallTime>, size: usize, mut engine: Engine, source: Entity) {
    engine.tick();
    let mut value = 0.0;
    group.bench_function(BenchmarkId::from_parameter(size), |b| {
        b.iter(|| {
            value += 1.0;
            engine.set(source, V(value)).expect("alive");
            black_box(engine.tick())
        })
    });
}

fn fanout(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanout");
    for size in [100, 10_000, 100_000] {
        let mut engine = Engine::new();
        let source = engine.spawn((V(0.0),));
        for _ in 0..size {
            let t = engine.spawn((V(0.0),));
            engine.bind::<V>(source, t).expect("alive");
        }
        bench_set_one(&mut group, size, engine, source);
    }
    group.finish();
}

fn two_way(c: &mut Criterion) {
    let mut group = c.benchmark_group("two-way");
    for size in [1_000, 10_000, 100_000] {
        let mut engine = Engine::new();
        let mut ends = Vec::with_capacity(size);
        for _ in 0..size {
            let a = engine.spawn((V(0.0),));
            let b = engine.spawn((V(0.0),));
            engine.bind_two_way::<V>(a, b).expect("alive");
            ends.push((a, b));
        }
        engine.tick();
        let changes = (size / 100).max(1);
        let mut rng = Rng(0x51_7cc1_b727_220a);
        let mut value = 0.0;
        group.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| {
                value += 1.0;
                for i in 0..changes {
                    let (a, b) = ends[rng.below(ends.len())];
                    engine.set(if i % 2 == 0 { a } else { b }, V(value)).expect("alive");
                }
                black_box(engine.tick())
            })
        });
    }
    group.finish();
}

fn churn(c: &mut Criterion) {
    let mut group = c.benchmark_group("churn");
    for size in [100, 1_000, 10_000] {
        let mut engine = Engine::new();
        let sources: Vec<Entity> = (0..size).map(|_| engine.spawn((V(1.0),))).collect();
        let mut previous: Vec<Entity> = Vec::with_capacity(size);
        group.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| {
                let spawned: Vec<Entity> = sources
                    .iter()
                    .map(|&s| {
                        let t = engine.spawn((V(0.0),));
                        engine.bind::<V>(s, t).expect("alive");
                        t
                    })
                    .collect();
                for e in previous.drain(..) {
                    engine.despawn(e).expect("alive");
                }
                previous = spawned;
                black_box(engine.tick())
            })
        });
    }
    group.finish();
}

/// Binding one source to `size` targets (`tick-bench`'s fan-out build).
fn fanout_build(c: &mut Criterion) {
    bench_builds(
        c,
        "fanout-build",
        |size| {
            let mut engine = Engine::new();
            let source = engine.spawn((V(0.0),));
            let targets: Vec<Entity> = (0..size).map(|_| engine.spawn((V(0.0),))).collect();
            (engine, source, targets)
        },
        |(mut engine, source, targets)| {
            for &t in &targets {
                engine.bind::<V>(source, t).expect("alive");
            }
            engine
        },
    );
}

/// cellx: `layers` layers of four derived cells, each computed from one or
/// two cells of the layer before (`tick-bench`'s cellx); a tick sets the
/// four cells of the first layer.
fn cellx(c: &mut Criterion) {
    let mut group = c.benchmark_group("cellx");
    for layers in [1_000, 2_500, 5_000] {
        let mut engine = Engine::new();
        let first: Vec<Entity> = (1..=4).map(|x| engine.spawn((V(f64::from(x)),))).collect();
        let mut prev = first.clone();
        for _ in 1..layers {
            let next: Vec<Entity> = (0..4).map(|_| engine.spawn((V(0.0),))).collect();
            engine.derive(next[0], (prev[1],), |(b,): (&V,)| *b).expect("alive");
            engine.derive(next[1], (prev[0], prev[2]), |(a, c): (&V, &V)| V(a.0 - c.0)).expect("alive");
            engine.derive(next[2], (prev[1], prev[3]), |(b, d): (&V, &V)| V(b.0 + d.0)).expect("alive");
            engine.derive(next[3], (prev[2],), |(c,): (&V,)| *c).expect("alive");
            prev = next;
        }
        engine.tick();
        let mut k = 0.0;
        group.bench_function(BenchmarkId::from_parameter(layers), |b| {
            b.iter(|| {
                k += 1.0;
                for (j, &e) in first.iter().enumerate() {
                    engine.set(e, V(k * 4.0 + j as f64)).expect("alive");
                }
                black_box(engine.tick())
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = build, fanout_build, idle, sparse, chain, fanout, two_way, churn, cellx
}
criterion_main!(benches);
