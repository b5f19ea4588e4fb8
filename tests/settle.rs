//! One settle per tick: the work is linear in what a tick touches, whatever
//! order the graph was built in, and derivations obey the same rules as
//! bindings (claims, nearest change wins, cycles cut, one computation from
//! final inputs). Each defect found in the first version is pinned by name.

use std::sync::{Arc, Mutex};

use bindery::{Engine, Entity, Error, TickStats};

#[derive(Clone, Copy, Debug, PartialEq)]
struct V(i64);

fn v(engine: &Engine, e: Entity) -> i64 {
    engine.get::<V>(e).expect("entity has a V").0
}

/// `n` entities holding `V(first)`, then `V(1)`, `V(2)`, ... so that every
/// property differs from the first.
fn spawn_distinct(engine: &mut Engine, n: usize, first: i64) -> Vec<Entity> {
    (0..n).map(|i| engine.spawn((V(if i == 0 { first } else { i as i64 }),))).collect()
}

/// Calls of a derive function, with the inputs it saw.
type Calls = Arc<Mutex<Vec<(i64, i64)>>>;

const DEEP: usize = 100_000;

/// Builds the chain `chain[0] -> chain[1] -> ...` with `link`, in the given
/// order, then ticks once.
fn build_chain(
    back_to_front: bool,
    link: impl Fn(&mut Engine, Entity, Entity),
) -> (Engine, Vec<Entity>, TickStats) {
    let mut engine = Engine::new();
    let chain = spawn_distinct(&mut engine, DEEP, -7);
    let mut pairs: Vec<(Entity, Entity)> = chain.windows(2).map(|p| (p[0], p[1])).collect();
    if back_to_front {
        pairs.reverse();
    }
    for (s, t) in pairs {
        link(&mut engine, s, t);
    }
    let stats = engine.tick();
    (engine, chain, stats)
}

fn assert_first_tick_fires_each_link_once(engine: &Engine, chain: &[Entity], stats: TickStats) {
    assert_eq!(stats.bindings_fired, DEEP - 1, "one computation per link: {stats:?}");
    assert_eq!(stats.properties_written, DEEP - 1);
    assert_eq!(stats.cycles_cut, 0);
    assert!(chain.iter().all(|&e| v(engine, e) == -7), "every link holds the head's value");
}

#[test]
fn a_plain_chain_built_front_to_back_fires_each_link_once_in_its_first_tick() {
    let (engine, chain, stats) = build_chain(false, |e, s, t| {
        e.bind::<V>(s, t).expect("bind");
    });
    assert_first_tick_fires_each_link_once(&engine, &chain, stats);
}

#[test]
fn a_plain_chain_built_back_to_front_fires_each_link_once_in_its_first_tick() {
    let (engine, chain, stats) = build_chain(true, |e, s, t| {
        e.bind::<V>(s, t).expect("bind");
    });
    assert_first_tick_fires_each_link_once(&engine, &chain, stats);
}

#[test]
fn a_derived_chain_built_front_to_back_computes_each_link_once_in_its_first_tick() {
    let (engine, chain, stats) = build_chain(false, |e, s, t| {
        e.derive(t, s, |x: &V| *x).expect("derive");
    });
    assert_first_tick_fires_each_link_once(&engine, &chain, stats);
}

#[test]
fn a_derived_chain_built_back_to_front_computes_each_link_once_in_its_first_tick() {
    let (engine, chain, stats) = build_chain(true, |e, s, t| {
        e.derive(t, (s,), |(x,): (&V,)| *x).expect("derive");
    });
    assert_first_tick_fires_each_link_once(&engine, &chain, stats);
}

#[test]
fn a_two_way_chain_built_back_to_front_fires_each_pair_once_in_its_first_tick() {
    let (engine, chain, stats) = build_chain(true, |e, s, t| {
        e.bind_two_way::<V>(s, t).expect("bind");
    });
    assert_first_tick_fires_each_link_once(&engine, &chain, stats);
    assert_eq!(engine.binding_count(), DEEP - 1);
}

