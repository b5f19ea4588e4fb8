//! [`TickStats`]: what one tick did, as data.

use std::fmt;
use std::time::Duration;

/// What one [`Engine::tick`](crate::Engine::tick) did.
///
/// Tests and benchmarks read these numbers; nothing needs to parse logs.
///
/// # Example
/// ```
/// use bindery::Engine;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Volume(f32);
///
/// let mut engine = Engine::new();
/// let a = engine.spawn((Volume(0.5),));
/// let b = engine.spawn((Volume(0.0),));
/// engine.bind::<Volume>(a, b)?;
/// let stats = engine.tick();
/// assert_eq!((stats.tick, stats.changes_applied, stats.properties_written), (1, 1, 1));
/// assert_eq!(engine.tick().properties_written, 0, "nothing changed");
/// # Ok::<(), bindery::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TickStats {
    /// The tick's number, counting from 1.
    pub tick: u64,
    /// Changes that took effect: changes (`set`, `insert`, `modify`, polls,
    /// `mark_changed`) of bound properties that won their property, and the
    /// initial syncs of new or resumed bindings that won their target. A
    /// change of a property no binding touches is not counted.
    pub changes_applied: usize,
    /// Changes overtaken by a newer change within the tick: an older change
    /// of the same property, or a change or sync that lost its property to a
    /// newer change (the newer one wins). A sync whose binding carried a
    /// newer change of its source counts as neither applied nor superseded.
    pub changes_superseded: usize,
    /// Bindings and derivations that computed their target: at most one per
    /// property (or bound field) per settle.
    pub bindings_fired: usize,
    /// Properties whose value actually changed.
    pub properties_written: usize,
    /// Bindings that brought a change to a property the same change had
    /// already decided, and were not computed: a cycle closing, or a second
    /// path. A derivation counts once, however many of its inputs brought
    /// the change.
    pub cycles_cut: usize,
    /// Bindings removed because an endpoint vanished behind the engine's back
    /// (an entity despawned, or a component removed, through the world).
    pub bindings_repaired: usize,
    /// Commands from [`Handle`](crate::Handle)s applied by the tick
    /// (including rejected ones), over all its rounds.
    pub commands_applied: usize,
    /// Commands that failed when applied (a despawned entity, a missing
    /// component...); each is also logged with `warn!` and kept in
    /// `Engine::rejections`.
    pub commands_rejected: usize,
    /// Settles the tick ran: 1, plus one per round of commands that arrived
    /// while it ran (see `Engine::set_max_rounds`).
    pub rounds: usize,
    /// Of those settles, the ones run from a compiled schedule: a settle
    /// whose changes repeat the last settle's, on a graph of the same
    /// shape, where everything they reach has one writer and no cycle (see
    /// [`Engine::tick`](crate::Engine::tick)). The same values and counts
    /// as a settle run step by step, for less work.
    pub scheduled: usize,
    /// Change callbacks and subscriptions called after propagation.
    pub observers_notified: usize,
    /// Polled properties found changed (see `Engine::poll`).
    pub polls_changed: usize,
    /// Panics caught in user code during the tick (transforms, derive
    /// functions, callbacks, commands); see `Engine::faults` and
    /// `FaultPolicy`.
    pub faults: usize,
    /// Whether the engine is poisoned (under `FaultPolicy::Poison`, a panic
    /// during this tick or an earlier one): the tick did nothing more. See
    /// `Engine::is_poisoned`.
    pub poisoned: bool,
    /// Wall-clock time the tick took.
    pub duration: Duration,
}

impl fmt::Display for TickStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tick {}: {} changes, {} fired, {} written, {} cut in {:?}",
            self.tick,
            self.changes_applied,
            self.bindings_fired,
            self.properties_written,
            self.cycles_cut,
            self.duration
        )
    }
}
