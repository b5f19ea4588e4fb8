//! [`propagate`]: the system that moves changes along bindings.
//!
//! # The rules
//!
//! One call settles the graph:
//!
//! - **Newest change first.** Pending changes (user sets and the initial sync
//!   of new bindings) are taken newest first. Each one propagates
//!   breadth-first through every binding it reaches before the next, older
//!   change starts.
//! - **Each property is written at most once.** A property that a newer
//!   change already settled is not written again: the older change is
//!   superseded there. So two-way pairs never ping-pong, the end set last
//!   wins, and of several bindings writing one property the one carrying the
//!   newest change wins; within one change, the nearest binding wins, and
//!   among bindings leaving one property the newest binding fires first.
//! - **Equality-gated.** A target whose computed value equals its current
//!   value is not written and propagates nothing further.
//! - **Cycles terminate.** An edge that reaches a property already claimed in
//!   this call (a cycle closing, or a second path to the same property) is
//!   not followed; it is counted in [`PropagateStats::cycles_cut`]. The way
//!   straight back along a two-way binding is not counted: that is how a pair
//!   settles.
//!
//! Propagation is an explicit worklist (no recursion), so a chain of any
//! length settles in one call without growing the stack. Its cost is
//! proportional to the edges actually reached; an idle call returns at once.

use bindery_components::{EdgeKind, NONE};
use hecs::World;
use tracing::{debug_span, warn};

use crate::graph::{BindingGraph, Origin};
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
    let (claimed, settled) = graph.next_epoch();
    if scratch.batches.len() < graph.lanes.len() {
        scratch.batches.resize_with(graph.lanes.len(), Vec::new);
    }
    std::mem::swap(&mut scratch.origins, &mut graph.pending);

    for i in (0..scratch.origins.len()).rev() {
        match scratch.origins[i] {
            Origin::Property { node, generation } => {
                let n = &mut graph.nodes[node as usize];
                if !n.is_live() || n.generation != generation {
                    continue;
                }
                if n.mark == settled {
                    stats.changes_superseded += 1;
                    continue;
                }
                n.mark = settled;
                stats.changes_applied += 1;
                scratch.frontier.push((node, NONE));
            }
            Origin::Edge { edge, generation } => {
                let e = graph.edges[edge as usize];
                if !e.is_live() || e.generation != generation || !e.enabled {
                    continue;
                }
                let target = &mut graph.nodes[e.target as usize];
                if target.mark == claimed || target.mark == settled {
                    stats.changes_superseded += 1;
                    continue;
                }
                target.mark = claimed;
                stats.changes_applied += 1;
                stats.bindings_fired += 1;
                let source = graph.nodes[e.source as usize].entity;
                let target = graph.nodes[e.target as usize].entity;
                enqueue(scratch, e.lane, Fire { edge, slot: e.slot, target_node: e.target, source, target });
            }
        }
        run_waves(world, graph, scratch, &mut stats, claimed, settled);
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
fn run_waves(
    world: &mut World,
    graph: &mut BindingGraph,
    scratch: &mut PropagateScratch,
    stats: &mut PropagateStats,
    claimed: u32,
    settled: u32,
) {
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
                target.mark = claimed;
                stats.bindings_fired += 1;
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
