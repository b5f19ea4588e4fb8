//! [`Engine`]: the world, the binding graph and the tick.

use std::fmt;

use bindery_components::Property;
use bindery_systems::{BindingGraph, PropagateScratch};
use hecs::{DynamicBundle, Entity, World};

use crate::commands::Commands;
use crate::observe::Observers;
use crate::poll::Polls;
use crate::{Error, Fault, FaultPolicy, Rejection};

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
    /// The most settles one tick runs.
    pub(crate) max_rounds: usize,
    /// The last tick's rejected commands.
    pub(crate) rejections: Vec<Rejection>,
    /// How panics in user code are handled, and the last tick's.
    pub(crate) fault_policy: FaultPolicy,
    pub(crate) faults: Vec<Fault>,
    /// Whether `world_mut` was borrowed since the last tick: the next one
    /// looks for entities despawned through it.
    pub(crate) world_touched: bool,
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
    /// An empty engine. Its command queue for [`Handle`](crate::Handle)s is unbounded.
    pub fn new() -> Self {
        Self::build(None)
    }

    /// An empty engine whose command queue holds at most `capacity` commands.
    ///
    /// The trade-off: an unbounded queue never makes a sender wait, but a
    /// producer that outruns the ticks grows it without limit; a bounded queue
    /// caps that memory, and then [`Handle`](crate::Handle) calls block while it is full
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
            max_rounds: Self::DEFAULT_ROUNDS,
            rejections: Vec::new(),
            fault_policy: FaultPolicy::default(),
            faults: Vec::new(),
            world_touched: false,
        }
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
    /// usually a tuple) and returns it. On a poisoned engine it spawns nothing
    /// and returns [`Entity::DANGLING`](hecs::Entity::DANGLING) (see [`is_poisoned`](Engine::is_poisoned)).
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, PartialEq)] struct Health(f32);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(100.0), "player"));
    /// assert!(engine.is_alive(player));
    /// ```
    pub fn spawn(&mut self, bundle: impl DynamicBundle) -> Entity {
        if self.poisoned.is_some() {
            return Entity::DANGLING; // a poisoned engine changes nothing
        }
        self.world.spawn(bundle)
    }

    /// Despawns `entity`, its whole widget subtree (every entity with a
    /// [`ChildOf`](crate::ChildOf) chain leading to it), and every binding,
    /// derivation, poll and observer touching any of them, in time
    /// proportional to what goes; iterative, so a tree of any depth is fine.
    /// The other endpoints keep their current values and no longer receive
    /// or send anything. Entity and binding counts return exactly to what
    /// they were before the subtree was built.
    ///
    /// To keep a child, [`remove_parent`](Engine::remove_parent) it first.
    /// [`despawn_recursive`](Engine::despawn_recursive) does the same and
    /// returns how many entities went.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] if the entity is not alive.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Volume(f32);
    /// let mut engine = bindery::Engine::new();
    /// let mixer = engine.spawn((Volume(0.0),));
    /// let panel = engine.spawn(());
    /// let slider = engine.spawn_child(panel, (Volume(0.3),))?;
    /// engine.bind_two_way::<Volume>(slider, mixer)?;
    /// engine.tick();
    /// engine.despawn(panel)?;
    /// assert!(!engine.is_alive(slider), "the subtree goes with it");
    /// assert_eq!((engine.entity_count(), engine.binding_count()), (1, 0));
    /// assert_eq!(engine.get::<Volume>(mixer)?, Volume(0.3), "keeps its value");
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn despawn(&mut self, entity: Entity) -> Result<(), Error> {
        self.despawn_tree(entity).map(|_| ())
    }

    /// [`despawn`](Engine::despawn) and
    /// [`despawn_recursive`](Engine::despawn_recursive): returns how many
    /// entities went.
    pub(crate) fn despawn_tree(&mut self, root: Entity) -> Result<usize, Error> {
        self.live()?;
        if !self.is_alive(root) {
            return Err(Error::NoSuchEntity(root));
        }
        let (observers, polls) = (&mut self.observers, &mut self.polls);
        let removed = bindery_systems::despawn_recursive(&mut self.world, &mut self.graph, root, |e| {
            observers.forget(e);
            polls.forget(e);
        })
        .map_err(|_| Error::NoSuchEntity(root))?;
        self.update_change_tracking();
        Ok(removed.entities_removed)
    }

    /// Whether `entity` is alive.
    pub fn is_alive(&self, entity: Entity) -> bool {
        self.world.contains(entity) && !self.is_pooled(entity)
    }

    /// Live entities: exactly the entities spawned and not yet despawned.
    /// Binding bookkeeping is not stored as entities, and the ids pooled for
    /// [`Handle::spawn`](crate::Handle::spawn) are not counted until their spawn is applied.
    pub fn entity_count(&self) -> usize {
        self.world.len() as usize - self.commands.pooled
    }

    /// Makes room for `bindings` more bindings (one-way; a two-way binding
    /// takes two), so that making them does not grow the engine's storage
    /// step by step, each step copying what is there and touching fresh
    /// memory. Like [`Vec::reserve`], a hint for building a large UI at
    /// once: never needed, and nothing changes if it is wrong. (Not
    /// [`with_capacity`](Engine::with_capacity), which bounds the command
    /// queue.)
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Hp(u32);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Hp(3),));
    /// let bars: Vec<_> = (0..1_000).map(|_| engine.spawn((Hp(0),))).collect();
    /// engine.reserve(bars.len());
    /// for &bar in &bars {
    ///     engine.bind::<Hp>(player, bar)?;
    /// }
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn reserve(&mut self, bindings: usize) {
        self.graph.reserve(bindings);
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
    ///
    /// Once a [`Handle`](crate::Handle) exists, the world also holds the ids pooled for
    /// [`Handle::spawn`](crate::Handle::spawn) (entities with one private marker component and
    /// nothing else), which [`entity_count`](Engine::entity_count) leaves
    /// out: a query for your own components never sees them, but
    /// `world().len()` and a query for `()` do.
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
        if self.is_pooled(entity) {
            return Err(Error::NoSuchEntity(entity)); // reserved by a handle, not spawned yet
        }
        let component = self.world.get::<&T>(entity).map_err(|e| Error::from_component::<T>(entity, e))?;
        Ok(f(&component))
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
    pub(crate) fn has_component<T: 'static + Send + Sync>(&self, entity: Entity) -> Result<bool, Error> {
        match self.world.entity(entity) {
            Ok(e) if !self.is_pooled(entity) => Ok(e.has::<T>()),
            _ => Err(Error::NoSuchEntity(entity)),
        }
    }

    pub(crate) fn check_component<T: 'static + Send + Sync>(&self, entity: Entity) -> Result<(), Error> {
        if self.has_component::<T>(entity)? { Ok(()) } else { Err(Error::missing::<T>(entity)) }
    }

    /// Checks the binding graph's internal invariants (every edge's endpoints
    /// live, every index entry pointing at a live binding, counts consistent).
    /// For tests and fuzzing; O(graph).
    ///
    /// Whether a tick compiles the schedule of its changes the first time
    /// it may, instead of when the same changes come a second tick in a
    /// row (see the tick's documentation). For tests: every tick that can
    /// run from a compiled schedule then does.
    #[doc(hidden)]
    pub fn set_eager_schedules(&mut self, eager: bool) {
        self.scratch.set_eager_schedules(eager);
    }

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

impl Drop for Engine {
    /// Releases every queued command, so the work they captured is freed
    /// and their receipts see [`Error::EngineGone`], whatever the queue (a
    /// bounded channel would otherwise keep its buffer as long as any handle
    /// lives).
    fn drop(&mut self) {
        while self.commands.rx.try_recv().is_ok() {}
    }
}
