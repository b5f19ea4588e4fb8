//! Compiled schedules: a settle that repeats, run as a straight line.
//!
//! A frame loop changes the same properties tick after tick (a player's
//! `Health`, a slider, the first cells of a spreadsheet) and the graph's
//! shape rarely changes in between. When the pending changes of a settle
//! are the same own changes as the settle before (the same properties, no
//! binding made, removed, paused or resumed since), and everything they
//! reach is a **single-writer DAG** (each property written by one plain
//! binding or one derivation, no field binding, no cycle), the settle's
//! rules reduce to one: each property reached is computed once, after its
//! inputs, if one of them changed. The schedule is that order, compiled
//! once (O(what the changes reach)) and replayed: each seed and step lists
//! the steps that read it, a written step marks them (one bit a step), and
//! the replay runs the marked steps in order, computing each property
//! directly, with no visit, offer, waiting count or wave: a replay costs
//! what changed (plus a word per 64 steps). A chain of one lane is computed
//! in one call through one hecs view; a fan-out's leaves are a compiled
//! list, computed in runs once their source changed.
//!
//! The stats, values, faults and change tracking are exactly a dynamic
//! settle's (the model test checks both against one model). Anything else
//! (syncs owed, a seed that is not a root, several writers, fields, a
//! cycle, a lane that cannot compute one fire on its own) settles
//! dynamically, as does a set of changes seen for the first time.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use crate::lane::{Fire, One};
use crate::leaves::{LEAF_RUN_MIN, Leaf};
use crate::pending::Origin;
use crate::settle::{Settle, next_epoch};

mod compile;

/// A schedule that ran this many times paid for its compiling (a compile
/// costs a few dynamic settles of its region; a replay saves about half
/// of one).
const PAID_OFF: u32 = 8;

/// The most repeats a key waits for before it is compiled.
const PATIENCE_MAX: u32 = 16;

/// One property computed by a schedule; its computation is the fire at
/// the same index in `Schedule::fires` (`visit` is `NONE`: a schedule
/// makes no visits).
#[derive(Clone, Copy, Debug)]
struct Step {
    /// Its node.
    node: u32,
    /// Its lane.
    lane: u32,
    /// The runs of leaves hanging off it (`fan_runs[from..to]`), computed
    /// once it changes.
    fans: Span,
    /// The steps that read it (`deps[from..to]`, each after it in order):
    /// marked to run once it changes.
    deps: Span,
    /// How many steps from this one on form a chain its lane computes in
    /// one call (each the only reader of the one before, all of one lane
    /// that chains): 1 for a step on its own, 0 inside a chain.
    chain: u32,
}

/// A range of one of the schedule's arrays: `from..to`.
type Span = (u32, u32);

/// A run of leaves of one lane hanging off one property: `leaves[from..to]`
/// of the schedule.
#[derive(Clone, Copy, Debug)]
struct FanRun {
    lane: u32,
    leaves: Span,
}

/// Where a replay is: the step it is at, and whether that step's user
/// code is running.
struct Cursor {
    step: usize,
    computing: bool,
}

/// A compiled schedule and what it was compiled for, kept in the settle's
/// scratch between ticks.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    /// Whether `steps` and `seeds` hold a compiled schedule for `key` at
    /// graph version `version`.
    compiled: bool,
    key: u64,
    version: u64,
    /// The seeds' nodes, sorted, each with the runs of leaves hanging off
    /// it and the steps that read it.
    seeds: Vec<(u32, Span, Span)>,
    /// Who reads each seed and step (see `Step::deps`).
    deps: Vec<u32>,
    /// In a replay, one bit per step: an input of it changed. Only marked
    /// steps run, so a replay costs what changed (and a word per 64 steps).
    marks: Vec<u64>,
    steps: Vec<Step>,
    fires: Vec<Fire>,
    /// Every property's leaves, run after run, each run of one lane: a
    /// fan-out is a list, not a walk along its edges.
    leaves: Vec<Leaf>,
    fan_runs: Vec<FanRun>,
    /// Steps that changed and have leaves, in a replay: node, runs.
    fanned: Vec<(u32, Span)>,
    /// The last settle's key and version: a key seen `patience` times in
    /// a row after its first, at one version, is worth compiling.
    last: (u64, u64),
    /// How many settles in a row had the last key and version.
    seen: u32,
    /// How many repeats a key waits for before it is compiled: 1 at first,
    /// doubled (up to [`PATIENCE_MAX`]) each time a schedule is thrown away
    /// (the graph changed) before it paid for itself, back to 1 when one
    /// did. A graph that changes every few ticks then stops paying for
    /// compiles it cannot use.
    patience: u32,
    /// How many times the compiled schedule ran.
    runs: u32,
    /// A key and version found not to compile: not tried again.
    refused: Option<(u64, u64)>,
    /// Compile on first sight, make chains of any two links and compute
    /// any run of leaves in one pass (for tests: every eligible settle is
    /// then scheduled, every chain and run of leaves computed in one call).
    pub(crate) eager: bool,
    /// Scratch for compiling: the region's nodes still to explore.
    stack: Vec<u32>,
}

