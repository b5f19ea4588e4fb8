//! Model test (slotmap's quickcheck model test, with proptest): random
//! operation sequences run on the engine and on a tiny, obviously-correct
//! reference model, compared after every step.
//!
//! The model keeps values in a `HashMap` and bindings in a `Vec`, and
//! propagates with a naive breadth-first flood. To keep it obviously correct
//! it covers one change per tick: every `Set`, `Bind` and `BindTwoWay` is
//! followed by a tick (explicit `Tick`s in between must do nothing).
//!
//! Several changes in one tick are not modelled here on purpose: the engine
//! writes a `set` at once and propagates the tick's changes together, newest
//! first, so it judges equality against values an older change of the same
//! tick never got to write. A one-by-one replay (NiceGUI's immediate
//! propagation) can differ there: it sees transient values. The rules for
//! those races are pinned down by name in `tests/bindings.rs` (including the
//! sequences an earlier, richer model found), and the fuzzer checks the
//! engine's invariants on arbitrary mixes.
//!
//! Operations: spawn, despawn, set, insert, bind, bind_map (value to label,
//! one mapped binding per label), bind_two_way, unbind, tick.
//!
//! `BINDERY_MODEL_CASES=20000 cargo test --test model` runs a longer search.

use std::collections::{HashMap, HashSet, VecDeque};

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

#[derive(Clone, Debug)]
enum Op {
    Spawn(u8),
    Despawn(usize),
    Set(usize, u8),
    Insert(usize, u8),
    Bind(usize, usize),
    BindMap(usize, usize),
    BindTwoWay(usize, usize),
    Unbind(usize),
    Tick,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..4).prop_map(Op::Spawn),
        1 => any::<usize>().prop_map(Op::Despawn),
        4 => (any::<usize>(), 0u8..4).prop_map(|(i, v)| Op::Set(i, v)),
        1 => (any::<usize>(), 0u8..4).prop_map(|(i, v)| Op::Insert(i, v)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::BindMap(a, b)),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Bind(a, b)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::BindTwoWay(a, b)),
        1 => any::<usize>().prop_map(Op::Unbind),
        1 => Just(Op::Tick),
    ]
}

/// One binding in the model: `two_way` ones carry values both ways.
#[derive(Clone, Copy, Debug)]
struct Binding {
    id: BindingId,
    source: usize,
    target: usize,
    two_way: bool,
}

/// A mapped binding: the value of `source` labels `target`.
#[derive(Clone, Copy, Debug)]
struct Mapped {
    id: BindingId,
    source: usize,
    target: usize,
}

/// The reference: values and labels by entity index, live bindings in lists.
#[derive(Default)]
struct Model {
    values: HashMap<usize, u8>,
    labels: HashMap<usize, String>,
    bindings: Vec<Binding>,
    mapped: Vec<Mapped>,
}

impl Model {
    fn neighbours(&self, n: usize) -> Vec<usize> {
        let mut out = Vec::new();
        // Newest binding first, as the engine visits them.
        for b in self.bindings.iter().rev() {
            if b.source == n {
                out.push(b.target);
            }
            if b.two_way && b.target == n {
                out.push(b.source);
            }
        }
        out
    }

    /// Floods `value` from `start` (already holding it), never entering
    /// `blocked` or a property visited before; equality stops the flood.
    fn flood(&mut self, start: usize, blocked: usize) {
        let value = self.values[&start];
        let mut visited: HashSet<usize> = [start, blocked].into();
        let mut queue = VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            self.relabel(n);
            for m in self.neighbours(n) {
                if visited.insert(m) && self.values[&m] != value {
                    self.values.insert(m, value);
                    queue.push_back(m);
                }
            }
        }
    }

    /// Every label mapped from `n`'s value follows it (each label has at most
    /// one mapped binding, so there is nothing to race).
    fn relabel(&mut self, n: usize) {
        let text = label(&V(self.values[&n])).0;
        for m in self.mapped.iter().filter(|m| m.source == n) {
            self.labels.insert(m.target, text.clone());
        }
    }

    /// A user change to `i`: propagates if `i` is bound.
    fn set(&mut self, i: usize, v: u8) {
        if self.values[&i] == v {
            return;
        }
        self.values.insert(i, v);
        if self.bindings.iter().any(|b| b.source == i || b.target == i)
            || self.mapped.iter().any(|m| m.source == i)
        {
            self.flood(i, i);
        }
    }

    /// A new binding's initial sync: the target takes the source's value and
    /// floods on, never back into the source.
    fn sync(&mut self, b: Binding) {
        let value = self.values[&b.source];
        if self.values[&b.target] != value {
            self.values.insert(b.target, value);
            self.flood(b.target, b.source);
        }
    }
}

