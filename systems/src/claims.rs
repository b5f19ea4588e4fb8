//! Claims inside one cycle (rule 5 on [`propagate`](crate::propagate)):
//! which change decides each unit of each member, and the order in which the
//! settle then computes them.
//!
//! A **unit** is what one binding writes: a member's whole component, or one
//! field of it written by field bindings. Units are claimed, not members, so
//! two fields of one component bound to different properties of a cycle are
//! decided independently. A change claiming a member's whole component
//! claims its unclaimed fields with it (a whole write decides every field):
//! those are **covered**, computed by the whole write.

mod levels;

use crate::cycles::{Cycles, waiting_target};
use crate::graph::BindingGraph;
use crate::records::{EdgeKind, Field, NONE, WHOLE};
use crate::visit::{Offer, Phase, Via, Visits};

/// A change entering a cycle at one unit.
#[derive(Clone, Copy, Debug)]
struct Seed {
    offer: Offer,
    /// The creation stamp of the binding that brings it (ties: newest wins).
    born: u64,
    /// The unit it enters at.
    unit: u32,
    /// `excluded[exclude.0..exclude.1]`: member positions its flood must not
    /// claim (a sync's own source, a derivation sync's inputs in the cycle).
    exclude: (u32, u32),
    /// Whether it is a binding's owed sync (or that sync carried by a newer
    /// change), for the statistics.
    sync: bool,
}

/// Which change claimed a unit, and how.
#[derive(Clone, Copy, Debug)]
struct Claim {
    /// Index into `floods`, or [`NONE`].
    flood: u32,
    via: Via,
    dist: u32,
    /// The unit that passed the change on, or [`NONE`] where it entered.
    parent: u32,
    /// Decided by its member's whole write (see the module docs).
    covered: bool,
    /// More units that passed the same change on at the same distance
    /// through the same derivation (its other inputs): a list in `more`.
    more: u32,
}

/// A way one change may claim a unit at the distance being flooded: an
/// entry (`seed`) or a binding from a unit it claimed one step nearer.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    unit: u32,
    /// The bringing binding's creation (or resume) stamp: ties go to the
    /// newest.
    born: u64,
    via: Via,
    /// The claimed unit it comes from, or [`NONE`] for an entry.
    parent: u32,
    /// Index into `seeds` for an entry, or [`NONE`].
    seed: u32,
}

const UNCLAIMED: Claim =
    Claim { flood: NONE, via: Via::NONE, dist: 0, parent: NONE, covered: false, more: NONE };

/// What planning one cycle counted.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ClaimStats {
    pub applied: usize,
    pub superseded: usize,
    pub cut: usize,
    pub syncs_won: usize,
}

/// One step of a plan: compute (or keep) one unit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step {
    /// The member's visit.
    pub visit: u32,
    /// The unit: a field, or [`WHOLE`].
    pub field: Field,
    /// The deciding change; `via` is the binding that computes the unit, or
    /// `Via::OWN`.
    pub offer: Offer,
    /// The unit that passed the change on, as `(visit, field)`; `None` where
    /// the change entered the cycle.
    pub parent: Option<(u32, Field)>,
    /// `Claims::parents[also.0..also.1]`: the other units that passed it on
    /// (a derivation reached through several inputs at once). The step is
    /// computed if any of its parents changed.
    pub also: (u32, u32),
    /// Decided by the member's whole write: nothing to compute.
    pub covered: bool,
}

/// The buffers to plan one cycle at a time.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    /// Every unit of the cycle being planned, as `(member position, field)`;
    /// a member's units are contiguous, its whole component first.
    units: Vec<(u32, Field)>,
    /// By member position: where its units start (one more entry at the
    /// end).
    first: Vec<u32>,
    seeds: Vec<Seed>,
    excluded: Vec<u32>,
    claims: Vec<Claim>,
    order: Vec<u32>,
    floods: Vec<(u64, u32, u32)>,
    candidates: Vec<Candidate>,
    /// Numbers every flood ever planned, for `derivation_cut`.
    serial: u64,
    /// By derivation slot: the last flood that counted it as a cut.
    derivation_cut: Vec<u64>,
    /// Linked lists of extra parents: `(unit, next)`.
    more: Vec<(u32, u32)>,
    /// Scratch for ordering a level (see `levels.rs`).
    level: levels::LevelOrder,
    /// The extra parents of the last plan's steps (see [`Step::also`]).
    pub parents: Vec<(u32, Field)>,
    /// The last plan, in the order to compute it.
    pub plan: Vec<Step>,
}

