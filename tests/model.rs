//! Model test: random operation sequences, with many operations between
//! ticks, run on the engine and on a small, naive reference model of the
//! written rules (the `# Rules` section on `bindery_systems::propagate`, and
//! the counters as `PropagateStats` defines them), compared after every
//! operation. The model reads the rules literally; it copies nothing from
//! the engine.
//!
//! The model keeps values by entity index and bindings in a `Vec`. A tick
//! runs the polls, then settles by the rules, literally and slowly: strongly
//! connected components by brute-force reachability, taken in a topological
//! order of the condensation. A property in no cycle is decided by rules 1-4
//! (its own change and the offers of the bindings into it: newest stamp,
//! then nearest, then newest binding; only the decider computes; an equal
//! result is not written, and then offers nothing on unless the property
//! has an own change: such a property counts as changed whatever decided
//! it, and carries the deciding change). A derivation is one binding: its
//! inputs bringing one change are one offer, one more than the nearest of
//! them, and it is cut at most once per change. A cycle is settled by rule
//! 5: its changes claim members newest first, each level by level in
//! distance (where it enters and one binding further from what it claimed,
//! alike; of the bindings reaching a member at one distance, the newest
//! binding, as new as its creation or last resume); then the changes are
//! computed oldest first, each in the order it claimed, nearest first, a
//! derivation after the members of its level it reads (the others of a
//! level in the order claimed: their order changes no value); a member
//! claimed from others (a derivation through several inputs at once) is
//! computed if any of them changed or if its own change lost.
//!
//! Stamps follow the API: every `set`, `insert` or `modify` that changes a
//! value, every `mark_changed`, new binding and resume takes the next stamp
//! (own changes only once a binding or poll has made the engine know `V`);
//! polls run first in a tick and stamp what they find after everything else.
//! A poll's snapshot follows the engine's own records (a `set` that changes
//! the value, `mark_changed`, the end of a tick), so it reports only writes
//! through `world_mut`.
//!
//! The counters, per their definitions: `changes_applied` counts own
//! changes that won their property and syncs that won their target, and
//! `changes_superseded` older own changes, own changes that lost, and syncs
//! that lost, except a sync whose binding decided its target with a newer
//! change (neither); own changes of a property no binding, enabled or
//! paused, touches are neither. `cycles_cut` counts each binding that brought
//! the deciding change and was not computed (rule 3's others, entries and
//! flood steps reaching a member the change claimed another way, a sync's
//! flood reaching its own source), once per change: a derivation once,
//! however many of its inputs brought it.
//!
//! Where the written rules leave a point open, the model reads it so:
//! - A derivation with inputs inside and outside a cycle is a binding inside
//!   it (its sync claims nothing through those inputs) whose outside inputs'
//!   change also enters the cycle, like an offer from outside; when that
//!   entry and a flood step of the same derivation reach its target at one
//!   distance, the change entered there (it is computed).
//! - Derivations of one level of a cycle that read each other in a loop
//!   cannot each come after the others: the model tries every order the
//!   rules allow (within the loop any; a derivation outside it still after
//!   those of the level it reads) and if they end the level differently, the
//!   tick is not judged (the model goes on from the engine's values). The
//!   test prints how many ticks met such a loop and how many were not judged
//!   (`--nocapture`).
//!
//! Compared after every operation: results and errors, `entity_count`,
//! `binding_count`, `bindings_of` every entity, `check_invariants`, every
//! value and label; after every judged tick also `changes_applied`,
//! `changes_superseded`, `bindings_fired`, `properties_written` and
//! `cycles_cut`, exactly.
//!
//! `BINDERY_MODEL_CASES=20000 cargo test --release --test model` runs a
//! longer search (`PROPTEST_CASES` works too). A second test replays, on
//! every run, the minimal sequences of what the search found, the rarest
//! included.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use bindery::{BindingId, Engine, Entity, Error};
use proptest::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq)]
struct V(u8);
/// A label bound from a value through a transform.
#[derive(Clone, Debug, PartialEq)]
struct L(String);

/// The transform of every `BindMap`.
fn label(v: &V) -> L {
    L(format!("#{}", v.0))
}

/// Both transforms of every `BindTwoWayPlus`, and `modify`: not inverses of
/// each other, so a value sent back would show.
fn plus(v: &V) -> V {
    V(v.0.wrapping_add(1))
}

/// What a derivation computes from its inputs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fold {
    /// The wrapping sum (of one input: a copy).
    Sum,
    /// The sum's parity: many inputs give one result, so the equality gate
    /// stops changes.
    Parity,
}

impl Fold {
    fn apply(self, inputs: &[u8]) -> u8 {
        let sum = inputs.iter().fold(0u8, |a, &b| a.wrapping_add(b));
        match self {
            Fold::Sum => sum,
            Fold::Parity => sum % 2,
        }
    }
}

/// An operation; indices are taken modulo the entities (or bindings) made
/// so far, dead ones included, so errors are exercised too.
#[derive(Clone, Debug)]
enum Op {
    Spawn(u8),
    Despawn(usize),
    Set(usize, u8),
    Insert(usize, u8),
    /// `modify` by `plus`.
    Modify(usize),
    MarkChanged(usize),
    /// A write through `world_mut`, behind the engine's back.
    External(usize, u8),
    Poll(usize),
    Bind(usize, usize),
    BindMap(usize, usize),
    BindTwoWay(usize, usize),
    /// `bind_two_way_map` with `plus` both ways.
    BindTwoWayPlus(usize, usize),
    /// `derive(target, sources, fold)`, with one or two sources.
    Derive(usize, Vec<usize>, Fold),
    Unbind(usize),
    SetEnabled(usize, bool),
    Tick,
}

fn op() -> impl Strategy<Value = Op> {
    let i = || 0usize..16;
    let v = || 0u8..4;
    let fold = prop_oneof![Just(Fold::Sum), Just(Fold::Parity)];
    prop_oneof![
        2 => v().prop_map(Op::Spawn),
        1 => i().prop_map(Op::Despawn),
        5 => (i(), v()).prop_map(|(i, v)| Op::Set(i, v)),
        1 => (i(), v()).prop_map(|(i, v)| Op::Insert(i, v)),
        2 => i().prop_map(Op::Modify),
        1 => i().prop_map(Op::MarkChanged),
        2 => (i(), v()).prop_map(|(i, v)| Op::External(i, v)),
        1 => i().prop_map(Op::Poll),
        3 => (i(), i()).prop_map(|(a, b)| Op::Bind(a, b)),
        2 => (i(), i()).prop_map(|(a, b)| Op::BindMap(a, b)),
        2 => (i(), i()).prop_map(|(a, b)| Op::BindTwoWay(a, b)),
        1 => (i(), i()).prop_map(|(a, b)| Op::BindTwoWayPlus(a, b)),
        3 => (i(), prop::collection::vec(i(), 1..3), fold).prop_map(|(t, s, f)| Op::Derive(t, s, f)),
        1 => i().prop_map(Op::Unbind),
        2 => (i(), any::<bool>()).prop_map(|(k, on)| Op::SetEnabled(k, on)),
        7 => Just(Op::Tick),
    ]
}

