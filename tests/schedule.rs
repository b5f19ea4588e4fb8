//! Compiled schedules: a tick whose changes repeat the last tick's, on a
//! graph of the same shape, runs from a schedule compiled once, with the
//! values, counts, faults, repairs and notifications of a tick run step by
//! step. (The model test runs its whole search both ways.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bindery::{Engine, Entity, Error, FaultSource, TickStats};

#[derive(Clone, Copy, Debug, PartialEq)]
struct V(i64);

fn v(engine: &Engine, e: Entity) -> i64 {
    engine.get::<V>(e).expect("entity has a V").0
}

/// What a tick did, without the fields that name the tick, time it or say
/// how it ran.
fn work(stats: TickStats) -> [usize; 7] {
    [
        stats.changes_applied,
        stats.changes_superseded,
        stats.bindings_fired,
        stats.properties_written,
        stats.cycles_cut,
        stats.bindings_repaired,
        stats.faults,
    ]
}

/// `root -> chain[0] -> ... -> chain[n - 1]`, each link `x + 1`, the last
/// link fanning out to `leaves` leaves (`x * 2`); ticked once.
fn chain_with_fan(
    engine: &mut Engine,
    n: usize,
    leaves: usize,
) -> Result<(Entity, Vec<Entity>, Vec<Entity>), Error> {
    let root = engine.spawn((V(0),));
    let chain: Vec<Entity> = (0..n).map(|_| engine.spawn((V(0),))).collect();
    let mut from = root;
    for &link in &chain {
        engine.bind_map(from, link, |x: &V| V(x.0 + 1))?;
        from = link;
    }
    let fan: Vec<Entity> = (0..leaves).map(|_| engine.spawn((V(0),))).collect();
    for &leaf in &fan {
        engine.bind_map(from, leaf, |x: &V| V(x.0 * 2))?;
    }
    engine.tick();
    Ok((root, chain, fan))
}

#[test]
fn a_repeated_change_runs_from_a_schedule_with_the_same_values_and_counts() -> Result<(), Error> {
    let mut engine = Engine::new();
    let (root, chain, fan) = chain_with_fan(&mut engine, 50, 100)?;
    let mut first = None;
    for k in 1..=5 {
        engine.set(root, V(k))?;
        let stats = engine.tick();
        // The first set of `root` is news; from the second on, it repeats.
        assert_eq!(stats.scheduled, usize::from(k > 1), "tick {k}");
        assert_eq!(work(stats), *first.get_or_insert(work(stats)), "tick {k}");
        assert_eq!(work(stats), [1, 0, 150, 150, 0, 0, 0]);
        assert!(chain.iter().enumerate().all(|(i, &c)| v(&engine, c) == k + 1 + i as i64));
        assert!(fan.iter().all(|&l| v(&engine, l) == 2 * (k + 50)));
    }
    Ok(())
}

#[test]
fn a_scheduled_value_that_does_not_change_stops_there() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, b, c] = [0, 0, 0].map(|x| engine.spawn((V(x),)));
    engine.bind_map(a, b, |x: &V| V(x.0 / 10))?;
    engine.bind::<V>(b, c)?;
    engine.tick();
    let fired: Vec<(usize, usize)> = [10, 11, 12, 20]
        .into_iter()
        .map(|x| {
            engine.set(a, V(x)).expect("alive");
            let stats = engine.tick();
            (stats.scheduled, stats.bindings_fired)
        })
        .collect();
    // 11 and 12 leave `b` at 1: its binding to `c` does not run.
    assert_eq!(fired, [(0, 2), (1, 1), (1, 1), (1, 2)]);
    assert_eq!(v(&engine, c), 2);
    Ok(())
}

