//! Leak soak: a counting global allocator (this test binary's own) proves
//! that spawning, binding, ticking and despawning 100,000 entities in waves
//! returns live allocations to the baseline.
//!
//! The slack is capacity bindery keeps on purpose: arenas, free lists,
//! scratch buffers and hecs' archetype columns stay at their high-water mark
//! (set by the warm-up waves), so a steady workload allocates nothing new.
//!
//! The counting allocator lives in `support/alloc.rs`.

#[path = "support/alloc.rs"]
mod alloc;

use alloc::live_bytes;
use bindery::{Engine, Entity};

#[derive(Clone, Debug, PartialEq)]
struct Label(String);
#[derive(Clone, Copy, Debug, PartialEq)]
struct V(f64);

/// One wave: spawn `n` widgets bound every way bindery binds to the
/// persistent sources, tick with changes, despawn them all, tick again.
fn wave(engine: &mut Engine, sources: &[Entity], n: usize, round: usize) {
    let root = engine.spawn(());
    let mut spawned = Vec::with_capacity(n);
    for i in 0..n {
        let s = sources[i % sources.len()];
        let e = engine.spawn_child(root, (V(0.0), Label(String::new()))).expect("root alive");
        if i % 3 == 0 {
            engine.bind_two_way::<V>(e, s).expect("bind");
        } else {
            engine.bind::<V>(s, e).expect("bind");
        }
        engine.bind_map(s, e, move |v: &V| Label(format!("{i}: {}", v.0))).expect("bind");
        if i % 5 == 0 {
            engine.derive(e, (s, s), |(a, b): (&V, &V)| Label(format!("{}", a.0 + b.0))).expect("derive");
        }
        spawned.push(e);
    }
    let values = engine.subscribe::<V>(spawned[0]).expect("subscribe");
    engine.tick();
    for s in sources {
        engine.modify(*s, |v: &mut V| v.0 += round as f64 + 1.0).expect("alive");
    }
    engine.tick();
    drop(values);
    for &e in &spawned[..n / 2] {
        engine.despawn(e).expect("alive");
    }
    engine.despawn_recursive(root).expect("alive");
    engine.tick();
}

#[test]
fn live_allocations_return_to_the_baseline_after_100k_entities() {
    let mut engine = Engine::new();
    let sources: Vec<Entity> = (0..100).map(|i| engine.spawn((V(i as f64),))).collect();
    let counts = (engine.entity_count(), engine.binding_count());
    // Warm-up: three waves set every buffer's high-water mark. (The first
    // binds into fresh slots, whose syncs are recorded as a few runs; later
    // waves reuse freed slots in any order, one record each. The settle
    // swaps its buffer of pending changes with the graph's every tick, and
    // a wave has an odd number of ticks: each of the two buffers meets a
    // later wave's first tick in a different wave.)
    for round in 0..3 {
        wave(&mut engine, &sources, 5_000, round);
    }
    let baseline = live_bytes();
    for round in 3..23 {
        wave(&mut engine, &sources, 5_000, round); // 20 waves: 100,000 entities
        assert_eq!((engine.entity_count(), engine.binding_count()), counts);
    }
    let after = live_bytes();
    const SLACK: isize = 64 * 1024;
    assert!(
        after - baseline <= SLACK,
        "live bytes grew by {} over 100,000 entities (baseline {baseline}, after {after})",
        after - baseline
    );
    assert_eq!(engine.check_invariants(), Ok(()));
    drop(engine);
    drop(sources);
}

#[test]
fn a_compiled_schedule_is_freed_once_the_graph_changes() {
    // A 10,000-link chain whose root is set tick after tick runs from a
    // compiled schedule (tens of bytes a link); once a binding is made
    // anywhere, that schedule can never run again and its storage goes.
    let mut engine = Engine::new();
    let root = engine.spawn((V(0.0),));
    let mut from = root;
    for _ in 0..10_000 {
        let link = engine.spawn((V(0.0),));
        engine.bind::<V>(from, link).expect("bind");
        from = link;
    }
    engine.tick();
    let mut scheduled = 0;
    for k in 1..=3 {
        engine.set(root, V(k as f64)).expect("alive");
        scheduled += engine.tick().scheduled;
    }
    assert_eq!(scheduled, 2, "the second and third ticks repeat the first");
    let (a, b) = (engine.spawn((V(1.0),)), engine.spawn((V(0.0),)));
    let with_schedule = live_bytes();
    engine.bind::<V>(a, b).expect("bind");
    engine.tick();
    let freed = with_schedule - live_bytes();
    assert!(freed >= 10_000 * 48, "only {freed} bytes freed");
}
