//! [`propagate`]: the system that moves changes along bindings.
//!
//! # The rules
//!
//! One call settles the graph. It works through the changes recorded since
//! the last call (user changes and the initial syncs owed by new or resumed
//! bindings) in two phases:
//!
//! 1. **Initial syncs, oldest binding first.** Each new binding copies its
//!    source into its target (through its transform) and the new value flows
//!    on breadth-first. A later sync may rewrite what an earlier one wrote, so
//!    bindings created in any order (a chain built back to front, say) end up
//!    consistent. A sync is skipped if its edge already fired during an
//!    earlier sync, and it never overwrites a property the user changed
//!    *after* the binding was made.
//! 2. **User changes, newest first.** Each change propagates breadth-first
//!    through every binding it reaches before the next, older change starts.
//!    **Each property is written at most once in this phase**: a property a
//!    newer change already settled is not written again, so two-way pairs
//!    never ping-pong, the end set last wins, and of several bindings writing
//!    one property the one carrying the newest change wins. Within one
//!    change, the nearest binding wins, and among bindings leaving one
//!    property the newest binding fires first.
//!
//! Throughout:
//!
//! - **Equality-gated.** A target whose computed value equals its current
//!   value is not written and propagates nothing further.
//! - **Cycles terminate.** An edge that reaches a property already claimed by
//!   the same change (a cycle closing, or a second path to the same property)
//!   is not followed; it is counted in [`PropagateStats::cycles_cut`]. The way
//!   straight back along a two-way binding is never taken: that is how a pair
//!   settles, and it is not counted.
//!
//! Propagation is an explicit worklist (no recursion), so a chain of any
//! length settles in one call without growing the stack. Its cost is
//! proportional to the edges actually reached; an idle call returns at once.

use bindery_components::{EdgeKind, NONE};
use hecs::World;
use tracing::{debug_span, warn};

use crate::graph::{BindingGraph, Marks, Origin};
use crate::lane::{Fire, LaneOutput};

/// What one [`propagate`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PropagateStats {
    /// Pending changes that propagated (user changes and initial syncs).
    pub changes_applied: usize,
    /// Pending changes overtaken by a newer change to the same property.
    pub changes_superseded: usize,
    /// Edges computed (transform run, target compared).
    pub bindings_fired: usize,
    /// Targets whose value actually changed.
    pub properties_written: usize,
    /// Edges not followed because their target was already claimed.
    pub cycles_cut: usize,
    /// Bindings removed because an endpoint had vanished behind the engine's
    /// back (entity despawned or component removed through the world).
    pub bindings_repaired: usize,
}

/// Reusable buffers for [`propagate`], so a warmed-up tick allocates nothing.
#[derive(Default, Debug)]
pub struct PropagateScratch {
    origins: Vec<Origin>,
    frontier: Vec<(u32, u32)>,
    batches: Vec<Vec<Fire>>,
    touched: Vec<u32>,
    out: LaneOutput,
    broken: Vec<u32>,
}

/// Propagates every pending change of `graph` through `world` until the graph
/// settles. See the [module documentation](self) for the rules.
///
/// # Example
/// ```
/// use bindery_systems::{BindingGraph, PropagateScratch, propagate};
/// use hecs::World;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Celsius(f64);
/// #[derive(Clone, Debug, PartialEq)]
/// struct Fahrenheit(f64);
///
/// let mut world = World::new();
/// let mut graph = BindingGraph::new();
/// let a = world.spawn((Celsius(100.0),));
/// let b = world.spawn((Fahrenheit(0.0),));
/// graph.link_map(a, b, |c: &Celsius| Fahrenheit(c.0 * 9.0 / 5.0 + 32.0));
///
/// let stats = propagate(&mut world, &mut graph, &mut PropagateScratch::default());
/// assert_eq!(stats.properties_written, 1);
/// assert_eq!(*world.get::<&Fahrenheit>(b).unwrap(), Fahrenheit(212.0));
/// ```
pub fn propagate(
    world: &mut World,
    graph: &mut BindingGraph,
    scratch: &mut PropagateScratch,
) -> PropagateStats {
    let mut stats = PropagateStats::default();
    if graph.pending.is_empty() {
        return stats;
    }
    let _span = debug_span!("propagate", pending = graph.pending.len()).entered();
    if scratch.batches.len() < graph.lanes.len() {
        scratch.batches.resize_with(graph.lanes.len(), Vec::new);
    }
    std::mem::swap(&mut scratch.origins, &mut graph.pending);

    // Note, on each property, its newest user change of this tick.
    let mut syncs = 0;
    for (seq, origin) in scratch.origins.iter().enumerate() {
        match *origin {
            Origin::Property { node, generation } => {
                let n = &mut graph.nodes[node as usize];
                if n.is_live() && n.generation == generation {
                    n.set_seq = seq as u32;
                }
            }
            Origin::Edge { .. } => syncs += 1,
        }
    }

    // Phase 1: initial syncs, oldest first, each with claims of its own.
    if syncs > 0 {
        for seq in 0..scratch.origins.len() {
            let Origin::Edge { edge, generation } = scratch.origins[seq] else {
                continue;
            };
            let e = graph.edges[edge as usize];
            if !e.is_live() || e.generation != generation || !e.enabled || !e.sync_pending {
                continue; // removed, paused, or already fired by an earlier sync
            }
            graph.edges[edge as usize].sync_pending = false;
            let seq = seq as u32;
            let target_set = graph.nodes[e.target as usize].set_seq;
            if target_set != NONE && target_set > seq {
                stats.changes_superseded += 1;
                continue;
            }
            let marks = graph.next_epoch();
            graph.nodes[e.source as usize].mark = marks.settled;
            graph.nodes[e.target as usize].mark = marks.claimed;
            stats.changes_applied += 1;
            stats.bindings_fired += 1;
            let fire = Fire {
                edge,
                slot: e.slot,
                target_node: e.target,
                source: graph.nodes[e.source as usize].entity,
                target: graph.nodes[e.target as usize].entity,
            };
            enqueue(scratch, e.lane, fire);
            run_waves(world, graph, scratch, &mut stats, marks, seq);
        }
    }

    // Phase 2: user changes, newest first, sharing one set of claims.
    if syncs < scratch.origins.len() {
        let marks = graph.next_epoch();
        for i in (0..scratch.origins.len()).rev() {
            let Origin::Property { node, generation } = scratch.origins[i] else {
                continue;
            };
            let n = &mut graph.nodes[node as usize];
            if !n.is_live() || n.generation != generation {
                continue;
            }
            n.set_seq = NONE;
            if n.mark == marks.settled {
                stats.changes_superseded += 1;
                continue;
            }
            n.mark = marks.settled;
            stats.changes_applied += 1;
            scratch.frontier.push((node, NONE));
            run_waves(world, graph, scratch, &mut stats, marks, NONE);
        }
    }
    scratch.origins.clear();

    if !scratch.broken.is_empty() {
        repair(world, graph, scratch, &mut stats);
    }
    stats
}

