//! The baseline: the speed of light for this work on this machine.
//!
//! Plain `Vec<f64>` values, a CSR adjacency (`offsets`, `targets`) and a dirty
//! list, with bindery's settle-in-one-tick rule (breadth-first, each value
//! written at most once per tick, equality-gated). No entities, no types, no
//! cleanup.

/// A CSR graph of `f64` values.
pub struct Csr {
    /// The values.
    pub values: Vec<f64>,
    offsets: Vec<u32>,
    targets: Vec<u32>,
    mark: Vec<u32>,
    epoch: u32,
    dirty: Vec<u32>,
    next: Vec<u32>,
}

impl Csr {
    /// Builds the graph of `n` values from `(source, target)` edges.
    pub fn new(n: usize, edges: &[(u32, u32)]) -> Self {
        let mut offsets = vec![0u32; n + 1];
        for &(s, _) in edges {
            offsets[s as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; edges.len()];
        for &(s, t) in edges {
            targets[fill[s as usize] as usize] = t;
            fill[s as usize] += 1;
        }
        Self {
            values: vec![0.0; n],
            offsets,
            targets,
            mark: vec![0; n],
            epoch: 0,
            dirty: Vec::new(),
            next: Vec::new(),
        }
    }

    /// Sets a value (if it differs) and marks it dirty.
    #[inline]
    pub fn set(&mut self, i: u32, value: f64) {
        let v = &mut self.values[i as usize];
        if *v != value {
            *v = value;
            self.dirty.push(i);
        }
    }

    /// Propagates until settled; returns how many values were written.
    pub fn tick(&mut self) -> usize {
        self.epoch += 1;
        let epoch = self.epoch;
        let mut written = 0;
        for &s in &self.dirty {
            self.mark[s as usize] = epoch;
        }
        while !self.dirty.is_empty() {
            for &s in &self.dirty {
                let s = s as usize;
                let value = self.values[s];
                for k in self.offsets[s]..self.offsets[s + 1] {
                    let t = self.targets[k as usize] as usize;
                    if self.mark[t] != epoch {
                        self.mark[t] = epoch;
                        if self.values[t] != value {
                            self.values[t] = value;
                            self.next.push(t as u32);
                            written += 1;
                        }
                    }
                }
            }
            std::mem::swap(&mut self.dirty, &mut self.next);
            self.next.clear();
        }
        written
    }
}

/// The cellx layers recomputed straight: `layers * 4` values.
pub fn cellx(first: [f64; 4], layers: usize, out: &mut Vec<[f64; 4]>) {
    out.clear();
    out.push(first);
    for l in 1..layers {
        let p = out[l - 1];
        out.push([p[1], p[0] - p[2], p[1] + p[3], p[2]]);
    }
}
