//! The AI thread: each frame it learns which enemies are alive, decides
//! what each will do, and sends it to the engine through a
//! [`Handle`](bindery::Handle), as a network or AI thread would. It runs
//! in lockstep with the frames (the main thread waits for its answer), so a
//! run is reproducible; its commands are applied by the frame's tick, after
//! the player acted, so those aimed at an enemy the player has just killed
//! are rejected by the engine.

use std::thread::{self, JoinHandle};
use std::time::Duration;

use bindery::crossbeam_channel::{self, Receiver, Sender};
use bindery::{Entity, Error, Handle};

use super::components::{Health, Intent};

/// How long the main thread waits for the AI's answer before giving up.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// What the AI knows of one enemy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnemyView {
    /// The enemy's entity.
    pub entity: Entity,
    /// Frames its strikes are offset by.
    pub cadence: u64,
    /// Damage of one strike.
    pub damage: u32,
}

/// What the AI is told at the start of a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The frame number.
    pub frame: u64,
    /// The player, whom enemies strike.
    pub player: Entity,
    /// The enemies alive when the frame began.
    pub enemies: Vec<EnemyView>,
}

/// Sends one frame's decisions through `handle`: each enemy's [`Intent`]
/// (one `set` per enemy, every frame), and a `modify` of the player's
/// health for each enemy striking now. An enemy strikes once every
/// `period` frames, winds up during the last quarter before it, and shows
/// it strikes for a few frames after. Returns the target of every command
/// sent, in order.
///
/// # Errors
/// [`Error::EngineGone`] once the engine is dropped.
pub fn think(handle: &Handle, period: u64, snapshot: &Snapshot) -> Result<Vec<Entity>, Error> {
    let period = period.max(4);
    let mut sent = Vec::with_capacity(snapshot.enemies.len() * 2);
    for enemy in &snapshot.enemies {
        let phase = (snapshot.frame + enemy.cadence) % period;
        let intent = match phase {
            0..=2 => Intent::Striking,
            p if p >= period - period / 4 => Intent::WindingUp,
            _ => Intent::Idle,
        };
        handle.set(enemy.entity, intent)?;
        sent.push(enemy.entity);
        if phase == 0 {
            let damage = enemy.damage;
            handle.modify(snapshot.player, move |h: &mut Health| h.0 = h.0.saturating_sub(damage))?;
            sent.push(snapshot.player);
        }
    }
    Ok(sent)
}

/// The AI thread and the channels to it.
#[derive(Debug)]
pub struct Ai {
    /// Snapshots to the thread; dropped to stop it.
    frames: Option<Sender<Snapshot>>,
    /// The thread's answers: the targets of the commands it sent.
    answers: Receiver<Result<Vec<Entity>, Error>>,
    /// Joined on drop.
    thread: Option<JoinHandle<()>>,
}

impl Ai {
    /// Starts the AI thread, which sends its commands through `handle`;
    /// enemies strike every `period` frames.
    pub fn spawn(handle: Handle, period: u64) -> Self {
        let (frames, inbox) = crossbeam_channel::bounded::<Snapshot>(1);
        let (reply, answers) = crossbeam_channel::bounded(1);
        let thread = thread::Builder::new()
            .name("hud-ai".into())
            .spawn(move || {
                for snapshot in inbox {
                    if reply.send(think(&handle, period, &snapshot)).is_err() {
                        break;
                    }
                }
            })
            .expect("the OS can start one more thread");
        Self { frames: Some(frames), answers, thread: Some(thread) }
    }

    /// Tells the AI about the frame and waits until it has sent its
    /// commands; returns their targets.
    ///
    /// # Errors
    /// If the thread is gone, does not answer in time, or its handle failed.
    pub fn step(&self, snapshot: Snapshot) -> Result<Vec<Entity>, String> {
        let frames = self.frames.as_ref().ok_or("the AI thread was stopped")?;
        frames.send(snapshot).map_err(|_| "the AI thread is gone".to_string())?;
        match self.answers.recv_timeout(ANSWER_TIMEOUT) {
            Ok(Ok(sent)) => Ok(sent),
            Ok(Err(e)) => Err(format!("the AI thread's handle failed: {e}")),
            Err(e) => Err(format!("no answer from the AI thread: {e}")),
        }
    }
}

impl Drop for Ai {
    /// Stops the thread (its inbox closes) and waits for it.
    fn drop(&mut self) {
        self.frames = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
