//! Cycles in a settle: finding them among the properties the settle could not
//! order, and planning who claims what inside each one (rule 5 on
//! [`propagate`](crate::propagate)).
//!
//! A cycle here is a strongly connected group of waiting properties: every
//! member can reach every other along enabled bindings (a two-way pair is the
//! smallest). The settle hands a cycle over once every binding into it from
//! outside has settled; [`Cycles::plan`] then decides, without computing any
//! value, which change claims each member and in what order the members are
//! computed. The settle computes them in that order.

use crate::graph::BindingGraph;
use crate::records::{EdgeKind, NONE};
use crate::visit::{Offer, Phase, Via, Visits};

/// One cycle found in a settle: `members[start..start + len]`, and how many
/// bindings into it from outside have not settled yet.
#[derive(Clone, Copy, Debug)]
struct Group {
    start: u32,
    len: u32,
    waiting: u32,
}

/// A change entering a cycle at one member.
#[derive(Clone, Copy, Debug)]
struct Seed {
    offer: Offer,
    /// The creation stamp of the binding that brings it (ties: newest wins).
    born: u64,
    /// The member it enters at.
    pos: u32,
    /// `excluded[exclude.0..exclude.1]`: members its flood must not claim
    /// (a sync's own source, a derivation sync's inputs in the cycle).
    exclude: (u32, u32),
    /// Whether it is a binding's owed sync (or that sync carried by a newer
    /// change), for the statistics.
    sync: bool,
}

/// Which change claimed a member, and how.
#[derive(Clone, Copy, Debug)]
struct Claim {
    /// Index into `floods`, or [`NONE`].
    flood: u32,
    via: Via,
    dist: u32,
    /// The member that passed the change on, or [`NONE`] where it entered
    /// the cycle (an own change, an offer from outside, an owed sync).
    parent: u32,
}

/// What planning one cycle counted.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ClaimStats {
    pub applied: usize,
    pub superseded: usize,
    pub cut: usize,
    pub syncs_won: usize,
}

/// The cycles of one settle, and the buffers to find and plan them.
#[derive(Debug, Default)]
pub(crate) struct Cycles {
    /// Whether the cycles of this settle were looked for already.
    pub found: bool,
    /// Cycles whose every input from outside has settled.
    pub ready: Vec<u32>,
    groups: Vec<Group>,
    members: Vec<u32>,
    /// By visit: its cycle, or [`NONE`] (shorter than the visit table while
    /// no cycle was found: missing entries are [`NONE`]).
    group: Vec<u32>,
    /// By visit: its position in its cycle's members.
    pos: Vec<u32>,
    // Tarjan's algorithm, by visit.
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    stack: Vec<u32>,
    call: Vec<(u32, u32)>,
    // Planning one cycle, by member position.
    seeds: Vec<Seed>,
    excluded: Vec<u32>,
    claims: Vec<Claim>,
    order: Vec<u32>,
    floods: Vec<(u64, u32, u32)>,
    /// The plan of the last [`plan`](Cycles::plan), in the order to compute
    /// it: each claimed member's visit, its winning offer (whose `via` is
    /// the binding to compute it, or `Via::OWN`), and the visit of the member
    /// that passed the change on ([`NONE`] where the change entered).
    pub plan: Vec<(u32, Offer, u32)>,
}

impl Cycles {
    /// Forgets the last settle's cycles.
    pub fn clear(&mut self) {
        self.found = false;
        self.ready.clear();
        self.groups.clear();
        self.members.clear();
        self.group.clear();
        self.pos.clear();
    }

    /// The cycle visit `v` belongs to, or [`NONE`].
    #[inline]
    pub fn group_of(&self, v: u32) -> u32 {
        self.group.get(v as usize).copied().unwrap_or(NONE)
    }

    /// Makes the members `members[start..]` cycle number `groups.len()`.
    fn push_group(&mut self, start: usize, waiting: u32) -> u32 {
        let g = self.groups.len() as u32;
        let len = self.members.len() - start;
        for i in start..self.members.len() {
            let m = self.members[i] as usize;
            if self.group.len() <= m {
                self.group.resize(m + 1, NONE);
                self.pos.resize(m + 1, 0);
            }
            (self.group[m], self.pos[m]) = (g, (i - start) as u32);
        }
        self.groups.push(Group { start: start as u32, len: len as u32, waiting });
        if waiting == 0 {
            self.ready.push(g);
        }
        g
    }

    /// The visits of cycle `g`.
    pub fn members(&self, g: u32) -> std::ops::Range<usize> {
        let group = self.groups[g as usize];
        group.start as usize..(group.start + group.len) as usize
    }

