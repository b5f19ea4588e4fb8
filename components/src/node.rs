//! [`PropertyNode`]: the relationship-target side of a binding.

use hecs::Entity;

/// Sentinel index meaning "none" in the intrusive lists of the binding graph.
pub const NONE: u32 = u32::MAX;

/// One bound property: the pair (entity, property type) as a node of the
/// binding graph.
///
/// A node exists while at least one binding touches the property. It is the
/// relationship-target side of bevy_ecs' relationship pattern: it heads two
/// intrusive, doubly linked lists of [`Edge`](crate::Edge)s, the edges leaving
/// it (`out_head`) and the edges arriving at it (`in_head`), so both
/// directions are found in O(bindings of that property). The nodes of one
/// entity are chained through `next_of_entity`, so despawning an entity finds
/// every binding that touches it without scanning anything else.
///
/// Node records live in a dense arena owned by the binding graph (sparse-set
/// storage in bevy_ecs' terms) rather than as hecs components: inserting a
/// component moves the entity to another archetype, which on a bind-heavy
/// workload costs more than the binding itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PropertyNode {
    /// The entity that owns the property.
    pub entity: Entity,
    /// The interned property type; [`NONE`] marks a free slot.
    pub ty: u32,
    /// The next node of the same entity, or [`NONE`].
    pub next_of_entity: u32,
    /// First edge leaving this property, or [`NONE`].
    pub out_head: u32,
    /// First edge arriving at this property, or [`NONE`].
    pub in_head: u32,
    /// Bumped each time the slot is freed, so stale references are detected.
    pub generation: u32,
    /// The stamp of the newest change that claimed this property, shifted
    /// left by one; the low bit is set once the value is final (written, or
    /// set by the user). Stamps grow monotonically for the graph's lifetime,
    /// so a newer change always compares greater and nothing needs clearing
    /// between ticks.
    pub mark: u64,
    /// Topological height: the highest derivation upstream of this property
    /// (0 if none). Plain bindings carry it unchanged.
    pub height: u32,
}

impl PropertyNode {
    /// A fresh node for `entity`'s property of interned type `ty`.
    pub fn new(entity: Entity, ty: u32, generation: u32) -> Self {
        Self {
            entity,
            ty,
            next_of_entity: NONE,
            out_head: NONE,
            in_head: NONE,
            generation,
            mark: 0,
            height: 0,
        }
    }

    /// Whether this slot holds a live node.
    #[inline]
    pub fn is_live(&self) -> bool {
        self.ty != NONE
    }

    /// The stamp of the change that last claimed the node.
    #[inline]
    pub fn stamp(&self) -> u64 {
        self.mark >> 1
    }

    /// Some edge touching the node (leaving it if any does), or [`NONE`].
    #[inline]
    pub fn any_edge(&self) -> u32 {
        if self.out_head != NONE { self.out_head } else { self.in_head }
    }

    /// Whether no edge touches the node any more.
    #[inline]
    pub fn is_unbound(&self) -> bool {
        self.out_head == NONE && self.in_head == NONE
    }
}