/// A property: an entity's value or its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Prop {
    V(usize),
    L(usize),
}

/// A property's value.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    V(u8),
    L(String),
}

/// The transform of one direction of a plain binding.
#[derive(Clone, Copy, Debug)]
enum Map {
    Identity,
    Plus,
    Label,
}

/// What a binding connects.
#[derive(Clone, Debug)]
enum Shape {
    OneWay { source: usize, target: Prop, map: Map },
    TwoWay { a: usize, b: usize, map: Map },
    Derive { target: usize, inputs: Vec<usize>, fold: Fold },
}

#[derive(Clone, Debug)]
struct Binding {
    id: BindingId,
    shape: Shape,
    enabled: bool,
    /// Its creation or last resume: how new the binding is.
    stamp: u64,
    /// The stamp of the sync it owes, if it owes one.
    sync: Option<u64>,
}

impl Binding {
    fn touches(&self, e: usize) -> bool {
        match &self.shape {
            Shape::OneWay { source, target: Prop::V(t) | Prop::L(t), .. } => *source == e || *t == e,
            Shape::TwoWay { a, b, .. } => *a == e || *b == e,
            Shape::Derive { target, inputs, .. } => *target == e || inputs.contains(&e),
        }
    }

    /// Whether it reads or writes property `p`, paused or not: what makes
    /// `p` part of a settle.
    fn touches_prop(&self, p: Prop) -> bool {
        match (&self.shape, p) {
            (Shape::OneWay { source, target, .. }, p) => Prop::V(*source) == p || *target == p,
            (Shape::TwoWay { a, b, .. }, Prop::V(e)) => *a == e || *b == e,
            (Shape::Derive { target, inputs, .. }, Prop::V(e)) => *target == e || inputs.contains(&e),
            (_, Prop::L(_)) => false,
        }
    }

    /// Whether it carries values from `s` to `t` (a derivation aside): what
    /// makes a second such binding a duplicate.
    fn links(&self, s: usize, t: Prop) -> bool {
        match self.shape {
            Shape::OneWay { source, target, .. } => source == s && target == t,
            Shape::TwoWay { a, b, .. } => (Prop::V(b), a) == (t, s) || (Prop::V(a), b) == (t, s),
            Shape::Derive { .. } => false,
        }
    }
}

/// One direction of an enabled binding: what a settle computes.
#[derive(Clone, Debug)]
struct Arrow {
    sources: Vec<Prop>,
    target: Prop,
    /// The sync this direction owes (a two-way binding syncs forward only).
    sync: Option<u64>,
    /// How new its binding is: its creation or last resume.
    stamp: u64,
    /// The other direction of a two-way binding.
    twin: Option<usize>,
    compute: Compute,
}

#[derive(Clone, Copy, Debug)]
enum Compute {
    Map(Map),
    Fold(Fold),
}

/// What a settle did: the counters of `PropagateStats`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Counts {
    applied: usize,
    superseded: usize,
    fired: usize,
    written: usize,
    cut: usize,
}

/// The reference: values by entity index (`None` once despawned), the live
/// bindings, the own changes recorded since the last tick, the polls.
struct Model {
    values: Vec<Option<u8>>,
    labels: Vec<String>,
    bindings: Vec<Binding>,
    /// Own-change records since the last tick, oldest first.
    own: Vec<(Prop, u64)>,
    /// Polled entities with the value last seen, in creation order.
    polls: Vec<(usize, u8)>,
    stamp: u64,
    /// Whether the engine knows `V` (a binding or poll used it): before
    /// that, changes of it are not recorded.
    watched: bool,
}

impl Model {
    fn new() -> Self {
        Model {
            values: Vec::new(),
            labels: Vec::new(),
            bindings: Vec::new(),
            own: Vec::new(),
            polls: Vec::new(),
            stamp: 0,
            watched: false,
        }
    }

    fn alive(&self, e: usize) -> bool {
        self.values.get(e).is_some_and(Option::is_some)
    }

    fn value(&self, p: Prop) -> Value {
        match p {
            Prop::V(e) => Value::V(self.values[e].expect("live")),
            Prop::L(e) => Value::L(self.labels[e].clone()),
        }
    }

    fn write(&mut self, p: Prop, value: Value) {
        match (p, value) {
            (Prop::V(e), Value::V(x)) => self.values[e] = Some(x),
            (Prop::L(e), Value::L(s)) => self.labels[e] = s,
            (p, value) => unreachable!("{value:?} written to {p:?}"),
        }
    }

    fn next_stamp(&mut self) -> u64 {
        self.stamp += 1;
        self.stamp
    }

    /// A `set`, `insert` or `modify`: an own change if the value differs.
    fn set(&mut self, e: usize, x: u8) {
        if self.values[e] != Some(x) {
            self.values[e] = Some(x);
            self.mark_changed(e);
        }
    }

    /// An own change; the polls of the property take its value as seen.
    fn mark_changed(&mut self, e: usize) {
        if !self.watched {
            return;
        }
        let stamp = self.next_stamp();
        self.own.push((Prop::V(e), stamp));
        let x = self.values[e].expect("live");
        for poll in self.polls.iter_mut().filter(|p| p.0 == e) {
            poll.1 = x;
        }
    }

    fn add(&mut self, id: BindingId, shape: Shape) {
        let stamp = self.next_stamp();
        self.watched = true;
        self.bindings.push(Binding { id, shape, enabled: true, stamp, sync: Some(stamp) });
    }

    fn despawn(&mut self, e: usize) {
        self.values[e] = None;
        self.bindings.retain(|b| !b.touches(e));
        self.own.retain(|&(p, _)| p != Prop::V(e));
        self.polls.retain(|p| p.0 != e);
    }

