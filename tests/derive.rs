//! Derived properties: glitch-free, computed once per tick from settled
//! inputs, at any depth.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bindery::{Engine, Entity, Error};

#[derive(Clone, Copy, Debug, PartialEq)]
struct V(i64);
#[derive(Clone, Debug, PartialEq)]
struct Label(String);

fn v(engine: &Engine, e: Entity) -> i64 {
    engine.get::<V>(e).expect("entity has a V").0
}

fn counter() -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let c = Arc::new(AtomicUsize::new(0));
    (c.clone(), c)
}

#[test]
fn a_diamond_computes_its_bottom_once_from_final_inputs() -> Result<(), Error> {
    // a -> b (plain), a -> c (derived), d = b + c (derived).
    let mut engine = Engine::new();
    let [a, b, c, d] = [0, 0, 0, 0].map(|x| engine.spawn((V(x),)));
    engine.bind::<V>(a, b)?;
    engine.derive(c, (a,), |(x,): (&V,)| V(x.0 * 10))?;
    let (runs, seen) = counter();
    let inputs = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = inputs.clone();
    engine.derive(d, (b, c), move |(x, y): (&V, &V)| {
        seen.fetch_add(1, Ordering::SeqCst);
        log.lock().unwrap().push((x.0, y.0));
        V(x.0 + y.0)
    })?;
    engine.tick();
    runs.store(0, Ordering::SeqCst);
    inputs.lock().unwrap().clear();

    engine.set(a, V(2))?;
    let stats = engine.tick();
    assert_eq!(v(&engine, d), 22);
    assert_eq!(runs.load(Ordering::SeqCst), 1, "d computed once");
    assert_eq!(*inputs.lock().unwrap(), vec![(2, 20)], "never from a half-updated mix");
    assert_eq!(stats.properties_written, 3);
    Ok(())
}

/// The cellx benchmark's layer rule.
fn cellx(engine: &mut Engine, layers: usize) -> (Vec<Entity>, Vec<Entity>) {
    let first: Vec<Entity> = (1..=4).map(|x| engine.spawn((V(x),))).collect();
    let mut prev = first.clone();
    for _ in 1..layers {
        let next: Vec<Entity> = (0..4).map(|_| engine.spawn((V(0),))).collect();
        engine.derive(next[0], (prev[1],), |(b,): (&V,)| *b).expect("derive");
        engine.derive(next[1], (prev[0], prev[2]), |(a, c): (&V, &V)| V(a.0 - c.0)).expect("derive");
        engine.derive(next[2], (prev[1], prev[3]), |(b, d): (&V, &V)| V(b.0 + d.0)).expect("derive");
        engine.derive(next[3], (prev[2],), |(c,): (&V,)| *c).expect("derive");
        prev = next;
    }
    (first, prev)
}

fn recompute(mut layer: [i64; 4], layers: usize) -> [i64; 4] {
    for _ in 1..layers {
        layer = [layer[1], layer[0] - layer[2], layer[1] + layer[3], layer[2]];
    }
    layer
}

#[test]
fn cellx_at_1000_layers_matches_a_plain_recomputation_after_one_tick() -> Result<(), Error> {
    const LAYERS: usize = 1000;
    let mut engine = Engine::new();
    let (first, last) = cellx(&mut engine, LAYERS);
    engine.tick();
    let expected = recompute([1, 2, 3, 4], LAYERS);
    assert_eq!(last.iter().map(|&e| v(&engine, e)).collect::<Vec<_>>(), expected);

    for (e, x) in first.iter().zip([4, 3, 2, 1]) {
        engine.set(*e, V(x))?;
    }
    let stats = engine.tick();
    let expected = recompute([4, 3, 2, 1], LAYERS);
    assert_eq!(last.iter().map(|&e| v(&engine, e)).collect::<Vec<_>>(), expected);
    assert!(stats.bindings_fired <= 4 * (LAYERS - 1), "each derived property computed at most once");
    assert_eq!(stats.cycles_cut, 0);
    Ok(())
}

#[test]
fn a_derived_chain_ten_thousand_deep_settles_in_one_tick() -> Result<(), Error> {
    const N: usize = 10_000;
    let mut engine = Engine::new();
    let chain: Vec<Entity> = (0..N).map(|_| engine.spawn((V(0),))).collect();
    for pair in chain.windows(2) {
        engine.derive(pair[1], (pair[0],), |(x,): (&V,)| V(x.0 + 1))?;
    }
    engine.tick();
    assert_eq!(v(&engine, chain[N - 1]), (N - 1) as i64);
    engine.set(chain[0], V(100))?;
    let stats = engine.tick();
    assert_eq!(v(&engine, chain[N - 1]), 100 + (N - 1) as i64);
    assert_eq!(stats.bindings_fired, N - 1);
    Ok(())
}

