//! The binding graph in Graphviz DOT, each node labelled by its entity's
//! [`Name`]. `GraphSnapshot::to_dot` labels nodes by entity id (`e12`),
//! so this builds the DOT from `Engine::binding_graph`'s data instead.

use std::collections::BTreeMap;
use std::fmt::Write;

use bindery::{Engine, Entity};

use super::components::Name;

/// A type name without its module path: `hud::model::components::Health`
/// becomes `Health`.
fn short(type_name: &str) -> &str {
    type_name.rsplit("::").next().unwrap_or(type_name)
}

/// A node's id: its entity and the property's full type name.
fn node_id(entity: Entity, ty: &str) -> String {
    format!("\"{entity:?} {ty}\"")
}

/// The name `entity` carries, or its id if it has none (every entity of the
/// HUD has one).
pub fn name_of(engine: &Engine, entity: Entity) -> String {
    engine.get::<Name>(entity).map_or_else(|_| format!("{entity:?}"), |n| n.0)
}

/// The engine's bindings in DOT: one node per bound property, labelled
/// "name\nType"; an arrow per binding (two-way: double-headed; a derived
/// property's inputs: dashed; a field binding: labelled with its fields).
pub fn dot(engine: &Engine) -> String {
    let graph = engine.binding_graph();
    let mut nodes = BTreeMap::new();
    for edge in &graph.edges {
        nodes.insert((edge.info.target, edge.info.target_type), ());
        for &input in &edge.inputs {
            nodes.insert(input, ());
        }
    }
    let mut out = String::from(
        "digraph hud {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n",
    );
    for &(entity, ty) in nodes.keys() {
        let label = format!("{}\\n{}", name_of(engine, entity), short(ty)).replace('"', "\\\"");
        let _ = writeln!(out, "  {} [label=\"{label}\"];", node_id(entity, ty));
    }
    for edge in &graph.edges {
        let info = &edge.info;
        let style = match (info.inputs > 0, info.two_way) {
            (true, _) => "style=dashed, arrowhead=empty",
            (false, true) => "dir=both",
            (false, false) => "style=solid",
        };
        let field = |f: Option<bindery::FieldName>| f.map_or("*".to_string(), |f| f.to_string());
        let label = match (info.source_field, info.target_field) {
            (None, None) => String::new(),
            (from, to) => format!(", label=\"{} -> {}\", fontsize=10", field(from), field(to)),
        };
        let target = node_id(info.target, info.target_type);
        for &(entity, ty) in &edge.inputs {
            let _ = writeln!(out, "  {} -> {target} [{style}{label}];", node_id(entity, ty));
        }
    }
    out.push_str("}\n");
    out
}