    /// Pausing drops the sync owed; resuming owes a new one and makes the
    /// binding new.
    fn set_enabled(&mut self, k: usize, on: bool) {
        if self.bindings[k].enabled == on {
            return;
        }
        let stamp = if on { Some(self.next_stamp()) } else { None };
        let b = &mut self.bindings[k];
        b.enabled = on;
        b.sync = stamp;
        b.stamp = stamp.unwrap_or(b.stamp);
    }

    /// The directions of every enabled binding.
    fn arrows(&self) -> Vec<Arrow> {
        let mut out = Vec::new();
        for b in self.bindings.iter().filter(|b| b.enabled) {
            let arrow = |sources, target, sync, twin, compute| Arrow {
                sources,
                target,
                sync,
                stamp: b.stamp,
                twin,
                compute,
            };
            match &b.shape {
                Shape::OneWay { source, target, map } => {
                    out.push(arrow(vec![Prop::V(*source)], *target, b.sync, None, Compute::Map(*map)));
                }
                Shape::TwoWay { a, b: t, map } => {
                    let n = out.len();
                    out.push(arrow(vec![Prop::V(*a)], Prop::V(*t), b.sync, Some(n + 1), Compute::Map(*map)));
                    out.push(arrow(vec![Prop::V(*t)], Prop::V(*a), None, Some(n), Compute::Map(*map)));
                }
                Shape::Derive { target, inputs, fold } => {
                    let sources = inputs.iter().map(|&e| Prop::V(e)).collect();
                    out.push(arrow(sources, Prop::V(*target), b.sync, None, Compute::Fold(*fold)));
                }
            }
        }
        out
    }

    fn compute(&self, arrow: &Arrow) -> Value {
        let inputs: Vec<u8> = arrow
            .sources
            .iter()
            .map(|&p| match self.value(p) {
                Value::V(x) => x,
                Value::L(_) => unreachable!("labels are never sources"),
            })
            .collect();
        match arrow.compute {
            Compute::Map(Map::Identity) => Value::V(inputs[0]),
            Compute::Map(Map::Plus) => Value::V(plus(&V(inputs[0])).0),
            Compute::Map(Map::Label) => Value::L(label(&V(inputs[0])).0),
            Compute::Fold(f) => Value::V(f.apply(&inputs)),
        }
    }

    /// The tick: polls, then the settle; then every poll has seen the
    /// current value and nothing is pending. What the settle did, and the
    /// loops it met that the rules leave open.
    fn tick(&mut self) -> (Counts, Loops) {
        for k in 0..self.polls.len() {
            let (e, seen) = self.polls[k];
            let now = self.values[e].expect("polls go with their entity");
            if now != seen {
                self.polls[k].1 = now;
                let stamp = self.next_stamp();
                self.own.push((Prop::V(e), stamp));
            }
        }
        let done = Settle::new(self).run();
        self.after_tick();
        done
    }

    fn after_tick(&mut self) {
        for k in 0..self.polls.len() {
            self.polls[k].1 = self.values[self.polls[k].0].expect("live");
        }
        self.own.clear();
        for b in &mut self.bindings {
            b.sync = None;
        }
    }
}

/// A change entering a cycle, or passed on inside it: a candidate for a
/// claim.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    member: Prop,
    dist: u32,
    /// The direction that brings it; `None` for the member's own change.
    arrow: Option<usize>,
    /// The member it floods on from; `None` where the change enters.
    from: Option<Prop>,
}

/// How a member of a cycle was claimed.
#[derive(Clone, Debug)]
enum Via {
    Own,
    /// Where a change entered: an offer from outside, or the sync of a
    /// binding inside.
    Entry(usize),
    /// From other members, one step nearer, by `arrow`: several for a
    /// derivation reached from more than one input at that distance.
    Flood {
        arrow: usize,
        from: Vec<Prop>,
    },
}

impl Via {
    fn arrow(&self) -> Option<usize> {
        match *self {
            Via::Own => None,
            Via::Entry(arrow) | Via::Flood { arrow, .. } => Some(arrow),
        }
    }
}

#[derive(Clone, Debug)]
struct Claim {
    member: Prop,
    dist: u32,
    via: Via,
}

/// The one point the written rules leave open that a settle met: levels of
/// a cycle whose derivations read each other in a loop (the rules order a
/// derivation after the members of its level it reads, which a loop cannot
/// satisfy).
#[derive(Clone, Copy, Debug, Default)]
struct Loops {
    /// Levels with such a loop.
    levels: usize,
    /// Of those, levels where the orders the rules allow give different
    /// outcomes: the tick is not judged.
    deciding: usize,
}

/// The most orders of one level tried; a level with more counts as
/// deciding (not met so far).
const MAX_ORDERS: usize = 5040;

/// One settle of the model.
struct Settle<'m> {
    model: &'m mut Model,
    arrows: Vec<Arrow>,
    /// The newest own change of each bound property (rule 1).
    own: BTreeMap<Prop, u64>,
    /// Properties that changed, with the change they carry: (stamp,
    /// distance).
    changed: BTreeMap<Prop, (u64, u32)>,
    loops: Loops,
    counts: Counts,
}

impl<'m> Settle<'m> {
    fn new(model: &'m mut Model) -> Self {
        let arrows = model.arrows();
        let mut own = BTreeMap::new();
        let mut counts = Counts::default();
        for &(p, stamp) in &model.own {
            // A property no binding touches is not part of the settle.
            if model.bindings.iter().any(|b| b.touches_prop(p)) {
                // Rule 1: the older change is superseded.
                counts.superseded += usize::from(own.insert(p, stamp).is_some());
            }
        }
        Self { model, arrows, own, changed: BTreeMap::new(), loops: Loops::default(), counts }
    }

    fn run(mut self) -> (Counts, Loops) {
        for component in self.components() {
            match component[..] {
                [p] => self.settle_one(p),
                _ => self.settle_cycle(&component),
            }
        }
        (self.counts, self.loops)
    }

