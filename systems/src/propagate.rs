//! [`propagate`]: the system that moves changes along bindings.
//!
//! The rules are documented on [`propagate`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use bindery_components::{EdgeKind, NONE};
use hecs::{Entity, World};
use tracing::{debug_span, warn};

use crate::graph::{BindingGraph, Origin, claimed, settled};
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
    /// Edges not followed because the same change had already claimed their
    /// target.
    pub cycles_cut: usize,
    /// Bindings removed because an endpoint had vanished behind the engine's
    /// back (entity despawned or component removed through the world).
    pub bindings_repaired: usize,
}

/// A settled property whose out-edges are to be expanded: `(node, the edge
/// that wrote it or NONE, the stamp of the change it carries)`.
type Wave = Vec<(u32, u32, u64)>;

/// Reusable buffers for [`propagate`], so a warmed-up tick allocates nothing.
#[derive(Default, Debug)]
pub struct PropagateScratch {
    origins: Vec<Origin>,
    frontier: Wave,
    batches: Vec<Vec<Fire>>,
    touched: Vec<u32>,
    out: LaneOutput,
    broken: Vec<u32>,
    /// Targets of this wave that already changed earlier in the tick: they
    /// are expanded even if their fire computes an equal value, so the
    /// earlier change still reaches their dependents.
    recheck: Vec<(u32, u32)>,
    /// The oldest stamp of the tick: marks below it are from earlier ticks.
    floor: u64,
    /// The tick's user changes resolved to nodes, oldest first.
    seeds: Vec<(u32, u64)>,
    /// Derivations scheduled in this pass, lowest height first.
    heap: BinaryHeap<Reverse<(u32, u32)>>,
    /// With change tracking on: every `(entity, property type)` that changed
    /// in the last call, possibly repeated, in no particular order.
    changed: Vec<(Entity, u32)>,
}

impl PropagateScratch {
    /// With change tracking on ([`BindingGraph::set_change_tracking`]), every
    /// `(entity, interned property type)` that changed during the last
    /// [`propagate`] call, by the user or by a binding. May hold repeats and
    /// entities despawned since; the caller drains it.
    pub fn changed(&mut self) -> &mut Vec<(Entity, u32)> {
        &mut self.changed
    }
}