impl Claims {
    /// Plans cycle `g` of `cycles`, whose inputs from outside have all
    /// settled: which change claims each unit (newest first, each flooding
    /// the cycle nearest first), and the order to compute them (older
    /// changes first, each in the order it claimed). Fills
    /// [`plan`](Claims::plan) with the claimed units; unclaimed ones keep
    /// their value.
    ///
    /// Claims are made before any value is known, so they cannot depend on
    /// values: they decide who may write a unit. Whether it is written is
    /// decided when the plan runs: a unit claimed from another unit is
    /// computed only if that unit changed (the equality gate holds inside
    /// cycles too).
    pub fn plan(
        &mut self,
        cycles: &Cycles,
        g: u32,
        graph: &BindingGraph,
        visits: &Visits,
        (floor, epoch): (u64, u32),
    ) -> ClaimStats {
        let mut stats = ClaimStats::default();
        let members = cycles.members(g);
        self.list_units(cycles, members.clone(), graph, visits);
        self.seeds.clear();
        self.excluded.clear();
        for i in members.clone() {
            self.seed_member(cycles, g, cycles.member(i), graph, visits, (floor, epoch));
        }
        self.seeds.sort_by(|a, b| {
            (b.offer.stamp, a.offer.dist, b.born).cmp(&(a.offer.stamp, b.offer.dist, a.born))
        });
        self.claims.clear();
        self.claims.resize(self.units.len(), UNCLAIMED);
        self.order.clear();
        self.floods.clear();
        self.more.clear();
        let mut i = 0;
        while i < self.seeds.len() {
            let stamp = self.seeds[i].offer.stamp;
            let mut j = i;
            while j < self.seeds.len() && self.seeds[j].offer.stamp == stamp {
                j += 1;
            }
            self.flood(cycles, g, i..j, graph, visits, epoch, &mut stats);
            i = j;
        }
        self.plan.clear();
        self.parents.clear();
        let visit = |pos: u32| cycles.member(members.start + pos as usize);
        for &(stamp, start, end) in self.floods.iter().rev() {
            for &u in &self.order[start as usize..end as usize] {
                let claim = self.claims[u as usize];
                let (pos, field) = self.units[u as usize];
                let unit_of = |unit: u32| {
                    let (pos, field) = self.units[unit as usize];
                    (visit(pos), field)
                };
                let parent = (claim.parent != NONE).then(|| unit_of(claim.parent));
                let first = self.parents.len() as u32;
                let mut m = claim.more;
                while m != NONE {
                    let (unit, next) = self.more[m as usize];
                    self.parents.push(unit_of(unit));
                    m = next;
                }
                let also = (first, self.parents.len() as u32);
                let offer = Offer { stamp, dist: claim.dist, via: claim.via };
                self.plan.push(Step {
                    visit: visit(pos),
                    field,
                    offer,
                    parent,
                    also,
                    covered: claim.covered,
                });
            }
        }
        stats
    }

    /// Lists the units of every member: its whole component, then each field
    /// an enabled field binding writes.
    fn list_units(
        &mut self,
        cycles: &Cycles,
        members: std::ops::Range<usize>,
        graph: &BindingGraph,
        visits: &Visits,
    ) {
        self.units.clear();
        self.first.clear();
        for (pos, i) in members.enumerate() {
            let start = self.units.len();
            self.first.push(start as u32);
            self.units.push((pos as u32, WHOLE));
            let mut e = graph.nodes[visits.list[cycles.member(i) as usize].node as usize].in_head;
            while e != NONE {
                let edge = &graph.edges[e as usize];
                e = edge.in_next;
                if edge.enabled
                    && edge.field != WHOLE
                    && !self.units[start..].iter().any(|&(_, f)| f == edge.field)
                {
                    self.units.push((pos as u32, edge.field));
                }
            }
        }
        self.first.push(self.units.len() as u32);
    }

