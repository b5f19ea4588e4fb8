//! When a settle stalls before its last property is decided: inputs that can
//! no longer change are counted as passed, and failing that, the region walk
//! counts what each waiting property still waits for.

use crate::records::NONE;
use crate::settle::Settle;
use crate::visit::{Phase, Visits};

impl Settle<'_> {
    /// When nothing can move before the region walk: for each property still
    /// waiting, counts the inputs that can no longer change as passed, and
    /// decides those left waiting for nothing. Returns whether any was.
    ///
    /// An input no visit knows can no longer change if everything that
    /// writes it has settled (and, with nothing left in flight, passed its
    /// change on): nothing was passed to it, so it kept its value. That is
    /// an input with no enabled binding into it, or one whose only binding's
    /// source has settled; any more, and one of them would have made it a
    /// visit. (The equality gate leaves such inputs behind: an unchanged
    /// property says nothing to its single-input targets.) Each waiting
    /// property is checked once, so this stays linear; what it cannot
    /// resolve, the region walk does.
    pub(crate) fn count_silent(&mut self) -> bool {
        // Decided only after the scan: "settled" must mean settled and
        // passed on, which a property decided now is not yet.
        let mut stuck = std::mem::take(&mut self.s.stuck);
        let mut ready = std::mem::take(&mut self.s.stack);
        for &v in &stuck {
            let visit = &self.s.visits.list[v as usize];
            if visit.phase != Phase::Parked {
                continue;
            }
            let mut silent = 0;
            let mut e = self.graph.nodes[visit.node as usize].in_head;
            while e != NONE {
                let edge = &self.graph.edges[e as usize];
                e = edge.in_next;
                if edge.enabled && self.is_silent(edge.source) {
                    silent += 1;
                }
            }
            let visit = &mut self.s.visits.list[v as usize];
            visit.waiting -= silent;
            if visit.waiting == 0 {
                ready.push(v);
            }
        }
        stuck.clear();
        self.s.stuck = stuck;
        let any = !ready.is_empty();
        for &v in &ready {
            self.ready(v);
        }
        ready.clear();
        self.s.stack = ready;
        any
    }

    /// Whether `node`, unknown to this settle, can no longer change in it
    /// (see [`count_silent`](Settle::count_silent)).
    fn is_silent(&self, node: u32) -> bool {
        if Visits::get(&self.graph.nodes, node, self.epoch).is_some() {
            return false; // known: counted when it passes its change on
        }
        let n = &self.graph.nodes[node as usize];
        if n.inputs != 1 {
            return n.inputs == 0;
        }
        let mut e = n.in_head;
        while e != NONE {
            let edge = &self.graph.edges[e as usize];
            if edge.enabled {
                return Visits::get(&self.graph.nodes, edge.source, self.epoch)
                    .is_some_and(|s| self.s.visits.list[s as usize].phase == Phase::Settled);
            }
            e = edge.in_next;
        }
        unreachable!("a node counting one input has an enabled edge arriving")
    }

    /// Marks everything downstream of the undecided visits and counts, for
    /// each, its inputs among them; then decides those waiting for nothing.
    ///
    /// Until this walk a settle is a single pass: a property is decided as
    /// soon as every binding into it has passed its change on (at once if it
    /// has none). Only a property with an input that never moves waits, and
    /// the first time nothing else can, this walk counts what each one still
    /// waits for.
    pub(crate) fn walk_region(&mut self) {
        let mut stack = std::mem::take(&mut self.s.stack);
        for v in 0..self.s.visits.list.len() as u32 {
            let visit = &mut self.s.visits.list[v as usize];
            if visit.phase == Phase::Parked {
                visit.in_region = true;
                visit.waiting = 0; // counted afresh: only inputs in the region
                stack.push(v);
            }
        }
        let mut region = stack.clone();
        while let Some(x) = stack.pop() {
            let mut e = self.graph.nodes[self.s.visits.list[x as usize].node as usize].out_head;
            while e != NONE {
                let edge = self.graph.edges[e as usize];
                e = edge.out_next;
                if !edge.enabled {
                    continue;
                }
                let y = self.visit(edge.target);
                let visit = &mut self.s.visits.list[y as usize];
                debug_assert_ne!(
                    visit.phase,
                    Phase::Settled,
                    "a settled property is never downstream of a waiting one"
                );
                if !visit.in_region {
                    visit.in_region = true;
                    visit.waiting = 0; // counted afresh: only inputs in the region
                    stack.push(y);
                    region.push(y);
                }
                visit.waiting += 1;
            }
        }
        for &v in &region {
            if self.s.visits.list[v as usize].waiting == 0 && self.s.cycles.group_of(v) == NONE {
                self.ready(v);
            }
        }
        region.clear();
        self.s.stack = region;
    }
}
