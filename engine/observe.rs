//! Change callbacks and subscriptions: [`Engine::on_change`],
//! [`Engine::subscribe`], [`Engine::subscribe_all`].

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use bindery_components::Property;
use crossbeam_channel::Receiver;
use hecs::{Entity, World};

use crate::{Engine, Error, FaultPolicy, FaultSource};

/// Identifies a change callback or subscription, for
/// [`Engine::remove_observer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObserverId(u64);

impl fmt::Display for ObserverId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "observer {}", self.0)
    }
}

/// Called with the world and the changed entity; returns whether to keep
/// the observer (a subscription whose receiver was dropped returns `false`).
type ObserverFn = Box<dyn FnMut(&World, Entity) -> bool + Send>;

/// Every registered observer, by entity (one property) and by type (every
/// entity's property).
#[derive(Default)]
pub(crate) struct Observers {
    by_entity: HashMap<Entity, Vec<(u32, ObserverId, ObserverFn)>>,
    by_type: HashMap<u32, Vec<(ObserverId, ObserverFn)>>,
    index: HashMap<ObserverId, Option<Entity>>,
    next: u64,
}

impl Observers {
    fn add(&mut self, entity: Option<Entity>, ty: u32, f: ObserverFn) -> ObserverId {
        self.next += 1;
        let id = ObserverId(self.next);
        match entity {
            Some(entity) => self.by_entity.entry(entity).or_default().push((ty, id, f)),
            None => self.by_type.entry(ty).or_default().push((id, f)),
        }
        self.index.insert(id, entity);
        id
    }

    fn remove(&mut self, id: ObserverId) -> bool {
        let Some(entity) = self.index.remove(&id) else {
            return false;
        };
        match entity {
            Some(entity) => {
                if let Some(list) = self.by_entity.get_mut(&entity) {
                    list.retain(|(_, i, _)| *i != id);
                    if list.is_empty() {
                        self.by_entity.remove(&entity);
                    }
                }
            }
            None => {
                for list in self.by_type.values_mut() {
                    list.retain(|(i, _)| *i != id);
                }
                self.by_type.retain(|_, list| !list.is_empty());
            }
        }
        true
    }