#[test]
fn a_hundred_thousand_deep_chain_updates_with_one_computation_per_link() -> Result<(), Error> {
    let (mut engine, chain, _) = build_chain(true, |e, s, t| {
        e.bind::<V>(s, t).expect("bind");
    });
    engine.set(chain[0], V(3))?;
    let stats = engine.tick();
    assert_eq!(
        (stats.bindings_fired, stats.properties_written, stats.changes_applied),
        (DEEP - 1, DEEP - 1, 1)
    );
    assert_eq!(v(&engine, chain[DEEP - 1]), 3);
    Ok(())
}

#[test]
fn a_thousand_changes_in_one_frame_each_write_their_targets_once() -> Result<(), Error> {
    let mut engine = Engine::new();
    let sources: Vec<Entity> = (0..1000).map(|_| engine.spawn((V(0),))).collect();
    let targets: Vec<Entity> = (0..1000).map(|_| engine.spawn((V(0),))).collect();
    let sink = engine.spawn((V(0),));
    for (&s, &t) in sources.iter().zip(&targets) {
        engine.bind::<V>(s, t)?;
        engine.bind::<V>(t, sink)?; // a fan-in: 1000 writers of one property
    }
    engine.tick();
    for (i, &s) in sources.iter().enumerate() {
        engine.set(s, V(i as i64 + 1))?;
    }
    let stats = engine.tick();
    assert_eq!(stats.properties_written, 1001, "every target once, the sink once");
    assert_eq!(stats.bindings_fired, 1001);
    assert_eq!(v(&engine, sink), 1000, "the newest change wins the fan-in");
    assert!(targets.iter().enumerate().all(|(i, &t)| v(&engine, t) == i as i64 + 1));
    Ok(())
}

#[test]
fn removing_and_re_adding_bindings_keeps_the_work_exact() -> Result<(), Error> {
    let mut engine = Engine::new();
    let chain: Vec<Entity> = (0..1000).map(|_| engine.spawn((V(0),))).collect();
    for round in 1..=5 {
        let ids: Vec<_> = chain.windows(2).map(|p| engine.bind::<V>(p[0], p[1])).collect::<Result<_, _>>()?;
        engine.set(chain[0], V(round))?;
        let stats = engine.tick();
        assert_eq!((stats.bindings_fired, stats.properties_written), (999, 999), "round {round}");
        for id in ids {
            engine.unbind(id)?;
        }
        assert_eq!((engine.binding_count(), engine.tick().bindings_fired), (0, 0));
    }
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn derivations_added_after_others_were_removed_compute_from_final_inputs() -> Result<(), Error> {
    // The first version kept heights capped by the number of live
    // derivations and never lowered them: after removals, a derivation and
    // the one feeding it could share a height and run from a stale input.
    let mut engine = Engine::new();
    let [a, b, m, o, x, y, z] = [0, 0, 0, 0, 0, 0, 0].map(|x| engine.spawn((V(x),)));
    let old = [
        engine.derive(x, a, |p: &V| V(p.0 + 1))?,
        engine.derive(y, x, |p: &V| V(p.0 + 1))?,
        engine.derive(z, y, |p: &V| V(p.0 + 1))?,
    ];
    engine.tick();
    for id in old {
        engine.unbind(id)?;
    }
    let b_source = engine.spawn((V(2),));
    engine.derive(m, a, |p: &V| V(p.0 * 10))?;
    engine.derive(o, (m, b), |(p, q): (&V, &V)| V(p.0 + q.0))?;
    engine.bind::<V>(b_source, b)?;
    engine.set(a, V(1))?;
    engine.tick();
    assert_eq!((v(&engine, m), v(&engine, b), v(&engine, o)), (10, 2, 12));
    Ok(())
}

#[test]
fn a_new_derivation_runs_once_in_its_creation_tick_from_final_inputs() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, b1, b2, c] = [2, 0, 0, 0].map(|x| engine.spawn((V(x),)));
    let calls: Calls = Arc::default();
    let seen = calls.clone();
    engine.derive(c, (b1, b2), move |(x, y): (&V, &V)| {
        seen.lock().unwrap().push((x.0, y.0));
        V(y.0 / x.0) // would divide by zero from a half-initialised b1
    })?;
    engine.derive(b1, a, |x: &V| V(x.0 * 10))?;
    engine.derive(b2, a, |x: &V| V(x.0 * 100))?;
    let stats = engine.tick();
    assert_eq!(*calls.lock().unwrap(), vec![(20, 200)]);
    assert_eq!((v(&engine, c), stats.bindings_fired), (10, 3));
    Ok(())
}

