//! Compiling a schedule: the region the seeds reach, checked to be a
//! single-writer DAG, put in Kahn's order; who reads each step; the
//! steps' leaves as lists; chains of one lane.

use super::{FanRun, Schedule, Step};
use crate::graph::BindingGraph;
use crate::lane::Fire;
use crate::leaves::{Leaf, reaches_leaf};
use crate::records::{EdgeKind, NONE};

/// Chains at least this long are computed by their lane in one call,
/// through one hecs view (which costs a pass over the archetypes); shorter
/// ones link by link.
const CHAIN_MIN: usize = 16;

/// Whether edge `e` reaches a leaf (see `reaches_leaf`).
fn is_leaf(graph: &BindingGraph, e: u32) -> bool {
    let edge = &graph.edges[e as usize];
    reaches_leaf(edge, &graph.nodes[edge.target as usize])
}

impl Schedule {
    /// Compiles the schedule of `seeds` (sorted, unique) in `graph`, or
    /// returns `false` (keeping nothing) if the region they reach is not a
    /// single-writer DAG. The region's nodes are marked with the fresh
    /// epoch `mark`, their `visit` holding first how many of their inputs
    /// are still to come, then their step: the caller renews the settle's
    /// epoch after.
    pub(super) fn compile(&mut self, graph: &mut BindingGraph, seeds: &[u32], mark: u32) -> bool {
        let compiled = self.compile_order(graph, seeds, mark);
        self.stack = Vec::new(); // (compiles are rare: the scratch is not kept)
        if !compiled {
            self.release();
        }
        compiled
    }

    fn compile_order(&mut self, graph: &mut BindingGraph, seeds: &[u32], mark: u32) -> bool {
        (self.compiled, self.runs) = (false, 0);
        self.seeds.clear();
        self.deps.clear();
        self.steps.clear();
        self.fires.clear();
        self.leaves.clear();
        self.fan_runs.clear();
        self.stack.clear();
        // The region: every property the seeds reach, leaves aside, with
        // how many of its inputs come from within it.
        let mut region = 0;
        for &n in seeds {
            let node = &mut graph.nodes[n as usize];
            if node.inputs != 0 {
                return false; // a seed something else writes: claims to settle
            }
            (node.epoch, node.visit) = (mark, 0);
            region += 1;
            self.stack.push(n);
        }
        while let Some(n) = self.stack.pop() {
            let mut e = graph.nodes[n as usize].out_head;
            while e != NONE {
                let (this, edge) = (e, &graph.edges[e as usize]);
                e = edge.out_next;
                if !edge.enabled || is_leaf(graph, this) {
                    continue;
                }
                let t = &graph.nodes[edge.target as usize];
                let single = match edge.kind {
                    EdgeKind::Forward => t.inputs == 1,
                    EdgeKind::Feeder => {
                        let d = &graph.derivations[edge.slot as usize];
                        t.inputs as usize == d.feeders().len() && graph.lanes.runs_one(d.lane)
                    }
                    EdgeKind::Reverse => false,
                };
                if !single
                    || edge.is_field()
                    || (edge.kind == EdgeKind::Forward && !graph.lanes.runs_one(edge.lane))
                {
                    return false;
                }
                let target = edge.target;
                let t = &mut graph.nodes[target as usize];
                if t.epoch != mark {
                    (t.epoch, t.visit) = (mark, 0);
                    region += 1;
                    self.stack.push(target);
                }
                t.visit += 1;
            }
        }
        // Kahn's order over the region, from the seeds.
        for &n in seeds {
            self.seeds.push((n, (0, 0), (0, 0)));
        }
        let mut next = 0;
        let mut order: Vec<u32> = seeds.to_vec();
        while next < order.len() {
            let n = order[next];
            next += 1;
            let first_run = self.fan_runs.len() as u32;
            let mut e = graph.nodes[n as usize].out_head;
            while e != NONE {
                let edge = graph.edges[e as usize];
                let this = e;
                e = edge.out_next;
                if !edge.enabled {
                    continue;
                }
                if is_leaf(graph, this) {
                    self.push_leaf(graph, this, first_run);
                    continue;
                }
                let t = &mut graph.nodes[edge.target as usize];
                t.visit -= 1;
                if t.visit == 0 {
                    order.push(edge.target);
                    self.push_step(graph, edge.target, this);
                }
            }
            let fans = (first_run, self.fan_runs.len() as u32);
            if next <= seeds.len() {
                self.seeds[next - 1].1 = fans;
            } else {
                self.steps[next - 1 - seeds.len()].fans = fans;
            }
        }
        self.compiled = order.len() == region; // else a cycle
        if !self.compiled {
            return false;
        }
        self.find_deps(graph, &order, seeds.len());
        self.find_chains(graph);
        if self.compiled {
            tracing::debug!(seeds = seeds.len(), steps = self.steps.len(), "compiled a schedule");
        }
        self.compiled
    }

