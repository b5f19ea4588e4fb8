//! [`Pending`]: the changes recorded since the last settle, each with its
//! stamp.

use hecs::Entity;

/// A change waiting for the next settle.
///
/// Its stamp is implicit: changes take consecutive stamps as they are
/// recorded, so the `i`-th pending change has the stamp of the first plus
/// `i` (see [`Pending::first_stamp`]).
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
    /// A binding was created or resumed and owes its target a sync.
    Edge {
        /// The edge index.
        edge: u32,
        /// The edge's generation when the sync was recorded.
        generation: u32,
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
    /// The changes, oldest first.
    pub origins: Vec<Origin>,
    /// The last stamp handed out.
    stamp: u64,
}

impl Pending {
    /// Records a change with the next stamp and returns the stamp.
    #[inline]
    pub fn record(&mut self, origin: Origin) -> u64 {
        self.stamp += 1;
        self.origins.push(origin);
        self.stamp
    }

    /// The stamp of the oldest pending change (the others follow it one by
    /// one); with nothing pending, the stamp the next change will take.
    #[inline]
    pub fn first_stamp(&self) -> u64 {
        self.stamp + 1 - self.origins.len() as u64
    }

    /// How many changes are pending.
    #[inline]
    pub fn len(&self) -> usize {
        self.origins.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_consecutive_and_never_reused() {
        let mut pending = Pending::default();
        assert_eq!(pending.first_stamp(), 1);
        let a = pending.record(Origin::Edge { edge: 0, generation: 0 });
        let b = pending.record(Origin::Edge { edge: 1, generation: 0 });
        assert_eq!((a, b, pending.first_stamp(), pending.len()), (1, 2, 1, 2));
        pending.origins.clear();
        assert_eq!(pending.first_stamp(), 3, "the next settle's changes are newer");
        assert_eq!(pending.record(Origin::Edge { edge: 0, generation: 1 }), 3);
    }
}