#[inline]
fn enqueue(scratch: &mut PropagateScratch, lane: u32, fire: Fire) {
    let batch = &mut scratch.batches[lane as usize];
    if batch.is_empty() {
        scratch.touched.push(lane);
    }
    batch.push(fire);
}

/// Breadth-first from the current frontier (and any fires already queued)
/// until nothing changes.
///
/// `guard` is the position of the sync being propagated (phase 1): a property
/// the user changed after that binding was made is left alone. `NONE` in
/// phase 2.
fn run_waves(
    world: &mut World,
    graph: &mut BindingGraph,
    scratch: &mut PropagateScratch,
    stats: &mut PropagateStats,
    marks: Marks,
    guard: u32,
) {
    let Marks { claimed, settled } = marks;
    loop {
        // Expand: every edge leaving a settled property of this wave.
        for i in 0..scratch.frontier.len() {
            let (node, via) = scratch.frontier[i];
            let back = if via == NONE { NONE } else { graph.edges[via as usize].twin };
            let source = graph.nodes[node as usize].entity;
            let mut e = graph.nodes[node as usize].out_head;
            while e != NONE {
                let edge = graph.edges[e as usize];
                let this = e;
                e = edge.out_next;
                if this == back || !edge.enabled {
                    continue;
                }
                let target = &mut graph.nodes[edge.target as usize];
                if target.mark == claimed || target.mark == settled {
                    stats.cycles_cut += 1;
                    continue;
                }
                if guard != NONE && target.set_seq != NONE && target.set_seq > guard {
                    continue; // the user changed it after this binding was made
                }
                target.mark = claimed;
                stats.bindings_fired += 1;
                if edge.sync_pending {
                    graph.edges[this as usize].sync_pending = false;
                }
                let fire = Fire {
                    edge: this,
                    slot: edge.slot,
                    target_node: edge.target,
                    source,
                    target: target.entity,
                };
                enqueue(scratch, edge.lane, fire);
            }
        }
        scratch.frontier.clear();
        if scratch.touched.is_empty() {
            return;
        }
        // Compute: one typed batch per lane.
        for &lane in &scratch.touched {
            let batch = &mut scratch.batches[lane as usize];
            graph.lanes[lane as usize].run(world, batch, &mut scratch.out);
            batch.clear();
        }
        scratch.touched.clear();
        scratch.broken.append(&mut scratch.out.broken);
        // Settle what was written; it is the next wave's frontier.
        for &(node, _) in &scratch.out.written {
            graph.nodes[node as usize].mark = settled;
        }
        stats.properties_written += scratch.out.written.len();
        std::mem::swap(&mut scratch.frontier, &mut scratch.out.written);
    }
}

/// Removes bindings whose endpoint vanished behind the engine's back.
fn repair(
    world: &World,
    graph: &mut BindingGraph,
    scratch: &mut PropagateScratch,
    stats: &mut PropagateStats,
) {
    for e in scratch.broken.drain(..) {
        let edge = graph.edges[e as usize];
        if !edge.is_live() {
            continue; // already repaired through another edge
        }
        let mut removed = 0;
        for n in [edge.source, edge.target] {
            let entity = graph.nodes[n as usize].entity;
            if !world.contains(entity) {
                warn!(?entity, "entity was despawned behind the engine's back; removing its bindings");
                removed += graph.unlink_entity(entity);
            }
        }
        if removed == 0 && graph.edges[e as usize].is_live() {
            let (s, t) = (graph.nodes[edge.source as usize], graph.nodes[edge.target as usize]);
            warn!(
                source = ?s.entity,
                target = ?t.entity,
                source_type = graph.types().name(s.ty),
                target_type = graph.types().name(t.ty),
                reverse = edge.kind == EdgeKind::Reverse,
                "a bound component was removed behind the engine's back; removing the binding"
            );
            graph.remove_binding(e);
            removed = 1;
        }
        stats.bindings_repaired += removed;
    }
}
