//! Typed lanes: where transforms live and where edges are computed.
//!
//! Every binding's transform is stored in the lane of its exact
//! `(source type, target type, transform type)`; the [`Lanes`] registry holds
//! one lane per such type. The settle batches the fires of one wave by lane
//! and hands each lane its whole batch, so dynamic dispatch is one virtual
//! call per lane per wave (plus one per chain link computed directly, and
//! one per run of a fan-out's leaves); inside, the loop is monomorphic: read
//! the source component, apply the transform, compare, write.

use std::any::{Any, TypeId};

use bindery_components::Property;
use hecs::{Entity, World};

use crate::leaves::{Leaf, LeafScan};
use crate::records::{Edge, PropertyNode};
use crate::types::TypeIndex;

/// Batches at least this large are computed through hecs views (one
/// borrow per type for the batch; a view costs a pass over the archetypes).
const VIEW_BATCH_MIN: usize = 32;

/// One binding scheduled to compute its target in the current wave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fire {
    /// The edge that fires (a derivation: its first feeder), reported back
    /// if an endpoint turns out to be gone.
    pub edge: u32,
    /// The transform's slot in the lane.
    pub slot: u32,
    /// The target's entry in the settle's visit table, reported back when
    /// the target is written; `NONE` for a target without one (a leaf
    /// decided on the spot), reported by `edge` instead (its target is the
    /// leaf's node).
    pub visit: u32,
    /// The target field's unit in the settle's visit table (a field
    /// binding), or `NONE`: the whole component.
    pub unit: u32,
    /// The source entity (unused by derivations, which read their inputs).
    pub source: Entity,
    /// The target entity.
    pub target: Entity,
}

impl Fire {
    /// The computation of `leaf`, a leaf bound from `source`.
    #[inline]
    pub fn of_leaf(leaf: Leaf, source: Entity) -> Self {
        let none = crate::records::NONE;
        Fire { edge: leaf.edge, slot: leaf.slot, visit: none, unit: none, source, target: leaf.target }
    }
}

/// What a lane reports back after running a batch.
#[derive(Default, Debug)]
pub(crate) struct LaneOutput {
    /// `(visit, unit)` of every target whose value changed (`unit` is `NONE`
    /// for a whole component).
    pub written: Vec<(u32, u32)>,
    /// How many targets without a visit changed value...
    pub leaves_written: usize,
    /// ...and, with `track_leaves` (change tracking on), the edges that
    /// wrote them (each edge's target is the leaf's node).
    pub written_leaves: Vec<u32>,
    /// Whether the written leaves' nodes are wanted, not only counted.
    pub track_leaves: bool,
    /// Edges whose source or target component was gone: the entity was
    /// despawned or the component removed behind the engine's back.
    pub broken: Vec<u32>,
    /// Progress through the batch, kept so a panicking transform can be
    /// pinned to its fire: the fire whose user code (transform, accessor,
    /// `PartialEq`, `Clone`) runs now...
    pub cursor: usize,
    /// ...and how many fires before it are finished (written or not). A
    /// lane sets both before calling user code; after a panic the settle
    /// re-runs `done..cursor` and `cursor + 1..`.
    pub done: usize,
    /// The edge of the leaf whose user code runs now, in a run of leaves
    /// ([`Lane::run_leaf_scan`]), or `NONE`.
    pub leaf: u32,
}

impl LaneOutput {
    /// Reports the leaf of edge `edge` as written.
    #[inline]
    pub fn report_leaf(&mut self, edge: u32) {
        self.leaves_written += 1;
        if self.track_leaves {
            self.written_leaves.push(edge);
        }
    }

    /// Records what storing `fire`'s value did: a write is reported, a
    /// target gone is a broken edge.
    #[inline(always)]
    pub fn record(&mut self, fire: &Fire, one: One) {
        match one {
            One::Written => self.report(fire),
            One::Broken => self.broken.push(fire.edge),
            One::Same => {}
        }
    }

    /// [`record`](LaneOutput::record) for the leaf of edge `edge`.
    #[inline(always)]
    pub fn record_leaf(&mut self, edge: u32, one: One) {
        match one {
            One::Written => self.report_leaf(edge),
            One::Broken => self.broken.push(edge),
            One::Same => {}
        }
    }

    /// Reports `fire`'s target as written.
    #[inline]
    pub fn report(&mut self, fire: &Fire) {
        if fire.visit != crate::records::NONE {
            self.written.push((fire.visit, fire.unit));
        } else {
            self.report_leaf(fire.edge);
        }
    }
}

