//! Cycles in a settle: finding them among the properties the settle could not
//! order (Tarjan's algorithm), and knowing when one is ready to settle.
//!
//! A cycle here is a strongly connected group of waiting properties: every
//! member can reach every other along enabled bindings (a two-way pair is the
//! smallest). The settle hands a cycle over once every binding into it from
//! outside has settled; `claims.rs` then plans it (rule 5 on
//! [`propagate`](crate::propagate)).

use crate::graph::BindingGraph;
use crate::records::NONE;
use crate::visit::{Phase, Visits};

/// One cycle found in a settle: `members[start..start + len]`, and how many
/// bindings into it from outside have not settled yet.
#[derive(Clone, Copy, Debug)]
struct Group {
    start: u32,
    len: u32,
    waiting: u32,
}

/// The cycles of one settle, and the buffers to find them.
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

    /// The position of visit `v` among the members of its cycle.
    pub fn pos_of(&self, v: u32) -> u32 {
        self.pos[v as usize]
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
}

/// The undecided visit that `edge` writes, if any (its target, or a feeder's
/// derivation target).
pub(crate) fn waiting_target(
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
