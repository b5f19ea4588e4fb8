//! [`Hud`]: the game's entities and widgets wired together with bindings,
//! and what the player can do to them.

use bindery::{Engine, Entity, Error};

use super::components::{
    Audio, Checkbox, Health, Intent, MaxHealth, Name, Potions, Score, Slider, Style, Text, Theme, percent,
};
use super::panels::{self, Choices, SettingsPanel};

/// Entities of a HUD without enemies or panels: the player, the settings,
/// the widget root, the health bar, the potion, score and volume labels,
/// the enemy list.
pub const BASE_ENTITIES: usize = 8;
/// Bindings of a HUD without enemies or panels: health → bar width and
/// theme → bar colour (field bindings), health and max health → bar text
/// (derived), potions, score and audio → their labels.
pub const BASE_BINDINGS: usize = 6;
/// Entities per live enemy: the enemy and its row in the enemy list.
pub const ENEMY_ENTITIES: usize = 2;
/// Bindings per live enemy: name, health and intent → row text (derived),
/// health → row width and theme → row colour (field bindings).
pub const ENEMY_BINDINGS: usize = 3;

/// The numbers of the game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// The player's health at the start.
    pub player_health: u32,
    /// Potions at the start.
    pub potions: u32,
    /// Health one potion gives back.
    pub potion_heal: u32,
    /// Damage of one attack.
    pub attack: u32,
    /// Enemies per wave.
    pub wave_size: usize,
    /// An enemy's health in wave 1, and how much more per later wave.
    pub enemy_health: (u32, u32),
    /// An enemy's strike damage in wave 1, and how much more per later wave.
    pub strike_damage: (u32, u32),
    /// Frames between two strikes of one enemy.
    pub strike_period: u64,
}

impl Rules {
    /// Played at the keyboard, about 30 frames a second.
    pub const INTERACTIVE: Rules = Rules {
        player_health: 100,
        potions: 3,
        potion_heal: 35,
        attack: 8,
        wave_size: 3,
        enemy_health: (24, 8),
        strike_damage: (4, 1),
        strike_period: 60,
    };
    /// Played by the script: a fast game, over within a few hundred frames.
    pub const SCRIPTED: Rules = Rules {
        player_health: 100,
        potions: 3,
        potion_heal: 35,
        attack: 9,
        wave_size: 3,
        enemy_health: (20, 10),
        strike_damage: (2, 1),
        strike_period: 12,
    };
}

/// One enemy: its game entity and its row widget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enemy {
    /// The game entity: Name, Health, MaxHealth, Intent.
    pub entity: Entity,
    /// Its row, a child of the enemy list: Name, Text, Style.
    pub row: Entity,
    /// Its name, kept for reports after it died.
    pub name: String,
    /// Frames its strikes are offset by, so a wave does not strike at once.
    pub cadence: u64,
    /// Damage of one strike.
    pub damage: u32,
}

/// Something the player did, and what came of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effect {
    /// The enemy killed, if any: despawned with its row this frame.
    pub killed: Option<Enemy>,
    /// What to tell the player.
    pub message: Option<String>,
}

impl Effect {
    fn say(message: impl Into<String>) -> Self {
        Self { killed: None, message: Some(message.into()) }
    }
}

