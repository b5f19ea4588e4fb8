//! Derived properties: the [`Sources`] of a derivation, its transform
//! ([`DeriveFn`]) and the typed lane that computes it ([`DeriveLane`]).

use std::any::{Any, type_name};
use std::marker::PhantomData;

use bindery_components::Property;
use hecs::{Entity, World};

use crate::graph::BindingGraph;
use crate::lane::{Fire, Lane, LaneOutput, Slots, write};

/// A tuple of property types a derivation reads: `(A,)`, `(A, B)`, up to
/// six. Implemented for tuples of [`Property`] types.
pub trait Sources: 'static {
    /// The entities the inputs are read from, one per input.
    type Entities: Copy + Send + Sync + std::fmt::Debug + 'static;
    /// References to the inputs, handed to the transform.
    type Refs<'a>;
    /// Runs `f` on the inputs; `None` if one is gone.
    fn with<R>(world: &World, entities: Self::Entities, f: impl FnOnce(Self::Refs<'_>) -> R) -> Option<R>;
    /// Like [`with`](Sources::with) with the world borrowed uniquely: inputs
    /// that are small plain data (no drop glue, at most 32 bytes) are copied
    /// out through `query_one_mut`, which skips the dynamic borrow check a
    /// shared read pays; anything else is read in place.
    fn with_mut<R>(
        world: &mut World,
        entities: Self::Entities,
        f: impl FnOnce(Self::Refs<'_>) -> R,
    ) -> Option<R>;
    /// Runs `call` on the inputs of every item (`None` where an input is
    /// gone), pushing the results to `out`. Borrows each input type once for
    /// the whole batch (hecs views) instead of once per read.
    fn batch<X, R>(
        world: &World,
        items: impl Iterator<Item = Option<(Self::Entities, X)>>,
        call: impl FnMut(X, Self::Refs<'_>) -> R,
        out: &mut Vec<Option<R>>,
    );
    /// The input entities with their property type names, in order.
    fn describe(entities: Self::Entities) -> Vec<(Entity, &'static str, std::any::TypeId)>;
    /// Ensures a graph node for every input; returns them in order.
    fn nodes(graph: &mut BindingGraph, entities: Self::Entities) -> Vec<u32>;
    /// Whether every input entity holds its component.
    fn check(world: &World, entities: Self::Entities) -> Result<(), (Entity, &'static str)>;
}

/// The transform of a derivation over [`Sources`] `M`: a function of a tuple
/// of references, e.g. `|(a, b): (&A, &B)| T`.
pub trait DeriveFn<M: Sources, T>: Send + 'static {
    /// Computes the derived value.
    fn call(&self, inputs: M::Refs<'_>) -> T;
}

macro_rules! sources {
    ($($t:ident $e:ident $i:tt),+) => {
        impl<$($t: Property),+> Sources for ($($t,)+) {
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

            fn describe(entities: Self::Entities) -> Vec<(Entity, &'static str, std::any::TypeId)> {
                vec![$((entities.$i, type_name::<$t>(), std::any::TypeId::of::<$t>())),+]
            }

            fn nodes(graph: &mut BindingGraph, entities: Self::Entities) -> Vec<u32> {
                vec![$(graph.ensure_node::<$t>(entities.$i)),+]
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
pub struct DeriveLane<M: Sources, T, F> {
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
        // since a view costs a pass over the archetypes.
        let slots = &self.slots;
        let items = fires.iter().map(|fire| slots.get(fire.slot).map(|(e, f)| (*e, f)));
        if fires.len() >= VIEW_BATCH_MIN {
            M::batch(world, items, |f, inputs| f.call(inputs), &mut self.values);
        } else {
            self.values.extend(
                items.map(|item| item.and_then(|(e, f)| M::with_mut(world, e, |inputs| f.call(inputs)))),
            );
        }
        for (fire, value) in fires.iter().zip(self.values.drain(..)) {
            match value {
                Some(value) => write(world, fire, value, out),
                None => out.broken.push(fire.edge),
            }
        }
    }

    fn release(&mut self, slot: u32) {
        self.slots.release(slot);
    }

    fn len(&self) -> usize {
        self.slots.len()
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
