//! Drawing the game with ratatui, and the keys. Widgets are drawn from
//! their own bound components (a row's text and style, the slider's
//! value); the engine overlay shows the frame's `TickStats`, the counts
//! against the model, and the commands the engine rejected.

use std::collections::VecDeque;

use bindery::{Engine, Entity};
use ratatui::Frame;
use ratatui::crossterm::event::KeyCode;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style as Look, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::model::{Accent, Action, Audio, Checkbox, FrameReport, Session, Slider, Style, Text};

/// Lines of the message log kept.
const LOG_LINES: usize = 5;

/// What the screen remembers between frames.
#[derive(Debug, Default)]
pub struct Screen {
    /// The last frame's report.
    last: FrameReport,
    /// The newest rejections: the frame, and "call -> target: error" lines.
    rejected: Option<(u64, Vec<String>)>,
    /// The last restart's counts: torn down, rebuilt.
    restart: Option<((usize, usize), (usize, usize))>,
    /// Recent messages, newest last.
    log: VecDeque<String>,
}

impl Screen {
    /// Keeps what the frame's report has to show.
    pub fn record(&mut self, report: FrameReport) {
        if !report.rejections.is_empty() {
            let lines = report
                .rejections
                .iter()
                .map(|r| format!("{} -> {}: {}", r.call, report.target_of(r).unwrap_or("?"), r.error))
                .collect();
            self.rejected = Some((report.frame, lines));
        }
        self.restart = report.restart.or(self.restart);
        for message in &report.messages {
            if self.log.len() == LOG_LINES {
                self.log.pop_front();
            }
            self.log.push_back(message.clone());
        }
        self.last = report;
    }
}

/// The action a key stands for.
pub fn action_for(code: KeyCode) -> Option<Action> {
    Some(match code {
        KeyCode::Char('a' | ' ') | KeyCode::Enter => Action::Attack,
        KeyCode::Char('p') => Action::Potion,
        KeyCode::Down | KeyCode::Tab => Action::SelectNext,
        KeyCode::Up | KeyCode::BackTab => Action::SelectPrev,
        KeyCode::Char('i') => Action::ToggleInventory,
        KeyCode::Char('s') => Action::ToggleSettings,
        KeyCode::Right | KeyCode::Char('+' | '=') => Action::VolumeUp,
        KeyCode::Left | KeyCode::Char('-') => Action::VolumeDown,
        KeyCode::Char('t') => Action::NextTheme,
        KeyCode::Char('m') => Action::ToggleMute,
        KeyCode::Char('r') => Action::Restart,
        _ => return None,
    })
}

/// The terminal colour of an accent.
fn color(accent: Accent) -> Color {
    match accent {
        Accent::Green => Color::Green,
        Accent::Amber => Color::Yellow,
        Accent::Cyan => Color::Cyan,
        Accent::Magenta => Color::Magenta,
    }
}

/// `cells` wide bar filled to `style.width` percent, in its colour.
fn bar(style: Style, cells: usize) -> Span<'static> {
    let full = usize::from(style.width) * cells / 100;
    let mut look = Look::default().fg(color(style.color));
    if style.bold {
        look = look.add_modifier(Modifier::BOLD);
    }
    Span::styled(format!("{}{}", "█".repeat(full), "░".repeat(cells - full)), look)
}

/// A widget's text, empty if it has none.
fn text(engine: &Engine, e: Entity) -> String {
    engine.get::<Text>(e).map(|t| t.0).unwrap_or_default()
}

/// A widget's style, a plain one if it has none.
fn style(engine: &Engine, e: Entity) -> Style {
    engine.get::<Style>(e).unwrap_or(Style::new(false))
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, session: &Session, screen: &Screen) {
    let [body, keys] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(frame.area());
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(body);
    let hud = &session.hud;
    let rows = hud.enemies.len() as u16 + 2;
    let [player, enemies, panels] =
        Layout::vertical([Constraint::Length(4), Constraint::Length(rows), Constraint::Min(0)]).areas(left);
    draw_player(frame, session, player);
    draw_enemies(frame, session, enemies);
    draw_panels(frame, session, panels);
    draw_overlay(frame, session, screen, right);
    if let Some(panel) = hud.game_over {
        let [area] = Layout::vertical([Constraint::Length(5)]).flex(Flex::Center).areas(left);
        let [area] = Layout::horizontal([Constraint::Max(54)]).flex(Flex::Center).areas(area);
        frame.render_widget(Clear, area);
        let fresh = format!("a fresh game holds {} entities, {} bindings", session.fresh.0, session.fresh.1);
        frame.render_widget(
            Paragraph::new(vec![Line::from(text(&session.engine, panel)).bold(), Line::from(fresh)])
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(" Game over ").red()),
            area,
        );
    }
    frame.render_widget(
        Line::from(
            "a:attack p:potion ↑↓:select i:inventory s:settings ←→:volume t:theme m:mute r:restart q:quit",
        )
        .dark_gray(),
        keys,
    );
}

/// The player's box: the health bar (width and colour field-bound), the
/// potion, score and volume labels.
fn draw_player(frame: &mut Frame<'_>, session: &Session, area: Rect) {
    let (engine, hud) = (&session.engine, &session.hud);
    let cells = usize::from(area.width.saturating_sub(18)).min(30);
    let lines = vec![
        Line::from(vec![
            Span::raw("HP "),
            bar(style(engine, hud.health_bar), cells),
            Span::raw(" "),
            Span::raw(text(engine, hud.health_bar)),
        ]),
        Line::from(format!(
            "{}   {}   {}",
            text(engine, hud.potions_label),
            text(engine, hud.score_label),
            text(engine, hud.volume_badge)
        )),
    ];
    let title = format!(" Player - wave {} ", hud.wave);
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(title)), area);
}

