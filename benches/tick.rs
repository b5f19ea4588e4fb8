//! Criterion benchmarks (placeholder until the scenarios land).
fn main() {}
