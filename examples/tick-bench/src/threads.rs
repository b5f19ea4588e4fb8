//! `threads-4x250k`: commands from other threads, end to end.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Instant;

use bindery::{Engine, Entity};
use indicatif::ProgressBar;

use crate::outcome::Outcome;
use crate::scenarios::{Plan, V};

/// `threads-4x250k`: four producers send sets through their own handles
/// while the owner ticks.
pub fn threads(plan: Plan, bar: &ProgressBar) -> Outcome {
    const PRODUCERS: usize = 4;
    let per = plan.size(250_000);
    let slots = 1024;
    bar.set_message(format!("threads: {PRODUCERS} x {per} sets"));
    let mut engine = Engine::new();
    let entities: Vec<Entity> = (0..PRODUCERS * slots).map(|_| engine.spawn((V(-1.0),))).collect();
    let go = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let handle = engine.handle();
            let mine: Vec<Entity> = entities[p * slots..(p + 1) * slots].to_vec();
            let go = go.clone();
            thread::spawn(move || {
                while !go.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
                for i in 0..per {
                    handle.set(mine[i % slots], V(i as f64)).expect("engine alive");
                }
            })
        })
        .collect();
    go.store(true, Ordering::Release);
    let (mut applied, mut rejected, mut ticks) = (0, 0, 0);
    while applied < PRODUCERS * per {
        let stats = engine.tick();
        applied += stats.commands_applied;
        rejected += stats.commands_rejected;
        ticks += 1;
        if stats.commands_applied == 0 {
            thread::yield_now();
        }
    }
    let elapsed = start.elapsed().as_nanos() as u64;
    for p in producers {
        p.join().expect("producer");
    }
    // Per-sender order: every slot holds the last value its producer sent.
    let last = |i: usize| (0..per).rev().find(|k| k % slots == i).map_or(-1.0, |k| k as f64);
    let ok = rejected == 0
        && entities.iter().enumerate().all(|(j, &e)| engine.get::<V>(e) == Ok(V(last(j % slots))));

    // Baseline: the same sends of (index, value) over a plain channel into a Vec.
    let (tx, rx) = bindery::crossbeam_channel::unbounded::<(u32, f64)>();
    let start = Instant::now();
    let senders: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..per {
                    tx.send(((p * slots + i % slots) as u32, i as f64)).expect("receiver alive");
                }
            })
        })
        .collect();
    drop(tx);
    let mut values = vec![0.0; PRODUCERS * slots];
    for (i, v) in rx.iter() {
        values[i as usize] = v;
    }
    let base_elapsed = start.elapsed().as_nanos() as u64;
    for s in senders {
        s.join().expect("sender");
    }
    black_box(&values);
    let total = PRODUCERS * per;
    let per_cmd = elapsed as f64 / total as f64;
    Outcome {
        ticks,
        median_ns: elapsed,
        min_ns: elapsed,
        edges_per_tick: total,
        per_edge_ns: per_cmd,
        baseline_per_edge_ns: base_elapsed as f64 / total as f64,
        entities: engine.entity_count(),
        bindings: engine.binding_count(),
        ok,
        note: format!("{:.1} M commands/s end to end", total as f64 / elapsed as f64 * 1e3),
        ..Outcome::new("threads-4x250k", total)
    }
}
