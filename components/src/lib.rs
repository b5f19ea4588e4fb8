//! Plain-data types of [bindery](https://docs.rs/bindery): the property trait,
//! binding ids and the relationship records the systems operate on.
//!
//! Nothing here has logic beyond tiny helpers; the systems crate owns the
//! behaviour and the engine crate owns the public API. Most users never name
//! this crate: `bindery` re-exports what they need.
#![forbid(unsafe_code)]

mod binding;
mod derivation;
mod hierarchy;
mod node;
mod property;

pub use binding::{BindingId, BindingInfo, Edge, EdgeKind};
pub use derivation::Derivation;
pub use hierarchy::{ChildOf, Children};
pub use node::{NONE, PropertyNode};
pub use property::Property;
