//! [`Engine`]: the world, the binding graph and the tick.

use std::any::TypeId;
use std::fmt;

use bindery_components::{BindingId, BindingInfo, Property};
use bindery_systems::{BindingGraph, BindingsOf, DeriveFn, PropagateScratch, Sources};
use crossbeam_channel::{Receiver, Sender};
use hecs::{DynamicBundle, Entity, World};

use crate::Error;
use crate::handle::{Command, Handle};
use crate::observe::Observers;
use crate::poll::Polls;

/// Marks an entity reserved for [`Handle::spawn`] but not spawned yet.
pub(crate) struct Pooled;

/// The command queue and the pool of entity ids for handles.
pub(crate) struct Commands {
    pub(crate) tx: Sender<Command>,
    pub(crate) rx: Receiver<Command>,
    pub(crate) pool_tx: Sender<Entity>,
    pub(crate) pool_rx: Receiver<Entity>,
    /// Entities marked [`Pooled`]: in the pool, or handed out to a handle
    /// whose spawn command has not been applied yet.
    pub(crate) pooled: usize,
    /// How many ids the pool is refilled to; 0 until the first handle.
    pub(crate) pool_target: usize,
}

impl Commands {
    fn new(capacity: Option<usize>) -> Self {
        let (tx, rx) = match capacity {
            Some(n) => crossbeam_channel::bounded(n),
            None => crossbeam_channel::unbounded(),
        };
        let (pool_tx, pool_rx) = crossbeam_channel::unbounded();
        Self { tx, rx, pool_tx, pool_rx, pooled: 0, pool_target: 0 }
    }
}

/// The binding engine: a hecs [`World`] whose components are bindable
/// properties, the bindings between them, and the tick that propagates
/// changes.
///
/// Properties are plain components ([`Property`] is implemented for every
/// `Clone + PartialEq` component). A binding reads one entity's property and
/// writes another's (or another property of the same entity), optionally
/// through a transform; two-way bindings do both. Nothing propagates until
/// [`tick`](Engine::tick).
///
/// Despawning an entity removes every binding that touches it, so nothing can
/// be kept alive by a binding: [`entity_count`](Engine::entity_count) and
/// [`binding_count`](Engine::binding_count) return exactly to where they were.
///
/// # Example
/// ```
/// use bindery::{BindingId, Engine};
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Health(f32);
/// #[derive(Clone, Debug, PartialEq)]
/// struct BarWidth(f32);
/// #[derive(Clone, Debug, PartialEq)]
/// struct Label(String);
///
/// let mut engine = Engine::new();
/// let player = engine.spawn((Health(100.0),));
/// let bar = engine.spawn((BarWidth(0.0), Label(String::new())));
///
/// let w: BindingId = engine.bind_map(player, bar, |h: &Health| BarWidth(h.0 * 2.0))?;
/// engine.bind_map(player, bar, |h: &Health| Label(format!("{} HP", h.0)))?;
/// engine.tick();
/// assert_eq!(engine.get::<BarWidth>(bar)?, BarWidth(200.0));
///
/// engine.set(player, Health(40.0))?;
/// let stats = engine.tick();
/// assert_eq!(stats.properties_written, 2);
/// assert_eq!(engine.get::<Label>(bar)?, Label("40 HP".into()));
///
/// engine.despawn(player)?;
/// assert_eq!((engine.entity_count(), engine.binding_count()), (1, 0));
/// # Ok::<(), bindery::Error>(())
/// ```
pub struct Engine {
    pub(crate) world: World,
    pub(crate) graph: BindingGraph,
    pub(crate) scratch: PropagateScratch,
    pub(crate) ticks: u64,
    pub(crate) commands: Commands,
    pub(crate) observers: Observers,
    pub(crate) polls: Polls,
    /// Why the engine is poisoned: a transform, callback or command panicked
    /// during a tick.
    pub(crate) poisoned: Option<String>,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("entities", &self.entity_count())
            .field("bindings", &self.binding_count())
            .field("ticks", &self.ticks)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An empty engine. Its command queue for [`Handle`]s is unbounded.
    pub fn new() -> Self {
        Self::build(None)
    }

