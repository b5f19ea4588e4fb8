//! Faults: a panicking transform, callback or command poisons the engine
//! instead of leaving it inconsistent; dropping an engine with queued work
//! neither hangs nor leaks.

use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};

use bindery::{Engine, Error};

#[derive(Clone, Copy, Debug, PartialEq)]
struct V(i64);

/// Counts live instances (slotmap's `CountDrop`).
#[derive(Debug)]
struct Counted(Arc<AtomicIsize>);

impl Counted {
    fn new(live: &Arc<AtomicIsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Self(live.clone())
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Self::new(&self.0)
    }
}

impl PartialEq for Counted {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn assert_poisoned(engine: &mut Engine, e: bindery::Entity) {
    assert!(engine.is_poisoned());
    assert_eq!(engine.set(e, V(1)), Err(Error::Poisoned));
    assert_eq!(engine.get::<V>(e), Err(Error::Poisoned));
    assert_eq!(engine.bind::<V>(e, e), Err(Error::Poisoned));
    assert_eq!(engine.despawn(e), Err(Error::Poisoned));
    let again = engine.tick();
    assert!(again.poisoned);
    assert_eq!(again.bindings_fired, 0);
    assert!(engine.world().contains(e), "still readable through the world");
}

#[test]
fn a_panicking_transform_poisons_the_engine() {
    let live = Arc::new(AtomicIsize::new(0));
    let mut engine = Engine::new();
    let a = engine.spawn((V(0), Counted::new(&live)));
    let b = engine.spawn((V(0),));
    let token = Counted::new(&live);
    engine
        .bind_map(a, b, move |x: &V| {
            let _ = &token;
            assert!(x.0 < 10, "transform refuses {}", x.0);
            *x
        })
        .expect("bind");
    engine.tick();
    engine.set(a, V(99)).expect("set");
    let stats = engine.tick();
    assert!(stats.poisoned);
    assert!(engine.poison_reason().is_some_and(|r| r.contains("refuses 99")));
    assert_poisoned(&mut engine, a);
    drop(engine);
    assert_eq!(live.load(Ordering::SeqCst), 0, "nothing leaked");
}

#[test]
fn a_panicking_callback_poisons_the_engine() {
    let mut engine = Engine::new();
    let a = engine.spawn((V(0),));
    engine.on_change(a, |_: &V| panic!("callback failed")).expect("observe");
    engine.set(a, V(1)).expect("set");
    assert!(engine.tick().poisoned);
    assert_eq!(engine.poison_reason(), Some("callback failed"));
    assert_poisoned(&mut engine, a);
}

#[test]
fn a_panicking_command_poisons_the_engine_and_drops_the_rest() {
    let mut engine = Engine::new();
    let a = engine.spawn((V(0),));
    let handle = engine.handle();
    handle.modify(a, |_: &mut V| panic!("command failed")).expect("queued");
    let later = handle.request(move |e| e.get::<V>(a)).expect("queued");
    let stats = engine.tick();
    assert!(stats.poisoned);
    assert_eq!(stats.commands_rejected, 1, "the command after the panic was dropped");
    assert_eq!(later.wait(), Err(Error::EngineGone));
    assert_poisoned(&mut engine, a);
    // Commands sent to a poisoned engine are dropped at its next tick.
    handle.set(a, V(5)).expect("queued");
    assert_eq!(engine.tick().commands_rejected, 1);
}

#[test]
fn dropping_an_engine_with_queued_commands_and_subscribers_neither_hangs_nor_leaks() {
    let live = Arc::new(AtomicIsize::new(0));
    let mut engine = Engine::new();
    let a = engine.spawn((Counted::new(&live),));
    let values = engine.subscribe::<Counted>(a).expect("subscribe");
    let all = engine.subscribe_all::<Counted>();
    let handle = engine.handle();
    for _ in 0..100 {
        handle.set(a, Counted::new(&live)).expect("queued");
    }
    let receipt = handle.request(move |e| e.get::<Counted>(a).map(|_| ())).expect("queued");
    assert_eq!(live.load(Ordering::SeqCst), 101);
    drop(engine);
    assert_eq!(live.load(Ordering::SeqCst), 0, "queued values and components freed");
    assert!(values.recv().is_err(), "subscribers see the engine go");
    assert!(all.recv().is_err());
    assert_eq!(receipt.wait(), Err(Error::EngineGone));
    assert_eq!(handle.set(a, Counted::new(&live)), Err(Error::EngineGone));
    assert_eq!(live.load(Ordering::SeqCst), 0);
}
