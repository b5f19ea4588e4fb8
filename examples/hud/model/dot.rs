//! The binding graph in Graphviz DOT, each node labelled by its entity's
//! [`Name`]. `GraphSnapshot::to_dot` labels nodes by entity id (`e12`),
//! so this builds the DOT from `Engine::binding_graph`'s data instead,
//! names field bindings by their fields (`Style.color`), and boxes each
//! widget panel's properties under its parent's name.

use std::any::type_name;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::mem::offset_of;

use bindery::{Engine, Entity, FieldName};

use super::components::{Audio, Checkbox, Name, Slider, Style};

/// A type name without its module path: `hud::model::components::Health`
/// becomes `Health`.
fn short(type_name: &str) -> &str {
    type_name.rsplit("::").next().unwrap_or(type_name)
}

/// A node's id: its entity and the property's full type name.
fn node_id(entity: Entity, ty: &str) -> String {
    format!("\"{entity:?} {ty}\"")
}

/// A DOT string's text, quotes escaped.
fn escape(text: &str) -> String {
    text.replace('"', "\\\"")
}

/// The name `entity` carries, or its id if it has none (every entity of the
/// HUD has one).
pub fn name_of(engine: &Engine, entity: Entity) -> String {
    engine.get::<Name>(entity).map_or_else(|_| format!("{entity:?}"), |n| n.0)
}

/// A bound field by name (`Style.color`): the engine knows a field by its
/// component, type and offset, so the HUD's bound fields are looked up by
/// offset; any other field is shown as the engine describes it.
fn field_name(field: Option<FieldName>) -> String {
    let Some(f) = field else { return "*".into() };
    let known = [
        (type_name::<Style>(), offset_of!(Style, width), "width"),
        (type_name::<Style>(), offset_of!(Style, color), "color"),
        (type_name::<Audio>(), offset_of!(Audio, volume), "volume"),
        (type_name::<Audio>(), offset_of!(Audio, muted), "muted"),
        (type_name::<Slider>(), offset_of!(Slider, value), "value"),
        (type_name::<Checkbox>(), offset_of!(Checkbox, checked), "checked"),
    ];
    match known.iter().find(|(ty, at, _)| *ty == f.component && Some(*at) == f.offset) {
        Some((ty, _, name)) => format!("{}.{name}", short(ty)),
        None => f.to_string(),
    }
}

/// The engine's bindings in DOT: one node per bound property, labelled
/// "name\nType", inside a box named after its entity's parent widget if it
/// has one; an arrow per binding (two-way: double-headed; a derived
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
    let mut clusters: BTreeMap<Option<Entity>, Vec<String>> = BTreeMap::new();
    for &(entity, ty) in nodes.keys() {
        let label = escape(&format!("{}\\n{}", name_of(engine, entity), short(ty)));
        clusters
            .entry(engine.parent(entity))
            .or_default()
            .push(format!("{} [label=\"{label}\"];", node_id(entity, ty)));
    }
    let mut out = String::from(
        "digraph hud {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    for (parent, lines) in &clusters {
        let (open, close, indent) = match parent {
            Some(p) => {
                let name = escape(&name_of(engine, *p));
                (
                    format!("  subgraph \"cluster {p:?}\" {{\n    label=\"{name}\"; style=dashed;\n"),
                    "  }\n",
                    "    ",
                )
            }
            None => (String::new(), "", "  "),
        };
        out.push_str(&open);
        for line in lines {
            let _ = writeln!(out, "{indent}{line}");
        }
        out.push_str(close);
    }
    for edge in &graph.edges {
        let info = &edge.info;
        let style = match (info.inputs > 0, info.two_way) {
            (true, _) => "style=dashed, arrowhead=empty",
            (false, true) => "dir=both",
            (false, false) => "style=solid",
        };
        let label = match (info.source_field, info.target_field) {
            (None, None) => String::new(),
            (from, to) => format!(", label=\"{} -> {}\"", field_name(from), field_name(to)),
        };
        let target = node_id(info.target, info.target_type);
        for &(entity, ty) in &edge.inputs {
            let _ = writeln!(out, "  {} -> {target} [{style}{label}];", node_id(entity, ty));
        }
    }
    out.push_str("}\n");
    out
}
