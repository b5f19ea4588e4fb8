//! Polled properties and explicit change marks, for values changed behind
//! the engine's back: [`Engine::poll`], [`Engine::mark_changed`],
//! [`Engine::world_mut`].

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use bindery_components::Property;
use hecs::{Entity, World};

use crate::{Engine, Error};

/// Identifies a polled property, for [`Engine::unpoll`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PollId(u64);

impl fmt::Display for PollId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "poll {}", self.0)
    }
}

/// One polled property: the value the engine last saw or wrote, compared
/// once per tick.
trait Poller: Send {
    /// Compares the property with the value last seen; returns `Some(true)`
    /// if it changed (and remembers the new value), `None` if it is gone.
    fn check(&mut self, world: &World) -> Option<bool>;
    /// Remembers the property's current value: the engine wrote it, so it is
    /// no change behind the engine's back.
    fn refresh(&mut self, world: &World);
    fn entity(&self) -> Entity;
    fn ty(&self) -> u32;
    fn mark(&self, graph: &mut bindery_systems::BindingGraph);
}

struct Polled<T> {
    entity: Entity,
    ty: u32,
    last: T,
}

/// Whether `now` differs from `last` as a poll sees it: a value not equal
/// to itself (a NaN) is no change from a snapshot that was not either.
fn differs<T: PartialEq>(now: &T, last: &T) -> bool {
    #[allow(clippy::eq_op)] // a value not equal to itself is the point
    let both_unequal_to_themselves = now != now && last != last;
    now != last && !both_unequal_to_themselves
}

impl<T: Property> Poller for Polled<T> {
    fn check(&mut self, world: &World) -> Option<bool> {
        let current = world.get::<&T>(self.entity).ok()?;
        if !differs(&*current, &self.last) {
            return Some(false);
        }
        self.last = T::clone(&current);
        Some(true)
    }

    fn refresh(&mut self, world: &World) {
        if let Ok(current) = world.get::<&T>(self.entity)
            && *current != self.last
        {
            self.last = T::clone(&current);
        }
    }

    fn entity(&self) -> Entity {
        self.entity
    }

    fn ty(&self) -> u32 {
        self.ty
    }

    fn mark(&self, graph: &mut bindery_systems::BindingGraph) {
        graph.mark_changed::<T>(self.entity);
    }
}

/// Every polled property, by id and by property.
#[derive(Default)]
pub(crate) struct Polls {
    /// Ordered by id, so polls run oldest first.
    by_id: BTreeMap<PollId, Box<dyn Poller>>,
    by_entity: HashMap<Entity, Vec<PollId>>,
    next: u64,
}

impl Polls {
    pub(crate) fn forget(&mut self, entity: Entity) {
        if self.by_entity.is_empty() {
            return; // (a despawn's common case: nothing to hash)
        }
        if let Some(ids) = self.by_entity.remove(&entity) {
            for id in ids {
                self.by_id.remove(&id);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Every polled entity, each once.
    pub(crate) fn entities(&self) -> impl Iterator<Item = Entity> + '_ {
        self.by_entity.keys().copied()
    }

    fn remove(&mut self, id: PollId) -> bool {
        let Some(poller) = self.by_id.remove(&id) else {
            return false;
        };
        let entity = poller.entity();
        if let Some(ids) = self.by_entity.get_mut(&entity) {
            ids.retain(|&i| i != id);
            if ids.is_empty() {
                self.by_entity.remove(&entity);
            }
        }
        true
    }

    /// The engine wrote `entity`'s property of interned type `ty`: its polls
    /// take the new value as seen.
    pub(crate) fn refresh(&mut self, world: &World, entity: Entity, ty: u32) {
        let Some(ids) = self.by_entity.get(&entity) else { return };
        for id in ids {
            if let Some(poller) = self.by_id.get_mut(id).filter(|p| p.ty() == ty) {
                poller.refresh(world);
            }
        }
    }
}

impl Engine {
    /// Polls `entity`'s property `T` once per tick: if it differs from the
    /// value the engine last saw or wrote, it counts as changed and
    /// propagates like a `set` (NiceGUI's active links). For values changed
    /// behind the engine's back, through [`world_mut`](Engine::world_mut) or
    /// by code holding the world.
    ///
    /// Only writes that did not come from the engine count: a `set`,
    /// `insert` or `modify` of the property, or a binding writing it, updates
    /// the value the poll compares with, so the poll never mistakes the
    /// engine's own writes for news. A value not equal to itself (a NaN) is
    /// no change from a snapshot that was not equal to itself either.
    ///
    /// Polls run at the start of each tick, after queued commands, in the
    /// order they were made; a change they find is newer than every change
    /// made before the tick. The cost is one comparison per polled property
    /// per tick, never per ordinary binding. The poll goes with the entity,
    /// or by [`unpoll`](Engine::unpoll).
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`].
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Position(f32);
    /// let mut engine = bindery::Engine::new();
    /// let ship = engine.spawn((Position(0.0),));
    /// let marker = engine.spawn((Position(0.0),));
    /// engine.bind::<Position>(ship, marker)?;
    /// engine.poll::<Position>(ship)?;
    /// // Physics code moves the ship through the world directly.
    /// engine.world_mut().get::<&mut Position>(ship).unwrap().0 = 5.0;
    /// engine.tick();
    /// assert_eq!(engine.get::<Position>(marker)?, Position(5.0));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn poll<T: Property>(&mut self, entity: Entity) -> Result<PollId, Error> {
        self.live()?;
        self.check_component::<T>(entity)?;
        let last = self.get::<T>(entity)?;
        let ty = self.graph.watch_type::<T>();
        let polls = &mut self.polls;
        polls.next += 1;
        let id = PollId(polls.next);
        polls.by_id.insert(id, Box::new(Polled { entity, ty, last }));
        polls.by_entity.entry(entity).or_default().push(id);
        self.update_change_tracking();
        Ok(id)
    }

    /// Stops polling a property.
    ///
    /// # Errors
    /// [`Error::NoSuchPoll`] if it was stopped already or went with its
    /// entity.
    pub fn unpoll(&mut self, id: PollId) -> Result<(), Error> {
        self.live()?;
        if !self.polls.remove(id) {
            return Err(Error::NoSuchPoll(id));
        }
        self.update_change_tracking();
        Ok(())
    }

    /// Polled properties.
    pub fn poll_count(&self) -> usize {
        self.polls.by_id.len()
    }

    /// Records that `entity`'s property `T` changed, for code that wrote it
    /// through [`world_mut`](Engine::world_mut): it propagates on the next
    /// tick like a `set`.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`].
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let (a, b) = (engine.spawn((Score(0),)), engine.spawn((Score(0),)));
    /// engine.bind::<Score>(a, b)?;
    /// engine.world_mut().get::<&mut Score>(a).unwrap().0 = 9;
    /// engine.mark_changed::<Score>(a)?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Score>(b)?, Score(9));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn mark_changed<T: Property>(&mut self, entity: Entity) -> Result<(), Error> {
        self.live()?;
        self.check_component::<T>(entity)?;
        self.changed::<T>(entity);
        Ok(())
    }

