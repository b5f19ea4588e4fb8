//! [`BindingGraph::check_invariants`]: the invariants listed on
//! [`BindingGraph`] and the records, checked; for tests and fuzzing.

use crate::graph::BindingGraph;
use crate::records::{Edge, EdgeKind, NONE, PropertyNode};

impl BindingGraph {
    /// Checks every internal invariant (listed on [`BindingGraph`]); used by
    /// tests and fuzzing. Returns a description of the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut live_edges = 0;
        let mut bindings = 0;
        for (i, e) in self.edges.iter().enumerate() {
            if !e.is_live() {
                continue;
            }
            if e.kind == EdgeKind::Feeder {
                let d = &self.derivations[e.slot as usize];
                if !d.is_live()
                    || !d.feeders().contains(&(i as u32))
                    || d.target != e.target
                    || d.born != e.born
                {
                    return Err(format!("feeder {i} does not belong to derivation {}", e.slot));
                }
            } else {
                live_edges += 1;
            }
            if self.is_primary(i as u32, e) {
                bindings += 1;
            }
            for n in [e.source, e.target] {
                if !self.nodes.get(n as usize).is_some_and(PropertyNode::is_live) {
                    return Err(format!("edge {i} points at dead node {n}"));
                }
            }
            if e.twin != NONE {
                let twin = &self.edges[e.twin as usize];
                if !twin.is_live()
                    || twin.twin != i as u32
                    || twin.source != e.target
                    || twin.target != e.source
                {
                    return Err(format!("edge {i} has a broken twin {}", e.twin));
                }
            }
        }
        if bindings != self.bindings {
            return Err(format!("binding count {} but {bindings} bindings", self.bindings));
        }
        let transforms = live_edges + self.live_derivations;
        if transforms != self.transform_count() {
            return Err(format!(
                "{transforms} edges and derivations but {} transforms",
                self.transform_count()
            ));
        }
        let mut live_nodes = 0;
        for (i, node) in self.nodes.iter().enumerate() {
            if !node.is_live() {
                continue;
            }
            live_nodes += 1;
            if node.is_unbound() {
                return Err(format!("node {i} is live without edges"));
            }
            self.check_list(i as u32, node.out_head, |e| (e.source, e.out_prev, e.out_next))?;
            self.check_list(i as u32, node.in_head, |e| (e.target, e.in_prev, e.in_next))?;
            let mut inputs = 0;
            let mut e = node.in_head;
            while e != NONE {
                inputs += self.edges[e as usize].enabled as u32;
                e = self.edges[e as usize].in_next;
            }
            if inputs != node.inputs {
                return Err(format!("node {i} counts {} inputs but has {inputs} enabled", node.inputs));
            }
            let mut n = self.entity_nodes[node.entity.id() as usize];
            while n != NONE && n != i as u32 {
                n = self.nodes[n as usize].next_of_entity;
            }
            if n == NONE {
                return Err(format!("node {i} is missing from its entity's chain"));
            }
        }
        if live_nodes != self.live_nodes {
            return Err(format!("node count {} but {live_nodes} live nodes", self.live_nodes));
        }
        Ok(())
    }

    /// Checks one of node `n`'s lists: every edge live, belonging to `n`,
    /// linked back to its predecessor. `links` gives (owner, prev, next).
    fn check_list(&self, n: u32, head: u32, links: impl Fn(&Edge) -> (u32, u32, u32)) -> Result<(), String> {
        let (mut prev, mut e) = (NONE, head);
        while e != NONE {
            let edge = &self.edges[e as usize];
            let (owner, back, next) = links(edge);
            if !edge.is_live() || owner != n || back != prev {
                return Err(format!("node {n}'s list is broken at edge {e}"));
            }
            prev = e;
            e = next;
        }
        Ok(())
    }
}