    /// Appends the step computing `node`, written by edge `e` (a plain
    /// edge, or a feeder of its derivation).
    fn push_step(&mut self, graph: &BindingGraph, node: u32, e: u32) {
        let edge = &graph.edges[e as usize];
        let target = graph.nodes[node as usize].entity;
        let (lane, fire) = if edge.kind == EdgeKind::Feeder {
            let d = &graph.derivations[edge.slot as usize];
            let fire =
                Fire { edge: d.first(), slot: d.slot, visit: NONE, unit: NONE, source: target, target };
            (d.lane, fire)
        } else {
            let source = graph.nodes[edge.source as usize].entity;
            (edge.lane, Fire { edge: e, slot: edge.slot, visit: NONE, unit: NONE, source, target })
        };
        self.steps.push(Step { node, lane, fans: (0, 0), deps: (0, 0), chain: 1 });
        self.fires.push(fire);
    }

    /// Appends the leaf edge `e` reaches to the runs of leaves of its
    /// source, whose first run is `first_run`.
    fn push_leaf(&mut self, graph: &BindingGraph, e: u32, first_run: u32) {
        let edge = &graph.edges[e as usize];
        let at = self.leaves.len() as u32;
        self.leaves.push(Leaf { edge: e, slot: edge.slot, target: graph.nodes[edge.target as usize].entity });
        let mine = self.fan_runs.len() as u32 > first_run;
        match self.fan_runs.last_mut() {
            Some(run) if mine && run.lane == edge.lane => run.leaves.1 += 1,
            _ => self.fan_runs.push(FanRun { lane: edge.lane, leaves: (at, at + 1) }),
        }
    }

    /// Lists, for each seed and step (`order`: the seeds, then the steps'
    /// nodes), the steps that read it.
    fn find_deps(&mut self, graph: &mut BindingGraph, order: &[u32], seeds: usize) {
        // Each step's node holds its step (in `visit`, marked by `compile`).
        for (i, &n) in order.iter().enumerate().skip(seeds) {
            graph.nodes[n as usize].visit = (i - seeds) as u32;
        }
        for (k, &n) in order.iter().enumerate() {
            let from = self.deps.len() as u32;
            let mut e = graph.nodes[n as usize].out_head;
            while e != NONE {
                let edge = &graph.edges[e as usize];
                if edge.enabled && !is_leaf(graph, e) {
                    self.deps.push(graph.nodes[edge.target as usize].visit);
                }
                e = edge.out_next;
            }
            let deps = (from, self.deps.len() as u32);
            match k.checked_sub(seeds) {
                None => self.seeds[k].2 = deps,
                Some(i) => self.steps[i].deps = deps,
            }
        }
    }

    /// Marks the chains among the steps: runs of consecutive steps of one
    /// lane that chains, each written by a plain edge (its only input) from
    /// the step before.
    fn find_chains(&mut self, graph: &BindingGraph) {
        let mut head = 0;
        for i in 1..self.steps.len() {
            let (before, step) = (self.steps[i - 1], self.steps[i]);
            let plain = |k: usize| graph.edges[self.fires[k].edge as usize].kind == EdgeKind::Forward;
            let continues = step.lane == before.lane
                && plain(i - 1)
                && plain(i)
                && graph.edges[self.fires[i].edge as usize].source == before.node
                && graph.lanes.chains(step.lane);
            if continues {
                self.steps[head].chain += 1;
                self.steps[i].chain = 0;
            } else {
                self.keep_chain(head);
                head = i;
            }
        }
        self.keep_chain(head);
    }

    /// Undoes the chain headed by step `head` if it is too short for a
    /// view to pay: its steps run one by one.
    fn keep_chain(&mut self, head: usize) {
        let Some(&Step { chain, .. }) = self.steps.get(head) else { return };
        // (Tests schedule eagerly, and chain any two links.)
        let min = if self.eager { 2 } else { CHAIN_MIN };
        if (chain as usize) < min {
            for step in &mut self.steps[head..head + chain as usize] {
                step.chain = 1;
            }
        }
    }
}
