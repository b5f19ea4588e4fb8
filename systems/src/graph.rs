//! [`BindingGraph`]: the relationship store behind every binding.

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;

use bindery_components::{BindingId, BindingInfo, Edge, EdgeKind, NONE, Property, PropertyNode};
use hecs::Entity;
use tracing::warn;

use crate::lane::{Lane, MapLane};
use crate::types::PropertyTypes;

/// The mark of a property claimed by the change with `stamp`.
#[inline]
pub(crate) const fn claimed(stamp: u64) -> u64 {
    stamp << 1
}

/// The mark of a property whose value the change with `stamp` made final.
#[inline]
pub(crate) const fn settled(stamp: u64) -> u64 {
    (stamp << 1) | 1
}

/// A change waiting for the next propagation, in the order it was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A bound property was changed by the user.
    ///
    /// Recorded by entity and type, without touching the graph: the node is
    /// looked up when the tick starts, in one tight loop.
    Property {
        /// The entity whose property changed.
        entity: Entity,
        /// The interned property type.
        ty: u32,
        /// The change's stamp.
        stamp: u64,
    },
    /// A binding was created and owes its target the initial sync.
    Edge {
        /// The edge index.
        edge: u32,
        /// The edge's generation when the binding was created.
        generation: u32,
        /// The change's stamp.
        stamp: u64,
    },
}

/// The binding graph: property nodes, edges and typed lanes, kept consistent
/// on every link, unlink and despawn.
///
/// Nodes and edges live in dense arenas with free lists and generations
/// (slotmap-style), each node heading an intrusive out-list and in-list of
/// edges. Everything a binding owns (its edges, its transform, its nodes when
/// nothing else binds them) is freed when the binding goes: there is no
/// registry that could keep anything alive.
///
/// The graph never looks at property values; [`propagate`](crate::propagate)
/// does that through the lanes.
pub struct BindingGraph {
    pub(crate) nodes: Vec<PropertyNode>,
    free_nodes: Vec<u32>,
    pub(crate) edges: Vec<Edge>,
    free_edges: Vec<u32>,
    /// By entity index: the first node of that entity, or `NONE`.
    entity_nodes: Vec<u32>,
    pub(crate) lanes: Vec<Box<dyn Lane>>,
    lane_index: HashMap<TypeId, u32>,
    types: PropertyTypes,
    bindings: usize,
    live_nodes: usize,
    pub(crate) pending: Vec<Origin>,
    /// Whether propagation reports every changed property (for observers).
    pub(crate) track_changes: bool,
    /// The last stamp handed out; every recorded change takes the next one.
    stamp: u64,
}

