//! The systems of [bindery](https://docs.rs/bindery): plain functions over a
//! `&mut hecs::World` and the [`BindingGraph`], each returning its own stats.
//!
//! - [`BindingGraph`] (`graph.rs`) is the relationship store: property nodes,
//!   edges and the typed lanes that hold transforms, kept in sync on every
//!   link and unlink.
//! - [`propagate`] (`propagate.rs`) moves every pending change along every
//!   binding until the graph settles.
//! - [`despawn`] (`cleanup.rs`) removes every binding that touches an entity.
//!
//! The engine crate wraps these in a safe, typed public API; use this crate
//! directly only to drive the systems from your own loop.
#![forbid(unsafe_code)]

mod cleanup;
mod derive;
mod graph;
mod hierarchy;
mod lane;
mod propagate;
mod types;

pub use cleanup::{CleanupStats, despawn};
pub use derive::{DeriveFn, DeriveLane, Sources};
pub use graph::{BindingGraph, BindingsOf, Origin};
pub use hierarchy::{attach, despawn_recursive, detach, is_ancestor};
pub use lane::{Fire, Lane, LaneOutput, MapLane, Slots};
pub use propagate::{PropagateScratch, PropagateStats, propagate};
pub use types::PropertyTypes;
