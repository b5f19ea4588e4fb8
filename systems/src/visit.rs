//! [`Visits`]: what one settle knows about each property it touches.
//!
//! A settle gives every property it reaches one [`Visit`]: its own change,
//! the best [`Offer`] a binding has made it so far, how many inputs it still
//! waits for, and, once settled, whether it changed. Visits live in one dense
//! table per settle (reused between ticks), found from the property node
//! through its `epoch` / `visit` fields, so nothing is cleared between ticks
//! and nothing is allocated per edge.

use crate::records::{Field, NONE, PropertyNode, WHOLE};

/// What can give a property its value in a settle: its own change, a plain
/// edge or a derivation.
///
/// Encoding: `u32::MAX` is nothing, `u32::MAX - 1` the property's own change,
/// values with the top bit set a derivation index, anything else an edge
/// index. Edge and derivation arenas stay below 2³¹ slots.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Via(u32);

/// The top bit: marks a derivation.
const DERIVED: u32 = 1 << 31;

impl Via {
    /// No offer yet.
    pub const NONE: Via = Via(u32::MAX);
    /// The property's own change.
    pub const OWN: Via = Via(u32::MAX - 1);

    /// Through edge `e`.
    #[inline]
    pub fn edge(e: u32) -> Via {
        debug_assert!(e < DERIVED, "edge arena past 2^31 slots");
        Via(e)
    }

    /// Through derivation `d`.
    #[inline]
    pub fn derivation(d: u32) -> Via {
        debug_assert!(d < DERIVED, "derivation arena past 2^31 slots");
        Via(d | DERIVED)
    }

    /// The edge, if this is one.
    #[inline]
    pub fn as_edge(self) -> Option<u32> {
        (self.0 < DERIVED).then_some(self.0)
    }

    /// The derivation, if this is one.
    #[inline]
    pub fn as_derivation(self) -> Option<u32> {
        (self.0 >= DERIVED && self.0 < Self::OWN.0).then_some(self.0 & !DERIVED)
    }

    /// Whether this is a binding (an edge or a derivation).
    #[inline]
    pub fn is_binding(self) -> bool {
        self.0 < Self::OWN.0
    }
}

impl std::fmt::Debug for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (*self, self.as_edge(), self.as_derivation()) {
            (Via::NONE, ..) => f.write_str("none"),
            (Via::OWN, ..) => f.write_str("own"),
            (_, Some(e), _) => write!(f, "edge {e}"),
            (_, _, Some(d)) => write!(f, "derivation {d}"),
            _ => unreachable!("every encoding is covered"),
        }
    }
}

/// A change reaching a property: the change's stamp, how many bindings it
/// crossed from where it started, and the binding that brings it.
///
/// Offers are ordered newest stamp first, then nearest (smaller `dist`),
/// then newest binding (see [`Visits::offer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Offer {
    pub stamp: u64,
    pub dist: u32,
    pub via: Via,
}

impl Offer {
    /// No offer.
    pub const NONE: Offer = Offer { stamp: 0, dist: 0, via: Via::NONE };

    /// What binding `via` offers its target once its source has settled:
    /// the source's change (`changed`, with `stamp` and `dist`) if it has
    /// one, the binding's sync (it `owes` one, made at `born`) if that is
    /// newer, or nothing.
    #[inline]
    pub fn along(via: Via, changed: bool, stamp: u64, dist: u32, owes: bool, born: u64) -> Option<Offer> {
        match (changed, owes) {
            (false, false) => None,
            (true, owes) if !owes || stamp > born => Some(Offer { stamp, dist: dist + 1, via }),
            _ => Some(Offer { stamp: born, dist: 1, via }),
        }
    }
}

/// Where a visit is in its settle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Known to the settle (a seed, or offered something), not decided: it
    /// may still wait for inputs.
    Parked,
    /// Decided: its winner is picked and its value final once its wave has
    /// been computed.
    Settled,
}

/// One field of a property written by field bindings, as a settle decides
/// it (see [`Field`]): the best offer into that field, and whether the
/// deciding binding wrote it. A visit's units are chained through `next`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unit {
    pub field: Field,
    /// The field's own offer won (it is newer than the whole component's
    /// change) and is computed.
    pub fires: bool,
    /// The computation changed the field.
    pub wrote: bool,
    pub ties: u32,
    pub best: Offer,
    pub next: u32,
}

