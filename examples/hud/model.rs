//! The HUD's model: game state entities bound to widget entities, with no
//! terminal in sight. `main.rs` draws it; `tests/hud.rs` drives it headless.

use bindery::{Engine, Entity, Error, Handle};

/// The player's (or an enemy's) hit points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Health(pub f32);
/// The most hit points the player can have.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MaxHealth(pub f32);
/// Rounds left in the magazine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ammo(pub u32);
/// Points scored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score(pub u64);
/// An enemy's name.
#[derive(Clone, Debug, PartialEq)]
pub struct Name(pub String);

/// A gauge widget's fill, 0.0 to 1.0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fill(pub f64);
/// A widget's colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tint {
    /// Healthy.
    Green,
    /// Hurt.
    Yellow,
    /// In danger.
    Red,
}
/// A text widget's content.
#[derive(Clone, Debug, PartialEq)]
pub struct Text(pub String);

/// Maximum rounds per magazine.
pub const MAGAZINE: u32 = 30;

/// One enemy: its game entity and its row in the enemy list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enemy {
    /// The game-state entity (Name, Health).
    pub entity: Entity,
    /// The row widget (Text, Tint), a child of the enemy list.
    pub row: Entity,
}

/// Game state and widgets, wired together with bindings.
#[derive(Debug)]
pub struct Hud {
    /// The player: Health, MaxHealth, Ammo, Score.
    pub player: Entity,
    /// Root of the widget tree.
    pub root: Entity,
    /// The health gauge: Fill and Tint derived from Health and MaxHealth.
    pub gauge: Entity,
    /// "87 / 100 HP".
    pub health_label: Entity,
    /// "Ammo 12/30".
    pub ammo_label: Entity,
    /// "Score 1200".
    pub score_label: Entity,
    /// The enemy list; each enemy's row is a child of it.
    pub enemy_list: Entity,
    /// Live enemies, oldest first.
    pub enemies: Vec<Enemy>,
    waves: u32,
}

fn tint(fraction: f32) -> Tint {
    match fraction {
        f if f > 0.6 => Tint::Green,
        f if f > 0.25 => Tint::Yellow,
        _ => Tint::Red,
    }
}

impl Hud {
    /// Spawns the player and the widget tree and binds them.
    pub fn new(engine: &mut Engine) -> Result<Self, Error> {
        let player = engine.spawn((Health(100.0), MaxHealth(100.0), Ammo(MAGAZINE), Score(0)));
        let root = engine.spawn(());
        let gauge = engine.spawn_child(root, (Fill(1.0), Tint::Green))?;
        let health_label = engine.spawn_child(root, (Text(String::new()),))?;
        let ammo_label = engine.spawn_child(root, (Text(String::new()),))?;
        let score_label = engine.spawn_child(root, (Text(String::new()),))?;
        let enemy_list = engine.spawn_child(root, (Text(String::new()),))?;

        let both = (player, player);
        engine.derive(gauge, both, |(h, m): (&Health, &MaxHealth)| {
            Fill(f64::from((h.0 / m.0).clamp(0.0, 1.0)))
        })?;
        engine.derive(gauge, both, |(h, m): (&Health, &MaxHealth)| tint(h.0 / m.0))?;
        engine.derive(health_label, both, |(h, m): (&Health, &MaxHealth)| {
            Text(format!("{:.0} / {:.0} HP", h.0.max(0.0), m.0))
        })?;
        engine.bind_map(player, ammo_label, |a: &Ammo| Text(format!("Ammo {}/{MAGAZINE}", a.0)))?;
        engine.bind_map(player, score_label, |s: &Score| Text(format!("Score {}", s.0)))?;
        Ok(Self {
            player,
            root,
            gauge,
            health_label,
            ammo_label,
            score_label,
            enemy_list,
            enemies: Vec::new(),
            waves: 0,
        })
    }

