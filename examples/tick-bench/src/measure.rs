//! Measuring helpers: sample statistics and the resident set size.

/// Median and minimum of samples.
pub fn stats_ns(samples: &[u64]) -> (u64, u64) {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    (sorted.get(sorted.len() / 2).copied().unwrap_or(0), sorted.first().copied().unwrap_or(0))
}

/// The process's resident set size, from `/proc/self/status` (0 where that
/// does not exist).
pub fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<usize>().ok()))
        })
        .map_or(0, |kb| kb * 1024)
}
