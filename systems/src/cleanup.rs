//! [`despawn`]: the system that despawns an entity and every binding touching
//! it.

use hecs::{Entity, NoSuchEntity, World};
use tracing::debug_span;

use crate::graph::BindingGraph;

/// What one [`despawn`] call removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CleanupStats {
    /// Bindings removed with the entity (a two-way binding counts once).
    pub bindings_removed: usize,
    /// Entities despawned.
    pub entities_removed: usize,
}

/// Despawns `entity` and removes every binding that has it as source or
/// target, in time proportional to that entity's bindings. The other
/// endpoints keep their current values.
///
/// Fails, changing nothing, if the entity is not alive.
///
/// # Example
/// ```
/// use bindery_systems::{BindingGraph, despawn};
/// use hecs::World;
///
/// let mut world = World::new();
/// let mut graph = BindingGraph::new();
/// let a = world.spawn((1u32,));
/// let b = world.spawn((2u32,));
/// graph.link_map(a, b, |x: &u32| *x);
///
/// assert_eq!(despawn(&mut world, &mut graph, a).unwrap().bindings_removed, 1);
/// assert_eq!(graph.binding_count(), 0);
/// assert!(despawn(&mut world, &mut graph, a).is_err());
/// ```
pub fn despawn(
    world: &mut World,
    graph: &mut BindingGraph,
    entity: Entity,
) -> Result<CleanupStats, NoSuchEntity> {
    if !world.contains(entity) {
        return Err(NoSuchEntity);
    }
    let _span = debug_span!("cleanup", ?entity).entered();
    let bindings_removed = graph.unlink_entity(entity);
    world.despawn(entity)?;
    Ok(CleanupStats { bindings_removed, entities_removed: 1 })
}