/// The game: state entities (player, settings, enemies) and the widget tree
/// that shows them, with the panels that are open.
///
/// Invariant: the engine holds exactly [`expected_entities`] entities and
/// [`expected_bindings`] bindings (the session checks it every frame).
///
/// [`expected_entities`]: Hud::expected_entities
/// [`expected_bindings`]: Hud::expected_bindings
#[derive(Debug)]
pub struct Hud {
    /// The numbers of this game.
    pub rules: Rules,
    /// Health, MaxHealth, Potions, Score.
    pub player: Entity,
    /// Audio and Theme.
    pub settings: Entity,
    /// Every widget descends from it.
    pub root: Entity,
    /// Style (width from health, colour from theme) and Text.
    pub health_bar: Entity,
    /// "Potions 3".
    pub potions_label: Entity,
    /// "Score 40".
    pub score_label: Entity,
    /// "vol 70%", from the audio setting.
    pub volume_badge: Entity,
    /// Parent of the enemy rows.
    pub enemy_list: Entity,
    /// Live enemies, in list order.
    pub enemies: Vec<Enemy>,
    /// Index of the selected enemy (0 when there are none).
    pub selected: usize,
    /// The current wave, from 1.
    pub wave: u32,
    /// The settings panel, while open.
    pub settings_panel: Option<SettingsPanel>,
    /// The inventory panel, while open.
    pub inventory: Option<Entity>,
    /// The game-over panel, once the player died.
    pub game_over: Option<Entity>,
}

impl Hud {
    /// Spawns a fresh game with the first wave: the player, the settings
    /// (as `choices` says), the widgets, and binds them.
    pub fn new(engine: &mut Engine, rules: Rules, choices: Choices) -> Result<Self, Error> {
        let max = rules.player_health;
        let player =
            engine.spawn((Name::of("player"), Health(max), MaxHealth(max), Potions(rules.potions), Score(0)));
        let settings = engine.spawn((Name::of("settings"), choices.audio, choices.theme));
        let root = engine.spawn((Name::of("hud"),));
        let health_bar =
            engine.spawn_child(root, (Name::of("health bar"), Style::new(true), Text::default()))?;
        let label = |name: &str| (Name::of(name), Text::default());
        let potions_label = engine.spawn_child(root, label("potions label"))?;
        let score_label = engine.spawn_child(root, label("score label"))?;
        let volume_badge = engine.spawn_child(root, label("volume badge"))?;
        let enemy_list = engine.spawn_child(root, (Name::of("enemy list"),))?;

        engine.bind_field(
            player,
            health_bar,
            move |h: &Health| percent(h.0, max),
            |s: &mut Style| &mut s.width,
        )?;
        engine.bind_field(settings, health_bar, |t: &Theme| t.0, |s: &mut Style| &mut s.color)?;
        engine.derive(health_bar, (player, player), |(h, m): (&Health, &MaxHealth)| {
            Text(format!("{} / {} HP", h.0, m.0))
        })?;
        engine.bind_map(player, potions_label, |p: &Potions| Text(format!("Potions {}", p.0)))?;
        engine.bind_map(player, score_label, |s: &Score| Text(format!("Score {}", s.0)))?;
        engine.bind_map(settings, volume_badge, |a: &Audio| match a.muted {
            false => Text(format!("vol {}%", a.volume)),
            true => Text(format!("vol muted ({}%)", a.volume)),
        })?;
        let mut hud = Self {
            rules,
            player,
            settings,
            root,
            health_bar,
            potions_label,
            score_label,
            volume_badge,
            enemy_list,
            enemies: Vec::new(),
            selected: 0,
            wave: 0,
            settings_panel: None,
            inventory: None,
            game_over: None,
        };
        hud.spawn_wave(engine)?;
        Ok(hud)
    }

    /// Entities this game holds, from its state.
    pub fn expected_entities(&self) -> usize {
        BASE_ENTITIES
            + ENEMY_ENTITIES * self.enemies.len()
            + self.settings_panel.map_or(0, |_| panels::SETTINGS_ENTITIES)
            + self.inventory.map_or(0, |_| panels::INVENTORY_ENTITIES)
            + self.game_over.map_or(0, |_| panels::GAME_OVER_ENTITIES)
    }

    /// Bindings this game holds, from its state.
    pub fn expected_bindings(&self) -> usize {
        BASE_BINDINGS
            + ENEMY_BINDINGS * self.enemies.len()
            + self.settings_panel.map_or(0, |_| panels::SETTINGS_BINDINGS)
            + self.inventory.map_or(0, |_| panels::INVENTORY_BINDINGS)
            + self.game_over.map_or(0, |_| panels::GAME_OVER_BINDINGS)
    }