    /// Spawns `count` enemies, each with a row in the enemy list bound to it.
    pub fn spawn_wave(&mut self, engine: &mut Engine, count: usize) -> Result<(), Error> {
        self.waves += 1;
        for i in 0..count {
            let name = format!("grunt {}-{}", self.waves, i + 1);
            let entity = engine.spawn((Name(name), Health(30.0)));
            let row = engine.spawn_child(self.enemy_list, (Text(String::new()), Tint::Green))?;
            engine.derive(row, (entity, entity), |(n, h): (&Name, &Health)| {
                Text(format!("{:<12} {:>3.0} HP", n.0, h.0.max(0.0)))
            })?;
            engine.bind_map(entity, row, |h: &Health| tint(h.0 / 30.0))?;
            self.enemies.push(Enemy { entity, row });
        }
        Ok(())
    }

    /// Tears the whole HUD down: the widget tree (with every binding into
    /// it), the enemies and the player.
    pub fn teardown(mut self, engine: &mut Engine) -> Result<(), Error> {
        self.kill_all(engine)?;
        engine.despawn_recursive(self.root)?;
        engine.despawn(self.player)
    }

    /// Despawns one enemy and its row (and every binding between them).
    pub fn kill(&mut self, engine: &mut Engine, entity: Entity) -> Result<(), Error> {
        let Some(i) = self.enemies.iter().position(|e| e.entity == entity) else {
            return Err(Error::NoSuchEntity(entity));
        };
        let enemy = self.enemies.remove(i);
        engine.despawn(enemy.entity)?;
        engine.despawn_recursive(enemy.row)?;
        engine.modify(self.player, |s: &mut Score| s.0 += 100)
    }

    /// Despawns every enemy and its row.
    pub fn kill_all(&mut self, engine: &mut Engine) -> Result<(), Error> {
        while let Some(enemy) = self.enemies.first().copied() {
            self.kill(engine, enemy.entity)?;
        }
        Ok(())
    }

    /// Despawns enemies whose health ran out; returns how many.
    pub fn reap(&mut self, engine: &mut Engine) -> Result<usize, Error> {
        let dead: Vec<Entity> = self
            .enemies
            .iter()
            .filter(|e| engine.get::<Health>(e.entity).map(|h| h.0 <= 0.0).unwrap_or(true))
            .map(|e| e.entity)
            .collect();
        for &e in &dead {
            self.kill(engine, e)?;
        }
        Ok(dead.len())
    }

    /// Entities the HUD itself owns: the player and 6 widgets, plus two per
    /// live enemy.
    pub fn expected_entities(&self) -> usize {
        7 + 2 * self.enemies.len()
    }

    /// Bindings the HUD owns: 5 for the player, two per live enemy.
    pub fn expected_bindings(&self) -> usize {
        5 + 2 * self.enemies.len()
    }
}

/// A tiny deterministic generator, so headless runs are reproducible.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// One step of the simulated game, sent through a handle as the game thread
/// would: the player takes damage or heals, fires and reloads; enemies in
/// `targets` take hits. Commands for enemies that died meanwhile are
/// rejected cleanly by the engine.
pub fn simulate(handle: &Handle, player: Entity, targets: &[Entity], rng: &mut Rng) -> Result<(), Error> {
    match rng.below(4) {
        0 => handle.modify(player, |h: &mut Health| h.0 = (h.0 - 9.0).max(0.0))?,
        1 => handle.modify(player, |h: &mut Health| h.0 = (h.0 + 4.0).min(100.0))?,
        _ => {}
    }
    handle.modify(player, |a: &mut Ammo| a.0 = if a.0 == 0 { MAGAZINE } else { a.0 - 1 })?;
    if !targets.is_empty() {
        let target = targets[rng.below(targets.len() as u64) as usize];
        handle.modify(target, |h: &mut Health| h.0 -= 7.0)?;
    }
    Ok(())
}
