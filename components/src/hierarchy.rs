//! [`ChildOf`] and [`Children`]: owned widget trees.

use hecs::Entity;

/// On a child entity: its parent. Despawning the parent (`Engine::despawn`)
/// despawns the child too.
///
/// Maintained together with the parent's [`Children`]; change it through the
/// engine (`set_parent`, `spawn_child`, `remove_parent`), not directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChildOf(pub Entity);

/// On a parent entity: its children, in the order they were attached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Children(pub Vec<Entity>);
