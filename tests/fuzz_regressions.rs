//! Replays every input in `fuzz/regressions/` (crashes the fuzzer found,
//! minimized) and a deterministic sample of generated sequences through the
//! fuzz target's checks, so CI covers them without a fuzzer.

#[allow(dead_code)]
#[path = "../fuzz/ops.rs"]
mod ops;

#[test]
fn recorded_regressions_still_pass() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions exists") {
        let path = entry.expect("readable").path();
        if path.extension().is_some_and(|e| e == "bin") {
            let data = std::fs::read(&path).expect("readable");
            ops::run(&ops::decode(&data));
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no regression inputs in {}", dir.display());
}

#[test]
fn pseudo_random_sequences_keep_every_invariant() {
    let mut state = 0x853c_49e6_748f_ea9bu64;
    for _ in 0..300 {
        let data: Vec<u8> = (0..600)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        ops::run(&ops::decode(&data));
    }
}