    /// An empty engine whose command queue holds at most `capacity` commands.
    ///
    /// The trade-off: an unbounded queue never makes a sender wait, but a
    /// producer that outruns the ticks grows it without limit; a bounded queue
    /// caps that memory, and then [`Handle`] calls block while it is full
    /// (their `try_*` forms return [`Error::Full`] instead). Never block on a
    /// full queue from the thread that ticks the engine.
    ///
    /// # Panics
    /// If `capacity` is 0 (a zero-capacity channel could never be drained by
    /// `tick`).
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::with_capacity(1);
    /// let e = engine.spawn((Score(0),));
    /// let handle = engine.handle();
    /// handle.try_set(e, Score(1))?;
    /// assert_eq!(handle.try_set(e, Score(2)), Err(bindery::Error::Full));
    /// engine.tick();
    /// assert_eq!(engine.get::<Score>(e)?, Score(1));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        assert!(capacity > 0, "a command queue needs room for at least one command");
        Self::build(Some(capacity))
    }

    fn build(capacity: Option<usize>) -> Self {
        Self {
            world: World::new(),
            graph: BindingGraph::new(),
            scratch: PropagateScratch::default(),
            ticks: 0,
            commands: Commands::new(capacity),
            observers: Observers::default(),
            polls: Polls::default(),
            poisoned: None,
        }
    }

    /// A [`Handle`] through which other threads queue commands for this
    /// engine. Clone it freely.
    pub fn handle(&mut self) -> Handle {
        if self.commands.pool_target == 0 {
            self.commands.pool_target = 64;
            self.refill_pool();
        }
        Handle::new(self.commands.tx.clone(), self.commands.pool_rx.clone())
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

    /// `Err(Error::Poisoned)` once a tick has panicked.
    pub(crate) fn live(&self) -> Result<(), Error> {
        match self.poisoned {
            None => Ok(()),
            Some(_) => Err(Error::Poisoned),
        }
    }

    /// Whether a transform, callback or command panicked during a tick. A
    /// poisoned engine refuses every call that returns a `Result` with
    /// [`Error::Poisoned`] and its ticks do nothing; it can still be read
    /// through [`world`](Engine::world) and dropped safely (nothing leaks).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.is_some()
    }

    /// What the panic that poisoned the engine said.
    pub fn poison_reason(&self) -> Option<&str> {
        self.poisoned.as_deref()
    }

    fn is_pooled(&self, entity: Entity) -> bool {
        self.commands.pooled > 0 && self.world.satisfies::<&Pooled>(entity)
    }

    /// The error for a query that found the entity without component `T`:
    /// a pooled entity does not exist yet.
    fn unsatisfied<T>(&self, entity: Entity) -> Error {
        if self.is_pooled(entity) { Error::NoSuchEntity(entity) } else { Error::missing::<T>(entity) }
    }

    fn query_error<T>(&self, entity: Entity, error: hecs::QueryOneError) -> Error {
        match error {
            hecs::QueryOneError::NoSuchEntity => Error::NoSuchEntity(entity),
            hecs::QueryOneError::Unsatisfied => self.unsatisfied::<T>(entity),
        }
    }

    /// Spawns an entity with the components of `bundle` (any hecs bundle,
    /// usually a tuple) and returns it.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, PartialEq)] struct Health(f32);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(100.0), "player"));
    /// assert!(engine.is_alive(player));
    /// ```
    pub fn spawn(&mut self, bundle: impl DynamicBundle) -> Entity {
        self.world.spawn(bundle)
    }

    /// Despawns `entity` and removes every binding that touches it, as source
    /// or target, in time proportional to that entity's bindings. The other
    /// endpoints keep their current values and no longer receive or send
    /// anything.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] if the entity is not alive.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Volume(f32);
    /// let mut engine = bindery::Engine::new();
    /// let slider = engine.spawn((Volume(0.3),));
    /// let mixer = engine.spawn((Volume(0.0),));
    /// engine.bind_two_way::<Volume>(slider, mixer)?;
    /// engine.tick();
    /// engine.despawn(slider)?;
    /// assert_eq!(engine.binding_count(), 0);
    /// assert_eq!(engine.get::<Volume>(mixer)?, Volume(0.3), "keeps its value");
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn despawn(&mut self, entity: Entity) -> Result<(), Error> {
        self.live()?;
        if self.is_pooled(entity) {
            return Err(Error::NoSuchEntity(entity));
        }
        if !self.world.contains(entity) {
            return Err(Error::NoSuchEntity(entity));
        }
        self.observers.forget(entity);
        self.polls.forget(entity);
        self.update_change_tracking();
        self.unlink_hierarchy(entity);
        bindery_systems::despawn(&mut self.world, &mut self.graph, entity)
            .map(|_| ())
            .map_err(|_| Error::NoSuchEntity(entity))
    }

    /// Whether `entity` is alive.
    pub fn is_alive(&self, entity: Entity) -> bool {
        self.world.contains(entity) && !self.is_pooled(entity)
    }

    /// Live entities: exactly the entities spawned and not yet despawned.
    /// Binding bookkeeping is not stored as entities, and the ids pooled for
    /// [`Handle::spawn`] are not counted until their spawn is applied.
    pub fn entity_count(&self) -> usize {
        self.world.len() as usize - self.commands.pooled
    }

    /// Live bindings; a two-way binding counts once.
    pub fn binding_count(&self) -> usize {
        self.graph.binding_count()
    }

    /// The world, for reading components and running queries.
    ///
    /// Prefer [`set`](Engine::set), [`insert`](Engine::insert) and
    /// [`modify`](Engine::modify) for writes: they propagate. See
    /// [`world_mut`](Engine::world_mut) for writing directly.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Replaces `entity`'s existing property `T` with `value`. If the value
    /// differs and the property is bound, it propagates on the next tick;
    /// writing an equal value does nothing.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`], or [`Error::MissingComponent`] if the entity
    /// has no `T` (use [`insert`](Engine::insert) to add one).
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(f32);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(100.0),));
    /// engine.set(player, Health(40.0))?;
    /// assert_eq!(engine.get::<Health>(player)?, Health(40.0));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn set<T: Property>(&mut self, entity: Entity, value: T) -> Result<(), Error> {
        self.live()?;
        let current = match self.world.query_one_mut::<&mut T>(entity) {
            Ok(current) => current,
            Err(e) => return Err(self.query_error::<T>(entity, e)),
        };
        if *current != value {
            *current = value;
            self.changed::<T>(entity);
        }
        Ok(())
    }

    /// Records that the engine changed `entity`'s property `T`: the next
    /// tick propagates it and tells its observers, and its polls take the
    /// new value as seen (it is no change behind the engine's back).
    pub(crate) fn changed<T: Property>(&mut self, entity: Entity) {
        if self.graph.mark_changed::<T>(entity) && self.polls.len() > 0 {
            let ty = self.graph.watch_type::<T>();
            self.polls.refresh(&self.world, entity, ty);
        }
    }

    /// Change tracking (the list of changed properties a settle reports) is
    /// on exactly while observers or polls need it.
    pub(crate) fn update_change_tracking(&mut self) {
        self.graph.set_change_tracking(self.observers.len() > 0 || self.polls.len() > 0);
    }

    /// Adds property `T` to `entity`, or replaces it like
    /// [`set`](Engine::set) if it is already there.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`].
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Label(String);
    /// let mut engine = bindery::Engine::new();
    /// let e = engine.spawn(());
    /// engine.insert(e, Label("ready".into()))?;
    /// assert_eq!(engine.get::<Label>(e)?, Label("ready".into()));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn insert<T: Property>(&mut self, entity: Entity, value: T) -> Result<(), Error> {
        self.live()?;
        match self.world.query_one_mut::<&mut T>(entity) {
            Ok(current) => {
                if *current != value {
                    *current = value;
                    self.changed::<T>(entity);
                }
                Ok(())
            }
            Err(hecs::QueryOneError::Unsatisfied) => {
                if self.is_pooled(entity) {
                    return Err(Error::NoSuchEntity(entity));
                }
                self.world.insert_one(entity, value).map_err(|_| Error::NoSuchEntity(entity))?;
                self.changed::<T>(entity); // news for observers of every T
                Ok(())
            }
            Err(hecs::QueryOneError::NoSuchEntity) => Err(Error::NoSuchEntity(entity)),
        }
    }

    /// Changes `entity`'s property `T` in place. If `f` changed it, the next
    /// tick propagates the change and tells its observers, as for
    /// [`set`](Engine::set).
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`]; `f` is not
    /// called.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Ammo(u32);
    /// let mut engine = bindery::Engine::new();
    /// let gun = engine.spawn((Ammo(30),));
    /// engine.modify(gun, |a: &mut Ammo| a.0 -= 1)?;
    /// assert_eq!(engine.get::<Ammo>(gun)?, Ammo(29));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn modify<T: Property>(&mut self, entity: Entity, f: impl FnOnce(&mut T)) -> Result<(), Error> {
        self.live()?;
        // Only a type some binding, observer or poll watches needs the copy
        // that tells whether `f` changed it.
        let watched = self.graph.types().get::<T>().is_some();
        let current = match self.world.query_one_mut::<&mut T>(entity) {
            Ok(current) => current,
            Err(e) => return Err(self.query_error::<T>(entity, e)),
        };
        if !watched {
            f(current);
            return Ok(());
        }
        let before = current.clone();
        f(current);
        if *current != before {
            self.changed::<T>(entity);
        }
        Ok(())
    }

    /// Removes property `T` from `entity` and every binding that touches that
    /// property, and returns its value.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`]; nothing is
    /// unbound then.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let a = engine.spawn((Score(1),));
    /// let b = engine.spawn((Score(0),));
    /// engine.bind::<Score>(a, b)?;
    /// assert_eq!(engine.remove::<Score>(a)?, Score(1));
    /// assert_eq!(engine.binding_count(), 0);
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn remove<T: Property>(&mut self, entity: Entity) -> Result<T, Error> {
        self.live()?;
        self.check_component::<T>(entity)?;
        self.graph.unlink_property::<T>(entity);
        self.world.remove_one::<T>(entity).map_err(|e| Error::from_component::<T>(entity, e))
    }

    /// A copy of `entity`'s component `T`.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`].
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(f32);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(100.0),));
    /// assert_eq!(engine.get::<Health>(player)?, Health(100.0));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn get<T: hecs::Component + Clone>(&self, entity: Entity) -> Result<T, Error> {
        self.read(entity, T::clone)
    }

    /// Runs `f` on a reference to `entity`'s component `T` and returns what it
    /// returns, without cloning the component.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`].
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Label(String);
    /// let mut engine = bindery::Engine::new();
    /// let e = engine.spawn((Label("hello".into()),));
    /// assert_eq!(engine.read(e, |l: &Label| l.0.len())?, 5);
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn read<T: hecs::Component, R>(&self, entity: Entity, f: impl FnOnce(&T) -> R) -> Result<R, Error> {
        self.live()?;
        let component = self.world.get::<&T>(entity).map_err(|e| Error::from_component::<T>(entity, e))?;
        Ok(f(&component))
    }

    /// Binds `source`'s property `T` to `target`'s property `T`, one way:
    /// whenever the source changes, the next tick copies it into the target.
    /// The next tick also copies it once now (initial sync).
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`] for either
    /// endpoint, [`Error::SelfBinding`] if both are the same entity.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Volume(f32);
    /// let mut engine = bindery::Engine::new();
    /// let setting = engine.spawn((Volume(0.8),));
    /// let mixer = engine.spawn((Volume(0.0),));
    /// engine.bind::<Volume>(setting, mixer)?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Volume>(mixer)?, Volume(0.8));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn bind<T: Property>(&mut self, source: Entity, target: Entity) -> Result<BindingId, Error> {
        self.bind_map(source, target, T::clone)
    }

    /// Binds `source`'s property `S` to `target`'s property `T` through the
    /// transform `f`, one way (NiceGUI's `bind_to` with `forward=`). The next
    /// tick runs `f` once for the initial sync, and again on every change of
    /// the source.
    ///
    /// Several bindings may leave one property and several may write one
    /// property; when more than one change reaches a property in a tick, the
    /// newest change wins (see [`tick`](Engine::tick)).
    ///
    /// `f` should be a pure function of its input: it runs during the tick,
    /// with no access to the engine.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`] for either
    /// endpoint, [`Error::SelfBinding`] if `source == target` and `S` is `T`.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(f32);
    /// # #[derive(Clone, Debug, PartialEq)] struct Label(String);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(100.0), Label(String::new())));
    /// engine.bind_map(player, player, |h: &Health| Label(format!("{} HP", h.0)))?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Label>(player)?, Label("100 HP".into()));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn bind_map<S, T, F>(&mut self, source: Entity, target: Entity, f: F) -> Result<BindingId, Error>
    where
        S: Property,
        T: Property,
        F: Fn(&S) -> T + Send + 'static,
    {
        self.live()?;
        self.check_binding::<S, T>(source, target)?;
        Ok(self.graph.link_map(source, target, f))
    }

    /// Binds `a`'s property `T` and `b`'s property `T` both ways: a change on
    /// either side reaches the other on the next tick.
    ///
    /// The initial sync runs from `a` to `b`: **the source wins**, exactly as
    /// with [`bind`](Engine::bind). (NiceGUI's `bind` lets the second object
    /// win; bindery keeps one rule for one-way and two-way bindings.) If both
    /// ends are set in the same tick, the end set last wins and flows to the
    /// other; each end is written at most once per tick, so the pair never
    /// ping-pongs.
    ///
    /// # Errors
    /// As [`bind`](Engine::bind).
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Volume(f32);
    /// let mut engine = bindery::Engine::new();
    /// let slider = engine.spawn((Volume(0.25),));
    /// let setting = engine.spawn((Volume(1.0),));
    /// engine.bind_two_way::<Volume>(slider, setting)?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Volume>(setting)?, Volume(0.25), "source wins");
    /// engine.set(setting, Volume(0.5))?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Volume>(slider)?, Volume(0.5));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn bind_two_way<T: Property>(&mut self, a: Entity, b: Entity) -> Result<BindingId, Error> {
        self.bind_two_way_map(a, b, T::clone, T::clone)
    }

    /// Binds `a`'s property `A` and `b`'s property `B` both ways, through
    /// `forward` (a to b) and `backward` (b to a), like NiceGUI's `bind` with
    /// `forward=` and `backward=`. The initial sync runs `forward`.
    ///
    /// The two transforms should be inverses of each other. If they are not,
    /// the pair still settles: the value never travels straight back along
    /// the binding it came from within a tick.
    ///
    /// # Errors
    /// As [`bind`](Engine::bind).
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Celsius(f64);
    /// # #[derive(Clone, Debug, PartialEq)] struct Fahrenheit(f64);
    /// let mut engine = bindery::Engine::new();
    /// let c = engine.spawn((Celsius(100.0),));
    /// let f = engine.spawn((Fahrenheit(0.0),));
    /// engine.bind_two_way_map(
    ///     c,
    ///     f,
    ///     |c: &Celsius| Fahrenheit(c.0 * 9.0 / 5.0 + 32.0),
    ///     |f: &Fahrenheit| Celsius((f.0 - 32.0) * 5.0 / 9.0),
    /// )?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Fahrenheit>(f)?, Fahrenheit(212.0));
    /// engine.set(f, Fahrenheit(32.0))?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Celsius>(c)?, Celsius(0.0));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn bind_two_way_map<A, B, F, G>(
        &mut self,
        a: Entity,
        b: Entity,
        forward: F,
        backward: G,
    ) -> Result<BindingId, Error>
    where
        A: Property,
        B: Property,
        F: Fn(&A) -> B + Send + 'static,
        G: Fn(&B) -> A + Send + 'static,
    {
        self.live()?;
        self.check_binding::<A, B>(a, b)?;
        Ok(self.graph.link_two_way(a, b, forward, backward))
    }

    /// Derives `target`'s property `T` from several properties: `f` receives
    /// references to the properties `M` of `sources` (a tuple of one to six
    /// entities) and returns the value. Glitch-free: within a tick a derived
    /// property is computed at most once, after all its inputs have settled
    /// (derivations run in topological order, lowest first), never from a
    /// half-updated mix. Derived properties can feed further derivations and
    /// plain bindings at any depth. The next tick computes it a first time.
    ///
    /// The derivation is a binding like any other: [`unbind`](Engine::unbind)
    /// removes it, despawning any source or the target removes it,
    /// [`set_enabled`](Engine::set_enabled) pauses it. A cycle through a
    /// derivation terminates (each derivation runs once per pass) and is
    /// counted in `TickStats::cycles_cut`.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`] for any
    /// endpoint, [`Error::SelfBinding`] if the target property is one of the
    /// sources.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(f32);
    /// # #[derive(Clone, Debug, PartialEq)] struct MaxHealth(f32);
    /// # #[derive(Clone, Debug, PartialEq)] struct Fraction(f32);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(50.0), MaxHealth(200.0)));
    /// let bar = engine.spawn((Fraction(0.0),));
    /// engine.derive(bar, (player, player), |(h, m): (&Health, &MaxHealth)| Fraction(h.0 / m.0))?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Fraction>(bar)?, Fraction(0.25));
    /// engine.set(player, MaxHealth(100.0))?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Fraction>(bar)?, Fraction(0.5));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn derive<M, T, F>(&mut self, target: Entity, sources: M::Entities, f: F) -> Result<BindingId, Error>
    where
        M: Sources,
        T: Property,
        F: DeriveFn<M, T>,
    {
        self.live()?;
        let inputs = bindery_systems::describe_sources::<M>(sources);
        for &(entity, _, _) in &inputs {
            if !self.is_alive(entity) {
                return Err(Error::NoSuchEntity(entity));
            }
        }
        if !self.is_alive(target) {
            return Err(Error::NoSuchEntity(target));
        }
        if inputs.iter().any(|&(e, ty, _)| e == target && ty == TypeId::of::<T>()) {
            return Err(Error::SelfBinding);
        }
        bindery_systems::check_sources::<M>(&self.world, sources)
            .map_err(|(entity, component)| Error::MissingComponent { entity, component })?;
        self.check_component::<T>(target)?;
        Ok(self.graph.link_derive::<M, T, F>(target, sources, f))
    }

    /// Removes a binding. Both endpoints keep their current values: a target
    /// holds the last value it received.
    ///
    /// # Errors
    /// [`Error::NoSuchBinding`] if it was already removed (unbound, or an
    /// endpoint despawned).
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let (a, b) = (engine.spawn((Score(1),)), engine.spawn((Score(0),)));
    /// let id = engine.bind::<Score>(a, b)?;
    /// engine.unbind(id)?;
    /// assert_eq!(engine.unbind(id), Err(bindery::Error::NoSuchBinding(id)));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn unbind(&mut self, id: BindingId) -> Result<(), Error> {
        self.live()?;
        if self.graph.unlink(id) { Ok(()) } else { Err(Error::NoSuchBinding(id)) }
    }

    /// Pauses (`false`) or resumes (`true`) a binding. A paused binding keeps
    /// its place but carries nothing; on resume, the next tick syncs the
    /// target from the source again, as on creation.
    ///
    /// # Errors
    /// [`Error::NoSuchBinding`].
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let (a, b) = (engine.spawn((Score(1),)), engine.spawn((Score(0),)));
    /// let id = engine.bind::<Score>(a, b)?;
    /// engine.set_enabled(id, false)?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Score>(b)?, Score(0));
    /// engine.set_enabled(id, true)?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Score>(b)?, Score(1));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn set_enabled(&mut self, id: BindingId, enabled: bool) -> Result<(), Error> {
        self.live()?;
        if self.graph.set_enabled(id, enabled) { Ok(()) } else { Err(Error::NoSuchBinding(id)) }
    }

    /// Every live binding touching `entity`, as source or target, each once
    /// (a two-way binding included). Empty for an entity without bindings or
    /// not alive.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let (a, b, c) = (engine.spawn((Score(1),)), engine.spawn((Score(0),)), engine.spawn((Score(0),)));
    /// let ab = engine.bind::<Score>(a, b)?;
    /// let bc = engine.bind_two_way::<Score>(b, c)?;
    /// let mut of_b: Vec<_> = engine.bindings_of(b).collect();
    /// of_b.sort();
    /// assert_eq!(of_b, vec![ab, bc]);
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn bindings_of(&self, entity: Entity) -> BindingsOf {
        self.graph.bindings_of(entity)
    }

    /// A description of a live binding: endpoints, property types, direction,
    /// whether it is enabled.
    ///
    /// # Errors
    /// [`Error::NoSuchBinding`].
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let (a, b) = (engine.spawn((Score(1),)), engine.spawn((Score(0),)));
    /// let id = engine.bind_two_way::<Score>(a, b)?;
    /// let info = engine.binding(id)?;
    /// assert_eq!((info.source, info.target, info.two_way), (a, b, true));
    /// assert!(info.source_type.ends_with("Score"));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn binding(&self, id: BindingId) -> Result<BindingInfo, Error> {
        self.live()?;
        self.graph.info(id).ok_or(Error::NoSuchBinding(id))
    }

    /// Every live binding, in no particular order.
    pub fn bindings(&self) -> impl Iterator<Item = BindingId> + '_ {
        self.graph.bindings()
    }

    /// Ticks run so far.
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// Changes waiting for the next tick.
    pub fn pending_changes(&self) -> usize {
        self.graph.pending_count()
    }

    /// Whether a live `entity` has component `T`; `Err` if it is not alive
    /// (a pooled entity does not exist yet).
    fn has_component<T: 'static + Send + Sync>(&self, entity: Entity) -> Result<bool, Error> {
        match self.world.entity(entity) {
            Ok(e) if !self.is_pooled(entity) => Ok(e.has::<T>()),
            _ => Err(Error::NoSuchEntity(entity)),
        }
    }

    pub(crate) fn check_component<T: 'static + Send + Sync>(&self, entity: Entity) -> Result<(), Error> {
        if self.has_component::<T>(entity)? { Ok(()) } else { Err(Error::missing::<T>(entity)) }
    }

    /// Validates a binding's endpoints, looking each entity up once. Errors
    /// come in a fixed order: a dead source, a dead target, a self-binding,
    /// then a missing component.
    fn check_binding<S: Property, T: Property>(&self, source: Entity, target: Entity) -> Result<(), Error> {
        let source_has = self.has_component::<S>(source)?;
        let target_has = self.has_component::<T>(target)?;
        if source == target && TypeId::of::<S>() == TypeId::of::<T>() {
            return Err(Error::SelfBinding);
        }
        if !source_has {
            return Err(Error::missing::<S>(source));
        }
        if !target_has {
            return Err(Error::missing::<T>(target));
        }
        Ok(())
    }

    /// Checks the binding graph's internal invariants (every edge's endpoints
    /// live, every index entry pointing at a live binding, counts consistent).
    /// For tests and fuzzing; O(graph).
    ///
    /// # Errors
    /// A description of the first violation found.
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        self.graph.check_invariants()?;
        for id in self.graph.bindings() {
            let info = self.graph.info(id).ok_or("listed binding has no info")?;
            for e in [info.source, info.target] {
                if !self.world.contains(e) {
                    return Err(format!("{id} touches dead entity {e:?}"));
                }
            }
        }
        Ok(())
    }
}
