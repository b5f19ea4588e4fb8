//! The mechanics of one settle: deciding properties, and waves. Passing
//! changes on is in `emit.rs`, seeding in `seed.rs`, the region walk in `region.rs`,
//! computing through the lanes in `fire.rs`, cycles in `cycles.rs` (found),
//! `claims.rs` (planned) and `plans.rs` (run). The rules they implement are
//! documented on [`propagate`](crate::propagate).
//!
//! A property is **decided** the moment it becomes ready (nothing left that
//! could change it): its winner is picked and, if a binding, queued in its
//! lane's batch. A **wave** then computes every queued batch and passes what
//! changed on; the properties that become ready during that are the next
//! wave.

use std::any::Any;

use bindery_components::BindingId;
use hecs::{Entity, World};

use crate::claims::Claims;
use crate::cycles::Cycles;
use crate::graph::BindingGraph;
use crate::lane::{Fire, LaneOutput};
use crate::leaves::Leaf;
use crate::pending::Origin;
use crate::records::{Field, NONE};
use crate::schedule::Schedule;
use crate::visit::{Offer, Phase, Via, Visits};

/// What one [`propagate`](crate::propagate) call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PropagateStats {
    /// Changes that took effect: own changes of bound properties that won
    /// their property, and syncs of new or resumed bindings that won their
    /// target. (An own change of a property no binding touches never
    /// reaches the settle and is not counted.)
    pub changes_applied: usize,
    /// Changes overtaken by a newer one: an older own change of the same
    /// property, an own change or sync that lost its property to a newer
    /// change. A sync whose binding carried a newer change of its source
    /// is neither applied nor superseded: the binding computed, with that
    /// change.
    pub changes_superseded: usize,
    /// Bindings that computed their target (one per property decided by a
    /// binding or derivation).
    pub bindings_fired: usize,
    /// Properties whose value actually changed.
    pub properties_written: usize,
    /// Bindings that brought a change to a property the same change had
    /// already decided, and were not computed: a cycle closing, or a second
    /// path. A derivation counts once, however many of its inputs brought
    /// the change.
    pub cycles_cut: usize,
    /// Bindings removed because an endpoint had vanished behind the engine's
    /// back (entity despawned or component removed through the world).
    pub bindings_repaired: usize,
}

/// A panic caught in user code (a transform, accessor, derive function, or a
/// component's `PartialEq` / `Clone`) while a settle computed a binding.
///
/// The settle goes on without that binding (its target keeps the value it
/// had, and nothing downstream hears of it) and disables it at the end, as
/// `BindingGraph::set_enabled(binding, false)` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneFault {
    /// The binding (or derivation) whose computation panicked.
    pub binding: BindingId,
    /// Whether it is a derivation.
    pub derivation: bool,
    /// What the panic said.
    pub message: String,
}

/// The message of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with no message".to_string())
}

/// Reusable buffers for [`propagate`](crate::propagate), so a warmed-up tick
/// allocates nothing.
#[derive(Default, Debug)]
pub struct PropagateScratch {
    pub(crate) origins: Vec<Origin>,
    pub(crate) visits: Visits,
    /// Decided, being computed; and decided during this wave, for the next.
    pub(crate) wave: Vec<u32>,
    pub(crate) next: Vec<u32>,
    /// Links decided directly (`decide_direct`), to pass on depth first.
    pub(crate) ahead: Vec<u32>,
    pub(crate) stack: Vec<u32>,
    /// Visits that wait for more than one input, not yet checked for
    /// inputs that can no longer change (see `Settle::count_silent`).
    pub(crate) stuck: Vec<u32>,
    /// Field fires waiting for their component's whole fire: `(visit, unit)`.
    pub(crate) later: Vec<(u32, u32)>,
    pub(crate) batches: Vec<Vec<Fire>>,
    pub(crate) touched: Vec<u32>,
    pub(crate) out: LaneOutput,
    pub(crate) broken: Vec<u32>,
    pub(crate) cycles: Cycles,
    pub(crate) claims: Claims,
    /// With change tracking on: every `(entity, property type)` that changed
    /// in the last call, possibly repeated, in no particular order.
    pub(crate) changed: Vec<(Entity, u32)>,
    /// Panics caught in the last call.
    pub(crate) faults: Vec<LaneFault>,
    /// Whether a caught panic is recorded and then resumed at once (the
    /// engine's `FaultPolicy::Poison`), ending the settle.
    pub(crate) stop_on_fault: bool,
    /// Parts of a batch still to run after a panic: `(from, to)`.
    pub(crate) ranges: Vec<(usize, usize)>,
    /// A run of a fan-out's leaves being collected (`fire_leaves`).
    pub(crate) leaves: Vec<Leaf>,
    /// The compiled schedule of the settle that repeats (`schedule.rs`).
    pub(crate) schedule: Schedule,
    /// Whether a settle ran from it (see `take_scheduled`).
    pub(crate) scheduled: bool,
}

