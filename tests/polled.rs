//! Values changed behind the engine's back: polled properties, explicit
//! change marks, and repair after a despawn through the world.

use bindery::{Engine, Error};

#[derive(Clone, Copy, Debug, PartialEq)]
struct V(i64);

#[test]
fn a_polled_property_propagates_when_changed_through_the_world() -> Result<(), Error> {
    let mut engine = Engine::new();
    let src = engine.spawn((V(0),));
    let dst = engine.spawn((V(0),));
    engine.bind::<V>(src, dst)?;
    let id = engine.poll::<V>(src)?;
    engine.tick();

    engine.world_mut().get::<&mut V>(src).expect("component").0 = 4;
    let stats = engine.tick();
    assert_eq!(stats.polls_changed, 1);
    assert_eq!(engine.get::<V>(dst)?, V(4));

    let stats = engine.tick();
    assert_eq!((stats.polls_changed, stats.properties_written), (0, 0), "unchanged: nothing");

    engine.unpoll(id)?;
    assert_eq!(engine.unpoll(id), Err(Error::NoSuchPoll(id)));
    engine.world_mut().get::<&mut V>(src).expect("component").0 = 5;
    engine.tick();
    assert_eq!(engine.get::<V>(dst)?, V(4), "no longer polled");
    Ok(())
}

#[test]
fn an_unbound_polled_property_still_reaches_subscribers() -> Result<(), Error> {
    let mut engine = Engine::new();
    let e = engine.spawn((V(1),));
    engine.poll::<V>(e)?;
    let rx = engine.subscribe::<V>(e)?;
    engine.world_mut().get::<&mut V>(e).expect("component").0 = 2;
    engine.tick();
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![V(2)]);
    Ok(())
}

#[test]
fn polls_go_with_their_entity() -> Result<(), Error> {
    let mut engine = Engine::new();
    let e = engine.spawn((V(1),));
    let id = engine.poll::<V>(e)?;
    engine.poll::<V>(e)?;
    assert_eq!(engine.poll_count(), 2);
    engine.despawn(e)?;
    assert_eq!(engine.poll_count(), 0);
    assert_eq!(engine.unpoll(id), Err(Error::NoSuchPoll(id)));
    assert_eq!(engine.poll::<V>(e), Err(Error::NoSuchEntity(e)));
    Ok(())
}

#[test]
fn mark_changed_propagates_a_direct_write() -> Result<(), Error> {
    let mut engine = Engine::new();
    let a = engine.spawn((V(0),));
    let b = engine.spawn((V(0),));
    let bare = engine.spawn(());
    engine.bind::<V>(a, b)?;
    engine.tick();
    engine.world_mut().get::<&mut V>(a).expect("component").0 = 8;
    let stats = engine.tick();
    assert_eq!((stats.properties_written, engine.get::<V>(b)?), (0, V(0)), "unmarked: not seen");
    engine.mark_changed::<V>(a)?;
    engine.tick();
    assert_eq!(engine.get::<V>(b)?, V(8));
    assert!(matches!(engine.mark_changed::<V>(bare), Err(Error::MissingComponent { .. })));
    Ok(())
}

#[test]
fn a_despawn_behind_the_engines_back_is_repaired_at_the_next_tick() -> Result<(), Error> {
    let mut engine = Engine::new();
    let a = engine.spawn((V(0),));
    let b = engine.spawn((V(0),));
    let c = engine.spawn((V(0),));
    engine.bind::<V>(a, b)?;
    engine.bind::<V>(a, c)?;
    engine.tick();
    engine.world_mut().despawn(b).expect("alive");
    engine.set(a, V(3))?;
    let stats = engine.tick();
    assert_eq!(stats.bindings_repaired, 1);
    assert_eq!(engine.get::<V>(c)?, V(3), "the rest still works");
    assert_eq!((engine.entity_count(), engine.binding_count()), (2, 1));
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn a_component_removed_behind_the_engines_back_unbinds_it() -> Result<(), Error> {
    let mut engine = Engine::new();
    let a = engine.spawn((V(0),));
    let b = engine.spawn((V(0),));
    engine.bind::<V>(a, b)?;
    engine.tick();
    engine.world_mut().remove_one::<V>(b).expect("component");
    engine.set(a, V(1))?;
    let stats = engine.tick();
    assert_eq!((stats.bindings_repaired, engine.binding_count()), (1, 0));
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}
