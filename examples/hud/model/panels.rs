//! The HUD's panels, each a widget subtree under the HUD's root that is
//! spawned when it opens and despawned (with every binding into it) when
//! it closes: settings, inventory, game over. Each states what it adds to
//! the engine, and the session checks exactly that every frame.

use bindery::{Engine, Entity, Error};

use super::components::{Accent, Audio, Checkbox, Name, Potions, Score, Slider, Style, Text, Theme};

/// Entities the settings panel adds: the panel, the volume slider, the
/// mute checkbox, the theme label.
pub const SETTINGS_ENTITIES: usize = 4;
/// Bindings the settings panel adds: slider ⇄ `Audio::volume` and
/// checkbox ⇄ `Audio::muted` (two-way field bindings, each counted once),
/// `Theme` → theme label.
pub const SETTINGS_BINDINGS: usize = 3;

/// Item widgets in the inventory panel.
pub const INVENTORY_SLOTS: usize = 12;
/// Entities the inventory adds: the panel and its item widgets.
pub const INVENTORY_ENTITIES: usize = 1 + INVENTORY_SLOTS;
/// Bindings the inventory adds: each slot's `Style::color` follows the
/// theme, the potion slot shows `Potions`, the gold slot `Score`.
pub const INVENTORY_BINDINGS: usize = INVENTORY_SLOTS + 2;

/// Entities the game-over panel adds: itself.
pub const GAME_OVER_ENTITIES: usize = 1;
/// Bindings the game-over panel adds: `Score` → its text.
pub const GAME_OVER_BINDINGS: usize = 1;

/// What the inventory holds besides potions and gold (which are bound).
const ITEMS: [&str; INVENTORY_SLOTS - 2] = [
    "Rusty sword",
    "Wooden shield",
    "Leather cap",
    "Torch",
    "Rope (10 m)",
    "Lockpick",
    "Old map",
    "Bread",
    "Lucky coin",
    "Bone dice",
];

/// The open settings panel's widgets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettingsPanel {
    /// The panel; despawning it takes the rest.
    pub panel: Entity,
    /// The volume slider, bound two-way to the settings' `Audio::volume`.
    pub slider: Entity,
    /// The mute checkbox, bound two-way to the settings' `Audio::muted`.
    pub mute: Entity,
    /// "theme: amber", bound from the settings' `Theme`.
    pub theme_label: Entity,
}

/// Spawns the settings panel under `root`: a volume slider and a mute
/// checkbox bound two-way to the fields of `settings`' audio, and a label
/// following its theme.
///
/// Keys move the widgets, never the setting itself: each widget's binding
/// writes only its field, so a slider move and a mute in one frame both
/// land. (A `modify` of `Audio` for the mute would be a change of the
/// whole component, newer than the slider's, and would win the volume
/// field too, undoing the move.)
///
/// The widgets start at the setting's values rather than waiting for the
/// bindings' first sync: a key in the frame the panel opens then moves them
/// from the right value (a change made after a bind is newer than its first
/// sync, and would carry an unsynced widget's value back into the setting).
pub fn open_settings(engine: &mut Engine, root: Entity, settings: Entity) -> Result<SettingsPanel, Error> {
    let audio = engine.get::<Audio>(settings)?;
    let panel = engine.spawn_child(root, (Name::of("settings panel"),))?;
    let slider =
        engine.spawn_child(panel, (Name::of("volume slider"), Slider { value: audio.volume, step: 5 }))?;
    let mute = engine.spawn_child(panel, (Name::of("mute checkbox"), Checkbox { checked: audio.muted }))?;
    let theme_label = engine.spawn_child(panel, (Name::of("theme label"), Text::default()))?;
    engine.bind_two_way_field(
        settings,
        |a: &mut Audio| &mut a.volume,
        slider,
        |s: &mut Slider| &mut s.value,
    )?;
    engine.bind_two_way_field(
        settings,
        |a: &mut Audio| &mut a.muted,
        mute,
        |c: &mut Checkbox| &mut c.checked,
    )?;
    engine.bind_map(settings, theme_label, |t: &Theme| Text(format!("theme: {}", t.0.name())))?;
    Ok(SettingsPanel { panel, slider, mute, theme_label })
}

/// The potion slot's text.
pub fn potion_text(p: &Potions) -> Text {
    Text(format!("Potion x{}", p.0))
}

/// The gold slot's text.
pub fn gold_text(s: &Score) -> Text {
    Text(format!("Gold {}", s.0))
}

/// Spawns the inventory under `root`: [`INVENTORY_SLOTS`] item widgets as
/// children, each coloured by `settings`' theme; the first two show the
/// player's potions and gold. Returns the panel.
pub fn open_inventory(
    engine: &mut Engine,
    root: Entity,
    player: Entity,
    settings: Entity,
) -> Result<Entity, Error> {
    let panel = engine.spawn_child(root, (Name::of("inventory"),))?;
    for slot in 0..INVENTORY_SLOTS {
        let text = match slot {
            0 | 1 => Text::default(),
            _ => Text(ITEMS[slot - 2].to_string()),
        };
        let name = Name(format!("slot {}", slot + 1));
        let item = engine.spawn_child(panel, (name, text, Style::new(slot < 2)))?;
        engine.bind_field(settings, item, |t: &Theme| t.0, |s: &mut Style| &mut s.color)?;
        match slot {
            0 => engine.bind_map(player, item, potion_text)?,
            1 => engine.bind_map(player, item, gold_text)?,
            _ => continue,
        };
    }
    Ok(panel)
}

/// The game-over panel's text.
pub fn game_over_text(s: &Score) -> Text {
    Text(format!("GAME OVER - final score {} - press r to restart", s.0))
}

/// Spawns the game-over panel under `root`, its text bound to the player's
/// score (and written now, so it shows in the frame it opens).
pub fn open_game_over(engine: &mut Engine, root: Entity, player: Entity) -> Result<Entity, Error> {
    let text = game_over_text(&engine.get::<Score>(player)?);
    let panel = engine.spawn_child(root, (Name::of("game over"), text))?;
    engine.bind_map(player, panel, game_over_text)?;
    Ok(panel)
}

/// Keeps the settings the player chose across a restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choices {
    /// The audio setting.
    pub audio: Audio,
    /// The theme setting.
    pub theme: Theme,
}

impl Default for Choices {
    fn default() -> Self {
        Self { audio: Audio { volume: 70, muted: false }, theme: Theme(Accent::Green) }
    }
}
