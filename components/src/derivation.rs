//! [`Derivation`]: a property computed from several others.

use crate::NONE;

/// The relationship record of a derived property: `target = f(inputs...)`.
///
/// Each input is linked to the target by a feeder [`Edge`](crate::Edge) of
/// kind [`EdgeKind::Feeder`](crate::EdgeKind::Feeder) whose `slot` is this
/// record's index, so despawning any input or the target finds the
/// derivation in O(its bindings). The transform and the input entities live
/// in a typed lane (`lane`, `slot`).
///
/// `height` orders derivations topologically: a derivation is one higher
/// than the highest derivation upstream of any of its inputs, so running
/// them lowest first computes each one once, from settled inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derivation {
    /// The target node.
    pub target: u32,
    /// The feeder edges, one per input, in input order. The first one's id is
    /// the derivation's [`BindingId`](crate::BindingId).
    pub feeders: Vec<u32>,
    /// The typed lane holding the transform; [`NONE`] marks a free slot.
    pub lane: u32,
    /// The transform's slot in the lane.
    pub slot: u32,
    /// Topological height (see above).
    pub height: u32,
    /// The propagation pass in which it was last scheduled.
    pub scheduled: u64,
    /// The propagation pass in which it last ran.
    pub fired: u64,
    /// The newest change among those that scheduled it in this pass.
    pub stamp: u64,
    /// Whether it still owes its target the initial computation.
    pub sync_pending: bool,
}

impl Derivation {
    /// A free slot.
    pub fn vacant() -> Self {
        Self {
            target: NONE,
            feeders: Vec::new(),
            lane: NONE,
            slot: NONE,
            height: 0,
            scheduled: 0,
            fired: 0,
            stamp: 0,
            sync_pending: false,
        }
    }

    /// Whether this slot holds a live derivation.
    pub fn is_live(&self) -> bool {
        self.lane != NONE
    }
}