    /// The world, mutably, for systems that write components directly (a
    /// physics step, a loader).
    ///
    /// Writes made here do not propagate by themselves: follow them with
    /// [`mark_changed`](Engine::mark_changed), or [`poll`](Engine::poll) the
    /// properties they touch. To write component values, [`world`](Engine::world)
    /// is enough (`engine.world().get::<&mut T>(e)` and `query::<&mut T>()`
    /// borrow mutably through hecs' runtime checks) and costs nothing more.
    ///
    /// Entities despawned or components removed here are noticed at the next
    /// tick: it checks every entity that a binding, observer or poll refers
    /// to, and removes those despawned (counted in
    /// `TickStats::bindings_repaired`, with a `warn!`), so nothing they
    /// captured outlives them. That check costs O(bound, observed and polled
    /// entities), once per tick that follows a `world_mut` borrow; prefer
    /// [`Engine::despawn`], which costs O(what goes).
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let (a, b) = (engine.spawn((Score(1),)), engine.spawn((Score(0),)));
    /// engine.bind::<Score>(a, b)?;
    /// engine.world_mut().despawn(b).unwrap();
    /// assert_eq!(engine.tick().bindings_repaired, 1);
    /// assert_eq!(engine.binding_count(), 0);
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn world_mut(&mut self) -> &mut World {
        self.world_touched = true;
        &mut self.world
    }

    /// After a `world_mut` borrow: removes every binding, observer and poll
    /// of entities that are gone. Returns how many bindings were removed.
    pub(crate) fn sweep_despawned(&mut self) -> usize {
        if !std::mem::take(&mut self.world_touched) {
            return 0;
        }
        let mut entities = self.graph.bound_entities();
        entities.extend(self.observers.entities());
        entities.extend(self.polls.entities());
        let mut removed = 0;
        for entity in entities {
            if !self.world.contains(entity) {
                tracing::warn!(?entity, "entity was despawned through world_mut; removing what refers to it");
                removed += self.graph.unlink_entity(entity);
                self.observers.forget(entity);
                self.polls.forget(entity);
            }
        }
        self.update_change_tracking();
        removed
    }

    /// Compares every polled property with the value last seen and records
    /// the changed ones. Returns how many changed.
    pub(crate) fn run_polls(&mut self) -> usize {
        if self.polls.by_id.is_empty() {
            return 0;
        }
        let mut changed = 0;
        let mut gone = Vec::new();
        for (&id, poller) in &mut self.polls.by_id {
            match poller.check(&self.world) {
                Some(true) => {
                    poller.mark(&mut self.graph);
                    changed += 1;
                }
                Some(false) => {}
                None => gone.push(id),
            }
        }
        for id in gone {
            self.polls.remove(id);
        }
        changed
    }

    /// After a settle: every polled property the settle changed (a binding
    /// wrote it, or the engine was told of it) takes its value as seen.
    pub(crate) fn refresh_polls(&mut self) {
        if self.polls.len() == 0 {
            return;
        }
        for &(entity, ty) in self.scratch.changed().iter() {
            self.polls.refresh(&self.world, entity, ty);
        }
    }
}
