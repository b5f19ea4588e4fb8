//! The HUD's components: game state (the player, enemies, settings) and
//! widget properties (styles, sliders, text). Every entity carries a
//! [`Name`], which labels it in the overlay and in `--dot`.

/// What an entity is called: "player", "goblin 2-1", "inventory slot 3".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name(pub String);

impl Name {
    /// A name from anything printable.
    pub fn of(name: impl Into<String>) -> Self {
        Self(name.into())
    }
}

/// Hit points, never below zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health(pub u32);

/// The most hit points an entity can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxHealth(pub u32);

/// Healing potions the player carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Potions(pub u32);

/// Points scored this game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Score(pub u32);

/// What an enemy is about to do, as the AI thread last said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Intent {
    /// Watching the player.
    #[default]
    Idle,
    /// Strikes within a few frames.
    WindingUp,
    /// Struck the player this frame.
    Striking,
}

impl Intent {
    /// How the enemy row shows it.
    pub fn describe(self) -> &'static str {
        match self {
            Intent::Idle => "watching",
            Intent::WindingUp => "winding up!",
            Intent::Striking => "STRIKES",
        }
    }
}

/// The audio setting: the volume slider is bound two-way to `volume`, the
/// mute checkbox to `muted`; each writes only its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audio {
    /// 0 to 100.
    pub volume: u8,
    /// Sound off, volume kept.
    pub muted: bool,
}

/// A theme's accent colour, as data (the terminal colour is chosen when
/// drawing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accent {
    /// The default.
    Green,
    /// Warm.
    Amber,
    /// Cool.
    Cyan,
    /// Loud.
    Magenta,
}

impl Accent {
    /// The accent after this one, cycling.
    pub fn next(self) -> Self {
        match self {
            Accent::Green => Accent::Amber,
            Accent::Amber => Accent::Cyan,
            Accent::Cyan => Accent::Magenta,
            Accent::Magenta => Accent::Green,
        }
    }

    /// Its name, for labels.
    pub fn name(self) -> &'static str {
        match self {
            Accent::Green => "green",
            Accent::Amber => "amber",
            Accent::Cyan => "cyan",
            Accent::Magenta => "magenta",
        }
    }
}

/// The theme setting: the accent every themed widget is drawn in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme(pub Accent);

/// A widget's style. Its fields are bound separately (`bind_field`): a
/// health bar's `width` follows the player's health and its `color` the
/// theme; `bold` is not bound and keeps its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// How full the widget is drawn, 0 to 100 percent.
    pub width: u8,
    /// The colour it is drawn in.
    pub color: Accent,
    /// Whether its text is bold.
    pub bold: bool,
}

impl Style {
    /// A full-width, green style.
    pub const fn new(bold: bool) -> Self {
        Self { width: 100, color: Accent::Green, bold }
    }
}

/// A slider widget: `value` is bound two-way to a setting's field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slider {
    /// 0 to 100.
    pub value: u8,
    /// How much one key press moves it.
    pub step: u8,
}

/// A checkbox widget: `checked` is bound two-way to a setting's field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkbox {
    /// Whether it is ticked.
    pub checked: bool,
}

/// A text widget's content.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text(pub String);

/// `part` of `whole` in percent, 0 to 100.
pub fn percent(part: u32, whole: u32) -> u8 {
    (part.min(whole) * 100).checked_div(whole).map_or(0, |p| p as u8)
}