#[test]
fn a_long_lived_derivation_runs_once_per_tick_whatever_else_the_frame_does() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, b, c, x, p, q] = [0, 0, 0, 0, 0, 0].map(|x| engine.spawn((V(x),)));
    let calls: Calls = Arc::default();
    let seen = calls.clone();
    engine.derive(x, (a, c), move |(a, c): (&V, &V)| {
        seen.lock().unwrap().push((a.0, c.0));
        V(a.0 + c.0)
    })?;
    engine.bind::<V>(b, c)?;
    engine.tick();
    calls.lock().unwrap().clear();

    engine.set(a, V(1))?;
    engine.bind::<V>(p, q)?; // unrelated, in the same frame
    engine.set(b, V(2))?;
    engine.tick();
    assert_eq!(*calls.lock().unwrap(), vec![(1, 2)], "once, from final inputs");
    assert_eq!(v(&engine, x), 3);
    Ok(())
}

#[test]
fn a_plain_binding_and_a_derivation_into_one_property_write_it_once() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, x] = [0, 0].map(|x| engine.spawn((V(x),)));
    engine.bind::<V>(a, x)?;
    engine.derive(x, a, |p: &V| V(p.0 * 2))?; // newer, equally near: it decides
    engine.tick();
    engine.set(a, V(5))?;
    let stats = engine.tick();
    assert_eq!(v(&engine, x), 10);
    assert_eq!((stats.properties_written, stats.bindings_fired, stats.cycles_cut), (1, 1, 1));
    Ok(())
}

#[test]
fn the_nearest_binding_wins_over_a_derivation_further_away() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, m, x] = [0, 0, 0].map(|x| engine.spawn((V(x),)));
    engine.bind::<V>(a, x)?;
    engine.bind_map(a, m, |p: &V| V(p.0 + 1000))?;
    engine.derive(x, m, |p: &V| *p)?;
    engine.tick();
    engine.set(a, V(5))?;
    engine.tick();
    assert_eq!((v(&engine, m), v(&engine, x)), (1005, 5), "a -> x is one step, a -> m -> x two");
    Ok(())
}

#[test]
fn a_derivation_closing_a_cycle_does_not_overwrite_the_change_that_started_it() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [x, y] = [0, 0].map(|x| engine.spawn((V(x),)));
    engine.bind::<V>(x, y)?;
    engine.derive(x, y, |p: &V| V(p.0 + 1))?;
    engine.tick();
    engine.set(x, V(10))?;
    let stats = engine.tick();
    assert_eq!((v(&engine, x), v(&engine, y)), (10, 10), "the user's set survives");
    assert_eq!(stats.cycles_cut, 1);
    Ok(())
}

#[test]
fn set_then_unbind_in_one_frame_carries_nothing_and_bind_then_set_carries_the_set() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, b] = [0, 0].map(|x| engine.spawn((V(x),)));
    let id = engine.bind::<V>(a, b)?;
    engine.tick();
    engine.set(a, V(1))?;
    engine.unbind(id)?;
    engine.tick();
    assert_eq!((v(&engine, a), v(&engine, b)), (1, 0), "the binding was gone when the tick ran");

    engine.bind::<V>(a, b)?;
    engine.set(a, V(2))?;
    engine.tick();
    assert_eq!(v(&engine, b), 2);
    Ok(())
}

