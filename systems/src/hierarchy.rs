//! Widget trees: attaching children and the recursive despawn system.

use bindery_components::{ChildOf, Children};
use hecs::{Entity, NoSuchEntity, World};
use tracing::debug_span;

use crate::cleanup::{CleanupStats, despawn};
use crate::graph::BindingGraph;

/// Makes `child` a child of `parent` (moving it from any earlier parent).
/// The caller has checked that both are alive and that `parent` is not
/// `child` or one of its descendants.
pub fn attach(world: &mut World, child: Entity, parent: Entity) {
    detach(world, child);
    let _ = world.insert_one(child, ChildOf(parent));
    let pushed = world.get::<&mut Children>(parent).map(|mut c| c.0.push(child)).is_ok();
    if !pushed {
        let _ = world.insert_one(parent, Children(vec![child]));
    }
}

/// Detaches `child` from its parent, if it has one. Returns the old parent.
pub fn detach(world: &mut World, child: Entity) -> Option<Entity> {
    // Asking first is cheap; removing a component the entity lacks is not
    // (hecs looks up the archetype it would move to before failing).
    if !world.satisfies::<&ChildOf>(child) {
        return None;
    }
    let ChildOf(parent) = world.remove_one::<ChildOf>(child).ok()?;
    let now_empty = world
        .get::<&mut Children>(parent)
        .map(|mut c| {
            c.0.retain(|&e| e != child);
            c.0.is_empty()
        })
        .unwrap_or(false);
    if now_empty {
        let _ = world.remove_one::<Children>(parent);
    }
    Some(parent)
}

/// Whether `ancestor` is `entity` or one of its ancestors.
pub fn is_ancestor(world: &World, ancestor: Entity, entity: Entity) -> bool {
    let mut current = Some(entity);
    while let Some(e) = current {
        if e == ancestor {
            return true;
        }
        current = world.get::<&ChildOf>(e).ok().map(|p| p.0);
    }
    false
}

/// Despawns `root` and its whole subtree, with every binding touching any of
/// them, in O(subtree + their bindings), calling `each` with every entity
/// just before it goes (to drop what the caller keeps per entity).
/// Iterative, so trees of any depth are fine. `root` is detached from its
/// own parent first.
///
/// # Example
/// ```
/// use bindery_systems::{BindingGraph, attach, despawn_recursive};
/// use hecs::World;
///
/// let mut world = World::new();
/// let mut graph = BindingGraph::new();
/// let panel = world.spawn(());
/// let label = world.spawn((0u32,));
/// attach(&mut world, label, panel);
/// let stats = despawn_recursive(&mut world, &mut graph, panel, |_| {}).unwrap();
/// assert_eq!((stats.entities_removed, world.len()), (2, 0));
/// ```
pub fn despawn_recursive(
    world: &mut World,
    graph: &mut BindingGraph,
    root: Entity,
    mut each: impl FnMut(Entity),
) -> Result<CleanupStats, NoSuchEntity> {
    if !world.contains(root) {
        return Err(NoSuchEntity);
    }
    let _span = debug_span!("despawn_recursive", ?root).entered();
    detach(world, root);
    let mut stats = CleanupStats::default();
    // Most despawns are of leaves: no stack (no allocation) for them.
    let mut stack = Vec::new();
    let mut next = Some(root);
    while let Some(e) = next.take().or_else(|| stack.pop()) {
        if world.satisfies::<&Children>(e)
            && let Ok(children) = world.remove_one::<Children>(e)
        {
            stack.extend(children.0);
        }
        each(e);
        if let Ok(removed) = despawn(world, graph, e) {
            stats.bindings_removed += removed.bindings_removed;
            stats.entities_removed += 1;
        }
    }
    Ok(stats)
}