    /// The strongly connected components, by brute-force reachability, in a
    /// topological order of the condensation (rule 2).
    fn components(&self) -> Vec<Vec<Prop>> {
        let props: Vec<Prop> = (0..self.model.values.len())
            .filter(|&e| self.model.alive(e))
            .flat_map(|e| [Prop::V(e), Prop::L(e)])
            .collect();
        let reach = |from: Prop| -> BTreeSet<Prop> {
            let mut seen = BTreeSet::from([from]);
            let mut stack = vec![from];
            while let Some(p) = stack.pop() {
                for a in self.arrows.iter().filter(|a| a.sources.contains(&p)) {
                    if seen.insert(a.target) {
                        stack.push(a.target);
                    }
                }
            }
            seen
        };
        let reaches: BTreeMap<Prop, BTreeSet<Prop>> = props.iter().map(|&p| (p, reach(p))).collect();
        let mut components: Vec<Vec<Prop>> = Vec::new();
        for &p in &props {
            if !components.iter().any(|c| c.contains(&p)) {
                let mutual = |q: &Prop| reaches[&p].contains(q) && reaches[q].contains(&p);
                components.push(props.iter().copied().filter(mutual).collect());
            }
        }
        let mut order = Vec::new();
        while !components.is_empty() {
            // A component whose every other component does not reach it.
            let next = (0..components.len())
                .find(|&k| {
                    let c = components[k][0];
                    components.iter().enumerate().all(|(j, d)| j == k || !reaches[&d[0]].contains(&c))
                })
                .expect("the condensation is acyclic");
            order.push(components.remove(next));
        }
        order
    }

    /// What a binding offers once its sources have settled: the newest
    /// change among its sources that changed, one step further than the
    /// nearest source that carries it (a derivation is one binding: its
    /// inputs bringing one change are one offer); or its sync if it owes
    /// one and that is newer. `(stamp, distance)`.
    fn offer(&self, arrow: &Arrow) -> Option<(u64, u32)> {
        let carried = arrow
            .sources
            .iter()
            .filter_map(|s| self.changed.get(s))
            .max_by_key(|&&(stamp, dist)| (stamp, Reverse(dist)))
            .map(|&(stamp, dist)| (stamp, dist + 1));
        match (carried, arrow.sync) {
            (Some(c), Some(sync)) if sync > c.0 => Some((sync, 1)),
            (None, Some(sync)) => Some((sync, 1)),
            (carried, _) => carried,
        }
    }

    /// Computes `arrow` into its target; writes only a different value
    /// (rule 4).
    fn fire(&mut self, a: usize, stamp: u64, dist: u32) {
        let arrow = &self.arrows[a];
        let target = arrow.target;
        let value = self.model.compute(arrow);
        self.counts.fired += 1;
        if value != self.model.value(target) {
            self.model.write(target, value);
            self.counts.written += 1;
            self.changed.insert(target, (stamp, dist));
        }
    }

    /// After a binding decided `p`: a property with an own change counts as
    /// changed whatever decided it, and carries the deciding change
    /// (glossary, "Changed").
    fn keep_own(&mut self, p: Prop, stamp: u64, dist: u32) {
        if self.own.contains_key(&p) {
            self.changed.entry(p).or_insert((stamp, dist));
        }
    }

    /// The syncs owed into `p`, now decided by `decider` with change
    /// `stamp`: one that won its target is applied; one whose binding
    /// decided it with a newer change is neither; the others are
    /// superseded.
    fn count_syncs(&mut self, p: Prop, decider: Option<usize>, stamp: u64) {
        for (a, arrow) in self.arrows.iter().enumerate().filter(|(_, a)| a.target == p) {
            match arrow.sync {
                Some(sync) if decider == Some(a) && sync == stamp => self.counts.applied += 1,
                Some(sync) if decider == Some(a) && sync < stamp => {}
                Some(_) => self.counts.superseded += 1,
                None => {}
            }
        }
    }

    /// Rules 1-4: a property in no cycle.
    fn settle_one(&mut self, p: Prop) {
        // (stamp, nearest, newest binding, the binding: `None` for its own)
        let mut candidates: Vec<(u64, Reverse<u32>, u64, Option<usize>)> = Vec::new();
        if let Some(&stamp) = self.own.get(&p) {
            candidates.push((stamp, Reverse(0), u64::MAX, None));
        }
        for (a, arrow) in self.arrows.iter().enumerate().filter(|(_, a)| a.target == p) {
            if let Some((stamp, dist)) = self.offer(arrow) {
                candidates.push((stamp, Reverse(dist), arrow.stamp, Some(a)));
            }
        }
        let Some(&(stamp, Reverse(dist), _, decider)) = candidates.iter().max() else { return };
        // The others that brought the deciding change are cut, each once
        // (a derivation is one binding, however many inputs brought it).
        self.counts.cut +=
            candidates.iter().filter(|c| c.0 == stamp && c.3.is_some() && c.3 != decider).count();
        self.count_syncs(p, decider, stamp);
        match decider {
            None => {
                self.counts.applied += 1;
                self.changed.insert(p, (stamp, 0));
            }
            Some(a) => {
                self.counts.superseded += usize::from(self.own.contains_key(&p));
                self.fire(a, stamp, dist);
                self.keep_own(p, stamp, dist);
            }
        }
    }

    /// Rule 5: a cycle settles as a whole.
    fn settle_cycle(&mut self, members: &[Prop]) {
        let inside = |p: &Prop| members.contains(p);
        // The entries: (stamp, the candidate, the sync's sources inside).
        let mut entries: Vec<(u64, Candidate, Vec<Prop>)> = Vec::new();
        for &m in members {
            if let Some(&stamp) = self.own.get(&m) {
                let own = Candidate { member: m, dist: 0, arrow: None, from: None };
                entries.push((stamp, own, Vec::new()));
            }
        }
        for (a, arrow) in self.arrows.iter().enumerate().filter(|(_, a)| inside(&a.target)) {
            let entry =
                |(_, dist): (u64, u32)| Candidate { member: arrow.target, dist, arrow: Some(a), from: None };
            if !arrow.sources.iter().any(inside) {
                if let Some(offer) = self.offer(arrow) {
                    entries.push((offer.0, entry(offer), Vec::new()));
                }
                continue;
            }
            if let Some(sync) = arrow.sync {
                let sources = arrow.sources.iter().copied().filter(inside).collect();
                entries.push((sync, entry((sync, 1)), sources));
            }
            // A derivation with inputs outside too: their change enters.
            let outside: Vec<Prop> = arrow.sources.iter().copied().filter(|s| !inside(s)).collect();
            if !outside.is_empty() {
                let outside = Arrow { sources: outside, sync: None, ..arrow.clone() };
                if let Some(offer) = self.offer(&outside) {
                    entries.push((offer.0, entry(offer), Vec::new()));
                }
            }
        }
        let mut stamps: Vec<u64> = entries.iter().map(|e| e.0).collect();
        stamps.sort_unstable_by_key(|&s| Reverse(s));
        stamps.dedup();

        // Claims, newest change first: member -> the change that claimed it.
        let mut claimer: BTreeMap<Prop, u64> = BTreeMap::new();
        let mut claims: Vec<(u64, Vec<Claim>)> = Vec::new();
        for stamp in stamps {
            let group = entries.iter().filter(|e| e.0 == stamp).map(|e| e.1).collect();
            // A sync never claims its own sources, and one whose source a
            // newer change claimed is carried by it and claims nothing.
            let sources: Vec<Prop> =
                entries.iter().filter(|e| e.0 == stamp).flat_map(|e| e.2.iter().copied()).collect();
            if sources.iter().any(|s| claimer.contains_key(s)) {
                continue;
            }
            let claimed = self.claim(stamp, group, &sources, inside, &mut claimer);
            claims.push((stamp, claimed));
        }
        for &m in members {
            let decider = claimer.get(&m).copied();
            let via = (claims.iter().filter(|c| Some(c.0) == decider))
                .flat_map(|c| c.1.iter())
                .find(|c| c.member == m)
                .and_then(|c| c.via.arrow());
            if let Some(&own) = self.own.get(&m) {
                let won = decider == Some(own);
                self.counts.applied += usize::from(won);
                self.counts.superseded += usize::from(!won);
            }
            self.count_syncs(m, via, decider.unwrap_or(0));
        }
        // Computing, oldest change first, each in the order it claimed,
        // nearest first.
        for (stamp, claimed) in claims.into_iter().rev() {
            for level in claimed.chunk_by(|a, b| a.dist == b.dist) {
                self.compute_level(stamp, level);
            }
        }
    }

