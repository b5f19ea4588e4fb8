#![doc = include_str!("../README.md")]
//!
//! # Crate layout
//!
//! The public API is flat: [`Engine`], [`Entity`], [`Error`], [`BindingId`],
//! [`TickStats`] and friends. Underneath, `bindery-components` holds the
//! plain data and `bindery-systems` the systems (propagation, cleanup) that
//! the engine runs; [`hecs`] is re-exported so you use the same version.
#![forbid(unsafe_code)]

mod bind;
mod commands;
mod engine;
mod error;
mod faults;
mod handle;
mod hierarchy;
mod inspect;
mod observe;
mod poll;
mod reports;
mod stats;
mod tick;

pub use bindery_components::{BindingId, BindingInfo, ChildOf, Children, FieldName, Property};
pub use bindery_systems::{BindingsOf, DeriveFn, Single, Sources};
pub use crossbeam_channel::{self, Receiver};
pub use engine::Engine;
pub use error::Error;
pub use faults::{Fault, FaultPolicy, FaultSource};
pub use handle::{Handle, Receipt};
pub use hecs::{self, Entity};
pub use inspect::{GraphEdge, GraphSnapshot};
pub use observe::ObserverId;
pub use poll::PollId;
pub use reports::Rejection;
pub use stats::TickStats;