impl PropagateScratch {
    /// With change tracking on ([`BindingGraph::set_change_tracking`]), every
    /// `(entity, interned property type)` that changed during the last
    /// [`propagate`](crate::propagate) call, by the user or by a binding. May
    /// hold repeats and entities despawned since; the caller drains it.
    pub fn changed(&mut self) -> &mut Vec<(Entity, u32)> {
        &mut self.changed
    }

    /// The panics caught in transforms during the last
    /// [`propagate`](crate::propagate) call (each binding already disabled);
    /// the caller drains them.
    pub fn faults(&mut self) -> &mut Vec<LaneFault> {
        &mut self.faults
    }

    /// Whether the last [`propagate`](crate::propagate) call since this
    /// was last asked ran from a compiled schedule; asking clears it.
    pub fn take_scheduled(&mut self) -> bool {
        std::mem::take(&mut self.scheduled)
    }

    /// Whether a settle compiles its schedule the first time it may (one
    /// that repeats the last settle's changes does anyway). For tests:
    /// every settle that can run from a schedule then does.
    #[doc(hidden)]
    pub fn set_eager_schedules(&mut self, eager: bool) {
        self.schedule.eager = eager;
    }

    /// Whether a panic in a transform ends the settle: recorded in
    /// [`faults`](PropagateScratch::faults), then resumed out of
    /// `propagate` (the graph stays consistent; the settle's values do not).
    /// Off by default: the settle goes on without the faulty binding.
    pub fn set_stop_on_fault(&mut self, stop: bool) {
        self.stop_on_fault = stop;
    }
}

/// Seed sets and waves at least this large get a warm-up pass first: below
/// it, the lines they touch are few and likely cached already.
pub(crate) const WARM_UP_MIN: usize = 64;

/// Moves `graph` to its next settle epoch.
pub(crate) fn next_epoch(graph: &mut BindingGraph) {
    graph.epoch = graph.epoch.wrapping_add(1);
    if graph.epoch == 0 {
        // Once in 2^32 settles: forget every node's old epoch.
        graph.nodes.iter_mut().for_each(|n| n.epoch = 0);
        graph.epoch = 1;
    }
}

/// One settle in progress.
pub(crate) struct Settle<'a> {
    pub(crate) world: &'a mut World,
    pub(crate) graph: &'a mut BindingGraph,
    pub(crate) s: &'a mut PropagateScratch,
    pub(crate) stats: PropagateStats,
    /// The settle's oldest stamp: a binding born at or after it owes a sync.
    pub(crate) floor: u64,
    /// The settle's epoch (see `PropertyNode::epoch`).
    pub(crate) epoch: u32,
    /// Whether the region walk has run: inputs are counted from then on.
    pub(crate) counted: bool,
    /// Visits decided so far.
    pub(crate) decided: usize,
    /// Syncs owed, and those that won their target or were carried by a
    /// newer change of their source.
    pub(crate) syncs: usize,
    pub(crate) syncs_won: usize,
}

