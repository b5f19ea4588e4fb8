//! The HUD example's model, played headless: scripted play with exact
//! counts every frame, game over and restart, the settings' field
//! bindings, the inventory opened and closed, and the AI thread's commands
//! at enemies killed that frame rejected by the engine.
//!
//! Expected counts here are written out from what each piece spawns and
//! binds, independently of the model's own constants.

#[allow(dead_code, unused_imports)] // the tests use part of the model
#[path = "../examples/hud/model.rs"]
mod model;

use bindery::{Engine, Error, Rejection};
use model::hud::Hud;
use model::panels::Choices;
use model::{
    Accent, Action, Audio, Checkbox, Health, Name, Potions, Rules, Score, Script, Session, Slider, Style,
    Text, Theme,
};

/// The HUD without enemies: 8 entities (player, settings, root, health bar,
/// potion, score and volume labels, enemy list) and 6 bindings (bar width,
/// bar colour, bar text, three labels).
const BASE: (usize, usize) = (8, 6);
/// One enemy: 2 entities (enemy, row), 3 bindings (row text, width, colour).
const ENEMY: (usize, usize) = (2, 3);
/// A fresh game: the HUD and a wave of three enemies.
const FRESH: (usize, usize) = (BASE.0 + 3 * ENEMY.0, BASE.1 + 3 * ENEMY.1);
/// The settings panel: panel, slider, mute checkbox, theme label; slider ⇄
/// volume, checkbox ⇄ muted, theme → label.
const SETTINGS: (usize, usize) = (4, 3);
/// The inventory: panel and 12 items; 12 theme colours, potions, gold.
const INVENTORY: (usize, usize) = (13, 14);
/// The game-over panel and its score binding.
const GAME_OVER: (usize, usize) = (1, 1);

/// Entities and bindings in the engine.
fn counts(engine: &Engine) -> (usize, usize) {
    (engine.entity_count(), engine.binding_count())
}

/// What the engine should hold for this HUD, from the sizes above.
fn expected(hud: &Hud) -> (usize, usize) {
    let n = hud.enemies.len();
    let mut want = (BASE.0 + n * ENEMY.0, BASE.1 + n * ENEMY.1);
    for (open, (e, b)) in [
        (hud.settings_panel.is_some(), SETTINGS),
        (hud.inventory.is_some(), INVENTORY),
        (hud.game_over.is_some(), GAME_OVER),
    ] {
        if open {
            want = (want.0 + e, want.1 + b);
        }
    }
    want
}

/// The health bar's style.
fn style(engine: &Engine, hud: &Hud) -> Style {
    engine.get::<Style>(hud.health_bar).expect("the health bar has a Style")
}

#[test]
fn scripted_play_keeps_exact_counts_every_frame_through_game_overs_and_restarts() -> Result<(), String> {
    let mut session = Session::new(Rules::SCRIPTED)?;
    assert_eq!((session.fresh, session.counts()), (FRESH, FRESH));
    let mut script = Script::default();
    let (mut settings_opened, mut inventory_opened, mut slider_moves) = (0, 0, 0);
    for _ in 0..600 {
        let actions = script.actions(session.frame, &session.hud, &session.engine);
        let had_inventory = session.hud.inventory.is_some();
        let had_settings = session.hud.settings_panel.is_some();
        slider_moves += actions.iter().filter(|a| matches!(a, Action::VolumeUp | Action::VolumeDown)).count();
        let report = session.step(&actions)?;
        assert_eq!(report.counts, expected(&session.hud), "frame {}", report.frame);
        assert_eq!(report.stats.faults, 0);
        if let Some(restart) = report.restart {
            assert_eq!(restart, ((0, 0), FRESH), "torn down to nothing, rebuilt exactly");
        }
        inventory_opened += usize::from(!had_inventory && session.hud.inventory.is_some());
        settings_opened += usize::from(!had_settings && session.hud.settings_panel.is_some());
    }
    let t = session.totals;
    assert!(t.game_overs >= 1 && t.restarts >= 1, "{t:?}");
    assert!(t.kills >= 10 && t.rejected >= 1, "{t:?}");
    assert!(inventory_opened >= 5 && settings_opened >= 4 && slider_moves >= 20);
    assert_eq!(session.engine.check_invariants(), Ok(()));
    assert_eq!(session.finish()?, (0, 0));
    Ok(())
}

