//! The node and edge arenas of the [`BindingGraph`]: the only code that links
//! and unlinks records, keeping each edge and the node lists that mirror it
//! consistent (house style: one place updates both sides of a relationship).

use hecs::Entity;

use crate::graph::BindingGraph;
use crate::records::{Derivation, Edge, EdgeKind, Field, NONE, PropertyNode};

impl BindingGraph {
    /// Enables or disables edge `e`, keeping its target's input count.
    pub(crate) fn set_edge_enabled(&mut self, e: u32, enabled: bool) {
        let edge = &mut self.edges[e as usize];
        if edge.enabled != enabled {
            self.version += 1;
            edge.enabled = enabled;
            let inputs = &mut self.nodes[edge.target as usize].inputs;
            if enabled { *inputs += 1 } else { *inputs -= 1 }
        }
    }

    /// Removes the binding that owns edge `e` (its twin, or every feeder of
    /// its derivation, with it).
    pub(crate) fn remove_binding(&mut self, e: u32) {
        let edge = self.edges[e as usize];
        let (forward, twin) = match edge.kind {
            EdgeKind::Forward => (e, edge.twin),
            EdgeKind::Reverse => (edge.twin, e),
            EdgeKind::Feeder => {
                self.remove_derivation(edge.slot);
                return;
            }
        };
        self.remove_edge(forward);
        if twin != NONE {
            self.remove_edge(twin);
        }
        self.bindings -= 1;
    }

    pub(crate) fn remove_derivation(&mut self, d: u32) {
        let derivation = std::mem::replace(&mut self.derivations[d as usize], Derivation::vacant());
        for &f in derivation.feeders() {
            self.remove_edge(f);
        }
        self.lanes.release(derivation.lane, derivation.slot);
        self.free_derivations.push(d);
        self.live_derivations -= 1;
        self.bindings -= 1;
    }

    /// The node of `entity`'s property of interned type `ty`, created if no
    /// binding touched it yet.
    pub(crate) fn ensure_node(&mut self, entity: Entity, ty: u32) -> u32 {
        match self.node_of_type(entity, ty) {
            Some(n) => n,
            None => self.new_node(entity, ty),
        }
    }

    /// A new node for `entity`'s property of interned type `ty`, which has
    /// none.
    pub(crate) fn new_node(&mut self, entity: Entity, ty: u32) -> u32 {
        debug_assert!(self.node_of_type(entity, ty).is_none(), "one node per property");
        let index = entity.id() as usize;
        if self.entity_nodes.len() <= index {
            self.entity_nodes.resize(index + 1, NONE);
        }
        debug_assert!(
            self.entity_nodes[index] == NONE
                || self.nodes[self.entity_nodes[index] as usize].entity == entity,
            "the caller repairs a stale chain first (`repair_stale`)"
        );
        let n = match self.free_nodes.pop() {
            Some(n) => {
                self.nodes[n as usize] = PropertyNode::new(entity, ty);
                n
            }
            None => {
                self.nodes.push(PropertyNode::new(entity, ty));
                (self.nodes.len() - 1) as u32
            }
        };
        self.nodes[n as usize].next_of_entity = self.entity_nodes[index];
        self.entity_nodes[index] = n;
        self.live_nodes += 1;
        n
    }

    /// Links a new edge into its source's out-list and its target's in-list
    /// (at the front of both). `(field, from)`: the target field it writes
    /// and the source field it reads ([`WHOLE`] for whole components).
    pub(crate) fn add_edge(
        &mut self,
        (source, target): (u32, u32),
        (lane, slot): (u32, u32),
        kind: EdgeKind,
        (field, from): (Field, Field),
    ) -> u32 {
        self.version += 1;
        let out_next = self.nodes[source as usize].out_head;
        let in_next = self.nodes[target as usize].in_head;
        let make = |generation| Edge {
            source,
            target,
            lane,
            slot,
            out_next,
            out_prev: NONE,
            in_next,
            in_prev: NONE,
            twin: NONE,
            generation,
            field,
            from,
            kind,
            enabled: true,
            born: 0,
        };
        let e = match self.free_edges.pop() {
            Some(e) => {
                let generation = self.edges[e as usize].generation;
                self.edges[e as usize] = make(generation);
                e
            }
            None => {
                self.edges.push(make(0));
                (self.edges.len() - 1) as u32
            }
        };
        if out_next != NONE {
            self.edges[out_next as usize].out_prev = e;
        }
        if in_next != NONE {
            self.edges[in_next as usize].in_prev = e;
        }
        self.nodes[source as usize].out_head = e;
        self.nodes[target as usize].in_head = e;
        self.nodes[target as usize].inputs += 1;
        e
    }

    /// Unlinks edge `e` from both lists, drops a plain edge's transform, and
    /// frees nodes left without edges.
    pub(crate) fn remove_edge(&mut self, e: u32) {
        self.version += 1;
        let edge = self.edges[e as usize];
        if edge.out_prev != NONE {
            self.edges[edge.out_prev as usize].out_next = edge.out_next;
        } else {
            self.nodes[edge.source as usize].out_head = edge.out_next;
        }
        if edge.out_next != NONE {
            self.edges[edge.out_next as usize].out_prev = edge.out_prev;
        }
        if edge.in_prev != NONE {
            self.edges[edge.in_prev as usize].in_next = edge.in_next;
        } else {
            self.nodes[edge.target as usize].in_head = edge.in_next;
        }
        if edge.in_next != NONE {
            self.edges[edge.in_next as usize].in_prev = edge.in_prev;
        }
        if edge.enabled {
            self.nodes[edge.target as usize].inputs -= 1;
        }
        if edge.kind != EdgeKind::Feeder {
            self.lanes.release(edge.lane, edge.slot);
        }
        let slot = &mut self.edges[e as usize];
        slot.lane = NONE;
        slot.twin = NONE;
        slot.generation = slot.generation.wrapping_add(1);
        self.free_edges.push(e);
        self.free_node_if_unbound(edge.source);
        self.free_node_if_unbound(edge.target);
    }

    pub(crate) fn free_node_if_unbound(&mut self, n: u32) {
        let node = self.nodes[n as usize];
        if !node.is_live() || !node.is_unbound() {
            return;
        }
        let index = node.entity.id() as usize;
        if self.entity_nodes[index] == n {
            self.entity_nodes[index] = node.next_of_entity;
        } else {
            let mut prev = self.entity_nodes[index];
            while self.nodes[prev as usize].next_of_entity != n {
                prev = self.nodes[prev as usize].next_of_entity;
            }
            self.nodes[prev as usize].next_of_entity = node.next_of_entity;
        }
        let slot = &mut self.nodes[n as usize];
        slot.ty = NONE;
        slot.next_of_entity = NONE;
        self.free_nodes.push(n);
        self.live_nodes -= 1;
    }
}
