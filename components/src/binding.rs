//! [`BindingId`] and [`BindingInfo`]: naming and describing a binding.

use std::fmt;

/// Identifies one binding: one-way, mapped or two-way.
///
/// A generational index, like a hecs [`Entity`](hecs::Entity) or a slotmap
/// key: once the binding is removed (by `unbind` or by despawning either
/// endpoint) the id never refers to anything again, even after its slot is
/// reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BindingId {
    index: u32,
    generation: u32,
}

impl BindingId {
    /// Builds an id from its slot index and generation.
    #[inline]
    pub const fn new(index: u32, generation: u32) -> Self {
        Self { index, generation }
    }

    /// The slot index.
    #[inline]
    pub const fn index(self) -> u32 {
        self.index
    }

    /// The generation of the slot this id was issued for.
    #[inline]
    pub const fn generation(self) -> u32 {
        self.generation
    }
}

impl fmt::Display for BindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "binding {}v{}", self.index, self.generation)
    }
}

/// Names one field of a component type, for display: the component's type
/// name, the field's type name, and its byte offset in the component (`None`
/// for a field outside the component, reached through a pointer). Shown as
/// `Style.f32@4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldName {
    /// The component's full type name.
    pub component: &'static str,
    /// The field's full type name.
    pub field_type: &'static str,
    /// Where the field starts in the component, in bytes.
    pub offset: Option<usize>,
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = |name: &'static str| name.rsplit("::").next().unwrap_or(name);
        write!(f, "{}.{}@", short(self.component), short(self.field_type))?;
        match self.offset {
            Some(at) => write!(f, "{at}"),
            None => f.write_str("?"),
        }
    }
}

/// A read-only description of one live binding, for inspection and debugging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BindingInfo {
    /// The binding's id.
    pub id: BindingId,
    /// The entity whose property is read.
    pub source: hecs::Entity,
    /// The entity whose property is written.
    pub target: hecs::Entity,
    /// The source property's type name.
    pub source_type: &'static str,
    /// The target property's type name.
    pub target_type: &'static str,
    /// Whether changes also flow from target back to source.
    pub two_way: bool,
    /// For a derived property: how many inputs it has (`source` is the
    /// first). 0 for a plain binding.
    pub inputs: usize,
    /// Whether the binding propagates (see `Engine::set_enabled`).
    pub enabled: bool,
    /// For a field binding: the field of the target it writes.
    pub target_field: Option<FieldName>,
    /// For a two-way field binding: the field of the source it reads.
    pub source_field: Option<FieldName>,
}
