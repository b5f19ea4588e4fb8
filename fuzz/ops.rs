//! Operation sequences for fuzzing bindery, shared by the libFuzzer target
//! (`fuzz_targets/ops.rs`) and the regression test (`tests/fuzz_regressions.rs`).
//!
//! Bytes decode (with `arbitrary`) into a sequence of [`Op`]s on up to a few
//! dozen entities; [`run`] applies them to an engine and checks the engine's
//! own invariants after every step. Any panic or violated invariant is a bug.

use arbitrary::{Arbitrary, Unstructured};
use bindery::{BindingId, Engine, Entity, Error};

/// The fuzzed property.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct V(pub i8);
/// A second property type, so bindings cross types.
#[derive(Clone, Debug, PartialEq)]
pub struct L(pub String);

/// One operation; indices are taken modulo what exists.
#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    /// Spawn an entity with a value (and maybe a label).
    Spawn(i8, bool),
    /// Spawn as a child of another entity.
    SpawnChild(u8, i8),
    /// Despawn one.
    Despawn(u8),
    /// Despawn with its subtree.
    DespawnRecursive(u8),
    /// Set a value.
    Set(u8, i8),
    /// Insert a label.
    Insert(u8, u8),
    /// Remove a value (and its bindings).
    Remove(u8),
    /// Bind values one way.
    Bind(u8, u8),
    /// Bind a value to a label through a transform.
    BindMap(u8, u8),
    /// Bind values both ways through a transform pair.
    BindTwoWay(u8, u8, bool),
    /// Derive a value from two.
    Derive(u8, u8, u8),
    /// Remove a binding.
    Unbind(u8),
    /// Pause or resume a binding.
    SetEnabled(u8, bool),
    /// Reparent.
    SetParent(u8, u8),
    /// Subscribe to a value.
    Subscribe(u8),
    /// Poll a value.
    Poll(u8),
    /// Queue a set through a handle.
    HandleSet(u8, i8),
    /// Run a tick.
    Tick,
}

fn pick<T: Copy>(items: &[T], i: u8) -> Option<T> {
    (!items.is_empty()).then(|| items[i as usize % items.len()])
}

/// Applies `ops` to a fresh engine, checking invariants after each; panics on
/// any violation.
pub fn run(ops: &[Op]) {
    let mut engine = Engine::new();
    let handle = engine.handle();
    let mut entities: Vec<Entity> = Vec::new();
    let mut bindings: Vec<BindingId> = Vec::new();
    let mut receivers = Vec::new();
    for op in ops {
        let result: Result<(), Error> = match *op {
            Op::Spawn(v, label) => {
                let e = if label { engine.spawn((V(v), L(String::new()))) } else { engine.spawn((V(v),)) };
                entities.push(e);
                Ok(())
            }
            Op::SpawnChild(p, v) => match pick(&entities, p) {
                Some(parent) => engine.spawn_child(parent, (V(v),)).map(|e| entities.push(e)),
                None => Ok(()),
            },
            Op::Despawn(i) => pick(&entities, i).map_or(Ok(()), |e| engine.despawn(e)),
            Op::DespawnRecursive(i) => {
                pick(&entities, i).map_or(Ok(()), |e| engine.despawn_recursive(e).map(|_| ()))
            }
            Op::Set(i, v) => pick(&entities, i).map_or(Ok(()), |e| engine.set(e, V(v))),
            Op::Insert(i, n) => pick(&entities, i).map_or(Ok(()), |e| engine.insert(e, L(n.to_string()))),
            Op::Remove(i) => pick(&entities, i).map_or(Ok(()), |e| engine.remove::<V>(e).map(|_| ())),
            Op::Bind(a, b) => match (pick(&entities, a), pick(&entities, b)) {
                (Some(a), Some(b)) => engine.bind::<V>(a, b).map(|id| bindings.push(id)),
                _ => Ok(()),
            },
            Op::BindMap(a, b) => match (pick(&entities, a), pick(&entities, b)) {
                (Some(a), Some(b)) => {
                    engine.bind_map(a, b, |v: &V| L(format!("{}", v.0))).map(|id| bindings.push(id))
                }
                _ => Ok(()),
            },
            Op::BindTwoWay(a, b, mapped) => match (pick(&entities, a), pick(&entities, b)) {
                (Some(a), Some(b)) if mapped => engine
                    .bind_two_way_map(a, b, |v: &V| V(v.0.wrapping_add(1)), |v: &V| V(v.0.wrapping_sub(1)))
                    .map(|id| bindings.push(id)),
                (Some(a), Some(b)) => engine.bind_two_way::<V>(a, b).map(|id| bindings.push(id)),
                _ => Ok(()),
            },
            Op::Derive(t, a, b) => match (pick(&entities, t), pick(&entities, a), pick(&entities, b)) {
                (Some(t), Some(a), Some(b)) => engine
                    .derive(t, (a, b), |(x, y): (&V, &V)| V(x.0.wrapping_add(y.0)))
                    .map(|id| bindings.push(id)),
                _ => Ok(()),
            },
            Op::Unbind(k) => pick(&bindings, k).map_or(Ok(()), |id| engine.unbind(id)),
            Op::SetEnabled(k, on) => pick(&bindings, k).map_or(Ok(()), |id| engine.set_enabled(id, on)),
            Op::SetParent(c, p) => match (pick(&entities, c), pick(&entities, p)) {
                (Some(c), Some(p)) => engine.set_parent(c, p),
                _ => Ok(()),
            },
            Op::Subscribe(i) => {
                pick(&entities, i).map_or(Ok(()), |e| engine.subscribe::<V>(e).map(|r| receivers.push(r)))
            }
            Op::Poll(i) => pick(&entities, i).map_or(Ok(()), |e| engine.poll::<V>(e).map(|_| ())),
            Op::HandleSet(i, v) => pick(&entities, i).map_or(Ok(()), |e| handle.set(e, V(v))),
            Op::Tick => {
                let stats = engine.tick();
                assert!(!stats.poisoned, "nothing here panics");
                Ok(())
            }
        };
        // Errors are fine (dead entities, missing components, self-bindings,
        // cycles); panics and broken invariants are not.
        if let Err(e) = result {
            assert!(!matches!(e, Error::Poisoned | Error::EngineGone), "unexpected {e:?}");
        }
        if let Err(violation) = engine.check_invariants() {
            panic!("after {op:?}: {violation}");
        }
        let live = entities.iter().filter(|&&e| engine.is_alive(e)).count();
        assert_eq!(engine.entity_count(), live, "after {op:?}: entity count");
        let bound = bindings.iter().filter(|&&id| engine.binding(id).is_ok()).count();
        assert_eq!(engine.binding_count(), bound, "after {op:?}: binding count");
    }
    engine.tick();
    for e in entities {
        let _ = engine.despawn(e);
    }
    assert_eq!((engine.entity_count(), engine.binding_count()), (0, 0));
}

/// Decodes `data` into operations (as many as it holds, at most 256).
pub fn decode(data: &[u8]) -> Vec<Op> {
    let mut u = Unstructured::new(data);
    let mut ops = Vec::new();
    while ops.len() < 256 {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    ops
}
