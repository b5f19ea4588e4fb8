//! [`MapLane`]: the lane of plain bindings, `F: Fn(&S) -> T`, and every
//! way it computes them: a batch, one fire, a chain through one view, a
//! fan-out's leaves in one pass.

use std::any::{Any, TypeId};
use std::marker::PhantomData;

use bindery_components::Property;
use hecs::{Entity, World};

use super::{Fire, Lane, LaneOutput, One, Slots, VIEW_BATCH_MIN, store, write, write_one};
use crate::leaves::{Leaf, LeafScan, Walk};
use crate::records::{Edge, PropertyNode};

/// The lane of transforms `F: Fn(&S) -> T`.
///
/// Transforms are stored by value; a non-capturing closure or function item
/// is zero-sized, so a million identity bindings cost one byte each here.
pub(crate) struct MapLane<S, T, F> {
    transforms: Slots<F>,
    /// What `run_one` wrote last: `(settle, target, value)`, kept when the
    /// lane maps a type to itself and the value is plain data (see
    /// `keeps_last`). A chain's next link reads that very property, so it
    /// skips the lookup. Sound because, within one settle, a property
    /// computed directly is written once and by nothing else (it has one
    /// input, or no field bindings, and no user code can reach the world),
    /// so the world still holds an equal value; a new settle (or anything
    /// done between settles) makes it stale by its number.
    last: Option<(u64, Entity, T)>,
    /// A large batch's computed values, one per run of fires sharing one
    /// (with the run's end), reused between batches.
    values: Vec<(usize, Option<T>)>,
    _types: PhantomData<fn(&S) -> T>,
}

impl<S, T, F> Default for MapLane<S, T, F> {
    fn default() -> Self {
        Self { transforms: Slots::default(), last: None, values: Vec::new(), _types: PhantomData }
    }
}

impl<S: 'static, T: 'static, F> MapLane<S, T, F> {
    /// Whether `run_one` keeps what it wrote (`last`): when the lane maps a
    /// type to itself (so a chain continues in the lane), and the type has
    /// no drop glue and is small (so the copy kept costs next to nothing).
    #[inline(always)]
    fn keeps_last() -> bool {
        !std::mem::needs_drop::<T>()
            && std::mem::size_of::<T>() <= 32
            && TypeId::of::<S>() == TypeId::of::<T>()
    }

    /// Stores a transform and returns its slot.
    pub fn insert(&mut self, f: F) -> u32 {
        self.transforms.insert(f)
    }

    /// The end of the run of fires starting at `i` that can share one
    /// computed value: same source, and a zero-sized (capture-free)
    /// transform, so every edge of the lane computes the same thing.
    #[inline]
    fn run_end(&self, fires: &[Fire], i: usize) -> usize {
        let mut end = i + 1;
        if std::mem::size_of::<F>() == 0 {
            while end < fires.len() && fires[end].source == fires[i].source {
                end += 1;
            }
        }
        end
    }
}

impl<S, T, F> MapLane<S, T, F>
where
    S: Property,
    T: Property,
    F: Fn(&S) -> T + Send + 'static,
{
    /// A large batch: compute one value per run of fires sharing it (see
    /// `run_end`; a fan-out's run is the whole batch) with the source type
    /// borrowed once (a hecs view), then write every target with the target
    /// type borrowed once. Views skip the per-access type lookup, and each
    /// pass is a loop of independent accesses the processor overlaps. (One
    /// pass reading each source through the target's view, when the types
    /// are one, measured 5% slower on a fan-out.)
    fn run_batch(&mut self, world: &mut World, fires: &[Fire], out: &mut LaneOutput) {
        let mut values = std::mem::take(&mut self.values);
        {
            let sources = world.view::<&S>();
            let mut i = 0;
            while i < fires.len() {
                let end = self.run_end(fires, i);
                let fire = fires[i];
                out.cursor = i; // nothing written yet: `done` stays at 0
                let value = match (self.transforms.get(fire.slot), sources.get(fire.source)) {
                    (Some(f), Some(source)) => Some(f(source)),
                    _ => None,
                };
                values.push((end, value));
                i = end;
            }
        }
        let mut targets = world.view_mut::<&mut T>();
        let mut start = 0;
        for (end, value) in values.drain(..) {
            let Some(value) = value else {
                out.broken.extend(fires[start..end].iter().map(|f| f.edge));
                start = end;
                continue;
            };
            for (k, fire) in fires.iter().enumerate().take(end - 1).skip(start) {
                (out.cursor, out.done) = (k, k);
                out.record(fire, store(targets.get_mut(fire.target), value.clone()));
            }
            (out.cursor, out.done) = (end - 1, end - 1);
            let fire = &fires[end - 1];
            out.record(fire, store(targets.get_mut(fire.target), value));
            start = end;
        }
        self.values = values;
    }

    /// Computes a fan-out's leaves, all bound from `source`: those
    /// `walked` already, then those `more` yields: the source read once,
    /// each target written through one view. Before user code runs,
    /// `out.leaf` names the leaf's edge and `out.cursor` how many leaves
    /// came before it (see `run_leaf_scan`, `run_leaf_list`).
    #[inline(always)]
    fn compute_leaves(
        &mut self,
        world: &mut World,
        source: Entity,
        walked: &[Leaf],
        mut more: impl Iterator<Item = Leaf>,
        out: &mut LaneOutput,
    ) {
        let Some(first) = walked.first().copied().or_else(|| more.next()) else { return };
        (out.leaf, out.cursor) = (first.edge, 0);
        let Ok(s) = world.query_one_mut::<&S>(source) else {
            out.broken.extend(walked.iter().map(|leaf| leaf.edge));
            if walked.is_empty() {
                out.broken.push(first.edge);
            }
            out.broken.extend(more.map(|leaf| leaf.edge));
            return;
        };
        // One copy of the source: its type may be the targets'.
        let s = s.clone();
        let mut targets = world.view_mut::<&mut T>();
        // A zero-sized transform captures nothing: every leaf computes the
        // same value, so it is computed once.
        let mut shared: Option<T> = None;
        // (Written once, expanded in two plain loops: a chain of the two
        // iterators, or a closure, is not inlined and costs every leaf.)
        macro_rules! compute {
            ($k:expr, $leaf:expr) => {{
                let (k, leaf): (usize, Leaf) = ($k, $leaf);
                (out.leaf, out.cursor) = (leaf.edge, k);
                match self.transforms.get(leaf.slot) {
                    Some(f) => {
                        let value = if std::mem::size_of::<F>() == 0 {
                            shared.get_or_insert_with(|| f(&s)).clone()
                        } else {
                            f(&s)
                        };
                        out.record_leaf(leaf.edge, store(targets.get_mut(leaf.target), value));
                    }
                    None => out.broken.push(leaf.edge),
                }
            }};
        }
        let mut k = 0;
        if walked.is_empty() {
            compute!(0, first);
            k = 1;
        }
        for &leaf in walked {
            compute!(k, leaf);
            k += 1;
        }
        for leaf in more {
            compute!(k, leaf);
            k += 1;
        }
    }
}

