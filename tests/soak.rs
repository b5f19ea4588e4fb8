//! Fault soak: 10,000 ticks under [`FaultPolicy::Isolate`] with transforms,
//! field transforms and derivations that panic on a random 1% of values.
//! Every tick the faults are exactly the ones the values predict, each
//! faulty binding is resumed and re-syncs, everything that did not fault is
//! consistent, entity and binding counts never move, and live memory (this
//! binary's counting allocator) stays flat.
//!
//! One test in its own binary: it silences the panic hook for the whole
//! process, and the allocator counts only this workload.

#[path = "support/alloc.rs"]
mod alloc;

use std::collections::BTreeSet;

use alloc::live_bytes;
use bindery::{BindingId, Engine, Entity, FaultPolicy, FaultSource};

#[derive(Clone, Copy, Debug, PartialEq)]
struct V(i64);

#[derive(Clone, Copy, Debug, PartialEq)]
struct Pair {
    x: i64,
    y: i64,
}

/// The transforms refuse "unlucky" values: 1% of uniformly drawn ones.
fn unlucky(v: i64) -> bool {
    v % 100 == 0
}

const SLOTS: usize = 400;
const CHANGES_PER_TICK: usize = 40;
const TICKS: usize = 10_000;
const WARM_UP: usize = 1_000;
/// `Pair::y` is never bound: field writes must leave it alone.
const Y: i64 = -7;

/// One slot: a source and everything bound to it.
struct Slot {
    source: Entity,
    /// `source -> doubled`, a `bind_map` that panics on unlucky values.
    map: BindingId,
    doubled: Entity,
    /// `doubled -> copy`, a plain binding downstream of the faulty one.
    copy: Entity,
    /// `source -> pair.x`, a field binding that panics when `v + 1` is unlucky.
    field: BindingId,
    pair: Entity,
    /// `source <-> mirror`, a plain two-way binding.
    mirror: Entity,
    /// `sum = source + next slot's source`, panics on an unlucky sum.
    derive: BindingId,
    sum: Entity,
}

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn v(engine: &Engine, e: Entity) -> i64 {
    engine.get::<V>(e).expect("slot entity has a V").0
}

fn build(engine: &mut Engine, rng: &mut Rng) -> Vec<Slot> {
    let sources: Vec<Entity> = (0..SLOTS).map(|_| engine.spawn((V(1 + rng.below(9_999) as i64),))).collect();
    (0..SLOTS)
        .map(|i| {
            let source = sources[i];
            let next = sources[(i + 1) % SLOTS];
            let [doubled, copy, mirror, sum] = [(); 4].map(|()| engine.spawn((V(0),)));
            let pair = engine.spawn((Pair { x: 0, y: Y },));
            let map = engine
                .bind_map(source, doubled, |s: &V| {
                    assert!(!unlucky(s.0), "map refuses {}", s.0);
                    V(s.0 * 2)
                })
                .expect("bind_map");
            engine.bind::<V>(doubled, copy).expect("bind");
            let field = engine
                .bind_field(
                    source,
                    pair,
                    |s: &V| {
                        assert!(!unlucky(s.0 + 1), "field refuses {}", s.0);
                        s.0 + 1
                    },
                    |p: &mut Pair| &mut p.x,
                )
                .expect("bind_field");
            engine.bind_two_way::<V>(source, mirror).expect("bind_two_way");
            let derive = engine
                .derive(sum, (source, next), |(a, b): (&V, &V)| {
                    assert!(!unlucky(a.0 + b.0), "derive refuses {}", a.0 + b.0);
                    V(a.0 + b.0)
                })
                .expect("derive");
            Slot { source, map, doubled, copy, field, pair, mirror, derive, sum }
        })
        .collect()
}

/// The faults a tick must report: every faulty binding that runs (its
/// source changed, or it was just resumed) on an unlucky value.
fn predicted(
    engine: &Engine,
    slots: &[Slot],
    changed: &BTreeSet<usize>,
    resumed: &BTreeSet<BindingId>,
) -> BTreeSet<FaultSource> {
    let mut faults = BTreeSet::new();
    for (i, slot) in slots.iter().enumerate() {
        let next = (i + 1) % SLOTS;
        let s = v(engine, slot.source);
        let runs = |id: BindingId, inputs_changed: bool| inputs_changed || resumed.contains(&id);
        if runs(slot.map, changed.contains(&i)) && unlucky(s) {
            faults.insert(FaultSource::Binding(slot.map));
        }
        if runs(slot.field, changed.contains(&i)) && unlucky(s + 1) {
            faults.insert(FaultSource::Binding(slot.field));
        }
        let sum = s + v(engine, slots[next].source);
        if runs(slot.derive, changed.contains(&i) || changed.contains(&next)) && unlucky(sum) {
            faults.insert(FaultSource::Derivation(slot.derive));
        }
    }
    faults
}

