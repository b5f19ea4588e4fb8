//! Looking at the graph from outside: a binding's description and inputs,
//! the bindings of an entity, every binding, every bound entity. Nothing
//! here is on a tick's path.

use bindery_components::{BindingId, BindingInfo, FieldName};
use hecs::Entity;

use super::BindingGraph;
use crate::records::{EdgeKind, Field, NONE, WHOLE};

impl BindingGraph {
    /// A description of a live binding.
    pub fn info(&self, id: BindingId) -> Option<BindingInfo> {
        let edge = self.forward_edge(id)?;
        let (source, target) = (&self.nodes[edge.source as usize], &self.nodes[edge.target as usize]);
        Some(BindingInfo {
            id,
            source: source.entity,
            target: target.entity,
            source_type: self.types.name(source.ty),
            target_type: self.types.name(target.ty),
            two_way: edge.twin != NONE,
            inputs: match edge.kind {
                EdgeKind::Feeder => self.derivations[edge.slot as usize].feeders().len(),
                _ => 0,
            },
            enabled: edge.enabled,
            target_field: self.field_name(edge.field),
            source_field: self.field_name(edge.from),
        })
    }

    /// The name of an interned field, `None` for a whole component.
    fn field_name(&self, field: Field) -> Option<FieldName> {
        (field != WHOLE).then(|| self.field_names[field as usize])
    }

    /// Every input of a live binding as `(entity, property type name)`: the
    /// source of a plain binding, each source of a derivation in order.
    pub fn inputs(&self, id: BindingId) -> Vec<(Entity, &'static str)> {
        let Some(edge) = self.forward_edge(id) else {
            return Vec::new();
        };
        let node = |n: u32| (self.nodes[n as usize].entity, self.types.name(self.nodes[n as usize].ty));
        match edge.kind {
            EdgeKind::Feeder => self.derivations[edge.slot as usize]
                .feeders()
                .iter()
                .map(|&f| node(self.edges[f as usize].source))
                .collect(),
            _ => vec![node(edge.source)],
        }
    }

    /// Every entity some binding touches, each once, in no particular order.
    /// O(node slots): for an occasional full check, not for every tick.
    pub fn bound_entities(&self) -> Vec<Entity> {
        self.entity_nodes
            .iter()
            .filter(|&&n| n != NONE)
            .flat_map(|&head| {
                let mut out = Vec::new();
                let mut n = head;
                while n != NONE {
                    let node = &self.nodes[n as usize];
                    if !out.contains(&node.entity) {
                        out.push(node.entity);
                    }
                    n = node.next_of_entity;
                }
                out
            })
            .collect()
    }

    /// Every live binding touching `entity` (as source or target), each once,
    /// in id order.
    pub fn bindings_of(&self, entity: Entity) -> BindingsOf {
        let mut ids = Vec::new();
        let mut n = self.entity_nodes.get(entity.id() as usize).copied().unwrap_or(NONE);
        while n != NONE {
            let node = &self.nodes[n as usize];
            if node.entity == entity {
                let mut e = node.out_head;
                while e != NONE {
                    ids.push(self.binding_of_edge(e));
                    e = self.edges[e as usize].out_next;
                }
                let mut e = node.in_head;
                while e != NONE {
                    ids.push(self.binding_of_edge(e));
                    e = self.edges[e as usize].in_next;
                }
            }
            n = node.next_of_entity;
        }
        ids.sort_unstable();
        ids.dedup();
        BindingsOf { ids: ids.into_iter() }
    }

    /// Every live binding, in slot order.
    pub fn bindings(&self) -> impl Iterator<Item = BindingId> + '_ {
        self.edges
            .iter()
            .enumerate()
            .filter(|(i, e)| e.is_live() && self.is_primary(*i as u32, e))
            .map(|(i, e)| BindingId::new(i as u32, e.generation))
    }
}

/// Iterator over the bindings touching one entity; see
/// [`BindingGraph::bindings_of`].
#[derive(Debug, Clone)]
pub struct BindingsOf {
    ids: std::vec::IntoIter<BindingId>,
}

impl Iterator for BindingsOf {
    type Item = BindingId;

    fn next(&mut self) -> Option<BindingId> {
        self.ids.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ids.size_hint()
    }
}

impl ExactSizeIterator for BindingsOf {}
