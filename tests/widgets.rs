//! Owned widget trees and graph inspection.

use bindery::{Engine, Entity, Error};

#[derive(Clone, Copy, Debug, PartialEq)]
struct Health(f32);
#[derive(Clone, Copy, Debug, PartialEq)]
struct Width(f32);
#[derive(Clone, Debug, PartialEq)]
struct Text(String);

/// A panel with a bar and a label bound to `player`, and a nested row.
fn build_panel(engine: &mut Engine, player: Entity) -> Result<Entity, Error> {
    let panel = engine.spawn(());
    let bar = engine.spawn_child(panel, (Width(0.0),))?;
    let label = engine.spawn_child(panel, (Text(String::new()),))?;
    let row = engine.spawn_child(panel, ())?;
    let icon = engine.spawn_child(row, (Width(1.0),))?;
    engine.bind_map(player, bar, |h: &Health| Width(h.0 * 2.0))?;
    engine.bind_map(player, label, |h: &Health| Text(format!("{} HP", h.0)))?;
    engine.bind_two_way::<Width>(bar, icon)?;
    Ok(panel)
}

#[test]
fn despawning_a_panel_tears_down_its_subtree_and_bindings_exactly() -> Result<(), Error> {
    let mut engine = Engine::new();
    let player = engine.spawn((Health(50.0),));
    let baseline = (engine.entity_count(), engine.binding_count());
    for _ in 0..3 {
        let panel = build_panel(&mut engine, player)?;
        engine.set(player, Health(40.0))?;
        engine.tick();
        assert_eq!((engine.entity_count(), engine.binding_count()), (baseline.0 + 5, baseline.1 + 3));
        assert_eq!(engine.despawn_recursive(panel)?, 5);
        assert_eq!((engine.entity_count(), engine.binding_count()), baseline);
        assert_eq!(engine.bindings_of(player).count(), 0);
        assert_eq!(engine.check_invariants(), Ok(()));
        engine.set(player, Health(30.0))?;
        assert_eq!(engine.tick().bindings_fired, 0);
    }
    Ok(())
}

#[test]
fn despawning_a_widget_takes_its_subtree_and_leaves_its_parent() -> Result<(), Error> {
    let mut engine = Engine::new();
    let root = engine.spawn(());
    let mid = engine.spawn_child(root, ())?;
    let leaf = engine.spawn_child(mid, ())?;
    let kept = engine.spawn_child(mid, ())?;
    engine.remove_parent(kept)?; // detached first: it stays
    engine.despawn(mid)?;
    assert_eq!(engine.children(root), Vec::<Entity>::new());
    assert!(!engine.is_alive(leaf), "the subtree went with it");
    assert!(engine.is_alive(kept) && engine.parent(kept).is_none());
    assert_eq!(engine.despawn_recursive(root)?, 1);
    assert_eq!(engine.entity_count(), 1, "only the detached child is left");
    Ok(())
}

#[test]
fn despawning_a_panel_removes_its_bound_children_and_every_binding_to_them() -> Result<(), Error> {
    let mut engine = Engine::new();
    let player = engine.spawn((Health(80.0),));
    engine.tick();
    let baseline = (engine.entity_count(), engine.binding_count());
    let panel = engine.spawn(());
    let mut rows = Vec::new();
    for _ in 0..20 {
        let row = engine.spawn_child(panel, (Width(0.0),))?;
        engine.bind_map(player, row, |h: &Health| Width(h.0))?;
        engine.on_change(row, |_: &Width| {})?;
        engine.poll::<Width>(row)?;
        rows.push(row);
    }
    engine.tick();
    engine.despawn(panel)?;
    assert_eq!((engine.entity_count(), engine.binding_count()), baseline);
    assert_eq!((engine.observer_count(), engine.poll_count()), (0, 0));
    engine.set(player, Health(10.0))?;
    assert_eq!(engine.tick().bindings_fired, 0, "no orphan keeps updating");
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn despawning_a_hundred_thousand_deep_tree_is_iterative() -> Result<(), Error> {
    let mut engine = Engine::new();
    let root = engine.spawn((Width(0.0),));
    let mut parent = root;
    for _ in 0..100_000 {
        parent = engine.spawn_child(parent, (Width(0.0),))?;
    }
    engine.bind::<Width>(root, parent)?;
    let (count, entities) = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            engine.despawn(root).expect("alive");
            (engine.binding_count(), engine.entity_count())
        })
        .expect("spawn thread")
        .join()
        .expect("despawn did not overflow the stack");
    assert_eq!((count, entities), (0, 0));
    Ok(())
}

#[test]
fn reparenting_and_cycles() -> Result<(), Error> {
    let mut engine = Engine::new();
    let a = engine.spawn(());
    let b = engine.spawn_child(a, ())?;
    let c = engine.spawn_child(b, ())?;
    assert_eq!(engine.set_parent(a, c), Err(Error::HierarchyCycle { child: a, parent: c }));
    assert_eq!(engine.set_parent(a, a), Err(Error::HierarchyCycle { child: a, parent: a }));
    engine.set_parent(c, a)?;
    assert_eq!((engine.children(a), engine.children(b)), (vec![b, c], vec![]));
    assert_eq!(engine.remove_parent(c)?, Some(a));
    assert_eq!(engine.remove_parent(c)?, None);
    let gone = engine.spawn(());
    engine.despawn(gone)?;
    assert_eq!(engine.spawn_child(gone, ()), Err(Error::NoSuchEntity(gone)));
    assert_eq!(engine.entity_count(), 3, "nothing spawned by the failed call");
    Ok(())
}

#[test]
fn a_very_deep_tree_despawns_without_recursion() -> Result<(), Error> {
    let mut engine = Engine::new();
    let root = engine.spawn((Width(0.0),));
    let mut parent = root;
    for _ in 0..20_000 {
        let child = engine.spawn_child(parent, (Width(0.0),))?;
        engine.bind::<Width>(parent, child)?;
        parent = child;
    }
    assert_eq!(engine.despawn_recursive(root)?, 20_001);
    assert_eq!((engine.entity_count(), engine.binding_count()), (0, 0));
    Ok(())
}

#[test]
fn the_binding_graph_as_data_and_dot() -> Result<(), Error> {
    let mut engine = Engine::new();
    let player = engine.spawn((Health(50.0),));
    let panel = build_panel(&mut engine, player)?;
    let total = engine.spawn((Width(0.0),));
    let bar = engine.children(panel)[0];
    let id = engine.derive(total, (player, bar), |(h, w): (&Health, &Width)| Width(h.0 + w.0))?;
    let graph = engine.binding_graph();
    assert_eq!(graph.edges.len(), 4);
    let derived = graph.edges.iter().find(|e| e.info.id == id).expect("listed");
    assert_eq!(derived.inputs.len(), 2);
    assert_eq!(derived.inputs[1].0, bar);
    assert_eq!(graph.edges.iter().filter(|e| e.info.two_way).count(), 1);
    let dot = graph.to_dot();
    assert_eq!(dot.matches(" -> ").count(), 5, "2 plain + 1 two-way + 2 derivation inputs:\n{dot}");
    assert!(dot.contains("dir=both") && dot.contains("style=dashed"));
    Ok(())
}
