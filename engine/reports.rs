//! What the last tick refused: [`Rejection`]s of queued commands.

use crate::Error;

/// A command from a [`Handle`](crate::Handle) that failed when a tick applied
/// it: which call it was and why. Kept for the last tick by
/// [`Engine::rejections`](crate::Engine::rejections), so a network thread's
/// bad commands can be found without a tracing subscriber.
///
/// # Example
/// ```
/// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
/// use bindery::{Engine, Error, Rejection};
///
/// let mut engine = Engine::new();
/// let gone = engine.spawn((Score(0),));
/// engine.despawn(gone)?;
/// engine.handle().set(gone, Score(1))?;
/// assert_eq!(engine.tick().commands_rejected, 1);
/// assert_eq!(engine.rejections(), &[Rejection { call: "set", error: Error::NoSuchEntity(gone) }]);
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The `Handle` method that queued the command (`"set"`, `"bind"`,
    /// `"request"`, ...).
    pub call: &'static str,
    /// Why it failed.
    pub error: Error,
}
