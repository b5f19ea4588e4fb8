//! [`propagate`]: the system that settles every change along the bindings.
//!
//! The rules are documented on [`propagate`]; `settle.rs` holds the
//! mechanics (waves, the region walk), `cycles.rs` the claims inside cycles.
//! A settle whose changes repeat the last settle's, on a graph of the same
//! shape, where everything they reach has one writer and no cycle, replays
//! a compiled order instead (`schedule.rs`): the rules then reduce to
//! "each property once, after its inputs, if one of them changed", and the
//! outcome is the same.

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
/// bindings **as they stand when it runs**: a binding removed or paused
/// before it carries nothing, one created or resumed before it owes its
/// sync. So `set(a)` then `unbind(a → b)` in one frame leaves `b` alone,
/// and `bind(a → b)` then `set(a)` in one frame gives `b` the new value.
///
/// ## Glossary
///
/// - **Change**: what a settle carries. A property's **own change** (a
///   `set`, `insert`, `modify`, `mark_changed`, or a poll that saw a
///   difference), or the **sync** a binding owes its target when it was
///   created or resumed (a two-way binding syncs forward only: source to
///   target; a derivation's sync is its first computation).
/// - **Stamp**: a change's place in the order changes were made; newer is
///   greater. A binding is as new as its creation or last resume.
/// - **Offer**: a binding passing a change to its target once its source
///   has settled: the source's change if the source changed, its own sync if
///   it owes one and that is newer. A derivation offers once its inputs have
///   settled: the newest change among its inputs that changed (or its sync,
///   if newer). The **distance** of an offer is the number of bindings the
///   change crossed: one more than the source's (for a derivation, one more
///   than the nearest input bringing that change), one for a sync.
/// - **Settled**: decided for this settle. **Changed**: it has an own change
///   in this settle (its value is new, whichever change decided it), or the
///   binding that decided it wrote it. A changed property carries the change
///   that decided it: a property `set` in this settle but decided by a newer
///   change that computed the same value passes that newer change on.
/// - **Cut**: a binding that brought the deciding change a second way (a
///   cycle closing, another path) and was not computed; counted in
///   [`PropagateStats::cycles_cut`]. A derivation is one binding: several
///   of its inputs bringing one change are one offer (from the nearest),
///   and one cut at most.
/// - **Wave**: properties settled together, computed one typed batch per
///   **lane** (the store of one transform type).
///
/// ## The rules
///
/// 1. **Own changes.** Of several own changes of one property, the newest
///    counts; the older are superseded.
/// 2. **Dependency order.** A property settles after every bound property
///    that could still change it in this settle has settled. Each property
///    settles once and is written at most once; each binding and derivation
///    computes at most once; a derived property is computed from final
///    inputs, never from a half-updated mix.
/// 3. **The newest change wins.** A settling property is decided by the
///    newest of its own change and its offers; of equal stamps (one change by
///    several paths), the nearest; of those, the newest binding. Only the
///    deciding binding computes; the others that brought the same change are
///    cut.
/// 4. **Equality-gated.** A computed value equal to the current one is not
///    written. A property that did not change offers nothing onward (only
///    syncs still owed are offered), so an unchanged result stops a change.
/// 5. **Cycles.** Properties that can reach each other along bindings (a
///    two-way pair, a loop) have no dependency order among themselves. A
///    cycle settles as a whole once every binding into it from outside has
///    settled:
///    - Its entries are the own changes of its members, the offers of
///      bindings into it from outside, and the syncs owed by bindings inside
///      it.
///    - **Claims.** Changes claim members newest first. A change claims
///      the members it can reach in order of distance, nearest first: where
///      it enters (at the entry's distance) and one binding further from each
///      member it claimed (its flood) alike. Of the bindings reaching an
///      unclaimed member at one distance, the newest claims it (as in rule
///      3). A change never goes straight back along the two-way binding it
///      came by (that is how a pair settles; not counted); a member it
///      already claimed another way is a cut; a member a newer change
///      claimed stops it. A sync never claims its own source (reaching it is
///      a cut), and a sync whose source (for a derivation: an input in the
///      cycle) a newer change has claimed is carried by that change and
///      claims nothing.
///    - **Computing.** Changes are then applied oldest first, each in the
///      order it claimed, nearest first; of the members one change claimed
///      at one distance, a derivation is computed after those of them it
///      reads (derivations of one distance reading each other in a loop go
///      in an order left open, everything after the loop after it). A member claimed by its own change keeps it; one claimed
///      where a change entered (an offer from outside, a sync) is computed
///      by that binding; one claimed from other members (a derivation may
///      be reached through several inputs at once) is computed if one of
///      them changed, or if it has an own change of its own (which lost: its
///      value gives way to the claiming binding's). Rule 4 applies to every
///      computation; a derivation reads its other inputs as they are at
///      that moment. Unclaimed members keep their values.
///    - Claims are made before any value is known. So a member claimed
///      through a member that turned out unchanged keeps its value, even
///      when a farther binding brought the same change to it (that binding
///      is cut); and a newer change that leaves a member unchanged still
///      keeps older changes out of what it claimed beyond it.
///
/// Consequences: a chain of any length, built in any order, settles in one
/// call; the end of a two-way pair set last wins and reaches the other end;
/// a `set` made after a binding was created beats its initial sync, one made
/// before it loses to it; a derivation of `a` and a plain binding from `a`
/// into the same property is decided by the nearer (or, equally near, the
/// newer) one, and computed once.
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
#[inline]
pub fn propagate(
    world: &mut World,
    graph: &mut BindingGraph,
    scratch: &mut PropagateScratch,
) -> PropagateStats {
    if graph.pending.len() == 0 {
        return PropagateStats::default(); // an idle tick: nothing to look at
    }
    settle(world, graph, scratch)
}

/// [`propagate`] with something pending.
fn settle(world: &mut World, graph: &mut BindingGraph, scratch: &mut PropagateScratch) -> PropagateStats {
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
