//! Change callbacks and subscriptions.

use std::sync::{Arc, Mutex};

use bindery::{Engine, Entity, Error};

#[derive(Clone, Copy, Debug, PartialEq)]
struct V(i64);
#[derive(Clone, Debug, PartialEq)]
struct Label(String);

/// A shared log of callback calls.
type Log = Arc<Mutex<Vec<String>>>;
/// A callback that appends `name=value` to the log.
type Callback = Box<dyn FnMut(&V) + Send>;

fn recorder() -> (Log, impl Fn(&str) -> Callback) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let make = {
        let log = log.clone();
        move |name: &str| {
            let log = log.clone();
            let name = name.to_string();
            Box::new(move |v: &V| log.lock().unwrap().push(format!("{name}={}", v.0))) as Callback
        }
    };
    (log, make)
}

#[test]
fn callbacks_run_once_per_tick_with_settled_values_in_entity_order() -> Result<(), Error> {
    let mut engine = Engine::new();
    let a = engine.spawn((V(0),));
    let b = engine.spawn((V(0),));
    let c = engine.spawn((V(0),));
    engine.bind::<V>(a, b)?;
    engine.bind::<V>(b, c)?;
    engine.tick();
    let (log, make) = recorder();
    // Registered out of order; calls come in entity order.
    engine.on_change(c, make("c"))?;
    engine.on_change(a, make("a"))?;
    engine.on_change(b, make("b"))?;
    engine.on_change(b, make("b2"))?;

    engine.set(a, V(1))?;
    engine.set(a, V(2))?;
    let stats = engine.tick();
    assert_eq!(*log.lock().unwrap(), vec!["a=2", "b=2", "b2=2", "c=2"]);
    assert_eq!(stats.observers_notified, 4);

    log.lock().unwrap().clear();
    engine.set(a, V(2))?; // equal: no change
    let stats = engine.tick();
    assert_eq!((log.lock().unwrap().len(), stats.observers_notified), (0, 0));

    engine.set(c, V(7))?; // only c changes
    engine.tick();
    assert_eq!(*log.lock().unwrap(), vec!["c=7"]);
    Ok(())
}

#[test]
fn a_callbacks_reaction_through_a_handle_settles_in_the_same_tick() -> Result<(), Error> {
    let mut engine = Engine::new();
    let hp = engine.spawn((V(100),));
    let alarm = engine.spawn((Label(String::new()),));
    let shown = engine.spawn((Label(String::new()),));
    engine.bind::<Label>(alarm, shown)?;
    let handle = engine.handle();
    engine.on_change(hp, move |v: &V| {
        if v.0 < 20 {
            handle.set(alarm, Label("low".into())).expect("engine alive");
        }
    })?;
    engine.tick();
    engine.set(hp, V(10))?;
    let stats = engine.tick();
    assert_eq!(engine.get::<Label>(shown)?, Label("low".into()), "applied and settled in this frame");
    assert_eq!((stats.rounds, stats.commands_applied), (2, 1));
    assert_eq!(engine.tick().rounds, 1, "a quiet tick is one round");
    Ok(())
}

#[test]
fn with_one_round_a_reaction_waits_for_the_next_tick() -> Result<(), Error> {
    let mut engine = Engine::new();
    engine.set_max_rounds(1);
    let hp = engine.spawn((V(100),));
    let alarm = engine.spawn((Label(String::new()),));
    let handle = engine.handle();
    engine.on_change(hp, move |v: &V| {
        if v.0 < 20 {
            handle.set(alarm, Label("low".into())).expect("engine alive");
        }
    })?;
    engine.set(hp, V(10))?;
    assert_eq!(engine.tick().rounds, 1);
    assert_eq!(engine.get::<Label>(alarm)?, Label(String::new()), "queued for the next tick");
    let stats = engine.tick();
    assert_eq!((stats.commands_applied, engine.get::<Label>(alarm)?), (1, Label("low".into())));
    Ok(())
}

#[test]
fn a_callback_that_re_triggers_itself_is_bounded_by_the_round_limit() -> Result<(), Error> {
    let mut engine = Engine::new();
    let counter = engine.spawn((V(0),));
    let handle = engine.handle();
    engine.on_change(counter, move |v: &V| {
        handle.set(counter, V(v.0 + 1)).expect("engine alive"); // forever
    })?;
    engine.set(counter, V(1))?;
    let stats = engine.tick();
    assert_eq!(stats.rounds, Engine::DEFAULT_ROUNDS);
    assert_eq!(engine.get::<V>(counter)?, V(Engine::DEFAULT_ROUNDS as i64), "one step per round");
    engine.set_max_rounds(1000);
    assert_eq!(engine.max_rounds(), Engine::MAX_ROUNDS, "clamped");
    assert_eq!(engine.tick().rounds, Engine::MAX_ROUNDS);
    engine.set_max_rounds(0);
    assert_eq!(engine.max_rounds(), 1);
    Ok(())
}

#[test]
fn removing_and_despawning_drop_callbacks() -> Result<(), Error> {
    let mut engine = Engine::new();
    let a = engine.spawn((V(0),));
    let token = Arc::new(());
    let held = token.clone();
    let id = engine.on_change(a, move |_: &V| {
        let _ = &held;
    })?;
    assert_eq!((engine.observer_count(), Arc::strong_count(&token)), (1, 2));
    engine.remove_observer(id)?;
    assert_eq!((engine.observer_count(), Arc::strong_count(&token)), (0, 1));
    assert_eq!(engine.remove_observer(id), Err(Error::NoSuchObserver(id)));

    let held = token.clone();
    let id = engine.on_change(a, move |_: &V| {
        let _ = &held;
    })?;
    engine.despawn(a)?;
    assert_eq!((engine.observer_count(), Arc::strong_count(&token)), (0, 1));
    assert_eq!(engine.remove_observer(id), Err(Error::NoSuchObserver(id)));
    assert!(matches!(engine.on_change(a, |_: &V| ()), Err(Error::NoSuchEntity(_))));
    let unlabeled = engine.spawn((V(0),));
    assert!(matches!(engine.subscribe::<Label>(unlabeled), Err(Error::MissingComponent { .. })));
    Ok(())
}

