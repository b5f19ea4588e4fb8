//! Unit tests of the lanes: batches, broken edges, released slots.
use super::*;
use crate::records::NONE;

#[derive(Clone, Debug, PartialEq)]
struct A(i32);
#[derive(Clone, Debug, PartialEq)]
struct B(i32);

#[test]
fn run_writes_only_changed_targets_and_reports_broken_edges() {
    let mut world = World::new();
    let s = world.spawn((A(3),));
    let t = world.spawn((B(6),));
    let u = world.spawn((B(0),));
    let dead = world.spawn((A(1),));
    world.despawn(dead).unwrap();

    let mut lane = MapLane::<A, B, _>::default();
    let slot = lane.insert(|a: &A| B(a.0 * 2));
    let fire = |edge, source, target| Fire { edge, slot, visit: edge, unit: NONE, source, target };
    let mut out = LaneOutput::default();
    lane.run(&mut world, &[fire(0, s, t), fire(1, s, u), fire(2, dead, u), fire(3, s, s)], &mut out);
    assert_eq!(out.written, vec![(1, NONE)], "t already held 6");
    assert_eq!(out.broken, vec![2, 3], "dead source, target without B");
    assert_eq!(*world.get::<&B>(u).unwrap(), B(6));
}

#[test]
fn release_drops_the_transform_and_reuses_the_slot() {
    let token = std::sync::Arc::new(());
    let mut lane = MapLane::<A, B, _>::default();
    let held = token.clone();
    let slot = lane.insert(move |a: &A| {
        let _ = &held;
        B(a.0)
    });
    assert_eq!(std::sync::Arc::strong_count(&token), 2);
    lane.release(slot);
    assert_eq!(std::sync::Arc::strong_count(&token), 1);
    assert_eq!(lane.len(), 0);
    lane.release(slot); // releasing twice is harmless
    assert_eq!(lane.len(), 0);
}
