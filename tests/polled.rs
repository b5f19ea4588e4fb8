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

/// NiceGUI's `test_binding_to_input` shape: a text model two-way bound to an
/// input element whose value is polled.
#[derive(Clone, Debug, PartialEq)]
struct Text(String);

#[test]
fn typing_into_a_polled_input_bound_to_a_model_keeps_every_keystroke() -> Result<(), Error> {
    let mut engine = Engine::new();
    let model = engine.spawn((Text(String::new()),));
    let input = engine.spawn((Text(String::new()),));
    engine.bind_two_way::<Text>(model, input)?;
    engine.poll::<Text>(input)?;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    engine.on_change(model, move |t: &Text| log.lock().unwrap().push(t.0.clone()))?;
    engine.tick();

    // The browser writes the input behind the engine's back, one keystroke
    // per frame; the model is also set by the program between keystrokes.
    for (i, typed) in ["f", "fi", "fiv", "five"].into_iter().enumerate() {
        engine.world_mut().get::<&mut Text>(input).expect("component").0 = typed.into();
        let stats = engine.tick();
        assert_eq!(stats.polls_changed, 1, "keystroke {i}");
        assert_eq!(engine.get::<Text>(model)?, Text(typed.into()), "keystroke {i}");
    }
    assert_eq!(*seen.lock().unwrap(), vec!["f", "fi", "fiv", "five"], "one callback per keystroke");

    engine.set(model, Text("five!".into()))?;
    engine.tick();
    assert_eq!(engine.get::<Text>(input)?, Text("five!".into()), "the model's own change reaches the input");
    for _ in 0..3 {
        let stats = engine.tick();
        assert_eq!(
            (stats.polls_changed, stats.properties_written),
            (0, 0),
            "idle: a binding's write is no news"
        );
    }
    assert_eq!(seen.lock().unwrap().len(), 5);
    Ok(())
}

#[test]
fn a_set_made_before_the_tick_is_not_seen_again_by_the_poll() -> Result<(), Error> {
    let mut engine = Engine::new();
    let [a, b, c] = [0, 0, 0].map(|x| engine.spawn((V(x),)));
    engine.bind::<V>(a, c)?;
    engine.bind::<V>(b, c)?;
    engine.poll::<V>(a)?;
    engine.tick();
    engine.set(a, V(1))?;
    engine.set(b, V(2))?; // newer: it must win c
    let stats = engine.tick();
    assert_eq!(stats.polls_changed, 0, "the engine's own write");
    assert_eq!(engine.get::<V>(c)?, V(2));
    Ok(())
}

#[test]
fn a_polled_nan_is_no_change_on_idle_ticks() -> Result<(), Error> {
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct F(f64);
    let mut engine = Engine::new();
    let e = engine.spawn((F(f64::NAN),));
    engine.poll::<F>(e)?;
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = calls.clone();
    engine.on_change(e, move |_: &F| {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    })?;
    for _ in 0..10 {
        let stats = engine.tick();
        assert_eq!((stats.polls_changed, stats.observers_notified), (0, 0));
    }
    engine.world_mut().get::<&mut F>(e).expect("component").0 = 1.0;
    assert_eq!(engine.tick().polls_changed, 1, "a number after a NaN is a change");
    engine.world_mut().get::<&mut F>(e).expect("component").0 = f64::NAN;
    assert_eq!(engine.tick().polls_changed, 1, "and a NaN after a number");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    Ok(())
}

#[test]
fn components_removed_behind_the_engines_back_in_a_large_fan_out_unbind_only_them() -> Result<(), Error> {
    // A fan-out long enough to be computed as one run of leaves; three of
    // its targets lose their component through the world.
    let mut engine = Engine::new();
    let source = engine.spawn((V(0),));
    let targets: Vec<_> = (0..100).map(|_| engine.spawn((V(0),))).collect();
    for &t in &targets {
        engine.bind::<V>(source, t)?;
    }
    engine.tick();
    for &t in [targets[0], targets[50], targets[99]].iter() {
        engine.world_mut().remove_one::<V>(t).expect("component");
    }
    engine.set(source, V(7))?;
    let stats = engine.tick();
    assert_eq!((stats.bindings_repaired, stats.properties_written), (3, 97));
    assert_eq!((engine.entity_count(), engine.binding_count()), (101, 97));
    let kept = targets.iter().enumerate().filter(|(i, _)| ![0, 50, 99].contains(i));
    assert!(kept.clone().all(|(_, &t)| engine.get::<V>(t) == Ok(V(7))));
    assert_eq!(engine.check_invariants(), Ok(()));
    // The next change reaches exactly the 97 left.
    engine.set(source, V(8))?;
    assert_eq!(engine.tick().properties_written, 97);
    assert!(kept.clone().all(|(_, &t)| engine.get::<V>(t) == Ok(V(8))));
    Ok(())
}
