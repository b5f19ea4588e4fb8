//! [`BindingGraph`]: the relationship store behind every binding.

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;

use bindery_components::{BindingId, BindingInfo, Derivation, Edge, EdgeKind, NONE, Property, PropertyNode};
use hecs::Entity;
use tracing::warn;

use crate::derive::{DeriveFn, DeriveLane, Sources};
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
///
/// Its stamp is implicit: changes take consecutive stamps as they are
/// recorded, so the `i`-th pending change has the stamp of the first plus
/// `i` (see [`BindingGraph::first_pending_stamp`]).
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
    },
    /// A binding was created and owes its target the initial sync.
    Edge {
        /// The edge index.
        edge: u32,
        /// The edge's generation when the binding was created.
        generation: u32,
    },
    /// A derivation was created (or resumed) and owes its target the first
    /// computation.
    Derive {
        /// The derivation's first feeder edge.
        edge: u32,
        /// That edge's generation when the derivation was created.
        generation: u32,
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
    pub(crate) derivations: Vec<Derivation>,
    free_derivations: Vec<u32>,
    live_derivations: usize,
    /// Propagation passes so far: derivations run at most once per pass.
    pub(crate) pass: u64,
    height_stack: Vec<(u32, u32)>,
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
            derivations: Vec::new(),
            free_derivations: Vec::new(),
            live_derivations: 0,
            pass: 0,
            height_stack: Vec::new(),
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

    /// Live transforms held by all lanes (two per two-way binding, one per
    /// derivation). Drop checks compare it with the live edges.
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

    /// The node of `entity`'s property of interned type `ty`.
    pub(crate) fn node_of_type(&self, entity: Entity, ty: u32) -> Option<u32> {
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
                self.record(Origin::Property { entity, ty });
                true
            }
            None => false,
        }
    }

    /// Whether `id` names a live binding.
    pub fn contains(&self, id: BindingId) -> bool {
        self.forward_edge(id).is_some()
    }

    /// The edge a live binding is known by: its forward edge, or a
    /// derivation's first feeder.
    fn forward_edge(&self, id: BindingId) -> Option<&Edge> {
        self.edges
            .get(id.index() as usize)
            .filter(|e| e.is_live() && e.generation == id.generation() && self.is_primary(id.index(), e))
    }

    fn is_primary(&self, index: u32, e: &Edge) -> bool {
        match e.kind {
            EdgeKind::Forward => true,
            EdgeKind::Reverse => false,
            EdgeKind::Feeder => self.derivations[e.slot as usize].feeders[0] == index,
        }
    }

    /// The id of the binding an edge belongs to.
    fn binding_of_edge(&self, e: u32) -> BindingId {
        let edge = &self.edges[e as usize];
        let primary = match edge.kind {
            EdgeKind::Forward => e,
            EdgeKind::Reverse => edge.twin,
            EdgeKind::Feeder => self.derivations[edge.slot as usize].feeders[0],
        };
        BindingId::new(primary, self.edges[primary as usize].generation)
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
            inputs: match edge.kind {
                EdgeKind::Feeder => self.derivations[edge.slot as usize].feeders.len(),
                _ => 0,
            },
            enabled: edge.enabled,
        })
    }

    /// Every input of a live binding as `(entity, property type name)`: the
    /// source of a plain binding, each source of a derivation in order.
    pub fn inputs(&self, id: BindingId) -> Vec<(Entity, &'static str)> {
        let Some(edge) = self.forward_edge(id) else {
            return Vec::new();
        };
        let node = |n: u32| (self.nodes[n as usize].entity, self.types.name(self.nodes[n as usize].ty));
        match edge.kind {
            EdgeKind::Feeder => self.derivations[edge.slot as usize]
                .feeders
                .iter()
                .map(|&f| node(self.edges[f as usize].source))
                .collect(),
            _ => vec![node(edge.source)],
        }
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
        if edge.kind == EdgeKind::Feeder {
            let d = edge.slot as usize;
            for i in 0..self.derivations[d].feeders.len() {
                let f = self.derivations[d].feeders[i];
                self.edges[f as usize].enabled = enabled;
            }
            if enabled {
                self.derivations[d].sync_pending = true;
                self.record(Origin::Derive { edge: id.index(), generation: id.generation() });
            }
            return true;
        }
        self.edges[id.index() as usize].enabled = enabled;
        if edge.twin != NONE {
            self.edges[edge.twin as usize].enabled = enabled;
        }
        if enabled {
            let stamp = self.record(Origin::Edge { edge: id.index(), generation: id.generation() });
            self.edges[id.index() as usize].sync_stamp = stamp;
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
        self.raise_height(t, self.nodes[s as usize].height);
        self.bindings += 1;
        let generation = self.edges[e as usize].generation;
        let stamp = self.record(Origin::Edge { edge: e, generation });
        self.edges[e as usize].sync_stamp = stamp;
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
        self.raise_height(fa, self.nodes[fb as usize].height);
        id
    }

    /// Links a derivation: `target`'s property `T` is computed by `f` from the
    /// properties `M` of `sources`, and the first computation is scheduled.
    /// The caller has checked every endpoint.
    pub fn link_derive<M, T, F>(&mut self, target: Entity, sources: M::Entities, f: F) -> BindingId
    where
        M: Sources,
        T: Property,
        F: DeriveFn<M, T>,
    {
        let inputs = M::nodes(self, sources);
        let t = self.ensure_node::<T>(target);
        let lanes = &mut self.lanes;
        let lane = *self.lane_index.entry(TypeId::of::<DeriveLane<M, T, F>>()).or_insert_with(|| {
            lanes.push(Box::new(DeriveLane::<M, T, F>::default()));
            (lanes.len() - 1) as u32
        });
        let slot = self.lanes[lane as usize]
            .as_any_mut()
            .downcast_mut::<DeriveLane<M, T, F>>()
            .expect("lane index maps each TypeId to a lane of that type")
            .insert(sources, f);
        let d = self.free_derivations.pop().unwrap_or_else(|| {
            self.derivations.push(Derivation::vacant());
            (self.derivations.len() - 1) as u32
        });
        let height = 1 + inputs.iter().map(|&n| self.nodes[n as usize].height).max().unwrap_or(0);
        let feeders = inputs.iter().map(|&n| self.add_edge(n, t, lane, d, EdgeKind::Feeder)).collect();
        self.derivations[d as usize] = Derivation {
            target: t,
            feeders,
            lane,
            slot,
            height: height.min(self.height_cap()),
            sync_pending: true,
            ..Derivation::vacant()
        };
        self.live_derivations += 1;
        self.bindings += 1;
        self.raise_height(t, self.derivations[d as usize].height);
        let first = self.derivations[d as usize].feeders[0];
        let generation = self.edges[first as usize].generation;
        self.record(Origin::Derive { edge: first, generation });
        BindingId::new(first, generation)
    }

    /// Heights never exceed this: a height rising past it means a cycle runs
    /// through a derivation, which is cut there.
    fn height_cap(&self) -> u32 {
        self.live_derivations as u32 + 1
    }

    /// Raises `node`'s height to at least `height` and carries the rise
    /// downstream: unchanged across plain bindings, plus one across a
    /// derivation. Costs nothing while no derivation exists (all heights are
    /// 0). Iterative; a cycle through a derivation stops at the cap.
    fn raise_height(&mut self, node: u32, height: u32) {
        if self.nodes[node as usize].height >= height {
            return;
        }
        let cap = self.height_cap();
        let mut stack = std::mem::take(&mut self.height_stack);
        stack.push((node, height));
        while let Some((n, h)) = stack.pop() {
            if self.nodes[n as usize].height >= h {
                continue;
            }
            self.nodes[n as usize].height = h;
            let mut e = self.nodes[n as usize].out_head;
            while e != NONE {
                let edge = self.edges[e as usize];
                e = edge.out_next;
                match edge.kind {
                    EdgeKind::Forward | EdgeKind::Reverse => {
                        if self.nodes[edge.target as usize].height < h {
                            stack.push((edge.target, h));
                        }
                    }
                    EdgeKind::Feeder => {
                        let d = &mut self.derivations[edge.slot as usize];
                        let dh = (h + 1).min(cap);
                        if d.height < dh {
                            d.height = dh;
                            stack.push((d.target, dh));
                        }
                    }
                }
            }
        }
        self.height_stack = stack;
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
            let e = node.any_edge();
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
            let e = node.any_edge();
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

    /// Every live binding touching `entity` (as source or target), each once,
    /// in id order.
    pub fn bindings_of(&self, entity: Entity) -> BindingsOf {
        let mut ids = Vec::new();
        let mut n = self.entity_nodes.get(entity.id() as usize).copied().unwrap_or(NONE);
        while n != NONE {
            let node = &self.nodes[n as usize];
            if node.entity == entity {
                let mut e = node.out_head;
                while e != NONE {
                    ids.push(self.binding_of_edge(e));
                    e = self.edges[e as usize].out_next;
                }
                let mut e = node.in_head;
                while e != NONE {
                    ids.push(self.binding_of_edge(e));
                    e = self.edges[e as usize].in_next;
                }
            }
            n = node.next_of_entity;
        }
        ids.sort_unstable();
        ids.dedup();
        BindingsOf { ids: ids.into_iter() }
    }

    /// Every live binding, in slot order.
    pub fn bindings(&self) -> impl Iterator<Item = BindingId> + '_ {
        self.edges
            .iter()
            .enumerate()
            .filter(|(i, e)| e.is_live() && self.is_primary(*i as u32, e))
            .map(|(i, e)| BindingId::new(i as u32, e.generation))
    }

    /// Removes the binding that owns edge `e` (and its twin).
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

    fn remove_derivation(&mut self, d: u32) {
        let derivation = std::mem::replace(&mut self.derivations[d as usize], Derivation::vacant());
        for f in derivation.feeders {
            self.remove_edge(f);
        }
        self.lanes[derivation.lane as usize].release(derivation.slot);
        self.free_derivations.push(d);
        self.live_derivations -= 1;
        self.bindings -= 1;
    }

    pub(crate) fn ensure_node<T: 'static>(&mut self, entity: Entity) -> u32 {
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
            sync_stamp: 0,
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
        if edge.kind != EdgeKind::Feeder {
            self.lanes[edge.lane as usize].release(edge.slot);
        }
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

    /// Records a change with the next stamp, and returns the stamp.
    #[inline]
    fn record(&mut self, origin: Origin) -> u64 {
        self.stamp += 1;
        self.pending.push(origin);
        self.stamp
    }

    /// The stamp of the oldest pending change (the others follow it one by
    /// one).
    pub fn first_pending_stamp(&self) -> u64 {
        self.stamp + 1 - self.pending.len() as u64
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
            if e.kind == EdgeKind::Feeder {
                let d = &self.derivations[e.slot as usize];
                if !d.is_live() || !d.feeders.contains(&(i as u32)) || d.target != e.target {
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
            return Err(format!("binding count {} but {bindings} forward edges", self.bindings));
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
#[derive(Debug, Clone)]
pub struct BindingsOf {
    ids: std::vec::IntoIter<BindingId>,
}

impl Iterator for BindingsOf {
    type Item = BindingId;

    fn next(&mut self) -> Option<BindingId> {
        self.ids.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ids.size_hint()
    }
}

impl ExactSizeIterator for BindingsOf {}
