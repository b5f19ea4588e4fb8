//! Derived properties: the [`Sources`] of a derivation, its transform
//! ([`DeriveFn`]) and the typed lane that computes it ([`DeriveLane`]).

use std::any::{TypeId, type_name};
use std::marker::PhantomData;

use bindery_components::Property;
use hecs::{Entity, World};

use crate::lane::{Fire, Lane, LaneOutput, One, Slots, slot_lane_methods, write, write_one};

/// The property types a derivation reads: a tuple of one to six
/// [`Property`] types (`(A,)`, `(A, B)`, ...), or [`Single<A>`] for one
/// source passed without a tuple.
///
/// Sealed: implemented by this crate for exactly those shapes. Users never
/// name it; it is inferred from the closure given to `Engine::derive`.
pub trait Sources: sealed::Inputs {}

/// One source passed on its own: `engine.derive(bar, player, |h: &Health| ..)`
/// instead of `engine.derive(bar, (player,), |(h,): (&Health,)| ..)`.
///
/// A marker type, inferred from the closure; never constructed.
pub struct Single<A>(PhantomData<fn() -> A>);

pub(crate) mod sealed {
    use super::*;

    /// The workings of [`Sources`](super::Sources), hidden from users.
    pub trait Inputs: 'static {
        /// The entities the inputs are read from: one `Entity`, or a tuple
        /// of them.
        type Entities: Copy + Send + Sync + std::fmt::Debug + 'static;
        /// References to the inputs, handed to the transform.
        type Refs<'a>;
        /// Runs `f` on the inputs; `None` if one is gone.
        fn with<R>(world: &World, entities: Self::Entities, f: impl FnOnce(Self::Refs<'_>) -> R)
        -> Option<R>;
        /// Like [`with`](Inputs::with) with the world borrowed uniquely:
        /// inputs that are small plain data (no drop glue, at most 32 bytes)
        /// are copied out through `query_one_mut`, which skips the dynamic
        /// borrow check a shared read pays; anything else is read in place.
        fn with_mut<R>(
            world: &mut World,
            entities: Self::Entities,
            f: impl FnOnce(Self::Refs<'_>) -> R,
        ) -> Option<R>;
        /// Runs `call` on the inputs of every item (`None` where an input is
        /// gone), pushing the results to `out`. Borrows each input type once
        /// for the whole batch (hecs views) instead of once per read.
        fn batch<X, R>(
            world: &World,
            items: impl Iterator<Item = Option<(Self::Entities, X)>>,
            call: impl FnMut(X, Self::Refs<'_>) -> R,
            out: &mut Vec<Option<R>>,
        );
        /// The inputs as `(entity, type id, type name)`, in order.
        fn describe(entities: Self::Entities) -> Vec<(Entity, TypeId, &'static str)>;
        /// Whether every input entity holds its component; the first that
        /// does not, with the component's name.
        fn check(world: &World, entities: Self::Entities) -> Result<(), (Entity, &'static str)>;
    }
}

use sealed::Inputs;

/// The transform of a derivation over [`Sources`] `M`: a closure taking
/// references to the inputs, as one tuple (`|(a, b): (&A, &B)| T`) or, for a
/// single input, on its own (`|a: &A| T`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a derive function for these sources",
    label = "expected a closure over references to the sources' components",
    note = "several sources: `engine.derive(target, (a, b), |(x, y): (&A, &B)| T(..))`, one tuple argument",
    note = "one source: `engine.derive(target, a, |x: &A| T(..))` or `engine.derive(target, (a,), |(x,): (&A,)| T(..))`"
)]
pub trait DeriveFn<M: Sources, T>: Send + 'static {
    /// Computes the derived value.
    #[doc(hidden)]
    fn call(&self, inputs: M::Refs<'_>) -> T;
}

/// The inputs of a derivation over `M` from `sources`, as `(entity, type
/// name)`, in order.
pub fn describe_sources<M: Sources>(sources: M::Entities) -> Vec<(Entity, TypeId, &'static str)> {
    M::describe(sources)
}

/// Checks that every input entity of `sources` holds its component; the first
/// that does not, with the component's type name.
///
/// # Errors
/// `(entity, component type name)` of the first input lacking its component.
pub fn check_sources<M: Sources>(world: &World, sources: M::Entities) -> Result<(), (Entity, &'static str)> {
    M::check(world, sources)
}

impl<A: Property> Sources for Single<A> {}

impl<A: Property> Inputs for Single<A> {
    type Entities = Entity;
    type Refs<'a> = &'a A;

    fn with<R>(world: &World, entity: Entity, f: impl FnOnce(&A) -> R) -> Option<R> {
        let a = world.get::<&A>(entity).ok()?;
        Some(f(&a))
    }

    fn with_mut<R>(world: &mut World, entity: Entity, f: impl FnOnce(&A) -> R) -> Option<R> {
        Some(f(world.query_one_mut::<&A>(entity).ok()?))
    }

    fn batch<X, R>(
        world: &World,
        items: impl Iterator<Item = Option<(Entity, X)>>,
        mut call: impl FnMut(X, &A) -> R,
        out: &mut Vec<Option<R>>,
    ) {
        let view = world.view::<&A>();
        for item in items {
            out.push(item.and_then(|(entity, x)| Some(call(x, view.get(entity)?))));
        }
    }

    fn describe(entity: Entity) -> Vec<(Entity, TypeId, &'static str)> {
        vec![(entity, TypeId::of::<A>(), type_name::<A>())]
    }

    fn check(world: &World, entity: Entity) -> Result<(), (Entity, &'static str)> {
        if world.satisfies::<&A>(entity) { Ok(()) } else { Err((entity, type_name::<A>())) }
    }
}

impl<A: Property, T, F> DeriveFn<Single<A>, T> for F
where
    F: Fn(&A) -> T + Send + 'static,
{
    fn call(&self, input: &A) -> T {
        self(input)
    }
}

macro_rules! sources {
    ($($t:ident $e:ident $i:tt),+) => {
        impl<$($t: Property),+> Sources for ($($t,)+) {}

        impl<$($t: Property),+> Inputs for ($($t,)+) {
            type Entities = ($(sources!(@entity $t),)+);
            type Refs<'a> = ($(&'a $t,)+);

            fn with<R>(world: &World, entities: Self::Entities, f: impl FnOnce(Self::Refs<'_>) -> R) -> Option<R> {
                $(let $e = world.get::<&$t>(entities.$i).ok()?;)+
                Some(f(($(&*$e,)+)))
            }

            fn with_mut<R>(world: &mut World, entities: Self::Entities, f: impl FnOnce(Self::Refs<'_>) -> R) -> Option<R> {
                let cheap = true $(&& !std::mem::needs_drop::<$t>() && std::mem::size_of::<$t>() <= 32)+;
                if !cheap {
                    return Self::with(world, entities, f);
                }
                $(let $e: $t = world.query_one_mut::<&$t>(entities.$i).ok()?.clone();)+
                Some(f(($(&$e,)+)))
            }

            fn batch<X, R>(
                world: &World,
                items: impl Iterator<Item = Option<(Self::Entities, X)>>,
                mut call: impl FnMut(X, Self::Refs<'_>) -> R,
                out: &mut Vec<Option<R>>,
            ) {
                $(let $e = world.view::<&$t>();)+
                for item in items {
                    out.push(item.and_then(|(entities, x)| Some(call(x, ($($e.get(entities.$i)?,)+)))));
                }
            }

            fn describe(entities: Self::Entities) -> Vec<(Entity, TypeId, &'static str)> {
                vec![$((entities.$i, TypeId::of::<$t>(), type_name::<$t>())),+]
            }

            fn check(world: &World, entities: Self::Entities) -> Result<(), (Entity, &'static str)> {
                $(if !world.satisfies::<&$t>(entities.$i) {
                    return Err((entities.$i, type_name::<$t>()));
                })+
                Ok(())
            }
        }

        impl<$($t: Property,)+ T, F> DeriveFn<($($t,)+), T> for F
        where
            F: Fn(($(&$t,)+)) -> T + Send + 'static,
        {
            fn call(&self, inputs: ($(&$t,)+)) -> T {
                self(inputs)
            }
        }
    };
    (@entity $t:ident) => { Entity };
}

sources!(A a 0);
sources!(A a 0, B b 1);
sources!(A a 0, B b 1, C c 2);
sources!(A a 0, B b 1, C c 2, D d 3);
sources!(A a 0, B b 1, C c 2, D d 3, E e 4);
sources!(A a 0, B b 1, C c 2, D d 3, E e 4, G g 5);

/// Batches at least this large read their inputs through views.
const VIEW_BATCH_MIN: usize = 32;

/// The lane of derivations over inputs `M` producing `T` through `F`.
pub(crate) struct DeriveLane<M: Sources, T, F> {
    slots: Slots<(M::Entities, F)>,
    /// Computed values of the batch being run (reused between runs).
    values: Vec<Option<T>>,
    _types: PhantomData<fn() -> T>,
}

impl<M: Sources, T, F> Default for DeriveLane<M, T, F> {
    fn default() -> Self {
        Self { slots: Slots::default(), values: Vec::new(), _types: PhantomData }
    }
}

impl<M: Sources, T, F> DeriveLane<M, T, F> {
    /// Stores a derivation's inputs and transform; returns its slot.
    pub fn insert(&mut self, entities: M::Entities, f: F) -> u32 {
        self.slots.insert((entities, f))
    }
}

impl<M, T, F> Lane for DeriveLane<M, T, F>
where
    M: Sources,
    T: Property,
    F: DeriveFn<M, T>,
{
    fn run(&mut self, world: &mut World, fires: &[Fire], out: &mut LaneOutput) {
        // Compute every value first, then write the targets. A large batch
        // borrows each input type once (views); a small one reads directly,
        // since a view costs a pass over the archetypes. Nothing is written
        // while computing, so `done` stays 0 until the writes.
        self.values.clear(); // (a panic may have left values behind)
        out.done = 0;
        let cursor = &mut out.cursor;
        let slots = &self.slots;
        let items = fires.iter().enumerate().map(|(i, fire)| slots.get(fire.slot).map(|(e, f)| (*e, (i, f))));
        if fires.len() >= VIEW_BATCH_MIN {
            M::batch(
                world,
                items,
                |(i, f): (usize, &F), inputs| {
                    *cursor = i;
                    f.call(inputs)
                },
                &mut self.values,
            );
        } else {
            self.values.extend(items.map(|item| {
                item.and_then(|(e, (i, f))| {
                    *cursor = i;
                    M::with_mut(world, e, |inputs| f.call(inputs))
                })
            }));
        }
        for (k, (fire, value)) in fires.iter().zip(self.values.drain(..)).enumerate() {
            (out.cursor, out.done) = (k, k);
            match value {
                Some(value) => write(world, fire, value, out),
                None => out.broken.push(fire.edge),
            }
        }
    }

    fn runs_one(&self) -> bool {
        true
    }

    fn run_one(&mut self, world: &mut World, fire: &Fire, _settle: u64) -> Option<One> {
        let Some((inputs, f)) = self.slots.get(fire.slot) else { return Some(One::Broken) };
        Some(match M::with_mut(world, *inputs, |inputs| f.call(inputs)) {
            Some(value) => write_one(world, fire.target, value),
            None => One::Broken,
        })
    }

    slot_lane_methods!(slots);
}
