//! [`Handle`]: driving the engine from other threads.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bindery_components::{BindingId, Property};
use bindery_systems::{DeriveFn, Sources};
use crossbeam_channel::{Receiver, Sender, TrySendError};
use hecs::{DynamicBundle, Entity};

use crate::{Engine, Error};

/// A queued command: runs on the engine in the next tick, named by the
/// `Handle` call that queued it. One box, so the channel carries 16 bytes a
/// command.
pub(crate) type Command = Box<dyn Job>;

/// What a queued command is to the engine.
pub(crate) trait Job: Send {
    /// The `Handle` method, reported in a [`Rejection`](crate::Rejection).
    fn call(&self) -> &'static str;
    /// Runs the command (once).
    fn run(&mut self, engine: &mut Engine) -> Result<(), Error>;
    /// The command panicked in `run`: tells its receipt, if it has one.
    fn panicked(&mut self, _error: Error) {}
}

/// A fire-and-forget command.
struct Plain<F> {
    /// The call's name (a thin pointer: it keeps the box in the allocator's
    /// smallest size class for a `set`).
    call: &'static &'static str,
    f: Option<F>,
}

impl<F: FnOnce(&mut Engine) -> Result<(), Error> + Send> Job for Plain<F> {
    fn call(&self) -> &'static str {
        self.call
    }

    fn run(&mut self, engine: &mut Engine) -> Result<(), Error> {
        self.f.take().map_or(Ok(()), |f| f(engine))
    }
}

/// A command whose outcome goes to a [`Receipt`].
struct WithReceipt<T, F> {
    call: &'static &'static str,
    f: Option<F>,
    outcome: Sender<Result<T, Error>>,
}

impl<T, F> Job for WithReceipt<T, F>
where
    T: Send,
    F: FnOnce(&mut Engine) -> Result<T, Error> + Send,
{
    fn call(&self) -> &'static str {
        self.call
    }

    fn run(&mut self, engine: &mut Engine) -> Result<(), Error> {
        let Some(f) = self.f.take() else { return Ok(()) };
        let outcome = f(engine);
        let status = outcome.as_ref().map(|_| ()).map_err(Clone::clone);
        let _ = self.outcome.send(outcome); // the receipt may have been dropped
        status
    }

    fn panicked(&mut self, error: Error) {
        let _ = self.outcome.send(Err(error));
    }
}

/// What the engine shares with its handles.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Set once the engine is poisoned (see `Engine::is_poisoned`).
    pub(crate) poisoned: AtomicBool,
}

/// A cloneable, `Send + Sync` handle through which other threads drive an
/// [`Engine`] without locking it.
///
/// Every call queues a command on a crossbeam channel; the engine applies
/// the queued commands at the start of its next [`tick`](Engine::tick), in
/// send order per handle clone, before propagation — so they propagate in
/// that same tick (commands arriving while a tick runs are applied by it in
/// further rounds; see [`Engine::set_max_rounds`]). A command that fails
/// when applied (a despawned entity, a missing component) never blocks the
/// others: it is counted in
/// [`TickStats::commands_rejected`](crate::TickStats), kept in
/// [`Engine::rejections`] with its error, and logged with `warn!`.
///
/// Fire-and-forget calls (`set`, `insert`, `modify`, `despawn`, `unbind`)
/// return as soon as the command is queued. To learn a command's outcome,
/// use a call that returns a [`Receipt`] ([`bind`](Handle::bind) and friends,
/// or [`request`](Handle::request) for anything else) and
/// [`wait`](Receipt::wait) on it.
///
/// Once the engine is dropped, every call returns [`Error::EngineGone`]
/// (and every queued command is released); once it is poisoned (under
/// [`FaultPolicy::Poison`](crate::FaultPolicy::Poison)), every call returns
/// [`Error::Poisoned`].
///
/// # Example
/// ```
/// use bindery::Engine;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Score(u32);
///
/// let mut engine = Engine::new();
/// let board = engine.spawn((Score(0),));
/// let handle = engine.handle();
///
/// std::thread::spawn(move || {
///     for points in 1..=10 {
///         handle.set(board, Score(points)).unwrap();
///     }
/// })
/// .join()
/// .unwrap();
///
/// let stats = engine.tick();
/// assert_eq!(stats.commands_applied, 10);
/// assert_eq!(engine.get::<Score>(board)?, Score(10));
/// # Ok::<(), bindery::Error>(())
/// ```
#[derive(Clone)]
pub struct Handle {
    commands: Sender<Command>,
    pool: Receiver<Entity>,
    shared: Arc<Shared>,
    /// Disconnected when the engine is poisoned (wakes `spawn`).
    alive: Receiver<()>,
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").field("queued", &self.commands.len()).finish_non_exhaustive()
    }
}