    /// The members change `stamp` claims, in order: level by level in
    /// distance, where it enters and one binding further from each member
    /// it claimed one level nearer; of the bindings reaching an unclaimed
    /// member at one distance, the newest (an entry before a flood step of
    /// the same binding). `excluded`: a sync's own sources, never claimed
    /// (reaching one is a cut). A binding that brought the change and did
    /// not claim is cut once, however many of its inputs brought it.
    fn claim(
        &mut self,
        stamp: u64,
        mut entries: Vec<Candidate>,
        excluded: &[Prop],
        inside: impl Fn(&Prop) -> bool,
        claimer: &mut BTreeMap<Prop, u64>,
    ) -> Vec<Claim> {
        let newness = |c: &Candidate| c.arrow.map_or(u64::MAX, |a| self.arrows[a].stamp);
        entries.sort_by_key(|c| c.dist);
        let mut entries = entries.into_iter().peekable();
        let mut claimed: Vec<Claim> = Vec::new();
        let mut level = 0..0;
        // The bindings cut by this change.
        let mut cut: BTreeSet<usize> = BTreeSet::new();
        loop {
            let dist = match (level.is_empty(), entries.peek()) {
                (false, _) => claimed[level.start].dist + 1,
                (true, Some(entry)) => entry.dist,
                (true, None) => break,
            };
            let mut candidates: Vec<Candidate> = Vec::new();
            while let Some(entry) = entries.next_if(|e| e.dist == dist) {
                candidates.push(entry);
            }
            for claim in &claimed[level.clone()] {
                // Never straight back along the two-way binding it came by.
                let back = claim.via.arrow().and_then(|a| self.arrows[a].twin);
                for (a, arrow) in self.arrows.iter().enumerate() {
                    if Some(a) != back && inside(&arrow.target) && arrow.sources.contains(&claim.member) {
                        let from = Some(claim.member);
                        candidates.push(Candidate { member: arrow.target, dist, arrow: Some(a), from });
                    }
                }
            }
            // Newest binding first; an entry before a flood step.
            candidates.sort_by_key(|c| (Reverse(newness(c)), c.from.is_some()));
            let start = claimed.len();
            for c in candidates {
                if excluded.contains(&c.member) {
                    cut.extend(c.arrow); // a sync reaching its own source
                    continue;
                }
                match claimer.get(&c.member) {
                    Some(&s) if s == stamp => {
                        let claim = claimed.iter_mut().find(|x| x.member == c.member).expect("claimed");
                        if claim.via.arrow() != c.arrow {
                            cut.extend(c.arrow); // claimed another way
                        } else if let (Via::Flood { from, .. }, Some(f)) = (&mut claim.via, c.from)
                            && claim.dist == dist
                        {
                            from.push(f); // a derivation reached from two inputs at once
                        }
                        continue;
                    }
                    Some(_) => continue, // a newer change claimed it
                    None => {}
                }
                claimer.insert(c.member, stamp);
                let via = match (c.arrow, c.from) {
                    (None, _) => Via::Own,
                    (Some(a), None) => Via::Entry(a),
                    (Some(a), Some(f)) => Via::Flood { arrow: a, from: vec![f] },
                };
                claimed.push(Claim { member: c.member, dist, via });
            }
            level = start..claimed.len();
        }
        self.counts.cut += cut.len();
        claimed
    }

    /// Computes the members change `stamp` claimed at one distance: a
    /// derivation after those of them it reads; otherwise in the order
    /// claimed (any order gives the same values). Where they read each
    /// other in a loop, the rules order nothing within the loop: every
    /// order they allow is tried, and if the outcomes differ the level
    /// counts as deciding.
    fn compute_level(&mut self, stamp: u64, level: &[Claim]) {
        let n = level.len();
        let reads = |v: usize, u: usize| {
            u != v && level[v].via.arrow().is_some_and(|a| self.arrows[a].sources.contains(&level[u].member))
        };
        // after[v][u]: v reads u, directly or through others of the level.
        let mut after: Vec<Vec<bool>> = (0..n).map(|v| (0..n).map(|u| reads(v, u)).collect()).collect();
        for k in 0..n {
            for v in 0..n {
                for u in 0..n {
                    after[v][u] |= after[v][k] && after[k][u];
                }
            }
        }
        let before = |u: usize, v: usize| reads(v, u) && !after[u][v];
        let looped = (0..n).any(|v| after[v][v]);
        let orders = linear_extensions(n, &before, if looped { MAX_ORDERS + 1 } else { 1 });
        if !looped {
            for &k in &orders[0] {
                self.compute_claim(stamp, &level[k]);
            }
            return;
        }
        self.loops.levels += 1;
        let start = (self.model.values.clone(), self.model.labels.clone(), self.changed.clone(), self.counts);
        let mut outcomes = Vec::new();
        for order in &orders {
            (self.model.values, self.model.labels, self.changed, self.counts) = start.clone();
            for &k in order {
                self.compute_claim(stamp, &level[k]);
            }
            outcomes.push((
                self.model.values.clone(),
                self.model.labels.clone(),
                self.changed.clone(),
                self.counts,
            ));
        }
        if orders.len() > MAX_ORDERS || outcomes.iter().any(|o| *o != outcomes[0]) {
            self.loops.deciding += 1;
        }
    }

