//! Faults: a panic in user code during a tick costs what the fault policy
//! says. Under `Isolate` (the default) one bad binding, derivation, callback
//! or command costs only itself; under `Poison` the engine refuses further
//! use; under `Panic` the panic resumes once the tick has completed. In every
//! case nothing a faulty piece captured outlives its removal or the engine,
//! and dropping an engine with queued work neither hangs nor leaks.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use bindery::{BindingId, Engine, Entity, Error, Fault, FaultPolicy, FaultSource, Rejection};

#[derive(Clone, Copy, Debug, PartialEq)]
struct V(i64);
#[derive(Clone, Debug, PartialEq)]
struct Style {
    width: i64,
    height: i64,
}

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

fn live(counter: &Arc<AtomicIsize>) -> isize {
    counter.load(Ordering::SeqCst)
}

fn v(engine: &Engine, e: Entity) -> i64 {
    engine.get::<V>(e).expect("entity has a V").0
}

/// `a -> b` through a transform that refuses values of 10 and more and
/// holds a `Counted`; `a -> c` plain. Ticked once.
fn refusing(engine: &mut Engine, counter: &Arc<AtomicIsize>) -> (Entity, Entity, Entity, BindingId) {
    let [a, b, c] = [0, 0, 0].map(|x| engine.spawn((V(x),)));
    let token = Counted::new(counter);
    let id = engine
        .bind_map(a, b, move |x: &V| {
            let _ = &token;
            assert!(x.0 < 10, "transform refuses {}", x.0);
            *x
        })
        .expect("bind");
    engine.bind::<V>(a, c).expect("bind");
    engine.tick();
    (a, b, c, id)
}

#[test]
fn isolate_is_the_default_and_a_panicking_transform_costs_only_its_binding() -> Result<(), Error> {
    let counter = Arc::new(AtomicIsize::new(0));
    let mut engine = Engine::new();
    assert_eq!(engine.fault_policy(), FaultPolicy::Isolate);
    let (a, b, c, id) = refusing(&mut engine, &counter);
    let d = engine.spawn((V(0),));
    engine.bind::<V>(b, d)?; // downstream of the fault
    engine.tick();

    engine.set(a, V(99))?;
    let stats = engine.tick();
    assert_eq!(stats.faults, 1);
    assert_eq!(
        engine.faults(),
        &[Fault { source: FaultSource::Binding(id), message: "transform refuses 99".into() }]
    );
    assert_eq!(
        (v(&engine, b), v(&engine, c), v(&engine, d)),
        (0, 99, 0),
        "the rest settled; the target kept its value"
    );
    assert!(!engine.binding(id)?.enabled, "disabled, as set_enabled(id, false)");
    assert!(!engine.is_poisoned());
    assert_eq!(engine.check_invariants(), Ok(()));

    engine.set(a, V(5))?;
    let stats = engine.tick();
    assert_eq!(
        (stats.faults, v(&engine, c), v(&engine, b)),
        (0, 5, 0),
        "the next tick works; the binding stays off"
    );
    assert!(engine.faults().is_empty(), "only the last tick's");
    engine.set_enabled(id, true)?;
    engine.tick();
    assert_eq!((v(&engine, b), v(&engine, d)), (5, 5), "resumed with a re-sync");

    assert_eq!(live(&counter), 1, "a disabled binding keeps its transform");
    engine.unbind(id)?;
    assert_eq!(live(&counter), 0, "and unbinding frees it");
    Ok(())
}

