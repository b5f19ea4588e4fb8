//! A small game in the terminal, its HUD driven by bindery.
//!
//! The player fights waves of goblins: attack the selected one, drink
//! potions, switch targets. An AI thread decides what each goblin does and
//! sends it through a [`bindery::Handle`]; the main thread applies the
//! player's keys, ticks the engine once per frame and draws the widgets
//! (which only read their bound components) with ratatui. A settings panel
//! holds a volume slider bound two-way to the audio setting and a theme
//! that colours every themed widget through field bindings; the inventory
//! is a panel of a dozen item widgets, torn down by one `despawn`. When the
//! player dies, a restart tears everything down and rebuilds it, and the
//! overlay shows the counts returning exactly.
//!
//! ```text
//! cargo run --example hud                  # play (keys: --help)
//! cargo run --example hud -- --frames 600  # headless scripted play, counts checked every frame (CI)
//! cargo run --example hud -- --dot | dot -Tpng -o hud.png   # the binding graph, nodes by Name
//! RUST_LOG=bindery=debug cargo run --example hud -- --frames 5 # each tick's spans
//! ```

/// The game, without the terminal.
mod model;
/// Drawing and keys.
mod ui;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use model::{Rules, Script, Session};
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind};

/// How long one interactive frame lasts (about 30 frames a second).
const FRAME: Duration = Duration::from_millis(33);

/// The keys, for `--help`.
const KEYS: &str = "\
Keys:
  a, space, enter   attack the selected goblin
  p                 drink a potion
  up/down, tab      select another goblin
  i                 open/close the inventory (12 item widgets; closing despawns them)
  s                 open/close the settings
  left/right, -/+   move the volume slider (settings open; the audio setting follows)
  t                 next theme (settings open; recolours bar, rows and items)
  m                 tick the mute checkbox (settings open; the audio setting follows)
  r                 restart after game over (everything torn down and rebuilt)
  q, esc            quit";

/// A terminal game whose HUD is driven by bindery.
#[derive(Parser, Debug)]
#[command(name = "hud", about = "A small terminal game whose HUD is driven by bindery", after_help = KEYS)]
struct Args {
    /// Play N frames headless with a scripted player, checking the exact
    /// entity and binding counts, the rejected commands and the bound
    /// values after every frame; exits non-zero on any mismatch.
    #[arg(long, value_name = "N", conflicts_with = "dot")]
    frames: Option<u64>,
    /// Print the binding graph of a game with the settings and the
    /// inventory open, in Graphviz DOT, each node labelled by its entity's
    /// Name.
    #[arg(long)]
    dot: bool,
}

/// Parses the arguments (`--help` prints the usage and the keys, and exits
/// 0) and runs the chosen mode; exits 1 with a message if it fails. Logs
/// (`RUST_LOG`) go to stderr in the headless modes only: the terminal game
/// owns the screen, and shows the rejected commands itself.
fn main() -> ExitCode {
    let args = Args::parse();
    if args.frames.is_some() || args.dot {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let outcome = match (args.frames, args.dot) {
        (Some(frames), _) => headless(frames),
        (None, true) => dot(),
        (None, false) => interactive(),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hud: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the binding graph of a fresh game with both panels open.
fn dot() -> Result<(), String> {
    let mut session = Session::new(Rules::INTERACTIVE)?;
    session.step(&[model::Action::ToggleSettings, model::Action::ToggleInventory])?;
    print!("{}", model::dot::dot(&session.engine));
    Ok(())
}

/// Frames of scripted play within which a game over and a restart must
/// have happened (CI runs exactly this many).
const GAME_OVER_WITHIN: u64 = 600;

/// Plays `frames` frames with the scripted player; every frame is checked
/// by [`Session::step`]. Prints the notable frames and a summary.
fn headless(frames: u64) -> Result<(), String> {
    let mut session = Session::new(Rules::SCRIPTED)?;
    let mut script = Script::default();
    let mut shown = 0;
    println!("hud: fresh game {:?} (entities, bindings)", session.fresh);
    for _ in 0..frames {
        let actions = script.actions(session.frame, &session.hud, &session.engine);
        let report = session.step(&actions)?;
        if let Some((empty, rebuilt)) = report.restart {
            println!("frame {:>3}: restart: torn down to {empty:?}, rebuilt {rebuilt:?}", report.frame);
        }
        if report.messages.iter().any(|m| m == "you died") {
            println!("frame {:>3}: game over at wave {}", report.frame, session.hud.wave);
        }
        for rejection in report.rejections.iter().take(3usize.saturating_sub(shown)) {
            let target = report.target_of(rejection).unwrap_or("?");
            println!(
                "frame {:>3}: AI command rejected: {} -> {target}: {}",
                report.frame, rejection.call, rejection.error
            );
            shown += 1;
        }
    }
    let t = session.totals;
    if frames >= GAME_OVER_WITHIN && (t.game_overs == 0 || t.restarts == 0) {
        return Err(format!("no game over and restart within {frames} frames: {t:?}"));
    }
    let last = session.counts();
    let left = session.finish()?;
    println!(
        "hud: {frames} frames ok: {} kills, {} game overs, {} restarts; AI sent {} commands, {} rejected \
         (aimed at goblins killed that frame); {} properties written; counts {last:?} matched the model \
         every frame; final teardown left {left:?}",
        t.kills, t.game_overs, t.restarts, t.ai_commands, t.rejected, t.written
    );
    Ok(())
}

/// Plays in the terminal until `q`.
fn interactive() -> Result<(), String> {
    let mut session = Session::new(Rules::INTERACTIVE)?;
    let mut terminal = ratatui::init();
    let outcome = play(&mut terminal, &mut session);
    ratatui::restore();
    outcome
}

/// The frame loop: keys until the frame's time is up, a step, a draw.
fn play(terminal: &mut DefaultTerminal, session: &mut Session) -> Result<(), String> {
    let mut screen = ui::Screen::default();
    let mut deadline = Instant::now();
    loop {
        deadline += FRAME;
        let mut actions = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if !event::poll(left).map_err(|e| e.to_string())? {
                break;
            }
            match event::read().map_err(|e| e.to_string())? {
                Event::Key(key) if key.kind == KeyEventKind::Press => match key.code {
                    KeyCode::Char('q') | KeyCode::Esc => return Ok(()),
                    code => actions.extend(ui::action_for(code)),
                },
                _ => {}
            }
        }
        deadline = deadline.max(Instant::now());
        let report = session.step(&actions)?;
        screen.record(report);
        terminal.draw(|frame| ui::draw(frame, session, &screen)).map_err(|e| e.to_string())?;
    }
}