/// The outcome of a queued command, available once a tick has applied it.
///
/// Dropping a receipt is fine: the command still runs.
#[must_use = "a receipt does nothing unless waited on; drop it to fire and forget"]
#[derive(Debug)]
pub struct Receipt<T> {
    outcome: Receiver<Result<T, Error>>,
}

impl<T> Receipt<T> {
    /// Blocks until a tick has applied the command, and returns its outcome.
    ///
    /// # Errors
    /// The command's own error, or [`Error::EngineGone`] if the engine was
    /// dropped before applying it.
    ///
    /// # Blocking
    /// Do not wait on the thread that owns the engine before ticking it: the
    /// command is applied by that thread's next `tick()`.
    pub fn wait(self) -> Result<T, Error> {
        self.outcome.recv().unwrap_or(Err(Error::EngineGone))
    }

    /// The outcome if the command was applied already, without blocking.
    pub fn try_wait(&self) -> Option<Result<T, Error>> {
        match self.outcome.try_recv() {
            Ok(outcome) => Some(outcome),
            Err(crossbeam_channel::TryRecvError::Empty) => None,
            Err(crossbeam_channel::TryRecvError::Disconnected) => Some(Err(Error::EngineGone)),
        }
    }
}

impl Handle {
    pub(crate) fn new(
        commands: Sender<Command>,
        pool: Receiver<Entity>,
        shared: Arc<Shared>,
        alive: Receiver<()>,
    ) -> Self {
        Self { commands, pool, shared, alive }
    }

    /// `Err(Error::Poisoned)` once the engine is poisoned.
    fn live(&self) -> Result<(), Error> {
        if self.shared.poisoned.load(Ordering::SeqCst) { Err(Error::Poisoned) } else { Ok(()) }
    }

    fn send(
        &self,
        call: &'static &'static str,
        run: impl FnOnce(&mut Engine) -> Result<(), Error> + Send + 'static,
    ) -> Result<(), Error> {
        self.send_command(Box::new(Plain { call, f: Some(run) }))
    }

    fn send_command(&self, command: Command) -> Result<(), Error> {
        self.live()?;
        self.commands.send(command).map_err(|_| Error::EngineGone)
    }

    fn try_send(
        &self,
        call: &'static &'static str,
        run: impl FnOnce(&mut Engine) -> Result<(), Error> + Send + 'static,
    ) -> Result<(), Error> {
        self.live()?;
        self.commands.try_send(Box::new(Plain { call, f: Some(run) })).map_err(|e| match e {
            TrySendError::Full(_) => Error::Full,
            TrySendError::Disconnected(_) => Error::EngineGone,
        })
    }

    /// An id from the pool, waiting for a tick to refill it if it is empty;
    /// not if the engine is poisoned or gone.
    fn reserve(&self) -> Result<Entity, Error> {
        self.live()?;
        crossbeam_channel::select! {
            recv(self.pool) -> entity => entity.map_err(|_| Error::EngineGone),
            recv(self.alive) -> _ => Err(self.live().err().unwrap_or(Error::EngineGone)),
        }
    }