/// The enemy list: each row's derived text and field-bound bar.
fn draw_enemies(frame: &mut Frame<'_>, session: &Session, area: Rect) {
    let (engine, hud) = (&session.engine, &session.hud);
    let selected = hud.enemies.get(hud.selected).map(|e| e.row);
    let lines: Vec<Line<'_>> = engine
        .children(hud.enemy_list)
        .into_iter()
        .map(|row| {
            let marker = if Some(row) == selected { "> " } else { "  " };
            let line = Line::from(vec![
                Span::raw(marker),
                bar(style(engine, row), 8),
                Span::raw(format!(" {}", text(engine, row))),
            ]);
            if Some(row) == selected { line.bold() } else { line }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Goblins ")), area);
}

/// The settings and inventory panels, when open.
fn draw_panels(frame: &mut Frame<'_>, session: &Session, area: Rect) {
    let (engine, hud) = (&session.engine, &session.hud);
    let settings_rows = if hud.settings_panel.is_some() { 5 } else { 0 };
    let [settings, inventory] =
        Layout::vertical([Constraint::Length(settings_rows), Constraint::Min(0)]).areas(area);
    if let Some(open) = hud.settings_panel {
        let slider = engine.get::<Slider>(open.slider).map_or(0, |s| s.value);
        let checked = engine.get::<Checkbox>(open.mute).is_ok_and(|c| c.checked);
        let audio = engine.get::<Audio>(hud.settings).unwrap_or(Audio { volume: 0, muted: false });
        let filled = usize::from(slider) / 5;
        let lines = vec![
            Line::from(format!(
                "volume slider [{}{}] {slider:>3}  (←/→)",
                "■".repeat(filled),
                "·".repeat(20 - filled)
            )),
            Line::from(format!(
                "mute checkbox [{}]  (m)     {}  (t)",
                if checked { "x" } else { " " },
                text(engine, open.theme_label)
            )),
            Line::from(format!(
                "audio setting: volume {}, muted {}",
                audio.volume,
                if audio.muted { "yes" } else { "no" }
            ))
            .dark_gray(),
        ];
        frame.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(" Settings (s closes) ")),
            settings,
        );
    }
    let Some(panel) = hud.inventory else {
        if hud.settings_panel.is_none() {
            let hint = "i: inventory   s: settings";
            frame.render_widget(
                Paragraph::new(hint).dark_gray().block(Block::bordered().title(" Panels ")),
                area,
            );
        }
        return;
    };
    let items = engine.children(panel);
    let [a, b] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)])
        .areas(Block::bordered().inner(inventory));
    frame.render_widget(
        Block::bordered().title(format!(" Inventory: {} items (i closes) ", items.len())),
        inventory,
    );
    let half = items.len().div_ceil(2);
    for (column, area) in [(&items[..half], a), (&items[half..], b)] {
        let lines: Vec<Line<'_>> = column
            .iter()
            .map(|&item| {
                let s = style(engine, item);
                let look = if s.bold { Look::default().bold() } else { Look::default() };
                Line::styled(format!("◆ {}", text(engine, item)), look.fg(color(s.color)))
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), area);
    }
}

/// The engine overlay: counts against the model, the frame's tick, the
/// rejected commands, the message log.
fn draw_overlay(frame: &mut Frame<'_>, session: &Session, screen: &Screen, area: Rect) {
    let (counts, expected) = (session.counts(), session.expected());
    let s = &screen.last.stats;
    let mark = if counts == expected { "ok".green() } else { "MISMATCH".red().bold() };
    let mut lines = vec![
        Line::from(format!("frame {}  tick {}", screen.last.frame, s.tick)),
        Line::from(vec![Span::raw(format!("entities {:>3}  bindings {:>3}  ", counts.0, counts.1)), mark]),
        Line::from(format!("model    {:>3}           {:>3}", expected.0, expected.1)),
        Line::from(format!("fresh    {:>3}           {:>3}", session.fresh.0, session.fresh.1)),
    ];
    if let Some((empty, rebuilt)) = screen.restart {
        lines.push(Line::from(format!("restart: {empty:?} -> {rebuilt:?}")).cyan());
    }
    lines.extend([
        Line::from("this frame's tick:").bold(),
        Line::from(format!(" commands {} applied, {} rejected", s.commands_applied, s.commands_rejected)),
        Line::from(format!(" rounds {}  faults {}", s.rounds, s.faults)),
        Line::from(format!(
            " changes {}  fired {}  written {}",
            s.changes_applied, s.bindings_fired, s.properties_written
        )),
        Line::from(format!(" took {:?}", s.duration)),
    ]);
    match &screen.rejected {
        Some((at, rejected)) => {
            lines.push(Line::from(format!("rejected at frame {at}:")).bold());
            lines.extend(rejected.iter().take(2).map(|r| Line::from(format!(" {r}")).red()));
        }
        None => lines.push(Line::from("rejected: none yet").bold()),
    }
    lines.push(Line::from("log:").bold());
    lines.extend(screen.log.iter().map(|m| Line::from(format!(" {m}"))));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered().title(" Engine ")),
        area,
    );
}
