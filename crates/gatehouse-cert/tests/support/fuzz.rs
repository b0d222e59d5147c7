//! Seeded random inputs for "never panics" properties: reproducible, so a failure names the
//! seed and case that broke.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A generator; the seed is printed so a failing run can be replayed.
pub fn generator(seed: u64) -> StdRng {
    println!("fuzz seed {seed}");
    StdRng::seed_from_u64(seed)
}

/// Random bytes of a random length up to `max`.
pub fn bytes(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let len = rng.random_range(0..=max);
    (0..len).map(|_| rng.random()).collect()
}

/// `input` with a few bytes overwritten, inserted or removed, or cut short.
pub fn mutate(rng: &mut StdRng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let at = rng.random_range(0..=out.len());
        match rng.random_range(0..4) {
            0 if at < out.len() => out[at] = rng.random(),
            1 => out.insert(at, rng.random()),
            2 if at < out.len() => {
                out.remove(at);
            }
            _ => out.truncate(at),
        }
    }
    out
}
