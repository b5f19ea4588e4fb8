//! [`LeafScan`]: walking a settled property's out-list for its fan-out's
//! leaves, shared by the settle (which collects a short run into a batch)
//! and the lanes (which compute a long run as they walk it, with no list
//! in between).

use hecs::Entity;

use crate::records::{Edge, EdgeKind, NONE, PropertyNode, WHOLE};

/// Runs of a fan-out's leaves at least this long are computed by their
/// lane in one pass (a hecs view costs a pass over the archetypes);
/// shorter ones join the lane's batch.
pub(crate) const LEAF_RUN_MIN: usize = 32;

/// Whether `edge` (enabled) reaches a leaf: its target, `target`, has no
/// binding leaving it and this plain binding of its whole component as its
/// only input. The test both a settle's walk and a compiled schedule make.
#[inline(always)]
pub(crate) fn reaches_leaf(edge: &Edge, target: &PropertyNode) -> bool {
    target.inputs == 1 && target.out_head == NONE && edge.field == WHOLE && edge.kind != EdgeKind::Feeder
}

/// A leaf of a fan-out to compute: a property no binding leaves, whose
/// only input is edge `edge` from the run's source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Leaf {
    /// The edge that fires (reported if its target turns out to be gone,
    /// and as the leaf's node when written: it is the edge's target).
    pub edge: u32,
    /// The transform's slot in the lane.
    pub slot: u32,
    /// The target entity.
    pub target: Entity,
}

/// A walk along the out-list of a settled property (`source`), yielding,
/// edge after edge, its leaves of one lane: targets that no binding leaves,
/// whose only input is this plain binding, reached first. Nothing will ask
/// about such a target again, so it needs no visit: it is decided on the
/// spot, and computed by its lane. The walk stops at the first edge that
/// is not such a leaf, or is a leaf of another lane (`more`).
///
/// Plain data (the graph's arrays are passed to each step), so a lane can
/// walk it while the settle keeps the state across a panic.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LeafScan {
    /// The settle's epoch and oldest stamp.
    epoch: u32,
    floor: u64,
    /// Whether the source changed, and its change's stamp.
    changed: bool,
    stamp: u64,
    /// The lane of the leaves yielded: set by the first one if [`NONE`].
    pub lane: u32,
    /// The next edge to look at, or [`NONE`].
    pub next: u32,
    /// Whether the walk stopped at a leaf of another lane (it goes on from
    /// `next`, in a walk of its own).
    pub more: bool,
    /// Leaves yielded (each a binding fired), those that owed a sync, and
    /// those whose sync took effect (it carried no newer change).
    pub fired: usize,
    pub owed: usize,
    pub applied: usize,
}

impl LeafScan {
    /// A walk from edge `next` on, for leaves of `lane` ([`NONE`]: of the
    /// first leaf's lane), in the settle with `epoch` and oldest stamp
    /// `floor`, of a source that `changed` at `stamp`.
    #[inline]
    pub fn new(next: u32, lane: u32, (epoch, floor): (u32, u64), (changed, stamp): (bool, u64)) -> Self {
        Self { epoch, floor, changed, stamp, lane, next, more: false, fired: 0, owed: 0, applied: 0 }
    }

    /// The next leaf, or `None` where the run ends.
    #[inline(always)]
    pub fn next_leaf(&mut self, edges: &[Edge], nodes: &[PropertyNode]) -> Option<Leaf> {
        while self.next != NONE {
            let e = self.next;
            let edge = &edges[e as usize];
            if !edge.enabled {
                self.next = edge.out_next;
                continue;
            }
            let t = &nodes[edge.target as usize];
            if t.epoch == self.epoch || !reaches_leaf(edge, t) {
                return None; // (visited already: not reached first)
            }
            let owes = edge.owes_sync(self.floor);
            if self.changed || owes {
                // (Otherwise nothing to say, and nothing else will.)
                if edge.lane != self.lane {
                    if self.lane != NONE {
                        self.more = true;
                        return None;
                    }
                    self.lane = edge.lane;
                }
                self.fired += 1;
                if owes {
                    // (Rare: the tick after the binding was made or resumed.)
                    self.owed += 1;
                    self.applied += !edge.carries(self.changed, owes, self.stamp) as usize;
                }
                self.next = edge.out_next;
                return Some(Leaf { edge: e, slot: edge.slot, target: t.entity });
            }
            self.next = edge.out_next;
        }
        None
    }
}

/// A [`LeafScan`] walking a graph's arrays, as an iterator of leaves.
pub(crate) struct Walk<'a> {
    pub scan: &'a mut LeafScan,
    pub edges: &'a [Edge],
    pub nodes: &'a [PropertyNode],
}

impl Iterator for Walk<'_> {
    type Item = Leaf;

    #[inline(always)]
    fn next(&mut self) -> Option<Leaf> {
        self.scan.next_leaf(self.edges, self.nodes)
    }
}
