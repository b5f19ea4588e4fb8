//! [`Error`]: everything that can go wrong with a call.

use std::fmt;

use bindery_components::BindingId;
use hecs::Entity;

use crate::{ObserverId, PollId};

/// Why a call failed. A failed call changes nothing.
///
/// # Example
/// ```
/// use bindery::{Engine, Error};
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Health(f32);
///
/// let mut engine = Engine::new();
/// let player = engine.spawn((Health(100.0),));
/// engine.despawn(player)?;
/// assert_eq!(engine.set(player, Health(1.0)), Err(Error::NoSuchEntity(player)));
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The entity was despawned or never spawned.
    NoSuchEntity(Entity),
    /// The entity is alive but does not have the component. For a binding,
    /// `entity` says which side lacks it: the source or the target (or, for
    /// a derivation, which input).
    MissingComponent {
        /// The entity that lacks the component.
        entity: Entity,
        /// The component's type name.
        component: &'static str,
    },
    /// A binding from a property to the same property of the same entity.
    SelfBinding,
    /// The binding was removed (unbound, or an endpoint was despawned) or
    /// never existed.
    NoSuchBinding(BindingId),
    /// The same source property is already bound to the same target property
    /// (same entities, same component types): the live binding is named. A
    /// two-way binding occupies both directions; field bindings are exempt.
    DuplicateBinding(BindingId),
    /// The engine behind a [`Handle`](crate::Handle) was dropped.
    EngineGone,
    /// The change callback or subscription was removed already, or went with
    /// its entity.
    NoSuchObserver(ObserverId),
    /// The poll was stopped already, or went with its entity.
    NoSuchPoll(PollId),
    /// `set_parent` would make an entity its own ancestor.
    HierarchyCycle {
        /// The entity that was to be attached.
        child: Entity,
        /// The would-be parent, which is `child` or one of its descendants.
        parent: Entity,
    },
    /// Under [`FaultPolicy::Poison`](crate::FaultPolicy::Poison), a
    /// transform, callback or command panicked during an earlier tick; the
    /// engine refuses further calls (see `Engine::is_poisoned`).
    Poisoned,
    /// A queued command panicked when applied (see
    /// [`FaultPolicy`](crate::FaultPolicy)); the panic's message. The
    /// command's receipt sees it.
    Panicked(String),
    /// A bounded command queue is full (from a [`Handle`](crate::Handle)'s
    /// `try_*` calls).
    Full,
}

impl Error {
    pub(crate) fn missing<T>(entity: Entity) -> Self {
        Error::MissingComponent { entity, component: std::any::type_name::<T>() }
    }

    pub(crate) fn from_component<T>(entity: Entity, error: hecs::ComponentError) -> Self {
        match error {
            hecs::ComponentError::NoSuchEntity => Error::NoSuchEntity(entity),
            hecs::ComponentError::MissingComponent(_) => Error::missing::<T>(entity),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoSuchEntity(entity) => {
                write!(f, "entity {entity:?} does not exist (despawned or never spawned)")
            }
            Error::MissingComponent { entity, component } => {
                write!(f, "entity {entity:?} has no {component} component (it is the entity that lacks it)")
            }
            Error::SelfBinding => f.write_str("cannot bind a property to itself"),
            Error::NoSuchBinding(id) => {
                write!(f, "{id} does not exist (unbound, or an endpoint was despawned)")
            }
            Error::DuplicateBinding(id) => {
                write!(f, "these properties are already bound by {id}")
            }
            Error::EngineGone => f.write_str("the engine was dropped"),
            Error::Poisoned => {
                f.write_str("the engine is poisoned: a transform, callback or command panicked")
            }
            Error::HierarchyCycle { child, parent } => {
                write!(
                    f,
                    "cannot make {parent:?} the parent of {child:?}: it is {child:?} or one of its descendants"
                )
            }
            Error::NoSuchPoll(id) => write!(f, "{id} does not exist (stopped, or its entity was despawned)"),
            Error::NoSuchObserver(id) => {
                write!(f, "{id} does not exist (removed, or its entity was despawned)")
            }
            Error::Full => f.write_str("the command queue is full"),
            Error::Panicked(message) => write!(f, "the command panicked: {message}"),
        }
    }
}

impl std::error::Error for Error {}