    /// The visit at `i` of [`members`](Cycles::members).
    pub fn member(&self, i: usize) -> u32 {
        self.members[i]
    }

    /// A binding from outside into cycle `g` settled.
    pub fn input_settled(&mut self, g: u32) {
        let group = &mut self.groups[g as usize];
        group.waiting -= 1;
        if group.waiting == 0 {
            self.ready.push(g);
        }
    }

    /// Finds the strongly connected groups among the unsettled visits of the
    /// region (Tarjan's algorithm, iterative: any depth, O(visits + their
    /// bindings)). Each group of two or more becomes a cycle: its members
    /// learn it (`Visit::group`, `Visit::pos`), and it counts the bindings
    /// into it from outside still to settle; cycles waiting for none are
    /// ready. A group of one is no cycle (no property binds to itself): it
    /// settles in the waves as before.
    pub fn find(&mut self, graph: &BindingGraph, visits: &Visits, epoch: u32) {
        self.found = true;
        let n = visits.list.len();
        self.index.clear();
        self.index.resize(n, NONE);
        self.low.clear();
        self.low.resize(n, 0);
        self.on_stack.clear();
        self.on_stack.resize(n, false);
        let mut counter = 0;
        for root in 0..n as u32 {
            let v = &visits.list[root as usize];
            if v.phase != Phase::Parked || !v.in_region || self.index[root as usize] != NONE {
                continue;
            }
            self.enter(root, &mut counter, graph, visits);
            while let Some(&(v, e)) = self.call.last() {
                if e != NONE {
                    let edge = graph.edges[e as usize];
                    self.call.last_mut().expect("non-empty").1 = edge.out_next;
                    let Some(w) = waiting_target(graph, visits, epoch, &edge) else { continue };
                    if self.index[w as usize] == NONE {
                        self.enter(w, &mut counter, graph, visits);
                    } else if self.on_stack[w as usize] {
                        self.low[v as usize] = self.low[v as usize].min(self.index[w as usize]);
                    }
                    continue;
                }
                self.call.pop();
                if let Some(&(parent, _)) = self.call.last() {
                    self.low[parent as usize] = self.low[parent as usize].min(self.low[v as usize]);
                }
                if self.low[v as usize] == self.index[v as usize] {
                    self.pop_component(v, graph, visits, epoch);
                }
            }
        }
    }

    fn enter(&mut self, v: u32, counter: &mut u32, graph: &BindingGraph, visits: &Visits) {
        self.index[v as usize] = *counter;
        self.low[v as usize] = *counter;
        *counter += 1;
        self.stack.push(v);
        self.on_stack[v as usize] = true;
        let node = visits.list[v as usize].node;
        self.call.push((v, graph.nodes[node as usize].out_head));
    }

    /// Pops the component rooted at `root` off Tarjan's stack; records it as
    /// a cycle if it has two or more members.
    fn pop_component(&mut self, root: u32, graph: &BindingGraph, visits: &Visits, epoch: u32) {
        let start = self.members.len();
        loop {
            let w = self.stack.pop().expect("the root is on the stack");
            self.on_stack[w as usize] = false;
            self.members.push(w);
            if w == root {
                break;
            }
        }
        if self.members.len() - start < 2 {
            self.members.truncate(start);
            return;
        }
        let g = self.push_group(start, NONE);
        // Bindings into the cycle from outside = all counted inputs of its
        // members minus the bindings between members.
        let mut waiting: u32 = self.members[start..].iter().map(|&m| visits.list[m as usize].waiting).sum();
        for &m in &self.members[start..] {
            let mut e = graph.nodes[visits.list[m as usize].node as usize].out_head;
            while e != NONE {
                let edge = graph.edges[e as usize];
                e = edge.out_next;
                if waiting_target(graph, visits, epoch, &edge).is_some_and(|w| self.group_of(w) == g) {
                    waiting -= 1;
                }
            }
        }
        self.groups[g as usize].waiting = waiting;
        if waiting == 0 {
            self.ready.push(g);
        }
    }

