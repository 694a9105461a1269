/**
 * A tiny deterministic PRNG (Marsaglia's xorshift32) so a fault sequence can
 * be replayed exactly from its seed. Statistical quality only needs to be
 * good enough to spread faults across requests; this is not for security.
 *
 * Returns a function yielding floats in [0, 1).
 */
export function createSeededRandom(seed: number): () => number {
  // xorshift gets stuck at 0 and produces correlated early outputs for small
  // seeds, so scramble the seed with an odd multiplier and avoid zero.
  let state = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  if (state === 0) state = 0x6d2b79f5;

  return (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

/** A fresh random 32-bit seed, for runs that did not ask for a specific one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
}