/// Propagates every pending change of `graph` through `world` until the graph
/// settles.
///
/// # Rules
///
/// Every change the engine records — a user's `set` of a bound property, a
/// new (or resumed) binding's initial sync — takes a **stamp**: its place in
/// the order changes were made. One call settles the graph:
///
/// - **The newest change wins.** A property takes the value of the newest
///   change that reaches it. A change never overwrites a property claimed by
///   a newer one, so a user's value set after a binding was made survives
///   that binding's initial sync, the end of a two-way pair set last wins and
///   flows to the other end, and of several bindings writing one property the
///   one carrying the newest change wins. Within one change the nearest
///   binding wins, and among the bindings leaving one property the newest
///   fires first.
/// - **Each change writes a property at most once**, so two-way pairs never
///   ping-pong. Only when two changes of the same tick race to one property
///   can it be written twice (the older value first, then the newer).
/// - **Changes apply in the order they were made.** Consecutive user changes
///   form one run, propagated together breadth-first (newest first within
///   the run); an initial sync, or a derivation's first computation, runs on
///   its own once every older change has settled, so it reads a settled
///   source. Bindings created in any order (a chain built back to front,
///   say), mixed with sets, are consistent after one tick.
/// - **Equality-gated.** A target whose computed value equals its current
///   value is not written and propagates nothing further.
/// - **Cycles terminate.** An edge that reaches a property already claimed by
///   the same change (a cycle closing, or a second path to the same property)
///   is not followed; it is counted in [`PropagateStats::cycles_cut`]. The way
///   straight back along a two-way binding is never taken: that is how a pair
///   settles, and it is not counted.
///
/// Propagation is an explicit worklist (no recursion), so a chain of any
/// length settles in one call without growing the stack. Its cost is
/// proportional to the edges actually reached; an idle call returns at once.
/// All the changes of a tick advance together, wave by wave, so each wave is
/// one typed batch per lane whose memory accesses the processor can overlap.
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
    scratch.floor = graph.first_pending_stamp();
    let base = scratch.floor;
    std::mem::swap(&mut scratch.origins, &mut graph.pending);

    // Resolve user changes to nodes and claim each for its newest change:
    // the user's value is final against anything older. (Unbound properties
    // and despawned entities resolve to nothing.)
    for (i, origin) in scratch.origins.iter().enumerate() {
        if let Origin::Property { entity, ty } = *origin {
            let stamp = base + i as u64;
            if graph.track_changes {
                scratch.changed.push((entity, ty));
            }
            if let Some(node) = graph.node_of_type(entity, ty) {
                graph.nodes[node as usize].mark = settled(stamp);
                scratch.seeds.push((node, stamp));
            }
        }
    }

    // Every change in the order it was made. Consecutive user changes form
    // one run, propagated together (newest first within it); an initial
    // sync, or a derivation's first computation, runs on its own once every
    // older change has settled, so it reads a settled source.
    let count = scratch.origins.len();
    let (mut i, mut seed) = (0, 0);
    while i < count {
        match scratch.origins[i] {
            Origin::Property { .. } => {
                let mut j = i;
                while j < count && matches!(scratch.origins[j], Origin::Property { .. }) {
                    j += 1;
                }
                let end = if j < count { base + j as u64 } else { u64::MAX };
                let first = seed;
                while seed < scratch.seeds.len() && scratch.seeds[seed].1 < end {
                    seed += 1;
                }
                graph.pass += 1;
                for k in (first..seed).rev() {
                    let (node, stamp) = scratch.seeds[k];
                    if graph.nodes[node as usize].mark != settled(stamp) {
                        stats.changes_superseded += 1; // a newer change claimed it
                        continue;
                    }
                    stats.changes_applied += 1;
                    scratch.frontier.push((node, NONE, stamp));
                }
                run_waves(world, graph, scratch, &mut stats);
                i = j;
            }
            Origin::Derive { edge, generation } => {
                let stamp = base + i as u64;
                i += 1;
                let e = graph.edges[edge as usize];
                if !e.is_live() || e.generation != generation || !e.enabled {
                    continue;
                }
                if !graph.derivations[e.slot as usize].sync_pending {
                    continue; // already ran this tick, from settled inputs
                }
                graph.pass += 1;
                stats.changes_applied += 1;
                schedule(graph, scratch, &mut stats, e.slot, stamp);
                run_waves(world, graph, scratch, &mut stats);
            }
            Origin::Edge { edge, generation } => {
                let stamp = base + i as u64;
                i += 1;
                let e = graph.edges[edge as usize];
                if !e.is_live() || e.generation != generation || !e.enabled || e.sync_stamp != stamp {
                    continue; // removed, paused, resumed since, or fired by a newer change
                }
                graph.edges[edge as usize].sync_stamp = 0;
                let target = &mut graph.nodes[e.target as usize];
                let owner = target.stamp();
                if owner >= stamp {
                    stats.changes_superseded += 1; // the user changed it after the bind
                    continue;
                }
                graph.pass += 1;
                stats.changes_applied += 1;
                let source = graph.nodes[e.source as usize].entity;
                claim_and_fire(graph, scratch, &mut stats, (edge, e.lane, e.slot), e.target, source, stamp);
                // The sync's source is its origin: nothing it sets off may
                // write it back. Its own mark is restored afterwards.
                let source_mark = std::mem::replace(&mut graph.nodes[e.source as usize].mark, settled(stamp));
                run_waves(world, graph, scratch, &mut stats);
                graph.nodes[e.source as usize].mark = source_mark;
            }
        }
    }
    scratch.seeds.clear();
    scratch.origins.clear();

    if !scratch.broken.is_empty() {
        repair(world, graph, scratch, &mut stats);
    }
    stats
}

/// Waves at least this large get a [`warm_up`] pass.
const WARM_UP_MIN: usize = 64;

/// Touches, for every property of a large wave, its first out-edge and that
/// edge's target, in a loop whose iterations do not depend on each other, so
/// the processor overlaps the cache misses instead of taking them one by one
/// in the (much longer) expansion loop. Stable Rust has no safe prefetch
/// instruction; plain loads folded into a `black_box`ed sink do the same job.
fn warm_up(graph: &BindingGraph, wave: &[(u32, u32, u64)]) {
    let mut sink = 0u64;
    for &(node, _, _) in wave {
        let e = graph.nodes[node as usize].out_head;
        if e != NONE {
            let target = graph.edges[e as usize].target;
            sink ^= graph.nodes[target as usize].mark;
        }
    }
    std::hint::black_box(sink);
}

