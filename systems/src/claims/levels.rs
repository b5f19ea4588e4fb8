//! Ordering one level of a flood: the units one change claimed at one
//! distance are computed after those of them they read. Only derivations
//! read members of their own level (a binding reads the member one step
//! nearer), so this is Kahn's order among the level's derivations; a loop
//! of them is broken at one of its members, in an order the rules leave
//! open.

use std::collections::VecDeque;

use super::Claims;
use crate::cycles::Cycles;
use crate::graph::BindingGraph;
use crate::records::{EdgeKind, NONE, WHOLE};
use crate::visit::{Via, Visits};

/// The buffers to order one level, kept between levels and cycles.
#[derive(Debug, Default)]
pub(super) struct LevelOrder {
    /// By unit: its place among the groups of the level being ordered.
    group_of: Vec<u32>,
    /// The level's groups, a claimed unit and its covered fields: ranges of
    /// `Claims::order`.
    groups: Vec<(u32, u32)>,
    /// By group: how many of the level's groups it still waits for; whether
    /// it is placed; whether the walk to a loop passed it.
    waiting: Vec<u32>,
    placed: Vec<bool>,
    on_walk: Vec<bool>,
    ready: VecDeque<u32>,
    /// The level's units in their new order.
    sorted: Vec<u32>,
}

impl LevelOrder {
    /// The group of the level holding `node`'s whole unit, if the level
    /// claimed it.
    fn group(&self, claims: &Claims, node: u32, (cycles, g, graph, epoch): Ctx<'_>) -> Option<usize> {
        let v = Visits::get(&graph.nodes, node, epoch)?;
        if cycles.group_of(v) != g {
            return None;
        }
        let k = self.group_of[claims.unit_of(cycles.pos_of(v), WHOLE) as usize];
        (k != NONE).then_some(k as usize)
    }

    /// One group of the level that group `k`'s derivation reads and that is
    /// not placed yet, if any.
    fn unplaced_input(&self, claims: &Claims, k: usize, ctx: Ctx<'_>) -> Option<usize> {
        let d = claims.claims[claims.order[self.groups[k].0 as usize] as usize].via.as_derivation()?;
        let graph = ctx.2;
        graph.derivations[d as usize]
            .feeders()
            .iter()
            .filter_map(|&f| self.group(claims, graph.edges[f as usize].source, ctx))
            .find(|&j| j != k && !self.placed[j])
    }
}

/// Where a level lies: its cycle, the cycle's number, the graph, the
/// settle's epoch.
type Ctx<'a> = (&'a Cycles, u32, &'a BindingGraph, u32);

impl Claims {
    /// Orders the units claimed at one distance (`order[start..]`) so that
    /// each is computed after those it reads (see the module docs). A
    /// unit's covered fields stay right after it.
    pub(super) fn order_level(
        &mut self,
        start: usize,
        cycles: &Cycles,
        g: u32,
        graph: &BindingGraph,
        visits: &Visits,
        epoch: u32,
    ) {
        let end = self.order.len();
        if end - start < 2 {
            return;
        }
        let ctx: Ctx<'_> = (cycles, g, graph, epoch);
        let mut lv = std::mem::take(&mut self.level);
        lv.groups.clear();
        for i in start..end {
            if !self.claims[self.order[i] as usize].covered {
                lv.groups.push((i as u32, i as u32 + 1));
            } else if let Some(last) = lv.groups.last_mut() {
                last.1 = i as u32 + 1;
            }
        }
        if lv.group_of.len() < self.units.len() {
            lv.group_of.resize(self.units.len(), NONE);
        }
        let mut derivations = 0;
        for (k, &(first, _)) in lv.groups.iter().enumerate() {
            let u = self.order[first as usize];
            derivations += self.claims[u as usize].via.as_derivation().is_some() as usize;
            lv.group_of[u as usize] = k as u32;
        }
        if derivations > 0 {
            self.kahn(&mut lv, end - start, visits, ctx);
        }
        for &(first, _) in &lv.groups {
            lv.group_of[self.order[first as usize] as usize] = NONE;
        }
        if derivations > 0 {
            self.order.truncate(start);
            self.order.extend_from_slice(&lv.sorted);
        }
        self.level = lv;
    }

    /// Sorts the level's groups into `lv.sorted` (`len` units): Kahn's
    /// order, a derivation waiting for the groups of its inputs claimed in
    /// this level.
    fn kahn(&self, lv: &mut LevelOrder, len: usize, visits: &Visits, ctx: Ctx<'_>) {
        let (cycles, g, graph, _) = ctx;
        let n = lv.groups.len();
        lv.waiting.clear();
        lv.waiting.resize(n, 0);
        for k in 0..n {
            if let Some(d) = self.claims[self.order[lv.groups[k].0 as usize] as usize].via.as_derivation() {
                for &f in graph.derivations[d as usize].feeders() {
                    if lv.group(self, graph.edges[f as usize].source, ctx).is_some_and(|j| j != k) {
                        lv.waiting[k] += 1;
                    }
                }
            }
        }
        lv.placed.clear();
        lv.placed.resize(n, false);
        lv.ready.clear();
        lv.ready.extend((0..n as u32).filter(|&k| lv.waiting[k as usize] == 0));
        lv.sorted.clear();
        let mut cursor = 0; // for a loop among derivations: the first not placed
        while lv.sorted.len() < len {
            let Some(k) = lv.ready.pop_front().map(|k| k as usize) else {
                // Derivations of this level read each other in a loop. Walk
                // back from the first not placed, through inputs not placed,
                // until a group repeats: it is on a loop (not merely after
                // one); it goes next, and the loop's order is open.
                while lv.placed[cursor] {
                    cursor += 1;
                }
                lv.on_walk.clear();
                lv.on_walk.resize(n, false);
                let mut j = cursor;
                while !lv.on_walk[j] {
                    lv.on_walk[j] = true;
                    j = lv.unplaced_input(self, j, ctx).unwrap_or(j);
                }
                lv.waiting[j] = 0;
                lv.ready.push_back(j as u32);
                continue;
            };
            if lv.placed[k] {
                continue;
            }
            lv.placed[k] = true;
            let (first, last) = lv.groups[k];
            lv.sorted.extend_from_slice(&self.order[first as usize..last as usize]);
            // Release the derivations of this level reading this group's member.
            let pos = self.units[self.order[first as usize] as usize].0;
            let node = visits.list[cycles.member(cycles.members(g).start + pos as usize) as usize].node;
            let mut e = graph.nodes[node as usize].out_head;
            while e != NONE {
                let edge = &graph.edges[e as usize];
                e = edge.out_next;
                if edge.kind != EdgeKind::Feeder {
                    continue;
                }
                let Some(j) = lv.group(self, graph.derivations[edge.slot as usize].target, ctx) else {
                    continue;
                };
                let head = self.order[lv.groups[j].0 as usize];
                if j != k && !lv.placed[j] && self.claims[head as usize].via == Via::derivation(edge.slot) {
                    lv.waiting[j] = lv.waiting[j].saturating_sub(1);
                    if lv.waiting[j] == 0 {
                        lv.ready.push_back(j as u32);
                    }
                }
            }
        }
    }
}