    /// Drops every observer of `entity` (closing its subscriptions).
    pub(crate) fn forget(&mut self, entity: Entity) {
        if self.by_entity.is_empty() {
            return; // (a despawn's common case: nothing to hash)
        }
        if let Some(list) = self.by_entity.remove(&entity) {
            for (_, id, _) in list {
                self.index.remove(&id);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Every entity with an observer of its own, each once.
    pub(crate) fn entities(&self) -> impl Iterator<Item = Entity> + '_ {
        self.by_entity.keys().copied()
    }

    /// Runs the observers of every changed `(entity, type)`, each once, in
    /// order of entity then type; returns how many calls were made.
    ///
    /// A callback that panics is caught: with `stop` the panic is resumed at
    /// once, otherwise it is pushed to `panics` and the observer removed.
    pub(crate) fn notify(
        &mut self,
        world: &World,
        changed: &mut Vec<(Entity, u32)>,
        stop: bool,
        panics: &mut Vec<(ObserverId, Box<dyn Any + Send>)>,
    ) -> usize {
        if changed.is_empty() {
            return 0;
        }
        // hecs' order: by index, then generation (`to_bits` puts the
        // generation first).
        changed.sort_unstable_by_key(|&(entity, ty)| (entity.id(), entity.to_bits().get() >> 32, ty));
        changed.dedup();
        let mut calls = 0;
        let mut dropped = Vec::new();
        let mut call = |id: ObserverId, f: &mut ObserverFn, entity: Entity| {
            calls += 1;
            match catch_unwind(AssertUnwindSafe(|| f(world, entity))) {
                Ok(true) => {}
                Ok(false) => dropped.push(id),
                Err(payload) if stop => resume_unwind(payload),
                Err(payload) => {
                    panics.push((id, payload));
                    dropped.push(id);
                }
            }
        };
        for &(entity, ty) in changed.iter() {
            if !world.contains(entity) {
                continue;
            }
            if let Some(list) = self.by_entity.get_mut(&entity) {
                for (_, id, f) in list.iter_mut().filter(|(t, _, _)| *t == ty) {
                    call(*id, f, entity);
                }
            }
            if let Some(list) = self.by_type.get_mut(&ty) {
                for (id, f) in list.iter_mut() {
                    call(*id, f, entity);
                }
            }
        }
        changed.clear();
        for id in dropped {
            self.remove(id);
        }
        calls
    }
}

impl Engine {
    /// Calls `f` with the settled value of `entity`'s property `T` after
    /// every tick in which it changed (set by anyone or written by a
    /// binding), once per tick. Callbacks run after propagation has settled,
    /// ordered by entity, then property type, then registration.
    ///
    /// A callback sees the value only; it cannot touch the engine (it runs
    /// inside `tick`). To react with changes, capture a [`Handle`](crate::Handle)
    /// and queue them: they apply at the next tick.
    ///
    /// The callback is dropped with the entity, or by
    /// [`remove_observer`](Engine::remove_observer).
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`].
    ///
    /// # Example
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(f32);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(100.0),));
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// engine.on_change(player, move |h: &Health| log.lock().unwrap().push(h.0))?;
    /// engine.set(player, Health(80.0))?;
    /// engine.set(player, Health(60.0))?;
    /// engine.tick();
    /// engine.tick();
    /// assert_eq!(*seen.lock().unwrap(), vec![60.0], "once per tick, settled value");
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn on_change<T, F>(&mut self, entity: Entity, mut f: F) -> Result<ObserverId, Error>
    where
        T: Property,
        F: FnMut(&T) + Send + 'static,
    {
        self.live()?;
        self.check_component::<T>(entity)?;
        let ty = self.graph.watch_type::<T>();
        let id = self.observers.add(
            Some(entity),
            ty,
            Box::new(move |world, e| {
                if let Ok(value) = world.get::<&T>(e) {
                    f(&value);
                }
                true
            }),
        );
        self.update_change_tracking();
        Ok(id)
    }

    /// A channel that receives the settled value of `entity`'s property `T`
    /// after every tick in which it changed. Dropping the receiver ends the
    /// subscription at the next change; despawning the entity closes the
    /// channel (the receiver sees it disconnected).
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`].
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let board = engine.spawn((Score(0),));
    /// let scores = engine.subscribe::<Score>(board)?;
    /// engine.set(board, Score(3))?;
    /// engine.tick();
    /// assert_eq!(scores.try_recv(), Ok(Score(3)));
    /// engine.despawn(board)?;
    /// assert!(scores.recv().is_err(), "closed with the entity");
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn subscribe<T: Property>(&mut self, entity: Entity) -> Result<Receiver<T>, Error> {
        self.live()?;
        self.check_component::<T>(entity)?;
        let ty = self.graph.watch_type::<T>();
        let (tx, rx) = crossbeam_channel::unbounded();
        self.observers.add(
            Some(entity),
            ty,
            Box::new(move |world, e| match world.get::<&T>(e) {
                Ok(value) => tx.send(T::clone(&value)).is_ok(),
                Err(_) => true,
            }),
        );
        self.update_change_tracking();
        Ok(rx)
    }

    /// A channel that receives `(entity, value)` for every entity whose
    /// property `T` changed in a tick, once per tick each, in entity order.
    /// Dropping the receiver ends the subscription at the next change.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let scores = engine.subscribe_all::<Score>();
    /// let a = engine.spawn((Score(0),));
    /// let b = engine.spawn((Score(0),));
    /// engine.bind::<Score>(a, b)?;
    /// engine.set(a, Score(7))?;
    /// engine.tick();
    /// assert_eq!(scores.try_iter().collect::<Vec<_>>(), vec![(a, Score(7)), (b, Score(7))]);
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn subscribe_all<T: Property>(&mut self) -> Receiver<(Entity, T)> {
        let ty = self.graph.watch_type::<T>();
        let (tx, rx) = crossbeam_channel::unbounded();
        self.observers.add(
            None,
            ty,
            Box::new(move |world, e| match world.get::<&T>(e) {
                Ok(value) => tx.send((e, T::clone(&value))).is_ok(),
                Err(_) => true,
            }),
        );
        self.update_change_tracking();
        rx
    }

    /// Removes a change callback or subscription.
    ///
    /// # Errors
    /// [`Error::NoSuchObserver`] if it was removed already (or went with its
    /// entity).
    pub fn remove_observer(&mut self, id: ObserverId) -> Result<(), Error> {
        self.live()?;
        if !self.observers.remove(id) {
            return Err(Error::NoSuchObserver(id));
        }
        self.update_change_tracking();
        Ok(())
    }

    /// Live change callbacks and subscriptions.
    pub fn observer_count(&self) -> usize {
        self.observers.len()
    }

    /// Runs the observers after a tick and empties the list of changed
    /// properties; returns how many observers were called.
    pub(crate) fn notify_observers(&mut self) -> usize {
        if self.scratch.changed().is_empty() {
            return 0; // nothing to tell (and no callback ran to change who listens)
        }
        let stop = self.fault_policy == FaultPolicy::Poison;
        let mut panics = Vec::new();
        let calls = self.observers.notify(&self.world, self.scratch.changed(), stop, &mut panics);
        self.scratch.changed().clear();
        for (id, payload) in panics {
            self.caught(FaultSource::Observer(id), payload);
        }
        self.update_change_tracking();
        calls
    }
}
