//! `Engine::reserve`: a hint that makes a large build grow the engine's
//! storage at once instead of step by step, and changes nothing else.

#[path = "support/alloc.rs"]
mod alloc;

use bindery::{Engine, Entity};

#[derive(Clone, Copy, Debug, PartialEq)]
struct V(i64);

/// A fan-out of `n` targets from one source, bound with or without
/// `reserve` first; returns the engine and the allocations binding made.
fn fan_out(n: usize, reserve: bool) -> (Engine, Entity, Vec<Entity>, isize) {
    let mut engine = Engine::new();
    let source = engine.spawn((V(7),));
    let targets: Vec<Entity> = (0..n).map(|_| engine.spawn((V(0),))).collect();
    let before = alloc::allocations();
    if reserve {
        engine.reserve(n);
    }
    for &t in &targets {
        engine.bind::<V>(source, t).expect("alive");
    }
    (engine, source, targets, alloc::allocations() - before)
}

#[test]
fn reserving_saves_the_step_by_step_growth_and_changes_nothing_else() {
    let n = 10_000;
    let (mut plain, _, plain_targets, grown) = fan_out(n, false);
    let (mut reserved, source, targets, reserved_allocations) = fan_out(n, true);
    // The graph's node and edge arrays each grow about log2(n) times
    // without the hint (a loop of binds owes its syncs as one run, which
    // does not grow); with it, each allocates once.
    assert!(
        reserved_allocations + 20 <= grown,
        "reserve saved {} of {grown} allocations",
        grown - reserved_allocations
    );
    for (engine, targets) in [(&mut plain, &plain_targets), (&mut reserved, &targets)] {
        let stats = engine.tick();
        assert_eq!((stats.bindings_fired, stats.properties_written), (n, n));
        assert!(targets.iter().all(|&t| engine.get::<V>(t) == Ok(V(7))));
        assert_eq!((engine.entity_count(), engine.binding_count()), (n + 1, n));
    }
    // Reserving for more than is bound, or again, is harmless.
    reserved.reserve(3 * n);
    reserved.set(source, V(8)).expect("alive");
    assert_eq!(reserved.tick().properties_written, n);
}