#[test]
fn game_over_then_restart_returns_counts_to_a_fresh_games_exactly() -> Result<(), String> {
    let mut session = Session::new(Rules::SCRIPTED)?;
    session.step(&[Action::ToggleSettings, Action::ToggleInventory, Action::VolumeUp, Action::NextTheme])?;
    let open = (FRESH.0 + SETTINGS.0 + INVENTORY.0, FRESH.1 + SETTINGS.1 + INVENTORY.1);
    assert_eq!(session.counts(), open);
    session.engine.set(session.hud.player, Health(1)).map_err(|e| e.to_string())?;
    let mut frames = 0;
    while session.hud.playing() {
        session.step(&[])?;
        frames += 1;
        assert!(frames <= Rules::SCRIPTED.strike_period, "an enemy strikes within one period");
    }
    assert_eq!(session.counts(), (open.0 + GAME_OVER.0, open.1 + GAME_OVER.1));
    let panel = session.hud.game_over.ok_or("a game-over panel")?;
    assert!(session.engine.get::<Text>(panel).map_err(|e| e.to_string())?.0.starts_with("GAME OVER"));

    let ignored = session.step(&[Action::Attack, Action::Potion])?;
    assert_eq!(
        (ignored.ai_commands, ignored.counts),
        (0, session.counts()),
        "the dead neither act nor are acted on"
    );
    let report = session.step(&[Action::Restart])?;
    assert_eq!(report.restart, Some(((0, 0), FRESH)));
    assert_eq!(session.counts(), FRESH);
    let (engine, hud) = (&session.engine, &session.hud);
    let get = |e| -> Result<(Health, Potions, Score), Error> {
        Ok((engine.get(e)?, engine.get(e)?, engine.get(e)?))
    };
    assert_eq!(get(hud.player).map_err(|e| e.to_string())?, (Health(100), Potions(3), Score(0)));
    assert!(hud.settings_panel.is_none() && hud.inventory.is_none() && hud.game_over.is_none());
    let volume = hud.choices(engine).map_err(|e| e.to_string())?.audio.volume;
    assert_eq!(volume, 75, "moved in the frame the panel opened, from 70; carried over");
    assert_eq!(engine.get::<Theme>(hud.settings).map_err(|e| e.to_string())?, Theme(Accent::Amber));
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn field_bindings_from_two_sources_each_keep_the_other_field() -> Result<(), Error> {
    let mut engine = Engine::new();
    let hud = Hud::new(&mut engine, Rules::INTERACTIVE, Choices::default())?;
    engine.tick();
    assert_eq!(style(&engine, &hud), Style { width: 100, color: Accent::Green, bold: true });

    engine.set(hud.player, Health(40))?;
    engine.tick();
    assert_eq!(
        style(&engine, &hud),
        Style { width: 40, color: Accent::Green, bold: true },
        "health keeps the colour"
    );
    engine.set(hud.settings, Theme(Accent::Cyan))?;
    let stats = engine.tick();
    assert_eq!(
        style(&engine, &hud),
        Style { width: 40, color: Accent::Cyan, bold: true },
        "the theme keeps the width"
    );
    assert_eq!(stats.properties_written, 1 + 3, "the bar and three enemy rows, nothing else");
    let row = engine.get::<Style>(hud.enemies[0].row)?;
    assert_eq!((row.width, row.color), (100, Accent::Cyan));

    engine.set(hud.player, Health(7))?;
    engine.set(hud.settings, Theme(Accent::Magenta))?;
    engine.tick();
    assert_eq!(
        style(&engine, &hud),
        Style { width: 7, color: Accent::Magenta, bold: true },
        "both in one tick"
    );
    assert_eq!(engine.get::<Text>(hud.health_bar)?, Text("7 / 100 HP".into()));
    Ok(())
}

#[test]
fn the_settings_widgets_and_the_audio_setting_follow_each_other_both_ways() -> Result<(), Error> {
    let mut engine = Engine::new();
    let mut hud = Hud::new(&mut engine, Rules::INTERACTIVE, Choices::default())?;
    engine.set(hud.settings, Audio { volume: 70, muted: true })?;
    hud.toggle_settings(&mut engine)?;
    let open = hud.settings_panel.expect("the settings are open");
    engine.tick();
    assert_eq!(engine.get::<Slider>(open.slider)?.value, 70);
    assert_eq!(engine.get::<Checkbox>(open.mute)?, Checkbox { checked: true });

    hud.nudge_volume(&mut engine, true)?;
    hud.nudge_volume(&mut engine, true)?;
    engine.tick();
    assert_eq!(
        engine.get::<Audio>(hud.settings)?,
        Audio { volume: 80, muted: true },
        "muted keeps its value"
    );
    assert_eq!(engine.get::<Text>(hud.volume_badge)?, Text("vol muted (80%)".into()));

    engine.modify(hud.settings, |a: &mut Audio| a.volume = 20)?;
    engine.tick();
    assert_eq!(
        engine.get::<Slider>(open.slider)?,
        Slider { value: 20, step: 5 },
        "the slider follows the setting"
    );
    assert_eq!(engine.get::<Checkbox>(open.mute)?, Checkbox { checked: true });

    hud.toggle_settings(&mut engine)?;
    engine.tick();
    assert!(!engine.is_alive(open.slider) && !engine.is_alive(open.mute));
    assert_eq!(
        engine.get::<Audio>(hud.settings)?,
        Audio { volume: 20, muted: true },
        "closing keeps the setting"
    );
    assert_eq!(counts(&engine), FRESH);
    Ok(())
}

#[test]
fn moving_the_slider_and_muting_in_one_frame_both_land() -> Result<(), Error> {
    let mut engine = Engine::new();
    let mut hud = Hud::new(&mut engine, Rules::INTERACTIVE, Choices::default())?;
    hud.toggle_settings(&mut engine)?;
    engine.tick();
    hud.nudge_volume(&mut engine, false)?;
    hud.toggle_mute(&mut engine)?;
    engine.tick();
    assert_eq!(engine.get::<Audio>(hud.settings)?, Audio { volume: 65, muted: true });
    hud.toggle_mute(&mut engine)?;
    hud.nudge_volume(&mut engine, false)?;
    engine.tick();
    assert_eq!(engine.get::<Audio>(hud.settings)?, Audio { volume: 60, muted: false });
    Ok(())
}

#[test]
fn moving_the_slider_in_the_frame_the_settings_open_starts_from_the_setting() -> Result<(), Error> {
    let mut engine = Engine::new();
    let mut hud = Hud::new(&mut engine, Rules::INTERACTIVE, Choices::default())?;
    engine.tick();
    hud.toggle_settings(&mut engine)?;
    hud.nudge_volume(&mut engine, false)?; // before the bindings' first sync
    hud.toggle_mute(&mut engine)?;
    engine.tick();
    assert_eq!(engine.get::<Audio>(hud.settings)?, Audio { volume: 65, muted: true });
    Ok(())
}

#[test]
fn the_inventory_opened_and_closed_a_thousand_times_leaves_exact_counts() -> Result<(), Error> {
    let mut engine = Engine::new();
    let mut hud = Hud::new(&mut engine, Rules::INTERACTIVE, Choices::default())?;
    engine.tick();
    for round in 0..1000u32 {
        hud.toggle_inventory(&mut engine)?;
        let panel = hud.inventory.expect("the inventory is open");
        assert_eq!(counts(&engine), (FRESH.0 + INVENTORY.0, FRESH.1 + INVENTORY.1));
        let items = engine.children(panel);
        assert_eq!(items.len(), 12);
        if round % 100 == 0 {
            engine.set(hud.player, Score(round))?;
            engine.tick();
            assert_eq!(engine.get::<Text>(items[0])?, Text("Potion x3".into()));
            assert_eq!(engine.get::<Text>(items[1])?, Text(format!("Gold {round}")));
        }
        hud.toggle_inventory(&mut engine)?;
        assert_eq!(counts(&engine), FRESH, "round {round}");
        assert!(items.iter().all(|&i| !engine.is_alive(i)), "despawn took the children");
    }
    assert_eq!(
        engine.bindings_of(hud.player).count(),
        4,
        "bar width and text, potions, score: the slots' two went with them"
    );
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn ai_commands_at_an_enemy_killed_this_frame_are_rejected_with_no_such_entity() -> Result<(), String> {
    let mut session = Session::new(Rules::SCRIPTED)?;
    session.step(&[])?;
    let victim = session.hud.enemies[session.hud.selected].entity;
    session.engine.set(victim, Health(1)).map_err(|e| e.to_string())?;
    let report = session.step(&[Action::Attack])?;
    assert_eq!(report.gone.first().map(|(e, _)| *e), Some(victim));
    assert_eq!(report.rejections, vec![Rejection { call: "set", error: Error::NoSuchEntity(victim) }]);
    assert_eq!((report.stats.commands_rejected, report.stats.commands_applied), (1, report.ai_commands));
    assert_eq!(report.target_of(&report.rejections[0]), Some("goblin 1-1"));
    let next = session.step(&[])?;
    assert_eq!(next.stats.commands_rejected, 0, "the AI no longer sees it");
    Ok(())
}

#[test]
fn the_frame_check_fails_when_the_engine_holds_what_the_model_does_not() -> Result<(), String> {
    let mut session = Session::new(Rules::SCRIPTED)?;
    session.step(&[])?;
    session.engine.spawn((Name::of("stray"),));
    let error = session.step(&[]).expect_err("a stray entity is caught");
    assert!(error.contains("the model expects"), "{error}");

    let mut session = Session::new(Rules::SCRIPTED)?;
    let (player, label) = (session.hud.player, session.hud.score_label);
    session.engine.bind_map(player, label, |h: &Health| Text(h.0.to_string())).map_err(|e| e.to_string())?;
    let error = session.step(&[]).expect_err("a stray binding is caught");
    assert!(error.contains("the model expects"), "{error}");
    Ok(())
}

#[test]
fn the_dot_graph_labels_every_node_by_its_name() -> Result<(), String> {
    let mut session = Session::new(Rules::SCRIPTED)?;
    session.step(&[Action::ToggleSettings, Action::ToggleInventory])?;
    let dot = model::dot::dot(&session.engine);
    let graph = session.engine.binding_graph();
    assert_eq!(graph.edges.len(), session.counts().1);
    for edge in &graph.edges {
        let name = session.engine.get::<Name>(edge.info.target).map_err(|e| e.to_string())?.0;
        let ty = edge.info.target_type.rsplit("::").next().unwrap_or_default();
        assert!(dot.contains(&format!("[label=\"{name}\\n{ty}\"]")), "{name} {ty} in\n{dot}");
    }
    for label in ["player\\nHealth", "settings\\nAudio", "volume slider\\nSlider", "slot 12\\nStyle"] {
        assert!(dot.contains(label), "{label}");
    }
    let arrows = dot.matches(" -> \"").count();
    assert_eq!(arrows, graph.edges.iter().map(|e| e.inputs.len()).sum::<usize>());
    assert!(dot.contains("dir=both") && dot.contains("style=dashed"));
    for fields in ["Audio.volume -> Slider.value", "Audio.muted -> Checkbox.checked"] {
        assert!(dot.contains(&format!("label=\"{fields}\"")), "two-way field binding named by its fields");
    }
    assert_eq!(
        dot.matches("label=\"* -> Style.color\"").count(),
        1 + 3 + 12,
        "bar, rows and slots follow the theme"
    );
    assert!(
        dot.contains("label=\"inventory\"") && dot.contains("label=\"enemy list\""),
        "panels boxed by name"
    );
    Ok(())
}
