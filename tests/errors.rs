//! Bad input: every kind of bad call returns a precise `Err` and changes
//! nothing.

use bindery::{Engine, Entity, Error};

#[derive(Clone, Debug, PartialEq)]
struct Health(f32);
#[derive(Clone, Debug, PartialEq)]
struct BarWidth(f32);

/// The observable state a failed call must leave untouched.
fn snapshot(engine: &Engine, entities: &[Entity]) -> (usize, usize, usize, Vec<Option<Health>>) {
    (
        engine.entity_count(),
        engine.binding_count(),
        engine.pending_changes(),
        entities.iter().map(|&e| engine.get::<Health>(e).ok()).collect(),
    )
}

fn setup() -> (Engine, Entity, Entity, Entity) {
    let mut engine = Engine::new();
    let player = engine.spawn((Health(100.0),));
    let bar = engine.spawn((BarWidth(0.0),));
    let dead = engine.spawn((Health(1.0),));
    engine.despawn(dead).expect("alive");
    (engine, player, bar, dead)
}

#[test]
fn despawned_entities_are_reported() {
    let (mut engine, player, bar, dead) = setup();
    let before = snapshot(&engine, &[player, bar]);
    assert_eq!(engine.set(dead, Health(2.0)), Err(Error::NoSuchEntity(dead)));
    assert_eq!(engine.insert(dead, Health(2.0)), Err(Error::NoSuchEntity(dead)));
    assert_eq!(engine.modify(dead, |h: &mut Health| h.0 = 0.0), Err(Error::NoSuchEntity(dead)));
    assert_eq!(engine.get::<Health>(dead), Err(Error::NoSuchEntity(dead)));
    assert_eq!(engine.remove::<Health>(dead), Err(Error::NoSuchEntity(dead)));
    assert_eq!(engine.despawn(dead), Err(Error::NoSuchEntity(dead)));
    assert_eq!(engine.bind::<Health>(dead, player), Err(Error::NoSuchEntity(dead)));
    assert_eq!(engine.bind::<Health>(player, dead), Err(Error::NoSuchEntity(dead)));
    assert_eq!(engine.bind_two_way::<Health>(player, dead), Err(Error::NoSuchEntity(dead)));
    assert_eq!(engine.bind_map(dead, bar, |h: &Health| BarWidth(h.0)), Err(Error::NoSuchEntity(dead)));
    assert!(!engine.is_alive(dead));
    assert_eq!(engine.bindings_of(dead).count(), 0);
    assert_eq!(snapshot(&engine, &[player, bar]), before);
}

#[test]
fn never_spawned_entities_are_reported() {
    let (mut engine, player, _, _) = setup();
    let stranger = {
        let mut other = Engine::new();
        for _ in 0..10 {
            other.spawn(());
        }
        other.spawn((Health(0.0),))
    };
    assert_eq!(engine.get::<Health>(stranger), Err(Error::NoSuchEntity(stranger)));
    assert_eq!(engine.bind::<Health>(player, stranger), Err(Error::NoSuchEntity(stranger)));
    assert_eq!(engine.despawn(stranger), Err(Error::NoSuchEntity(stranger)));
}

#[test]
fn missing_components_are_named() {
    let (mut engine, player, bar, _) = setup();
    let before = snapshot(&engine, &[player, bar]);
    match engine.bind::<Health>(player, bar) {
        Err(Error::MissingComponent { entity, component }) => {
            assert_eq!(entity, bar);
            assert!(component.ends_with("Health"), "{component}");
        }
        other => panic!("expected MissingComponent, got {other:?}"),
    }
    match engine.bind_map(bar, player, |h: &Health| h.clone()) {
        Err(Error::MissingComponent { entity, component }) => {
            assert_eq!(entity, bar, "the source lacks Health");
            assert!(component.ends_with("Health"));
        }
        other => panic!("expected MissingComponent, got {other:?}"),
    }
    assert!(matches!(
        engine.set(player, BarWidth(1.0)),
        Err(Error::MissingComponent { entity, .. }) if entity == player
    ));
    assert!(matches!(engine.get::<BarWidth>(player), Err(Error::MissingComponent { .. })));
    assert!(matches!(engine.modify(player, |_: &mut BarWidth| ()), Err(Error::MissingComponent { .. })));
    assert!(matches!(engine.remove::<BarWidth>(player), Err(Error::MissingComponent { .. })));
    assert_eq!(snapshot(&engine, &[player, bar]), before);
}

#[test]
fn binding_a_property_to_itself_is_refused() {
    let (mut engine, player, _, _) = setup();
    assert_eq!(engine.bind::<Health>(player, player), Err(Error::SelfBinding));
    assert_eq!(engine.bind_two_way::<Health>(player, player), Err(Error::SelfBinding));
    assert_eq!(engine.bind_map(player, player, |h: &Health| Health(h.0 + 1.0)), Err(Error::SelfBinding));
    assert_eq!((engine.binding_count(), engine.pending_changes()), (0, 0));
}

#[test]
fn removed_bindings_are_reported() -> Result<(), Error> {
    let (mut engine, player, bar, _) = setup();
    let id = engine.bind_map(player, bar, |h: &Health| BarWidth(h.0))?;
    engine.unbind(id)?;
    assert_eq!(engine.unbind(id), Err(Error::NoSuchBinding(id)));
    assert_eq!(engine.set_enabled(id, false), Err(Error::NoSuchBinding(id)));
    // The slot is reused by the next binding, but the old id stays dead.
    let again = engine.bind_map(player, bar, |h: &Health| BarWidth(h.0))?;
    assert_eq!(again.index(), id.index());
    assert_ne!(again, id);
    assert_eq!(engine.unbind(id), Err(Error::NoSuchBinding(id)));
    assert_eq!(engine.binding_count(), 1);
    Ok(())
}

#[test]
fn errors_explain_themselves() {
    let (mut engine, player, bar, dead) = setup();
    let no_entity = engine.set(dead, Health(0.0)).unwrap_err();
    assert!(no_entity.to_string().contains("does not exist"), "{no_entity}");
    let missing = engine.bind::<Health>(player, bar).unwrap_err();
    assert!(missing.to_string().contains("Health"), "{missing}");
    assert_eq!(
        engine.bind::<Health>(player, player).unwrap_err().to_string(),
        "cannot bind a property to itself"
    );
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(no_entity);
    assert!(!boxed.to_string().is_empty());
}