#[test]
fn derived_properties_feed_plain_bindings_and_back() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, b, c, d, e] = [1, 2, 0, 0, 0].map(|x| engine.spawn((V(x),)));
    let label = engine.spawn((Label(String::new()),));
    engine.derive(c, (a, b), |(x, y): (&V, &V)| V(x.0 * y.0))?;
    engine.bind::<V>(c, d)?; // plain, from a derived property
    engine.derive(e, (d, a), |(x, y): (&V, &V)| V(x.0 + y.0))?; // derived, from a plain target
    engine.bind_map(e, label, |x: &V| Label(format!("= {}", x.0)))?;
    engine.tick();
    assert_eq!((v(&engine, c), v(&engine, d), v(&engine, e)), (2, 2, 3));
    engine.set(a, V(5))?;
    let stats = engine.tick();
    assert_eq!((v(&engine, c), v(&engine, d), v(&engine, e)), (10, 10, 15));
    assert_eq!(engine.get::<Label>(label)?, Label("= 15".into()));
    assert_eq!(stats.bindings_fired, 4, "c, d, e, label once each");
    Ok(())
}

#[test]
fn bindings_created_bottom_up_still_settle_in_one_tick() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, b, c] = [3, 0, 0].map(|x| engine.spawn((V(x),)));
    engine.derive(c, (b,), |(x,): (&V,)| V(x.0 * 2))?; // made before its input is bound
    engine.derive(b, (a,), |(x,): (&V,)| V(x.0 + 1))?;
    engine.tick();
    assert_eq!((v(&engine, b), v(&engine, c)), (4, 8));
    engine.set(a, V(10))?;
    engine.tick();
    assert_eq!((v(&engine, b), v(&engine, c)), (11, 22));
    Ok(())
}

#[test]
fn despawning_a_source_or_the_target_removes_the_derivation() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, b, t] = [1, 2, 0].map(|x| engine.spawn((V(x),)));
    let token = Arc::new(());
    let held = token.clone();
    let id = engine.derive(t, (a, b), move |(x, y): (&V, &V)| {
        let _ = &held;
        V(x.0 + y.0)
    })?;
    engine.tick();
    assert_eq!(engine.binding(id)?.inputs, 2);
    assert_eq!(engine.bindings_of(a).collect::<Vec<_>>(), vec![id]);
    assert_eq!(engine.bindings_of(t).collect::<Vec<_>>(), vec![id]);
    engine.despawn(b)?;
    assert_eq!((engine.binding_count(), Arc::strong_count(&token)), (0, 1));
    assert_eq!(engine.unbind(id), Err(Error::NoSuchBinding(id)));
    engine.set(a, V(7))?;
    engine.tick();
    assert_eq!(v(&engine, t), 3, "keeps its last value");
    assert_eq!(engine.check_invariants(), Ok(()));

    let u = engine.spawn((V(0),));
    engine.derive(u, (a,), |(x,): (&V,)| *x)?;
    engine.despawn(u)?;
    assert_eq!(engine.binding_count(), 0);
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn cycles_through_derivations_terminate_and_are_counted() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, b] = [1, 0].map(|x| engine.spawn((V(x),)));
    engine.derive(b, (a,), |(x,): (&V,)| V(x.0 + 1))?;
    engine.bind::<V>(b, a)?; // closes the loop
    engine.tick();
    engine.set(a, V(10))?;
    let stats = engine.tick();
    assert!(stats.cycles_cut >= 1, "{stats:?}");
    assert_eq!(v(&engine, b), 11);
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn pausing_unbinding_and_bad_input() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, t] = [1, 0].map(|x| engine.spawn((V(x),)));
    let unlabeled = engine.spawn(());
    let id = engine.derive(t, (a,), |(x,): (&V,)| V(x.0 * 3))?;
    engine.tick();
    engine.set_enabled(id, false)?;
    engine.set(a, V(2))?;
    engine.tick();
    assert_eq!(v(&engine, t), 3, "paused");
    engine.set_enabled(id, true)?;
    engine.tick();
    assert_eq!(v(&engine, t), 6, "resumed and recomputed");
    engine.unbind(id)?;
    assert_eq!(engine.binding_count(), 0);

    assert_eq!(engine.derive(a, (a,), |(x,): (&V,)| *x), Err(Error::SelfBinding));
    assert!(matches!(
        engine.derive(t, (unlabeled,), |(x,): (&V,)| *x),
        Err(Error::MissingComponent { entity, .. }) if entity == unlabeled
    ));
    engine.despawn(unlabeled)?;
    assert_eq!(engine.derive(t, (a, unlabeled), |(x, _): (&V, &V)| *x), Err(Error::NoSuchEntity(unlabeled)));
    assert_eq!((engine.binding_count(), engine.pending_changes()), (0, 0));
    Ok(())
}
