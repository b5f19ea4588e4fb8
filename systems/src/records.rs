//! The records of the binding graph's arenas: [`PropertyNode`], [`Edge`] and
//! [`Derivation`]. Plain data kept consistent by [`BindingGraph`]
//! (`graph.rs`), which is the only code that links or unlinks them.
//!
//! [`BindingGraph`]: crate::BindingGraph

use hecs::Entity;

/// Sentinel index meaning "none" in the intrusive lists of the binding graph.
pub(crate) const NONE: u32 = u32::MAX;

/// One bound property, the pair (entity, property type), as a node of the
/// binding graph.
///
/// A node exists while at least one binding touches the property. It heads
/// two intrusive, doubly linked lists of [`Edge`]s: the edges leaving it
/// (`out_head`) and the edges arriving at it (`in_head`), so both directions
/// are found in O(bindings of that property). The nodes of one entity are
/// chained through `next_of_entity`, so despawning an entity finds every
/// binding that touches it without scanning anything else.
///
/// Invariants (checked by `BindingGraph::check_invariants`): a live node has
/// at least one edge; it is on its entity's chain exactly once; every edge on
/// its out-list has it as `source`, every edge on its in-list as `target`;
/// `inputs` counts the enabled edges on its in-list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PropertyNode {
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
    /// How many enabled edges arrive at this property: a settle decides it
    /// once that many have passed their change on (or none of them can).
    pub inputs: u32,
    /// The settle that last visited the node (see `Visits`); `visit` is only
    /// meaningful while this equals the current settle's epoch, so nothing
    /// is cleared between ticks.
    pub epoch: u32,
    /// The node's entry in the current settle's visit table.
    pub visit: u32,
}

impl PropertyNode {
    /// A fresh node for `entity`'s property of interned type `ty`.
    pub fn new(entity: Entity, ty: u32) -> Self {
        Self {
            entity,
            ty,
            next_of_entity: NONE,
            out_head: NONE,
            in_head: NONE,
            inputs: 0,
            epoch: 0,
            visit: NONE,
        }
    }

    /// Whether this slot holds a live node.
    #[inline]
    pub fn is_live(&self) -> bool {
        self.ty != NONE
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

/// Which way an edge runs within its binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum EdgeKind {
    /// The edge a binding is known by: source to target. Its index is the
    /// binding's `BindingId`.
    Forward,
    /// The way back of a two-way binding, target to source. Never exposed as
    /// an id of its own.
    Reverse,
    /// An input of a derived property: `slot` is the [`Derivation`] it feeds.
    Feeder,
}

/// One directed edge of the binding graph: the relationship record of a
/// binding.
///
/// A feeder's `target` is its derivation's target, and its `born` its
/// derivation's, so a settle reads the derivation record only to compute it.
///
/// A one-way binding is one `Forward` edge; a two-way binding is a `Forward`
/// edge and its `Reverse` twin; a derivation has one `Feeder` per input. The
/// edge is linked into its source node's out-list and its target node's
/// in-list (doubly linked, so unbinding is O(1)). A plain edge's transform
/// lives in a typed lane (`lane`, `slot`); a feeder's `slot` is its
/// derivation, whose record names the lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Edge {
    /// Source node index.
    pub source: u32,
    /// Target node index.
    pub target: u32,
    /// The typed lane that holds the transform; [`NONE`] marks a free slot.
    pub lane: u32,
    /// The transform's slot within the lane (a feeder: its derivation).
    pub slot: u32,
    /// Next edge in the source's out-list.
    pub out_next: u32,
    /// Previous edge in the source's out-list.
    pub out_prev: u32,
    /// Next edge in the target's in-list.
    pub in_next: u32,
    /// Previous edge in the target's in-list.
    pub in_prev: u32,
    /// The other direction of a two-way binding, or [`NONE`].
    pub twin: u32,
    /// Bumped each time the slot is freed.
    pub generation: u32,
    /// The field of the target the edge writes (a field binding), or
    /// [`WHOLE`]: the whole component.
    pub field: Field,
    /// The field of the source the edge reads (the reverse of a two-way
    /// field binding reads one), or [`WHOLE`].
    pub from: Field,
    /// Forward, reverse or feeder.
    pub kind: EdgeKind,
    /// Whether the edge propagates (a paused binding keeps its edges).
    pub enabled: bool,
    /// The stamp of the binding's creation or last resume (a feeder: its
    /// derivation's). A forward edge or feeder owes its target a sync in the
    /// settle whose stamps include it (whose `floor` is at most `born`);
    /// among equally new, equally near offers the newest binding wins.
    pub born: u64,
}

