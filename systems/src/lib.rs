//! The systems of bindery: plain functions over a `&mut hecs::World` and the
//! [`BindingGraph`], each returning its own stats.
//!
//! - [`BindingGraph`] (`graph.rs`) is the relationship store: property nodes,
//!   edges and derivations (`records.rs`), and the typed lanes that hold
//!   transforms (`lane.rs`, `derive.rs`), kept in sync on every link and
//!   unlink. Changes wait in its pending queue (`pending.rs`).
//! - [`propagate`] (`propagate.rs`) settles every pending change along every
//!   binding: `settle.rs` orders and computes, `visit.rs` is what a settle
//!   knows of each property, `cycles.rs` handles cycles, `leaves.rs` walks
//!   a fan-out's leaves, and `schedule.rs` replays a compiled order when a
//!   settle repeats the last one.
//! - [`despawn`] (`cleanup.rs`) removes every binding that touches an entity;
//!   `hierarchy.rs` keeps widget trees.
//!
//! The `bindery` crate wraps these in a safe, typed public API; use this crate
//! directly only to drive the systems from your own loop.
#![forbid(unsafe_code)]

mod arena;
mod claims;
mod cleanup;
mod cycles;
mod derive;
mod emit;
mod field;
mod fire;
mod graph;
mod hierarchy;
mod invariants;
mod lane;
mod leaves;
mod pending;
mod plans;
mod propagate;
mod records;
mod region;
mod schedule;
mod seed;
mod settle;
mod types;
mod visit;

pub use cleanup::{CleanupStats, despawn};
pub use derive::{DeriveFn, Single, Sources, check_sources, describe_sources};
pub use field::FieldKey;
pub use graph::{BindingGraph, BindingsOf};
pub use hierarchy::{attach, despawn_recursive, detach, is_ancestor};
pub use propagate::propagate;
pub use settle::{LaneFault, PropagateScratch, PropagateStats, panic_message};
pub use types::PropertyTypes;
