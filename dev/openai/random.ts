/**
 * Deterministic randomness: answers are seeded by a hash of the request, so the same messages
 * always give the same completion, and each part of an answer draws from its own stream so
 * changing one criterion does not reshuffle the rest.
 */
import { createHash } from 'node:crypto';

export function hashSeed(...parts: string[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0);
}

export type Random = () => number;

/** mulberry32: floats in [0, 1). */
export function prng(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stream for one named part of the answer (a schema path, a criterion id). */
export function streamFor(seed: number, label: string): Random {
  return prng(hashSeed(String(seed), label));
}
