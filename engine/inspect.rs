//! Looking inside the binding graph: [`Engine::binding_graph`] and
//! [`GraphSnapshot::to_dot`].

use std::collections::BTreeSet;
use std::fmt::Write;

use bindery_components::BindingInfo;
use hecs::Entity;

use crate::Engine;

/// One binding in a [`GraphSnapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphEdge {
    /// The binding: endpoints, types, direction, whether it is enabled.
    pub info: BindingInfo,
    /// Every input as `(entity, property type)`: one for a plain binding,
    /// each source in order for a derived property.
    pub inputs: Vec<(Entity, &'static str)>,
}

/// The bindings of an engine as data, for debugging and tooling: what feeds
/// what. Render it with [`to_dot`](GraphSnapshot::to_dot).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphSnapshot {
    /// Every live binding, in id order.
    pub edges: Vec<GraphEdge>,
}

/// A type name without module paths, generic arguments kept:
/// `my_game::hud::Gen<core::primitive::u32>` becomes `Gen<u32>`.
fn short(type_name: &str) -> String {
    let mut out = String::with_capacity(type_name.len());
    let mut segment = String::new();
    for c in type_name.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            segment.push(c);
        } else {
            out.push_str(segment.rsplit("::").next().unwrap_or(&segment));
            segment.clear();
            out.push(c);
        }
    }
    out.push_str(segment.rsplit("::").next().unwrap_or(&segment));
    out
}

/// A DOT double-quoted id or label (`"` escaped; a `\n` in `text` stays a
/// DOT line break).
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\\\""))
}

/// A property's node id: its entity and its type's full name, so distinct
/// types (`Gen<u32>` and `Gen<f32>`, two `Health`s of different modules)
/// stay distinct nodes.
fn node_id(entity: Entity, ty: &str) -> String {
    quoted(&format!("{}v{} {ty}", entity.id(), entity.to_bits().get() >> 32))
}

impl GraphSnapshot {
    /// The graph in Graphviz DOT: one node per bound property (labelled
    /// with its entity and type), one arrow per binding direction; two-way
    /// bindings are double-headed, derivations are dashed arrows from each
    /// input, field bindings are labelled with their fields, paused bindings
    /// grey. Nodes are identified by entity and full type name, so two
    /// types of one short name never merge.
    ///
    /// Render with `dot -Tpng graph.dot -o graph.png`.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(f32);
    /// # #[derive(Clone, Debug, PartialEq)] struct Width(f32);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(10.0),));
    /// let bar = engine.spawn((Width(0.0),));
    /// engine.bind_map(player, bar, |h: &Health| Width(h.0))?;
    /// let dot = engine.binding_graph().to_dot();
    /// assert!(dot.starts_with("digraph bindings {"));
    /// assert!(dot.contains("Health\" -> ") && dot.contains("Width\" ["));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn to_dot(&self) -> String {
        self.to_dot_with(|_| None)
    }

    /// As [`to_dot`](GraphSnapshot::to_dot), with each entity labelled by
    /// `label` where it returns `Some` (a `Name` component, say) instead of
    /// its id.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(f32);
    /// # #[derive(Clone, Debug, PartialEq)] struct Width(f32);
    /// struct Name(&'static str);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(10.0), Name("player")));
    /// let bar = engine.spawn((Width(0.0), Name("health bar")));
    /// engine.bind_map(player, bar, |h: &Health| Width(h.0))?;
    /// let world = engine.world();
    /// let dot = engine.binding_graph().to_dot_with(|e| world.get::<&Name>(e).ok().map(|n| n.0.to_string()));
    /// assert!(dot.contains("label=\"player\\nHealth\"") && dot.contains("label=\"health bar\\nWidth\""));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn to_dot_with(&self, label: impl Fn(Entity) -> Option<String>) -> String {
        let mut out = String::from(
            "digraph bindings {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n",
        );
        let mut nodes = BTreeSet::new();
        for edge in &self.edges {
            nodes.insert((edge.info.target, edge.info.target_type));
            nodes.extend(edge.inputs.iter().copied());
        }
        for (entity, ty) in &nodes {
            let name = label(*entity).unwrap_or_else(|| format!("e{}", entity.id()));
            let label = quoted(&format!("{name}\\n{}", short(ty)));
            let _ = writeln!(out, "  {} [label={label}];", node_id(*entity, ty));
        }
        for edge in &self.edges {
            let info = &edge.info;
            let target = node_id(info.target, info.target_type);
            let color = if info.enabled { "black" } else { "grey" };
            let fields = match (info.source_field, info.target_field) {
                (None, None) => String::new(),
                (from, to) => {
                    let name =
                        |f: Option<bindery_components::FieldName>| f.map_or("*".into(), |f| f.to_string());
                    format!(", label={}", quoted(&format!("{} -> {}", name(from), name(to))))
                }
            };
            for (entity, ty) in &edge.inputs {
                let style = match (info.inputs > 0, info.two_way) {
                    (true, _) => "style=dashed, arrowhead=empty",
                    (false, true) => "dir=both",
                    (false, false) => "style=solid",
                };
                let _ =
                    writeln!(out, "  {} -> {target} [{style}, color={color}{fields}];", node_id(*entity, ty));
            }
        }
        out.push_str("}\n");
        out
    }
}

impl Engine {
    /// A snapshot of every binding as data (see [`GraphSnapshot`]): a look
    /// inside the graph, for seeing why a value changed.
    pub fn binding_graph(&self) -> GraphSnapshot {
        let mut ids: Vec<_> = self.graph.bindings().collect();
        ids.sort_unstable();
        let edges = ids
            .into_iter()
            .filter_map(|id| Some(GraphEdge { info: self.graph.info(id)?, inputs: self.graph.inputs(id) }))
            .collect();
        GraphSnapshot { edges }
    }
}