    /// Computes one claimed member. One claimed by its own change keeps it;
    /// one claimed where a change entered is computed by that binding; one
    /// claimed from other members is computed if any of them changed, or if
    /// its own change lost to this one.
    fn compute_claim(&mut self, stamp: u64, claim: &Claim) {
        let arrow = match &claim.via {
            Via::Own => {
                self.changed.insert(claim.member, (stamp, 0));
                return;
            }
            Via::Entry(arrow) => Some(*arrow),
            Via::Flood { arrow, from } => {
                let computed =
                    self.own.contains_key(&claim.member) || from.iter().any(|f| self.changed.contains_key(f));
                computed.then_some(*arrow)
            }
        };
        if let Some(a) = arrow {
            self.fire(a, stamp, claim.dist);
        }
        self.keep_own(claim.member, stamp, claim.dist);
    }
}

/// The orders of `0..n` that put `u` before `v` wherever `before(u, v)`
/// (acyclic), at most `limit` of them; the first takes the lowest index
/// free at each step.
fn linear_extensions(n: usize, before: &dyn Fn(usize, usize) -> bool, limit: usize) -> Vec<Vec<usize>> {
    fn extend(
        n: usize,
        before: &dyn Fn(usize, usize) -> bool,
        limit: usize,
        prefix: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        if prefix.len() == n {
            out.push(prefix.clone());
            return;
        }
        for v in 0..n {
            if out.len() >= limit {
                return;
            }
            if !prefix.contains(&v) && (0..n).all(|u| !before(u, v) || prefix.contains(&u)) {
                prefix.push(v);
                extend(n, before, limit, prefix, out);
                prefix.pop();
            }
        }
    }
    let mut out = Vec::new();
    extend(n, before, limit, &mut Vec::new(), &mut out);
    out
}

fn cases() -> u32 {
    ["BINDERY_MODEL_CASES", "PROPTEST_CASES"]
        .iter()
        .find_map(|var| std::env::var(var).ok().and_then(|s| s.parse().ok()))
        .unwrap_or(3000) // a few thousand cases in CI (debug: ~10 s)
}

/// The engine and the model side by side.
struct Run {
    engine: Engine,
    model: Model,
    entities: Vec<Entity>,
    /// Every binding ever made, removed ones included.
    ids: Vec<BindingId>,
    /// What happened so far, indices resolved, for the failure report.
    log: Vec<String>,
    tally: Tally,
}

/// What a search met: cases, ticks, ticks with a loop among the derivations
/// of one level, and ticks not judged because such a loop decided a value.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    cases: usize,
    ticks: usize,
    /// Ticks that ran from a compiled schedule.
    scheduled: usize,
    loops: usize,
    skipped: usize,
}

impl Tally {
    fn add(self, other: Tally) -> Tally {
        Tally {
            cases: self.cases + other.cases,
            ticks: self.ticks + other.ticks,
            scheduled: self.scheduled + other.scheduled,
            loops: self.loops + other.loops,
            skipped: self.skipped + other.skipped,
        }
    }
}

impl Run {
    fn new(initial: &[u8], eager_schedules: bool) -> Self {
        let mut engine = Engine::new();
        engine.set_eager_schedules(eager_schedules);
        let mut run = Run {
            engine,
            model: Model::new(),
            entities: Vec::new(),
            ids: Vec::new(),
            log: Vec::new(),
            tally: Tally { cases: 1, ..Tally::default() },
        };
        for &x in initial {
            run.spawn(x);
        }
        let start: Vec<String> = initial.iter().enumerate().map(|(i, x)| format!("e{i} = {x}")).collect();
        run.log.push(start.join(", "));
        run
    }

    fn spawn(&mut self, x: u8) {
        self.entities.push(self.engine.spawn((V(x), L(String::new()))));
        self.model.values.push(Some(x));
        self.model.labels.push(String::new());
    }

    fn entity(&self, i: usize) -> usize {
        i % self.entities.len()
    }

    fn alive(&self, i: usize) -> Result<(), Error> {
        if self.model.alive(i) { Ok(()) } else { Err(Error::NoSuchEntity(self.entities[i])) }
    }

