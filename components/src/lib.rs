//! Plain-data types of bindery that users see: the [`Property`] trait,
//! binding ids and descriptions, and the widget-tree components.
//!
//! Nothing here has logic beyond tiny helpers; the systems crate owns the
//! behaviour and the `bindery` crate owns the public API. Most users never
//! name this crate: `bindery` re-exports what they need.
#![forbid(unsafe_code)]

mod binding;
mod hierarchy;
mod property;

pub use binding::{BindingId, BindingInfo, FieldName};
pub use hierarchy::{ChildOf, Children};
pub use property::Property;
