//! [`propagate`]: the system that settles every change along the bindings.
//!
//! The rules are documented on [`propagate`]; `settle.rs` holds the
//! mechanics (waves, the region walk), `cycles.rs` the claims inside cycles.

use hecs::World;
use tracing::{debug_span, warn};

use crate::graph::BindingGraph;
use crate::records::EdgeKind;
use crate::settle::{PropagateScratch, PropagateStats, Settle};

/// Settles every pending change of `graph` through `world`.
///
/// # Rules
///
/// A settle carries every change recorded since the last one along the
/// bindings **as they stand when it runs** (a binding removed or paused
/// before it carries nothing; one created before it owes its sync).
///
/// *Glossary.* A **change** is something the settle must carry: a
/// property's own change (a `set`, `insert`, `modify`, `mark_changed`, a
/// poll that saw a difference), or the **sync** a new or resumed binding or
/// derivation owes its target. Every change has a **stamp**: its place in
/// the order changes were made. A binding **offers** its target the change
/// its source carries (or its own sync); the **distance** of an offer is the
/// number of bindings the change crossed. A property is **settled** once its
/// value for this tick is decided; it **changed** if it had its own change
/// or the deciding binding wrote a different value. A **wave** is the set of
/// properties settled together, one typed batch per lane.
///
/// 1. **Own changes.** Of several changes to one property, the newest is its
///    own change; the older ones are superseded.
/// 2. **Dependency order.** A property settles after every bound property
///    that can change it in this settle; each property settles once, each
///    binding and derivation computes at most once, and each property is
///    written at most once. A derived property is computed from final
///    inputs, never from a half-updated mix.
/// 3. **The newest change wins.** When a property settles, its candidates
///    are its own change and the offers of the bindings into it: a binding
///    whose source changed offers the source's change; a binding that owes a
///    sync offers the newer of that and its own stamp. The newest stamp
///    wins; of one change reaching it by several paths, the **nearest**
///    (fewest bindings); of equally near ones, the newest binding. The others
///    are not computed; a second path of the winning change counts as a cut.
/// 4. **Equality-gated.** The winning binding computes the value; an equal
///    value is not written. Only a property that changed (or a binding that
///    owes a sync) offers anything onward, so an unchanged result stops the
///    change there.
/// 5. **Cycles** (two-way pairs, loops) have no dependency order. Inside a
///    cycle the newest change claims every property of the cycle it can
///    reach, nearest first, then the next newest what is left, and so on. A
///    change never travels straight back along the binding it arrived by
///    (that is how a pair settles, and it is not counted); reaching a
///    property it already claimed is a cut; a sync never claims its own
///    source, and a sync whose source a newer change claimed is carried by
///    that change. Claimed properties are then computed in order, older
///    changes first, each from the property that brought its change; inside
///    a cycle a claimed property is computed even if that property kept its
///    value.
///
/// Consequences: a chain of any length, built in any order, settles in one
/// call; the end of a two-way pair set last wins and reaches the other end;
/// a user's `set` made after a binding was created beats its initial sync,
/// one made before loses to it.
///
/// # Cost
///
/// Linear in what the settle touches: the properties reached and their
/// bindings, each visited a bounded number of times, whatever the graph's
/// size and whatever order it was built in. An idle call returns at once.
/// The settle is an explicit worklist, so a chain of any length settles
/// without growing the stack.
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
    if graph.pending.len() == 0 {
        return PropagateStats::default();
    }
    let _span = debug_span!("propagate", pending = graph.pending.len()).entered();
    let mut stats = Settle::start(world, graph, scratch).run();
    if !scratch.broken.is_empty() {
        repair(world, graph, scratch, &mut stats);
    }
    stats
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