/// One property's state in one settle (48 bytes).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Visit {
    /// The property node.
    pub node: u32,
    pub phase: Phase,
    /// Marked by the region walk: it waits for counted inputs.
    pub in_region: bool,
    /// Settled with a value that changed this tick (its own change, or
    /// written by the winning binding).
    pub changed: bool,
    /// No binding leaves the property: there is nothing to pass on.
    pub leaf: bool,
    /// A binding wrote it (its whole component or a field) this settle.
    pub written: bool,
    /// Inputs that have not passed their change on yet: at first every
    /// enabled binding into it (`PropertyNode::inputs`); after the region
    /// walk, those in the counted region. It is decided when this reaches 0.
    pub waiting: u32,
    /// Other bindings that offered the same change as `best` (second paths:
    /// cut when the visit settles).
    pub ties: u32,
    /// The stamp of the property's own (newest) change, or 0.
    pub own: u64,
    /// Until settled: the best offer a binding made so far. Once settled:
    /// the winner, whose stamp and distance a change carries on.
    pub best: Offer,
    /// The first of its field units (in [`Visits::units`]), or [`NONE`]:
    /// only a property written by field bindings has any.
    pub units: u32,
}

impl Visit {
    /// A visit of `node` with nothing known yet.
    #[inline]
    pub fn new(node: u32) -> Self {
        Self {
            node,
            phase: Phase::Parked,
            in_region: false,
            changed: false,
            leaf: false,
            written: false,
            waiting: 0,
            ties: 0,
            own: 0,
            best: Offer::NONE,
            units: NONE,
        }
    }

    /// A visit of `node` decided at once by `best`.
    #[inline]
    pub fn decided(node: u32, best: Offer, leaf: bool) -> Self {
        Self {
            node,
            phase: Phase::Settled,
            in_region: false,
            changed: false,
            leaf,
            written: false,
            waiting: 0,
            ties: 0,
            own: 0,
            best,
            units: NONE,
        }
    }

    /// The winner among the property's own change and the best offer.
    #[inline]
    pub fn winner(&self) -> Offer {
        if self.own > self.best.stamp { Offer { stamp: self.own, dist: 0, via: Via::OWN } } else { self.best }
    }
}

/// The visit table of one settle.
#[derive(Debug, Default)]
pub(crate) struct Visits {
    pub list: Vec<Visit>,
    /// The field units of the visits that have any.
    pub units: Vec<Unit>,
}

impl Visits {
    /// Starts a settle with `epoch`.
    pub fn clear(&mut self) {
        self.list.clear();
        self.units.clear();
    }

    /// Visit `v`'s unit for `field`, created on first use.
    pub fn unit(&mut self, v: u32, field: Field) -> u32 {
        let mut u = self.list[v as usize].units;
        while u != NONE {
            if self.units[u as usize].field == field {
                return u;
            }
            u = self.units[u as usize].next;
        }
        let head = self.list[v as usize].units;
        self.units.push(Unit { field, fires: false, wrote: false, ties: 0, best: Offer::NONE, next: head });
        self.list[v as usize].units = (self.units.len() - 1) as u32;
        self.list[v as usize].units
    }

    /// What visit `v`, settled, passes on along a binding reading `from`
    /// (one field, or [`WHOLE`]): the newest change among the units that
    /// changed what that binding reads, as `(stamp, dist)`; `None` if
    /// nothing it reads changed.
    #[inline]
    pub fn carried(&self, v: u32, from: Field) -> Option<(u64, u32)> {
        let visit = &self.list[v as usize];
        let whole = visit.changed.then_some((visit.best.stamp, visit.best.dist));
        if visit.units == NONE {
            return whole;
        }
        let mut newest = whole;
        let mut u = visit.units;
        while u != NONE {
            let unit = &self.units[u as usize];
            if unit.wrote
                && (from == WHOLE || from == unit.field)
                && newest.is_none_or(|(s, _)| unit.best.stamp > s)
            {
                newest = Some((unit.best.stamp, unit.best.dist));
            }
            u = unit.next;
        }
        newest
    }

    /// The visit of `node` in the settle with `epoch`, created on first use.
    #[inline]
    pub fn of(&mut self, nodes: &mut [PropertyNode], node: u32, epoch: u32) -> u32 {
        let n = &mut nodes[node as usize];
        if n.epoch != epoch {
            n.epoch = epoch;
            n.visit = self.list.len() as u32;
            self.list.push(Visit { leaf: n.out_head == NONE, waiting: n.inputs, ..Visit::new(node) });
        }
        n.visit
    }

    /// Adds `visit` for node `n`, which has none in this settle yet.
    #[inline]
    pub fn add(&mut self, n: &mut PropertyNode, visit: Visit, epoch: u32) -> u32 {
        debug_assert_ne!(n.epoch, epoch, "one visit per node per settle");
        n.epoch = epoch;
        n.visit = self.list.len() as u32;
        self.list.push(visit);
        n.visit
    }

    /// The visit of `node` if the settle with `epoch` has one.
    #[inline]
    pub fn get(nodes: &[PropertyNode], node: u32, epoch: u32) -> Option<u32> {
        let n = &nodes[node as usize];
        (n.epoch == epoch).then_some(n.visit)
    }