#[test]
fn a_bind_chain_used_as_copy_rules_in_cellx_settles_in_linear_work() -> Result<(), Error> {
    // The first version re-expanded the downstream graph once per initial
    // sync: 2.6 s at 5,000 layers.
    const LAYERS: usize = 5_000;
    let mut engine = Engine::new();
    let first: Vec<Entity> = (1..=4).map(|x| engine.spawn((V(x),))).collect();
    let mut prev = first.clone();
    for _ in 1..LAYERS {
        let next: Vec<Entity> = (0..4).map(|_| engine.spawn((V(0),))).collect();
        engine.bind::<V>(prev[1], next[0])?;
        engine.derive(next[1], (prev[0], prev[2]), |(a, c): (&V, &V)| V(a.0 - c.0))?;
        engine.derive(next[2], (prev[1], prev[3]), |(b, d): (&V, &V)| V(b.0 + d.0))?;
        engine.bind::<V>(prev[2], next[3])?;
        prev = next;
    }
    let stats = engine.tick();
    assert!(stats.bindings_fired <= 4 * (LAYERS - 1), "{stats:?}");
    let mut layer = [1i64, 2, 3, 4];
    for _ in 1..LAYERS {
        layer = [layer[1], layer[0] - layer[2], layer[1] + layer[3], layer[2]];
    }
    assert_eq!(prev.iter().map(|&e| v(&engine, e)).collect::<Vec<_>>(), layer);
    Ok(())
}

// Cycles with derivations, found by the model test (`tests/model.rs`).

fn spawn_zeros(engine: &mut Engine, n: usize) -> Vec<Entity> {
    (0..n).map(|_| engine.spawn((V(0),))).collect()
}

fn sum(engine: &mut Engine, target: Entity, a: Entity, b: Entity) -> Result<(), Error> {
    engine.derive(target, (a, b), |(x, y): (&V, &V)| V(x.0 + y.0)).map(|_| ())
}

#[test]
fn a_derivation_in_a_cycle_reads_the_members_claimed_with_it_after_they_are_computed() -> Result<(), Error> {
    // Both creation orders: the derivation must not read e1 before e1 takes e0's change.
    for derivation_first in [false, true] {
        let mut engine = Engine::new();
        let e = spawn_zeros(&mut engine, 3);
        if derivation_first {
            sum(&mut engine, e[2], e[0], e[1])?;
            engine.bind_two_way::<V>(e[0], e[1])?;
        } else {
            engine.bind_two_way::<V>(e[0], e[1])?;
            sum(&mut engine, e[2], e[0], e[1])?;
        }
        engine.bind::<V>(e[2], e[0])?;
        engine.tick();
        engine.set(e[0], V(1))?;
        engine.tick();
        assert_eq!((v(&engine, e[1]), v(&engine, e[2])), (1, 2), "derivation first: {derivation_first}");
    }
    Ok(())
}

#[test]
fn a_derivation_reached_through_two_inputs_in_a_cycle_computes_if_either_changed() -> Result<(), Error> {
    for parity_first in [false, true] {
        let mut engine = Engine::new();
        let e = spawn_zeros(&mut engine, 4);
        let parity = |engine: &mut Engine| engine.derive(e[2], e[0], |x: &V| V(x.0 % 2)).map(|_| ());
        if parity_first {
            parity(&mut engine)?;
            engine.bind::<V>(e[0], e[1])?;
        } else {
            engine.bind::<V>(e[0], e[1])?;
            parity(&mut engine)?;
        }
        sum(&mut engine, e[3], e[1], e[2])?;
        engine.bind::<V>(e[3], e[0])?;
        engine.tick();
        engine.set(e[0], V(2))?;
        engine.tick();
        // e1 took 2, e2 stayed 0 (2 is even): e3 = 2 + 0, whichever input brought it.
        assert_eq!((v(&engine, e[1]), v(&engine, e[2]), v(&engine, e[3])), (2, 0, 2), "{parity_first}");
    }
    Ok(())
}

