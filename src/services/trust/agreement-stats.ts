/**
 * Agreement statistics over aggregated counts: a 2×2 pass/fail table, a contingency table of
 * points, a coincidence matrix. Callers build those in SQL (one row per cell, never one per
 * rating), so the cost here depends on the number of distinct values, not on how many calls were
 * rated. Pure functions: no I/O, no rounding (presentation rounds).
 *
 * A statistic that cannot be trusted or is undefined is `null` with a reason, never a number that
 * looks meaningful: kappas need at least `MIN_PAIRS` pairs (they swing wildly on small samples),
 * and every coefficient is undefined when there is no variation to agree about.
 */

/** Below this many pairs the kappas are withheld. */
export const MIN_PAIRS = 30;

/** A pass rate outside [SKEW, 1 − SKEW] makes kappa misleading (the kappa paradox). */
export const SKEW = 0.1;

export type Statistic = { value: number; reason: null } | { value: null; reason: string };

const value = (v: number): Statistic => ({ value: v, reason: null });
const withheld = (reason: string): Statistic => ({ value: null, reason });

const tooFew = (n: number, min: number) =>
  n === 0 ? withheld('no pairs') : withheld(`fewer than ${min} pairs (n = ${n}); too few for a stable kappa`);

/**
 * Pass/fail of two raters on the same items. The first letter is rater A (the AI, where one of
 * them is), the second rater B: `pf` counts items A passed and B failed.
 */
export interface PassFailTable {
  pp: number;
  pf: number;
  fp: number;
  ff: number;
}

export interface PassFailAgreement {
  n: number;
  /** Share of items both raters judged alike, 0..1; null without pairs. */
  exact_agreement: number | null;
  a_pass_rate: number | null;
  b_pass_rate: number | null;
  /** Agreement expected by chance from the two pass rates (p_e); null without pairs. */
  chance_agreement: number | null;
  /** Cohen's kappa, (p_o − p_e) / (1 − p_e). */
  kappa: Statistic;
  /** Set when a pass rate is so skewed that kappa understates agreement; the value still stands. */
  note: string | null;
}

export function passFailAgreement(t: PassFailTable, minPairs = MIN_PAIRS): PassFailAgreement {
  const n = t.pp + t.pf + t.fp + t.ff;
  if (n === 0)
    return {
      n,
      exact_agreement: null,
      a_pass_rate: null,
      b_pass_rate: null,
      chance_agreement: null,
      kappa: tooFew(0, minPairs),
      note: null,
    };
  const po = (t.pp + t.ff) / n;
  const a = (t.pp + t.pf) / n;
  const b = (t.pp + t.fp) / n;
  const pe = a * b + (1 - a) * (1 - b);
  let kappa: Statistic;
  if (n < minPairs) kappa = tooFew(n, minPairs);
  else if (pe >= 1)
    kappa = withheld('no variation: both raters gave every item the same verdict, so chance agreement is total');
  else kappa = value((po - pe) / (1 - pe));
  const skewed = [a, b].some((r) => r < SKEW || r > 1 - SKEW);
  return {
    n,
    exact_agreement: po,
    a_pass_rate: a,
    b_pass_rate: b,
    chance_agreement: pe,
    kappa,
    note: skewed
      ? `a pass rate outside ${SKEW * 100}–${100 - SKEW * 100} % makes kappa low even when raw agreement is high; read exact_agreement beside it`
      : null,
  };
}

/** One cell of a contingency table: `n` items that rater A scored `a` and rater B scored `b`. */
export interface ScoreCell {
  a: number;
  b: number;
  n: number;
}

export interface PointsAgreement {
  n: number;
  /** Share of items given exactly the same points, 0..1. */
  exact_agreement: number | null;
  /** Mean of |a − b| in points. */
  mean_absolute_difference: number | null;
  /** Mean of a − b: positive when rater A gives more points. */
  mean_difference: number | null;
  /** Cohen's kappa with quadratic weights (i − j)². */
  weighted_kappa: Statistic;
}

/**
 * Quadratic-weighted kappa from contingency cells. With weights (i − j)² the expected
 * disagreement Σᵢⱼ rᵢ cⱼ (i − j)² / N² reduces to E[A²] + E[B²] − 2 E[A] E[B] over the two
 * marginals, so the cost is linear in the cells. The usual normalisation by (k − 1)² cancels
 * between numerator and denominator, and so does any unused category: the value equals the
 * textbook one over categories 0..max_points, and it is also defined for half points (a median
 * of an even number of graders).
 */