#[test]
fn derivations_run_from_a_schedule_once_each_after_their_inputs() -> Result<(), Error> {
    // The cellx shape: layers of four cells, each from one or two cells of
    // the layer before.
    let layers = 200;
    let mut engine = Engine::new();
    let first: Vec<Entity> = (1..=4).map(|x| engine.spawn((V(x),))).collect();
    let mut cells = vec![first.clone()];
    for _ in 1..layers {
        let prev = cells.last().expect("a layer").clone();
        let next: Vec<Entity> = (0..4).map(|_| engine.spawn((V(0),))).collect();
        engine.derive(next[0], (prev[1],), |(b,): (&V,)| *b)?;
        engine.derive(next[1], (prev[0], prev[2]), |(a, c): (&V, &V)| V(a.0 - c.0))?;
        engine.derive(next[2], (prev[1], prev[3]), |(b, d): (&V, &V)| V(b.0 + d.0))?;
        engine.derive(next[3], (prev[2],), |(c,): (&V,)| *c)?;
        cells.push(next);
    }
    engine.tick();
    let mut before: Vec<Vec<i64>> =
        cells.iter().map(|layer| layer.iter().map(|&e| v(&engine, e)).collect()).collect();
    for k in 0..4 {
        for (i, &e) in first.iter().enumerate() {
            engine.set(e, V(10 * k + i as i64))?;
        }
        let stats = engine.tick();
        assert_eq!(stats.scheduled, usize::from(k > 0));
        // Every layer from the first values, as the derivations say; a
        // derivation runs once if one of its inputs changed, else not.
        let mut want: Vec<i64> = (0..4).map(|i| 10 * k + i).collect();
        let mut changed: Vec<bool> = (0..4).map(|i| Some(&want[i]) != before[0].get(i)).collect();
        let mut fired = 0;
        for (l, layer) in cells.iter().enumerate().skip(1) {
            want = vec![want[1], want[0] - want[2], want[1] + want[3], want[2]];
            let reads = [vec![1], vec![0, 2], vec![1, 3], vec![2]];
            let runs: Vec<bool> = reads.iter().map(|r| r.iter().any(|&i| changed[i])).collect();
            fired += runs.iter().filter(|&&r| r).count();
            changed = (0..4).map(|i| runs[i] && want[i] != before[l][i]).collect();
            let got: Vec<i64> = layer.iter().map(|&e| v(&engine, e)).collect();
            assert_eq!(got, want);
        }
        assert_eq!(stats.bindings_fired, fired);
        before = cells.iter().map(|layer| layer.iter().map(|&e| v(&engine, e)).collect()).collect();
    }
    Ok(())
}

#[test]
fn a_graph_changed_between_ticks_settles_step_by_step_then_compiles_again() -> Result<(), Error> {
    let mut engine = Engine::new();
    let (root, chain, _) = chain_with_fan(&mut engine, 10, 0)?;
    let last = *chain.last().expect("a chain");
    let tail = engine.spawn((V(0),));
    let scheduled: Vec<usize> = (1..=7)
        .map(|k| {
            if k == 3 {
                engine.bind::<V>(last, tail).expect("alive"); // the graph changes
            }
            engine.set(root, V(k)).expect("alive");
            engine.tick().scheduled
        })
        .collect();
    // Tick 3 owes the new binding's sync; 4 is the first of the new shape;
    // the schedule thrown away had run once (it did not pay for itself), so
    // compiling waits for a second repeat: 6.
    assert_eq!(scheduled, [0, 1, 0, 0, 0, 1, 1]);
    assert_eq!(v(&engine, tail), 7 + 10);
    Ok(())
}

