//! Faults: what the engine does when user code panics during a tick
//! ([`FaultPolicy`]), and what it reports ([`Fault`], [`FaultSource`]).

use std::any::Any;
use std::sync::atomic::Ordering;

use bindery_components::BindingId;
use tracing::error;

use crate::{Engine, Error, ObserverId};

/// What a panic in user code during a tick costs: a transform
/// (`bind_map`, two-way, field binding), a derive function, a change
/// callback, or a queued command. Set with [`Engine::set_fault_policy`].
///
/// # Example
/// ```
/// use bindery::{Engine, FaultPolicy, FaultSource};
/// # #[derive(Clone, Debug, PartialEq)] struct Ammo(i32);
/// # #[derive(Clone, Debug, PartialEq)] struct Label(String);
///
/// let mut engine = Engine::new();
/// assert_eq!(engine.fault_policy(), FaultPolicy::Isolate);
/// let gun = engine.spawn((Ammo(3),));
/// let text = engine.spawn((Label(String::new()),));
/// let id = engine.bind_map(gun, text, |a: &Ammo| {
///     assert!(a.0 >= 0, "negative ammo");
///     Label(a.0.to_string())
/// })?;
/// engine.tick();
/// engine.set(gun, Ammo(-1))?;
/// let stats = engine.tick();
/// assert_eq!(stats.faults, 1);
/// assert_eq!(engine.faults()[0].source, FaultSource::Binding(id));
/// assert!(!engine.binding(id)?.enabled, "the binding is paused; the game goes on");
/// assert_eq!(engine.get::<Label>(text)?, Label("3".into()), "its target keeps its value");
/// # Ok::<(), bindery::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FaultPolicy {
    /// The default: the panic costs only its source. The offending binding
    /// or derivation is disabled (as [`Engine::set_enabled`]`(id, false)`, so
    /// resuming it re-syncs), an offending observer is removed, an offending
    /// command is rejected (its receipt gets [`Error::Panicked`]). The rest
    /// of the tick completes under the normal rules, the fault is in
    /// [`Engine::faults`] and logged with `error!`, and the next tick works.
    ///
    /// [`Error::Panicked`]: crate::Error::Panicked
    #[default]
    Isolate,
    /// The engine is poisoned: the tick stops where the panic happened,
    /// queued commands are dropped, and every later call that returns a
    /// `Result` returns [`Error::Poisoned`](crate::Error::Poisoned) (see
    /// [`Engine::is_poisoned`]).
    Poison,
    /// As [`Isolate`](FaultPolicy::Isolate), then, once the tick has
    /// completed and the engine is consistent, the panic is resumed out of
    /// [`Engine::tick`] (for tests and debugging). The engine is not
    /// poisoned.
    Panic,
}

/// Where a caught panic came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultSource {
    /// A binding's transform (`bind_map`, a two-way or field binding), or a
    /// bound component's `PartialEq` / `Clone`.
    Binding(BindingId),
    /// A derivation's function (named by its [`BindingId`]).
    Derivation(BindingId),
    /// A change callback or subscription.
    Observer(ObserverId),
    /// A command queued through a [`Handle`](crate::Handle).
    Command,
}

/// A panic caught in user code during a tick: where it came from and what it
/// said. [`Engine::faults`] lists the last tick's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What panicked.
    pub source: FaultSource,
    /// The panic's message.
    pub message: String,
}

/// The message of a panic payload.
pub(crate) use bindery_systems::panic_message;

impl Engine {
    /// How panics in user code during a tick are handled (see
    /// [`FaultPolicy`]; the default is [`FaultPolicy::Isolate`]).
    pub fn fault_policy(&self) -> FaultPolicy {
        self.fault_policy
    }

    /// Sets how panics in user code during a tick are handled.
    pub fn set_fault_policy(&mut self, policy: FaultPolicy) {
        self.fault_policy = policy;
    }

    /// The panics caught during the last tick, in the order they happened.
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    /// Records a caught panic. Under [`FaultPolicy::Poison`] the panic is
    /// resumed at once (the tick's outer guard then poisons the engine);
    /// otherwise the caller removes the source and goes on.
    pub(crate) fn caught(&mut self, source: FaultSource, payload: Box<dyn Any + Send>) {
        let message = panic_message(&*payload);
        error!(?source, %message, "user code panicked during the tick");
        self.faults.push(Fault { source, message });
        if self.fault_policy == FaultPolicy::Poison {
            std::panic::resume_unwind(payload);
        }
    }

    /// `Err(Error::Poisoned)` once a tick has panicked.
    pub(crate) fn live(&self) -> Result<(), Error> {
        match self.poisoned {
            None => Ok(()),
            Some(_) => Err(Error::Poisoned),
        }
    }

    /// Whether the engine is poisoned: under [`FaultPolicy::Poison`], a
    /// transform, callback or command panicked during a tick.
    ///
    /// A poisoned engine changes nothing any more: every call that returns a
    /// `Result` returns [`Error::Poisoned`] (from a [`Handle`](crate::Handle) too, and
    /// `Handle::spawn` no longer waits for ids), [`spawn`](Engine::spawn)
    /// spawns nothing and returns [`Entity::DANGLING`](hecs::Entity::DANGLING), and ticks do nothing.
    /// It can still be read through [`world`](Engine::world) and dropped
    /// safely (nothing leaks).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.is_some()
    }

    /// Poisons the engine with `reason`: handles learn it, queued commands
    /// are dropped (their receipts see [`Error::EngineGone`]).
    pub(crate) fn poison(&mut self, reason: String) -> usize {
        self.poisoned = Some(reason);
        self.commands.shared.poisoned.store(true, Ordering::SeqCst);
        self.commands.alive_tx = None;
        self.commands.rx.try_iter().count()
    }

    /// What the panic that poisoned the engine said.
    pub fn poison_reason(&self) -> Option<&str> {
        self.poisoned.as_deref()
    }
}
