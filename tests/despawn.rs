//! Despawning: every binding touching an entity goes with it, and nothing is
//! left holding anything.

use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};

use bindery::{Engine, Entity, Error};

#[derive(Clone, Copy, Debug, PartialEq)]
struct V(i64);

/// A property that counts its live instances (slotmap's `CountDrop`): created
/// and cloned instances add one, drops subtract one.
#[derive(Debug)]
struct Counted {
    value: i64,
    live: Arc<AtomicIsize>,
}

impl Counted {
    fn new(value: i64, live: &Arc<AtomicIsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Self { value, live: live.clone() }
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Self::new(self.value, &self.live)
    }
}

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

fn v(engine: &Engine, e: Entity) -> i64 {
    engine.get::<V>(e).expect("entity has a V").0
}

#[test]
fn counts_return_exactly_to_their_earlier_values() -> Result<(), Error> {
    let mut engine = Engine::new();
    let keep = engine.spawn((V(1),));
    let other = engine.spawn((V(0),));
    engine.bind::<V>(keep, other)?;
    engine.tick();
    let (entities, bindings) = (engine.entity_count(), engine.binding_count());
    assert_eq!((entities, bindings), (2, 1));

    for round in 0..3 {
        let a = engine.spawn((V(round),));
        let b = engine.spawn((V(0),));
        let c = engine.spawn((V(0),));
        engine.bind::<V>(a, b)?;
        engine.bind_two_way::<V>(b, c)?;
        engine.bind::<V>(keep, c)?;
        let ab = engine.bind_map(a, keep, |x: &V| V(x.0 * 2))?;
        assert_eq!((engine.entity_count(), engine.binding_count()), (entities + 3, bindings + 4));
        engine.tick();
        engine.unbind(ab)?;
        assert_eq!(engine.binding_count(), bindings + 3);
        engine.despawn(b)?;
        assert_eq!(engine.binding_count(), bindings + 1, "a->b and b<->c went with b");
        engine.despawn(c)?;
        engine.despawn(a)?;
        assert_eq!((engine.entity_count(), engine.binding_count()), (entities, bindings));
        assert_eq!(engine.check_invariants(), Ok(()));
    }
    Ok(())
}

#[test]
fn despawning_a_source_leaves_the_target_with_its_value() -> Result<(), Error> {
    let mut engine = Engine::new();
    let a = engine.spawn((V(5),));
    let b = engine.spawn((V(0),));
    let c = engine.spawn((V(0),));
    engine.bind::<V>(a, b)?;
    engine.bind::<V>(b, c)?;
    engine.tick();
    engine.set(a, V(6))?;
    engine.despawn(a)?; // the pending change goes with it
    let stats = engine.tick();
    assert_eq!((v(&engine, b), v(&engine, c)), (5, 5));
    assert_eq!(stats.changes_applied, 0);
    engine.set(b, V(7))?;
    engine.tick();
    assert_eq!(v(&engine, c), 7, "the rest of the chain still works");
    Ok(())
}

#[test]
fn despawning_a_target_stops_the_source_from_sending() -> Result<(), Error> {
    let mut engine = Engine::new();
    let a = engine.spawn((V(5),));
    let b = engine.spawn((V(0),));
    let id = engine.bind::<V>(a, b)?;
    engine.tick();
    engine.despawn(b)?;
    engine.set(a, V(6))?;
    let stats = engine.tick();
    assert_eq!((stats.bindings_fired, stats.properties_written), (0, 0));
    assert_eq!(engine.unbind(id), Err(Error::NoSuchBinding(id)));
    assert_eq!(engine.binding(id), Err(Error::NoSuchBinding(id)));
    assert_eq!(engine.bindings_of(a).count(), 0);
    Ok(())
}

