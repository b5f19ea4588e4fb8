//! Field bindings: which field of a component an accessor names
//! ([`FieldKey`]), and the typed lanes that write one field
//! ([`FieldLane`]) or copy one field into another ([`FieldPairLane`]).

use std::any::{TypeId, type_name};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};

use bindery_components::{FieldName, Property};
use hecs::World;

use crate::lane::{Fire, Lane, LaneOutput, Slots, slot_lane_methods, store};

/// Names one field of a component type, so that two field bindings into the
/// same field compete (the newest change wins) while bindings into different
/// fields of one component each write their own.
///
/// An accessor such as `|s: &mut Style| &mut s.width` is called once, on the
/// component being bound, and the field is recognised by where it lies: its
/// byte offset in the component and its type (no `unsafe`: addresses are
/// only compared). Two accessors reaching the same field are the same field
/// whoever wrote them. An accessor that reaches outside the component (into a
/// heap buffer, say) is named by its own closure type instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldKey {
    component: TypeId,
    place: Place,
    name: FieldName,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Place {
    /// At this byte offset inside the component, of this field type.
    Offset(usize, TypeId),
    /// Reached by this accessor type (outside the component).
    Accessor(TypeId),
}

impl FieldKey {
    /// The field `access` reaches in `component`. Calls `access` once; if it
    /// panics, the field is named by the accessor's type (the panic will be
    /// caught again, as a fault, when the binding fires).
    pub fn of<T: 'static, V: 'static, A: Fn(&mut T) -> &mut V + 'static>(
        component: &mut T,
        access: &A,
    ) -> Self {
        let base = component as *mut T as usize;
        let reached = catch_unwind(AssertUnwindSafe(|| access(component) as *mut V as usize));
        let (place, offset) = match reached {
            Ok(at) if at >= base && at - base + size_of::<V>() <= size_of::<T>().max(1) => {
                (Place::Offset(at - base, TypeId::of::<V>()), Some(at - base))
            }
            _ => (Place::Accessor(TypeId::of::<A>()), None),
        };
        let name = FieldName { component: type_name::<T>(), field_type: type_name::<V>(), offset };
        Self { component: TypeId::of::<T>(), place, name }
    }

    /// The field's name, for display.
    pub fn name(&self) -> FieldName {
        self.name
    }
}

/// The lane of one-way field bindings: `f: Fn(&S) -> V` computes a value from
/// the source, `access: Fn(&mut T) -> &mut V` names the target field; only
/// that field is compared and written.
pub(crate) struct FieldLane<S, T, V, F, A> {
    slots: Slots<(F, A)>,
    _types: PhantomData<fn(&S, &mut T) -> V>,
}

impl<S, T, V, F, A> Default for FieldLane<S, T, V, F, A> {
    fn default() -> Self {
        Self { slots: Slots::default(), _types: PhantomData }
    }
}

impl<S, T, V, F, A> FieldLane<S, T, V, F, A> {
    /// Stores a binding's transform and accessor; returns its slot.
    pub fn insert(&mut self, f: F, access: A) -> u32 {
        self.slots.insert((f, access))
    }
}

/// Writes `value` into the field `access` names in `fire`'s target if it
/// differs.
#[inline]
fn write_field<T: Property, V: PartialEq>(
    world: &mut World,
    fire: &Fire,
    value: V,
    access: &impl Fn(&mut T) -> &mut V,
    out: &mut LaneOutput,
) {
    out.record(fire, store(world.query_one_mut::<&mut T>(fire.target).ok().map(access), value));
}

impl<S, T, V, F, A> Lane for FieldLane<S, T, V, F, A>
where
    S: Property,
    T: Property,
    V: PartialEq + Send + 'static,
    F: Fn(&S) -> V + Send + 'static,
    A: Fn(&mut T) -> &mut V + Send + 'static,
{
    fn run(&mut self, world: &mut World, fires: &[Fire], out: &mut LaneOutput) {
        for (i, fire) in fires.iter().enumerate() {
            (out.cursor, out.done) = (i, i);
            let Some((f, access)) = self.slots.get(fire.slot) else {
                out.broken.push(fire.edge);
                continue;
            };
            match world.query_one_mut::<&S>(fire.source) {
                Ok(source) => {
                    let value = f(source);
                    write_field(world, fire, value, access, out);
                }
                Err(_) => out.broken.push(fire.edge),
            }
        }
    }

    slot_lane_methods!(slots);
}

/// The lane of one direction of two-way field bindings: copies the field
/// `from` names in the source into the field `to` names in the target.
pub(crate) struct FieldPairLane<S, T, V, FS, FT> {
    slots: Slots<(FS, FT)>,
    _types: PhantomData<fn(&mut S, &mut T) -> V>,
}

impl<S, T, V, FS, FT> Default for FieldPairLane<S, T, V, FS, FT> {
    fn default() -> Self {
        Self { slots: Slots::default(), _types: PhantomData }
    }
}

impl<S, T, V, FS, FT> FieldPairLane<S, T, V, FS, FT> {
    /// Stores a binding's two accessors; returns its slot.
    pub fn insert(&mut self, from: FS, to: FT) -> u32 {
        self.slots.insert((from, to))
    }
}

impl<S, T, V, FS, FT> Lane for FieldPairLane<S, T, V, FS, FT>
where
    S: Property,
    T: Property,
    V: PartialEq + Clone + Send + 'static,
    FS: Fn(&mut S) -> &mut V + Send + 'static,
    FT: Fn(&mut T) -> &mut V + Send + 'static,
{
    fn run(&mut self, world: &mut World, fires: &[Fire], out: &mut LaneOutput) {
        for (i, fire) in fires.iter().enumerate() {
            (out.cursor, out.done) = (i, i);
            let Some((from, to)) = self.slots.get(fire.slot) else {
                out.broken.push(fire.edge);
                continue;
            };
            // A read through `&mut`: the accessor needs it; nothing is written.
            match world.query_one_mut::<&mut S>(fire.source) {
                Ok(source) => {
                    let value = from(source).clone();
                    write_field(world, fire, value, to, out);
                }
                Err(_) => out.broken.push(fire.edge),
            }
        }
    }

    slot_lane_methods!(slots);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Style {
        width: f32,
        height: f32,
        color: [u8; 4],
        items: Vec<u32>,
    }

    #[test]
    fn a_field_is_known_by_its_place_whoever_names_it() {
        let mut style = Style { items: vec![1, 2], ..Style::default() };
        let width = FieldKey::of(&mut style, &|s: &mut Style| &mut s.width);
        let again = FieldKey::of(&mut style, &|s: &mut Style| &mut s.width);
        let height = FieldKey::of(&mut style, &|s: &mut Style| &mut s.height);
        let color = FieldKey::of(&mut style, &|s: &mut Style| &mut s.color);
        assert_eq!(width, again, "two closures, one field");
        assert_ne!(width, height);
        assert_ne!(width, color);
        assert!(width.name().to_string().starts_with("Style.f32@"));
        let heap = FieldKey::of(&mut style, &|s: &mut Style| &mut s.items[1]);
        assert!(heap.name().to_string().ends_with("@?"), "outside the component: named by the accessor");
        let panics = FieldKey::of(&mut style, &|s: &mut Style| &mut s.items[9]);
        assert!(matches!(panics.place, Place::Accessor(_)));
    }
}
