//! Seeding a settle: the pending changes become visits (own changes) and
//! offers (owed syncs); what nothing else can change is decided at once, and
//! a two-way pair nothing else writes is settled in one step.

use crate::pending::Origin;
use crate::records::{EdgeKind, NONE, WHOLE};
use crate::settle::{Settle, WARM_UP_MIN};
use crate::visit::{Offer, Phase, Via};

impl Settle<'_> {
    /// Resolves the pending changes: own changes onto their properties, owed
    /// syncs onto their targets as offers. Then decides what nothing else
    /// can change, and hands isolated two-way pairs to `cycles.rs`.
    pub(crate) fn seed(&mut self) {
        if self.s.origins.len() >= WARM_UP_MIN {
            self.warm_up_origins();
        }
        let mut stamp = self.floor;
        for i in 0..self.s.origins.len() {
            match self.s.origins[i] {
                Origin::Property { entity, ty } => {
                    if self.graph.track_changes {
                        self.s.changed.push((entity, ty));
                    }
                    let at = stamp;
                    stamp += 1;
                    let Some(node) = self.graph.node_of_type(entity, ty) else { continue };
                    let v = self.visit(node);
                    let visit = &mut self.s.visits.list[v as usize];
                    if visit.own != 0 {
                        self.stats.changes_superseded += 1; // an older change of the same property
                    }
                    visit.own = at;
                }
                Origin::Edges { first, count } => {
                    for edge in first..first + count {
                        self.seed_sync(edge, stamp);
                        stamp += 1;
                    }
                }
                Origin::Derive { edge, generation } => {
                    let at = stamp;
                    stamp += 1;
                    let e = self.graph.edges[edge as usize];
                    if !e.is_live() || e.generation != generation || !e.enabled {
                        continue;
                    }
                    let d = &self.graph.derivations[e.slot as usize];
                    if d.born != at {
                        continue; // resumed again since
                    }
                    let target = d.target;
                    self.syncs += 1;
                    let v = self.visit(target);
                    self.offer(v, WHOLE, Offer { stamp: at, dist: 1, via: Via::derivation(e.slot) });
                }
            }
        }
        if self.s.visits.list.len() >= WARM_UP_MIN {
            self.warm_up_inputs();
        }
        for v in 0..self.s.visits.list.len() as u32 {
            let visit = self.s.visits.list[v as usize];
            if visit.phase != Phase::Parked {
                continue;
            }
            if visit.waiting == 0 {
                self.ready(v); // nothing can write it
                continue;
            }
            if visit.waiting == 1 {
                let in_head = self.graph.nodes[visit.node as usize].in_head;
                if self.isolated_pair(in_head) {
                    self.settle_pair(in_head);
                    continue;
                }
                if self.silent_root(in_head) {
                    // Its only input can never change in this settle: a
                    // new binding's target, most often.
                    self.s.visits.list[v as usize].waiting = 0;
                    self.ready(v);
                    continue;
                }
            }
            self.s.stuck.push(v);
        }
    }

    /// Offers edge `edge`'s owed sync, recorded with `stamp`, to its target,
    /// unless the binding was removed, paused or resumed again since (its
    /// `born` is no longer `stamp`).
    #[inline]
    fn seed_sync(&mut self, edge: u32, stamp: u64) {
        let e = self.graph.edges[edge as usize];
        if !e.is_live() || !e.enabled || e.born != stamp {
            return;
        }
        self.syncs += 1;
        let v = self.visit(e.target);
        self.offer(v, e.field, Offer { stamp, dist: 1, via: Via::edge(edge) });
    }

    /// Touches, for every seeded property with one input (the ones that may
    /// be half of a two-way pair), that input edge and its source, in loops whose iterations do not depend on each other,
    /// so the processor overlaps the cache misses instead of taking them one
    /// by one in the (much longer) seeding loop. Stable Rust has no safe
    /// prefetch instruction; plain loads folded into a `black_box`ed sink do
    /// the same job.
    fn warm_up_inputs(&self) {
        let (nodes, edges) = (&self.graph.nodes, &self.graph.edges);
        let mut sink = 0u32;
        let waiting = || self.s.visits.list.iter().filter(|v| v.waiting == 1);
        for visit in waiting() {
            // An edge may straddle two cache lines: touch both ends of it.
            let edge = &edges[nodes[visit.node as usize].in_head as usize];
            sink ^= edge.born as u32 ^ edge.enabled as u32;
        }
        for visit in waiting() {
            let edge = &edges[nodes[visit.node as usize].in_head as usize];
            sink ^= nodes[edge.source as usize].in_head;
            if edge.twin != NONE {
                // A pair's other edge, which computes it (both ends of it).
                let twin = &edges[edge.twin as usize];
                sink ^= twin.born as u32 ^ twin.enabled as u32;
            }
        }
        std::hint::black_box(sink);
    }

    /// Touches, for every recorded change, its entity's first property node
    /// (both ends of it), as `warm_up_inputs` does, so that resolving the
    /// changes to nodes does not take their cache misses one by one.
    fn warm_up_origins(&self) {
        let (nodes, index) = (&self.graph.nodes, &self.graph.entity_nodes);
        let mut sink = 0u32;
        for origin in &self.s.origins {
            if let Origin::Property { entity, .. } = *origin
                && let Some(&n) = index.get(entity.id() as usize)
                && n != NONE
            {
                let node = &nodes[n as usize];
                sink ^= node.entity.id() ^ node.visit;
            }
        }
        std::hint::black_box(sink);
    }

    /// Whether `node`, whose only enabled writer is among its in-edges
    /// starting at `head`, forms a two-way pair with that writer that nothing
    /// else writes. (A pair's edges are enabled together, so a partner with
    /// one enabled input has only the pair's other edge.)
    #[inline]
    fn isolated_pair(&self, head: u32) -> bool {
        let back = &self.graph.edges[head as usize];
        back.enabled && back.twin != NONE && self.graph.nodes[back.source as usize].inputs == 1
    }

    /// Whether the enabled edge among the in-edges starting at `head` (a
    /// property's only input) comes from a property that can never change
    /// in this settle: no binding writes it and it was not seeded. (What
    /// `count_silent` would find later, found while seeding, for the
    /// target of a binding made from a root property.)
    #[inline]
    fn silent_root(&self, head: u32) -> bool {
        let mut e = head;
        while e != NONE {
            let edge = &self.graph.edges[e as usize];
            if edge.enabled {
                let source = &self.graph.nodes[edge.source as usize];
                return source.inputs == 0 && source.epoch != self.epoch;
            }
            e = edge.in_next;
        }
        false
    }

    /// Settles a two-way pair that nothing else writes, one of whose edges is
    /// `e`, in one step. This is rule 5 for a cycle of two (what
    /// `Cycles::plan` would decide, without planning): the newest of the
    /// source's own change, the target's own change and the forward edge's
    /// sync wins; the source's change or the sync writes the target through
    /// the forward edge, the target's change writes the source through the
    /// reverse edge. An older own change of the source still stands when the
    /// sync wins (the sync copies it).
    fn settle_pair(&mut self, e: u32) {
        let edge = self.graph.edges[e as usize];
        let (forward, reverse) = if edge.kind == EdgeKind::Forward { (e, edge.twin) } else { (edge.twin, e) };
        let f = self.graph.edges[forward as usize];
        let (src, tgt) = (self.visit(f.source), self.visit(f.target));
        if self.s.visits.list[src as usize].phase != Phase::Parked {
            return; // the other end was seeded first and settled the pair
        }
        let owes = f.owes_sync(self.floor);
        let (src_own, tgt_own) = (self.s.visits.list[src as usize].own, self.s.visits.list[tgt as usize].own);
        let sync = if owes { f.born } else { 0 };
        let (writer, written, via, stamp) = if tgt_own > src_own.max(sync) {
            (tgt, src, Via::edge(reverse), tgt_own)
        } else {
            (src, tgt, Via::edge(forward), src_own.max(sync))
        };
        // A field pair writes one field: the other end's own change (of the
        // whole component) still stands under it.
        let field = self.graph.edges[via.as_edge().expect("an edge") as usize].field;
        let written_own = self.s.visits.list[written as usize].own;
        let own_applied = (tgt_own == stamp || src_own != 0 && via.as_edge() == Some(forward)) as usize;
        if field == WHOLE {
            self.stats.changes_applied += own_applied;
            self.stats.changes_superseded += (written_own != 0) as usize;
        } else {
            self.stats.changes_applied += own_applied + (written_own != 0) as usize;
        }
        if owes && via.as_edge() == Some(forward) {
            self.syncs_won += 1;
            self.stats.changes_applied += (stamp == sync) as usize;
        }
        let kept =
            |own: u64| if own != 0 { Offer { stamp: own, dist: 0, via: Via::OWN } } else { Offer::NONE };
        let offer = Offer { stamp, dist: 1, via };
        let written_best = if field == WHOLE { offer } else { kept(written_own) };
        for (v, best) in [(writer, kept(self.s.visits.list[writer as usize].own)), (written, written_best)] {
            let visit = &mut self.s.visits.list[v as usize];
            let out_head = self.graph.nodes[visit.node as usize].out_head;
            visit.phase = Phase::Settled;
            visit.changed = visit.own != 0;
            visit.best = best;
            // Only the pair's own edge leaves it: nothing to pass on.
            visit.leaf = self.graph.edges[out_head as usize].out_next == NONE;
            self.decided += 1;
            if !visit.leaf {
                self.s.next.push(v);
            }
        }
        self.stats.bindings_fired += 1;
        if field != WHOLE {
            let u = self.s.visits.unit(written, field);
            let unit = &mut self.s.visits.units[u as usize];
            (unit.best, unit.fires) = (offer, true);
            self.queue_unit_fire(written, u);
            return;
        }
        self.queue_fire(written, via);
    }
}
