//! Making and managing bindings: [`Engine::bind`] and its kin,
//! [`Engine::derive`], [`Engine::unbind`], [`Engine::set_enabled`], and
//! looking at them.

use std::any::TypeId;

use bindery_components::{BindingId, BindingInfo, Property};
use bindery_systems::{BindingsOf, DeriveFn, Sources};
use hecs::Entity;

use crate::{Engine, Error};

impl Engine {
    /// Binds `source`'s property `T` to `target`'s property `T`, one way:
    /// whenever the source changes, the next tick copies it into the target.
    /// The next tick also copies it once now (initial sync).
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`] for either
    /// endpoint (the error's entity names the side), [`Error::SelfBinding`]
    /// if both are the same entity, [`Error::DuplicateBinding`] if the two
    /// properties are bound this way already.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Volume(f32);
    /// let mut engine = bindery::Engine::new();
    /// let setting = engine.spawn((Volume(0.8),));
    /// let mixer = engine.spawn((Volume(0.0),));
    /// engine.bind::<Volume>(setting, mixer)?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Volume>(mixer)?, Volume(0.8));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn bind<T: Property>(&mut self, source: Entity, target: Entity) -> Result<BindingId, Error> {
        self.bind_map(source, target, T::clone)
    }

    /// Binds `source`'s property `S` to `target`'s property `T` through the
    /// transform `f`, one way (NiceGUI's `bind_to` with `forward=`). The next
    /// tick runs `f` once for the initial sync, and again on every change of
    /// the source.
    ///
    /// Several bindings may leave one property and several may write one
    /// property; when more than one change reaches a property in a tick, the
    /// newest change wins (see [`tick`](Engine::tick)).
    ///
    /// `f` should be a pure function of its input: it runs during the tick,
    /// with no access to the engine.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`] for either
    /// endpoint (the error's entity names the side), [`Error::SelfBinding`]
    /// if `source == target` and `S` is `T`, [`Error::DuplicateBinding`] if
    /// `source`'s `S` already binds `target`'s `T` (one way or two ways).
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(f32);
    /// # #[derive(Clone, Debug, PartialEq)] struct Label(String);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(100.0), Label(String::new())));
    /// engine.bind_map(player, player, |h: &Health| Label(format!("{} HP", h.0)))?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Label>(player)?, Label("100 HP".into()));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn bind_map<S, T, F>(&mut self, source: Entity, target: Entity, f: F) -> Result<BindingId, Error>
    where
        S: Property,
        T: Property,
        F: Fn(&S) -> T + Send + 'static,
    {
        self.live()?;
        self.check_binding::<S, T>(source, target)?;
        self.graph.try_link_map(source, target, f).map_err(Error::DuplicateBinding)
    }

    /// Binds `source`'s property `T` and `target`'s property `T` both ways;
    /// **`source`'s value survives the first sync** (it is copied into
    /// `target`), exactly as with [`bind`](Engine::bind).
    ///
    /// After that, a change on either side reaches the other on the next
    /// tick. (NiceGUI's `bind` lets the second object win the first sync;
    /// bindery keeps one rule for one-way and two-way bindings: put the
    /// value that must survive, a loaded setting say, first.) If both ends
    /// are set in the same tick, the end set last wins and flows to the
    /// other; each end is written at most once per tick, so the pair never
    /// ping-pongs.
    ///
    /// # Errors
    /// As [`bind`](Engine::bind); a two-way binding occupies both
    /// directions, so [`Error::DuplicateBinding`] if the two properties are
    /// bound either way already.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Volume(f32);
    /// let mut engine = bindery::Engine::new();
    /// let slider = engine.spawn((Volume(0.25),));
    /// let setting = engine.spawn((Volume(1.0),));
    /// engine.bind_two_way::<Volume>(slider, setting)?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Volume>(setting)?, Volume(0.25), "source wins");
    /// engine.set(setting, Volume(0.5))?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Volume>(slider)?, Volume(0.5));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn bind_two_way<T: Property>(&mut self, source: Entity, target: Entity) -> Result<BindingId, Error> {
        self.bind_two_way_map(source, target, T::clone, T::clone)
    }

    /// Binds `source`'s property `A` and `target`'s property `B` both ways,
    /// through `forward` (source to target) and `backward` (target to
    /// source), like NiceGUI's `bind` with `forward=` and `backward=`;
    /// **`source`'s value survives the first sync** (`forward` runs).
    ///
    /// The two transforms should be inverses of each other. If they are not,
    /// the pair still settles: the value never travels straight back along
    /// the binding it came from within a tick.
    ///
    /// # Errors
    /// As [`bind`](Engine::bind).
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Celsius(f64);
    /// # #[derive(Clone, Debug, PartialEq)] struct Fahrenheit(f64);
    /// let mut engine = bindery::Engine::new();
    /// let c = engine.spawn((Celsius(100.0),));
    /// let f = engine.spawn((Fahrenheit(0.0),));
    /// engine.bind_two_way_map(
    ///     c,
    ///     f,
    ///     |c: &Celsius| Fahrenheit(c.0 * 9.0 / 5.0 + 32.0),
    ///     |f: &Fahrenheit| Celsius((f.0 - 32.0) * 5.0 / 9.0),
    /// )?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Fahrenheit>(f)?, Fahrenheit(212.0));
    /// engine.set(f, Fahrenheit(32.0))?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Celsius>(c)?, Celsius(0.0));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn bind_two_way_map<A, B, F, G>(
        &mut self,
        source: Entity,
        target: Entity,
        forward: F,
        backward: G,
    ) -> Result<BindingId, Error>
    where
        A: Property,
        B: Property,
        F: Fn(&A) -> B + Send + 'static,
        G: Fn(&B) -> A + Send + 'static,
    {
        self.live()?;
        self.check_binding::<A, B>(source, target)?;
        self.graph.try_link_two_way(source, target, forward, backward).map_err(Error::DuplicateBinding)
    }

    /// Binds one field of `target`'s component `T` to `source`'s property
    /// `S`, one way: `f` computes the field's value from the source, and
    /// `field` names the field (`|s: &mut Style| &mut s.width`). Only that
    /// field is written; the component's other fields keep theirs, so
    /// several field bindings into one component, from different sources,
    /// coexist. The next tick syncs the field once, as for
    /// [`bind_map`](Engine::bind_map).
    ///
    /// A field is equality-gated on its own: a value equal to the field's
    /// is not written and propagates nothing. Writing a field changes its
    /// component: bindings, derivations and observers of the component run
    /// as for any change, in the same tick. The settle rules apply per
    /// field: of several changes reaching one field, the newest wins; a
    /// `set` of the whole component made after a field's source changed
    /// wins over that field binding, one made before loses to it.
    ///
    /// `field` is called once now, on the target's component, to recognise
    /// the field by where it lies (two accessors of the same field are the
    /// same field), and again at every write. It should only name a field.
    ///
    /// # Errors
    /// As [`bind_map`](Engine::bind_map), except that field bindings are
    /// never duplicates; [`Error::SelfBinding`] if `source == target` and
    /// `S` is `T` (a component bound to a field of itself).
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(f32);
    /// # #[derive(Clone, Debug, PartialEq)] struct Theme { accent: [u8; 4] }
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct Style { width: f32, color: [u8; 4] }
    ///
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(50.0),));
    /// let theme = engine.spawn((Theme { accent: [255, 0, 0, 255] },));
    /// let bar = engine.spawn((Style { width: 0.0, color: [0; 4] },));
    /// engine.bind_field(player, bar, |h: &Health| h.0 / 100.0, |s: &mut Style| &mut s.width)?;
    /// engine.bind_field(theme, bar, |t: &Theme| t.accent, |s: &mut Style| &mut s.color)?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Style>(bar)?, Style { width: 0.5, color: [255, 0, 0, 255] });
    /// engine.set(player, Health(20.0))?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Style>(bar)?.color, [255, 0, 0, 255], "the other field keeps its value");
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn bind_field<S, T, V, F, A>(
        &mut self,
        source: Entity,
        target: Entity,
        f: F,
        field: A,
    ) -> Result<BindingId, Error>
    where
        S: Property,
        T: Property,
        V: PartialEq + Send + 'static,
        F: Fn(&S) -> V + Send + 'static,
        A: Fn(&mut T) -> &mut V + Send + 'static,
    {
        self.live()?;
        self.check_binding::<S, T>(source, target)?;
        let id = self.field_id(target, &field)?;
        Ok(self.graph.link_field(source, target, f, (id, field)))
    }

    /// Binds a field of `source`'s component `A` and a field of `target`'s
    /// component `B`, of one value type, both ways; **the source field's
    /// value survives the first sync** (it is copied into the target field),
    /// as with [`bind_two_way`](Engine::bind_two_way). Each direction writes
    /// only its field, equality-gated, under the settle rules per field (see
    /// [`bind_field`](Engine::bind_field)). The accessors are cloned: one
    /// copy for each direction.
    ///
    /// A `set` or `modify` of either component is a change of the whole
    /// component, every field included: made later in a frame than a change
    /// of the other end's field, it wins the bound field too (the newest
    /// change wins). Widgets that each write their own field of a settings
    /// component (a slider, a checkbox), each bound to its field, never
    /// undo each other.
    ///
    /// # Errors
    /// As [`bind_field`](Engine::bind_field).
    ///
    /// # Example
    /// ```
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct Settings { volume: f32, brightness: f32 }
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct Slider { value: f32, label: String }
    ///
    /// let mut engine = bindery::Engine::new();
    /// let settings = engine.spawn((Settings { volume: 0.8, brightness: 0.5 },));
    /// let slider = engine.spawn((Slider { value: 0.0, label: "Volume".into() },));
    /// engine.bind_two_way_field(
    ///     settings,
    ///     |s: &mut Settings| &mut s.volume,
    ///     slider,
    ///     |w: &mut Slider| &mut w.value,
    /// )?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Slider>(slider)?.value, 0.8, "the loaded setting survives");
    /// engine.modify(slider, |w: &mut Slider| w.value = 0.3)?; // the user drags
    /// engine.tick();
    /// assert_eq!(engine.get::<Settings>(settings)?, Settings { volume: 0.3, brightness: 0.5 });
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn bind_two_way_field<A, B, V, FA, FB>(
        &mut self,
        source: Entity,
        source_field: FA,
        target: Entity,
        target_field: FB,
    ) -> Result<BindingId, Error>
    where
        A: Property,
        B: Property,
        V: PartialEq + Clone + Send + 'static,
        FA: Fn(&mut A) -> &mut V + Clone + Send + 'static,
        FB: Fn(&mut B) -> &mut V + Clone + Send + 'static,
    {
        self.live()?;
        self.check_binding::<A, B>(source, target)?;
        let from = self.field_id(source, &source_field)?;
        let to = self.field_id(target, &target_field)?;
        Ok(self.graph.link_two_way_field((source, from, source_field), (target, to, target_field)))
    }

    /// The interned field `access` names in `entity`'s component `T` (which
    /// the caller checked is there).
    fn field_id<T: Property, V: 'static, A: Fn(&mut T) -> &mut V + 'static>(
        &mut self,
        entity: Entity,
        access: &A,
    ) -> Result<u16, Error> {
        let component =
            self.world.query_one_mut::<&mut T>(entity).map_err(|_| Error::missing::<T>(entity))?;
        let key = bindery_systems::FieldKey::of(component, access);
        Ok(self.graph.field(key))
    }

    /// Derives `target`'s property `T` from several properties: `f` receives
    /// references to the properties `M` of `sources` (a tuple of one to six
    /// entities) and returns the value. Glitch-free: within a tick a derived
    /// property is computed at most once, after all its inputs have settled
    /// (derivations run in topological order, lowest first), never from a
    /// half-updated mix. Derived properties can feed further derivations and
    /// plain bindings at any depth. The next tick computes it a first time.
    ///
    /// The derivation is a binding like any other: [`unbind`](Engine::unbind)
    /// removes it, despawning any source or the target removes it,
    /// [`set_enabled`](Engine::set_enabled) pauses it. A cycle through a
    /// derivation terminates (each derivation runs once per pass) and is
    /// counted in `TickStats::cycles_cut`.
    ///
    /// # Errors
    /// [`Error::NoSuchEntity`] or [`Error::MissingComponent`] for any
    /// endpoint, [`Error::SelfBinding`] if the target property is one of the
    /// sources.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Health(f32);
    /// # #[derive(Clone, Debug, PartialEq)] struct MaxHealth(f32);
    /// # #[derive(Clone, Debug, PartialEq)] struct Fraction(f32);
    /// let mut engine = bindery::Engine::new();
    /// let player = engine.spawn((Health(50.0), MaxHealth(200.0)));
    /// let bar = engine.spawn((Fraction(0.0),));
    /// engine.derive(bar, (player, player), |(h, m): (&Health, &MaxHealth)| Fraction(h.0 / m.0))?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Fraction>(bar)?, Fraction(0.25));
    /// engine.set(player, MaxHealth(100.0))?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Fraction>(bar)?, Fraction(0.5));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn derive<M, T, F>(&mut self, target: Entity, sources: M::Entities, f: F) -> Result<BindingId, Error>
    where
        M: Sources,
        T: Property,
        F: DeriveFn<M, T>,
    {
        self.live()?;
        let inputs = bindery_systems::describe_sources::<M>(sources);
        for &(entity, _, _) in &inputs {
            if !self.is_alive(entity) {
                return Err(Error::NoSuchEntity(entity));
            }
        }
        if !self.is_alive(target) {
            return Err(Error::NoSuchEntity(target));
        }
        if inputs.iter().any(|&(e, ty, _)| e == target && ty == TypeId::of::<T>()) {
            return Err(Error::SelfBinding);
        }
        bindery_systems::check_sources::<M>(&self.world, sources)
            .map_err(|(entity, component)| Error::MissingComponent { entity, component })?;
        self.check_component::<T>(target)?;
        Ok(self.graph.link_derive::<M, T, F>(target, sources, f))
    }

    /// Removes a binding. Both endpoints keep their current values: a target
    /// holds the last value it received.
    ///
    /// # Errors
    /// [`Error::NoSuchBinding`] if it was already removed (unbound, or an
    /// endpoint despawned).
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let (a, b) = (engine.spawn((Score(1),)), engine.spawn((Score(0),)));
    /// let id = engine.bind::<Score>(a, b)?;
    /// engine.unbind(id)?;
    /// assert_eq!(engine.unbind(id), Err(bindery::Error::NoSuchBinding(id)));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn unbind(&mut self, id: BindingId) -> Result<(), Error> {
        self.live()?;
        if self.graph.unlink(id) { Ok(()) } else { Err(Error::NoSuchBinding(id)) }
    }

    /// Pauses (`false`) or resumes (`true`) a binding. A paused binding keeps
    /// its place but carries nothing; on resume, the next tick syncs the
    /// target from the source again, as on creation.
    ///
    /// # Errors
    /// [`Error::NoSuchBinding`].
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let (a, b) = (engine.spawn((Score(1),)), engine.spawn((Score(0),)));
    /// let id = engine.bind::<Score>(a, b)?;
    /// engine.set_enabled(id, false)?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Score>(b)?, Score(0));
    /// engine.set_enabled(id, true)?;
    /// engine.tick();
    /// assert_eq!(engine.get::<Score>(b)?, Score(1));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn set_enabled(&mut self, id: BindingId, enabled: bool) -> Result<(), Error> {
        self.live()?;
        if self.graph.set_enabled(id, enabled) { Ok(()) } else { Err(Error::NoSuchBinding(id)) }
    }

    /// Every live binding touching `entity`, as source or target, each once
    /// (a two-way binding included). Empty for an entity without bindings or
    /// not alive.
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let (a, b, c) = (engine.spawn((Score(1),)), engine.spawn((Score(0),)), engine.spawn((Score(0),)));
    /// let ab = engine.bind::<Score>(a, b)?;
    /// let bc = engine.bind_two_way::<Score>(b, c)?;
    /// let mut of_b: Vec<_> = engine.bindings_of(b).collect();
    /// of_b.sort();
    /// assert_eq!(of_b, vec![ab, bc]);
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn bindings_of(&self, entity: Entity) -> BindingsOf {
        self.graph.bindings_of(entity)
    }

    /// A description of a live binding: endpoints, property types, direction,
    /// whether it is enabled.
    ///
    /// # Errors
    /// [`Error::NoSuchBinding`].
    ///
    /// # Example
    /// ```
    /// # #[derive(Clone, Debug, PartialEq)] struct Score(u32);
    /// let mut engine = bindery::Engine::new();
    /// let (a, b) = (engine.spawn((Score(1),)), engine.spawn((Score(0),)));
    /// let id = engine.bind_two_way::<Score>(a, b)?;
    /// let info = engine.binding(id)?;
    /// assert_eq!((info.source, info.target, info.two_way), (a, b, true));
    /// assert!(info.source_type.ends_with("Score"));
    /// # Ok::<(), bindery::Error>(())
    /// ```
    pub fn binding(&self, id: BindingId) -> Result<BindingInfo, Error> {
        self.live()?;
        self.graph.info(id).ok_or(Error::NoSuchBinding(id))
    }

    /// Every live binding, in no particular order.
    pub fn bindings(&self) -> impl Iterator<Item = BindingId> + '_ {
        self.graph.bindings()
    }

    /// Validates a binding's endpoints, looking each entity up once. Errors
    /// come in a fixed order: a dead source, a dead target, a self-binding,
    /// then a missing component.
    pub(crate) fn check_binding<S: Property, T: Property>(
        &self,
        source: Entity,
        target: Entity,
    ) -> Result<(), Error> {
        let source_has = self.has_component::<S>(source)?;
        let target_has = self.has_component::<T>(target)?;
        if source == target && TypeId::of::<S>() == TypeId::of::<T>() {
            return Err(Error::SelfBinding);
        }
        if !source_has {
            return Err(Error::missing::<S>(source));
        }
        if !target_has {
            return Err(Error::missing::<T>(target));
        }
        Ok(())
    }
}
