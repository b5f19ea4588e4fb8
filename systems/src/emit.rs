//! Passing changes on: a settled property's change (or a binding's owed
//! sync) goes along its bindings (`emit`). A target reached first whose
//! only input this is gets decided on the spot, without a visit when it is
//! a leaf: a chain's links are computed directly, a fan-out's leaves in
//! runs (`fire_leaves`). Other targets are offered the change and decided
//! once nothing else can change them (`settle.rs`).

use hecs::Entity;

use crate::lane::Fire;
use crate::leaves::{LEAF_RUN_MIN, Leaf, LeafScan};
use crate::records::{EdgeKind, NONE, PropertyNode, WHOLE};
use crate::settle::Settle;
use crate::visit::{Offer, Phase, Via, Visit};

impl Settle<'_> {
    /// Touches, for a wave about to pass its changes on, each property's
    /// first out-edge and that edge's target, in loops whose iterations do
    /// not depend on each other, so the processor overlaps the cache misses
    /// instead of taking them one by one in the (much longer) emit loop.
    /// Stable Rust has no safe prefetch instruction; plain loads folded into
    /// a `black_box`ed sink do the same job.
    pub(crate) fn warm_up_outputs(&self) {
        let (nodes, edges) = (&self.graph.nodes, &self.graph.edges);
        let mut sink = 0u32;
        let visits = &self.s.visits.list;
        // Records may straddle two cache lines: touch both ends of each.
        for &v in self.s.wave.iter().filter(|&&v| !visits[v as usize].leaf) {
            let edge = &edges[nodes[visits[v as usize].node as usize].out_head as usize];
            sink ^= edge.born as u32 ^ edge.enabled as u32;
        }
        for &v in self.s.wave.iter().filter(|&&v| !visits[v as usize].leaf) {
            let out = nodes[visits[v as usize].node as usize].out_head;
            let target = &nodes[edges[out as usize].target as usize];
            sink ^= target.entity.id() ^ target.epoch;
        }
        std::hint::black_box(sink);
    }

    /// Decides `target`, which no visit knows yet and whose only input just
    /// settled and made `offer`: the offer wins outright. `fire` computes it
    /// (its `visit` is filled in here). The same as a visit, an offer and
    /// [`ready`](Settle::ready), without reading anything twice: the path of
    /// a single-input derivation (a plain binding takes the same decision
    /// unrolled in `emit_one` and `fire_leaves`).
    ///
    /// A leaf (nothing leaves it) needs no visit at all: nothing will ask
    /// about it again, so it is only fired.
    #[inline]
    pub(crate) fn decide_fresh(
        &mut self,
        target: u32,
        offer: Offer,
        applied: bool,
        owes: bool,
        lane: u32,
        (edge, slot, source): (u32, u32, Entity),
    ) {
        self.stats.bindings_fired += 1;
        self.syncs_won += owes as usize;
        self.stats.changes_applied += applied as usize;
        let t = &self.graph.nodes[target as usize];
        let (entity, link) = (t.entity, t.out_head != NONE);
        if link {
            self.fresh_link(target, offer, lane, (edge, slot, source));
            return;
        }
        // The fire is built where it is stored (no copy through the stack).
        self.push_fire(lane, Fire { edge, slot, visit: NONE, unit: NONE, source, target: entity });
    }

    /// `decide_fresh` for a property with bindings of its own: it gets a
    /// visit, to be passed on, and is computed directly if it can be (a
    /// chain's every link: inlined).
    #[inline(always)]
    fn fresh_link(&mut self, target: u32, offer: Offer, lane: u32, (edge, slot, source): (u32, u32, Entity)) {
        let t = &mut self.graph.nodes[target as usize];
        let entity = t.entity;
        let v = self.s.visits.add(t, Visit::decided(target, offer, false), self.epoch);
        self.decided += 1;
        let fire = Fire { edge, slot, visit: v, unit: NONE, source, target: entity };
        if !self.run_direct(v, lane, &fire) {
            self.s.next.push(v);
            self.push_fire(lane, fire);
        }
    }

    /// Passes every property of the wave just computed on (see
    /// [`emit`](Settle::emit)); a leaf has nothing to pass on.
    ///
    /// Out of line: the loop is the settle's hottest code, and as a function
    /// of its own its layout no longer moves with everything around it
    /// (inlined, cellx varied by 9% at the same instruction count); one call
    /// per wave, not per property.
    #[inline(never)]
    pub(crate) fn emit_wave(&mut self) {
        for i in 0..self.s.wave.len() {
            let v = self.s.wave[i];
            if !self.s.visits.list[v as usize].leaf {
                self.emit(v);
            }
        }
    }

    /// Passes settled visit `x` on along its bindings: each target is offered
    /// `x`'s change (if it changed) or the binding's sync (if it owes one),
    /// and is decided once nothing else can change it.
    #[inline(always)]
    fn emit(&mut self, x: u32) {
        // Links decided directly while passing `x` on (`run_direct`) are
        // passed on here too, depth first, in one frame: a chain is a loop.
        let mut x = x;
        loop {
            self.emit_one(x);
            match self.s.ahead.pop() {
                Some(y) => x = y,
                None => return,
            }
        }
    }

    /// Fires the leaves among `source`'s out-edges from `e` on, up to the
    /// first edge that is not one (returned, or [`NONE`]): the shape of
    /// every fan-out (see [`LeafScan`]). A run of at least
    /// [`LEAF_RUN_MIN`] leaves of one lane is computed at once, by its lane
    /// walking it (`run_leaf_scan`); a shorter one, or one of a lane that
    /// cannot, goes to the lane's batch.
    #[inline(always)]
    fn fire_leaves(&mut self, mut e: u32, source: Entity, changed: bool, stamp: u64) -> u32 {
        let mut leaves = std::mem::take(&mut self.s.leaves);
        loop {
            let mut scan = self.scan_leaves(e, changed, stamp, &mut leaves);
            if leaves.len() == LEAF_RUN_MIN {
                // A long run: its lane computes the leaves collected, then
                // walks on from there.
                scan.more = false;
                if self.run_leaf_scan(source, &leaves, &mut scan) {
                    leaves.clear();
                } else {
                    scan.more = true; // (the lane cannot: the list is full)
                }
            }
            self.count_leaves(&scan);
            if !leaves.is_empty() {
                self.batch_leaves(scan.lane, source, &mut leaves);
            }
            e = scan.next;
            if !scan.more {
                break;
            }
        }
        self.s.leaves = leaves;
        e
    }

    /// Collects into `leaves` up to [`LEAF_RUN_MIN`] leaves of one lane from
    /// edge `e` on (see `fire_leaves`); a full list stops the walk as if
    /// the next edge were a leaf of another lane (`more`). Out of line, so
    /// the loop's layout is its own.
    #[inline(never)]
    fn scan_leaves(&mut self, e: u32, changed: bool, stamp: u64, leaves: &mut Vec<Leaf>) -> LeafScan {
        let mut scan = LeafScan::new(e, NONE, (self.epoch, self.floor), (changed, stamp));
        let (edges, nodes) = (&self.graph.edges, &self.graph.nodes);
        while leaves.len() < LEAF_RUN_MIN {
            match scan.next_leaf(edges, nodes) {
                Some(leaf) => leaves.push(leaf),
                None => return scan,
            }
        }
        scan.more = true;
        scan
    }

    /// Passes settled visit `x` on along its bindings (see [`emit`]).
    ///
    /// [`emit`]: Settle::emit
    #[inline(always)]
    fn emit_one(&mut self, x: u32) {
        let visit = &self.s.visits.list[x as usize];
        let (node, changed, best, units) = (visit.node, visit.changed, visit.best, visit.units);
        let group = self.s.cycles.group_of(x);
        let PropertyNode { entity, out_head, .. } = self.graph.nodes[node as usize];
        let mut e = out_head;
        while e != NONE {
            let first = &self.graph.edges[e as usize];
            if units == NONE && first.out_next != NONE && first.kind != EdgeKind::Feeder {
                // Several edges left: a fan-out's leaves go in one tight loop.
                e = self.fire_leaves(e, entity, changed, best.stamp);
                if e == NONE {
                    break;
                }
            }
            let edge = self.graph.edges[e as usize];
            let this = e;
            e = edge.out_next;
            if !edge.enabled {
                continue;
            }
            let target = edge.target;
            let t = &self.graph.nodes[target as usize];
            if edge.kind != EdgeKind::Feeder
                && edge.field == WHOLE
                && units == NONE
                && t.epoch != self.epoch
                && t.inputs == 1
            {
                // The shape of every chain, fan-out and tree: a property
                // whose only input is this binding, reached first. It is
                // decided on the spot (`decide_fresh`, unrolled). The same
                // test as `scan_leaves`', spelled out: as one shared helper
                // it cost a chain link 10 instructions more.
                let owes = edge.owes_sync(self.floor);
                if !changed && !owes {
                    continue; // nothing to say, and nothing else will
                }
                let carries = edge.carries(changed, owes, best.stamp);
                self.stats.bindings_fired += 1;
                self.syncs_won += owes as usize;
                self.stats.changes_applied += (owes && !carries) as usize;
                if t.out_head == NONE {
                    // A leaf: nothing will ask about it again, so it is only fired.
                    let fire = Fire {
                        edge: this,
                        slot: edge.slot,
                        visit: NONE,
                        unit: NONE,
                        source: entity,
                        target: t.entity,
                    };
                    self.push_fire(edge.lane, fire);
                    continue;
                }
                let via = Via::edge(this);
                let offer = if carries {
                    Offer { stamp: best.stamp, dist: best.dist + 1, via }
                } else {
                    Offer { stamp: edge.born, dist: 1, via }
                };
                self.fresh_link(target, offer, edge.lane, (this, edge.slot, entity));
                continue;
            }
            let via =
                if edge.kind == EdgeKind::Feeder { Via::derivation(edge.slot) } else { Via::edge(this) };
            let owes = edge.owes_sync(self.floor);
            let offer = if units == NONE {
                Offer::along(via, changed, best.stamp, best.dist, owes, edge.born)
            } else {
                let carried = self.s.visits.carried(x, edge.from);
                let (stamp, dist) = carried.unwrap_or((0, 0));
                Offer::along(via, carried.is_some(), stamp, dist, owes, edge.born)
            };
            let t = &mut self.graph.nodes[target as usize];
            if t.epoch != self.epoch {
                // First news for this property.
                debug_assert!(!self.counted, "the region walk visited everything downstream");
                if t.inputs == 1 && edge.field == WHOLE {
                    let Some(offer) = offer else { continue }; // nothing to say, and nothing else will
                    // Its only input just settled: decided on the spot.
                    let (lane, computes) = match via.as_derivation() {
                        Some(d) => {
                            let d = &self.graph.derivations[d as usize];
                            (d.lane, (d.first(), d.slot, t.entity))
                        }
                        None => (edge.lane, (this, edge.slot, entity)),
                    };
                    let applied = owes && offer.stamp == edge.born;
                    self.decide_fresh(target, offer, applied, owes, lane, computes);
                } else {
                    // Several inputs (or a field): this one is counted even if
                    // it brings nothing, or the property would wait for it
                    // forever.
                    let t = &mut self.graph.nodes[target as usize];
                    let visit =
                        Visit { waiting: t.inputs - 1, leaf: t.out_head == NONE, ..Visit::new(target) };
                    let y = self.s.visits.add(t, visit, self.epoch);
                    if let Some(offer) = offer {
                        self.offer(y, edge.field, offer);
                    }
                    if self.s.visits.list[y as usize].waiting == 0 {
                        self.ready(y);
                    } else {
                        self.s.stuck.push(y);
                    }
                }
                continue;
            }
            let y = t.visit;
            if self.s.visits.list[y as usize].phase == Phase::Settled {
                continue; // the way back of a pair, or a cycle closing onto its start
            }
            if let Some(offer) = offer {
                self.offer(y, edge.field, offer);
            }
            let visit = &mut self.s.visits.list[y as usize];
            visit.waiting -= 1;
            let target_group = self.s.cycles.group_of(y);
            if target_group == NONE {
                if self.s.visits.list[y as usize].waiting == 0 {
                    self.ready(y);
                }
            } else if target_group != group {
                self.s.cycles.input_settled(target_group);
            }
        }
    }
}