    /// Plans cycle `g`, whose inputs from outside have all settled: which
    /// change claims each member (newest first, each flooding the cycle
    /// nearest first), and the order to compute them in (older changes
    /// first, each in the order it claimed). Fills [`plan`](Cycles::plan)
    /// with the claimed members; unclaimed members keep their value.
    ///
    /// Claims are made before any value is known, so they cannot depend on
    /// values: they decide who may write a member. Whether it is written is
    /// decided when the plan runs: a member claimed from another member is
    /// computed only if that member changed (the equality gate holds inside
    /// cycles too).
    pub fn plan(
        &mut self,
        g: u32,
        graph: &BindingGraph,
        visits: &Visits,
        floor: u64,
        epoch: u32,
    ) -> ClaimStats {
        let mut stats = ClaimStats::default();
        let range = self.members(g);
        self.seeds.clear();
        self.excluded.clear();
        for i in range.clone() {
            let x = self.members[i];
            self.seed_member(g, x, graph, visits, floor, epoch);
        }
        self.seeds.sort_by(|a, b| {
            (b.offer.stamp, a.offer.dist, b.born).cmp(&(a.offer.stamp, b.offer.dist, a.born))
        });
        self.claims.clear();
        self.claims.resize(range.len(), Claim { flood: NONE, via: Via::NONE, dist: 0, parent: NONE });
        self.order.clear();
        self.floods.clear();
        let mut i = 0;
        while i < self.seeds.len() {
            let stamp = self.seeds[i].offer.stamp;
            let mut j = i;
            while j < self.seeds.len() && self.seeds[j].offer.stamp == stamp {
                j += 1;
            }
            self.flood(g, i..j, graph, visits, epoch, &mut stats);
            i = j;
        }
        self.plan.clear();
        for &(stamp, start, end) in self.floods.iter().rev() {
            for &pos in &self.order[start as usize..end as usize] {
                let Claim { via, dist, parent, .. } = self.claims[pos as usize];
                let parent = if parent == NONE { NONE } else { self.members[range.start + parent as usize] };
                self.plan.push((
                    self.members[range.start + pos as usize],
                    Offer { stamp, dist, via },
                    parent,
                ));
            }
        }
        stats
    }