#[test]
fn a_panic_in_a_scheduled_transform_costs_only_its_binding() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, b, c, d] = [0, 0, 0, 0].map(|x| engine.spawn((V(x),)));
    engine.bind::<V>(a, b)?;
    let faulty = engine.bind_map(b, c, |x: &V| {
        assert!(x.0 != 3, "three is refused");
        *x
    })?;
    engine.bind::<V>(b, d)?;
    engine.tick();
    for k in 1..=4 {
        engine.set(a, V(k))?;
        let stats = engine.tick();
        // The fault comes in a scheduled tick; it pauses the binding, which
        // changes the graph: the tick after it settles step by step.
        assert_eq!(
            (stats.scheduled, stats.faults),
            (usize::from(k == 2 || k == 3), usize::from(k == 3)),
            "tick {k}"
        );
        if k == 3 {
            assert_eq!(engine.faults().len(), 1);
            assert_eq!(engine.faults()[0].source, FaultSource::Binding(faulty));
        }
    }
    assert_eq!((v(&engine, b), v(&engine, c), v(&engine, d)), (4, 2, 4));
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn components_removed_behind_the_engines_back_are_repaired_in_a_scheduled_tick() -> Result<(), Error> {
    // `a -> b -> gone -> c`, and `b` fans out to leaves. (A despawn through
    // `world_mut` is swept before the tick, which changes the graph; a
    // removed component is found when a binding writes it.)
    let mut engine = Engine::new();
    let [a, b, gone, c] = [0, 0, 0, 0].map(|x| engine.spawn((V(x),)));
    engine.bind::<V>(a, b)?;
    engine.bind::<V>(b, gone)?;
    engine.bind::<V>(gone, c)?;
    let leaves: Vec<Entity> = (0..40).map(|_| engine.spawn((V(0),))).collect();
    for &leaf in &leaves {
        engine.bind::<V>(b, leaf)?;
    }
    engine.tick();
    for k in 1..=2 {
        engine.set(a, V(k))?;
        engine.tick();
    }
    engine.world_mut().remove_one::<V>(gone).expect("has V");
    engine.world_mut().remove_one::<V>(leaves[7]).expect("has V");
    engine.set(a, V(3))?;
    let stats = engine.tick();
    assert_eq!((stats.scheduled, stats.bindings_repaired), (1, 2), "b -> gone, b -> leaf 7");
    assert_eq!((v(&engine, b), v(&engine, c), engine.binding_count()), (3, 2, 2 + 39));
    assert!(leaves.iter().enumerate().all(|(i, &l)| i == 7 || v(&engine, l) == 3));
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn observers_hear_every_change_of_a_scheduled_tick() -> Result<(), Error> {
    let mut engine = Engine::new();
    let (root, chain, fan) = chain_with_fan(&mut engine, 3, 40)?;
    let heard = Arc::new(AtomicUsize::new(0));
    for &e in [chain[1]].iter().chain(&fan) {
        let heard = heard.clone();
        engine.on_change(e, move |_: &V| {
            heard.fetch_add(1, Ordering::SeqCst);
        })?;
    }
    for k in 1..=3 {
        engine.set(root, V(k))?;
        let stats = engine.tick();
        assert_eq!(stats.scheduled, usize::from(k > 1));
        assert_eq!(heard.swap(0, Ordering::SeqCst), 41, "tick {k}");
    }
    Ok(())
}

#[test]
fn a_changed_property_that_a_binding_writes_always_settles_step_by_step() -> Result<(), Error> {
    // The newest of `b`'s own change and what `a` brings wins: claims a
    // schedule does not make.
    let mut engine = Engine::new();
    let [a, b, c] = [0, 0, 0].map(|x| engine.spawn((V(x),)));
    engine.bind::<V>(a, b)?;
    engine.bind::<V>(b, c)?;
    engine.tick();
    for k in 1..=3 {
        engine.set(a, V(k))?;
        engine.set(b, V(10 * k))?;
        let stats = engine.tick();
        assert_eq!((stats.scheduled, v(&engine, b), v(&engine, c)), (0, 10 * k, 10 * k));
        assert_eq!((stats.changes_applied, stats.bindings_fired), (2, 1));
    }
    Ok(())
}

#[test]
fn a_property_set_twice_in_a_scheduled_tick_counts_the_older_change_superseded() -> Result<(), Error> {
    let mut engine = Engine::new();
    let (root, chain, _) = chain_with_fan(&mut engine, 5, 0)?;
    for k in 1..=3 {
        engine.set(root, V(k))?;
        engine.set(root, V(k + 100))?;
        let stats = engine.tick();
        assert_eq!(stats.scheduled, usize::from(k > 1));
        assert_eq!(work(stats), [1, 1, 5, 5, 0, 0, 0]);
        assert_eq!(v(&engine, chain[4]), k + 105);
    }
    Ok(())
}

#[test]
fn a_chain_of_one_lane_runs_in_one_call_and_stops_where_a_link_panics_repeats_or_is_gone() -> Result<(), Error>
{
    // Twenty links of one lane (one closure type): `x + 1`, except that
    // link 3 panics while `trip` is set and link 4 caps at 50.
    use std::sync::atomic::AtomicBool;
    let trip = Arc::new(AtomicBool::new(false));
    let mut engine = Engine::new();
    let root = engine.spawn((V(0),));
    let links: Vec<Entity> = (0..20).map(|_| engine.spawn((V(0),))).collect();
    let mut from = root;
    let mut ids = Vec::new();
    for (i, &link) in links.iter().enumerate() {
        let trip = trip.clone();
        ids.push(engine.bind_map(from, link, move |x: &V| {
            assert!(!(i == 3 && trip.load(Ordering::SeqCst)), "link 3 trips");
            V(if i == 4 { (x.0 + 1).min(50) } else { x.0 + 1 })
        })?);
        from = link;
    }
    engine.tick();
    let first = |engine: &Engine| links[..6].iter().map(|&l| v(engine, l)).collect::<Vec<_>>();
    let tick = |engine: &mut Engine, x: i64| {
        engine.set(root, V(x)).expect("alive");
        let stats = engine.tick();
        (stats.scheduled, stats.bindings_fired, stats.properties_written, stats.faults)
    };
    assert_eq!(tick(&mut engine, 1), (0, 20, 20, 0));
    assert_eq!(tick(&mut engine, 2), (1, 20, 20, 0));
    assert_eq!(first(&engine), [3, 4, 5, 6, 7, 8]);
    assert_eq!(v(&engine, links[19]), 22);
    // Link 4 caps: links 0..=4 compute, link 4 writes nothing, the links
    // after it are not computed.
    assert_eq!(tick(&mut engine, 60), (1, 20, 20, 0));
    assert_eq!(tick(&mut engine, 70), (1, 5, 4, 0));
    assert_eq!(first(&engine), [71, 72, 73, 74, 50, 51]);
    // Link 3 panics: links 0..=2 wrote, 3 faulted, the rest kept theirs.
    trip.store(true, Ordering::SeqCst);
    assert_eq!(tick(&mut engine, 80), (1, 4, 3, 1));
    assert_eq!(first(&engine), [81, 82, 83, 74, 50, 51]);
    assert_eq!(engine.faults()[0].source, FaultSource::Binding(ids[3]));
    trip.store(false, Ordering::SeqCst);
    // Resumed, link 3 owes a sync: that tick settles step by step, and so
    // do the next two (the graph changed since the last repeat, and the
    // schedule it threw away had not paid for itself: compiling waits for
    // a second repeat).
    engine.set_enabled(ids[3], true)?;
    assert_eq!(tick(&mut engine, 90), (0, 5, 4, 0), "link 4 still caps");
    assert_eq!(tick(&mut engine, 100).0, 0);
    assert_eq!(tick(&mut engine, 104).0, 0);
    assert_eq!(tick(&mut engine, 100).0, 1);
    assert_eq!(first(&engine), [101, 102, 103, 104, 50, 51]);
    // Link 1's component removed behind the engine's back: the chain stops
    // there and the binding writing it is repaired.
    engine.world_mut().remove::<(V,)>(links[1]).expect("has V");
    engine.set(root, V(110))?;
    let stats = engine.tick();
    assert_eq!((stats.scheduled, stats.bindings_fired, stats.bindings_repaired), (1, 2, 1));
    assert_eq!(v(&engine, links[0]), 111);
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn a_panic_in_a_scheduled_tick_follows_the_fault_policy() -> Result<(), Error> {
    use bindery::FaultPolicy;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    // `a -> b` refuses 50 (a step: `b` feeds `c`); `a -> d` is a leaf.
    for policy in [FaultPolicy::Panic, FaultPolicy::Poison] {
        let mut engine = Engine::new();
        engine.set_fault_policy(policy);
        let [a, b, c, d] = [0, 0, 0, 0].map(|x| engine.spawn((V(x),)));
        engine.bind_map(a, b, |x: &V| {
            assert!(x.0 != 50, "refuses 50");
            *x
        })?;
        engine.bind::<V>(b, c)?;
        engine.bind::<V>(a, d)?;
        engine.tick();
        for x in [1, 2] {
            engine.set(a, V(x))?;
            assert_eq!(engine.tick().scheduled, usize::from(x == 2), "{policy:?}");
        }
        engine.set(a, V(50))?;
        let caught = catch_unwind(AssertUnwindSafe(|| engine.tick()));
        assert_eq!(engine.check_invariants(), Ok(()), "{policy:?}");
        match policy {
            FaultPolicy::Panic => {
                assert!(caught.is_err(), "the panic resumes out of tick()");
                assert_eq!(
                    (v(&engine, b), v(&engine, c), v(&engine, d)),
                    (2, 2, 50),
                    "the tick completed first"
                );
                engine.set(a, V(7))?;
                engine.tick();
                assert_eq!((v(&engine, b), v(&engine, d)), (2, 7), "the faulty binding is paused");
            }
            _ => {
                assert!(engine.is_poisoned(), "{policy:?}");
                assert_eq!(engine.set(a, V(1)), Err(Error::Poisoned));
            }
        }
    }
    Ok(())
}

#[test]
fn fields_two_way_pairs_and_several_writers_always_settle_step_by_step() -> Result<(), Error> {
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Style {
        width: i64,
        color: i64,
    }
    let mut engine = Engine::new();
    // A field binding, a two-way pair and a property with two writers,
    // each reached from a root set tick after tick.
    let [a, b, c, d, e] = [0, 0, 0, 0, 0].map(|x| engine.spawn((V(x),)));
    let bar = engine.spawn((Style { width: 0, color: 7 },));
    engine.bind_field(a, bar, |x: &V| x.0, |s: &mut Style| &mut s.width)?;
    engine.bind::<V>(b, c)?;
    engine.bind_two_way::<V>(c, d)?;
    engine.bind::<V>(e, d).map(|_| ()).or_else(|err| match err {
        Error::DuplicateBinding(_) => Ok(()),
        err => Err(err),
    })?;
    engine.tick();
    for (root, check) in [(a, 0), (b, 1), (e, 2)] {
        for x in 1..=3 {
            engine.set(root, V(10 * x))?;
            let stats = engine.tick();
            assert_eq!(stats.scheduled, 0, "root {check}, tick {x}");
            match check {
                0 => assert_eq!(engine.get::<Style>(bar)?, Style { width: 10 * x, color: 7 }),
                1 => assert_eq!((v(&engine, c), v(&engine, d)), (10 * x, 10 * x)),
                _ => assert_eq!((v(&engine, d), v(&engine, c)), (10 * x, 10 * x)),
            }
        }
    }
    Ok(())
}

#[test]
fn a_graph_that_keeps_changing_stops_paying_for_compiles() -> Result<(), Error> {
    // Every third tick a binding is made elsewhere, so a schedule runs once
    // before it is thrown away: compiling then waits for longer repeats
    // than the graph allows, and the ticks settle step by step. Once the
    // graph holds still, compiling resumes.
    let mut engine = Engine::new();
    let (root, chain, _) = chain_with_fan(&mut engine, 50, 0)?;
    let mut scheduled = Vec::new();
    for k in 0..10 {
        let (a, b) = (engine.spawn((V(0),)), engine.spawn((V(0),)));
        engine.bind::<V>(a, b)?;
        for x in 0..3 {
            engine.set(root, V(10 * k + x))?;
            scheduled.push(engine.tick().scheduled);
        }
    }
    assert_eq!(v(&engine, chain[49]), 10 * 9 + 2 + 50);
    // The first cycle compiles on its third tick (the second repeat of the
    // root's change at one shape); that schedule dies after one run.
    assert_eq!(scheduled[..3], [0, 0, 1]);
    assert_eq!(scheduled[3..], [0; 27], "{scheduled:?}");
    // Held still, the graph gets a schedule again (the last cycle's two
    // repeats count: the next is the one the back-off waits for), and
    // keeps it.
    let later: Vec<usize> = (0..10)
        .map(|k| {
            engine.set(root, V(1000 + k)).expect("alive");
            engine.tick().scheduled
        })
        .collect();
    assert_eq!(later, [1; 10]);
    Ok(())
}
