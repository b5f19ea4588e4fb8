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

/// The short name of a type: `my_game::hud::Health` becomes `Health`.
fn short(type_name: &str) -> &str {
    let base = type_name.split('<').next().unwrap_or(type_name);
    base.rsplit("::").next().unwrap_or(base)
}

fn node_id(entity: Entity, ty: &str) -> String {
    format!("\"{}v{}.{}\"", entity.id(), entity.to_bits().get() >> 32, short(ty))
}

impl GraphSnapshot {
    /// The graph in Graphviz DOT: one node per bound property (labelled
    /// with its entity and type), one arrow per binding direction; two-way
    /// bindings are double-headed, derivations are dashed arrows from each
    /// input, paused bindings grey.
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
    /// assert!(dot.contains("Health\" -> ") && dot.contains(".Width\""));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph bindings {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n",
        );
        let mut nodes = BTreeSet::new();
        for edge in &self.edges {
            nodes.insert((edge.info.target, edge.info.target_type));
            nodes.extend(edge.inputs.iter().copied());
        }
        for (entity, ty) in &nodes {
            let _ = writeln!(out, "  {} [label=\"e{}\\n{}\"];", node_id(*entity, ty), entity.id(), short(ty));
        }
        for edge in &self.edges {
            let info = &edge.info;
            let target = node_id(info.target, info.target_type);
            let color = if info.enabled { "black" } else { "grey" };
            for (entity, ty) in &edge.inputs {
                let style = match (info.inputs > 0, info.two_way) {
                    (true, _) => "style=dashed, arrowhead=empty",
                    (false, true) => "dir=both",
                    (false, false) => "style=solid",
                };
                let _ = writeln!(out, "  {} -> {target} [{style}, color={color}];", node_id(*entity, ty));
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