impl Default for BindingGraph {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for BindingGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BindingGraph")
            .field("bindings", &self.bindings)
            .field("nodes", &self.live_nodes)
            .field("lanes", &self.lanes.len())
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl BindingGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self {
            nodes: Vec::new(),
            free_nodes: Vec::new(),
            edges: Vec::new(),
            free_edges: Vec::new(),
            entity_nodes: Vec::new(),
            lanes: Vec::new(),
            lane_index: HashMap::new(),
            types: PropertyTypes::default(),
            bindings: 0,
            live_nodes: 0,
            pending: Vec::new(),
            track_changes: false,
            stamp: 0,
        }
    }

    /// The interned property types.
    pub fn types(&self) -> &PropertyTypes {
        &self.types
    }

    /// Live bindings (a two-way binding counts once).
    pub fn binding_count(&self) -> usize {
        self.bindings
    }

    /// Live property nodes: properties touched by at least one binding.
    pub fn node_count(&self) -> usize {
        self.live_nodes
    }

    /// Live transforms held by all lanes (two per two-way binding). Equals the
    /// number of live edges; drop checks compare the two.
    pub fn transform_count(&self) -> usize {
        self.lanes.iter().map(|lane| lane.len()).sum()
    }

    /// Interns property type `T` so that changes to it are recorded (even on
    /// properties no binding touches) and returns its index.
    pub fn watch_type<T: 'static>(&mut self) -> u32 {
        self.types.intern::<T>()
    }

    /// Turns change reporting on or off: when on, [`propagate`](crate::propagate)
    /// lists every property that changed, bound or not, in
    /// [`PropagateScratch::changed`](crate::PropagateScratch::changed). Off by
    /// default, so ticks without observers pay nothing for it.
    pub fn set_change_tracking(&mut self, on: bool) {
        self.track_changes = on;
    }

    /// Changes waiting for the next propagation.
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// The node of `entity`'s property `T`, if any binding touches it.
    #[inline]
    pub fn node_of<T: 'static>(&self, entity: Entity) -> Option<u32> {
        let ty = self.types.get::<T>()?;
        self.node_of_type(entity, ty)
    }

    fn node_of_type(&self, entity: Entity, ty: u32) -> Option<u32> {
        let mut n = *self.entity_nodes.get(entity.id() as usize)?;
        while n != NONE {
            let node = &self.nodes[n as usize];
            if node.ty == ty && node.entity == entity {
                return Some(n);
            }
            n = node.next_of_entity;
        }
        None
    }

    /// Records that `entity`'s property `T` changed. Returns whether anything
    /// was recorded: nothing is when no binding of type `T` was ever made.
    ///
    /// The graph itself is not touched here (a set is on the caller's hot
    /// path); the tick resolves recorded changes to nodes in one batch.
    #[inline]
    pub fn mark_changed<T: 'static>(&mut self, entity: Entity) -> bool {
        match self.types.get::<T>() {
            Some(ty) => {
                let stamp = self.next_stamp();
                self.pending.push(Origin::Property { entity, ty, stamp });
                true
            }
            None => false,
        }
    }

    /// The node of `entity`'s property of interned type `ty`.
    #[inline]
    pub(crate) fn resolve(&self, entity: Entity, ty: u32) -> Option<u32> {
        self.node_of_type(entity, ty)
    }

    /// Whether `id` names a live binding.
    pub fn contains(&self, id: BindingId) -> bool {
        self.forward_edge(id).is_some()
    }

    fn forward_edge(&self, id: BindingId) -> Option<&Edge> {
        self.edges
            .get(id.index() as usize)
            .filter(|e| e.is_live() && e.generation == id.generation() && e.kind == EdgeKind::Forward)
    }

    /// A description of a live binding.
    pub fn info(&self, id: BindingId) -> Option<BindingInfo> {
        let edge = self.forward_edge(id)?;
        let (source, target) = (&self.nodes[edge.source as usize], &self.nodes[edge.target as usize]);
        Some(BindingInfo {
            id,
            source: source.entity,
            target: target.entity,
            source_type: self.types.name(source.ty),
            target_type: self.types.name(target.ty),
            two_way: edge.twin != NONE,
            enabled: edge.enabled,
        })
    }

    /// Whether a live binding propagates.
    pub fn is_enabled(&self, id: BindingId) -> Option<bool> {
        self.forward_edge(id).map(|e| e.enabled)
    }

    /// Pauses or resumes a binding (both directions of a two-way one).
    /// Resuming marks the binding for an initial sync on the next tick.
    /// Returns `false` if the binding does not exist.
    pub fn set_enabled(&mut self, id: BindingId, enabled: bool) -> bool {
        let Some(edge) = self.forward_edge(id).copied() else {
            return false;
        };
        if edge.enabled == enabled {
            return true;
        }
        self.edges[id.index() as usize].enabled = enabled;
        if edge.twin != NONE {
            self.edges[edge.twin as usize].enabled = enabled;
        }
        if enabled {
            self.edges[id.index() as usize].sync_pending = true;
            let stamp = self.next_stamp();
            self.pending.push(Origin::Edge { edge: id.index(), generation: id.generation(), stamp });
        }
        true
    }

    /// Links `source`'s property `S` to `target`'s property `T` through `f`,
    /// and schedules the initial sync. The caller has checked that both
    /// entities are alive, hold their components, and are not the same
    /// property.
    pub fn link_map<S, T, F>(&mut self, source: Entity, target: Entity, f: F) -> BindingId
    where
        S: Property,
        T: Property,
        F: Fn(&S) -> T + Send + 'static,
    {
        let s = self.ensure_node::<S>(source);
        let t = self.ensure_node::<T>(target);
        let (lane, slot) = self.store_transform::<S, T, F>(f);
        let e = self.add_edge(s, t, lane, slot, EdgeKind::Forward);
        self.bindings += 1;
        let generation = self.edges[e as usize].generation;
        let stamp = self.next_stamp();
        self.pending.push(Origin::Edge { edge: e, generation, stamp });
        BindingId::new(e, generation)
    }

    /// Links `a`'s property `A` and `b`'s property `B` both ways: `forward`
    /// carries `a` to `b`, `backward` carries `b` to `a`. The initial sync runs
    /// forward (source wins).
    pub fn link_two_way<A, B, F, G>(&mut self, a: Entity, b: Entity, forward: F, backward: G) -> BindingId
    where
        A: Property,
        B: Property,
        F: Fn(&A) -> B + Send + 'static,
        G: Fn(&B) -> A + Send + 'static,
    {
        let id = self.link_map::<A, B, F>(a, b, forward);
        let (fa, fb) = {
            let e = &self.edges[id.index() as usize];
            (e.source, e.target)
        };
        let (lane, slot) = self.store_transform::<B, A, G>(backward);
        let r = self.add_edge(fb, fa, lane, slot, EdgeKind::Reverse);
        self.edges[id.index() as usize].twin = r;
        self.edges[r as usize].twin = id.index();
        id
    }

    /// Removes a binding (both directions). Returns `false` if it did not
    /// exist.
    pub fn unlink(&mut self, id: BindingId) -> bool {
        if !self.contains(id) {
            return false;
        }
        self.remove_binding(id.index());
        true
    }

    /// Removes every binding that touches `entity`, in O(its bindings).
    /// Returns how many were removed.
    pub fn unlink_entity(&mut self, entity: Entity) -> usize {
        let Some(&head) = self.entity_nodes.get(entity.id() as usize) else {
            return 0;
        };
        let mut removed = 0;
        let mut n = head;
        while n != NONE {
            let node = self.nodes[n as usize];
            if node.entity != entity {
                n = node.next_of_entity;
                continue;
            }
            let e = if node.out_head != NONE { node.out_head } else { node.in_head };
            // A bound node has at least one edge; removing its binding may
            // free this node (and others of the entity), so restart from the
            // entity's current head.
            self.remove_binding(e);
            removed += 1;
            n = self.entity_nodes[entity.id() as usize];
        }
        removed
    }

    /// Removes every binding that touches `entity`'s property `T`. Returns how
    /// many were removed.
    pub fn unlink_property<T: 'static>(&mut self, entity: Entity) -> usize {
        let mut removed = 0;
        while let Some(n) = self.node_of::<T>(entity) {
            let node = self.nodes[n as usize];
            let e = if node.out_head != NONE { node.out_head } else { node.in_head };
            self.remove_binding(e);
            removed += 1;
        }
        removed
    }

    /// Removes the bindings of nodes that still claim `entity`'s index but
    /// belong to an earlier generation: the entity was despawned behind the
    /// engine's back (through `World::despawn`). Returns how many were
    /// removed.
    pub fn repair_stale(&mut self, entity: Entity) -> usize {
        let mut removed = 0;
        let mut n = self.entity_nodes.get(entity.id() as usize).copied().unwrap_or(NONE);
        while n != NONE {
            let node = self.nodes[n as usize];
            if node.entity == entity {
                n = node.next_of_entity;
                continue;
            }
            warn!(stale = ?node.entity, live = ?entity, "bindings of a despawned entity were left behind; removing them");
            removed += self.unlink_entity(node.entity);
            n = self.entity_nodes[entity.id() as usize];
        }
        removed
    }

    /// Every live binding touching `entity` (as source or target), each once.
    pub fn bindings_of(&self, entity: Entity) -> BindingsOf<'_> {
        let node = self.entity_nodes.get(entity.id() as usize).copied().unwrap_or(NONE);
        let mut iter = BindingsOf { graph: self, entity, node, edge: NONE, incoming: false };
        iter.enter_node();
        iter
    }

    /// Every live binding, in slot order.
    pub fn bindings(&self) -> impl Iterator<Item = BindingId> + '_ {
        self.edges
            .iter()
            .enumerate()
            .filter(|(_, e)| e.is_live() && e.kind == EdgeKind::Forward)
            .map(|(i, e)| BindingId::new(i as u32, e.generation))
    }

    /// Removes the binding that owns edge `e` (and its twin).
    pub(crate) fn remove_binding(&mut self, e: u32) {
        let edge = self.edges[e as usize];
        let (forward, twin) = match edge.kind {
            EdgeKind::Forward => (e, edge.twin),
            EdgeKind::Reverse => (edge.twin, e),
        };
        self.remove_edge(forward);
        if twin != NONE {
            self.remove_edge(twin);
        }
        self.bindings -= 1;
    }

    fn ensure_node<T: 'static>(&mut self, entity: Entity) -> u32 {
        let ty = self.types.intern::<T>();
        if let Some(n) = self.node_of_type(entity, ty) {
            return n;
        }
        self.repair_stale(entity);
        let index = entity.id() as usize;
        if self.entity_nodes.len() <= index {
            self.entity_nodes.resize(index + 1, NONE);
        }
        let n = match self.free_nodes.pop() {
            Some(n) => {
                let generation = self.nodes[n as usize].generation;
                self.nodes[n as usize] = PropertyNode::new(entity, ty, generation);
                n
            }
            None => {
                self.nodes.push(PropertyNode::new(entity, ty, 0));
                (self.nodes.len() - 1) as u32
            }
        };
        self.nodes[n as usize].next_of_entity = self.entity_nodes[index];
        self.entity_nodes[index] = n;
        self.live_nodes += 1;
        n
    }

    fn store_transform<S, T, F>(&mut self, f: F) -> (u32, u32)
    where
        S: Property,
        T: Property,
        F: Fn(&S) -> T + Send + 'static,
    {
        let lanes = &mut self.lanes;
        let lane = *self.lane_index.entry(TypeId::of::<MapLane<S, T, F>>()).or_insert_with(|| {
            lanes.push(Box::new(MapLane::<S, T, F>::default()));
            (lanes.len() - 1) as u32
        });
        let slot = self.lanes[lane as usize]
            .as_any_mut()
            .downcast_mut::<MapLane<S, T, F>>()
            .expect("lane index maps each TypeId to a lane of that type")
            .insert(f);
        (lane, slot)
    }

    fn add_edge(&mut self, source: u32, target: u32, lane: u32, slot: u32, kind: EdgeKind) -> u32 {
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
            kind,
            enabled: true,
            sync_pending: kind == EdgeKind::Forward,
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
        // Push-front: the newest edge of a property is visited first.
        if out_next != NONE {
            self.edges[out_next as usize].out_prev = e;
        }
        if in_next != NONE {
            self.edges[in_next as usize].in_prev = e;
        }
        self.nodes[source as usize].out_head = e;
        self.nodes[target as usize].in_head = e;
        e
    }

    fn remove_edge(&mut self, e: u32) {
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
        self.lanes[edge.lane as usize].release(edge.slot);
        let slot = &mut self.edges[e as usize];
        slot.lane = NONE;
        slot.twin = NONE;
        slot.generation = slot.generation.wrapping_add(1);
        self.free_edges.push(e);
        self.free_node_if_unbound(edge.source);
        self.free_node_if_unbound(edge.target);
    }

    fn free_node_if_unbound(&mut self, n: u32) {
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
        slot.generation = slot.generation.wrapping_add(1);
        self.free_nodes.push(n);
        self.live_nodes -= 1;
    }

    /// Hands out the next change stamp.
    #[inline]
    fn next_stamp(&mut self) -> u64 {
        self.stamp += 1;
        self.stamp
    }

    /// Checks every internal invariant; used by tests and fuzzing. Returns a
    /// description of the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut live_edges = 0;
        let mut bindings = 0;
        for (i, e) in self.edges.iter().enumerate() {
            if !e.is_live() {
                continue;
            }
            live_edges += 1;
            if e.kind == EdgeKind::Forward {
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
            return Err(format!("binding count {} but {bindings} forward edges", self.bindings));
        }
        if live_edges != self.transform_count() {
            return Err(format!("{live_edges} edges but {} transforms", self.transform_count()));
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
            let mut prev = NONE;
            let mut e = node.out_head;
            while e != NONE {
                let edge = &self.edges[e as usize];
                if !edge.is_live() || edge.source != i as u32 || edge.out_prev != prev {
                    return Err(format!("node {i} out-list is broken at edge {e}"));
                }
                prev = e;
                e = edge.out_next;
            }
            let mut prev = NONE;
            let mut e = node.in_head;
            while e != NONE {
                let edge = &self.edges[e as usize];
                if !edge.is_live() || edge.target != i as u32 || edge.in_prev != prev {
                    return Err(format!("node {i} in-list is broken at edge {e}"));
                }
                prev = e;
                e = edge.in_next;
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
}

/// Iterator over the bindings touching one entity; see
/// [`BindingGraph::bindings_of`].
pub struct BindingsOf<'a> {
    graph: &'a BindingGraph,
    entity: Entity,
    node: u32,
    edge: u32,
    incoming: bool,
}

impl BindingsOf<'_> {
    /// Positions on the first edge of the current node (skipping nodes of a
    /// stale generation).
    fn enter_node(&mut self) {
        while self.node != NONE {
            let node = &self.graph.nodes[self.node as usize];
            if node.entity == self.entity {
                self.edge = node.out_head;
                self.incoming = false;
                return;
            }
            self.node = node.next_of_entity;
        }
    }
}

impl Iterator for BindingsOf<'_> {
    type Item = BindingId;

    fn next(&mut self) -> Option<BindingId> {
        let graph = self.graph;
        while self.node != NONE {
            while self.edge != NONE {
                let e = self.edge;
                let edge = &graph.edges[e as usize];
                self.edge = if self.incoming { edge.in_next } else { edge.out_next };
                if edge.kind != EdgeKind::Forward {
                    continue;
                }
                // A binding between two properties of this same entity is
                // reported once, from its source's out-list.
                if self.incoming && graph.nodes[edge.source as usize].entity == self.entity {
                    continue;
                }
                return Some(BindingId::new(e, edge.generation));
            }
            let node = &graph.nodes[self.node as usize];
            if !self.incoming {
                self.incoming = true;
                self.edge = node.in_head;
            } else {
                self.node = node.next_of_entity;
                self.enter_node();
            }
        }
        None
    }
}
