//! The cross-thread handle: ordering, nothing lost, clean rejection, a dropped
//! engine, backpressure.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use bindery::{Engine, Entity, Error, Rejection};

#[derive(Clone, Debug, PartialEq)]
struct Log(Vec<(u32, u32)>);
#[derive(Clone, Copy, Debug, PartialEq)]
struct Count(u64);
#[derive(Clone, Copy, Debug, PartialEq)]
struct V(i64);

/// Ticks until `done` is set and the queue is drained; returns the commands
/// applied.
fn tick_until(engine: &mut Engine, done: &AtomicBool) -> usize {
    let mut applied = 0;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let stats = engine.tick();
        applied += stats.commands_applied;
        assert_eq!(stats.commands_rejected, 0);
        if finished && stats.commands_applied == 0 {
            return applied;
        }
        thread::yield_now();
    }
}

/// Runs `send` on `threads` threads, each with its own handle clone, while
/// this thread ticks the engine; returns the commands applied once every
/// sender is done and the queue is drained.
fn send_while_ticking<F>(engine: &mut Engine, threads: u32, send: F) -> usize
where
    F: Fn(u32, bindery::Handle) + Send + Sync + 'static,
{
    let send = Arc::new(send);
    let done = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = (0..threads)
        .map(|t| {
            let (handle, send) = (engine.handle(), send.clone());
            thread::spawn(move || send(t, handle))
        })
        .collect();
    let finisher = {
        let done = done.clone();
        thread::spawn(move || {
            for s in senders {
                s.join().expect("sender");
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    let applied = tick_until(engine, &done);
    finisher.join().expect("finisher");
    applied
}

#[test]
fn per_sender_order_is_kept_under_contention() {
    const THREADS: u32 = 4;
    const PER_THREAD: u32 = 2_000;
    let mut engine = Engine::new();
    let shared = engine.spawn((Log(Vec::new()),));
    let applied = send_while_ticking(&mut engine, THREADS, move |t, handle| {
        for i in 0..PER_THREAD {
            handle.modify(shared, move |log: &mut Log| log.0.push((t, i))).expect("engine alive");
        }
    });
    assert_eq!(applied, (THREADS * PER_THREAD) as usize);
    let log = engine.get::<Log>(shared).expect("alive").0;
    assert_eq!(log.len(), (THREADS * PER_THREAD) as usize);
    for t in 0..THREADS {
        let mine: Vec<u32> = log.iter().filter(|(s, _)| *s == t).map(|(_, i)| *i).collect();
        assert_eq!(mine, (0..PER_THREAD).collect::<Vec<_>>(), "thread {t}'s commands in send order");
    }
}

#[test]
fn nothing_is_lost_when_eight_threads_send_while_the_owner_ticks() {
    const THREADS: u64 = 8;
    const PER_THREAD: u64 = 5_000;
    let mut engine = Engine::new();
    let counter = engine.spawn((Count(0),));
    let mirror = engine.spawn((Count(0),));
    engine.bind::<Count>(counter, mirror).expect("bind");
    let applied = send_while_ticking(&mut engine, THREADS as u32, move |_, handle| {
        for _ in 0..PER_THREAD {
            handle.modify(counter, |c: &mut Count| c.0 += 1).expect("engine alive");
        }
    });
    assert_eq!(applied as u64, THREADS * PER_THREAD);
    assert_eq!(engine.get::<Count>(counter), Ok(Count(THREADS * PER_THREAD)));
    assert_eq!(engine.get::<Count>(mirror), Ok(Count(THREADS * PER_THREAD)), "propagated in the same ticks");
}

#[test]
fn commands_apply_before_propagation_in_the_same_tick() -> Result<(), Error> {
    let mut engine = Engine::new();
    let a = engine.spawn((V(0),));
    let b = engine.spawn((V(0),));
    let handle = engine.handle();
    let bound = handle.bind::<V>(a, b)?;
    handle.set(a, V(5))?;
    let stats = engine.tick();
    assert_eq!(stats.commands_applied, 2);
    assert_eq!(engine.get::<V>(b)?, V(5));
    let id = bound.wait()?;
    assert_eq!(engine.binding(id)?.target, b);
    Ok(())
}

#[test]
fn commands_for_an_entity_despawned_earlier_in_the_tick_are_rejected_cleanly() -> Result<(), Error> {
    let mut engine = Engine::new();
    let doomed = engine.spawn((V(1),));
    let other = engine.spawn((V(1),));
    let handle = engine.handle();
    handle.despawn(doomed)?;
    handle.set(doomed, V(2))?;
    let receipt = handle.request(move |e| e.set(doomed, V(3)))?;
    let bind = handle.bind::<V>(doomed, other)?;
    handle.set(other, V(4))?; // unaffected by the failures before it
    let stats = engine.tick();
    assert_eq!((stats.commands_applied, stats.commands_rejected), (5, 3));
    assert_eq!(receipt.wait(), Err(Error::NoSuchEntity(doomed)));
    assert_eq!(bind.wait(), Err(Error::NoSuchEntity(doomed)));
    assert_eq!(engine.get::<V>(other)?, V(4));
    assert_eq!((engine.entity_count(), engine.binding_count()), (1, 0));
    Ok(())
}

#[test]
fn a_dropped_engine_makes_senders_get_engine_gone() -> Result<(), Error> {
    let mut engine = Engine::new();
    let e = engine.spawn((V(0),));
    let handle = engine.handle();
    let pending = handle.request(move |engine| engine.get::<V>(e))?;
    handle.set(e, V(1))?; // queued, never applied
    drop(engine);
    assert_eq!(handle.set(e, V(2)), Err(Error::EngineGone));
    assert_eq!(handle.try_set(e, V(2)), Err(Error::EngineGone));
    assert_eq!(handle.despawn(e), Err(Error::EngineGone));
    assert!(matches!(handle.bind::<V>(e, e), Err(Error::EngineGone)));
    assert_eq!(pending.wait(), Err(Error::EngineGone));
    // The pool may still hold ids, but the engine that would adopt them is gone.
    let mut spawned = 0;
    while handle.spawn((V(0),)).is_ok() {
        spawned += 1;
        assert!(spawned <= 1 << 20, "spawn must fail once the engine is gone");
    }
    assert_eq!(handle.spawn((V(0),)), Err(Error::EngineGone));
    Ok(())
}

#[test]
fn spawned_entities_take_part_in_the_same_tick() -> Result<(), Error> {
    let mut engine = Engine::new();
    let source = engine.spawn((V(9),));
    let handle = engine.handle();
    assert_eq!(engine.entity_count(), 1, "pooled ids are not entities");
    let spawned: Vec<Entity> = (0..50).map(|_| handle.spawn((V(0),))).collect::<Result<_, _>>()?;
    assert!(spawned.iter().all(|&e| !engine.is_alive(e)));
    assert_eq!(engine.set(spawned[0], V(1)), Err(Error::NoSuchEntity(spawned[0])));
    assert_eq!(engine.despawn(spawned[0]), Err(Error::NoSuchEntity(spawned[0])));
    let receipts: Vec<_> = spawned.iter().map(|&e| handle.bind::<V>(source, e)).collect::<Result<_, _>>()?;
    let stats = engine.tick();
    assert_eq!((stats.commands_applied, stats.commands_rejected), (100, 0));
    assert_eq!((engine.entity_count(), engine.binding_count()), (51, 50));
    assert!(spawned.iter().all(|&e| engine.get::<V>(e) == Ok(V(9))));
    for r in receipts {
        assert!(r.wait().is_ok());
    }
    for e in spawned {
        handle.despawn(e)?;
    }
    engine.tick();
    assert_eq!((engine.entity_count(), engine.binding_count()), (1, 0));
    Ok(())
}

#[test]
fn the_spawn_pool_grows_with_demand() -> Result<(), Error> {
    const SPAWNS: usize = 5_000;
    let mut engine = Engine::new();
    let handle = engine.handle();
    let done = Arc::new(AtomicBool::new(false));
    let spawner = {
        let done = done.clone();
        thread::spawn(move || {
            let ids: Vec<Entity> =
                (0..SPAWNS).map(|i| handle.spawn((V(i as i64),)).expect("engine alive")).collect();
            done.store(true, Ordering::SeqCst);
            ids
        })
    };
    tick_until(&mut engine, &done);
    let ids = spawner.join().expect("spawner");
    assert_eq!(engine.entity_count(), SPAWNS);
    assert!(ids.iter().enumerate().all(|(i, &e)| engine.get::<V>(e) == Ok(V(i as i64))));
    Ok(())
}

#[test]
fn a_bounded_queue_pushes_back() -> Result<(), Error> {
    let mut engine = Engine::with_capacity(2);
    let e = engine.spawn((Count(0),));
    let handle = engine.handle();
    handle.try_set(e, Count(1))?;
    handle.try_set(e, Count(2))?;
    assert_eq!(handle.try_set(e, Count(3)), Err(Error::Full));
    // A blocking sender waits until a tick makes room.
    let sender = {
        let handle = handle.clone();
        thread::spawn(move || handle.set(e, Count(4)))
    };
    while handle.queued() < 3 && !sender.is_finished() {
        engine.tick();
        thread::yield_now();
    }
    sender.join().expect("sender")?;
    engine.tick();
    assert_eq!(engine.get::<Count>(e)?, Count(4));
    Ok(())
}

#[test]
fn handles_are_send_sync_and_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<bindery::Handle>();
    fn assert_send<T: Send>() {}
    assert_send::<Engine>();
}

#[test]
fn rejected_commands_are_kept_with_their_call_and_error_for_one_tick() -> Result<(), Error> {
    let mut engine = Engine::new();
    let gone = engine.spawn((V(0),));
    let kept = engine.spawn((V(0),));
    engine.despawn(gone)?;
    let handle = engine.handle();
    handle.set(gone, V(1))?;
    handle.set(kept, V(2))?;
    let bind = handle.bind::<V>(kept, kept)?;
    handle.request(move |e| e.get::<V>(gone))?.try_wait(); // nobody waits
    let stats = engine.tick();
    assert_eq!(stats.commands_rejected, 3);
    assert_eq!(
        engine.rejections(),
        &[
            Rejection { call: "set", error: Error::NoSuchEntity(gone) },
            Rejection { call: "bind", error: Error::SelfBinding },
            Rejection { call: "request", error: Error::NoSuchEntity(gone) },
        ]
    );
    assert_eq!(bind.wait(), Err(Error::SelfBinding));
    engine.tick();
    assert!(engine.rejections().is_empty(), "only the last tick's");
    Ok(())
}

#[test]
fn a_handle_spawns_children_reparents_and_derives() -> Result<(), Error> {
    let mut engine = Engine::new();
    let panel = engine.spawn(());
    let other = engine.spawn(());
    let source = engine.spawn((V(4),));
    let handle = engine.handle();
    let row = handle.spawn_child(panel, (V(0),))?;
    let derived = handle.derive(row, source, |v: &V| V(v.0 * 10))?;
    let orphan = handle.spawn_child(Entity::DANGLING, (V(0),))?;
    engine.tick();
    assert_eq!(engine.children(panel), vec![row]);
    assert_eq!((engine.get::<V>(row)?, engine.binding(derived.wait()?)?.inputs), (V(40), 1));
    assert!(!engine.is_alive(orphan), "its parent did not exist: nothing spawned");
    assert_eq!(
        engine.rejections(),
        &[Rejection { call: "spawn_child", error: Error::NoSuchEntity(Entity::DANGLING) }]
    );
    handle.set_parent(row, other)?;
    engine.tick();
    assert_eq!((engine.children(panel), engine.parent(row)), (vec![], Some(other)));
    engine.despawn(other)?;
    assert!(!engine.is_alive(row));
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}