    /// The changes entering member `x` of cycle `g`: its own change, offers
    /// of bindings from settled (or untouched) properties, and syncs owed by
    /// bindings from inside the cycle.
    fn seed_member(&mut self, g: u32, x: u32, graph: &BindingGraph, visits: &Visits, floor: u64, epoch: u32) {
        let visit = &visits.list[x as usize];
        let pos = self.pos[x as usize];
        if visit.own != 0 {
            let offer = Offer { stamp: visit.own, dist: 0, via: Via::OWN };
            self.seeds.push(Seed { offer, born: u64::MAX, pos, exclude: (0, 0), sync: false });
        }
        // A property outside the cycle: `Ok((changed, stamp, dist))`; one of
        // its members: `Err(position)`.
        let (group, position) = (std::mem::take(&mut self.group), std::mem::take(&mut self.pos));
        let outside = |node: u32| match Visits::get(&graph.nodes, node, epoch) {
            Some(v) if group.get(v as usize) == Some(&g) => Err(position[v as usize]),
            Some(v) => {
                let v = &visits.list[v as usize];
                Ok((v.phase == Phase::Settled && v.changed, v.best.stamp, v.best.dist))
            }
            None => Ok((false, 0, 0)),
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
                if graph.derivations[edge.slot as usize].first() != this {
                    continue; // one derivation, seeded once: at its first feeder
                }
                self.seed_derivation(edge.slot, pos, graph, floor, &outside);
                continue;
            }
            let via = Via::edge(this);
            let owes = edge.kind != EdgeKind::Reverse && edge.born >= floor;
            match outside(edge.source) {
                Err(source) => {
                    if owes {
                        let exclude = (self.excluded.len() as u32, self.excluded.len() as u32 + 1);
                        self.excluded.push(source);
                        let offer = Offer { stamp: edge.born, dist: 1, via };
                        self.seeds.push(Seed { offer, born: edge.born, pos, exclude, sync: true });
                    }
                }
                Ok((changed, stamp, dist)) => {
                    if let Some(offer) = Offer::along(via, changed, stamp, dist, owes, edge.born) {
                        self.seeds.push(Seed { offer, born: edge.born, pos, exclude: (0, 0), sync: owes });
                    }
                }
            }
        }
        (self.group, self.pos) = (group, position);
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
        outside: &impl Fn(u32) -> Result<(bool, u64, u32), u32>,
    ) {
        let derivation = &graph.derivations[d as usize];
        let via = Via::derivation(d);
        let owes = derivation.born >= floor;
        let exclude_start = self.excluded.len() as u32;
        let mut trigger: Option<(u64, u32)> = None;
        for &f in derivation.feeders() {
            match outside(graph.edges[f as usize].source) {
                Err(input) => self.excluded.push(input),
                Ok((true, stamp, dist)) => {
                    if trigger
                        .is_none_or(|(s, dd)| (stamp, std::cmp::Reverse(dist)) > (s, std::cmp::Reverse(dd)))
                    {
                        trigger = Some((stamp, dist));
                    }
                }
                Ok(_) => {}
            }
        }
        let exclude = (exclude_start, self.excluded.len() as u32);
        let (stamp, dist) = trigger.unwrap_or((0, 0));
        if exclude.0 == exclude.1 {
            // Every input is outside: an ordinary offer.
            if let Some(offer) = Offer::along(via, trigger.is_some(), stamp, dist, owes, derivation.born) {
                self.seeds.push(Seed { offer, born: derivation.born, pos, exclude: (0, 0), sync: owes });
            }
            return;
        }
        if owes {
            let offer = Offer { stamp: derivation.born, dist: 1, via };
            self.seeds.push(Seed { offer, born: derivation.born, pos, exclude, sync: true });
        }
        if trigger.is_some() {
            let offer = Offer { stamp, dist: dist + 1, via };
            self.seeds.push(Seed { offer, born: derivation.born, pos, exclude: (0, 0), sync: false });
        }
    }

    /// Floods cycle `g` with the change of `seeds[range]` (one stamp; several
    /// seeds when it enters at several members), nearest first, claiming
    /// every member no newer change claimed.
    fn flood(
        &mut self,
        g: u32,
        range: std::ops::Range<usize>,
        graph: &BindingGraph,
        visits: &Visits,
        epoch: u32,
        stats: &mut ClaimStats,
    ) {
        let flood = self.floods.len() as u32;
        let start = self.order.len();
        let first = self.members(g).start;
        let (mut k, mut cursor) = (range.start, start);
        let exclude = self.seeds[range.start].exclude;
        let excluded =
            |me: &Self, pos: u32| me.excluded[exclude.0 as usize..exclude.1 as usize].contains(&pos);
        loop {
            let next_seed = k < range.end
                && (cursor == self.order.len()
                    || self.seeds[k].offer.dist <= self.claims[self.order[cursor] as usize].dist);
            if next_seed {
                let seed = self.seeds[k];
                k += 1;
                let claim = self.claims[seed.pos as usize];
                if claim.flood != NONE {
                    if seed.offer.via == Via::OWN {
                        stats.superseded += 1;
                    } else if claim.flood == flood && claim.via != seed.offer.via {
                        stats.cut += 1; // the same change, by a second binding
                    } else if seed.sync && claim.via == seed.offer.via {
                        stats.syncs_won += 1; // carried by a newer change of its source
                    }
                    continue;
                }
                let range = seed.exclude.0 as usize..seed.exclude.1 as usize;
                if self.excluded[range].iter().any(|&p| self.claims[p as usize].flood != NONE) {
                    continue; // its source is claimed by a newer change, which carries it
                }
                if seed.offer.via == Via::OWN {
                    stats.applied += 1;
                } else if seed.sync {
                    stats.syncs_won += 1;
                    if seed.offer.stamp == seed.born {
                        stats.applied += 1;
                    }
                }
                self.claims[seed.pos as usize] =
                    Claim { flood, via: seed.offer.via, dist: seed.offer.dist, parent: NONE };
                self.order.push(seed.pos);
                continue;
            }
            if cursor == self.order.len() {
                break;
            }
            let pos = self.order[cursor];
            cursor += 1;
            let claim = self.claims[pos as usize];
            let back = claim.via.as_edge().map_or(NONE, |a| graph.edges[a as usize].twin);
            let mut e =
                graph.nodes[visits.list[self.members[first + pos as usize] as usize].node as usize].out_head;
            while e != NONE {
                let edge = graph.edges[e as usize];
                let this = e;
                e = edge.out_next;
                if this == back {
                    continue; // straight back along the binding it came by
                }
                let Some(w) = waiting_target(graph, visits, epoch, &edge) else { continue };
                if self.group_of(w) != g {
                    continue; // leaves the cycle: offered when the cycle has settled
                }
                let target = self.pos[w as usize];
                let via =
                    if edge.kind == EdgeKind::Feeder { Via::derivation(edge.slot) } else { Via::edge(this) };
                let other = self.claims[target as usize];
                if other.flood == flood || excluded(self, target) {
                    if other.via != via {
                        stats.cut += 1; // the change reaches a property it already claimed
                    }
                } else if other.flood == NONE {
                    self.claims[target as usize] = Claim { flood, via, dist: claim.dist + 1, parent: pos };
                    self.order.push(target);
                }
            }
        }
        self.floods.push((self.seeds[range.start].offer.stamp, start as u32, self.order.len() as u32));
    }
}

/// The undecided visit that `edge` writes, if any (its target, or a feeder's
/// derivation target).
fn waiting_target(
    graph: &BindingGraph,
    visits: &Visits,
    epoch: u32,
    edge: &crate::records::Edge,
) -> Option<u32> {
    if !edge.enabled {
        return None;
    }
    let w = Visits::get(&graph.nodes, edge.target, epoch)?;
    let visit = &visits.list[w as usize];
    (visit.phase == Phase::Parked).then_some(w)
}
