//! [`BindingGraph`]: the relationship store behind every binding.

use std::collections::HashMap;
use std::fmt;

use bindery_components::{BindingId, FieldName, Property};
use hecs::Entity;
use tracing::warn;

use crate::derive::{DeriveFn, DeriveLane, Sources};
use crate::field::FieldKey;
use crate::lane::{Lanes, MapLane};
use crate::pending::{Origin, Pending};
use crate::records::{Derivation, Edge, EdgeKind, Field, MAX_INPUTS, NONE, PropertyNode, WHOLE};
use crate::types::PropertyTypes;

mod fields;
mod inspect;

pub use inspect::BindingsOf;

/// The binding graph: property nodes, edges, derivations and the typed lanes
/// holding their transforms, kept consistent on every link, unlink and
/// despawn.
///
/// Nodes and edges live in dense arenas with free lists and generations
/// (slotmap-style), each node heading an intrusive out-list and in-list of
/// edges. The edge is the truth; the node lists mirror it, and only
/// `add_edge` / `remove_edge` touch both. Everything a binding owns (its
/// edges, its transform, its nodes when nothing else binds them) is freed
/// when the binding goes: there is no registry that could keep anything
/// alive.
///
/// Building is O(1) per binding (amortised), in any order: the graph keeps no
/// order of its own; each settle orders what it touches (see
/// [`propagate`](crate::propagate)). The arenas' linking and unlinking live
/// in `arena.rs`, field bindings in `graph/fields.rs`, the read-only views
/// (descriptions, bindings of an entity) in `graph/inspect.rs`, the
/// invariant check in `invariants.rs`.
///
/// Invariants (checked by [`check_invariants`](BindingGraph::check_invariants)):
/// every live edge joins two live nodes and sits on both their lists; a
/// two-way binding's edges are each other's twins; a feeder belongs to a live
/// derivation whose target is the feeder's target; every live node has an
/// edge and is on its entity's chain; the binding, node and transform counts
/// match what is live.
pub struct BindingGraph {
    pub(crate) nodes: Vec<PropertyNode>,
    pub(crate) free_nodes: Vec<u32>,
    pub(crate) edges: Vec<Edge>,
    pub(crate) free_edges: Vec<u32>,
    /// By entity index: the first node of that entity, or `NONE`.
    pub(crate) entity_nodes: Vec<u32>,
    pub(crate) lanes: Lanes,
    pub(crate) derivations: Vec<Derivation>,
    pub(crate) free_derivations: Vec<u32>,
    pub(crate) live_derivations: usize,
    pub(crate) types: PropertyTypes,
    /// Interned fields of component types, and their display names.
    pub(crate) fields: HashMap<FieldKey, Field>,
    pub(crate) field_names: Vec<FieldName>,
    /// Live bindings (a two-way binding and a derivation count once).
    pub(crate) bindings: usize,
    pub(crate) live_nodes: usize,
    pub(crate) pending: Pending,
    /// Whether settles report every changed property (for observers).
    pub(crate) track_changes: bool,
    /// Settles run so far; a node's `epoch` says which settle visited it.
    pub(crate) epoch: u32,
    /// Settles run so far, never wrapping: names the settle to the lanes
    /// (see `MapLane::last`).
    pub(crate) settles: u64,
    /// Bumped by every change of the graph's shape (an edge added, removed,
    /// paused or resumed): a compiled schedule is valid for one version
    /// (see `schedule.rs`).
    pub(crate) version: u64,
}

