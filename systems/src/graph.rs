//! [`BindingGraph`]: the relationship store behind every binding.

use std::collections::HashMap;
use std::fmt;

use bindery_components::{BindingId, FieldName};
use hecs::Entity;
use tracing::warn;

use crate::field::FieldKey;
use crate::lane::Lanes;
use crate::pending::{Origin, Pending};
use crate::records::{Derivation, Edge, EdgeKind, Field, NONE, PropertyNode};
use crate::types::PropertyTypes;

mod fields;
mod inspect;
mod link;

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
/// in `arena.rs`, making bindings in `graph/link.rs`, field bindings in
/// `graph/fields.rs`, the read-only views (descriptions, bindings of an
/// entity) in `graph/inspect.rs`, the invariant check in `invariants.rs`.
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