    /// Records `offer` at visit `v`, into its whole component or (for a
    /// field binding) into unit `field`. The newest change wins; of one
    /// change, the nearest binding; of equally near ones, the newest binding
    /// (`born` gives a binding's creation stamp). A second binding bringing
    /// the winning change counts as a tie (a cut); a derivation is one
    /// binding, whichever of its inputs bring the change (the nearest
    /// counts).
    #[inline]
    pub fn offer(&mut self, v: u32, field: Field, offer: Offer, repeat: bool, born: impl Fn(Via) -> u64) {
        let (best, ties) = if field == WHOLE {
            let visit = &mut self.list[v as usize];
            (&mut visit.best, &mut visit.ties)
        } else {
            let u = self.unit(v, field);
            let unit = &mut self.units[u as usize];
            (&mut unit.best, &mut unit.ties)
        };
        if repeat && offer.via != best.via {
            // A derivation's further input, for a change it already offered
            // and lost (counted as a tie then): through this nearer input it
            // may win now, the old best taking its place among the ties.
            if offer.stamp == best.stamp
                && (offer.dist < best.dist || (offer.dist == best.dist && born(offer.via) > born(best.via)))
            {
                *best = offer;
            }
            return;
        }
        if best.via == Via::NONE || offer.stamp > best.stamp {
            *best = offer;
            *ties = 0;
        } else if offer.stamp == best.stamp && offer.via == best.via {
            // The same derivation, through another input: one binding, not a
            // tie; the nearer input counts.
            best.dist = best.dist.min(offer.dist);
        } else if offer.stamp == best.stamp {
            // Another binding bringing the same change: a tie, the nearer
            // or newer one kept.
            *ties += 1;
            if offer.dist < best.dist || (offer.dist == best.dist && born(offer.via) > born(best.via)) {
                *best = offer;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(stamp: u64, dist: u32, edge: u32) -> Offer {
        Offer { stamp, dist, via: Via::edge(edge) }
    }

    #[test]
    fn via_encodes_edges_derivations_and_own() {
        assert_eq!((Via::edge(7).as_edge(), Via::edge(7).as_derivation()), (Some(7), None));
        assert_eq!((Via::derivation(7).as_edge(), Via::derivation(7).as_derivation()), (None, Some(7)));
        assert_eq!(
            (Via::OWN.as_edge(), Via::OWN.as_derivation(), Via::OWN.is_binding()),
            (None, None, false)
        );
        assert!(!Via::NONE.is_binding() && Via::derivation(0).is_binding());
        assert_eq!(
            format!("{:?} {:?} {:?}", Via::edge(1), Via::derivation(2), Via::OWN),
            "edge 1 derivation 2 own"
        );
    }

    #[test]
    fn newest_then_nearest_then_newest_binding_wins_and_ties_are_counted() {
        let mut visits = Visits::default();
        let mut nodes = vec![PropertyNode::new(hecs::Entity::DANGLING, 0)];
        let v = visits.of(&mut nodes, 0, 1);
        assert_eq!(visits.of(&mut nodes, 0, 1), v, "one visit per node per settle");
        let born = |via: Via| via.as_edge().map_or(0, u64::from);
        let offer_whole = |visits: &mut Visits, o| visits.offer(v, WHOLE, o, false, born);
        offer_whole(&mut visits, offer(5, 3, 1));
        offer_whole(&mut visits, offer(4, 1, 2));
        assert_eq!(visits.list[v as usize].best, offer(5, 3, 1), "older loses, uncounted");
        offer_whole(&mut visits, offer(5, 2, 3));
        offer_whole(&mut visits, offer(5, 2, 4));
        offer_whole(&mut visits, offer(5, 2, 0));
        assert_eq!(visits.list[v as usize].best, offer(5, 2, 4), "nearest, then newest binding");
        assert_eq!(visits.list[v as usize].ties, 3);
        offer_whole(&mut visits, offer(6, 9, 0));
        assert_eq!((visits.list[v as usize].best, visits.list[v as usize].ties), (offer(6, 9, 0), 0));
        visits.offer(v, 3, offer(7, 1, 5), false, born);
        assert_eq!(visits.list[v as usize].best, offer(6, 9, 0), "a field offer leaves the whole alone");
        assert_eq!(visits.carried(v, WHOLE), None, "nothing changed yet");
        let u = visits.unit(v, 3);
        visits.units[u as usize].wrote = true;
        visits.list[v as usize].changed = true;
        assert_eq!(visits.carried(v, 3), Some((7, 1)), "the field's change is newer");
        assert_eq!(visits.carried(v, 4), Some((6, 9)), "another field: the whole's change");
        visits.list[v as usize].own = 7;
        assert_eq!(visits.list[v as usize].winner().via, Via::OWN);
        assert_eq!(Visits::get(&nodes, 0, 2), None, "a new settle sees no visit");
    }
}