#[test]
fn a_panicking_derivation_two_way_or_field_binding_is_disabled_and_named() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, sum, x, y] = [1, 0, 0, 0].map(|x| engine.spawn((V(x),)));
    let bar = engine.spawn((Style { width: 0, height: 7 },));
    let derived = engine.derive(sum, a, |p: &V| V(100 / (p.0 - 2)))?;
    let pair = engine.bind_two_way_map(a, x, |p: &V| *p, |q: &V| V(100 / q.0))?;
    let field = engine.bind_field(a, bar, |p: &V| 10 / (p.0 - 3), |s: &mut Style| &mut s.width)?;
    engine.bind::<V>(x, y)?;
    engine.tick();
    assert!(engine.faults().is_empty());

    engine.set(a, V(2))?; // the derivation divides by zero
    engine.tick();
    assert_eq!(engine.faults().len(), 1);
    assert_eq!(engine.faults()[0].source, FaultSource::Derivation(derived));
    assert!(engine.faults()[0].message.contains("divide by zero"));
    assert_eq!((v(&engine, x), v(&engine, y)), (2, 2), "the pair and its chain still settled");

    engine.set(a, V(3))?; // the field binding divides by zero
    engine.tick();
    assert_eq!(engine.faults()[0].source, FaultSource::Binding(field));
    assert_eq!(engine.get::<Style>(bar)?, Style { width: -10, height: 7 }, "kept from a = 2");

    engine.set(x, V(0))?; // the pair's way back divides by zero: both directions go
    engine.tick();
    assert_eq!(engine.faults()[0].source, FaultSource::Binding(pair));
    assert!(!engine.binding(pair)?.enabled);
    assert_eq!((v(&engine, a), v(&engine, y)), (3, 0));
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn a_panicking_callback_is_removed_and_frees_what_it_captured() -> Result<(), Error> {
    let counter = Arc::new(AtomicIsize::new(0));
    let mut engine = Engine::new();
    let a = engine.spawn((V(0),));
    let token = Counted::new(&counter);
    let bad = engine.on_change(a, move |x: &V| {
        let _ = &token;
        assert!(x.0 != 1, "callback failed");
    })?;
    let good = engine.subscribe::<V>(a)?;
    engine.set(a, V(1))?;
    let stats = engine.tick();
    assert_eq!((stats.faults, engine.observer_count(), live(&counter)), (1, 1, 0));
    assert_eq!(
        engine.faults(),
        &[Fault { source: FaultSource::Observer(bad), message: "callback failed".into() }]
    );
    assert_eq!(good.try_iter().collect::<Vec<_>>(), vec![V(1)], "the other observer still ran");
    assert_eq!(engine.remove_observer(bad), Err(Error::NoSuchObserver(bad)));
    Ok(())
}

#[test]
fn a_panicking_command_is_rejected_and_its_receipt_learns_why() -> Result<(), Error> {
    let counter = Arc::new(AtomicIsize::new(0));
    let mut engine = Engine::new();
    let a = engine.spawn((V(0),));
    let handle = engine.handle();
    let token = Counted::new(&counter);
    let bad = handle.request(move |_| -> Result<(), Error> {
        let _ = &token;
        panic!("command failed")
    })?;
    handle.modify(a, |_: &mut V| panic!("modify failed"))?;
    handle.set(a, V(5))?;
    let stats = engine.tick();
    assert_eq!((stats.commands_applied, stats.commands_rejected, stats.faults), (3, 2, 2));
    assert_eq!(bad.wait(), Err(Error::Panicked("command failed".into())));
    assert_eq!(live(&counter), 0, "its captures are gone");
    assert_eq!(v(&engine, a), 5, "the commands after it applied");
    assert_eq!(
        engine.rejections(),
        &[
            Rejection { call: "request", error: Error::Panicked("command failed".into()) },
            Rejection { call: "modify", error: Error::Panicked("modify failed".into()) },
        ]
    );
    assert!(engine.faults().iter().all(|f| f.source == FaultSource::Command));
    Ok(())
}

#[test]
fn under_panic_the_tick_completes_then_the_panic_resumes() -> Result<(), Error> {
    let counter = Arc::new(AtomicIsize::new(0));
    let mut engine = Engine::new();
    engine.set_fault_policy(FaultPolicy::Panic);
    let (a, b, c, id) = refusing(&mut engine, &counter);
    engine.set(a, V(50))?;
    let caught = catch_unwind(AssertUnwindSafe(|| engine.tick()));
    let payload = caught.expect_err("the panic resumes out of tick()");
    assert_eq!(payload.downcast_ref::<String>().map(String::as_str), Some("transform refuses 50"));
    assert_eq!((v(&engine, b), v(&engine, c)), (0, 50), "the tick completed first");
    assert!(!engine.binding(id)?.enabled && !engine.is_poisoned());
    assert_eq!(engine.faults().len(), 1);
    assert_eq!(engine.check_invariants(), Ok(()));
    engine.set(a, V(6))?;
    assert_eq!(engine.tick().faults, 0, "the next tick works");
    assert_eq!(v(&engine, c), 6);
    Ok(())
}

fn assert_poisoned(engine: &mut Engine, e: Entity) {
    assert!(engine.is_poisoned());
    assert_eq!(engine.set(e, V(1)), Err(Error::Poisoned));
    assert_eq!(engine.get::<V>(e), Err(Error::Poisoned));
    assert_eq!(engine.bind::<V>(e, e), Err(Error::Poisoned));
    assert_eq!(engine.despawn(e), Err(Error::Poisoned));
    assert_eq!(engine.spawn((V(0),)), Entity::DANGLING, "spawns nothing");
    let again = engine.tick();
    assert!(again.poisoned);
    assert_eq!(again.bindings_fired, 0);
    assert!(engine.world().contains(e), "still readable through the world");
}