    /// Member `pos`'s unit for `field`.
    fn unit_of(&self, pos: u32, field: Field) -> u32 {
        let (start, end) = (self.first[pos as usize], self.first[pos as usize + 1]);
        (start..end).find(|&u| self.units[u as usize].1 == field).expect("every written field is a unit")
    }

    /// The changes entering member `x` of cycle `g`: its own change, offers
    /// of bindings from settled (or untouched) properties, and syncs owed by
    /// bindings from inside the cycle.
    fn seed_member(
        &mut self,
        cycles: &Cycles,
        g: u32,
        x: u32,
        graph: &BindingGraph,
        visits: &Visits,
        (floor, epoch): (u64, u32),
    ) {
        let visit = &visits.list[x as usize];
        let pos = cycles.pos_of(x);
        if visit.own != 0 {
            let offer = Offer { stamp: visit.own, dist: 0, via: Via::OWN };
            let unit = self.unit_of(pos, WHOLE);
            self.seeds.push(Seed { offer, born: u64::MAX, unit, exclude: (0, 0), sync: false });
        }
        // A member of the cycle: `Err(position)`; a property outside it: what
        // it carries along a binding reading `from`, if anything.
        let outside = |node: u32, from: Field| match Visits::get(&graph.nodes, node, epoch) {
            Some(v) if cycles.group_of(v) == g => Err(cycles.pos_of(v)),
            Some(v) if visits.list[v as usize].phase == Phase::Settled => Ok(visits.carried(v, from)),
            _ => Ok(None),
        };
        let mut e = graph.nodes[visit.node as usize].in_head;
        while e != NONE {
            let edge = graph.edges[e as usize];
            let this = e;
            e = edge.in_next;
            if !edge.enabled {
                continue;
            }
            if edge.kind == EdgeKind::Feeder {
                if graph.derivations[edge.slot as usize].first() == this {
                    self.seed_derivation(edge.slot, pos, graph, floor, &outside);
                }
                continue; // one derivation, seeded once: at its first feeder
            }
            let via = Via::edge(this);
            let owes = edge.owes_sync(floor);
            let unit = self.unit_of(pos, edge.field);
            match outside(edge.source, edge.from) {
                Err(source) => {
                    if owes {
                        let exclude = (self.excluded.len() as u32, self.excluded.len() as u32 + 1);
                        self.excluded.push(source);
                        let offer = Offer { stamp: edge.born, dist: 1, via };
                        self.seeds.push(Seed { offer, born: edge.born, unit, exclude, sync: true });
                    }
                }
                Ok(carried) => {
                    let (stamp, dist) = carried.unwrap_or((0, 0));
                    if let Some(offer) = Offer::along(via, carried.is_some(), stamp, dist, owes, edge.born) {
                        self.seeds.push(Seed { offer, born: edge.born, unit, exclude: (0, 0), sync: owes });
                    }
                }
            }
        }
    }

    /// The seeds of derivation `d` into member `pos`: the newest change of an
    /// input outside, and its owed sync (which must not claim its inputs
    /// inside the cycle).
    fn seed_derivation(
        &mut self,
        d: u32,
        pos: u32,
        graph: &BindingGraph,
        floor: u64,
        outside: &impl Fn(u32, Field) -> Result<Option<(u64, u32)>, u32>,
    ) {
        let derivation = &graph.derivations[d as usize];
        let via = Via::derivation(d);
        let owes = derivation.born >= floor;
        let unit = self.unit_of(pos, WHOLE);
        let exclude_start = self.excluded.len() as u32;
        let mut trigger: Option<(u64, u32)> = None;
        for &f in derivation.feeders() {
            match outside(graph.edges[f as usize].source, WHOLE) {
                Err(input) => self.excluded.push(input),
                Ok(Some((stamp, dist))) => {
                    if trigger
                        .is_none_or(|(s, dd)| (stamp, std::cmp::Reverse(dist)) > (s, std::cmp::Reverse(dd)))
                    {
                        trigger = Some((stamp, dist));
                    }
                }
                Ok(None) => {}
            }
        }
        let exclude = (exclude_start, self.excluded.len() as u32);
        let (stamp, dist) = trigger.unwrap_or((0, 0));
        if exclude.0 == exclude.1 {
            // Every input is outside: an ordinary offer.
            if let Some(offer) = Offer::along(via, trigger.is_some(), stamp, dist, owes, derivation.born) {
                self.seeds.push(Seed { offer, born: derivation.born, unit, exclude: (0, 0), sync: owes });
            }
            return;
        }
        if owes {
            let offer = Offer { stamp: derivation.born, dist: 1, via };
            self.seeds.push(Seed { offer, born: derivation.born, unit, exclude, sync: true });
        }
        if trigger.is_some() {
            let offer = Offer { stamp, dist: dist + 1, via };
            self.seeds.push(Seed { offer, born: derivation.born, unit, exclude: (0, 0), sync: false });
        }
    }