#[test]
fn subscribers_see_exactly_the_settled_values_then_disconnection() -> Result<(), Error> {
    let mut engine = Engine::new();
    let src = engine.spawn((V(0),));
    let dst = engine.spawn((V(0),));
    engine.bind_map(src, dst, |v: &V| V(v.0 * 10))?;
    engine.tick();
    let values = engine.subscribe::<V>(dst)?;
    for round in 1..=3 {
        engine.set(src, V(round))?;
        engine.set(src, V(round + 100))?; // the settled value is the last one
        engine.tick();
    }
    engine.tick(); // nothing changed: nothing sent
    assert_eq!(values.try_iter().collect::<Vec<_>>(), vec![V(1010), V(1020), V(1030)]);
    engine.despawn(dst)?;
    assert_eq!(engine.observer_count(), 0);
    assert!(values.recv().is_err(), "despawn closes the subscription");
    Ok(())
}

#[test]
fn a_dropped_receiver_is_cleaned_up_on_the_next_send() -> Result<(), Error> {
    let mut engine = Engine::new();
    let e = engine.spawn((V(0),));
    let rx = engine.subscribe::<V>(e)?;
    let all = engine.subscribe_all::<V>();
    assert_eq!(engine.observer_count(), 2);
    drop(rx);
    drop(all);
    assert_eq!(engine.observer_count(), 2, "not noticed until something is sent");
    engine.set(e, V(1))?;
    engine.tick();
    assert_eq!(engine.observer_count(), 0);
    Ok(())
}

#[test]
fn subscribe_all_reports_every_changed_entity_once_per_tick() -> Result<(), Error> {
    let mut engine = Engine::new();
    let all = engine.subscribe_all::<V>();
    let entities: Vec<Entity> = (0..5).map(|_| engine.spawn((V(0),))).collect();
    engine.bind::<V>(entities[0], entities[1])?;
    engine.tick();
    assert_eq!(all.try_iter().count(), 0, "initial sync of equal values changes nothing");
    engine.set(entities[0], V(3))?; // bound: reaches entities[1]
    engine.set(entities[4], V(4))?; // unbound
    engine.set(entities[4], V(5))?;
    engine.tick();
    assert_eq!(
        all.try_iter().collect::<Vec<_>>(),
        vec![(entities[0], V(3)), (entities[1], V(3)), (entities[4], V(5))]
    );
    Ok(())
}

#[test]
fn modify_of_an_observed_unbound_property_notifies_every_kind_of_observer() -> Result<(), Error> {
    let mut engine = Engine::new();
    let a = engine.spawn((V(0),));
    let (log, make) = recorder();
    engine.on_change(a, make("a"))?;
    let one = engine.subscribe::<V>(a)?;
    let all = engine.subscribe_all::<V>();
    engine.modify(a, |x: &mut V| x.0 = 4)?;
    engine.tick();
    engine.handle().modify(a, |x: &mut V| x.0 = 5)?;
    engine.tick();
    engine.modify(a, |x: &mut V| x.0 = 5)?; // no change
    engine.tick();
    assert_eq!(*log.lock().unwrap(), vec!["a=4", "a=5"]);
    assert_eq!(one.try_iter().collect::<Vec<_>>(), vec![V(4), V(5)]);
    assert_eq!(all.try_iter().collect::<Vec<_>>(), vec![(a, V(4)), (a, V(5))]);
    Ok(())
}

#[test]
fn inserting_a_new_component_notifies_observers_of_its_type() -> Result<(), Error> {
    let mut engine = Engine::new();
    let all = engine.subscribe_all::<Label>();
    let e = engine.spawn(());
    engine.insert(e, Label("new".into()))?;
    engine.tick();
    assert_eq!(all.try_iter().collect::<Vec<_>>(), vec![(e, Label("new".into()))]);
    Ok(())
}

#[test]
fn observers_run_in_entity_order_after_a_slot_was_reused() -> Result<(), Error> {
    let mut engine = Engine::new();
    let all = engine.subscribe_all::<V>();
    let first = engine.spawn((V(0),));
    let second = engine.spawn((V(0),));
    engine.despawn(first)?;
    let reused = engine.spawn((V(0),)); // index 0, generation 2
    assert_eq!(reused.id(), first.id());
    engine.set(second, V(1))?;
    engine.set(reused, V(2))?;
    engine.tick();
    assert_eq!(all.try_iter().collect::<Vec<_>>(), vec![(reused, V(2)), (second, V(1))], "0v2 before 1v1");
    Ok(())
}

#[test]
fn despawning_an_observed_entity_stops_change_tracking_once_nobody_listens() -> Result<(), Error> {
    let mut engine = Engine::new();
    let w = engine.spawn((V(0),));
    let other = engine.spawn((V(0),));
    let _values = engine.subscribe::<V>(w)?;
    engine.despawn(w)?;
    assert_eq!(engine.observer_count(), 0);
    for x in 1..=3 {
        engine.set(other, V(x))?;
        engine.tick();
    }
    let all = engine.subscribe_all::<V>();
    let stats = engine.tick();
    assert_eq!(stats.observers_notified, 0, "nothing stale is delivered");
    assert!(all.try_recv().is_err());
    Ok(())
}
