//! The tick loop: [`Engine::tick`].

use std::time::Instant;

use bindery_systems::propagate;
use tracing::{debug, debug_span, error};

use crate::{Engine, Fault, FaultPolicy, FaultSource, Rejection, TickStats};

impl Engine {
    /// Runs one tick: every change made since the last tick propagates along
    /// every binding until the graph settles, and the tick's [`TickStats`]
    /// are returned.
    ///
    /// One tick settles everything, in dependency order: a chain of any
    /// length built in any order, fan-outs, derived properties (computed once,
    /// from final inputs), two-way pairs (each property is written at most
    /// once per tick, so pairs never ping-pong) and cycles (cut and counted).
    /// When several changes reach one property in the same tick, the newest
    /// change wins. The work is linear in what the tick touches; an idle tick
    /// costs the same whatever the number of bindings. The exact rules are
    /// on [`propagate`](bindery_systems::propagate#rules).
    ///
    /// A frame loop that changes the same properties tick after tick gets
    /// a **compiled schedule**: when a tick's changes are the same own
    /// changes as the tick before's (the same properties, set through any
    /// path), no binding was made, removed, paused or resumed in between,
    /// and everything they reach has a single writer (one binding or one
    /// derivation, no field binding, no cycle), the order of the
    /// computations is compiled once and replayed, each property computed
    /// directly after its inputs if one of them changed. (Where the graph's
    /// shape keeps changing, so that schedules are thrown away before they
    /// pay for themselves, a set of changes must repeat longer, up to 16
    /// ticks, before it is compiled.) Values, counts, faults and
    /// notifications are exactly those of a tick settled step by step;
    /// [`TickStats::scheduled`] says which ticks ran that way.
    ///
    /// # Example
    /// ```
    /// use bindery::Engine;
    ///
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct Level(u32);
    ///
    /// let mut engine = Engine::new();
    /// let chain: Vec<_> = (0..100).map(|_| engine.spawn((Level(0),))).collect();
    /// for pair in chain.windows(2) {
    ///     engine.bind::<Level>(pair[0], pair[1])?;
    /// }
    /// engine.tick();
    /// engine.set(chain[0], Level(7))?;
    /// let stats = engine.tick();
    /// assert_eq!(engine.get::<Level>(chain[99])?, Level(7));
    /// assert_eq!(stats.properties_written, 99);
    ///
    /// // The same change again: the tick replays a compiled schedule.
    /// engine.set(chain[0], Level(8))?;
    /// let stats = engine.tick();
    /// assert_eq!((stats.properties_written, stats.scheduled), (99, 1));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn tick(&mut self) -> TickStats {
        let start = Instant::now();
        self.ticks += 1;
        let _span = debug_span!("tick", n = self.ticks).entered();
        self.rejections.clear();
        self.faults.clear();
        if self.poisoned.is_some() {
            let rejected = self.poison(self.poisoned.clone().unwrap_or_default());
            return TickStats {
                tick: self.ticks,
                commands_rejected: rejected,
                poisoned: true,
                duration: start.elapsed(),
                ..TickStats::default()
            };
        }
        self.scratch.set_stop_on_fault(self.fault_policy == FaultPolicy::Poison);
        // Faults are caught where they happen (see `FaultPolicy`); what
        // reaches this guard (a `Poison` fault resumed, or a panic no binding,
        // observer or command owns, such as a component's `PartialEq` in a
        // poll) poisons the engine.
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_tick()));
        let mut stats = match run {
            Ok(stats) => stats,
            Err(payload) => {
                let reason = crate::faults::panic_message(&*payload);
                error!(%reason, "a panic during the tick: the engine is poisoned");
                self.collect_lane_faults();
                let rejected = self.poison(reason);
                TickStats { commands_rejected: rejected, poisoned: true, ..TickStats::default() }
            }
        };
        stats.tick = self.ticks;
        stats.faults = self.faults.len();
        stats.duration = start.elapsed();
        if stats.changes_applied + stats.changes_superseded + stats.bindings_repaired + stats.commands_applied
            > 0
        {
            debug!(
                changes = stats.changes_applied,
                superseded = stats.changes_superseded,
                fired = stats.bindings_fired,
                written = stats.properties_written,
                cut = stats.cycles_cut,
                repaired = stats.bindings_repaired,
                commands = stats.commands_applied,
                rejected = stats.commands_rejected,
                faults = stats.faults,
                rounds = stats.rounds,
                duration = ?stats.duration,
                "tick settled"
            );
        }
        if self.fault_policy == FaultPolicy::Panic
            && let Some(fault) = self.faults.first()
        {
            // The tick completed and the engine is consistent: now the
            // panic goes on.
            std::panic::resume_unwind(Box::new(fault.message.clone()));
        }
        stats
    }

    /// The tick's systems, in rounds: queued commands, polls (first round
    /// only), the settle, observers; then again while commands arrived
    /// during the round (from callbacks or other threads), up to
    /// [`max_rounds`](Engine::max_rounds).
    fn run_tick(&mut self) -> TickStats {
        let mut stats = TickStats { bindings_repaired: self.sweep_despawned(), ..TickStats::default() };
        while stats.rounds < self.max_rounds {
            stats.rounds += 1;
            let (applied, rejected) = self.apply_commands();
            stats.commands_applied += applied;
            stats.commands_rejected += rejected;
            if stats.rounds == 1 {
                stats.polls_changed = self.run_polls();
            }
            let p = propagate(&mut self.world, &mut self.graph, &mut self.scratch);
            stats.changes_applied += p.changes_applied;
            stats.changes_superseded += p.changes_superseded;
            stats.bindings_fired += p.bindings_fired;
            stats.properties_written += p.properties_written;
            stats.cycles_cut += p.cycles_cut;
            stats.bindings_repaired += p.bindings_repaired;
            stats.scheduled += self.scratch.take_scheduled() as usize;
            if !self.scratch.faults().is_empty() {
                self.collect_lane_faults();
            }
            self.refresh_polls();
            stats.observers_notified += self.notify_observers();
            if self.commands.rx.is_empty() {
                break;
            }
        }
        stats
    }

    /// Moves the faults the settle caught in transforms and derive
    /// functions into [`faults`](Engine::faults).
    fn collect_lane_faults(&mut self) {
        for fault in std::mem::take(self.scratch.faults()) {
            let source = if fault.derivation {
                FaultSource::Derivation(fault.binding)
            } else {
                FaultSource::Binding(fault.binding)
            };
            self.faults.push(Fault { source, message: fault.message });
        }
    }

    /// The most settles one tick runs (see [`set_max_rounds`](Engine::set_max_rounds)).
    pub fn max_rounds(&self) -> usize {
        self.max_rounds
    }

    /// Sets how many settles one tick may run, clamped to
    /// `1..=`[`MAX_ROUNDS`](Engine::MAX_ROUNDS) (the default is
    /// [`DEFAULT_ROUNDS`](Engine::DEFAULT_ROUNDS)).
    ///
    /// Commands that arrive while a tick runs (sent by a change callback
    /// reacting to the tick, or by another thread) are applied by that tick:
    /// after its observers have run, it applies them and settles again, round
    /// after round, until no command is left or the bound is reached; what is
    /// left waits for the next tick. A callback that keeps re-triggering
    /// itself therefore costs at most this many settles, never a hung tick.
    /// `1` restores "commands apply at the start of the next tick".
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(i32);
    /// # #[derive(Clone, Debug, PartialEq)] struct Warning(bool);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(100),));
    /// let panel = engine.spawn((Warning(false),));
    /// let game = engine.handle();
    /// engine.on_change(player, move |h: &Health| {
    ///     game.set(panel, Warning(h.0 < 25)).unwrap(); // a reaction
    /// })?;
    /// engine.set(player, Health(10))?;
    /// let stats = engine.tick();
    /// assert_eq!(engine.get::<Warning>(panel)?, Warning(true), "in the same frame");
    /// assert_eq!(stats.rounds, 2);
    /// engine.set_max_rounds(1);
    /// engine.set(player, Health(90))?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Warning>(panel)?, Warning(true), "one round: a frame late");
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn set_max_rounds(&mut self, rounds: usize) {
        self.max_rounds = rounds.clamp(1, Self::MAX_ROUNDS);
    }

    /// The largest [`set_max_rounds`](Engine::set_max_rounds) accepts.
    pub const MAX_ROUNDS: usize = 64;
    /// The number of rounds a new engine allows per tick.
    pub const DEFAULT_ROUNDS: usize = 8;

    /// The commands of the last tick that failed when applied, with the call
    /// that queued each and its error, in the order they were applied.
    pub fn rejections(&self) -> &[Rejection] {
        &self.rejections
    }
}