/// The key of a set of pending own changes: the same whatever their order.
/// `None` if anything else is pending.
fn key_of(origins: &[Origin]) -> Option<u64> {
    let mut key = origins.len() as u64;
    for origin in origins {
        let Origin::Property { entity, ty } = *origin else { return None };
        // (Cheap: a settle's changes are hashed every settle. A collision
        // only costs a look at the seeds, which are compared exactly.)
        let x = entity.to_bits().get() ^ u64::from(ty).rotate_right(24);
        key = key.wrapping_add(x.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
    Some(key)
}

impl Schedule {
    /// Marks the steps listed in `deps[from..to]` to run.
    #[inline(always)]
    fn mark(&mut self, from: u32, to: u32) {
        for &d in &self.deps[from as usize..to as usize] {
            self.marks[d as usize / 64] |= 1 << (d % 64);
        }
    }

    /// The first marked step at or after `from`, its mark cleared.
    #[inline(always)]
    fn next_marked(&mut self, from: usize) -> Option<usize> {
        let mut w = from / 64;
        let mut word = *self.marks.get(w)? & (!0u64 << (from % 64));
        while word == 0 {
            w += 1;
            word = *self.marks.get(w)?;
        }
        let bit = word.trailing_zeros() as usize;
        self.marks[w] &= !(1 << bit);
        Some(w * 64 + bit)
    }

    /// Throws the compiled schedule away (the graph changed), learning
    /// from how often it ran whether compiling pays here (see `patience`).
    fn retire(&mut self) {
        self.patience = if self.runs >= PAID_OFF { 1 } else { (self.patience.max(1) * 2).min(PATIENCE_MAX) };
        self.runs = 0;
        self.release();
    }

    /// Frees the compiled schedule's storage (it is for a graph that
    /// changed): a schedule holds nothing once it cannot run.
    fn release(&mut self) {
        self.compiled = false;
        self.seeds = Vec::new();
        self.deps = Vec::new();
        self.marks = Vec::new();
        self.steps = Vec::new();
        self.fires = Vec::new();
        self.leaves = Vec::new();
        self.fan_runs = Vec::new();
        self.fanned = Vec::new();
    }
}

impl Settle<'_> {
    /// Runs this settle from a compiled schedule if it can (compiling one
    /// if this settle repeats the last); returns whether it did. If not,
    /// nothing has changed and the settle runs dynamically.
    pub(crate) fn run_schedule(&mut self) -> bool {
        let version = self.graph.version;
        if self.s.schedule.compiled && self.s.schedule.version != version {
            self.s.schedule.retire(); // the graph changed: it can never run again
        }
        let Some(key) = key_of(&self.s.origins) else { return false };
        let schedule = &mut self.s.schedule;
        let last = std::mem::replace(&mut schedule.last, (key, version));
        schedule.seen = if last == (key, version) { schedule.seen + 1 } else { 0 };
        let ready = schedule.compiled && (schedule.key, schedule.version) == (key, version);
        let due = schedule.seen >= schedule.patience.max(1) || schedule.eager;
        if !ready && (!due || schedule.refused == Some((key, version))) {
            return false;
        }
        // The seeds: each changed property's node, marked with this
        // settle's epoch to count a property changed twice once (as a
        // dynamic seed's visit does).
        let mut seeds = std::mem::take(&mut self.s.stack);
        seeds.clear();
        let mut repeats = 0;
        for i in 0..self.s.origins.len() {
            let Origin::Property { entity, ty } = self.s.origins[i] else { unreachable!("keyed") };
            if self.graph.track_changes {
                self.s.changed.push((entity, ty));
            }
            let Some(n) = self.graph.node_of_type(entity, ty) else { continue };
            let node = &mut self.graph.nodes[n as usize];
            if node.epoch == self.epoch {
                repeats += 1; // an older change of the same property
            } else {
                node.epoch = self.epoch;
                seeds.push(n);
            }
        }
        seeds.sort_unstable();
        let schedule = &mut self.s.schedule;
        let fits = ready
            && schedule.seeds.len() == seeds.len()
            && schedule.seeds.iter().zip(&seeds).all(|(a, b)| a.0 == *b);
        let fits = fits || {
            // Compiling marks the region with an epoch of its own.
            next_epoch(self.graph);
            let compiled = schedule.compile(self.graph, &seeds, self.graph.epoch);
            (schedule.key, schedule.version) = (key, version);
            if !compiled {
                schedule.refused = Some((key, version));
            }
            next_epoch(self.graph);
            self.epoch = self.graph.epoch;
            compiled
        };
        seeds.clear();
        self.s.stack = seeds;
        if !fits {
            // Forget the marks: the dynamic settle gets an epoch of its own.
            if self.graph.track_changes {
                self.s.changed.truncate(self.s.changed.len() - self.s.origins.len());
            }
            self.renew_epoch();
            return false;
        }
        self.stats.changes_applied += self.s.schedule.seeds.len();
        self.stats.changes_superseded += repeats;
        self.s.schedule.runs += 1;
        self.replay();
        true
    }

    /// Replays the compiled schedule: each step whose inputs changed, in
    /// order, then the leaves hanging off what changed (no binding reads a
    /// leaf: computed last is the same as computed at once). The steps run
    /// inside one `catch_unwind`, entered again after each panic: a panic
    /// in a step's computation costs that step (its binding faults, its
    /// property keeps its value); the replay goes on after it.
    fn replay(&mut self) {
        let schedule = &mut self.s.schedule;
        schedule.marks.clear();
        schedule.marks.resize(schedule.steps.len().div_ceil(64), 0);
        for i in 0..schedule.seeds.len() {
            let (from, to) = schedule.seeds[i].2;
            schedule.mark(from, to);
        }
        let mut at = Cursor { step: 0, computing: false };
        loop {
            let cursor = &mut at;
            match catch_unwind(AssertUnwindSafe(|| self.replay_from(cursor))) {
                Ok(()) => break,
                Err(payload) => {
                    if !at.computing {
                        resume_unwind(payload); // not user code: a bug
                    }
                    // A chain's links before the panicking one were written.
                    let step = self.s.schedule.steps[at.step];
                    let k = if step.chain > 1 { self.s.out.cursor.min(step.chain as usize - 1) } else { 0 };
                    self.chain_written(at.step, k);
                    self.stats.bindings_fired += k + 1;
                    let fire = self.s.schedule.fires[at.step + k];
                    self.fault(fire, payload);
                    at = Cursor { step: at.step + 1, computing: false };
                }
            }
        }
        for i in 0..self.s.schedule.seeds.len() {
            let (n, fans, _) = self.s.schedule.seeds[i];
            self.fire_fans(n, fans);
        }
        let mut fanned = std::mem::take(&mut self.s.schedule.fanned);
        for &(n, fans) in &fanned {
            self.fire_fans(n, fans);
        }
        fanned.clear();
        self.s.schedule.fanned = fanned;
        if !self.s.touched.is_empty() {
            self.run_lanes(); // short runs of leaves, batched
        }
    }

    /// Runs the marked steps from `at.step` on, in order, keeping `at`
    /// current (`computing` while user code runs).
    fn replay_from(&mut self, at: &mut Cursor) {
        let settles = self.graph.settles;
        while let Some(i) = self.s.schedule.next_marked(at.step) {
            at.step = i;
            let step = self.s.schedule.steps[i];
            if step.chain > 1 {
                let chain = i..i + step.chain as usize;
                at.computing = true;
                let (written, stop) = self.graph.lanes.run_chain(
                    step.lane,
                    self.world,
                    &self.s.schedule.fires[chain.clone()],
                    &mut self.s.out,
                );
                at.computing = false;
                self.chain_written(i, written);
                self.stats.bindings_fired += written + usize::from(stop.is_some());
                if stop == Some(One::Broken) {
                    self.s.broken.push(self.s.schedule.fires[i + written].edge);
                }
                at.step = chain.end;
                continue;
            }
            at.computing = true;
            let one = self.graph.lanes.run_one(step.lane, self.world, &self.s.schedule.fires[i], settles);
            at.computing = false;
            self.stats.bindings_fired += 1;
            match one {
                Some(One::Written) => self.written(step),
                Some(One::Same) => {}
                Some(One::Broken) | None => self.s.broken.push(self.s.schedule.fires[i].edge),
            }
            at.step = i + 1;
        }
    }

    /// Steps `from..from + count`, the first links of the chain headed by
    /// step `from`, wrote their properties (see `written`; a link's next
    /// link is not marked: the chain ran it).
    fn chain_written(&mut self, from: usize, count: usize) {
        let Schedule { steps, deps, marks, fanned, .. } = &mut self.s.schedule;
        let end = from + steps[from].chain.max(1) as usize;
        let links = &steps[from..from + count];
        for step in links {
            let reads = &deps[step.deps.0 as usize..step.deps.1 as usize];
            if reads.len() != 1 || reads[0] as usize >= end {
                // Readers besides the next link (or the last link's).
                for &d in reads.iter().filter(|&&d| d as usize >= end) {
                    marks[d as usize / 64] |= 1 << (d % 64);
                }
            }
            if step.fans.0 != step.fans.1 {
                fanned.push((step.node, step.fans));
            }
        }
        self.stats.properties_written += count;
        if self.graph.track_changes {
            for step in links {
                let node = &self.graph.nodes[step.node as usize];
                self.s.changed.push((node.entity, node.ty));
            }
        }
    }

    /// `step` wrote its property: counts it, reports it, marks the steps
    /// that read it, and notes it if leaves hang off it.
    #[inline(always)]
    fn written(&mut self, step: Step) {
        self.stats.properties_written += 1;
        if self.graph.track_changes {
            let node = &self.graph.nodes[step.node as usize];
            self.s.changed.push((node.entity, node.ty));
        }
        let schedule = &mut self.s.schedule;
        schedule.mark(step.deps.0, step.deps.1);
        if step.fans.0 != step.fans.1 {
            schedule.fanned.push((step.node, step.fans));
        }
    }

    /// Computes the runs of leaves `fans` hanging off node `n`, which
    /// changed: a long run by its lane in one pass over the list (a panic
    /// costs its leaf; the run goes on after it), a short one, or one of a
    /// lane that cannot, as fires in the lane's batch.
    fn fire_fans(&mut self, n: u32, (first, end): Span) {
        let source = self.graph.nodes[n as usize].entity;
        // (Tests schedule eagerly, and compute any run of leaves in one pass.)
        let min = if self.s.schedule.eager { 1 } else { LEAF_RUN_MIN };
        for r in first..end {
            let FanRun { lane, leaves: (from, to) } = self.s.schedule.fan_runs[r as usize];
            let (from, to) = (from as usize, to as usize);
            self.stats.bindings_fired += to - from;
            let mut at = from;
            while to - from >= min && at < to {
                let (lanes, world, out) = (&mut self.graph.lanes, &mut *self.world, &mut self.s.out);
                let list = &self.s.schedule.leaves[at..to];
                match catch_unwind(AssertUnwindSafe(|| lanes.run_leaf_list(lane, world, source, list, out))) {
                    Ok(true) => at = to,
                    Ok(false) => break, // the lane cannot (nothing was computed)
                    Err(payload) => {
                        let leaf = self.s.schedule.leaves[at + self.s.out.cursor];
                        at += self.s.out.cursor + 1;
                        self.absorb_output();
                        self.fault(Fire::of_leaf(leaf, source), payload);
                    }
                }
            }
            if at > from {
                self.absorb_output();
                continue;
            }
            let mut leaves = std::mem::take(&mut self.s.leaves);
            leaves.extend_from_slice(&self.s.schedule.leaves[from..to]);
            self.batch_leaves(lane, source, &mut leaves);
            self.s.leaves = leaves;
        }
    }
}