    /// Whether the player is still alive and fighting.
    pub fn playing(&self) -> bool {
        self.game_over.is_none()
    }

    /// Spawns the next wave of enemies, each with a row bound to it.
    pub fn spawn_wave(&mut self, engine: &mut Engine) -> Result<(), Error> {
        self.wave += 1;
        let (base, more) = self.rules.enemy_health;
        let max = base + more * (self.wave - 1);
        let (damage, harder) = self.rules.strike_damage;
        for i in 0..self.rules.wave_size {
            let name = format!("goblin {}-{}", self.wave, i + 1);
            let entity = engine.spawn((Name(name.clone()), Health(max), MaxHealth(max), Intent::Idle));
            let row = engine.spawn_child(
                self.enemy_list,
                (Name(format!("row: {name}")), Text::default(), Style::new(false)),
            )?;
            engine.derive(row, (entity, entity, entity), |(n, h, i): (&Name, &Health, &Intent)| {
                Text(format!("{:<11} {:>3} HP  {}", n.0, h.0, i.describe()))
            })?;
            engine.bind_field(
                entity,
                row,
                move |h: &Health| percent(h.0, max),
                |s: &mut Style| &mut s.width,
            )?;
            engine.bind_field(self.settings, row, |t: &Theme| t.0, |s: &mut Style| &mut s.color)?;
            let cadence = (i as u64 * self.rules.strike_period) / self.rules.wave_size as u64;
            self.enemies.push(Enemy {
                entity,
                row,
                name,
                cadence,
                damage: damage + harder * (self.wave - 1),
            });
        }
        self.selected = 0;
        Ok(())
    }

    /// Starts the next wave if the last one is dead and the game goes on.
    pub fn refill(&mut self, engine: &mut Engine) -> Result<bool, Error> {
        if !self.playing() || !self.enemies.is_empty() {
            return Ok(false);
        }
        self.spawn_wave(engine)?;
        Ok(true)
    }

    /// Attacks the selected enemy; kills it (despawning it and its row) if
    /// its health runs out.
    pub fn attack(&mut self, engine: &mut Engine) -> Result<Effect, Error> {
        let Some(target) = self.enemies.get(self.selected).filter(|_| self.playing()) else {
            return Ok(Effect::default());
        };
        let (entity, name) = (target.entity, target.name.clone());
        let damage = self.rules.attack;
        engine.modify(entity, |h: &mut Health| h.0 = h.0.saturating_sub(damage))?;
        if engine.get::<Health>(entity)?.0 > 0 {
            return Ok(Effect::say(format!("you hit {name} for {damage}")));
        }
        let enemy = self.enemies.remove(self.selected);
        engine.despawn(enemy.entity)?;
        engine.despawn(enemy.row)?;
        let points = 10 * self.wave;
        engine.modify(self.player, |s: &mut Score| s.0 += points)?;
        self.selected = self.selected.min(self.enemies.len().saturating_sub(1));
        Ok(Effect { message: Some(format!("{name} slain (+{points})")), killed: Some(enemy) })
    }

    /// Drinks a potion if there is one and the player is hurt.
    pub fn drink(&mut self, engine: &mut Engine) -> Result<Effect, Error> {
        if !self.playing() {
            return Ok(Effect::default());
        }
        if engine.get::<Potions>(self.player)?.0 == 0 {
            return Ok(Effect::say("no potions left"));
        }
        let (health, max) = (engine.get::<Health>(self.player)?.0, engine.get::<MaxHealth>(self.player)?.0);
        if health == max {
            return Ok(Effect::say("already at full health"));
        }
        let healed = self.rules.potion_heal.min(max - health);
        engine.modify(self.player, |p: &mut Potions| p.0 -= 1)?;
        engine.set(self.player, Health(health + healed))?;
        Ok(Effect::say(format!("you drink a potion (+{healed} HP)")))
    }