impl<S, T, F> Lane for MapLane<S, T, F>
where
    S: Property,
    T: Property,
    F: Fn(&S) -> T + Send + 'static,
{
    fn run(&mut self, world: &mut World, fires: &[Fire], out: &mut LaneOutput) {
        if fires.len() >= VIEW_BATCH_MIN {
            self.run_batch(world, fires, out);
            return;
        }
        // A zero-sized transform captures nothing, so every edge of the lane
        // computes the same value from the same source: a run of fires
        // sharing a source (a fan-out) reads and transforms it once.
        let mut i = 0;
        while i < fires.len() {
            let end = self.run_end(fires, i);
            let fire = fires[i];
            (out.cursor, out.done) = (i, i);
            let value = match (self.transforms.get(fire.slot), world.query_one_mut::<&S>(fire.source)) {
                (Some(f), Ok(source)) => f(source),
                _ => {
                    out.broken.extend(fires[i..end].iter().map(|f| f.edge));
                    i = end;
                    continue;
                }
            };
            for (k, fire) in fires.iter().enumerate().take(end - 1).skip(i) {
                (out.cursor, out.done) = (k, k);
                write(world, fire, value.clone(), out);
            }
            (out.cursor, out.done) = (end - 1, end - 1);
            write(world, &fires[end - 1], value, out);
            i = end;
        }
    }

    fn runs_one(&self) -> bool {
        true
    }

    fn chains(&self) -> bool {
        TypeId::of::<S>() == TypeId::of::<T>()
    }

    fn run_leaf_list(
        &mut self,
        world: &mut World,
        source: Entity,
        leaves: &[Leaf],
        out: &mut LaneOutput,
    ) -> bool {
        self.compute_leaves(world, source, leaves, std::iter::empty(), out);
        true
    }

    fn run_chain(&mut self, world: &mut World, fires: &[Fire], out: &mut LaneOutput) -> (usize, Option<One>) {
        let mut targets = world.view_mut::<&mut T>();
        out.cursor = 0;
        let Some(first) = fires.first() else { return (0, None) };
        let Some(mut input) = targets.get_mut(first.source).map(|s| s.clone()) else {
            return (0, Some(One::Broken));
        };
        for (k, fire) in fires.iter().enumerate() {
            out.cursor = k;
            let Some(f) = self.transforms.get(fire.slot) else { return (k, Some(One::Broken)) };
            // `S` is `T` (`chains`): the value written last is the next source.
            let Some(s) = (&input as &dyn Any).downcast_ref::<S>() else { return (k, Some(One::Broken)) };
            let value = f(s);
            match targets.get_mut(fire.target) {
                Some(current) if *current != value => {
                    *current = value.clone();
                    input = value;
                }
                Some(_) => return (k, Some(One::Same)),
                None => return (k, Some(One::Broken)),
            }
        }
        (fires.len(), None)
    }

    fn run_one(&mut self, world: &mut World, fire: &Fire, settle: u64) -> Option<One> {
        let Some(f) = self.transforms.get(fire.slot) else { return Some(One::Broken) };
        let value = match &self.last {
            // The next link of a chain: its source is what this lane just wrote.
            Some((s, entity, last)) if *s == settle && *entity == fire.source => {
                f((last as &dyn Any).downcast_ref::<S>()?) // always `Some`: kept only when `S` is `T`
            }
            _ => match world.query_one_mut::<&S>(fire.source) {
                Ok(source) => f(source),
                Err(_) => return Some(One::Broken),
            },
        };
        let kept = Self::keeps_last().then(|| value.clone());
        let one = write_one(world, fire.target, value);
        if let (One::Written, Some(value)) = (one, kept) {
            self.last = Some((settle, fire.target, value));
        }
        Some(one)
    }

    fn run_leaf_scan(
        &mut self,
        world: &mut World,
        source: Entity,
        (walked, scan): (&[Leaf], &mut LeafScan),
        (edges, nodes): (&[Edge], &[PropertyNode]),
        out: &mut LaneOutput,
    ) -> bool {
        self.compute_leaves(world, source, walked, Walk { scan, edges, nodes }, out);
        true
    }

    slot_lane_methods!(transforms);
}