#[test]
fn under_poison_a_panicking_transform_poisons_the_engine() {
    let counter = Arc::new(AtomicIsize::new(0));
    let mut engine = Engine::new();
    engine.set_fault_policy(FaultPolicy::Poison);
    let (a, _, _, id) = refusing(&mut engine, &counter);
    engine.set(a, V(99)).expect("set");
    let stats = engine.tick();
    assert!(stats.poisoned);
    assert!(engine.poison_reason().is_some_and(|r| r.contains("refuses 99")));
    assert_eq!(engine.faults()[0].source, FaultSource::Binding(id));
    assert_poisoned(&mut engine, a);
    drop(engine);
    assert_eq!(live(&counter), 0, "nothing leaked");
}

#[test]
fn under_poison_a_panicking_callback_poisons_the_engine() {
    let mut engine = Engine::new();
    engine.set_fault_policy(FaultPolicy::Poison);
    let a = engine.spawn((V(0),));
    engine.on_change(a, |_: &V| panic!("callback failed")).expect("observe");
    engine.set(a, V(1)).expect("set");
    assert!(engine.tick().poisoned);
    assert_eq!(engine.poison_reason(), Some("callback failed"));
    assert_poisoned(&mut engine, a);
}

#[test]
fn under_poison_a_panicking_command_poisons_the_engine_and_drops_the_rest() {
    let mut engine = Engine::new();
    engine.set_fault_policy(FaultPolicy::Poison);
    let a = engine.spawn((V(0),));
    let handle = engine.handle();
    handle.modify(a, |_: &mut V| panic!("command failed")).expect("queued");
    let later = handle.request(move |e| e.get::<V>(a)).expect("queued");
    let stats = engine.tick();
    assert!(stats.poisoned);
    assert_eq!(stats.commands_rejected, 1, "the command after the panic was dropped");
    assert_eq!(later.wait(), Err(Error::EngineGone));
    assert_poisoned(&mut engine, a);
    assert_eq!(handle.set(a, V(5)), Err(Error::Poisoned), "handles learn it");
    assert_eq!(handle.spawn((V(0),)), Err(Error::Poisoned));
}