    /// Moves the selection by `delta` enemies, wrapping around.
    pub fn select(&mut self, delta: isize) {
        let n = self.enemies.len();
        if n > 0 {
            self.selected = (self.selected as isize + delta).rem_euclid(n as isize) as usize;
        }
    }

    /// Opens the settings panel, or closes it (despawning its subtree).
    pub fn toggle_settings(&mut self, engine: &mut Engine) -> Result<Effect, Error> {
        match self.settings_panel.take() {
            Some(open) => engine.despawn(open.panel).map(|()| Effect::say("settings closed")),
            None => {
                self.settings_panel = Some(panels::open_settings(engine, self.root, self.settings)?);
                Ok(Effect::say("settings opened"))
            }
        }
    }

    /// Opens the inventory, or closes it (despawning it and its items).
    pub fn toggle_inventory(&mut self, engine: &mut Engine) -> Result<Effect, Error> {
        match self.inventory.take() {
            Some(panel) => engine.despawn(panel).map(|()| Effect::say("inventory closed")),
            None => {
                self.inventory = Some(panels::open_inventory(engine, self.root, self.player, self.settings)?);
                Ok(Effect::say("inventory opened"))
            }
        }
    }

    /// Moves the volume slider one step up or down (the settings panel must
    /// be open); the audio setting follows through its binding.
    pub fn nudge_volume(&mut self, engine: &mut Engine, up: bool) -> Result<Effect, Error> {
        let Some(open) = self.settings_panel else { return Ok(Effect::default()) };
        engine.modify(open.slider, |s: &mut Slider| {
            s.value =
                if up { s.value.saturating_add(s.step).min(100) } else { s.value.saturating_sub(s.step) };
        })?;
        Ok(Effect::default())
    }

    /// Switches to the next theme (the settings panel must be open).
    pub fn next_theme(&mut self, engine: &mut Engine) -> Result<Effect, Error> {
        if self.settings_panel.is_none() {
            return Ok(Effect::default());
        }
        engine.modify(self.settings, |t: &mut Theme| t.0 = t.0.next())?;
        Ok(Effect::say(format!("theme: {}", engine.get::<Theme>(self.settings)?.0.name())))
    }

    /// Ticks or unticks the mute checkbox (the settings panel must be
    /// open); the audio setting follows through its binding.
    pub fn toggle_mute(&mut self, engine: &mut Engine) -> Result<Effect, Error> {
        let Some(open) = self.settings_panel else { return Ok(Effect::default()) };
        engine.modify(open.mute, |c: &mut Checkbox| c.checked = !c.checked)?;
        Ok(Effect::default())
    }

    /// Ends the game if the player's health ran out: opens the game-over
    /// panel. Returns whether it did.
    pub fn check_death(&mut self, engine: &mut Engine) -> Result<bool, Error> {
        if !self.playing() || engine.get::<Health>(self.player)?.0 > 0 {
            return Ok(false);
        }
        self.game_over = Some(panels::open_game_over(engine, self.root, self.player)?);
        Ok(true)
    }

    /// The settings the player chose, to carry into the next game.
    pub fn choices(&self, engine: &Engine) -> Result<Choices, Error> {
        Ok(Choices { audio: engine.get(self.settings)?, theme: engine.get(self.settings)? })
    }

    /// Tears the whole game down: the widget tree (panels and rows with
    /// it, and every binding into them), the enemies, the player and the
    /// settings. Returns the game entities despawned, by name; the HUD is
    /// empty afterwards, to be replaced by a new one.
    pub fn teardown(&mut self, engine: &mut Engine) -> Result<Vec<(Entity, String)>, Error> {
        let mut gone = vec![(self.player, "player".to_string())];
        engine.despawn(self.root)?;
        for enemy in self.enemies.drain(..) {
            engine.despawn(enemy.entity)?;
            gone.push((enemy.entity, enemy.name));
        }
        (self.settings_panel, self.inventory, self.game_over) = (None, None, None);
        engine.despawn(self.player)?;
        engine.despawn(self.settings)?;
        Ok(gone)
    }
}