    /// Claims unit `u` for a change (and, for a whole component, its
    /// unclaimed fields, covered).
    fn claim(&mut self, u: u32, claim: Claim) {
        self.claims[u as usize] = claim;
        self.order.push(u);
        let (pos, field) = self.units[u as usize];
        if field == WHOLE {
            for f in self.first[pos as usize] + 1..self.first[pos as usize + 1] {
                if self.claims[f as usize].flood == NONE {
                    self.claims[f as usize] = Claim { parent: u, covered: true, ..claim };
                    self.order.push(f);
                }
            }
        }
    }

    /// Floods cycle `g` with the change of `seeds[range]` (one stamp; several
    /// seeds when it enters at several units), claiming every unit no newer
    /// change claimed, level by level in distance: the entries and the flood
    /// steps of one distance compete together, and of those reaching one
    /// unit the newest binding claims it (as rule 3 breaks ties).
    #[allow(clippy::too_many_arguments)] // the buffers it floods, and where
    fn flood(
        &mut self,
        cycles: &Cycles,
        g: u32,
        range: std::ops::Range<usize>,
        graph: &BindingGraph,
        visits: &Visits,
        epoch: u32,
        stats: &mut ClaimStats,
    ) {
        let flood = self.floods.len() as u32;
        self.serial += 1;
        let serial = self.serial;
        let start = self.order.len();
        let mut k = range.start;
        let (mut level, mut dist) = (start..start, 0);
        loop {
            let next = match (level.is_empty(), k < range.end) {
                (false, _) => dist + 1,
                (true, true) => self.seeds[k].offer.dist,
                (true, false) => break,
            };
            self.candidates.clear();
            while k < range.end && self.seeds[k].offer.dist == next {
                let seed = &self.seeds[k];
                let (unit, via, born) = (seed.unit, seed.offer.via, seed.born);
                self.candidates.push(Candidate { unit, born, via, parent: NONE, seed: k as u32 });
                k += 1;
            }
            for i in level.clone() {
                self.expand(self.order[i], cycles, g, graph, visits, epoch);
            }
            self.candidates.sort_by_key(|c| (c.unit, std::cmp::Reverse(c.born)));
            let before = self.order.len();
            for i in 0..self.candidates.len() {
                let c = self.candidates[i];
                if c.seed != NONE {
                    self.enter(c.seed as usize, flood, stats);
                    continue;
                }
                let other = self.claims[c.unit as usize];
                let exclude = self.seeds[range.start].exclude;
                let excluded = self.excluded[exclude.0 as usize..exclude.1 as usize]
                    .contains(&self.units[c.unit as usize].0);
                if other.flood == flood || excluded {
                    if other.via != c.via && !self.cut_before(c.via, serial) {
                        stats.cut += 1; // the change reaches a unit it already claimed
                    }
                    if other.flood == flood
                        && other.dist == next
                        && other.via == c.via
                        && other.parent != NONE
                        && c.via.as_derivation().is_some()
                    {
                        // The same derivation through another input, as near:
                        // it computes if either input changed.
                        self.more.push((c.parent, other.more));
                        self.claims[c.unit as usize].more = self.more.len() as u32 - 1;
                    }
                } else if other.flood == NONE {
                    let claim =
                        Claim { flood, via: c.via, dist: next, parent: c.parent, covered: false, more: NONE };
                    self.claim(c.unit, claim);
                }
            }
            self.order_level(before, cycles, g, graph, visits, epoch);
            (level, dist) = (before..self.order.len(), next);
        }
        self.floods.push((self.seeds[range.start].offer.stamp, start as u32, self.order.len() as u32));
    }

