//! Firing: computing decided properties through their lanes. Fires queue
//! in typed batches, one per lane, and a wave runs them (`run_lanes`); a
//! chain's link, which comes alone, is computed on its own at once
//! (`run_direct`), and a long run of a fan-out's leaves in one pass
//! (`run_leaf_scan`). User code runs here, so this is where panics are
//! caught and turned into faults, the batch going on around the faulty
//! fire.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use hecs::Entity;

use crate::lane::{Fire, One};
use crate::leaves::{Leaf, LeafScan};
use crate::records::{Edge, EdgeKind, NONE};
use crate::settle::{LaneFault, Settle, panic_message};
use crate::visit::Via;

impl Settle<'_> {
    /// Queues the fire of visit `v`'s unit `u` (a field binding).
    pub(crate) fn queue_unit_fire(&mut self, v: u32, u: u32) {
        let via = self.s.visits.units[u as usize].best.via;
        self.queue_fire(v, via);
        let lane = self.graph.edges[via.as_edge().expect("field bindings are edges") as usize].lane;
        self.s.batches[lane as usize].last_mut().expect("just queued").unit = u;
    }

    /// Computes `fire`, which decides visit `v` (a property with bindings
    /// of its own), at once and on its own, if its lane can: then `v` is
    /// passed on right after the visit that decided it (depth first,
    /// through `ahead`) instead of in the next wave. A chain's links come
    /// one at a time, and a wave per link costs more than the link; leaves
    /// still batch. Returns `false` (doing nothing) if the lane cannot.
    #[inline(always)]
    pub(crate) fn run_direct(&mut self, v: u32, lane: u32, fire: &Fire) -> bool {
        let (lanes, world, settle) = (&mut self.graph.lanes, &mut *self.world, self.graph.settles);
        let one = match catch_unwind(AssertUnwindSafe(|| lanes.run_one(lane, world, fire, settle))) {
            Ok(None) => return false,
            Ok(Some(one)) => one,
            Err(payload) => {
                self.fault(*fire, payload);
                One::Same
            }
        };
        match one {
            One::Written => {
                self.s.visits.list[v as usize].changed = true;
                self.note_written(v);
            }
            One::Broken => self.s.broken.push(fire.edge),
            One::Same => {}
        }
        self.s.ahead.push(v);
        true
    }

    /// Queues `via` to compute visit `v`'s property in its lane's batch.
    #[inline]
    pub(crate) fn queue_fire(&mut self, v: u32, via: Via) {
        let (lane, fire) = self.fire_of(v, via);
        self.push_fire(lane, fire);
    }

    /// The fire computing visit `v`'s property through `via`, and its lane.
    #[inline]
    pub(crate) fn fire_of(&self, v: u32, via: Via) -> (u32, Fire) {
        let target = self.graph.nodes[self.s.visits.list[v as usize].node as usize].entity;
        let (lane, fire) = match (via.as_edge(), via.as_derivation()) {
            (Some(e), _) => {
                let edge = &self.graph.edges[e as usize];
                let source = self.graph.nodes[edge.source as usize].entity;
                (edge.lane, Fire { edge: e, slot: edge.slot, visit: v, unit: NONE, source, target })
            }
            (_, Some(d)) => {
                let d = &self.graph.derivations[d as usize];
                (d.lane, Fire { edge: d.first(), slot: d.slot, visit: v, unit: NONE, source: target, target })
            }
            _ => unreachable!("only bindings fire"),
        };
        (lane, fire)
    }

    /// Queues the run `leaves` of a fan-out from `source`, all of lane
    /// `lane`, in the lane's batch as fires, and empties it. A leaf's value
    /// is final once computed (no binding reads it), so computing it before
    /// the wave would be the same as in it.
    pub(crate) fn batch_leaves(&mut self, lane: u32, source: Entity, leaves: &mut Vec<Leaf>) {
        let batch = &mut self.s.batches[lane as usize];
        if batch.is_empty() {
            self.s.touched.push(lane);
        }
        batch.extend(leaves.drain(..).map(|leaf| Fire::of_leaf(leaf, source)));
    }

    /// Computes, at once, a run of leaves of lane `scan.lane` from
    /// `source`: the leaves `walked` already, then the rest as `scan` walks
    /// on from there, if the lane can
    /// ([`Lane::run_leaf_scan`](crate::lane::Lane::run_leaf_scan)). A panic
    /// costs its leaf: the run goes on after it. Returns `false` (having
    /// done nothing) if the lane cannot.
    pub(crate) fn run_leaf_scan(&mut self, source: Entity, walked: &[Leaf], scan: &mut LeafScan) -> bool {
        let mut from = 0;
        loop {
            let graph = (&self.graph.edges[..], &self.graph.nodes[..]);
            let (lanes, world, out) = (&mut self.graph.lanes, &mut *self.world, &mut self.s.out);
            let (lane, rest) = (scan.lane, &walked[from..]);
            out.leaf = NONE;
            match catch_unwind(AssertUnwindSafe(|| {
                lanes.run_leaf_scan(lane, world, source, (rest, &mut *scan), graph, out)
            })) {
                Ok(true) => break,
                Ok(false) => return false, // the lane cannot (nothing was computed)
                Err(payload) => {
                    self.absorb_output();
                    // (User code only runs for a leaf, named first.)
                    let Some(edge) = Some(self.s.out.leaf).filter(|&e| e != NONE) else { break };
                    from = (from + self.s.out.cursor + 1).min(walked.len());
                    let Edge { slot, target, .. } = self.graph.edges[edge as usize];
                    let leaf = Leaf { edge, slot, target: self.graph.nodes[target as usize].entity };
                    self.fault(Fire::of_leaf(leaf, source), payload);
                }
            }
        }
        self.absorb_output();
        true
    }

    /// Counts the leaves `scan` walked: each a binding fired, and the syncs
    /// they owed and applied.
    pub(crate) fn count_leaves(&mut self, scan: &LeafScan) {
        self.stats.bindings_fired += scan.fired;
        self.syncs_won += scan.owed;
        self.stats.changes_applied += scan.applied;
    }

    /// Takes from the lanes' output what needs no visit: broken edges, and
    /// the leaves written (counted, and reported to change tracking).
    #[inline]
    pub(crate) fn absorb_output(&mut self) {
        if !self.s.out.broken.is_empty() {
            self.s.broken.append(&mut self.s.out.broken);
        }
        self.stats.properties_written += std::mem::take(&mut self.s.out.leaves_written);
        for &e in &self.s.out.written_leaves {
            let node = &self.graph.nodes[self.graph.edges[e as usize].target as usize];
            self.s.changed.push((node.entity, node.ty));
        }
        self.s.out.written_leaves.clear();
    }

    /// Adds `fire` to lane `lane`'s batch.
    #[inline]
    pub(crate) fn push_fire(&mut self, lane: u32, fire: Fire) {
        let batch = &mut self.s.batches[lane as usize];
        if batch.is_empty() {
            self.s.touched.push(lane);
        }
        batch.push(fire);
    }

    /// Computes every queued fire, one batch per lane, and marks what was
    /// written as changed.
    #[inline]
    pub(crate) fn run_lanes(&mut self) {
        for i in 0..self.s.touched.len() {
            let lane = self.s.touched[i];
            let (lanes, world, out) = (&mut self.graph.lanes, &mut *self.world, &mut self.s.out);
            let fires = &self.s.batches[lane as usize];
            (out.cursor, out.done) = (0, 0);
            // No panic costs one `catch_unwind` per batch, nothing more.
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| lanes.run(lane, world, fires, out))) {
                self.recover(lane, payload);
            }
            self.s.batches[lane as usize].clear();
        }
        self.s.touched.clear();
        self.absorb_output();
        for i in 0..self.s.out.written.len() {
            let (v, u) = self.s.out.written[i];
            if u == NONE {
                self.s.visits.list[v as usize].changed = true;
            } else {
                self.s.visits.units[u as usize].wrote = true;
            }
            self.note_written(v);
        }
        self.s.out.written.clear();
    }

    /// Visit `v`'s property was written (its whole component or a field):
    /// counted once per property, and reported to change tracking.
    #[inline]
    fn note_written(&mut self, v: u32) {
        let visit = &mut self.s.visits.list[v as usize];
        if !std::mem::replace(&mut visit.written, true) {
            self.stats.properties_written += 1; // once per property
            if self.graph.track_changes {
                let node = &self.graph.nodes[visit.node as usize];
                self.s.changed.push((node.entity, node.ty));
            }
        }
    }

    /// After lane `lane` panicked in its batch: records the faulty fire (at
    /// `out.cursor`) and runs the rest of the batch, around each further
    /// faulty fire, so every fire that does not panic is computed (see
    /// `LaneOutput::cursor`). With `stop_on_fault`, the panic is resumed
    /// once recorded.
    #[cold]
    #[inline(never)]
    fn recover(&mut self, lane: u32, payload: Box<dyn Any + Send>) {
        let fires = std::mem::take(&mut self.s.batches[lane as usize]);
        let mut ranges = std::mem::take(&mut self.s.ranges);
        let (at, done) = (self.s.out.cursor, self.s.out.done);
        ranges.push((at + 1, fires.len()));
        ranges.push((done, at));
        self.fault(fires[at], payload);
        while let Some((from, to)) = ranges.pop() {
            if from >= to {
                continue;
            }
            let (lanes, world, out) = (&mut self.graph.lanes, &mut *self.world, &mut self.s.out);
            (out.cursor, out.done) = (0, 0);
            let run = catch_unwind(AssertUnwindSafe(|| lanes.run(lane, world, &fires[from..to], out)));
            if let Err(payload) = run {
                let (at, done) = (from + self.s.out.cursor, from + self.s.out.done);
                ranges.push((at + 1, to));
                ranges.push((done, at));
                self.fault(fires[at], payload);
            }
        }
        self.s.ranges = ranges;
        self.s.batches[lane as usize] = fires;
    }

    /// Records a panic caught computing `fire`.
    pub(crate) fn fault(&mut self, fire: Fire, payload: Box<dyn Any + Send>) {
        let binding = self.graph.binding_of_edge(fire.edge);
        let derivation = self.graph.edges[fire.edge as usize].kind == EdgeKind::Feeder;
        let message = panic_message(&*payload);
        tracing::error!(%binding, %message, "a transform panicked: the binding is disabled");
        self.s.faults.push(LaneFault { binding, derivation, message });
        if self.s.stop_on_fault {
            resume_unwind(payload);
        }
    }
}
