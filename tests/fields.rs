//! Field bindings: a binding may write one field of a component, so several
//! sources can drive one widget's style; two-way field bindings keep a
//! settings field and a slider's value together.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bindery::{BindingId, Engine, Entity, Error};

#[derive(Clone, Debug, PartialEq)]
struct Health(f32);
#[derive(Clone, Debug, PartialEq)]
struct Theme {
    accent: [u8; 4],
}
#[derive(Clone, Debug, PartialEq)]
struct Style {
    width: f32,
    color: [u8; 4],
}
#[derive(Clone, Debug, PartialEq)]
struct Settings {
    volume: f32,
    brightness: f32,
}
#[derive(Clone, Debug, PartialEq)]
struct Slider {
    value: f32,
    label: &'static str,
}
#[derive(Clone, Debug, PartialEq)]
struct Label(String);

const RED: [u8; 4] = [255, 0, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];

fn style(engine: &Engine, e: Entity) -> Style {
    engine.get::<Style>(e).expect("entity has a Style")
}

/// A player, a theme and a bar whose width and colour are field-bound.
fn hud(engine: &mut Engine) -> Result<(Entity, Entity, Entity), Error> {
    let player = engine.spawn((Health(50.0),));
    let theme = engine.spawn((Theme { accent: RED },));
    let bar = engine.spawn((Style { width: 0.0, color: [0; 4] },));
    engine.bind_field(player, bar, |h: &Health| h.0 / 100.0, |s: &mut Style| &mut s.width)?;
    engine.bind_field(theme, bar, |t: &Theme| t.accent, |s: &mut Style| &mut s.color)?;
    engine.tick();
    Ok((player, theme, bar))
}

#[test]
fn two_field_bindings_into_one_component_each_write_their_own_field() -> Result<(), Error> {
    let mut engine = Engine::new();
    let (player, theme, bar) = hud(&mut engine)?;
    assert_eq!(style(&engine, bar), Style { width: 0.5, color: RED });

    engine.set(player, Health(20.0))?;
    engine.tick();
    assert_eq!(style(&engine, bar), Style { width: 0.2, color: RED }, "health keeps the colour");
    engine.set(theme, Theme { accent: BLUE })?;
    engine.tick();
    assert_eq!(style(&engine, bar), Style { width: 0.2, color: BLUE }, "the theme keeps the width");

    engine.set(player, Health(80.0))?;
    engine.set(theme, Theme { accent: RED })?;
    let stats = engine.tick();
    assert_eq!(style(&engine, bar), Style { width: 0.8, color: RED }, "both in one tick");
    assert_eq!((stats.bindings_fired, stats.properties_written), (2, 1), "two fields, one property");
    Ok(())
}

#[test]
fn an_unchanged_field_is_not_written_and_propagates_nothing() -> Result<(), Error> {
    let mut engine = Engine::new();
    let (player, _, _) = hud(&mut engine)?;
    let bar = engine.spawn((Style { width: 0.0, color: RED },));
    engine.bind_field(player, bar, |h: &Health| f32::from(h.0 >= 50.0), |s: &mut Style| &mut s.width)?;
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    engine.on_change(bar, move |_: &Style| {
        count.fetch_add(1, Ordering::SeqCst);
    })?;
    let label = engine.spawn((Label(String::new()),));
    engine.bind_map(bar, label, |s: &Style| Label(format!("{:.1}", s.width)))?;
    engine.tick();
    seen.store(0, Ordering::SeqCst);
    engine.set(player, Health(60.0))?; // the first bar's width changes, this one's not
    let stats = engine.tick();
    assert_eq!((stats.bindings_fired, stats.properties_written), (2, 1));
    assert_eq!(engine.get::<Label>(label)?, Label("1.0".into()));
    assert_eq!(seen.load(Ordering::SeqCst), 0);
    Ok(())
}

#[test]
fn writing_a_field_changes_its_component_for_everything_downstream_in_the_same_tick() -> Result<(), Error> {
    let mut engine = Engine::new();
    let (player, _, bar) = hud(&mut engine)?;
    let label = engine.spawn((Label(String::new()),));
    let all = engine.subscribe_all::<Style>();
    engine.bind_map(bar, label, |s: &Style| Label(format!("{:.1}", s.width)))?;
    let total = engine.spawn((Label(String::new()),));
    engine
        .derive(total, (bar, player), |(s, h): (&Style, &Health)| Label(format!("{} of {}", s.width, h.0)))?;
    engine.tick();
    let _ = all.try_iter().count();
    engine.set(player, Health(10.0))?;
    engine.tick();
    assert_eq!(engine.get::<Label>(label)?, Label("0.1".into()));
    assert_eq!(engine.get::<Label>(total)?, Label("0.1 of 10".into()), "computed from the written field");
    assert_eq!(all.try_iter().collect::<Vec<_>>(), vec![(bar, Style { width: 0.1, color: RED })]);
    Ok(())
}