    /// Runs `op` on both and compares everything observable.
    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let line = self.describe(op);
        self.log.push(line);
        if let Op::Tick = op {
            let stats = self.engine.tick();
            self.tally.scheduled += stats.scheduled;
            let (counts, loops) = self.model.tick();
            let judged = loops.deciding == 0;
            self.tally.ticks += 1;
            self.tally.loops += usize::from(loops.levels > 0);
            if !judged {
                self.tally.skipped += 1;
                self.log
                    .push("  (not judged: derivations reading each other in one level decided it)".into());
                self.adopt_engine_values();
            }
            self.compare()?;
            if judged {
                let got = Counts {
                    applied: stats.changes_applied,
                    superseded: stats.changes_superseded,
                    fired: stats.bindings_fired,
                    written: stats.properties_written,
                    cut: stats.cycles_cut,
                };
                prop_assert_eq!(got, counts, "tick counters (engine left, model right)");
            }
            return Ok(());
        }
        self.apply(op)?;
        self.compare()
    }

    /// After a tick the rules leave open: the model goes on from the
    /// engine's values.
    fn adopt_engine_values(&mut self) {
        for (i, &e) in self.entities.iter().enumerate() {
            if self.model.alive(i) {
                self.model.values[i] = self.engine.get::<V>(e).ok().map(|v| v.0);
                self.model.labels[i] = self.engine.get::<L>(e).map(|l| l.0).unwrap_or_default();
            }
        }
        self.model.after_tick();
    }

    /// Applies an operation other than a tick to both.
    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Spawn(x) => {
                if self.entities.len() < 11 {
                    self.spawn(x);
                }
            }
            Op::Despawn(i) => {
                let i = self.entity(i);
                let expected = self.alive(i);
                prop_assert_eq!(self.engine.despawn(self.entities[i]), expected.clone());
                if expected.is_ok() {
                    self.model.despawn(i);
                }
            }
            Op::Set(i, x) | Op::Insert(i, x) => {
                let i = self.entity(i);
                let e = self.entities[i];
                let got = match op {
                    Op::Insert(..) => self.engine.insert(e, V(x)),
                    _ => self.engine.set(e, V(x)),
                };
                let expected = self.alive(i);
                prop_assert_eq!(got, expected.clone());
                if expected.is_ok() {
                    self.model.set(i, x);
                }
            }
            Op::Modify(i) => {
                let i = self.entity(i);
                let expected = self.alive(i);
                prop_assert_eq!(
                    self.engine.modify(self.entities[i], |v: &mut V| *v = plus(v)),
                    expected.clone()
                );
                if let Some(x) = self.model.values[i] {
                    self.model.set(i, plus(&V(x)).0);
                }
            }
            Op::MarkChanged(i) => {
                let i = self.entity(i);
                let expected = self.alive(i);
                prop_assert_eq!(self.engine.mark_changed::<V>(self.entities[i]), expected.clone());
                if expected.is_ok() {
                    self.model.mark_changed(i);
                }
            }
            Op::External(i, x) => {
                let i = self.entity(i);
                if self.model.alive(i) {
                    self.engine.world_mut().get::<&mut V>(self.entities[i]).expect("live").0 = x;
                    self.model.values[i] = Some(x);
                }
            }
            Op::Poll(i) => {
                let i = self.entity(i);
                let expected = self.alive(i);
                prop_assert_eq!(self.engine.poll::<V>(self.entities[i]).map(|_| ()), expected.clone());
                if let Some(x) = self.model.values[i] {
                    self.model.watched = true;
                    self.model.polls.push((i, x));
                }
            }
            Op::Bind(a, b) | Op::BindMap(a, b) | Op::BindTwoWay(a, b) | Op::BindTwoWayPlus(a, b) => {
                let (a, b) = (self.entity(a), self.entity(b));
                let (ea, eb) = (self.entities[a], self.entities[b]);
                let (got, shape) = match op {
                    Op::Bind(..) => {
                        let shape = Shape::OneWay { source: a, target: Prop::V(b), map: Map::Identity };
                        (self.engine.bind::<V>(ea, eb), shape)
                    }
                    Op::BindMap(..) => {
                        let shape = Shape::OneWay { source: a, target: Prop::L(b), map: Map::Label };
                        (self.engine.bind_map(ea, eb, label), shape)
                    }
                    Op::BindTwoWay(..) => {
                        (self.engine.bind_two_way::<V>(ea, eb), Shape::TwoWay { a, b, map: Map::Identity })
                    }
                    _ => (
                        self.engine.bind_two_way_map(ea, eb, plus, plus),
                        Shape::TwoWay { a, b, map: Map::Plus },
                    ),
                };
                let target = if let Shape::OneWay { target, .. } = shape { target } else { Prop::V(b) };
                let both_ways = matches!(shape, Shape::TwoWay { .. });
                let existing = self
                    .model
                    .bindings
                    .iter()
                    .find(|x| x.links(a, target))
                    .or_else(|| self.model.bindings.iter().find(|x| both_ways && x.links(b, Prop::V(a))));
                let expected = self.alive(a).and(self.alive(b)).and(match existing {
                    _ if a == b && target == Prop::V(b) => Err(Error::SelfBinding),
                    Some(x) => Err(Error::DuplicateBinding(x.id)),
                    None => Ok(()),
                });
                prop_assert_eq!(got.clone().map(|_| ()), expected);
                if let Ok(id) = got {
                    self.ids.push(id);
                    self.model.add(id, shape);
                }
            }
            Op::Derive(t, ref sources, fold) => {
                let t = self.entity(t);
                let inputs: Vec<usize> = sources.iter().map(|&s| self.entity(s)).collect();
                let target = self.entities[t];
                let got = match inputs[..] {
                    [a] => self
                        .engine
                        .derive(target, (self.entities[a],), move |(x,): (&V,)| V(fold.apply(&[x.0]))),
                    [a, b] => {
                        let f = move |(x, y): (&V, &V)| V(fold.apply(&[x.0, y.0]));
                        self.engine.derive(target, (self.entities[a], self.entities[b]), f)
                    }
                    _ => unreachable!("one or two sources"),
                };
                let mut expected = inputs.iter().try_for_each(|&s| self.alive(s)).and(self.alive(t));
                if expected.is_ok() && inputs.contains(&t) {
                    expected = Err(Error::SelfBinding);
                }
                prop_assert_eq!(got.clone().map(|_| ()), expected);
                if let Ok(id) = got {
                    self.ids.push(id);
                    self.model.add(id, Shape::Derive { target: t, inputs, fold });
                }
            }
            Op::Unbind(k) | Op::SetEnabled(k, _) => {
                let Some(&id) = self.ids.get(k % self.ids.len().max(1)) else { return Ok(()) };
                let live = self.model.bindings.iter().position(|b| b.id == id);
                let got = match *op {
                    Op::SetEnabled(_, on) => self.engine.set_enabled(id, on),
                    _ => self.engine.unbind(id),
                };
                prop_assert_eq!(got, live.map(|_| ()).ok_or(Error::NoSuchBinding(id)));
                match (live, op) {
                    (Some(k), &Op::SetEnabled(_, on)) => self.model.set_enabled(k, on),
                    (Some(k), _) => {
                        self.model.bindings.remove(k);
                    }
                    (None, _) => {}
                }
            }
            Op::Tick => unreachable!("ticks are stepped"),
        }
        Ok(())
    }

    /// `op` with its indices resolved.
    fn describe(&self, op: &Op) -> String {
        let e = |i: usize| format!("e{}", self.entity(i));
        let n = self.ids.len();
        let b = |k: usize| format!("b{}", k % n.max(1));
        match op {
            Op::Spawn(x) => format!("e{} = spawn({x})", self.entities.len()),
            Op::Despawn(i) => format!("despawn({})", e(*i)),
            Op::Set(i, x) => format!("set({}, {x})", e(*i)),
            Op::Insert(i, x) => format!("insert({}, {x})", e(*i)),
            Op::Modify(i) => format!("modify({}, +1)", e(*i)),
            Op::MarkChanged(i) => format!("mark_changed({})", e(*i)),
            Op::External(i, x) => format!("world_mut: {} = {x}", e(*i)),
            Op::Poll(i) => format!("poll({})", e(*i)),
            Op::Bind(s, t) => format!("b{n}? bind({} -> {})", e(*s), e(*t)),
            Op::BindMap(s, t) => format!("b{n}? bind_map({} -> label of {})", e(*s), e(*t)),
            Op::BindTwoWay(s, t) => format!("b{n}? bind_two_way({} <-> {})", e(*s), e(*t)),
            Op::BindTwoWayPlus(s, t) => format!("b{n}? bind_two_way_map({} <-> {}, +1, +1)", e(*s), e(*t)),
            Op::Derive(t, s, f) => {
                let s: Vec<String> = s.iter().map(|&i| e(i)).collect();
                format!("b{n}? derive({}, ({}), {f:?})", e(*t), s.join(", "))
            }
            Op::Unbind(k) => format!("unbind({})", b(*k)),
            Op::SetEnabled(k, on) => format!("set_enabled({}, {on})", b(*k)),
            Op::Tick => "tick".to_string(),
        }
    }

    /// Compares everything observable between ticks.
    fn compare(&self) -> Result<(), TestCaseError> {
        let engine = &self.engine;
        let live = (0..self.entities.len()).filter(|&i| self.model.alive(i)).count();
        prop_assert_eq!(engine.entity_count(), live);
        prop_assert_eq!(engine.binding_count(), self.model.bindings.len());
        for (i, &e) in self.entities.iter().enumerate() {
            match self.model.values[i] {
                Some(x) => {
                    prop_assert_eq!(engine.get::<V>(e), Ok(V(x)), "value of e{}", i);
                    prop_assert_eq!(
                        engine.get::<L>(e),
                        Ok(L(self.model.labels[i].clone())),
                        "label of e{}",
                        i
                    );
                }
                None => prop_assert!(!engine.is_alive(e)),
            }
            let mut got: Vec<BindingId> = engine.bindings_of(e).collect();
            got.sort();
            let mut want: Vec<BindingId> =
                self.model.bindings.iter().filter(|b| b.touches(i)).map(|b| b.id).collect();
            want.sort();
            prop_assert_eq!(got, want, "bindings of e{}", i);
        }
        prop_assert_eq!(engine.check_invariants(), Ok(()));
        Ok(())
    }

    /// The values on both sides, for the failure report.
    fn values(&self) -> String {
        let show = |v: Option<u8>, l: Option<&str>| match (v, l) {
            (Some(v), Some(l)) => format!("{v}{l}"),
            _ => "-".to_string(),
        };
        let engine: Vec<String> = (self.entities.iter())
            .map(|&e| {
                show(
                    self.engine.get::<V>(e).ok().map(|v| v.0),
                    self.engine.get::<L>(e).ok().map(|l| l.0).as_deref(),
                )
            })
            .collect();
        let model: Vec<String> = (0..self.entities.len())
            .map(|i| show(self.model.values[i], Some(&self.model.labels[i])))
            .collect();
        format!("engine: {}\nmodel:  {}", engine.join(" "), model.join(" "))
    }
}

