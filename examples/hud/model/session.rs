//! [`Session`]: one frame at a time — the AI thread's commands, the
//! player's actions, the tick — with the engine's counts and reports
//! checked against the model after every frame.

use bindery::{Engine, Entity, Error, Rejection, TickStats};

use super::ai::{Ai, EnemyView, Snapshot};
use super::components::{Audio, Checkbox, Health, MaxHealth, Name, Slider, Style, Theme, percent};
use super::hud::{Effect, Hud, Rules};
use super::panels::{Choices, INVENTORY_SLOTS};

/// What the player can do; keys and the script both produce these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Hit the selected enemy.
    Attack,
    /// Drink a potion.
    Potion,
    /// Select the next enemy.
    SelectNext,
    /// Select the previous enemy.
    SelectPrev,
    /// Open or close the settings panel.
    ToggleSettings,
    /// Open or close the inventory.
    ToggleInventory,
    /// Move the volume slider up (settings open).
    VolumeUp,
    /// Move the volume slider down (settings open).
    VolumeDown,
    /// Next theme (settings open).
    NextTheme,
    /// Tick or untick the mute checkbox (settings open).
    ToggleMute,
    /// After game over: tear everything down and start again.
    Restart,
}

/// What one frame did.
#[derive(Clone, Debug, Default)]
pub struct FrameReport {
    /// The frame's number, from 0.
    pub frame: u64,
    /// The frame's tick.
    pub stats: TickStats,
    /// The commands the tick rejected (`Engine::rejections`).
    pub rejections: Vec<Rejection>,
    /// Game entities despawned this frame before the tick, by name.
    pub gone: Vec<(Entity, String)>,
    /// Commands the AI thread sent this frame.
    pub ai_commands: usize,
    /// Entities and bindings after the frame.
    pub counts: (usize, usize),
    /// For a restart: the counts once torn down, then once rebuilt.
    pub restart: Option<((usize, usize), (usize, usize))>,
    /// What happened, for the player.
    pub messages: Vec<String>,
}

impl FrameReport {
    /// The name of the entity a rejection was aimed at, if it went this frame.
    pub fn target_of(&self, rejection: &Rejection) -> Option<&str> {
        match rejection.error {
            Error::NoSuchEntity(e) => self.gone.iter().find(|(g, _)| *g == e).map(|(_, n)| n.as_str()),
            _ => None,
        }
    }
}

/// Running totals over a session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Enemies killed.
    pub kills: usize,
    /// Times the player died.
    pub game_overs: usize,
    /// Games restarted.
    pub restarts: usize,
    /// Commands the AI sent.
    pub ai_commands: usize,
    /// Commands the engine rejected.
    pub rejected: usize,
    /// Properties the engine wrote.
    pub written: usize,
}

/// A game in an engine, driven a frame at a time, with the AI on its own
/// thread.
#[derive(Debug)]
pub struct Session {
    /// The engine; only this session's game lives in it.
    pub engine: Engine,
    /// The current game.
    pub hud: Hud,
    /// Entities and bindings of a fresh game (before its first tick).
    pub fresh: (usize, usize),
    /// Frames run so far.
    pub frame: u64,
    /// Running totals.
    pub totals: Totals,
    /// The AI thread, stopped on drop.
    ai: Ai,
}

