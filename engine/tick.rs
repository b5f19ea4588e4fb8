//! The tick loop: [`Engine::tick`].

use std::time::Instant;

use bindery_systems::propagate;
use tracing::{debug, debug_span, error, warn};

use crate::{Engine, TickStats};

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
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn tick(&mut self) -> TickStats {
        let start = Instant::now();
        self.ticks += 1;
        let _span = debug_span!("tick", n = self.ticks).entered();
        if self.poisoned.is_some() {
            let rejected = self.drop_queued_commands();
            return TickStats {
                tick: self.ticks,
                commands_rejected: rejected,
                poisoned: true,
                duration: start.elapsed(),
                ..TickStats::default()
            };
        }
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_tick()));
        let mut stats = match run {
            Ok(stats) => stats,
            Err(payload) => {
                let reason = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic with no message".to_string());
                error!(%reason, "a transform, callback or command panicked during the tick: the engine is poisoned");
                self.poisoned = Some(reason);
                let rejected = self.drop_queued_commands();
                TickStats { commands_rejected: rejected, poisoned: true, ..TickStats::default() }
            }
        };
        stats.tick = self.ticks;
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
                duration = ?stats.duration,
                "tick settled"
            );
        }
        stats
    }

    /// The tick's systems, in order: commands, polls, propagation, observers.
    fn run_tick(&mut self) -> TickStats {
        let (commands_applied, commands_rejected) = self.apply_commands();
        let polls_changed = self.run_polls();
        let p = propagate(&mut self.world, &mut self.graph, &mut self.scratch);
        self.refresh_polls();
        let observers_notified = self.notify_observers();
        TickStats {
            changes_applied: p.changes_applied,
            changes_superseded: p.changes_superseded,
            bindings_fired: p.bindings_fired,
            properties_written: p.properties_written,
            cycles_cut: p.cycles_cut,
            bindings_repaired: p.bindings_repaired,
            commands_applied,
            commands_rejected,
            observers_notified,
            polls_changed,
            ..TickStats::default()
        }
    }

    /// Drops every queued command unapplied (their receipts see
    /// [`Error::EngineGone`](crate::Error::EngineGone)); returns how many.
    fn drop_queued_commands(&mut self) -> usize {
        self.commands.rx.try_iter().count()
    }

    /// Applies the commands queued by handles before this tick began (those
    /// sent while applying wait for the next tick), then refills the entity
    /// pool. Returns `(applied, rejected)`.
    fn apply_commands(&mut self) -> (usize, usize) {
        let queued = self.commands.rx.len();
        if queued == 0 {
            return (0, 0);
        }
        let _span = debug_span!("commands", queued).entered();
        let (mut applied, mut rejected) = (0, 0);
        while applied < queued {
            let Ok(command) = self.commands.rx.try_recv() else { break };
            applied += 1;
            if let Err(error) = command(self) {
                rejected += 1;
                warn!(%error, "command rejected");
            }
        }
        self.refill_pool();
        (applied, rejected)
    }
}