#[test]
fn many_changes_per_tick_settle_as_the_written_rules_say() {
    search(false);
}

/// The same search with every tick that can run from a compiled schedule
/// doing so (ticks do when their changes repeat the last tick's).
#[test]
fn many_changes_per_tick_settle_the_same_from_compiled_schedules() {
    search(true);
}

fn search(eager_schedules: bool) {
    let tally = Cell::new(Tally::default());
    let config = ProptestConfig { cases: cases(), ..ProptestConfig::default() };
    proptest!(config, |(
        initial in prop::collection::vec(0u8..4, 2..7),
        ops in prop::collection::vec(op(), 1..60),
    )| {
        let mut run = Run::new(&initial, eager_schedules);
        for op in &ops {
            if let Err(e) = run.step(op) {
                let report = format!("{e}\n{}\n{}", run.log.join("\n"), run.values());
                return Err(TestCaseError::fail(report));
            }
        }
        tally.set(tally.get().add(run.tally));
    });
    let Tally { cases, ticks, scheduled, loops, skipped } = tally.get();
    eprintln!(
        "{cases} cases, {ticks} ticks: {} judged, {scheduled} run from a compiled schedule; {loops} met \
         derivations reading each other in one level, {skipped} not judged because that decided a value",
        ticks - skipped
    );
    if eager_schedules {
        assert!(scheduled * 50 >= ticks, "compiled schedules ran in only {scheduled} of {ticks} ticks");
    }
}

/// Sequences the search found, replayed on every run (the rarest are found
/// only in millions of cases): a name, the initial values, the operations.
/// All are run; every one that fails is reported.
#[test]
fn sequences_the_search_found_settle_as_the_written_rules_say() {
    use Fold::{Parity, Sum};
    use Op::*;
    let sequences: Vec<(&str, Vec<u8>, Vec<Op>)> = vec![
        (
            // e4 = e2 + e3 brings e0's change through e3 in two bindings,
            // e2 -> e4 in three: the derivation decides, whichever of its
            // inputs settles first. e4 = 1 + 2.
            "a derivation is as near as its nearest input (no cycle)",
            vec![0; 5],
            vec![
                Bind(0, 1),
                Bind(1, 2),
                Derive(3, vec![0, 1], Sum),
                Derive(4, vec![2, 3], Sum),
                Bind(2, 4),
                Tick,
                Set(0, 1),
                Tick,
            ],
        ),
        (
            // e1's own change reaches e3 in one binding; e0 = e3 + e1 brings
            // it in one (from e1), e0 = e3 in two: e0 = 2 + 1.
            "a derivation is as near as its nearest input (inputs in a cycle)",
            vec![0; 4],
            vec![
                Derive(1, vec![2], Sum),
                Derive(0, vec![3, 1], Sum),
                Derive(0, vec![3], Sum),
                BindTwoWayPlus(1, 3),
                Modify(1),
                Tick,
            ],
        ),
        (
            // e0's change claims e1, e2, e3 at one distance; e1 and e2 read
            // each other (either order gives e1 = 3, e2 = 1), and e3 reads
            // e1, so it comes after it: e3 = 2 + 3.
            "a derivation reading a loop of its level comes after the member it reads",
            vec![0, 1, 1, 1],
            vec![
                Derive(3, vec![0, 1], Sum),
                Derive(1, vec![2, 0], Sum),
                Derive(2, vec![1, 0], Parity),
                Bind(3, 0),
                Tick,
                External(0, 0),
                External(1, 1),
                External(2, 1),
                External(3, 1),
                Set(0, 2),
                Tick,
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (name, initial, ops) in sequences {
        for eager_schedules in [false, true] {
            let mut run = Run::new(&initial, eager_schedules);
            if let Err(e) = ops.iter().try_for_each(|op| run.step(op)) {
                let how = if eager_schedules { " (compiled schedules)" } else { "" };
                failures.push(format!("{name}{how}: {e}\n{}\n{}", run.log.join("\n"), run.values()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
