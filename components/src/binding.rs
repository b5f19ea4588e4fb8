//! [`BindingId`] and [`Edge`]: the relationship side of a binding.

use std::fmt;

/// Identifies one binding: one-way, mapped or two-way.
///
/// A generational index, like a hecs [`Entity`](hecs::Entity) or a slotmap
/// key: once the binding is removed (by `unbind` or by despawning either
/// endpoint) the id never refers to anything again, even after its slot is
/// reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BindingId {
    index: u32,
    generation: u32,
}

impl BindingId {
    /// Builds an id from its slot index and generation.
    #[inline]
    pub const fn new(index: u32, generation: u32) -> Self {
        Self { index, generation }
    }

    /// The slot index.
    #[inline]
    pub const fn index(self) -> u32 {
        self.index
    }

    /// The generation of the slot this id was issued for.
    #[inline]
    pub const fn generation(self) -> u32 {
        self.generation
    }
}

impl fmt::Display for BindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "binding {}v{}", self.index, self.generation)
    }
}

/// Which way an edge runs within its binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// The edge a binding is known by: source to target. Its index is the
    /// binding's [`BindingId`].
    Forward,
    /// The way back of a two-way binding, target to source. Never exposed as
    /// an id of its own.
    Reverse,
    /// An input of a derived property: changes of the source schedule the
    /// [`Derivation`](crate::Derivation) in `slot`, which computes the target
    /// from all its inputs once they have settled.
    Feeder,
}

/// One directed edge of the binding graph: the relationship record of a
/// binding.
///
/// A one-way binding is one `Forward` edge; a two-way binding is a `Forward`
/// edge and its `Reverse` twin. The edge is linked into its source node's
/// out-list and its target node's in-list (doubly linked, so unbinding is
/// O(1)). The transform itself lives in a typed lane (`lane`, `slot`), so the
/// propagation loop runs one typed batch per lane instead of a boxed call per
/// edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Source node index.
    pub source: u32,
    /// Target node index.
    pub target: u32,
    /// The typed lane that holds the transform; [`NONE`](crate::NONE) marks a
    /// free slot.
    pub lane: u32,
    /// The transform's slot within the lane.
    pub slot: u32,
    /// Next edge in the source's out-list.
    pub out_next: u32,
    /// Previous edge in the source's out-list.
    pub out_prev: u32,
    /// Next edge in the target's in-list.
    pub in_next: u32,
    /// Previous edge in the target's in-list.
    pub in_prev: u32,
    /// The other direction of a two-way binding, or [`NONE`](crate::NONE).
    pub twin: u32,
    /// Bumped each time the slot is freed.
    pub generation: u32,
    /// Forward or reverse.
    pub kind: EdgeKind,
    /// Whether the edge propagates (a paused binding keeps its edges).
    pub enabled: bool,
    /// The stamp of the initial sync the edge still owes its target (set on
    /// bind and on resume), or 0. Cleared when the edge fires carrying a
    /// change at least that new.
    pub sync_stamp: u64,
}

impl Edge {
    /// Whether this slot holds a live edge.
    #[inline]
    pub fn is_live(&self) -> bool {
        self.lane != crate::NONE
    }
}

/// A read-only description of one live binding, for inspection and debugging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BindingInfo {
    /// The binding's id.
    pub id: BindingId,
    /// The entity whose property is read.
    pub source: hecs::Entity,
    /// The entity whose property is written.
    pub target: hecs::Entity,
    /// The source property's type name.
    pub source_type: &'static str,
    /// The target property's type name.
    pub target_type: &'static str,
    /// Whether changes also flow from target back to source.
    pub two_way: bool,
    /// For a derived property: how many inputs it has (`source` is the
    /// first). 0 for a plain binding.
    pub inputs: usize,
    /// Whether the binding propagates (see `Engine::set_enabled`).
    pub enabled: bool,
}