#[test]
fn a_handle_waiting_for_an_id_wakes_when_the_engine_is_poisoned() {
    let mut engine = Engine::new();
    engine.set_fault_policy(FaultPolicy::Poison);
    let a = engine.spawn((V(0),));
    let handle = engine.handle();
    handle.modify(a, |_: &mut V| panic!("poison")).expect("queued"); // first: no refill after it
    // Reserves ids until the pool is empty, then waits for a refill.
    let waiter = std::thread::spawn(move || {
        loop {
            if let Err(error) = handle.spawn(()) {
                return error;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(100));
    assert!(engine.tick().poisoned);
    assert_eq!(waiter.join().expect("no panic"), Error::Poisoned, "woken, not hung");
}

#[test]
fn get_and_read_of_an_id_not_spawned_yet_say_no_such_entity() -> Result<(), Error> {
    let mut engine = Engine::new();
    let handle = engine.handle();
    let e = handle.spawn((V(1),))?;
    assert_eq!(engine.get::<V>(e), Err(Error::NoSuchEntity(e)));
    assert_eq!(engine.read(e, |v: &V| v.0), Err(Error::NoSuchEntity(e)));
    assert_eq!(engine.set(e, V(2)), Err(Error::NoSuchEntity(e)));
    engine.tick();
    assert_eq!(engine.get::<V>(e), Ok(V(1)));
    Ok(())
}

#[test]
fn dropping_an_engine_releases_every_queued_command_even_on_a_bounded_queue() {
    let counter = Arc::new(AtomicIsize::new(0));
    let mut engine = Engine::with_capacity(16);
    let a = engine.spawn((V(0),));
    let handle = engine.handle();
    let token = Counted::new(&counter);
    let receipt = handle
        .request(move |e| {
            let _ = &token;
            e.get::<V>(a)
        })
        .expect("queued");
    assert_eq!(live(&counter), 1);
    drop(engine);
    assert_eq!(live(&counter), 0, "the closure's captures are gone with the engine");
    assert_eq!(receipt.wait(), Err(Error::EngineGone), "and the waiter is released");
    assert_eq!(handle.set(a, V(1)), Err(Error::EngineGone));
}

#[test]
fn dropping_an_engine_with_queued_commands_and_subscribers_neither_hangs_nor_leaks() {
    let counter = Arc::new(AtomicIsize::new(0));
    let mut engine = Engine::new();
    let a = engine.spawn((Counted::new(&counter),));
    let values = engine.subscribe::<Counted>(a).expect("subscribe");
    let all = engine.subscribe_all::<Counted>();
    let handle = engine.handle();
    for _ in 0..100 {
        handle.set(a, Counted::new(&counter)).expect("queued");
    }
    let receipt = handle.request(move |e| e.get::<Counted>(a).map(|_| ())).expect("queued");
    assert_eq!(live(&counter), 101);
    drop(engine);
    assert_eq!(live(&counter), 0, "queued values and components freed");
    assert!(values.recv().is_err(), "subscribers see the engine go");
    assert!(all.recv().is_err());
    assert_eq!(receipt.wait(), Err(Error::EngineGone));
    assert_eq!(handle.set(a, Counted::new(&counter)), Err(Error::EngineGone));
    assert_eq!(live(&counter), 0);
}

#[test]
fn despawning_through_world_mut_frees_bindings_observers_and_their_captures_at_the_next_tick()
-> Result<(), Error> {
    let counter = Arc::new(AtomicIsize::new(0));
    let mut engine = Engine::new();
    let [a, b] = [0, 0].map(|x| engine.spawn((V(x),)));
    let token = Counted::new(&counter);
    engine.bind_map(a, b, move |x: &V| {
        let _ = &token;
        *x
    })?;
    let held = Counted::new(&counter);
    engine.on_change(b, move |_: &V| {
        let _ = &held;
    })?;
    engine.poll::<V>(b)?;
    engine.tick();
    engine.world_mut().despawn(b).expect("alive");
    let stats = engine.tick();
    assert_eq!(stats.bindings_repaired, 1);
    assert_eq!((engine.binding_count(), engine.observer_count(), engine.poll_count()), (0, 0, 0));
    assert_eq!(live(&counter), 0, "nothing they captured is left");
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

/// A leaf of `fan_out_refusing_13`: its index, entity and binding.
type Leaf = (i32, Entity, BindingId);

/// A fan-out of 100 leaves long enough to be computed as one run, every
/// tenth transform refusing 13, after `repeats` ticks setting the source
/// (two make the 13 tick run from a compiled schedule), then 13: the others,
/// before and after each panic, are computed.
fn fan_out_refusing_13(repeats: i64) -> Result<(Engine, Entity, Vec<Leaf>), Error> {
    let mut engine = Engine::new();
    let source = engine.spawn((V(1),));
    let mut leaves = Vec::new();
    for i in 0..100 {
        let t = engine.spawn((V(0),));
        let id = engine.bind_map(source, t, move |x: &V| {
            assert!(!(x.0 == 13 && i % 10 == 3), "leaf {i} refuses 13");
            V(x.0 * 2)
        })?;
        leaves.push((i, t, id));
    }
    engine.tick();
    for x in 0..repeats {
        engine.set(source, V(2 + x))?;
        engine.tick();
    }
    let before = v(&engine, leaves[0].1);
    engine.set(source, V(13))?;
    let stats = engine.tick();
    assert_eq!(stats.scheduled, usize::from(repeats > 0));
    assert_eq!((stats.faults, stats.bindings_fired, stats.properties_written), (10, 100, 90));
    for &(i, t, id) in &leaves {
        let faulty = i % 10 == 3;
        assert_eq!(v(&engine, t), if faulty { before } else { 26 }, "leaf {i}");
        assert_eq!(engine.binding(id)?.enabled, !faulty, "leaf {i}");
    }
    let mut named: Vec<_> = engine.faults().iter().map(|f| f.source.clone()).collect();
    named.sort_by_key(|s| format!("{s:?}"));
    let mut expected: Vec<_> =
        leaves.iter().filter(|(i, ..)| i % 10 == 3).map(|&(_, _, id)| FaultSource::Binding(id)).collect();
    expected.sort_by_key(|s| format!("{s:?}"));
    assert_eq!(named, expected);
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok((engine, source, leaves))
}

#[test]
fn panics_in_a_large_fan_out_cost_only_the_faulty_bindings() -> Result<(), Error> {
    fan_out_refusing_13(2)?; // from a compiled schedule
    let (mut engine, source, leaves) = fan_out_refusing_13(0)?; // step by step

    // One capture-free transform for all: computed once for the run, so a
    // panic there costs each binding of the run, and nothing else breaks.
    let other = engine.spawn((V(1),));
    let targets: Vec<Entity> = (0..40).map(|_| engine.spawn((V(0),))).collect();
    for &t in &targets {
        engine.bind_map(other, t, |x: &V| {
            assert!(x.0 != 7, "seven");
            V(x.0 + 1)
        })?;
    }
    engine.tick();
    assert!(targets.iter().all(|&t| v(&engine, t) == 2));
    engine.set(other, V(7))?;
    engine.set(source, V(4))?;
    let stats = engine.tick();
    assert_eq!(stats.faults, 40);
    assert!(targets.iter().all(|&t| v(&engine, t) == 2), "kept their values");
    assert!(leaves.iter().filter(|(i, ..)| i % 10 != 3).all(|&(_, t, _)| v(&engine, t) == 8));
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}
