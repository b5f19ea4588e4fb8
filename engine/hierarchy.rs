//! Owned widget trees: [`Engine::spawn_child`], [`Engine::set_parent`],
//! [`Engine::despawn_recursive`].

use bindery_components::{ChildOf, Children};
use hecs::{DynamicBundle, Entity};

use crate::{Engine, Error};

impl Engine {
    /// Spawns an entity as a child of `parent`: it carries a [`ChildOf`]
    /// component and is listed in the parent's [`Children`], and
    /// [`despawn`](Engine::despawn) of the parent (or any ancestor) despawns
    /// it.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] if `parent` is not alive (nothing is spawned).
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Text(String);
    /// let mut engine = bindery::Engine::new();
    /// let panel = engine.spawn(());
    /// let title = engine.spawn_child(panel, (Text("Inventory".into()),))?;
    /// assert_eq!(engine.parent(title), Some(panel));
    /// assert_eq!(engine.children(panel), vec![title]);
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn spawn_child(&mut self, parent: Entity, bundle: impl DynamicBundle) -> Result<Entity, Error> {
        self.live()?;
        if !self.is_alive(parent) {
            return Err(Error::NoSuchEntity(parent));
        }
        let child = self.world.spawn(bundle);
        bindery_systems::attach(&mut self.world, child, parent);
        Ok(child)
    }

    /// Makes `child` a child of `parent`, moving it from any earlier parent.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] for either, [`Error::HierarchyCycle`] if
    /// `parent` is `child` or one of its descendants.
    pub fn set_parent(&mut self, child: Entity, parent: Entity) -> Result<(), Error> {
        self.live()?;
        for e in [child, parent] {
            if !self.is_alive(e) {
                return Err(Error::NoSuchEntity(e));
            }
        }
        if bindery_systems::is_ancestor(&self.world, child, parent) {
            return Err(Error::HierarchyCycle { child, parent });
        }
        bindery_systems::attach(&mut self.world, child, parent);
        Ok(())
    }

    /// Detaches `child` from its parent; returns the old parent, if any.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`].
    pub fn remove_parent(&mut self, child: Entity) -> Result<Option<Entity>, Error> {
        self.live()?;
        if !self.is_alive(child) {
            return Err(Error::NoSuchEntity(child));
        }
        Ok(bindery_systems::detach(&mut self.world, child))
    }

    /// `child`'s parent, if it has one (and is alive).
    pub fn parent(&self, child: Entity) -> Option<Entity> {
        self.world.get::<&ChildOf>(child).ok().map(|p| p.0)
    }

    /// `parent`'s children, in the order they were attached.
    pub fn children(&self, parent: Entity) -> Vec<Entity> {
        self.world.get::<&Children>(parent).map(|c| c.0.clone()).unwrap_or_default()
    }

    /// Despawns `root` and its whole subtree, and every binding, derivation,
    /// poll and observer touching any of them, in O(subtree + their
    /// bindings); exactly what [`despawn`](Engine::despawn) does, and returns
    /// how many entities were despawned. Entity and binding counts return
    /// exactly to what they were before the subtree was built.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`].
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(f32);
    /// # #[derive(Clone, Debug, PartialEq)] struct Width(f32);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(10.0),));
    /// let hud = engine.spawn(());
    /// let bar = engine.spawn_child(hud, (Width(0.0),))?;
    /// engine.bind_map(player, bar, |h: &Health| Width(h.0))?;
    /// assert_eq!(engine.despawn_recursive(hud)?, 2);
    /// assert_eq!((engine.entity_count(), engine.binding_count()), (1, 0));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn despawn_recursive(&mut self, root: Entity) -> Result<usize, Error> {
        self.despawn_tree(root)
    }
}