#[test]
fn despawning_a_hub_removes_bindings_in_both_directions() -> Result<(), Error> {
    let mut engine = Engine::new();
    let hub = engine.spawn((V(0),));
    let spokes: Vec<Entity> = (0..50).map(|i| engine.spawn((V(i),))).collect();
    for (i, &s) in spokes.iter().enumerate() {
        match i % 3 {
            0 => engine.bind::<V>(hub, s)?,
            1 => engine.bind::<V>(s, hub)?,
            _ => engine.bind_two_way::<V>(s, hub)?,
        };
    }
    // Bindings among the spokes survive.
    engine.bind::<V>(spokes[0], spokes[1])?;
    assert_eq!(engine.bindings_of(hub).count(), 50);
    engine.despawn(hub)?;
    assert_eq!(engine.binding_count(), 1);
    assert_eq!(engine.entity_count(), 50);
    assert!(spokes[2..].iter().all(|&s| engine.bindings_of(s).count() == 0));
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn a_reused_entity_index_starts_without_bindings() -> Result<(), Error> {
    let mut engine = Engine::new();
    let a = engine.spawn((V(1),));
    let b = engine.spawn((V(0),));
    engine.bind::<V>(a, b)?;
    engine.despawn(b)?;
    let c = engine.spawn((V(0),)); // hecs reuses b's index with a new generation
    assert_eq!(c.id(), b.id());
    assert_ne!(c, b);
    assert_eq!(engine.bindings_of(c).count(), 0);
    engine.set(a, V(2))?;
    engine.tick();
    assert_eq!(v(&engine, c), 0, "c is not b: nothing flows into it");
    assert_eq!(engine.set(b, V(3)), Err(Error::NoSuchEntity(b)));
    Ok(())
}

#[test]
fn binding_to_an_index_reused_behind_the_engines_back_keeps_the_other_end() -> Result<(), Error> {
    // `b` is despawned through the world, so the graph still holds its
    // binding from `a` when `c` takes its index. Binding `a` to `c` first
    // removes the stale binding, which was all that held `a`'s property:
    // the new binding must not be made on what that removal freed.
    let mut engine = Engine::new();
    let a = engine.spawn((V(1),));
    let b = engine.spawn((V(0),));
    engine.bind::<V>(a, b)?;
    engine.tick();
    engine.world_mut().despawn(b).expect("alive");
    let c = engine.spawn((V(0),));
    assert_eq!(c.id(), b.id(), "hecs reuses the index");
    engine.bind::<V>(a, c)?;
    assert_eq!(engine.check_invariants(), Ok(()));
    assert_eq!(engine.binding_count(), 1);
    engine.set(a, V(5))?;
    engine.tick();
    assert_eq!(v(&engine, c), 5);

    // The same, with the stale entity as a derivation's other input.
    let x = engine.spawn((V(2),));
    let y = engine.spawn((V(3),));
    let sum = engine.spawn((V(0),));
    engine.derive(sum, (x, y), |(x, y): (&V, &V)| V(x.0 + y.0))?;
    engine.bind::<V>(y, x)?;
    engine.tick();
    engine.world_mut().despawn(y).expect("alive");
    let z = engine.spawn((V(10),));
    assert_eq!(z.id(), y.id(), "hecs reuses the index");
    engine.derive(sum, (x, z), |(x, z): (&V, &V)| V(x.0 * z.0)).map(|_| ()).or_else(|e| match e {
        Error::DuplicateBinding(_) => Ok(()),
        e => Err(e),
    })?;
    assert_eq!(engine.check_invariants(), Ok(()));
    engine.tick();
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn despawn_and_unbind_drop_every_value_and_transform() -> Result<(), Error> {
    let live = Arc::new(AtomicIsize::new(0));
    {
        let mut engine = Engine::new();
        let mut entities = Vec::new();
        for i in 0..20 {
            entities.push(engine.spawn((Counted::new(i, &live),)));
        }
        let mut ids = Vec::new();
        for pair in entities.windows(2) {
            // Each transform owns a Counted of its own.
            let token = Counted::new(-1, &live);
            ids.push(engine.bind_map(pair[0], pair[1], move |x: &Counted| {
                let _ = &token;
                x.clone()
            })?);
        }
        engine.bind_two_way::<Counted>(entities[0], entities[19])?;
        engine.tick();
        assert_eq!(live.load(Ordering::SeqCst), 20 + 19, "values + transform tokens");

        engine.unbind(ids[0])?;
        assert_eq!(live.load(Ordering::SeqCst), 20 + 18, "unbind dropped its transform");

        for e in entities {
            engine.despawn(e)?;
        }
        assert_eq!((engine.entity_count(), engine.binding_count()), (0, 0));
        assert_eq!(live.load(Ordering::SeqCst), 0, "nothing is left holding a value");
        assert_eq!(engine.check_invariants(), Ok(()));
    }
    assert_eq!(live.load(Ordering::SeqCst), 0);
    Ok(())
}

#[test]
fn dropping_the_engine_drops_everything() -> Result<(), Error> {
    let live = Arc::new(AtomicIsize::new(0));
    let mut engine = Engine::new();
    let a = engine.spawn((Counted::new(1, &live),));
    let b = engine.spawn((Counted::new(2, &live),));
    let token = Counted::new(0, &live);
    engine.bind_map(a, b, move |x: &Counted| {
        let _ = &token;
        x.clone()
    })?;
    engine.set(a, Counted::new(3, &live))?; // pending, never ticked
    drop(engine);
    assert_eq!(live.load(Ordering::SeqCst), 0);
    Ok(())
}

#[test]
fn waves_of_spawn_bind_despawn_return_to_baseline() -> Result<(), Error> {
    let mut engine = Engine::new();
    let sources: Vec<Entity> = (0..100).map(|i| engine.spawn((V(i),))).collect();
    let baseline = (engine.entity_count(), engine.binding_count());
    let mut previous: Vec<Entity> = Vec::new();
    for wave in 0..20 {
        let spawned: Vec<Entity> = (0..100).map(|_| engine.spawn((V(-1),))).collect();
        for (i, &t) in spawned.iter().enumerate() {
            engine.bind::<V>(sources[i], t)?;
            if i % 4 == 0 {
                engine.bind_two_way::<V>(t, spawned[(i + 1) % spawned.len()])?;
            }
        }
        for e in previous.drain(..) {
            engine.despawn(e)?;
        }
        engine.set(sources[wave], V(1000 + wave as i64))?;
        engine.tick();
        assert_eq!(engine.entity_count(), baseline.0 + 100);
        assert_eq!(engine.binding_count(), baseline.1 + 125);
        previous = spawned;
    }
    for e in previous {
        engine.despawn(e)?;
    }
    assert_eq!((engine.entity_count(), engine.binding_count()), baseline);
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}
