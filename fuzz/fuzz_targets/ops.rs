//! libFuzzer target: random operation sequences against the engine's own
//! invariants. `cargo fuzz run ops` (see `fuzz/README.md`).
#![no_main]

#[path = "../ops.rs"]
mod ops;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ops::run(&ops::decode(data));
});