    /// Whether `via`, a derivation, was already counted as a cut of the
    /// flood numbered `serial` (a derivation is one binding, however many
    /// of its inputs bring the change); marks it counted.
    fn cut_before(&mut self, via: Via, serial: u64) -> bool {
        let Some(d) = via.as_derivation() else { return false };
        if self.derivation_cut.len() <= d as usize {
            self.derivation_cut.resize(d as usize + 1, 0);
        }
        std::mem::replace(&mut self.derivation_cut[d as usize], serial) == serial
    }

    /// The change of `seeds[k]` enters at its unit, unless that unit (or the
    /// sync's source) is claimed already.
    fn enter(&mut self, k: usize, flood: u32, stats: &mut ClaimStats) {
        let seed = self.seeds[k];
        let claim = self.claims[seed.unit as usize];
        if claim.flood != NONE {
            if seed.offer.via == Via::OWN {
                stats.superseded += 1;
            } else if claim.flood == flood && claim.via != seed.offer.via {
                if !self.cut_before(seed.offer.via, self.serial) {
                    stats.cut += 1; // the same change, by a second binding
                }
            } else if seed.sync && claim.via == seed.offer.via {
                stats.syncs_won += 1; // carried by a newer change of its source
            }
            return;
        }
        let sources = &self.excluded[seed.exclude.0 as usize..seed.exclude.1 as usize];
        if sources.iter().any(|&p| {
            (self.first[p as usize]..self.first[p as usize + 1])
                .any(|u| self.claims[u as usize].flood != NONE)
        }) {
            return; // its source is claimed by a newer change, which carries it
        }
        if seed.offer.via == Via::OWN {
            stats.applied += 1;
        } else if seed.sync {
            stats.syncs_won += 1;
            stats.applied += (seed.offer.stamp == seed.born) as usize;
        }
        let claim = Claim {
            flood,
            via: seed.offer.via,
            dist: seed.offer.dist,
            parent: NONE,
            covered: false,
            more: NONE,
        };
        self.claim(seed.unit, claim);
    }

    /// Adds, for claimed unit `u`, a candidate for each unit of the cycle a
    /// binding from it reaches (one step further).
    fn expand(&mut self, u: u32, cycles: &Cycles, g: u32, graph: &BindingGraph, visits: &Visits, epoch: u32) {
        let claim = self.claims[u as usize];
        if claim.covered {
            return; // its member's whole component passes everything on
        }
        let (pos, field) = self.units[u as usize];
        let back = claim.via.as_edge().map_or(NONE, |a| graph.edges[a as usize].twin);
        let node = visits.list[cycles.member(cycles.members(g).start + pos as usize) as usize].node;
        let mut e = graph.nodes[node as usize].out_head;
        while e != NONE {
            let edge = graph.edges[e as usize];
            let this = e;
            e = edge.out_next;
            let reads = field == WHOLE || edge.from == WHOLE || edge.from == field;
            if this == back || !reads {
                continue; // straight back along the binding it came by, or a field it did not change
            }
            let Some(w) = waiting_target(graph, visits, epoch, &edge) else { continue };
            if cycles.group_of(w) != g {
                continue; // leaves the cycle: offered when the cycle has settled
            }
            let unit = self.unit_of(cycles.pos_of(w), edge.field);
            let (via, born) = if edge.kind == EdgeKind::Feeder {
                (Via::derivation(edge.slot), graph.derivations[edge.slot as usize].born)
            } else {
                (Via::edge(this), edge.born)
            };
            self.candidates.push(Candidate { unit, born, via, parent: u, seed: NONE });
        }
    }
}
