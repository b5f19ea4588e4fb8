//! [`Script`]: the scripted player of headless runs. It fights (attacks
//! every third frame, switches targets, drinks when low), opens and closes
//! the inventory and the settings (moving the volume slider, changing the
//! theme, muting in the same frame as a slider move), and restarts shortly
//! after each game over.

use bindery::Engine;

use super::components::{Health, Potions};
use super::hud::Hud;
use super::session::Action;

/// Frames the script looks at the game-over panel before restarting.
pub const RESTART_DELAY: u64 = 15;
/// The script drinks a potion below this much health.
const DRINK_BELOW: u32 = 35;

/// The scripted player; it remembers when it died.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Script {
    /// The frame the game-over panel appeared, while it shows.
    died_at: Option<u64>,
}

impl Script {
    /// The player's actions for `frame`, given the game as it stands.
    pub fn actions(&mut self, frame: u64, hud: &Hud, engine: &Engine) -> Vec<Action> {
        let mut actions = Vec::new();
        if !hud.playing() {
            let died_at = *self.died_at.get_or_insert(frame);
            if frame - died_at >= RESTART_DELAY {
                self.died_at = None;
                actions.push(Action::Restart);
            }
            return actions;
        }
        if frame.is_multiple_of(3) {
            actions.push(Action::Attack);
        }
        let health = engine.get::<Health>(hud.player).map_or(0, |h| h.0);
        let potions = engine.get::<Potions>(hud.player).map_or(0, |p| p.0);
        if health < DRINK_BELOW && potions > 0 {
            actions.push(Action::Potion);
        }
        if frame.is_multiple_of(37) {
            actions.push(Action::SelectNext);
        }
        if frame.is_multiple_of(53) {
            actions.push(Action::SelectPrev);
        }
        match (frame % 90, hud.inventory.is_some()) {
            (20, false) | (40, true) => actions.push(Action::ToggleInventory),
            _ => {}
        }
        let settings_open = hud.settings_panel.is_some();
        match (frame % 120, settings_open) {
            (60, false) | (80, true) => actions.push(Action::ToggleSettings),
            (62..=66, true) => actions.push(Action::VolumeUp),
            (67..=69, true) => actions.push(Action::VolumeDown),
            (70, true) => actions.push(Action::NextTheme),
            (72 | 76, true) => actions.extend([Action::VolumeDown, Action::ToggleMute]),
            _ => {}
        }
        actions
    }
}