export function pointsAgreement(cells: readonly ScoreCell[], minPairs = MIN_PAIRS): PointsAgreement {
  let n = 0;
  let same = 0;
  let absSum = 0;
  let diffSum = 0;
  let sqDiff = 0;
  let sumA = 0;
  let sumB = 0;
  let sumA2 = 0;
  let sumB2 = 0;
  for (const { a, b, n: k } of cells) {
    if (k <= 0) continue;
    n += k;
    if (a === b) same += k;
    absSum += k * Math.abs(a - b);
    diffSum += k * (a - b);
    sqDiff += k * (a - b) ** 2;
    sumA += k * a;
    sumB += k * b;
    sumA2 += k * a * a;
    sumB2 += k * b * b;
  }
  if (n === 0)
    return {
      n,
      exact_agreement: null,
      mean_absolute_difference: null,
      mean_difference: null,
      weighted_kappa: tooFew(0, minPairs),
    };
  const observed = sqDiff / n;
  const expected = sumA2 / n + sumB2 / n - 2 * (sumA / n) * (sumB / n);
  let weighted: Statistic;
  if (n < minPairs) weighted = tooFew(n, minPairs);
  // Floating error can leave a hair above zero when every score is the same.
  else if (expected <= 1e-12)
    weighted = withheld('no variation: both raters gave every item the same points, so kappa is undefined');
  else weighted = value(1 - observed / expected);
  return {
    n,
    exact_agreement: same / n,
    mean_absolute_difference: absSum / n,
    mean_difference: diffSum / n,
    weighted_kappa: weighted,
  };
}

/** A dense table, `counts[a][b]` with the points as indexes (0..max_points), as cells. */
export function cellsOf(counts: readonly (readonly number[])[]): ScoreCell[] {
  return counts.flatMap((row, a) => row.map((n, b) => ({ a, b, n })).filter((c) => c.n > 0));
}

/** Cohen's kappa with quadratic weights from a dense table `counts[a][b]` over 0..max_points. */
export function quadraticWeightedKappa(counts: readonly (readonly number[])[], minPairs = MIN_PAIRS): Statistic {
  return pointsAgreement(cellsOf(counts), minPairs).weighted_kappa;
}

/** Cohen's kappa from a 2×2 table. */
export function cohensKappa(t: PassFailTable, minPairs = MIN_PAIRS): Statistic {
  return passFailAgreement(t, minPairs).kappa;
}

/**
 * One cell of a coincidence matrix: `o` is the number of pairable value pairs (c, k), each unit
 * with m ≥ 2 values adding 1/(m − 1) per ordered pair of values from different raters. The matrix
 * is symmetric; cells may come in either or both orientations as SQL built them.
 */
export interface CoincidenceCell {
  c: number;
  k: number;
  o: number;
}

export const ALPHA_METRICS = ['nominal', 'ordinal', 'interval'] as const;
export type AlphaMetric = (typeof ALPHA_METRICS)[number];

export interface AlphaResult {
  metric: AlphaMetric;
  /** Pairable values: ratings in units rated at least twice. */
  n: number;
  alpha: Statistic;
}

/**
 * Krippendorff's alpha, α = 1 − D_o / D_e = 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck, after
 * Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability". The ordinal difference is
 * δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k)/2)² over the values in order, so only their ranks matter.
 */
export function krippendorffAlpha(cells: readonly CoincidenceCell[], metric: AlphaMetric): AlphaResult {
  const o = new Map<number, Map<number, number>>();
  const marginal = new Map<number, number>();
  let n = 0;
  for (const { c, k, o: w } of cells) {
    if (!(w > 0)) continue;
    const row = o.get(c) ?? new Map<number, number>();
    row.set(k, (row.get(k) ?? 0) + w);
    o.set(c, row);
    marginal.set(c, (marginal.get(c) ?? 0) + w);
    n += w;
  }
  // Sums of 1/(m − 1) arrive as floats; a few ulps must not decide whether a value is pairable.
  n = Math.round(n * 1e9) / 1e9;
  if (n < 2) return { metric, n, alpha: withheld('fewer than two pairable ratings: no unit was rated twice') };
  const values = [...marginal.keys()].sort((x, y) => x - y);
  const delta = differenceFunction(metric, values, marginal);
  let observed = 0;
  for (const [c, row] of o) for (const [k, w] of row) observed += w * delta(c, k);
  let expected = 0;
  for (const c of values) for (const k of values) expected += marginal.get(c)! * marginal.get(k)! * delta(c, k);
  if (expected <= 1e-12)
    return { metric, n, alpha: withheld('no variation: every pairable rating has the same value') };
  return { metric, n, alpha: value(1 - ((n - 1) * observed) / expected) };
}

function differenceFunction(
  metric: AlphaMetric,
  values: number[],
  marginal: Map<number, number>,
): (c: number, k: number) => number {
  if (metric === 'nominal') return (c, k) => (c === k ? 0 : 1);
  if (metric === 'interval') return (c, k) => (c - k) ** 2;
  // Cumulative marginals in value order: Σ_{g ≤ v} n_g.
  const cumulative = new Map<number, number>();
  let running = 0;
  for (const v of values) {
    running += marginal.get(v)!;
    cumulative.set(v, running);
  }
  return (c, k) => {
    if (c === k) return 0;
    const [lo, hi] = c < k ? [c, k] : [k, c];
    const between = cumulative.get(hi)! - cumulative.get(lo)! + marginal.get(lo)!;
    return (between - (marginal.get(c)! + marginal.get(k)!) / 2) ** 2;
  };
}