/// The endpoints of a binding being made (see `BindingGraph::ends`):
/// `(entity, interned type, node if any)` for the source and the target.
struct Ends {
    source: (Entity, u32, Option<u32>),
    target: (Entity, u32, Option<u32>),
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
            lanes: Lanes::default(),
            derivations: Vec::new(),
            free_derivations: Vec::new(),
            live_derivations: 0,
            types: PropertyTypes::default(),
            fields: HashMap::new(),
            field_names: Vec::new(),
            bindings: 0,
            live_nodes: 0,
            pending: Pending::default(),
            track_changes: false,
            epoch: 0,
            settles: 0,
            version: 0,
        }
    }

    /// The interned property types.
    pub fn types(&self) -> &PropertyTypes {
        &self.types
    }

    /// Makes room for `bindings` more one-way bindings, so binding them
    /// does not grow the graph's storage step by step (each step copies it
    /// and touches fresh memory). Like `Vec::reserve`: a hint, never needed.
    pub fn reserve(&mut self, bindings: usize) {
        let free_nodes = self.free_nodes.len();
        self.nodes.reserve((2 * bindings).saturating_sub(free_nodes));
        self.edges.reserve(bindings.saturating_sub(self.free_edges.len()));
    }

    /// Live bindings (a two-way binding and a derivation count once each).
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
        self.lanes.transforms()
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

    /// Changes waiting for the next settle.
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

    /// Whether `entity`'s property `T` is touched by any binding.
    pub fn is_bound<T: 'static>(&self, entity: Entity) -> bool {
        self.node_of::<T>(entity).is_some()
    }

    /// Records that `entity`'s property `T` changed. Returns whether anything
    /// was recorded: nothing is when type `T` was never bound or watched.
    ///
    /// The graph itself is not touched here (a set is on the caller's hot
    /// path); the settle resolves recorded changes to nodes in one batch.
    #[inline]
    pub fn mark_changed<T: 'static>(&mut self, entity: Entity) -> bool {
        match self.types.get::<T>() {
            Some(ty) => {
                self.pending.record(Origin::Property { entity, ty });
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

    pub(crate) fn is_primary(&self, index: u32, e: &Edge) -> bool {
        match e.kind {
            EdgeKind::Forward => true,
            EdgeKind::Reverse => false,
            EdgeKind::Feeder => self.derivations[e.slot as usize].first() == index,
        }
    }

    /// The id of the binding edge `e` belongs to.
    pub(crate) fn binding_of_edge(&self, e: u32) -> BindingId {
        let edge = &self.edges[e as usize];
        let primary = match edge.kind {
            EdgeKind::Forward => e,
            EdgeKind::Reverse => edge.twin,
            EdgeKind::Feeder => self.derivations[edge.slot as usize].first(),
        };
        BindingId::new(primary, self.edges[primary as usize].generation)
    }

    /// The live plain binding already joining `source`'s property `S` to
    /// `target`'s property `T`, if any: an edge in that direction, or (with
    /// `both_ways`) in either. Costs O(the smaller of the source's out-degree
    /// and the target's in-degree): the two lists are walked in lockstep.
    pub fn existing<S: 'static, T: 'static>(
        &self,
        source: Entity,
        target: Entity,
        both_ways: bool,
    ) -> Option<BindingId> {
        let (s, t) = (self.node_of::<S>(source)?, self.node_of::<T>(target)?);
        let found =
            self.edge_between(s, t).or_else(|| both_ways.then(|| self.edge_between(t, s)).flatten())?;
        Some(self.binding_of_edge(found))
    }

    /// A plain edge (not a feeder, not a field binding) from node `s` to node
    /// `t`.
    fn edge_between(&self, s: u32, t: u32) -> Option<u32> {
        let (mut out, mut into) = (self.nodes[s as usize].out_head, self.nodes[t as usize].in_head);
        let plain = |e: u32| {
            let edge = &self.edges[e as usize];
            edge.kind != EdgeKind::Feeder && !edge.is_field()
        };
        while out != NONE && into != NONE {
            let (o, i) = (&self.edges[out as usize], &self.edges[into as usize]);
            if o.target == t && plain(out) {
                return Some(out);
            }
            if i.source == s && plain(into) {
                return Some(into);
            }
            out = o.out_next;
            into = i.in_next;
        }
        None
    }

    /// Pauses or resumes a binding (both directions of a two-way one, every
    /// input of a derivation). Resuming owes the target a sync at the next
    /// settle. Returns `false` if the binding does not exist.
    pub fn set_enabled(&mut self, id: BindingId, enabled: bool) -> bool {
        let Some(edge) = self.forward_edge(id).copied() else {
            return false;
        };
        if edge.enabled == enabled {
            return true;
        }
        if edge.kind == EdgeKind::Feeder {
            let d = edge.slot as usize;
            let born = enabled.then(|| {
                self.pending.record(Origin::Derive { edge: id.index(), generation: id.generation() })
            });
            if let Some(born) = born {
                self.derivations[d].born = born;
            }
            let derivation = self.derivations[d];
            for &f in derivation.feeders() {
                self.set_edge_enabled(f, enabled);
                if let Some(born) = born {
                    self.edges[f as usize].born = born;
                }
            }
            return true;
        }
        self.set_edge_enabled(id.index(), enabled);
        if edge.twin != NONE {
            self.set_edge_enabled(edge.twin, enabled);
        }
        if enabled {
            self.owe_sync(id.index());
        }
        true
    }

    /// Finishes a new binding whose forward edge is `e` (and whose reverse
    /// edge is `twin`, for a two-way binding): counts it, owes its initial
    /// sync, and names it.
    fn bound(&mut self, e: u32, twin: Option<u32>) -> BindingId {
        if let Some(r) = twin {
            self.edges[e as usize].twin = r;
            self.edges[r as usize].twin = e;
        }
        self.bindings += 1;
        self.owe_sync(e);
        BindingId::new(e, self.edges[e as usize].generation)
    }

    /// Records the sync edge `e` owes its target and stamps the edge with it.
    fn owe_sync(&mut self, e: u32) {
        let stamp = self.pending.record_edge(e);
        self.edges[e as usize].born = stamp;
        if let Some(twin) = Some(self.edges[e as usize].twin).filter(|&t| t != NONE) {
            self.edges[twin as usize].born = stamp;
        }
    }

    /// Links `source`'s property `S` to `target`'s property `T` through `f`,
    /// and owes the target its initial sync. The caller has checked that both
    /// entities are alive, hold their components, are not the same property,
    /// and are not bound already ([`try_link_map`](Self::try_link_map) checks
    /// the last itself).
    pub fn link_map<S, T, F>(&mut self, source: Entity, target: Entity, f: F) -> BindingId
    where
        S: Property,
        T: Property,
        F: Fn(&S) -> T + Send + 'static,
    {
        let ends = self.ends::<S, T>(source, target);
        self.link_map_at(ends, f)
    }

    /// [`link_map`](Self::link_map), unless a plain binding already joins
    /// `source`'s `S` to `target`'s `T`: then nothing changes and that
    /// binding's id is the error. One lookup of each property serves the
    /// duplicate check and the link (the hot path of building a graph).
    pub fn try_link_map<S, T, F>(
        &mut self,
        source: Entity,
        target: Entity,
        f: F,
    ) -> Result<BindingId, BindingId>
    where
        S: Property,
        T: Property,
        F: Fn(&S) -> T + Send + 'static,
    {
        let ends = self.ends::<S, T>(source, target);
        match self.edge_between_ends(&ends, false) {
            Some(e) => Err(self.binding_of_edge(e)),
            None => Ok(self.link_map_at(ends, f)),
        }
    }

    /// Links `a`'s property `A` and `b`'s property `B` both ways: `forward`
    /// carries `a` to `b`, `backward` carries `b` to `a`. The initial sync runs
    /// forward (source wins). The caller has checked the endpoints (as for
    /// [`link_map`](Self::link_map)).
    pub fn link_two_way<A, B, F, G>(&mut self, a: Entity, b: Entity, forward: F, backward: G) -> BindingId
    where
        A: Property,
        B: Property,
        F: Fn(&A) -> B + Send + 'static,
        G: Fn(&B) -> A + Send + 'static,
    {
        let ends = self.ends::<A, B>(a, b);
        self.link_two_way_at(ends, forward, backward)
    }

    /// [`link_two_way`](Self::link_two_way), unless a plain binding already
    /// joins the two properties either way: then nothing changes and that
    /// binding's id is the error.
    pub fn try_link_two_way<A, B, F, G>(
        &mut self,
        a: Entity,
        b: Entity,
        forward: F,
        backward: G,
    ) -> Result<BindingId, BindingId>
    where
        A: Property,
        B: Property,
        F: Fn(&A) -> B + Send + 'static,
        G: Fn(&B) -> A + Send + 'static,
    {
        let ends = self.ends::<A, B>(a, b);
        match self.edge_between_ends(&ends, true) {
            Some(e) => Err(self.binding_of_edge(e)),
            None => Ok(self.link_two_way_at(ends, forward, backward)),
        }
    }

    fn link_map_at<S, T, F>(&mut self, ends: Ends, f: F) -> BindingId
    where
        S: Property,
        T: Property,
        F: Fn(&S) -> T + Send + 'static,
    {
        let (lane, store) = self.lanes.lane::<MapLane<S, T, F>>();
        let slot = store.insert(f);
        let (s, t) = self.ensure_ends(ends);
        let e = self.add_edge((s, t), (lane, slot), EdgeKind::Forward, (WHOLE, WHOLE));
        self.bound(e, None)
    }

    fn link_two_way_at<A, B, F, G>(&mut self, ends: Ends, forward: F, backward: G) -> BindingId
    where
        A: Property,
        B: Property,
        F: Fn(&A) -> B + Send + 'static,
        G: Fn(&B) -> A + Send + 'static,
    {
        let (s, t) = self.ensure_ends(ends);
        let (lane, store) = self.lanes.lane::<MapLane<A, B, F>>();
        let slot = store.insert(forward);
        let e = self.add_edge((s, t), (lane, slot), EdgeKind::Forward, (WHOLE, WHOLE));
        let (lane, store) = self.lanes.lane::<MapLane<B, A, G>>();
        let slot = store.insert(backward);
        let r = self.add_edge((t, s), (lane, slot), EdgeKind::Reverse, (WHOLE, WHOLE));
        self.bound(e, Some(r))
    }

    /// The two endpoints of a binding about to be made: each property's
    /// interned type, and its node if a binding touches it already.
    fn ends<S: 'static, T: 'static>(&mut self, source: Entity, target: Entity) -> Ends {
        self.repair_stale(source);
        self.repair_stale(target);
        let (s_ty, t_ty) = (self.types.intern::<S>(), self.types.intern::<T>());
        Ends {
            source: (source, s_ty, self.node_of_type(source, s_ty)),
            target: (target, t_ty, self.node_of_type(target, t_ty)),
        }
    }

    /// The plain edge joining `ends` (with `both_ways`, in either
    /// direction), if both are bound already.
    fn edge_between_ends(&self, ends: &Ends, both_ways: bool) -> Option<u32> {
        let (s, t) = (ends.source.2?, ends.target.2?);
        self.edge_between(s, t).or_else(|| both_ways.then(|| self.edge_between(t, s)).flatten())
    }

    /// The nodes of `ends`, made where they are missing.
    fn ensure_ends(&mut self, ends: Ends) -> (u32, u32) {
        let ((source, s_ty, s), (target, t_ty, t)) = (ends.source, ends.target);
        let s = s.unwrap_or_else(|| self.new_node(source, s_ty));
        // (The source's new node cannot be the target's: they are different
        // properties.)
        let t = t.unwrap_or_else(|| self.new_node(target, t_ty));
        (s, t)
    }

    /// Adds an edge from `source`'s `S` to `target`'s `T` whose transform is
    /// in `(lane, slot)`.
    fn add_typed_edge<S: 'static, T: 'static>(
        &mut self,
        (source, target): (Entity, Entity),
        transform: (u32, u32),
        kind: EdgeKind,
        units: (Field, Field),
    ) -> u32 {
        self.repair_stale(source);
        self.repair_stale(target);
        let (s_ty, t_ty) = (self.types.intern::<S>(), self.types.intern::<T>());
        let s = self.ensure_node(source, s_ty);
        let t = self.ensure_node(target, t_ty);
        self.add_edge((s, t), transform, kind, units)
    }

    /// Links a derivation: `target`'s property `T` is computed by `f` from the
    /// properties `M` of `sources`, and the first computation is owed. The
    /// caller has checked every endpoint.
    pub fn link_derive<M, T, F>(&mut self, target: Entity, sources: M::Entities, f: F) -> BindingId
    where
        M: Sources,
        T: Property,
        F: DeriveFn<M, T>,
    {
        let described = M::describe(sources);
        self.repair_stale(target);
        for &(entity, ..) in &described {
            self.repair_stale(entity);
        }
        let inputs: Vec<u32> = described
            .into_iter()
            .map(|(entity, id, name)| {
                let ty = self.types.intern_id(id, name);
                self.ensure_node(entity, ty)
            })
            .collect();
        let t_ty = self.types.intern::<T>();
        let t = self.ensure_node(target, t_ty);
        let (lane, store) = self.lanes.lane::<DeriveLane<M, T, F>>();
        let slot = store.insert(sources, f);
        let d = self.free_derivations.pop().unwrap_or_else(|| {
            self.derivations.push(Derivation::vacant());
            (self.derivations.len() - 1) as u32
        });
        let mut feeders = [NONE; MAX_INPUTS];
        for (i, &n) in inputs.iter().enumerate() {
            feeders[i] = self.add_edge((n, t), (lane, d), EdgeKind::Feeder, (WHOLE, WHOLE));
        }
        let feeders = &feeders[..inputs.len()];
        let first = feeders[0];
        let generation = self.edges[first as usize].generation;
        let born = self.pending.record(Origin::Derive { edge: first, generation });
        for &f in feeders {
            self.edges[f as usize].born = born;
        }
        self.derivations[d as usize] = Derivation::new(t, feeders, lane, slot, born);
        self.live_derivations += 1;
        self.bindings += 1;
        BindingId::new(first, generation)
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
            // A bound node has at least one edge; removing its binding may
            // free this node (and others of the entity), so restart from the
            // entity's current head.
            self.remove_binding(node.any_edge());
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
            self.remove_binding(self.nodes[n as usize].any_edge());
            removed += 1;
        }
        removed
    }

    /// Removes the bindings of nodes that still claim `entity`'s index but
    /// belong to an earlier generation: that entity was despawned behind the
    /// engine's back. Returns how many were removed.
    ///
    /// Every path that links a binding calls this for each endpoint before
    /// it looks any node up: the removal may free nodes of the other
    /// endpoints (those only the stale entity's bindings held).
    #[inline]
    pub fn repair_stale(&mut self, entity: Entity) -> usize {
        // An entity's chain never mixes generations (a node is only made
        // on a repaired chain), so its head tells.
        match self.entity_nodes.get(entity.id() as usize) {
            Some(&head) if head != NONE && self.nodes[head as usize].entity != entity => {
                self.remove_stale(entity)
            }
            _ => 0,
        }
    }

    #[cold]
    #[inline(never)]
    fn remove_stale(&mut self, entity: Entity) -> usize {
        let mut removed = 0;
        while let Some(&head) = self.entity_nodes.get(entity.id() as usize).filter(|&&n| n != NONE) {
            let stale = self.nodes[head as usize].entity;
            debug_assert_ne!(stale, entity, "a chain never mixes generations");
            warn!(?stale, live = ?entity, "bindings of a despawned entity were left behind; removing them");
            removed += self.unlink_entity(stale);
        }
        removed
    }
}