impl<'a> Settle<'a> {
    /// Takes the graph's pending changes and starts a settle of them.
    pub fn start(world: &'a mut World, graph: &'a mut BindingGraph, s: &'a mut PropagateScratch) -> Self {
        let floor = graph.pending.first_stamp();
        graph.pending.take(&mut s.origins);
        graph.settles += 1;
        next_epoch(graph);
        if s.batches.len() < graph.lanes.len() {
            s.batches.resize_with(graph.lanes.len(), Vec::new);
        }
        s.visits.clear();
        s.cycles.clear();
        s.stuck.clear();
        s.out.track_leaves = graph.track_changes;
        let epoch = graph.epoch;
        Self {
            world,
            graph,
            s,
            stats: PropagateStats::default(),
            floor,
            epoch,
            counted: false,
            decided: 0,
            syncs: 0,
            syncs_won: 0,
        }
    }

    /// Runs the settle to the end and returns what it did.
    pub fn run(mut self) -> PropagateStats {
        if self.run_schedule() {
            self.s.scheduled = true;
        } else {
            self.seed();
            self.settle_all();
        }
        self.s.origins.clear();
        for i in 0..self.s.faults.len() {
            // Disabled only now: the settle's counts were made with it.
            self.graph.set_enabled(self.s.faults[i].binding, false);
        }
        self.stats.changes_superseded += self.syncs - self.syncs_won;
        self.stats
    }

    /// Gives the settle a new epoch: every mark made with the old one (a
    /// visit, a change) is forgotten.
    pub(crate) fn renew_epoch(&mut self) {
        next_epoch(self.graph);
        self.epoch = self.graph.epoch;
    }

    /// The visit of `node`, created on first use.
    #[inline]
    pub(crate) fn visit(&mut self, node: u32) -> u32 {
        self.s.visits.of(&mut self.graph.nodes, node, self.epoch)
    }

    /// Records `offer` at visit `v`, for its whole component or one field.
    #[inline]
    pub(crate) fn offer(&mut self, v: u32, field: Field, offer: Offer) {
        // A derivation offers once per input bringing a change: the first
        // counts as its offer, the others only bring their distance.
        let repeat = match offer.via.as_derivation() {
            Some(d) => {
                std::mem::replace(&mut self.graph.derivations[d as usize].offered, offer.stamp) == offer.stamp
            }
            None => false,
        };
        let (edges, derivations) = (&self.graph.edges, &self.graph.derivations);
        self.s.visits.offer(v, field, offer, repeat, |via| match (via.as_edge(), via.as_derivation()) {
            (Some(e), _) => edges[e as usize].born,
            (_, Some(d)) => derivations[d as usize].born,
            _ => 0,
        });
    }

    /// Visit `v` can no longer be changed by anything else: decides it now
    /// (queuing the winning binding's fire) and, unless it is a leaf with
    /// nothing to pass on, puts it in the next wave.
    #[inline]
    pub(crate) fn ready(&mut self, v: u32) {
        if self.s.visits.list[v as usize].phase != Phase::Parked {
            return;
        }
        let whole = self.decide(v);
        if let Some(via) = whole {
            let visit = &self.s.visits.list[v as usize];
            if visit.units == NONE && !visit.leaf {
                let (lane, fire) = self.fire_of(v, via);
                if self.run_direct(v, lane, &fire) {
                    return;
                }
                self.push_fire(lane, fire);
                self.s.next.push(v);
                return;
            }
            self.queue_fire(v, via);
        }
        let visit = &self.s.visits.list[v as usize];
        if visit.units != NONE {
            self.decide_units(v, whole.is_some());
        }
        if !self.s.visits.list[v as usize].leaf {
            self.s.next.push(v); // (a leaf has nothing to pass on: its fire is queued)
        }
    }

