//! The [`Property`] trait: what can be bound.

/// A bindable property: any hecs component that can be cloned and compared.
///
/// Implemented for every type that qualifies; there is nothing to derive.
/// `PartialEq` is what makes propagation equality-gated (writing an equal
/// value changes nothing and propagates nothing); `Clone` is what an identity
/// binding copies.
///
/// # Example
/// ```
/// use bindery_components::Property;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Health(f32);
///
/// fn assert_property<T: Property>() {}
/// assert_property::<Health>();
/// assert_property::<String>();
/// ```
pub trait Property: hecs::Component + Clone + PartialEq {}

impl<T: hecs::Component + Clone + PartialEq> Property for T {}