/// A typed store of transforms that can compute a batch of fires.
///
/// Implemented by [`MapLane`], the derive lane and the field lanes; the trait
/// exists so the graph can hold lanes of different types side by side.
pub(crate) trait Lane: Send + 'static {
    /// Computes every fire of the batch: reads the source component, applies
    /// the transform and writes the target component if the value differs.
    ///
    /// User code may panic at any fire: before calling it, a lane records
    /// the fire in `out.cursor` and the fires already finished in `out.done`
    /// (see [`LaneOutput`]), and its own state must be sound at that point.
    fn run(&mut self, world: &mut World, fires: &[Fire], out: &mut LaneOutput);
    /// Computes one fire on its own, if the lane can (`None` if not: then it
    /// goes through [`run`](Lane::run) in a batch). The settle uses it for
    /// a chain's links, which come one at a time.
    ///
    /// `settle` names the settle running (it grows by one per settle), for
    /// a lane that keeps what it wrote for the next fire of the same
    /// settle.
    fn run_one(&mut self, _world: &mut World, _fire: &Fire, _settle: u64) -> Option<One> {
        None
    }
    /// Whether [`run_one`](Lane::run_one) computes every fire (never
    /// answers `None`).
    fn runs_one(&self) -> bool {
        false
    }
    /// Computes `leaves`, leaves of a fan-out all bound from `source`, in
    /// one pass: the source read once, each target written through one
    /// view. Returns `false` (doing nothing) if the lane cannot; then they
    /// go through [`run`](Lane::run) as fires. Before user code runs,
    /// `out.cursor` indexes the leaf it runs for; after a panic the settle
    /// faults that leaf and calls again with the leaves after it.
    fn run_leaf_list(
        &mut self,
        _world: &mut World,
        _source: Entity,
        _leaves: &[Leaf],
        _out: &mut LaneOutput,
    ) -> bool {
        false
    }
    /// Whether [`run_chain`](Lane::run_chain) can compute a chain of this
    /// lane's fires.
    fn chains(&self) -> bool {
        false
    }
    /// Computes `fires`, a chain (each fire's source is the target of the
    /// one before), in order, through one view, until one does not write:
    /// returns how many wrote, and what the first that did not write did
    /// (`None` if all wrote). User code may panic at any fire: before
    /// calling it, the lane records the fire in `out.cursor`, every fire
    /// before it having written. Only called if [`chains`](Lane::chains).
    fn run_chain(
        &mut self,
        _world: &mut World,
        _fires: &[Fire],
        _out: &mut LaneOutput,
    ) -> (usize, Option<One>) {
        unreachable!("only lanes that chain are asked to")
    }
    /// Computes a run of a fan-out's leaves, all bound from `source`: `run`
    /// is the leaves walked already and the scan that walks on, as it walks:
    /// the source read once, each target written through one view, no list
    /// in between. Returns `false` (doing nothing) if the lane cannot; then
    /// they go through [`run`](Lane::run) as fires. Before user code runs,
    /// `out.leaf` names the leaf it runs for and `out.cursor` how many came
    /// before it in this call; after a panic the settle faults that leaf
    /// and calls again with the rest.
    fn run_leaf_scan(
        &mut self,
        _world: &mut World,
        _source: Entity,
        _run: (&[Leaf], &mut LeafScan),
        _graph: (&[Edge], &[PropertyNode]),
        _out: &mut LaneOutput,
    ) -> bool {
        false
    }
    /// Drops the transform in `slot` and makes the slot reusable.
    fn release(&mut self, slot: u32);
    /// Live transforms in this lane.
    fn len(&self) -> usize;
    /// For downcasting to the concrete lane when inserting a transform.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// The [`Lane`] methods every lane storing its transforms in [`Slots`]
/// shares: `slot_lane_methods!(field)` names that field.
macro_rules! slot_lane_methods {
    ($slots:ident) => {
        fn release(&mut self, slot: u32) {
            self.$slots.release(slot);
        }

        fn len(&self) -> usize {
            self.$slots.len()
        }

        fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
            self
        }
    };
}
pub(crate) use slot_lane_methods;

/// What [`Lane::run_one`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum One {
    /// The target took a new value.
    Written,
    /// The computed value equalled the target's: nothing written.
    Same,
    /// An endpoint or its component is gone: the edge is broken.
    Broken,
}

/// Stores `value` in `target` if it differs: every lane's last step. A
/// target that is gone (`None`) is a broken edge.
#[inline(always)]
pub(crate) fn store<V: PartialEq>(target: Option<&mut V>, value: V) -> One {
    match target {
        Some(current) if *current != value => {
            *current = value;
            One::Written
        }
        Some(_) => One::Same,
        None => One::Broken,
    }
}

/// Writes `value` into `target`'s `T` if it differs (for
/// [`Lane::run_one`]).
#[inline]
pub(crate) fn write_one<T: Property>(world: &mut World, target: hecs::Entity, value: T) -> One {
    store(world.query_one_mut::<&mut T>(target).ok(), value)
}

/// Writes `value` into a fire's target if it differs.
#[inline]
pub(crate) fn write<T: Property>(world: &mut World, fire: &Fire, value: T, out: &mut LaneOutput) {
    let one = store(world.query_one_mut::<&mut T>(fire.target).ok(), value);
    #[cfg(any(debug_assertions, feature = "edge-trace"))]
    if one == One::Written {
        tracing::trace!(edge = fire.edge, target = ?fire.target, "{} written", std::any::type_name::<T>());
    }
    out.record(fire, one);
}