/// After a tick: everything that did not fault this tick is consistent with
/// its inputs; the plain bindings always are.
fn check_consistent(engine: &Engine, slots: &[Slot], faulted: &BTreeSet<FaultSource>, tick: usize) {
    for (i, slot) in slots.iter().enumerate() {
        let s = v(engine, slot.source);
        assert_eq!(v(engine, slot.mirror), s, "tick {tick}: mirror {i}");
        assert_eq!(v(engine, slot.copy), v(engine, slot.doubled), "tick {tick}: copy {i}");
        let pair = engine.get::<Pair>(slot.pair).expect("pair");
        assert_eq!(pair.y, Y, "tick {tick}: the unbound field of pair {i}");
        if !faulted.contains(&FaultSource::Binding(slot.map)) {
            assert_eq!(v(engine, slot.doubled), 2 * s, "tick {tick}: doubled {i}");
        }
        if !faulted.contains(&FaultSource::Binding(slot.field)) {
            assert_eq!(pair.x, s + 1, "tick {tick}: pair {i}");
        }
        if !faulted.contains(&FaultSource::Derivation(slot.derive)) {
            let next = v(engine, slots[(i + 1) % SLOTS].source);
            assert_eq!(v(engine, slot.sum), s + next, "tick {tick}: sum {i}");
        }
    }
}

/// A fresh value for `slot`'s source, different from its current one.
fn fresh(rng: &mut Rng, current: i64) -> i64 {
    loop {
        let x = 1 + rng.below(9_999) as i64;
        if x != current {
            return x;
        }
    }
}

#[test]
fn ten_thousand_ticks_of_random_faults_cost_only_the_faulty_bindings() {
    std::panic::set_hook(Box::new(|_| {})); // ~1% of 12,000 runs a tick panic on purpose
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut engine = Engine::new();
    assert_eq!(engine.fault_policy(), FaultPolicy::Isolate);
    let slots = build(&mut engine, &mut rng);
    let all: BTreeSet<usize> = (0..SLOTS).collect();
    let mut expected = predicted(&engine, &slots, &all, &BTreeSet::new());
    let stats = engine.tick();
    let counts = (engine.entity_count(), engine.binding_count());
    assert_eq!(counts, (SLOTS * 6, SLOTS * 5));

    let mut baseline = 0;
    let mut total_faults = 0;
    for tick in 0..TICKS {
        if tick > 0 {
            // Change a random 10% of the sources, then tick.
            let mut changed = BTreeSet::new();
            while changed.len() < CHANGES_PER_TICK {
                changed.insert(rng.below(SLOTS as u64) as usize);
            }
            for &i in &changed {
                let x = fresh(&mut rng, v(&engine, slots[i].source));
                engine.set(slots[i].source, V(x)).expect("source alive");
            }
            let resumed = resume(&mut engine);
            expected = predicted(&engine, &slots, &changed, &resumed);
            let stats = engine.tick();
            assert_eq!(stats.faults, engine.faults().len(), "tick {tick}");
        } else {
            assert_eq!(stats.faults, engine.faults().len());
        }
        let got: BTreeSet<FaultSource> = engine.faults().iter().map(|f| f.source.clone()).collect();
        assert_eq!(got.len(), engine.faults().len(), "tick {tick}: each fault once");
        assert_eq!(got, expected, "tick {tick}: the faults the values predict");
        total_faults += got.len();
        check_consistent(&engine, &slots, &got, tick);
        assert_eq!((engine.entity_count(), engine.binding_count()), counts, "tick {tick}");
        if tick == WARM_UP {
            baseline = live_bytes();
        }
    }
    let grown = live_bytes() - baseline;
    assert!(grown <= 64 * 1024, "live bytes grew by {grown} over {} ticks", TICKS - WARM_UP);
    assert!(total_faults > TICKS / 2, "the soak faulted only {total_faults} times");
    eprintln!("{total_faults} faults over {TICKS} ticks; live bytes {grown:+} after warm-up");

    // Finally: lucky values everywhere (1 mod 100: so are `v + 1` and any
    // sum of two), everything resumed, all consistent.
    for slot in &slots {
        let current = v(&engine, slot.source);
        let x = fresh(&mut rng, current) / 100 * 100 + 1;
        engine.set(slot.source, V(if x == current { x + 100 } else { x })).expect("source alive");
    }
    resume(&mut engine);
    let stats = engine.tick();
    assert_eq!(stats.faults, 0, "{:?}", engine.faults());
    check_consistent(&engine, &slots, &BTreeSet::new(), TICKS);
    for slot in &slots {
        for id in [slot.map, slot.field, slot.derive] {
            assert!(engine.binding(id).expect("kept").enabled);
        }
    }
    assert_eq!((engine.entity_count(), engine.binding_count()), counts);
    assert_eq!(engine.check_invariants(), Ok(()));
    let _ = std::panic::take_hook();
}

/// Resumes every binding the last tick disabled for a fault; returns them.
fn resume(engine: &mut Engine) -> BTreeSet<BindingId> {
    let ids: BTreeSet<BindingId> = engine
        .faults()
        .iter()
        .map(|f| match f.source {
            FaultSource::Binding(id) | FaultSource::Derivation(id) => id,
            ref other => panic!("only transforms and derivations panic here, not {other:?}"),
        })
        .collect();
    for &id in &ids {
        assert!(!engine.binding(id).expect("a faulty binding is kept").enabled);
        engine.set_enabled(id, true).expect("resume");
    }
    ids
}