#[test]
fn a_derivation_is_as_near_as_its_nearest_input_whatever_the_creation_order() -> Result<(), Error> {
    // e0 → e1 and e0 → e2 → e3 feed e5 = e1 + e3; e0 → e4 → e5 is as near
    // (two bindings), and the derivation is newer: it wins in both orders.
    for near_input_first in [true, false] {
        let mut engine = Engine::new();
        let e = spawn_zeros(&mut engine, 6);
        if near_input_first {
            engine.bind::<V>(e[0], e[1])?;
            engine.bind::<V>(e[0], e[2])?;
            engine.bind::<V>(e[2], e[3])?;
        } else {
            engine.bind::<V>(e[0], e[2])?;
            engine.bind::<V>(e[2], e[3])?;
            engine.bind::<V>(e[0], e[1])?;
        }
        engine.bind::<V>(e[0], e[4])?;
        engine.bind::<V>(e[4], e[5])?;
        sum(&mut engine, e[5], e[1], e[3])?;
        engine.tick();
        engine.set(e[0], V(1))?;
        let stats = engine.tick();
        assert_eq!(v(&engine, e[5]), 2, "near input first: {near_input_first}");
        assert_eq!(stats.cycles_cut, 1, "e4 → e5 brought the same change and was not computed");
    }
    Ok(())
}

#[test]
fn a_derivation_reached_through_two_inputs_is_one_binding_and_one_cut_at_most() -> Result<(), Error> {
    let mut engine = Engine::new();
    let e = spawn_zeros(&mut engine, 4);
    engine.bind::<V>(e[0], e[1])?;
    engine.bind::<V>(e[0], e[2])?;
    sum(&mut engine, e[3], e[1], e[2])?;
    engine.bind::<V>(e[0], e[3])?;
    engine.tick();
    engine.set(e[0], V(1))?;
    let stats = engine.tick();
    assert_eq!(v(&engine, e[3]), 1, "the nearest binding wins");
    assert_eq!(stats.cycles_cut, 1, "the derivation, once, though both its inputs brought the change");
    Ok(())
}