impl Edge {
    /// Whether this slot holds a live edge.
    #[inline]
    pub fn is_live(&self) -> bool {
        self.lane != NONE
    }

    /// Whether the edge reads or writes one field rather than a whole
    /// component.
    #[inline]
    pub fn is_field(&self) -> bool {
        self.field != WHOLE || self.from != WHOLE
    }

    /// Whether the edge owes its target a sync in the settle whose oldest
    /// stamp is `floor`: it was made or resumed in it (the way back of a
    /// two-way binding never owes one; its forward edge does).
    #[inline]
    pub fn owes_sync(&self, floor: u64) -> bool {
        self.kind != EdgeKind::Reverse && self.born >= floor
    }

    /// Whether what the edge offers its target is its source's change (made
    /// at `stamp`, if the source `changed`) rather than its owed sync: the
    /// newer of the two.
    #[inline]
    pub fn carries(&self, changed: bool, owes: bool, stamp: u64) -> bool {
        changed && (!owes || stamp > self.born)
    }
}

/// An interned field of a component type (see `FieldKey`), or [`WHOLE`]. A
/// property's fields are the **units** a settle decides one by one: the
/// whole component first, then each field written by a field binding.
pub(crate) type Field = u16;

/// Not a field: the whole component.
pub(crate) const WHOLE: Field = Field::MAX;

/// The relationship record of a derived property: `target = f(inputs...)`.
///
/// Each input is linked to the target by a [`EdgeKind::Feeder`] edge whose
/// `slot` is this record's index, so despawning any input or the target finds
/// the derivation in O(its bindings). The transform and the input entities
/// live in a typed lane (`lane`, `slot`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Derivation {
    /// The target node.
    pub target: u32,
    /// The feeder edges, one per input, in input order, in the first
    /// `inputs` entries (stored inline: no allocation per derivation). The
    /// first one's id is the derivation's `BindingId`.
    feeders: [u32; MAX_INPUTS],
    inputs: u8,
    /// The typed lane holding the transform; [`NONE`] marks a free slot.
    pub lane: u32,
    /// The transform's slot in the lane.
    pub slot: u32,
    /// The stamp of its creation or last resume (as [`Edge::born`]).
    pub born: u64,
    /// The newest stamp it offered its target in the current settle, so
    /// several inputs carrying one change count as one offer.
    pub offered: u64,
}

/// The most inputs a derivation takes (`Engine::derive` accepts tuples of up
/// to six sources).
pub(crate) const MAX_INPUTS: usize = 6;

impl Derivation {
    /// A free slot.
    pub fn vacant() -> Self {
        Self {
            target: NONE,
            feeders: [NONE; MAX_INPUTS],
            inputs: 0,
            lane: NONE,
            slot: NONE,
            born: 0,
            offered: 0,
        }
    }

    /// A live derivation of `target` through `feeders` (one to
    /// [`MAX_INPUTS`]).
    pub fn new(target: u32, feeders: &[u32], lane: u32, slot: u32, born: u64) -> Self {
        assert!((1..=MAX_INPUTS).contains(&feeders.len()), "a derivation has one to six inputs");
        let mut inline = [NONE; MAX_INPUTS];
        inline[..feeders.len()].copy_from_slice(feeders);
        Self { target, feeders: inline, inputs: feeders.len() as u8, lane, slot, born, offered: 0 }
    }

    /// The feeder edges, in input order.
    #[inline]
    pub fn feeders(&self) -> &[u32] {
        &self.feeders[..self.inputs as usize]
    }

    /// The first feeder: the edge the derivation's `BindingId` names.
    #[inline]
    pub fn first(&self) -> u32 {
        self.feeders[0]
    }

    /// Whether this slot holds a live derivation.
    pub fn is_live(&self) -> bool {
        self.lane != NONE
    }
}