/// Claims `target` for the change `stamp` and queues edge `edge` to compute
/// it. A target that already changed earlier in this tick is noted for a
/// recheck: it must be expanded even if the fire computes an equal value, so
/// the earlier change still reaches its dependents. `lane` and `slot` locate
/// the transform (the edge's, or a derivation's).
#[inline]
fn claim_and_fire(
    graph: &mut BindingGraph,
    scratch: &mut PropagateScratch,
    stats: &mut PropagateStats,
    (edge, lane, slot): (u32, u32, u32),
    target: u32,
    source: Entity,
    stamp: u64,
) {
    let node = &mut graph.nodes[target as usize];
    if node.mark & 1 == 1 && node.stamp() >= scratch.floor {
        scratch.recheck.push((target, edge));
    }
    node.mark = claimed(stamp);
    stats.bindings_fired += 1;
    let fire = Fire { edge, slot, target_node: target, source, target: node.entity };
    enqueue(scratch, lane, fire);
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
/// until nothing changes. The frontier is kept newest change first, so within
/// a wave a newer change claims a property before an older one can.
fn run_waves(
    world: &mut World,
    graph: &mut BindingGraph,
    scratch: &mut PropagateScratch,
    stats: &mut PropagateStats,
) {
    loop {
        if scratch.frontier.len() >= WARM_UP_MIN {
            warm_up(graph, &scratch.frontier);
        }
        // Expand: every edge leaving a property settled in the last wave.
        for i in 0..scratch.frontier.len() {
            let (node, via, stamp) = scratch.frontier[i];
            let n = &graph.nodes[node as usize];
            if n.mark != settled(stamp) {
                // Overtaken by a newer change since it was queued.
                if via == NONE {
                    stats.changes_applied -= 1;
                    stats.changes_superseded += 1;
                }
                continue;
            }
            let source = n.entity;
            let back = if via == NONE { NONE } else { graph.edges[via as usize].twin };
            let mut e = n.out_head;
            while e != NONE {
                let edge = graph.edges[e as usize];
                let this = e;
                e = edge.out_next;
                if this == back || !edge.enabled {
                    continue;
                }
                if edge.kind == EdgeKind::Feeder {
                    schedule(graph, scratch, stats, edge.slot, stamp);
                    continue;
                }
                let target = &mut graph.nodes[edge.target as usize];
                let owner = target.stamp();
                if owner >= stamp {
                    if owner == stamp {
                        stats.cycles_cut += 1;
                    }
                    continue; // claimed by this change already, or by a newer one
                }
                if edge.sync_stamp != 0 && stamp >= edge.sync_stamp {
                    graph.edges[this as usize].sync_stamp = 0; // carries a change at least as new
                }
                claim_and_fire(
                    graph,
                    scratch,
                    stats,
                    (this, edge.lane, edge.slot),
                    edge.target,
                    source,
                    stamp,
                );
            }
        }
        scratch.frontier.clear();
        if scratch.touched.is_empty() && !fire_derivations(graph, scratch, stats) {
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
        stats.properties_written += scratch.out.written.len();
        for &(node, via) in &scratch.out.written {
            let n = &mut graph.nodes[node as usize];
            n.mark |= 1;
            scratch.frontier.push((node, via, n.stamp()));
            if graph.track_changes {
                scratch.changed.push((n.entity, n.ty));
            }
        }
        scratch.out.written.clear();
        for &(node, via) in &scratch.recheck {
            let n = &mut graph.nodes[node as usize];
            if n.mark & 1 == 0 {
                // Computed equal to a value it took earlier this tick: that
                // value still has to reach its dependents.
                n.mark |= 1;
                scratch.frontier.push((node, via, n.stamp()));
            }
        }
        scratch.recheck.clear();
        // Batches of several lanes interleave changes; restore newest-first.
        if !scratch.frontier.is_sorted_by(|a, b| a.2 >= b.2) {
            scratch.frontier.sort_by_key(|entry| std::cmp::Reverse(entry.2));
        }
    }
}

/// Schedules derivation `d`, whose input changed with `stamp`, to run once
/// every lower derivation of this pass has run.
fn schedule(
    graph: &mut BindingGraph,
    scratch: &mut PropagateScratch,
    stats: &mut PropagateStats,
    d: u32,
    stamp: u64,
) {
    let pass = graph.pass;
    let derivation = &mut graph.derivations[d as usize];
    if derivation.fired == pass {
        // An input changed after it ran: a cycle through the derivation.
        stats.cycles_cut += 1;
    } else if derivation.scheduled != pass {
        derivation.scheduled = pass;
        derivation.stamp = stamp;
        scratch.heap.push(Reverse((derivation.height, d)));
    } else {
        derivation.stamp = derivation.stamp.max(stamp);
    }
}

/// Once plain propagation is quiet: queues every scheduled derivation of the
/// lowest height (they cannot feed each other) as fires. Returns whether any
/// was queued.
fn fire_derivations(
    graph: &mut BindingGraph,
    scratch: &mut PropagateScratch,
    stats: &mut PropagateStats,
) -> bool {
    let Some(&Reverse((height, _))) = scratch.heap.peek() else {
        return false;
    };
    let pass = graph.pass;
    while let Some(&Reverse((h, d))) = scratch.heap.peek() {
        if h != height {
            break;
        }
        scratch.heap.pop();
        let derivation = &mut graph.derivations[d as usize];
        derivation.fired = pass;
        derivation.sync_pending = false;
        let (stamp, t, transform) =
            (derivation.stamp, derivation.target, (derivation.feeders[0], derivation.lane, derivation.slot));
        if graph.nodes[t as usize].stamp() > stamp {
            continue; // a newer change owns the target
        }
        // A derivation's lane reads its inputs itself; the fire's source is
        // unused.
        let target = graph.nodes[t as usize].entity;
        claim_and_fire(graph, scratch, stats, transform, t, target, stamp);
    }
    !scratch.touched.is_empty()
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
