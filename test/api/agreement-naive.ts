/**
 * Second implementations of the agreement statistics, written straight from the textbook formulas
 * over raw ratings (one entry per pair or per unit), to check the production code, which works
 * from aggregated counts and takes shortcuts (moments for the weighted kappa, a coincidence
 * matrix for alpha). Nothing here is shared with src/services/trust/agreement-stats.ts.
 */

/** Cohen (1960): κ = (p_o − p_e) / (1 − p_e), p_e from each rater's own category shares. */
export function naiveKappa(pairs: [unknown, unknown][]): number {
  const n = pairs.length;
  const categories = [...new Set(pairs.flat())];
  const po = pairs.filter(([a, b]) => a === b).length / n;
  let pe = 0;
  for (const c of categories) {
    const pa = pairs.filter(([a]) => a === c).length / n;
    const pb = pairs.filter(([, b]) => b === c).length / n;
    pe += pa * pb;
  }
  return (po - pe) / (1 - pe);
}

/**
 * Cohen (1968) weighted kappa with quadratic weights, as scikit-learn computes it: categories
 * 0..max, w_ij = (i − j)² / (k − 1)², O the observed table, E the outer product of the marginals
 * over N; κ = 1 − Σ w O / Σ w E.
 */
export function naiveQuadraticKappa(pairs: [number, number][], max: number): number {
  const k = max + 1;
  const O = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const [a, b] of pairs) O[a]![b]! += 1;
  const n = pairs.length;
  const rows = O.map((r) => r.reduce((x, y) => x + y, 0));
  const cols = O[0]!.map((_, j) => O.reduce((x, r) => x + r[j]!, 0));
  let num = 0;
  let den = 0;
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      const w = (i - j) ** 2 / (k - 1) ** 2;
      num += w * (O[i]![j]! / n);
      den += w * ((rows[i]! * cols[j]!) / (n * n));
    }
  return 1 - num / den;
}

type Metric = 'nominal' | 'ordinal' | 'interval';

/**
 * Krippendorff's alpha from a raters × units table with null for missing ratings, by the
 * definitions: D_o averages the differences within units (each pair weighted 1/(m_u − 1)), D_e
 * the differences between all pairable values; α = 1 − D_o / D_e.
 */
export function naiveAlpha(table: (number | null)[][], metric: Metric): number {
  const units = table[0]!.map((_, u) =>
    table.map((r) => r[u]).filter((v): v is number => v !== null && v !== undefined),
  );
  const pairable = units.filter((vs) => vs.length >= 2);
  const values = pairable.flat();
  const n = values.length;
  const freq = new Map<number, number>();
  for (const v of values) freq.set(v, (freq.get(v) ?? 0) + 1);
  const delta = (c: number, k: number) => {
    if (metric === 'nominal') return c === k ? 0 : 1;
    if (metric === 'interval') return (c - k) ** 2;
    if (c === k) return 0;
    const [lo, hi] = c < k ? [c, k] : [k, c];
    let between = 0;
    for (const [g, f] of freq) if (g >= lo && g <= hi) between += f;
    return (between - (freq.get(c)! + freq.get(k)!) / 2) ** 2;
  };
  let dO = 0;
  for (const vs of pairable) {
    let within = 0;
    for (let i = 0; i < vs.length; i++)
      for (let j = 0; j < vs.length; j++) if (i !== j) within += delta(vs[i]!, vs[j]!);
    dO += within / (vs.length - 1);
  }
  dO /= n;
  let dE = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) dE += delta(values[i]!, values[j]!);
  dE /= n * (n - 1);
  return 1 - dO / dE;
}

/** A small seeded generator (mulberry32), so a failing random case can be replayed. */
export function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const between = (rnd: () => number, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