#[test]
fn a_chain_link_reads_its_source_as_written_this_tick_never_as_an_earlier_tick_left_it() -> Result<(), Error>
{
    // One closure, so one lane for every binding: each link's source is
    // what that lane wrote just before.
    let plus_one = |x: &V| V(x.0 + 1);
    let mut engine = Engine::new();
    let chain = spawn_distinct(&mut engine, 6, 0);
    for p in chain.windows(2) {
        engine.bind_map(p[0], p[1], plus_one)?;
    }
    engine.set(chain[0], V(10))?;
    engine.tick();
    let values = |engine: &Engine, es: &[Entity]| es.iter().map(|&e| v(engine, e)).collect::<Vec<_>>();
    assert_eq!(values(&engine, &chain), [10, 11, 12, 13, 14, 15]);
    // Behind the engine's back, the last link computed takes another value;
    // a new chain from it is then computed from what the world holds, not
    // from what the last tick wrote there.
    *engine.world_mut().get::<&mut V>(chain[4]).expect("has V") = V(400);
    let branch = spawn_distinct(&mut engine, 2, 0);
    engine.bind_map(chain[4], branch[0], plus_one)?;
    engine.bind_map(branch[0], branch[1], plus_one)?;
    engine.tick();
    assert_eq!(values(&engine, &branch), [401, 402]);
    // Marked changed in the middle: from there on, every link is computed
    // from the world.
    for (i, &e) in chain.iter().enumerate().skip(1) {
        *engine.world_mut().get::<&mut V>(e).expect("has V") = V(100 * i as i64);
    }
    engine.mark_changed::<V>(chain[2])?;
    let stats = engine.tick();
    assert_eq!(values(&engine, &chain), [10, 100, 200, 201, 202, 203]);
    assert_eq!(values(&engine, &branch), [203, 204]);
    assert_eq!((stats.bindings_fired, stats.properties_written), (5, 5));
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct P {
    x: i64,
    y: i64,
}

#[test]
fn a_fan_out_of_mixed_bindings_computes_each_target_once_with_its_own_transform() -> Result<(), Error> {
    // One source's out-list interleaves two lanes of leaves (two closure
    // types), paused bindings, a leaf the user also sets this frame, a
    // property with a second input, a link with a binding of its own and a
    // field binding: leaves are fired in one loop that hands every other
    // binding to the general path and goes on after it.
    let mut engine = Engine::new();
    let source = engine.spawn((V(1),));
    let other = engine.spawn((V(1_000),));
    let (mut doubled, mut shifted, mut paused) = (Vec::new(), Vec::new(), Vec::new());
    let (two_inputs, link, after_link) =
        (engine.spawn((V(0),)), engine.spawn((V(0),)), engine.spawn((V(0),)));
    let (set_too, field) = (engine.spawn((V(0),)), engine.spawn((P { x: 0, y: -1 },)));
    for i in 0..200 {
        let t = engine.spawn((V(0),));
        match i % 5 {
            0 | 2 => {
                engine.bind_map(source, t, |x: &V| V(x.0 * 2))?;
                doubled.push(t);
            }
            1 | 3 => {
                engine.bind_map(source, t, |x: &V| V(x.0 + 100))?;
                shifted.push(t);
            }
            _ => {
                let b = engine.bind_map(source, t, |x: &V| V(x.0 * 2))?;
                engine.set_enabled(b, false)?;
                paused.push(t);
            }
        }
        match i {
            50 => {
                engine.bind::<V>(source, two_inputs)?;
                engine.bind::<V>(other, two_inputs)?;
            }
            100 => {
                engine.bind::<V>(source, link)?;
                engine.bind::<V>(link, after_link)?;
            }
            150 => {
                engine.bind::<V>(source, set_too)?;
                engine.bind_field(source, field, |v: &V| v.0, |p: &mut P| &mut p.x)?;
            }
            _ => {}
        }
    }
    engine.tick();
    engine.set(source, V(5))?;
    engine.set(set_too, V(-5))?; // newer than the source's change: it stands
    let stats = engine.tick();
    assert!(doubled.iter().all(|&t| v(&engine, t) == 10));
    assert!(shifted.iter().all(|&t| v(&engine, t) == 105));
    assert!(paused.iter().all(|&t| v(&engine, t) == 0), "paused bindings do not fire");
    assert_eq!((v(&engine, two_inputs), v(&engine, link), v(&engine, after_link)), (5, 5, 5));
    assert_eq!(v(&engine, set_too), -5);
    assert_eq!(engine.get::<P>(field)?, P { x: 5, y: -1 });
    // 160 leaves, the two-input property, the link and its target, the field.
    let fired = doubled.len() + shifted.len() + 4;
    assert_eq!((stats.bindings_fired, stats.properties_written), (fired, fired));
    assert_eq!((stats.changes_applied, stats.changes_superseded, stats.cycles_cut), (2, 0, 0));
    Ok(())
}

#[test]
fn bindings_made_in_a_row_each_sync_once_even_if_removed_paused_remade_or_overtaken() -> Result<(), Error> {
    // Bindings made one after another are recorded as one run of owed
    // syncs; each still answers for itself at the tick.
    let mut engine = Engine::new();
    let source = engine.spawn((V(7),));
    let targets: Vec<Entity> = (0..10).map(|_| engine.spawn((V(0),))).collect();
    let ids = targets.iter().map(|&t| engine.bind::<V>(source, t)).collect::<Result<Vec<_>, _>>()?;
    engine.unbind(ids[3])?;
    engine.set_enabled(ids[5], false)?;
    engine.set_enabled(ids[6], false)?;
    engine.set_enabled(ids[6], true)?; // resumed: owes a (newer) sync
    engine.bind::<V>(source, targets[3])?; // made again, in the freed slot
    engine.set(targets[7], V(100))?; // newer than its binding's sync: it wins
    let stats = engine.tick();
    let values: Vec<i64> =
        targets.iter().map(|&t| engine.get::<V>(t).map(|v| v.0)).collect::<Result<_, _>>()?;
    assert_eq!(values, [7, 7, 7, 7, 7, 0, 7, 100, 7, 7]);
    assert_eq!((stats.bindings_fired, stats.properties_written), (8, 8));
    assert_eq!(
        (stats.changes_applied, stats.changes_superseded),
        (9, 1),
        "eight syncs and the set; one sync lost"
    );
    engine.set_enabled(ids[5], true)?;
    let stats = engine.tick();
    assert_eq!(engine.get::<V>(targets[5])?, V(7));
    assert_eq!((stats.bindings_fired, stats.properties_written), (1, 1));
    assert_eq!(engine.tick().bindings_fired, 0, "nothing is owed twice");
    Ok(())
}
