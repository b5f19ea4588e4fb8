//! The HUD game's model: components, the game and its panels, the AI
//! thread, the scripted player, the frame loop with its checks, and the
//! binding graph as DOT — everything but the terminal. `main.rs` draws it;
//! `tests/hud.rs` includes this file (`#[path]`) and plays it headless.
//!
//! The submodules are named by `#[path]` relative to this file, so they
//! resolve the same whether this file is `mod model;` of the example or
//! `#[path = "../examples/hud/model.rs"] mod model;` of a test.

#[path = "model/ai.rs"]
pub mod ai;
#[path = "model/components.rs"]
pub mod components;
#[path = "model/dot.rs"]
pub mod dot;
#[path = "model/hud.rs"]
pub mod hud;
#[path = "model/panels.rs"]
pub mod panels;
#[path = "model/script.rs"]
pub mod script;
#[path = "model/session.rs"]
pub mod session;

pub use components::*;
pub use hud::Rules;
pub use script::Script;
pub use session::{Action, FrameReport, Session};
