//! Linking bindings into the graph: one-way, two-way and derived, each
//! endpoint looked up once for the duplicate check and the link, stale
//! chains repaired first; the initial sync each new binding owes.

use bindery_components::{BindingId, Property};
use hecs::Entity;

use super::BindingGraph;
use crate::derive::{DeriveFn, DeriveLane, Sources};
use crate::lane::MapLane;
use crate::pending::Origin;
use crate::records::{Derivation, EdgeKind, Field, MAX_INPUTS, NONE, WHOLE};

/// The endpoints of a binding being made (see `BindingGraph::ends`):
/// `(entity, interned type, node if any)` for the source and the target.
struct Ends {
    source: (Entity, u32, Option<u32>),
    target: (Entity, u32, Option<u32>),
}
impl BindingGraph {
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

    /// Finishes a new binding whose forward edge is `e` (and whose reverse
    /// edge is `twin`, for a two-way binding): counts it, owes its initial
    /// sync, and names it.
    pub(super) fn bound(&mut self, e: u32, twin: Option<u32>) -> BindingId {
        if let Some(r) = twin {
            self.edges[e as usize].twin = r;
            self.edges[r as usize].twin = e;
        }
        self.bindings += 1;
        self.owe_sync(e);
        BindingId::new(e, self.edges[e as usize].generation)
    }

    /// Records the sync edge `e` owes its target and stamps the edge with it.
    pub(super) fn owe_sync(&mut self, e: u32) {
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
    pub(super) fn add_typed_edge<S: 'static, T: 'static>(
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
}
