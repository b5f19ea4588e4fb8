//! A terminal game HUD driven by bindery.
//!
//! Game-state entities (the player's health, ammo and score, a list of
//! enemies with their own health) are bound to widget entities (a health
//! gauge whose fill and colour derive from health, labels, an enemy list
//! whose rows come and go with the enemies). A simulated game loop on its
//! own thread sends changes through a [`bindery::Handle`]; the main loop
//! ticks the engine once per frame and draws the widgets with ratatui.
//!
//! ```text
//! cargo run --example hud                  # interactive: q quits, space spawns a wave, k kills all
//! cargo run --example hud -- --frames 600  # headless: 600 ticks, then a summary (used by CI)
//! RUST_LOG=bindery=debug cargo run --example hud -- --frames 5   # see each tick's spans
//! cargo run --example hud -- --dot | dot -Tpng -o hud.png         # the binding graph
//! ```

mod model;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use bindery::{Engine, Entity, Error, TickStats};
use model::{Fill, Hud, Rng, Text, Tint, simulate};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Gauge, List, Paragraph};

/// Enemies per wave.
const WAVE: usize = 6;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.as_slice() {
        [] => interactive(),
        [flag] if flag == "--dot" => dot(),
        [flag, n] if flag == "--frames" => match n.parse() {
            Ok(frames) => headless(frames),
            Err(_) => Err(format!("--frames takes a number, not {n:?}")),
        },
        _ => Err("usage: hud [--frames N | --dot]".to_string()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hud: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the binding graph of a HUD with two enemies, in Graphviz DOT.
fn dot() -> Result<(), String> {
    let mut engine = Engine::new();
    let mut hud = Hud::new(&mut engine).map_err(|e| e.to_string())?;
    hud.spawn_wave(&mut engine, 2).map_err(|e| e.to_string())?;
    print!("{}", engine.binding_graph().to_dot());
    Ok(())
}

/// Checks that the engine holds exactly what the HUD owns.
fn check_counts(engine: &Engine, hud: &Hud, frame: u64) -> Result<(), String> {
    let got = (engine.entity_count(), engine.binding_count());
    let want = (hud.expected_entities(), hud.expected_bindings());
    if got != want {
        return Err(format!("frame {frame}: entities/bindings {got:?}, expected {want:?}"));
    }
    Ok(())
}

/// Runs `frames` ticks without a terminal: a wave every 60 frames, all
/// killed every 150, the game simulated through the handle; counts checked
/// after every tick.
fn headless(frames: u64) -> Result<(), String> {
    let mut engine = Engine::new();
    let mut hud = Hud::new(&mut engine).map_err(|e| e.to_string())?;
    let handle = engine.handle();
    let mut rng = Rng(0x2545_f491);
    let (mut waves, mut reaped, mut rejected, mut written) = (0, 0, 0, 0);
    for frame in 0..frames {
        if frame % 60 == 0 {
            hud.spawn_wave(&mut engine, WAVE).map_err(|e| e.to_string())?;
            waves += 1;
        }
        if frame % 150 == 149 {
            hud.kill_all(&mut engine).map_err(|e| e.to_string())?;
        }
        let targets: Vec<Entity> = hud.enemies.iter().map(|e| e.entity).collect();
        simulate(&handle, hud.player, &targets, &mut rng).map_err(|e| e.to_string())?;
        let stats = engine.tick();
        rejected += stats.commands_rejected;
        written += stats.properties_written;
        reaped += hud.reap(&mut engine).map_err(|e| e.to_string())?;
        check_counts(&engine, &hud, frame)?;
    }
    hud.kill_all(&mut engine).map_err(|e| e.to_string())?;
    engine.tick();
    check_counts(&engine, &hud, frames)?;
    let text = |e: Entity| engine.get::<Text>(e).map(|t| t.0).unwrap_or_default();
    let summary = format!(
        "hud: {frames} frames, {waves} waves, {reaped} enemies killed in play, {written} properties written, \
         {rejected} commands rejected (aimed at the dead); final: {} | {} | {}; \
         entities {} bindings {}: ok",
        text(hud.health_label),
        text(hud.ammo_label),
        text(hud.score_label),
        engine.entity_count(),
        engine.binding_count()
    );
    hud.teardown(&mut engine).map_err(|e| e.to_string())?;
    if (engine.entity_count(), engine.binding_count()) != (0, 0) {
        return Err(format!(
            "teardown left {} entities, {} bindings",
            engine.entity_count(),
            engine.binding_count()
        ));
    }
    println!("{summary}; teardown left nothing");
    Ok(())
}

/// The terminal HUD. The game thread sends changes through the handle; this
/// thread ticks, reaps dead enemies and draws.
fn interactive() -> Result<(), String> {
    let mut engine = Engine::new();
    let mut hud = Hud::new(&mut engine).map_err(|e| e.to_string())?;
    hud.spawn_wave(&mut engine, WAVE).map_err(|e| e.to_string())?;
    let (targets_tx, targets_rx) = bindery::crossbeam_channel::bounded::<Vec<Entity>>(1);
    let running = Arc::new(AtomicBool::new(true));
    let game = {
        let handle = engine.handle();
        let player = hud.player;
        let running = running.clone();
        thread::spawn(move || -> Result<(), Error> {
            let mut rng = Rng(0x9e37_79b9);
            let mut targets = Vec::new();
            while running.load(Ordering::Relaxed) {
                if let Ok(latest) = targets_rx.try_recv() {
                    targets = latest;
                }
                simulate(&handle, player, &targets, &mut rng)?;
                thread::sleep(Duration::from_millis(120));
            }
            Ok(())
        })
    };

    let mut terminal = ratatui::init();
    let mut last = engine.tick();
    let outcome = loop {
        let _ = targets_tx.try_send(hud.enemies.iter().map(|e| e.entity).collect());
        if let Err(e) = terminal.draw(|frame| draw(frame, &engine, &hud, &last)) {
            break Err(e.to_string());
        }
        match event::poll(Duration::from_millis(33)) {
            Ok(true) => match event::read() {
                Ok(Event::Key(key)) if key.kind == KeyEventKind::Press => match key.code {
                    KeyCode::Char('q') => break Ok(()),
                    KeyCode::Char(' ') => {
                        if let Err(e) = hud.spawn_wave(&mut engine, WAVE) {
                            break Err(e.to_string());
                        }
                    }
                    KeyCode::Char('k') => {
                        if let Err(e) = hud.kill_all(&mut engine) {
                            break Err(e.to_string());
                        }
                    }
                    _ => {}
                },
                Ok(_) => {}
                Err(e) => break Err(e.to_string()),
            },
            Ok(false) => {}
            Err(e) => break Err(e.to_string()),
        }
        let stats = engine.tick();
        if stats.commands_applied + stats.changes_applied > 0 {
            last = stats; // show the last tick that did something
        }
        if let Err(e) = hud.reap(&mut engine) {
            break Err(e.to_string());
        }
    };
    ratatui::restore();
    running.store(false, Ordering::Relaxed);
    match game.join() {
        Ok(Ok(())) | Ok(Err(Error::EngineGone)) => outcome,
        Ok(Err(e)) => Err(format!("game thread: {e}")),
        Err(_) => Err("game thread panicked".into()),
    }
}

fn color(tint: Tint) -> Color {
    match tint {
        Tint::Green => Color::Green,
        Tint::Yellow => Color::Yellow,
        Tint::Red => Color::Red,
    }
}

/// Draws the widgets from their bound components: nothing here reads game
/// state directly.
fn draw(frame: &mut ratatui::Frame<'_>, engine: &Engine, hud: &Hud, last: &TickStats) {
    let text = |e: Entity| engine.get::<Text>(e).map(|t| t.0).unwrap_or_default();
    let [gauge_area, labels_area, enemies_area, stats_area] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Min(4),
        Constraint::Length(4),
    ])
    .areas(frame.area());

    let fill = engine.get::<Fill>(hud.gauge).map(|f| f.0).unwrap_or(0.0);
    let tint = engine.get::<Tint>(hud.gauge).unwrap_or(Tint::Red);
    frame.render_widget(
        Gauge::default()
            .block(Block::bordered().title(" Health "))
            .gauge_style(Style::default().fg(color(tint)))
            .ratio(fill.clamp(0.0, 1.0))
            .label(text(hud.health_label)),
        gauge_area,
    );
    frame.render_widget(
        Paragraph::new(format!("{}    {}", text(hud.ammo_label), text(hud.score_label)))
            .block(Block::bordered()),
        labels_area,
    );
    let rows: Vec<ratatui::text::Line<'_>> = engine
        .children(hud.enemy_list)
        .into_iter()
        .map(|row| {
            let tint = engine.get::<Tint>(row).unwrap_or(Tint::Green);
            ratatui::text::Line::styled(text(row), Style::default().fg(color(tint)))
        })
        .collect();
    let title = format!(" Enemies ({}) — space: wave, k: kill all, q: quit ", rows.len());
    frame.render_widget(List::new(rows).block(Block::bordered().title(title)), enemies_area);
    frame.render_widget(
        Paragraph::new(format!(
            "entities {}  bindings {}\n{last}, {} commands ({} rejected)",
            engine.entity_count(),
            engine.binding_count(),
            last.commands_applied,
            last.commands_rejected
        ))
        .block(Block::bordered().title(" Engine ")),
        stats_area,
    );
}
