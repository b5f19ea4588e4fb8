//! [`Pending`]: the changes recorded since the last settle, each with its
//! stamp.

use hecs::Entity;

/// A change waiting for the next settle.
///
/// Its stamp is implicit: changes take consecutive stamps as they are
/// recorded, so the `i`-th pending change (counting each edge of a run)
/// has the stamp of the first plus `i` (see [`Pending::first_stamp`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A property was changed by the user (or a poll, or `mark_changed`).
    ///
    /// Recorded by entity and type, without touching the graph: the node is
    /// looked up when the settle starts, in one tight loop.
    Property {
        /// The entity whose property changed.
        entity: Entity,
        /// The interned property type.
        ty: u32,
    },
    /// Bindings created or resumed one after another, whose forward edges
    /// are `first`, `first + 1`, ... `first + count - 1`: each owes its
    /// target a sync, with consecutive stamps. Building a graph in a loop
    /// records one run, not one change per binding.
    ///
    /// A run names edges by index only: an edge whose `born` is no longer
    /// the run's stamp for it was removed (its slot perhaps reused) or
    /// resumed again since, and is skipped.
    Edges {
        /// The first edge index.
        first: u32,
        /// How many edges (and stamps) the run holds.
        count: u32,
    },
    /// A derivation was created or resumed and owes its target a first
    /// computation.
    Derive {
        /// The derivation's first feeder edge.
        edge: u32,
        /// That edge's generation when the sync was recorded.
        generation: u32,
    },
}

/// The changes recorded since the last settle, in the order they were made.
///
/// Stamps grow monotonically for the graph's lifetime (a `u64` never wraps in
/// practice), so "newer" is a plain comparison and nothing is cleared
/// between ticks.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// The changes, oldest first (a run of edges holds several).
    pub origins: Vec<Origin>,
    /// The last stamp handed out.
    stamp: u64,
    /// How many changes `origins` holds.
    changes: usize,
}

impl Pending {
    /// Records a change with the next stamp and returns the stamp.
    #[inline]
    pub fn record(&mut self, origin: Origin) -> u64 {
        self.origins.push(origin);
        self.next_stamp()
    }

    /// Records that edge `e` owes its target a sync, with the next stamp
    /// (returned): into the run recorded last if `e` continues it.
    #[inline]
    pub fn record_edge(&mut self, e: u32) -> u64 {
        match self.origins.last_mut() {
            Some(Origin::Edges { first, count }) if u64::from(*first) + u64::from(*count) == u64::from(e) => {
                *count += 1;
                self.next_stamp()
            }
            _ => self.record(Origin::Edges { first: e, count: 1 }),
        }
    }

    /// Counts one more change and hands out its stamp.
    #[inline]
    fn next_stamp(&mut self) -> u64 {
        self.stamp += 1;
        self.changes += 1;
        self.stamp
    }

    /// The stamp of the oldest pending change (the others follow it one by
    /// one, a run's edges in order); with nothing pending, the stamp the
    /// next change will take.
    #[inline]
    pub fn first_stamp(&self) -> u64 {
        self.stamp + 1 - self.changes as u64
    }

    /// How many changes are pending.
    #[inline]
    pub fn len(&self) -> usize {
        self.changes
    }

    /// Hands the pending changes over to a settle (swapped with `into`,
    /// which must be empty), leaving none.
    pub fn take(&mut self, into: &mut Vec<Origin>) {
        debug_assert!(into.is_empty());
        std::mem::swap(into, &mut self.origins);
        self.changes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_consecutive_and_never_reused() {
        let mut pending = Pending::default();
        assert_eq!(pending.first_stamp(), 1);
        let a = pending.record_edge(0);
        let b = pending.record(Origin::Derive { edge: 1, generation: 0 });
        assert_eq!((a, b, pending.first_stamp(), pending.len()), (1, 2, 1, 2));
        let mut taken = Vec::new();
        pending.take(&mut taken);
        assert_eq!((taken.len(), pending.len()), (2, 0));
        assert_eq!(pending.first_stamp(), 3, "the next settle's changes are newer");
        assert_eq!(pending.record_edge(0), 3);
    }

    #[test]
    fn consecutive_edges_share_one_run_and_anything_else_ends_it() {
        let mut pending = Pending::default();
        let stamps: Vec<u64> = [4, 5, 6, 9, 10].into_iter().map(|e| pending.record_edge(e)).collect();
        assert_eq!(stamps, [1, 2, 3, 4, 5]);
        pending.record(Origin::Derive { edge: 11, generation: 0 });
        assert_eq!(pending.record_edge(11), 7, "a run only follows a run");
        assert_eq!(
            pending.origins,
            [
                Origin::Edges { first: 4, count: 3 },
                Origin::Edges { first: 9, count: 2 },
                Origin::Derive { edge: 11, generation: 0 },
                Origin::Edges { first: 11, count: 1 },
            ]
        );
        assert_eq!((pending.len(), pending.first_stamp()), (7, 1));
    }
}
