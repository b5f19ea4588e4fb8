//! The HUD example's model, driven headless: waves of enemies spawned and
//! killed, the game simulated through a handle, exact counts throughout.

#[allow(dead_code)]
#[path = "../examples/hud/model.rs"]
mod model;

use bindery::{Engine, Entity, Error};
use model::{Fill, Health, Hud, Rng, Text, Tint, simulate};

fn counts(engine: &Engine) -> (usize, usize) {
    (engine.entity_count(), engine.binding_count())
}

#[test]
fn waves_come_and_go_with_exact_counts() -> Result<(), Error> {
    let mut engine = Engine::new();
    let hud = Hud::new(&mut engine)?;
    let baseline = counts(&engine);
    assert_eq!(baseline, (7, 5));
    let handle = engine.handle();
    let mut hud = hud;
    let mut rng = Rng(7);
    for frame in 0..400u32 {
        if frame % 50 == 0 {
            hud.spawn_wave(&mut engine, 8)?;
            assert_eq!(counts(&engine), (hud.expected_entities(), hud.expected_bindings()), "after a wave");
        }
        if frame % 120 == 119 {
            hud.kill_all(&mut engine)?;
            assert_eq!(counts(&engine), baseline, "after killing them all");
        }
        let targets: Vec<Entity> = hud.enemies.iter().map(|e| e.entity).collect();
        simulate(&handle, hud.player, &targets, &mut rng)?;
        let stats = engine.tick();
        assert_eq!(stats.commands_rejected, 0);
        hud.reap(&mut engine)?;
        assert_eq!(counts(&engine), (hud.expected_entities(), hud.expected_bindings()));
        assert_eq!(engine.children(hud.enemy_list).len(), hud.enemies.len());
    }
    hud.kill_all(&mut engine)?;
    assert_eq!(counts(&engine), baseline);
    hud.teardown(&mut engine)?;
    assert_eq!(counts(&engine), (0, 0));
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn widgets_follow_the_game_state() -> Result<(), Error> {
    let mut engine = Engine::new();
    let mut hud = Hud::new(&mut engine)?;
    hud.spawn_wave(&mut engine, 2)?;
    engine.tick();
    assert_eq!(engine.get::<Fill>(hud.gauge)?, Fill(1.0));
    engine.set(hud.player, Health(20.0))?;
    engine.tick();
    assert!((engine.get::<Fill>(hud.gauge)?.0 - 0.2).abs() < 1e-6);
    assert_eq!(engine.get::<Tint>(hud.gauge)?, Tint::Red);
    assert_eq!(engine.get::<Text>(hud.health_label)?, Text("20 / 100 HP".into()));
    let enemy = hud.enemies[0];
    engine.set(enemy.entity, Health(12.0))?;
    engine.tick();
    assert_eq!(engine.get::<Text>(enemy.row)?.0.trim_end(), "grunt 1-1     12 HP");
    assert_eq!(engine.get::<Tint>(enemy.row)?, Tint::Yellow);
    // A dead enemy is reaped with its row; the score goes up.
    engine.set(enemy.entity, Health(0.0))?;
    engine.tick();
    assert_eq!(hud.reap(&mut engine)?, 1);
    engine.tick();
    assert_eq!(engine.get::<Text>(hud.score_label)?, Text("Score 100".into()));
    assert!(!engine.is_alive(enemy.row));
    Ok(())
}
