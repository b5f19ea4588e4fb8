//! Field bindings in the graph: interning fields, and linking one field
//! one way or two fields both ways. Each is an ordinary edge naming the
//! field it writes (and, two ways, the field it reads).

use bindery_components::{BindingId, Property};
use hecs::Entity;

use super::BindingGraph;
use crate::field::{FieldKey, FieldLane, FieldPairLane};
use crate::records::{EdgeKind, Field, WHOLE};

impl BindingGraph {
    /// The interned id of a field, interning it on first use.
    pub fn field(&mut self, key: FieldKey) -> u16 {
        let next = self.field_names.len() as Field;
        *self.fields.entry(key).or_insert_with(|| {
            self.field_names.push(key.name());
            next
        })
    }

    /// Links one field of `target`'s `T` to `source`'s `S` through `f`, one
    /// way (see [`link_map`](BindingGraph::link_map)): only that field is
    /// written. `field` is the field's interned id ([`field`](Self::field)).
    pub fn link_field<S, T, V, F, A>(
        &mut self,
        source: Entity,
        target: Entity,
        f: F,
        (field, access): (u16, A),
    ) -> BindingId
    where
        S: Property,
        T: Property,
        V: PartialEq + Send + 'static,
        F: Fn(&S) -> V + Send + 'static,
        A: Fn(&mut T) -> &mut V + Send + 'static,
    {
        let (lane, store) = self.lanes.lane::<FieldLane<S, T, V, F, A>>();
        let slot = store.insert(f, access);
        let e =
            self.add_typed_edge::<S, T>((source, target), (lane, slot), EdgeKind::Forward, (field, WHOLE));
        self.bound(e, None)
    }

    /// Links a field of `source`'s `A` and a field of `target`'s `B` both
    /// ways (see [`link_two_way`](BindingGraph::link_two_way)); the first sync
    /// copies the source field into the target field.
    pub fn link_two_way_field<A, B, V, FA, FB>(
        &mut self,
        (source, source_field, source_access): (Entity, u16, FA),
        (target, target_field, target_access): (Entity, u16, FB),
    ) -> BindingId
    where
        A: Property,
        B: Property,
        V: PartialEq + Clone + Send + 'static,
        FA: Fn(&mut A) -> &mut V + Clone + Send + 'static,
        FB: Fn(&mut B) -> &mut V + Clone + Send + 'static,
    {
        let (lane, store) = self.lanes.lane::<FieldPairLane<A, B, V, FA, FB>>();
        let slot = store.insert(source_access.clone(), target_access.clone());
        let e = self.add_typed_edge::<A, B>(
            (source, target),
            (lane, slot),
            EdgeKind::Forward,
            (target_field, source_field),
        );
        let (lane, store) = self.lanes.lane::<FieldPairLane<B, A, V, FB, FA>>();
        let slot = store.insert(target_access, source_access);
        let r = self.add_typed_edge::<B, A>(
            (target, source),
            (lane, slot),
            EdgeKind::Reverse,
            (source_field, target_field),
        );
        self.bound(e, Some(r))
    }
}