#[test]
fn the_newest_change_wins_each_field() -> Result<(), Error> {
    let mut engine = Engine::new();
    let (player, _, bar) = hud(&mut engine)?;
    let boost = engine.spawn((Health(0.0),));
    engine.bind_field(boost, bar, |h: &Health| h.0, |s: &mut Style| &mut s.width)?; // a second writer
    engine.tick();
    assert_eq!(style(&engine, bar).width, 0.0, "the newer binding's sync wins");

    engine.set(boost, Health(3.0))?;
    engine.set(player, Health(70.0))?;
    engine.tick();
    assert_eq!(style(&engine, bar).width, 0.7, "the player changed last");

    engine.set(player, Health(90.0))?;
    engine.set(bar, Style { width: 0.25, color: BLUE })?; // the whole component, newer
    engine.tick();
    assert_eq!(style(&engine, bar), Style { width: 0.25, color: BLUE }, "a newer whole set wins the field");

    engine.set(bar, Style { width: 0.0, color: RED })?;
    engine.set(player, Health(40.0))?; // newer than the set: goes on top of it
    engine.tick();
    assert_eq!(style(&engine, bar), Style { width: 0.4, color: RED });
    Ok(())
}

#[test]
fn two_way_field_bindings_keep_a_setting_and_a_slider_together() -> Result<(), Error> {
    let mut engine = Engine::new();
    let settings = engine.spawn((Settings { volume: 0.8, brightness: 0.5 },));
    let volume = engine.spawn((Slider { value: 0.0, label: "Volume" },));
    let brightness = engine.spawn((Slider { value: 0.0, label: "Brightness" },));
    engine.bind_two_way_field(
        settings,
        |s: &mut Settings| &mut s.volume,
        volume,
        |w: &mut Slider| &mut w.value,
    )?;
    engine.bind_two_way_field(
        settings,
        |s: &mut Settings| &mut s.brightness,
        brightness,
        |w: &mut Slider| &mut w.value,
    )?;
    engine.tick();
    assert_eq!((engine.get::<Slider>(volume)?.value, engine.get::<Slider>(brightness)?.value), (0.8, 0.5));

    // Both sliders dragged in one frame: each reaches its own field.
    engine.modify(volume, |w: &mut Slider| w.value = 0.1)?;
    engine.modify(brightness, |w: &mut Slider| w.value = 0.9)?;
    engine.tick();
    assert_eq!(engine.get::<Settings>(settings)?, Settings { volume: 0.1, brightness: 0.9 });
    assert_eq!(engine.get::<Slider>(volume)?, Slider { value: 0.1, label: "Volume" });

    // Settings loaded from disk: both sliders follow; their labels stay.
    engine.set(settings, Settings { volume: 0.6, brightness: 0.4 })?;
    engine.tick();
    assert_eq!(engine.get::<Slider>(volume)?, Slider { value: 0.6, label: "Volume" });
    assert_eq!(engine.get::<Slider>(brightness)?, Slider { value: 0.4, label: "Brightness" });
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn a_two_way_field_pair_lets_the_source_field_win_the_first_sync() -> Result<(), Error> {
    let mut engine = Engine::new();
    let settings = engine.spawn((Settings { volume: 0.8, brightness: 0.5 },));
    let slider = engine.spawn((Slider { value: 0.0, label: "Volume" },));
    let id = engine.bind_two_way_field(
        settings,
        |s: &mut Settings| &mut s.volume,
        slider,
        |w: &mut Slider| &mut w.value,
    )?;
    let stats = engine.tick();
    assert_eq!((engine.get::<Slider>(slider)?.value, stats.properties_written), (0.8, 1));
    let info = engine.binding(id)?;
    assert!(info.two_way);
    assert!(info.source_field.is_some_and(|f| f.to_string().starts_with("Settings.f32@")));
    assert!(info.target_field.is_some_and(|f| f.to_string().starts_with("Slider.f32@")));
    Ok(())
}

#[test]
fn field_bindings_refuse_bad_input_like_other_bindings_but_are_never_duplicates() -> Result<(), Error> {
    let mut engine = Engine::new();
    let (player, _, bar) = hud(&mut engine)?;
    fn width(s: &mut Style) -> &mut f32 {
        &mut s.width
    }
    assert_eq!(engine.bind_field(bar, bar, |s: &Style| s.width, width), Err(Error::SelfBinding));
    let gone = engine.spawn((Health(1.0),));
    engine.despawn(gone)?;
    assert_eq!(engine.bind_field(gone, bar, |h: &Health| h.0, width), Err(Error::NoSuchEntity(gone)));
    assert!(matches!(
        engine.bind_field(bar, player, |s: &Style| s.width, width),
        Err(Error::MissingComponent { entity, .. }) if entity == player
    ));
    // Another field binding from the same source into the same component,
    // and a whole binding beside field ones: allowed.
    engine.bind_field(player, bar, |h: &Health| h.0 / 50.0, |s: &mut Style| &mut s.width)?;
    let other = engine.spawn((Style { width: 0.0, color: BLUE },));
    engine.bind::<Style>(other, bar)?;
    engine.bind_field(other, bar, |s: &Style| s.color, |s: &mut Style| &mut s.color)?;
    assert_eq!(engine.binding_count(), 5);
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn pausing_unbinding_and_despawning_cover_field_bindings() -> Result<(), Error> {
    let mut engine = Engine::new();
    let baseline = (engine.entity_count(), engine.binding_count());
    let (player, theme, bar) = hud(&mut engine)?;
    let width: BindingId = engine.bindings_of(player).next().expect("the width binding");
    assert_eq!(engine.bindings_of(bar).count(), 2);

    engine.set_enabled(width, false)?;
    engine.set(player, Health(10.0))?;
    engine.tick();
    assert_eq!(style(&engine, bar).width, 0.5, "paused");
    engine.set_enabled(width, true)?;
    engine.tick();
    assert_eq!(style(&engine, bar).width, 0.1, "resumed: re-synced");

    engine.unbind(width)?;
    engine.set(player, Health(30.0))?;
    assert_eq!(engine.tick().bindings_fired, 0);

    let token = Arc::new(0.0f32);
    let held = token.clone();
    engine.bind_field(player, bar, move |h: &Health| h.0 + *held, |s: &mut Style| &mut s.width)?;
    engine.despawn(bar)?;
    assert_eq!(Arc::strong_count(&token), 1, "the transform went with its target");
    engine.despawn(player)?;
    engine.despawn(theme)?;
    assert_eq!((engine.entity_count(), engine.binding_count()), baseline);
    assert_eq!(engine.check_invariants(), Ok(()));
    Ok(())
}

#[test]
fn a_handle_makes_field_bindings() -> Result<(), Error> {
    let mut engine = Engine::new();
    let player = engine.spawn((Health(50.0),));
    let bar = engine.spawn((Style { width: 0.0, color: RED },));
    let settings = engine.spawn((Settings { volume: 0.8, brightness: 0.5 },));
    let slider = engine.spawn((Slider { value: 0.0, label: "Volume" },));
    let handle = engine.handle();
    let one = handle.bind_field(player, bar, |h: &Health| h.0 / 100.0, |s: &mut Style| &mut s.width)?;
    let two = handle.bind_two_way_field(
        settings,
        |s: &mut Settings| &mut s.volume,
        slider,
        |w: &mut Slider| &mut w.value,
    )?;
    engine.tick();
    assert!(one.wait().is_ok() && two.wait().is_ok());
    assert_eq!((style(&engine, bar).width, engine.get::<Slider>(slider)?.value), (0.5, 0.8));
    Ok(())
}

#[test]
fn a_hundred_thousand_field_bindings_fire_once_each() -> Result<(), Error> {
    let mut engine = Engine::new();
    let player = engine.spawn((Health(50.0),));
    let bars: Vec<Entity> = (0..100_000).map(|_| engine.spawn((Style { width: 0.0, color: RED },))).collect();
    for &bar in &bars {
        engine.bind_field(player, bar, |h: &Health| h.0 / 100.0, |s: &mut Style| &mut s.width)?;
    }
    assert_eq!(engine.tick().bindings_fired, 100_000);
    engine.set(player, Health(10.0))?;
    let stats = engine.tick();
    assert_eq!((stats.bindings_fired, stats.properties_written), (100_000, 100_000));
    assert!(bars.iter().all(|&b| style(&engine, b) == Style { width: 0.1, color: RED }));
    Ok(())
}

#[test]
fn the_graph_names_fields_and_keeps_same_named_types_apart() -> Result<(), Error> {
    mod a {
        #[derive(Clone, Debug, PartialEq)]
        pub struct Health(pub f32);
    }
    #[derive(Clone, Debug, PartialEq)]
    struct Gen<T>(T);
    let mut engine = Engine::new();
    let (_, _, bar) = hud(&mut engine)?;
    let e = engine.spawn((Gen(1u32), Gen(1.0f32), a::Health(1.0), Health(1.0)));
    let f = engine.spawn((Gen(0u32), Gen(0.0f32), a::Health(0.0), Health(0.0)));
    engine.bind::<Gen<u32>>(e, f)?;
    engine.bind::<Gen<f32>>(e, f)?;
    engine.bind::<a::Health>(e, f)?;
    engine.bind::<Health>(e, f)?;
    let dot = engine.binding_graph().to_dot();
    let nodes = dot.lines().filter(|l| l.contains("[label=") && !l.contains("->")).count();
    assert_eq!(nodes, 3 + 8, "player, theme, bar, and four properties on each of e and f");
    assert!(dot.contains("Gen<u32>") && dot.contains("Gen<f32>"));
    assert!(dot.contains("label=\"Health -> Style.f32@") || dot.contains("* -> Style.f32@"), "{dot}");
    assert!(dot.contains(&format!("{}v", bar.id())));
    Ok(())
}
