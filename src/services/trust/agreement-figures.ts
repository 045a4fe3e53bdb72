/**
 * The agreement statistics as the API shows them: rounded, withheld figures as null with their
 * reason. Shared by calibration results and the AI agreement report, so both speak alike.
 */
import type { CoincidenceRow } from '../../db/statements/agreement';
import {
  ALPHA_METRICS,
  krippendorffAlpha,
  passFailAgreement,
  type PassFailTable,
  pointsAgreement,
  type ScoreCell,
  type Statistic,
} from './agreement-stats';

export const round = (v: number | null, digits: number) =>
  v === null || !Number.isFinite(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits;

/** A statistic as the API shows it: three decimals, or null with its reason. */
export const shown = (s: Statistic) => ({ value: round(s.value, 3), reason: s.reason });

/** A pair of AI and human results, counted `n` times; `bp` null when the humans tied on the verdict. */
export interface CountedPair {
  a: number;
  b: number;
  ap: boolean;
  bp: boolean | null;
  n: number;
}

/** The AI (rater A) against humans (rater B): n, exact agreement, mean difference, both kappas. */
export function agreementFigures(pairs: readonly CountedPair[]) {
  const cells: ScoreCell[] = pairs.map((p) => ({ a: p.a, b: p.b, n: p.n }));
  const table: PassFailTable = { pp: 0, pf: 0, fp: 0, ff: 0 };
  for (const p of pairs) {
    if (p.bp === null) continue;
    table[`${p.ap ? 'p' : 'f'}${p.bp ? 'p' : 'f'}` as keyof PassFailTable] += p.n;
  }
  const points = pointsAgreement(cells);
  const passFail = passFailAgreement(table);
  return {
    n: points.n,
    pass_fail: {
      n: passFail.n,
      exact_agreement: round(passFail.exact_agreement, 3),
      ai_pass_rate: round(passFail.a_pass_rate, 3),
      human_pass_rate: round(passFail.b_pass_rate, 3),
      kappa: shown(passFail.kappa),
      note: passFail.note,
    },
    points: {
      n: points.n,
      exact_agreement: round(points.exact_agreement, 3),
      mean_absolute_difference: round(points.mean_absolute_difference, 2),
      mean_difference: round(points.mean_difference, 2),
      weighted_kappa: shown(points.weighted_kappa),
    },
  };
}

/** Krippendorff's alpha in each metric from one coincidence row (none: nobody overlapped). */
export function alphasOf(row: CoincidenceRow | undefined) {
  const cells = row?.cells ?? [];
  const [nominal, ordinal, interval] = ALPHA_METRICS.map((m) => krippendorffAlpha(cells, m));
  return {
    units: row?.units ?? 0,
    raters: row?.raters ?? 0,
    pairable_ratings: round(nominal!.n, 3)!,
    nominal: shown(nominal!.alpha),
    ordinal: shown(ordinal!.alpha),
    interval: shown(interval!.alpha),
  };
}