/// A lane's storage: items by slot, with a free list so slots are reused
/// and a released item is dropped at once.
#[derive(Debug)]
pub(crate) struct Slots<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
    live: usize,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Self { items: Vec::new(), free: Vec::new(), live: 0 }
    }
}

impl<T> Slots<T> {
    /// Stores an item and returns its slot.
    pub fn insert(&mut self, item: T) -> u32 {
        self.live += 1;
        match self.free.pop() {
            Some(slot) => {
                self.items[slot as usize] = Some(item);
                slot
            }
            None => {
                self.items.push(Some(item));
                (self.items.len() - 1) as u32
            }
        }
    }

    /// The item in `slot`, if it is live.
    #[inline]
    pub fn get(&self, slot: u32) -> Option<&T> {
        self.items.get(slot as usize).and_then(Option::as_ref)
    }

    /// Drops the item in `slot` and makes the slot reusable (a no-op for a
    /// free slot).
    pub fn release(&mut self, slot: u32) {
        if self.items.get_mut(slot as usize).and_then(Option::take).is_some() {
            self.live -= 1;
            self.free.push(slot);
        }
    }

    /// Live items.
    pub fn len(&self) -> usize {
        self.live
    }
}

/// The registry of lanes: one per lane type, found by `TypeId`, addressed by
/// a dense index that edges and derivations store.
#[derive(Default)]
pub(crate) struct Lanes {
    lanes: Vec<Box<dyn Lane>>,
    index: TypeIndex,
}

impl Lanes {
    /// The lane of type `L`, created on first use, and its index.
    pub fn lane<L: Lane + Default>(&mut self) -> (u32, &mut L) {
        let lanes = &mut self.lanes;
        let index = self.index.get_or_insert_with(TypeId::of::<L>(), || {
            lanes.push(Box::new(L::default()));
            (lanes.len() - 1) as u32
        });
        let lane = self.lanes[index as usize]
            .as_any_mut()
            .downcast_mut::<L>()
            .expect("the index maps each lane type to a lane of that type");
        (index, lane)
    }

    /// Runs a batch on lane `lane`.
    #[inline]
    pub fn run(&mut self, lane: u32, world: &mut World, fires: &[Fire], out: &mut LaneOutput) {
        self.lanes[lane as usize].run(world, fires, out);
    }

    /// Whether lane `lane` computes any fire on its own (`Lane::runs_one`).
    pub fn runs_one(&self, lane: u32) -> bool {
        self.lanes[lane as usize].runs_one()
    }

    /// Computes a list of leaves on lane `lane`, if the lane can (see
    /// `Lane::run_leaf_list`).
    #[inline]
    pub fn run_leaf_list(
        &mut self,
        lane: u32,
        world: &mut World,
        source: Entity,
        leaves: &[Leaf],
        out: &mut LaneOutput,
    ) -> bool {
        self.lanes[lane as usize].run_leaf_list(world, source, leaves, out)
    }

    /// Whether lane `lane` computes chains (`Lane::chains`).
    pub fn chains(&self, lane: u32) -> bool {
        self.lanes[lane as usize].chains()
    }

    /// Computes a chain of fires on lane `lane` (see `Lane::run_chain`).
    #[inline]
    pub fn run_chain(
        &mut self,
        lane: u32,
        world: &mut World,
        fires: &[Fire],
        out: &mut LaneOutput,
    ) -> (usize, Option<One>) {
        self.lanes[lane as usize].run_chain(world, fires, out)
    }

    /// Runs one fire of lane `lane` on its own, if the lane can.
    #[inline]
    pub fn run_one(&mut self, lane: u32, world: &mut World, fire: &Fire, settle: u64) -> Option<One> {
        self.lanes[lane as usize].run_one(world, fire, settle)
    }

    /// Computes the run of leaves `scan` walks on lane `lane`, if the lane
    /// can (see [`Lane::run_leaf_scan`]).
    #[inline]
    pub fn run_leaf_scan(
        &mut self,
        lane: u32,
        world: &mut World,
        source: Entity,
        run: (&[Leaf], &mut LeafScan),
        graph: (&[Edge], &[PropertyNode]),
        out: &mut LaneOutput,
    ) -> bool {
        self.lanes[lane as usize].run_leaf_scan(world, source, run, graph, out)
    }

    /// Drops the transform in `slot` of lane `lane`.
    pub fn release(&mut self, lane: u32, slot: u32) {
        self.lanes[lane as usize].release(slot);
    }

    /// How many lanes exist.
    pub fn len(&self) -> usize {
        self.lanes.len()
    }

    /// Live transforms held by all lanes.
    pub fn transforms(&self) -> usize {
        self.lanes.iter().map(|lane| lane.len()).sum()
    }
}

mod map;
#[cfg(test)]
mod tests;

pub(crate) use map::MapLane;
