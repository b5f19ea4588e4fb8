//! The engine's side of its handles: the command queue, the pool of ids
//! that [`Handle::spawn`] hands out, and applying queued commands in a
//! tick. Only the engine touches the channels.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};
use hecs::{DynamicBundle, Entity};
use tracing::{debug_span, warn};

use crate::handle::{Command, Handle, Shared};
use crate::{Engine, Error, FaultSource, Rejection};

/// Marks an entity reserved for [`Handle::spawn`] but not spawned yet.
pub(crate) struct Pooled;

/// The command queue and the pool of entity ids for handles.
pub(crate) struct Commands {
    pub(crate) tx: Sender<Command>,
    pub(crate) rx: Receiver<Command>,
    pub(crate) pool_tx: Sender<Entity>,
    pub(crate) pool_rx: Receiver<Entity>,
    /// What handles know of the engine's state.
    pub(crate) shared: Arc<Shared>,
    /// Dropped when the engine is poisoned, which wakes handles waiting in
    /// `spawn` (they hold the receiver).
    pub(crate) alive_tx: Option<Sender<()>>,
    pub(crate) alive_rx: Receiver<()>,
    /// Entities marked [`Pooled`]: in the pool, or handed out to a handle
    /// whose spawn command has not been applied yet.
    pub(crate) pooled: usize,
    /// How many ids the pool is refilled to; 0 until the first handle.
    pub(crate) pool_target: usize,
}

impl Commands {
    pub(crate) fn new(capacity: Option<usize>) -> Self {
        let (tx, rx) = match capacity {
            Some(n) => crossbeam_channel::bounded(n),
            None => crossbeam_channel::unbounded(),
        };
        let (pool_tx, pool_rx) = crossbeam_channel::unbounded();
        let (alive_tx, alive_rx) = crossbeam_channel::bounded(0);
        let shared = Arc::new(Shared::default());
        Self {
            tx,
            rx,
            pool_tx,
            pool_rx,
            shared,
            alive_tx: Some(alive_tx),
            alive_rx,
            pooled: 0,
            pool_target: 0,
        }
    }
}

impl Engine {
    /// A [`Handle`] through which other threads queue commands for this
    /// engine. Clone it freely.
    pub fn handle(&mut self) -> Handle {
        if self.commands.pool_target == 0 {
            self.commands.pool_target = 64;
            self.refill_pool();
        }
        let c = &self.commands;
        Handle::new(c.tx.clone(), c.pool_rx.clone(), c.shared.clone(), c.alive_rx.clone())
    }

    /// Tops the pool of entity ids for [`Handle::spawn`] up, growing it when
    /// handles drained it since the last refill.
    pub(crate) fn refill_pool(&mut self) {
        let c = &mut self.commands;
        if c.pool_target == 0 {
            return;
        }
        let available = c.pool_rx.len();
        if available < c.pool_target / 4 {
            c.pool_target = (c.pool_target * 2).min(1 << 20);
        }
        for _ in available..c.pool_target {
            let entity = self.world.spawn((Pooled,));
            // Cannot fail: the engine holds a receiver.
            let _ = self.commands.pool_tx.send(entity);
            self.commands.pooled += 1;
        }
    }

    /// Turns a pooled entity handed out by [`Handle::spawn`] into a real one.
    pub(crate) fn adopt(&mut self, entity: Entity, bundle: impl DynamicBundle) -> Result<(), Error> {
        if self.world.remove_one::<Pooled>(entity).is_err() {
            return Err(Error::NoSuchEntity(entity));
        }
        self.commands.pooled -= 1;
        self.world.insert(entity, bundle).map_err(|_| Error::NoSuchEntity(entity))
    }

    /// Like [`adopt`](Engine::adopt), as a child of `parent`. If `parent` is
    /// gone, the pooled id is released instead and nothing is spawned.
    pub(crate) fn adopt_child(
        &mut self,
        entity: Entity,
        parent: Entity,
        bundle: impl DynamicBundle,
    ) -> Result<(), Error> {
        if !self.is_alive(parent) {
            if self.is_pooled(entity) {
                let _ = self.world.despawn(entity);
                self.commands.pooled -= 1;
            }
            return Err(Error::NoSuchEntity(parent));
        }
        self.adopt(entity, bundle)?;
        bindery_systems::attach(&mut self.world, entity, parent);
        Ok(())
    }

    pub(crate) fn is_pooled(&self, entity: Entity) -> bool {
        self.commands.pooled > 0 && self.world.satisfies::<&Pooled>(entity)
    }

    /// Applies the commands queued by handles before this round began (those
    /// sent while applying wait for the next round), then refills the entity
    /// pool. Returns `(applied, rejected)`.
    pub(crate) fn apply_commands(&mut self) -> (usize, usize) {
        if self.commands.rx.is_empty() {
            return (0, 0);
        }
        let queued = self.commands.rx.len();
        let _span = debug_span!("commands", queued).entered();
        let (mut applied, mut rejected) = (0, 0);
        while applied < queued {
            let Ok(mut command) = self.commands.rx.try_recv() else { break };
            applied += 1;
            let error = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| command.run(self))) {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => error,
                Err(payload) => {
                    let message = crate::faults::panic_message(&*payload);
                    command.panicked(Error::Panicked(message.clone()));
                    self.caught(FaultSource::Command, payload); // resumed under `Poison`
                    Error::Panicked(message)
                }
            };
            rejected += 1;
            let call = command.call();
            warn!(call, %error, "command rejected");
            self.rejections.push(Rejection { call, error });
        }
        self.refill_pool();
        (applied, rejected)
    }
}