    /// Queues `f` as call `call` with a [`Receipt`] for its result.
    fn queue<T, F>(&self, call: &'static &'static str, f: F) -> Result<Receipt<T>, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Engine) -> Result<T, Error> + Send + 'static,
    {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let command = Box::new(WithReceipt { call, f: Some(f), outcome: tx });
        self.send_command(command)?;
        Ok(Receipt { outcome: rx })
    }

    /// Queues `f` to run on the engine at the next tick and returns a
    /// [`Receipt`] for its result. An `Err` from `f` counts as a rejected
    /// command.
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    ///
    /// # Blocking
    /// With a bounded queue ([`Engine::with_capacity`]), blocks while it is
    /// full.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let gone = engine.spawn((Score(0),));
    /// engine.despawn(gone)?;
    /// let receipt = engine.handle().request(move |e| e.set(gone, Score(1)))?;
    /// let stats = engine.tick();
    /// assert_eq!(stats.commands_rejected, 1);
    /// assert_eq!(receipt.wait(), Err(bindery::Error::NoSuchEntity(gone)));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn request<T, F>(&self, f: F) -> Result<Receipt<T>, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Engine) -> Result<T, Error> + Send + 'static,
    {
        self.queue(&"request", f)
    }

    /// Queues [`Engine::set`].
    ///
    /// # Errors
    /// [`Error::EngineGone`]. Errors of the set itself are counted in
    /// `TickStats::commands_rejected`; use [`request`](Handle::request) to
    /// receive them.
    ///
    /// # Blocking
    /// With a bounded queue, blocks while it is full; see
    /// [`try_set`](Handle::try_set).
    pub fn set<T: Property>(&self, entity: Entity, value: T) -> Result<(), Error> {
        self.send(&"set", move |engine: &mut Engine| engine.set(entity, value))
    }

    /// Like [`set`](Handle::set), but never blocks.
    ///
    /// # Errors
    /// [`Error::Full`] if a bounded queue is full (the value is not queued),
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn try_set<T: Property>(&self, entity: Entity, value: T) -> Result<(), Error> {
        self.try_send(&"set", move |engine: &mut Engine| engine.set(entity, value))
    }

    /// Queues [`Engine::insert`].
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn insert<T: Property>(&self, entity: Entity, value: T) -> Result<(), Error> {
        self.send(&"insert", move |engine: &mut Engine| engine.insert(entity, value))
    }

    /// Queues [`Engine::modify`].
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn modify<T, F>(&self, entity: Entity, f: F) -> Result<(), Error>
    where
        T: Property,
        F: FnOnce(&mut T) + Send + 'static,
    {
        self.send(&"modify", move |engine: &mut Engine| engine.modify(entity, f))
    }

    /// Queues [`Engine::despawn`].
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn despawn(&self, entity: Entity) -> Result<(), Error> {
        self.send(&"despawn", move |engine: &mut Engine| engine.despawn(entity))
    }

    /// Queues [`Engine::unbind`].
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn unbind(&self, id: BindingId) -> Result<(), Error> {
        self.send(&"unbind", move |engine: &mut Engine| engine.unbind(id))
    }

    /// Queues [`Engine::bind`]; the receipt yields the new binding's id.
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn bind<T: Property>(&self, source: Entity, target: Entity) -> Result<Receipt<BindingId>, Error> {
        self.queue(&"bind", move |engine| engine.bind::<T>(source, target))
    }

    /// Queues [`Engine::bind_map`]; the receipt yields the new binding's id.
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn bind_map<S, T, F>(&self, source: Entity, target: Entity, f: F) -> Result<Receipt<BindingId>, Error>
    where
        S: Property,
        T: Property,
        F: Fn(&S) -> T + Send + 'static,
    {
        self.queue(&"bind_map", move |engine| engine.bind_map(source, target, f))
    }

    /// Queues [`Engine::bind_two_way`] (**`source`'s value survives the
    /// first sync**); the receipt yields the new binding's id.
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn bind_two_way<T: Property>(
        &self,
        source: Entity,
        target: Entity,
    ) -> Result<Receipt<BindingId>, Error> {
        self.queue(&"bind_two_way", move |engine| engine.bind_two_way::<T>(source, target))
    }

    /// Queues [`Engine::bind_two_way_map`] (**`source`'s value survives the
    /// first sync**); the receipt yields the new binding's id.
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn bind_two_way_map<A, B, F, G>(
        &self,
        source: Entity,
        target: Entity,
        forward: F,
        backward: G,
    ) -> Result<Receipt<BindingId>, Error>
    where
        A: Property,
        B: Property,
        F: Fn(&A) -> B + Send + 'static,
        G: Fn(&B) -> A + Send + 'static,
    {
        self.queue(&"bind_two_way_map", move |engine| {
            engine.bind_two_way_map(source, target, forward, backward)
        })
    }

    /// Spawns an entity with `bundle`, returning its id at once. The entity
    /// exists from the next tick on (`is_alive` is false until then); other
    /// commands may name it right away, and they apply after it in send
    /// order.
    ///
    /// Ids come from a pool the engine refills at every tick (it grows with
    /// demand).
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    ///
    /// # Blocking
    /// If the pool is empty, blocks until the next tick refills it — so the
    /// thread that owns the engine should spawn with [`Engine::spawn`].
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(f32);
    /// let mut engine = bindery::Engine::new();
    /// let handle = engine.handle();
    /// let enemy = handle.spawn((Health(30.0),))?;
    /// handle.set(enemy, Health(20.0))?;
    /// assert!(!engine.is_alive(enemy));
    /// engine.tick();
    /// assert_eq!(engine.get::<Health>(enemy)?, Health(20.0));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn spawn<B: DynamicBundle + Send + 'static>(&self, bundle: B) -> Result<Entity, Error> {
        let entity = self.reserve()?;
        self.send(&"spawn", move |engine: &mut Engine| engine.adopt(entity, bundle))?;
        Ok(entity)
    }

    /// Like [`spawn`](Handle::spawn), as a child of `parent`
    /// ([`Engine::spawn_child`]). If `parent` is gone when the command is
    /// applied, nothing is spawned and the command is rejected with
    /// [`Error::NoSuchEntity`] naming the parent.
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    ///
    /// # Blocking
    /// As [`spawn`](Handle::spawn).
    pub fn spawn_child<B: DynamicBundle + Send + 'static>(
        &self,
        parent: Entity,
        bundle: B,
    ) -> Result<Entity, Error> {
        let entity = self.reserve()?;
        self.send(&"spawn_child", move |engine: &mut Engine| engine.adopt_child(entity, parent, bundle))?;
        Ok(entity)
    }

    /// Queues [`Engine::set_parent`].
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn set_parent(&self, child: Entity, parent: Entity) -> Result<(), Error> {
        self.send(&"set_parent", move |engine: &mut Engine| engine.set_parent(child, parent))
    }

    /// Queues [`Engine::bind_field`]; the receipt yields the new binding's id.
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn bind_field<S, T, V, F, A>(
        &self,
        source: Entity,
        target: Entity,
        f: F,
        field: A,
    ) -> Result<Receipt<BindingId>, Error>
    where
        S: Property,
        T: Property,
        V: PartialEq + Send + 'static,
        F: Fn(&S) -> V + Send + 'static,
        A: Fn(&mut T) -> &mut V + Send + 'static,
    {
        self.queue(&"bind_field", move |engine| engine.bind_field(source, target, f, field))
    }

    /// Queues [`Engine::bind_two_way_field`]; the receipt yields the new
    /// binding's id.
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn bind_two_way_field<A, B, V, FA, FB>(
        &self,
        source: Entity,
        source_field: FA,
        target: Entity,
        target_field: FB,
    ) -> Result<Receipt<BindingId>, Error>
    where
        A: Property,
        B: Property,
        V: PartialEq + Clone + Send + 'static,
        FA: Fn(&mut A) -> &mut V + Clone + Send + 'static,
        FB: Fn(&mut B) -> &mut V + Clone + Send + 'static,
    {
        self.queue(&"bind_two_way_field", move |engine| {
            engine.bind_two_way_field(source, source_field, target, target_field)
        })
    }

    /// Queues [`Engine::derive`]; the receipt yields the new derivation's id.
    ///
    /// # Errors
    /// [`Error::EngineGone`], or [`Error::Poisoned`] (see [`Handle`]).
    pub fn derive<M, T, F>(
        &self,
        target: Entity,
        sources: M::Entities,
        f: F,
    ) -> Result<Receipt<BindingId>, Error>
    where
        M: Sources,
        T: Property,
        F: DeriveFn<M, T>,
    {
        self.queue(&"derive", move |engine| engine.derive::<M, T, F>(target, sources, f))
    }

    /// Commands queued and not yet applied (across all handles).
    pub fn queued(&self) -> usize {
        self.commands.len()
    }
}