    /// Decides the field units of visit `v`, just decided as a whole: a
    /// field's best offer is computed if it is newer than the whole
    /// component's change (which it then overrides for that field); an
    /// older one lost to it. A unit's fire runs after the whole fire, so
    /// when `v` has one it waits in `later`.
    fn decide_units(&mut self, v: u32, after_whole: bool) {
        let whole_stamp = self.s.visits.list[v as usize].best.stamp;
        let mut u = self.s.visits.list[v as usize].units;
        while u != NONE {
            let (index, unit) = (u, self.s.visits.units[u as usize]);
            u = unit.next;
            if !unit.best.via.is_binding() || unit.best.stamp <= whole_stamp {
                continue; // nothing offered, or the whole change is newer and decided this field too
            }
            self.s.visits.units[index as usize].fires = true;
            self.stats.bindings_fired += 1;
            self.stats.cycles_cut += unit.ties as usize;
            let (owes, born) = self.sync_of(unit.best.via);
            if owes {
                self.syncs_won += 1;
                self.stats.changes_applied += (unit.best.stamp == born) as usize;
            }
            if after_whole {
                self.s.later.push((v, index));
            } else {
                self.queue_unit_fire(v, index);
            }
        }
    }

    /// Settles waves until nothing is left; on a stall, counts the inputs of
    /// what is left (the region walk), then finds its cycles.
    fn settle_all(&mut self) {
        loop {
            if !self.s.ahead.is_empty() {
                self.s.next.append(&mut self.s.ahead); // decided directly outside a wave (seed, region walk)
            }
            if !self.s.cycles.ready.is_empty() {
                self.settle_cycles();
                continue;
            }
            if !self.s.next.is_empty() || !self.s.touched.is_empty() {
                self.settle_wave(); // (leaves are fired without joining the wave)
                continue;
            }
            if self.decided == self.s.visits.list.len() {
                return;
            }
            if !self.counted {
                if self.count_silent() {
                    continue;
                }
                self.counted = true;
                self.walk_region();
            } else if !self.s.cycles.found {
                self.s.cycles.find(self.graph, &self.s.visits, self.epoch);
            } else {
                unreachable!("every property of the region settles once its cycles are found");
            }
        }
    }

    /// Computes the decided wave, one typed batch per lane (then the field
    /// fires that go on top of a whole component's), then passes what
    /// changed on.
    pub(crate) fn settle_wave(&mut self) {
        std::mem::swap(&mut self.s.wave, &mut self.s.next);
        self.run_lanes();
        if !self.s.later.is_empty() {
            for i in 0..self.s.later.len() {
                let (v, u) = self.s.later[i];
                self.queue_unit_fire(v, u);
            }
            self.s.later.clear();
            self.run_lanes();
        }
        if self.s.wave.len() >= WARM_UP_MIN {
            self.warm_up_outputs();
        }
        self.emit_wave();
        self.s.wave.clear();
    }

    /// Decides visit `v`: picks the winner among its own change and its
    /// offers, counts it, and returns the binding to compute, if any.
    #[inline]
    pub(crate) fn decide(&mut self, v: u32) -> Option<Via> {
        self.decided += 1;
        let visit = &mut self.s.visits.list[v as usize];
        visit.phase = Phase::Settled;
        let winner = visit.winner();
        visit.best = winner;
        if visit.own != 0 {
            visit.changed = true;
            if winner.via != Via::OWN {
                self.stats.changes_superseded += 1;
            }
        }
        if winner.via == Via::OWN {
            self.stats.changes_applied += 1;
            return None;
        }
        if !winner.via.is_binding() {
            return None;
        }
        self.stats.cycles_cut += visit.ties as usize;
        self.stats.bindings_fired += 1;
        let (owes, born) = self.sync_of(winner.via);
        if owes {
            // The sync won, or was carried by a newer change of its source.
            self.syncs_won += 1;
            if winner.stamp == born {
                self.stats.changes_applied += 1;
            }
        }
        Some(winner.via)
    }

    /// Whether a binding owes its target a sync in this settle, and its
    /// creation stamp.
    #[inline]
    pub(crate) fn sync_of(&self, via: Via) -> (bool, u64) {
        match (via.as_edge(), via.as_derivation()) {
            (Some(e), _) => {
                let edge = &self.graph.edges[e as usize];
                (edge.owes_sync(self.floor), edge.born)
            }
            (_, Some(d)) => {
                let born = self.graph.derivations[d as usize].born;
                (born >= self.floor, born)
            }
            _ => (false, 0),
        }
    }
}