/// An `Err` naming what failed, for the frame loop.
fn fail(what: &str) -> impl Fn(Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

impl Session {
    /// A fresh game under `rules`, its AI thread started.
    ///
    /// # Errors
    /// If building the game fails.
    pub fn new(rules: Rules) -> Result<Self, String> {
        let mut engine = Engine::new();
        let hud = Hud::new(&mut engine, rules, Choices::default()).map_err(fail("building the game"))?;
        let fresh = (engine.entity_count(), engine.binding_count());
        let ai = Ai::spawn(engine.handle(), rules.strike_period);
        Ok(Self { engine, hud, fresh, frame: 0, totals: Totals::default(), ai })
    }

    /// Entities and bindings in the engine now.
    pub fn counts(&self) -> (usize, usize) {
        (self.engine.entity_count(), self.engine.binding_count())
    }

    /// What the model says the engine holds.
    pub fn expected(&self) -> (usize, usize) {
        (self.hud.expected_entities(), self.hud.expected_bindings())
    }

    /// Runs one frame: the AI thread sends its commands, the player's
    /// `actions` are applied, the engine ticks; then everything is checked.
    ///
    /// # Errors
    /// A description of the first check that failed, or of an engine call
    /// that failed.
    pub fn step(&mut self, actions: &[Action]) -> Result<FrameReport, String> {
        let mut report = FrameReport { frame: self.frame, ..FrameReport::default() };
        let sent = match self.hud.playing() {
            true => self.ai.step(self.snapshot())?,
            false => Vec::new(),
        };
        for &action in actions {
            let effect = self.act(action, &mut report)?;
            report.messages.extend(effect.message);
            if let Some(enemy) = effect.killed {
                self.totals.kills += 1;
                report.gone.push((enemy.entity, enemy.name));
            }
        }
        if self.hud.refill(&mut self.engine).map_err(fail("next wave"))? {
            report.messages.push(format!("wave {} approaches", self.hud.wave));
        }
        report.stats = self.engine.tick();
        report.rejections = self.engine.rejections().to_vec();
        if self.hud.check_death(&mut self.engine).map_err(fail("death"))? {
            self.totals.game_overs += 1;
            report.messages.push("you died".into());
        }
        report.ai_commands = sent.len();
        report.counts = self.counts();
        self.totals.ai_commands += sent.len();
        self.totals.rejected += report.stats.commands_rejected;
        self.totals.written += report.stats.properties_written;
        self.check(&report, &sent).map_err(|e| format!("frame {}: {e}", self.frame))?;
        self.frame += 1;
        Ok(report)
    }

    /// Tears the game down for good; returns what is left in the engine.
    ///
    /// # Errors
    /// If the teardown fails or leaves anything behind.
    pub fn finish(mut self) -> Result<(usize, usize), String> {
        self.hud.teardown(&mut self.engine).map_err(fail("teardown"))?;
        self.engine.tick();
        match self.counts() {
            (0, 0) => Ok((0, 0)),
            left => Err(format!("the final teardown left {left:?} entities and bindings")),
        }
    }

    /// What the AI is told: the live enemies.
    fn snapshot(&self) -> Snapshot {
        let enemies = self
            .hud
            .enemies
            .iter()
            .map(|e| EnemyView { entity: e.entity, cadence: e.cadence, damage: e.damage })
            .collect();
        Snapshot { frame: self.frame, player: self.hud.player, enemies }
    }

    /// Applies one action.
    fn act(&mut self, action: Action, report: &mut FrameReport) -> Result<Effect, String> {
        let (hud, engine) = (&mut self.hud, &mut self.engine);
        let effect = match action {
            Action::Attack => hud.attack(engine),
            Action::Potion => hud.drink(engine),
            Action::SelectNext | Action::SelectPrev => {
                hud.select(if action == Action::SelectNext { 1 } else { -1 });
                Ok(Effect::default())
            }
            Action::ToggleSettings => hud.toggle_settings(engine),
            Action::ToggleInventory => hud.toggle_inventory(engine),
            Action::VolumeUp | Action::VolumeDown => hud.nudge_volume(engine, action == Action::VolumeUp),
            Action::NextTheme => hud.next_theme(engine),
            Action::ToggleMute => hud.toggle_mute(engine),
            Action::Restart if hud.playing() => Ok(Effect::default()),
            Action::Restart => return self.restart(report),
        };
        effect.map_err(|e| format!("{action:?}: {e}"))
    }

    /// Tears the game down to an empty engine and builds a fresh one with
    /// the same settings; both counts are checked.
    fn restart(&mut self, report: &mut FrameReport) -> Result<Effect, String> {
        let choices = self.hud.choices(&self.engine).map_err(fail("reading the settings"))?;
        let gone = self.hud.teardown(&mut self.engine).map_err(fail("teardown"))?;
        report.gone.extend(gone);
        let empty = self.counts();
        if empty != (0, 0) {
            return Err(format!("teardown left {empty:?} entities and bindings, not (0, 0)"));
        }
        self.hud = Hud::new(&mut self.engine, self.hud.rules, choices).map_err(fail("rebuilding"))?;
        let rebuilt = self.counts();
        if rebuilt != self.fresh {
            return Err(format!(
                "rebuilt game has {rebuilt:?} entities and bindings, a fresh one {:?}",
                self.fresh
            ));
        }
        self.totals.restarts += 1;
        report.restart = Some((empty, rebuilt));
        Ok(Effect {
            killed: None,
            message: Some(format!("restart: {empty:?} -> {rebuilt:?}, fresh {:?}", self.fresh)),
        })
    }

    /// Checks the engine against the model after a frame.
    fn check(&self, report: &FrameReport, sent: &[Entity]) -> Result<(), String> {
        let (engine, hud) = (&self.engine, &self.hud);
        if report.counts != self.expected() {
            return Err(format!(
                "entities, bindings {:?}; the model expects {:?}",
                report.counts,
                self.expected()
            ));
        }
        let named = engine.world().query::<&Name>().iter().count();
        if named != engine.entity_count() {
            return Err(format!("{named} of {} entities have a Name", engine.entity_count()));
        }
        let children = |e: Entity| engine.children(e).len();
        let rows = children(hud.enemy_list);
        let slots = hud.inventory.map_or(INVENTORY_SLOTS, children);
        let widgets = hud.settings_panel.map_or(3, |p| children(p.panel));
        if (rows, slots, widgets) != (hud.enemies.len(), INVENTORY_SLOTS, 3) {
            return Err(format!("children: {rows} rows, {slots} slots, {widgets} settings widgets"));
        }
        let stats = &report.stats;
        let doomed = sent.iter().filter(|e| report.gone.iter().any(|(g, _)| g == *e)).count();
        if (stats.commands_applied, stats.commands_rejected, report.rejections.len())
            != (sent.len(), doomed, doomed)
        {
            return Err(format!(
                "{} commands applied, {} rejected ({} reported); the AI sent {} of which {doomed} at despawned entities",
                stats.commands_applied,
                stats.commands_rejected,
                report.rejections.len(),
                sent.len()
            ));
        }
        if let Some(r) = report.rejections.iter().find(|r| report.target_of(r).is_none()) {
            return Err(format!(
                "rejected for another reason than a despawned target: {}: {}",
                r.call, r.error
            ));
        }
        if stats.faults != 0 {
            return Err(format!("{} faults: {:?}", stats.faults, engine.faults()));
        }
        self.check_values().map_err(|e| format!("bindings did not settle: {e}"))
    }

    /// The bound widgets show their sources' settled values.
    fn check_values(&self) -> Result<(), String> {
        let (engine, hud) = (&self.engine, &self.hud);
        let read = |e: Error| e.to_string();
        let health = engine.get::<Health>(hud.player).map_err(read)?.0;
        let max = engine.get::<MaxHealth>(hud.player).map_err(read)?.0;
        let theme = engine.get::<Theme>(hud.settings).map_err(read)?.0;
        let bar = engine.get::<Style>(hud.health_bar).map_err(read)?;
        let want = Style { width: percent(health, max), color: theme, bold: true };
        if bar != want {
            return Err(format!("health bar {bar:?}, expected {want:?}"));
        }
        if let Some(open) = hud.settings_panel {
            let slider = engine.get::<Slider>(open.slider).map_err(read)?.value;
            let mute = engine.get::<Checkbox>(open.mute).map_err(read)?.checked;
            let audio = engine.get::<Audio>(hud.settings).map_err(read)?;
            if (slider, mute) != (audio.volume, audio.muted) {
                return Err(format!("slider at {slider}, checkbox {mute}, audio setting {audio:?}"));
            }
        }
        Ok(())
    }
}