fn cases() -> u32 {
    std::env::var("BINDERY_MODEL_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_the_model(ops in prop::collection::vec(op(), 1..80)) {
        let mut engine = Engine::new();
        let mut model = Model::default();
        let mut entities: Vec<Entity> = Vec::new();
        let mut ids: Vec<BindingId> = Vec::new();
        let pick = |len: usize, i: usize| (len > 0).then(|| i % len);

        for op in &ops {
            match *op {
                Op::Spawn(v) => {
                    entities.push(engine.spawn((V(v), L(String::new()))));
                    model.values.insert(entities.len() - 1, v);
                    model.labels.insert(entities.len() - 1, String::new());
                }
                Op::Despawn(i) => {
                    let Some(i) = pick(entities.len(), i) else { continue };
                    let alive = model.values.contains_key(&i);
                    let got = engine.despawn(entities[i]);
                    prop_assert_eq!(got.is_ok(), alive);
                    if alive {
                        model.values.remove(&i);
                        model.labels.remove(&i);
                        model.bindings.retain(|b| b.source != i && b.target != i);
                        model.mapped.retain(|m| m.source != i && m.target != i);
                    }
                }
                Op::Set(i, v) | Op::Insert(i, v) => {
                    let Some(i) = pick(entities.len(), i) else { continue };
                    let got = match op {
                        Op::Insert(..) => engine.insert(entities[i], V(v)),
                        _ => engine.set(entities[i], V(v)),
                    };
                    if model.values.contains_key(&i) {
                        prop_assert_eq!(got, Ok(()));
                        model.set(i, v);
                    } else {
                        prop_assert_eq!(got, Err(Error::NoSuchEntity(entities[i])));
                    }
                    engine.tick();
                }
                Op::Bind(a, b) | Op::BindTwoWay(a, b) => {
                    let (Some(a), Some(b)) = (pick(entities.len(), a), pick(entities.len(), b)) else { continue };
                    let two_way = matches!(op, Op::BindTwoWay(..));
                    let got = if two_way {
                        engine.bind_two_way::<V>(entities[a], entities[b])
                    } else {
                        engine.bind::<V>(entities[a], entities[b])
                    };
                    let expected = if !model.values.contains_key(&a) {
                        Err(Error::NoSuchEntity(entities[a]))
                    } else if !model.values.contains_key(&b) {
                        Err(Error::NoSuchEntity(entities[b]))
                    } else if a == b {
                        Err(Error::SelfBinding)
                    } else {
                        Ok(())
                    };
                    match (got, expected) {
                        (Ok(id), Ok(())) => {
                            let binding = Binding { id, source: a, target: b, two_way };
                            model.bindings.push(binding);
                            model.sync(binding);
                            ids.push(id);
                        }
                        (got, expected) => prop_assert_eq!(got.map(|_| ()), expected),
                    }
                    engine.tick();
                }
                Op::BindMap(a, b) => {
                    let (Some(a), Some(b)) = (pick(entities.len(), a), pick(entities.len(), b)) else { continue };
                    if model.mapped.iter().any(|m| m.target == b) {
                        continue; // one mapped binding per label keeps the model race-free
                    }
                    let got = engine.bind_map(entities[a], entities[b], label);
                    let expected = if !model.values.contains_key(&a) {
                        Err(Error::NoSuchEntity(entities[a]))
                    } else if !model.values.contains_key(&b) {
                        Err(Error::NoSuchEntity(entities[b]))
                    } else {
                        Ok(())
                    };
                    match (got, expected) {
                        (Ok(id), Ok(())) => {
                            model.mapped.push(Mapped { id, source: a, target: b });
                            model.labels.insert(b, label(&V(model.values[&a])).0);
                            ids.push(id);
                        }
                        (got, expected) => prop_assert_eq!(got.map(|_| ()), expected),
                    }
                    engine.tick();
                }
                Op::Unbind(k) => {
                    let Some(k) = pick(ids.len(), k) else { continue };
                    let id = ids[k];
                    let live = model.bindings.iter().any(|b| b.id == id) || model.mapped.iter().any(|m| m.id == id);
                    prop_assert_eq!(engine.unbind(id).is_ok(), live);
                    model.bindings.retain(|b| b.id != id);
                    model.mapped.retain(|m| m.id != id);
                }
                Op::Tick => {
                    let stats = engine.tick();
                    prop_assert_eq!(stats.properties_written, 0, "nothing was pending");
                }
            }

            // Compare everything observable.
            prop_assert_eq!(engine.entity_count(), model.values.len());
            prop_assert_eq!(engine.binding_count(), model.bindings.len() + model.mapped.len());
            for (i, &e) in entities.iter().enumerate() {
                match model.values.get(&i) {
                    Some(&v) => {
                        prop_assert_eq!(engine.get::<V>(e), Ok(V(v)), "entity {} after {:?}", i, op);
                        prop_assert_eq!(engine.get::<L>(e), Ok(L(model.labels[&i].clone())), "label {} after {:?}", i, op);
                    }
                    None => prop_assert!(!engine.is_alive(e)),
                }
                let mut got: Vec<BindingId> = engine.bindings_of(e).collect();
                got.sort();
                let mut want: Vec<BindingId> = model
                    .bindings
                    .iter()
                    .filter(|b| b.source == i || b.target == i)
                    .map(|b| b.id)
                    .chain(model.mapped.iter().filter(|m| m.source == i || m.target == i).map(|m| m.id))
                    .collect();
                want.sort();
                prop_assert_eq!(got, want);
            }
            prop_assert_eq!(engine.check_invariants(), Ok(()));
        }
    }
}
