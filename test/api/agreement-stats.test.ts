/**
 * The agreement statistics against published worked examples (each cited where it is used),
 * against second implementations written from the textbook formulas over raw ratings
 * (agreement-naive.ts) on random data, and through the path production uses: counts aggregated
 * by SQL on the real database, then the formulas in TypeScript.
 */
import { PgDialect } from 'drizzle-orm/pg-core';
import { sql, type SQL } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  agreementCells,
  type AgreementCellsRow,
  coincidenceCells,
  type CoincidenceRow,
} from '../../src/db/statements/agreement';
import {
  cellsOf,
  cohensKappa,
  krippendorffAlpha,
  MIN_PAIRS,
  passFailAgreement,
  pointsAgreement,
  quadraticWeightedKappa,
} from '../../src/services/trust/agreement-stats';
import { between, naiveAlpha, naiveKappa, naiveQuadraticKappa, random } from './agreement-naive';
import { asTenant } from './helpers';

const SYSTEM = ['system:pipeline', 'system'] as const;

/** A dense table counts[a][b] over 0..max from raw pairs: a tally, not a formula. */
function tally(pairs: [number, number][], max: number) {
  const t = Array.from({ length: max + 1 }, () => new Array<number>(max + 1).fill(0));
  for (const [a, b] of pairs) t[a]![b]! += 1;
  return t;
}

/**
 * Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", Annenberg School for
 * Communication, University of Pennsylvania, section C: 4 observers, 12 units, values 1..5, with
 * missing data. Published results: nominal α = 0.743, ordinal α = 0.815, interval α = 0.849.
 */
const KRIPPENDORFF_2011: (number | null)[][] = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
  [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
];

/** The same paper's coincidence matrix of those data (o_ck, values 1..5; n_c = 9, 13, 10, 5, 3; n = 40). */
const KRIPPENDORFF_2011_COINCIDENCES = [
  [7, 4 / 3, 1 / 3, 1 / 3, 0],
  [4 / 3, 10, 4 / 3, 1 / 3, 0],
  [1 / 3, 4 / 3, 8, 1 / 3, 0],
  [1 / 3, 1 / 3, 1 / 3, 4, 0],
  [0, 0, 0, 0, 3],
].flatMap((row, i) => row.map((o, j) => ({ c: i + 1, k: j + 1, o })));

describe('published worked examples', () => {
  it("Cohen's kappa: Wikipedia, 'Cohen's kappa', worked example (50 proposals, 20/5/10/15) is 0.4", () => {
    // https://en.wikipedia.org/wiki/Cohen%27s_kappa#Simple_example: p_o = 0.7, p_e = 0.5.
    const r = passFailAgreement({ pp: 20, pf: 5, fp: 10, ff: 15 });
    expect(r.n).toBe(50);
    expect(r.exact_agreement).toBeCloseTo(0.7, 12);
    expect(r.chance_agreement).toBeCloseTo(0.5, 12);
    expect(r.kappa.value).toBeCloseTo(0.4, 12);
    expect(r.note, 'pass rates of 0.5 and 0.6 are not skewed').toBeNull();
  });

  it("Krippendorff's alpha: Krippendorff (2011), 4 observers × 12 units with missing data", () => {
    const fromPaperMatrix = (m: 'nominal' | 'ordinal' | 'interval') =>
      krippendorffAlpha(KRIPPENDORFF_2011_COINCIDENCES, m);
    expect(fromPaperMatrix('nominal').n).toBeCloseTo(40, 9);
    expect(fromPaperMatrix('nominal').alpha.value).toBeCloseTo(0.743, 3);
    expect(fromPaperMatrix('ordinal').alpha.value).toBeCloseTo(0.815, 3);
    expect(fromPaperMatrix('interval').alpha.value).toBeCloseTo(0.849, 3);
    // The second implementation, from the reliability data themselves, agrees with the paper too.
    expect(naiveAlpha(KRIPPENDORFF_2011, 'nominal')).toBeCloseTo(0.743, 3);
    expect(naiveAlpha(KRIPPENDORFF_2011, 'ordinal')).toBeCloseTo(0.815, 3);
    expect(naiveAlpha(KRIPPENDORFF_2011, 'interval')).toBeCloseTo(0.849, 3);
  });

  it('quadratic weighted kappa: Maple help, EssayTools[QuadraticWeightedKappa], both examples', () => {
    // https://www.maplesoft.com/support/help/maple/view.aspx?path=EssayTools/QuadraticWeightedKappa
    // QuadraticWeightedKappa([9,7,8,7,6,8,3,5,10], [8,8,6,6,7,6,1,4,8]) = 0.758620689655172 and
    // QuadraticWeightedKappa([9,7,8,7,6,8,3,5,10], [3,5,6,6,7,6,1,4,8]) = 0.438095238095238.
    // Nine essays only, so the n ≥ 30 rule is lowered to read the value.
    const a = [9, 7, 8, 7, 6, 8, 3, 5, 10];
    const zip = (b: number[]) => a.map((x, i) => [x, b[i]!] as [number, number]);
    const first = quadraticWeightedKappa(tally(zip([8, 8, 6, 6, 7, 6, 1, 4, 8]), 10), 1);
    const second = quadraticWeightedKappa(tally(zip([3, 5, 6, 6, 7, 6, 1, 4, 8]), 10), 1);
    expect(first.value).toBeCloseTo(0.758620689655172, 12);
    expect(second.value).toBeCloseTo(0.438095238095238, 12);
  });

  it('quadratic weighted kappa from a 6×6 confusion matrix (Cross Validated question, reported 0.817)', () => {
    // The example of the question "Cohen's quadratic kappa: how to calculate the confidence
    // interval", reposted at https://techutils.in/blog/tag/confidence-interval/page/2/ ; its
    // weights (r − c)² / (rows × cols) differ from ours by a constant factor, which cancels.
    const matrix = [
      [9, 5, 2, 0, 0, 0],
      [4, 7, 1, 0, 0, 0],
      [1, 2, 4, 0, 1, 0],
      [0, 1, 1, 5, 1, 0],
      [0, 0, 0, 1, 2, 1],
      [0, 0, 0, 0, 0, 1],
    ];
    expect(matrix.flat().reduce((x, y) => x + y)).toBeGreaterThanOrEqual(MIN_PAIRS);
    expect(quadraticWeightedKappa(matrix).value).toBeCloseTo(0.817, 3);
  });
});

describe('the rules that withhold a figure', () => {
  it('withholds the kappas below 30 pairs, with the reason, and keeps the raw figures', () => {
    const pf = passFailAgreement({ pp: 10, pf: 2, fp: 3, ff: 14 });
    expect(pf.n).toBe(29);
    expect(pf.kappa).toEqual({ value: null, reason: expect.stringContaining('fewer than 30 pairs (n = 29)') });
    expect(pf.exact_agreement).toBeCloseTo(24 / 29, 12);
    const points = pointsAgreement([{ a: 3, b: 2, n: 29 }]);
    expect(points.weighted_kappa.value).toBeNull();
    expect(points.mean_absolute_difference).toBe(1);
    expect(cohensKappa({ pp: 10, pf: 2, fp: 3, ff: 15 }).value, 'at exactly 30 it is given').not.toBeNull();
  });

  it('withholds kappa when there is no variation (p_e = 1), and says so', () => {
    const all = passFailAgreement({ pp: 40, pf: 0, fp: 0, ff: 0 });
    expect(all.exact_agreement).toBe(1);
    expect(all.kappa.value).toBeNull();
    expect(all.kappa.reason).toMatch(/no variation/);
    const same = pointsAgreement([{ a: 4, b: 4, n: 50 }]);
    expect(same.weighted_kappa.reason).toMatch(/no variation/);
    expect(krippendorffAlpha([{ c: 2, k: 2, o: 12 }], 'ordinal').alpha.reason).toMatch(/no variation/);
  });

  it('flags a skewed pass rate: raw agreement 0.9, kappa near zero (the kappa paradox)', () => {
    const r = passFailAgreement({ pp: 90, pf: 5, fp: 5, ff: 0 });
    expect(r.exact_agreement).toBeCloseTo(0.9, 12);
    expect(r.kappa.value!).toBeLessThan(0);
    expect(r.note).toMatch(/pass rate/);
  });

  it('has no alpha without a unit rated twice, and no figures without pairs', () => {
    expect(krippendorffAlpha([], 'nominal').alpha.reason).toMatch(/fewer than two pairable/);
    const none = passFailAgreement({ pp: 0, pf: 0, fp: 0, ff: 0 });
    expect(none).toMatchObject({ n: 0, exact_agreement: null, kappa: { value: null, reason: 'no pairs' } });
    expect(pointsAgreement([]).exact_agreement).toBeNull();
  });

  it('gives the same weighted kappa on a doubled scale (half points)', () => {
    const pairs: [number, number][] = [];
    const rnd = random(7);
    for (let i = 0; i < 60; i++) pairs.push([between(rnd, 0, 5), between(rnd, 0, 5)]);
    const whole = pointsAgreement(pairs.map(([a, b]) => ({ a, b, n: 1 })));
    const halves = pointsAgreement(pairs.map(([a, b]) => ({ a: a / 2, b: b / 2, n: 1 })));
    expect(halves.weighted_kappa.value).toBeCloseTo(whole.weighted_kappa.value!, 12);
  });
});

/** Ratings that agree more often than chance: b is a, or a near miss, or noise. */
function correlated(rnd: () => number, max: number) {
  return (a: number) => {
    const r = rnd();
    if (r < 0.5) return a;
    if (r < 0.8) return Math.min(max, Math.max(0, a + (rnd() < 0.5 ? -1 : 1)));
    return between(rnd, 0, max);
  };
}

describe('against the textbook formulas on random data', () => {
  it("Cohen's kappa on pass/fail (200 cases)", () => {
    const rnd = random(20261);
    for (let trial = 0; trial < 200; trial++) {
      const n = between(rnd, MIN_PAIRS, 300);
      const passRate = 0.1 + rnd() * 0.8;
      const pairs: [boolean, boolean][] = Array.from({ length: n }, () => {
        const a = rnd() < passRate;
        return [a, rnd() < 0.75 ? a : rnd() < passRate];
      });
      const count = (x: boolean, y: boolean) => pairs.filter(([a, b]) => a === x && b === y).length;
      const ours = cohensKappa({
        pp: count(true, true),
        pf: count(true, false),
        fp: count(false, true),
        ff: count(false, false),
      });
      const variation = new Set(pairs.flat()).size > 1;
      if (!variation) continue;
      expect(ours.value, `trial ${trial}`).toBeCloseTo(naiveKappa(pairs), 10);
    }
  });

  it('quadratic weighted kappa on points, max points 1..100 (200 cases)', () => {
    const rnd = random(424242);
    for (let trial = 0; trial < 200; trial++) {
      const max = trial % 10 === 0 ? between(rnd, 50, 100) : between(rnd, 1, 10);
      const n = between(rnd, MIN_PAIRS, 250);
      const near = correlated(rnd, max);
      const pairs: [number, number][] = Array.from({ length: n }, () => {
        const a = between(rnd, 0, max);
        return [a, near(a)];
      });
      const ours = pointsAgreement(cellsOf(tally(pairs, max)));
      const naive = naiveQuadraticKappa(pairs, max);
      if (!Number.isFinite(naive)) continue;
      expect(ours.weighted_kappa.value, `trial ${trial} (max ${max}, n ${n})`).toBeCloseTo(naive, 9);
      expect(ours.mean_absolute_difference).toBeCloseTo(pairs.reduce((s, [a, b]) => s + Math.abs(a - b), 0) / n, 12);
    }
  });

  it("Krippendorff's alpha, nominal, ordinal and interval, with missing ratings (150 cases)", () => {
    const rnd = random(99);
    for (let trial = 0; trial < 150; trial++) {
      const raters = between(rnd, 2, 6);
      const units = between(rnd, 3, 40);
      const max = between(rnd, 1, 10);
      const truth = Array.from({ length: units }, () => between(rnd, 0, max));
      const near = correlated(rnd, max);
      const table = Array.from({ length: raters }, () => truth.map((t) => (rnd() < 0.2 ? null : near(t))));
      const cells = coincidencesOf(table);
      for (const metric of ['nominal', 'ordinal', 'interval'] as const) {
        const ours = krippendorffAlpha(cells, metric).alpha;
        const naive = naiveAlpha(table, metric);
        if (!Number.isFinite(naive)) {
          expect(ours.value, `trial ${trial} ${metric}: undefined both ways`).toBeNull();
          continue;
        }
        expect(ours.value, `trial ${trial} ${metric}`).toBeCloseTo(naive, 9);
      }
    }
  });
});

/** The coincidence matrix as the SQL builds it, done in the test for in-memory tables. */
function coincidencesOf(table: (number | null)[][]) {
  const cells = new Map<string, { c: number; k: number; o: number }>();
  for (let u = 0; u < table[0]!.length; u++) {
    const vs = table.map((r) => r[u]).filter((v): v is number => v !== null);
    if (vs.length < 2) continue;
    for (let i = 0; i < vs.length; i++)
      for (let j = 0; j < vs.length; j++) {
        if (i === j) continue;
        const key = `${vs[i]}/${vs[j]}`;
        const cell = cells.get(key) ?? { c: vs[i]!, k: vs[j]!, o: 0 };
        cell.o += 1 / (vs.length - 1);
        cells.set(key, cell);
      }
  }
  return [...cells.values()];
}

const dialect = new PgDialect();
const rendered = (q: SQL) => dialect.sqlToQuery(q);

describe('SQL aggregates feeding the formulas', () => {
  it('builds the coincidence matrix from inserted ratings; alpha equals the naive one over the same rows', async () => {
    const rnd = random(31337);
    const rows: { criterion_id: string; max_points: number; unit: string; rater: string; value: number }[] = [];
    const tables = new Map<string, (number | null)[][]>();
    for (const [criterion, max] of [
      ['greeting', 5],
      ['verification', 10],
      ['closing', 1],
    ] as const) {
      const raters = 4;
      const units = 25;
      const near = correlated(rnd, max);
      const truth = Array.from({ length: units }, () => between(rnd, 0, max));
      const table = Array.from({ length: raters }, () => truth.map((t) => (rnd() < 0.25 ? null : near(t))));
      tables.set(criterion, table);
      table.forEach((ratings, r) =>
        ratings.forEach((value, u) => {
          if (value !== null)
            rows.push({ criterion_id: criterion, max_points: max, unit: `u${u}`, rater: `r${r}`, value });
        }),
      );
    }
    const built = rendered(
      coincidenceCells(sql`select criterion_id, max_points, unit, rater, value from ratings_under_test`),
    );
    const [, , matrices] = await asTenant('acme', ...SYSTEM, [
      {
        query: `create temp table ratings_under_test (criterion_id text, max_points int, unit text, rater text, value int) on commit drop`,
      },
      {
        query: `insert into ratings_under_test select * from jsonb_to_recordset($1::jsonb)
                  as x(criterion_id text, max_points int, unit text, rater text, value int)`,
        params: [JSON.stringify(rows)],
      },
      { query: built.sql, params: built.params },
    ]);
    const byCriterion = new Map((matrices as unknown as CoincidenceRow[]).map((m) => [m.criterion_id, m]));
    expect([...byCriterion.keys()].sort()).toEqual(['closing', 'greeting', 'verification']);
    for (const [criterion, table] of tables) {
      const m = byCriterion.get(criterion)!;
      expect(m.raters).toBe(4);
      expect(m.units, 'units rated at least twice').toBe(
        table[0]!.filter((_, u) => table.filter((r) => r[u] !== null).length >= 2).length,
      );
      for (const metric of ['nominal', 'ordinal', 'interval'] as const)
        expect(krippendorffAlpha(m.cells, metric).alpha.value, `${criterion} ${metric}`).toBeCloseTo(
          naiveAlpha(table, metric),
          9,
        );
    }
  });

  it('counts AI/human pairs per criterion and week; both kappas equal the naive ones over the raw pairs', async () => {
    const rnd = random(5150);
    const pairs: {
      ai_score: number;
      ai_passed: boolean;
      human_score: number;
      human_passed: boolean | null;
      criterion_id: string;
      criterion_name: string;
      max_points: number;
      week: string;
      source: string;
    }[] = [];
    const max = 10;
    const near = correlated(rnd, max);
    for (let i = 0; i < 240; i++) {
      const a = between(rnd, 0, max);
      const b = near(a);
      pairs.push({
        ai_score: a,
        ai_passed: a >= 6,
        human_score: b,
        human_passed: rnd() < 0.05 ? null : b >= 6,
        criterion_id: i % 2 ? 'empathy' : 'accuracy',
        criterion_name: i % 2 ? 'Empathy' : 'Accuracy',
        max_points: max,
        week: i % 3 ? '2026-11-02' : '2026-11-09',
        source: i % 4 ? 'calibration' : 'review',
      });
    }
    const built = rendered(agreementCells(sql`select * from pairs_under_test`));
    const [, , counted] = await asTenant('acme', ...SYSTEM, [
      {
        query: `create temp table pairs_under_test (ai_score float8, ai_passed boolean, human_score float8, human_passed boolean,
                  criterion_id text, criterion_name text, max_points int, week date, source text) on commit drop`,
      },
      {
        query: `insert into pairs_under_test select * from jsonb_to_recordset($1::jsonb) as x(ai_score float8, ai_passed boolean,
                  human_score float8, human_passed boolean, criterion_id text, criterion_name text, max_points int, week date, source text)`,
        params: [JSON.stringify(pairs)],
      },
      { query: built.sql, params: built.params },
    ]);
    const rows = counted as unknown as AgreementCellsRow[];
    expect(rows).toHaveLength(4);
    for (const criterion of ['empathy', 'accuracy'])
      for (const week of [null, '2026-11-02']) {
        const mine = rows.filter((r) => r.criterion_id === criterion && (week === null || r.week === week));
        const cells = mine.flatMap((r) => r.cells);
        const raw = pairs.filter((p) => p.criterion_id === criterion && (week === null || p.week === week));
        expect(
          cells.reduce((s, c) => s + c.n, 0),
          'every pair counted once',
        ).toBe(raw.length);
        const sum = (f: (c: (typeof cells)[number]) => boolean) => cells.filter(f).reduce((s, c) => s + c.n, 0);
        const pf = passFailAgreement({
          pp: sum((c) => c.ap && c.bp === true),
          pf: sum((c) => c.ap && c.bp === false),
          fp: sum((c) => !c.ap && c.bp === true),
          ff: sum((c) => !c.ap && c.bp === false),
        });
        const decided = raw
          .filter((p) => p.human_passed !== null)
          .map((p) => [p.ai_passed, p.human_passed] as [boolean, boolean]);
        expect(pf.n).toBe(decided.length);
        expect(pf.kappa.value, `${criterion} ${week ?? 'all weeks'}`).toBeCloseTo(naiveKappa(decided), 10);
        const points = pointsAgreement(cells);
        expect(points.weighted_kappa.value).toBeCloseTo(
          naiveQuadraticKappa(
            raw.map((p) => [p.ai_score, p.human_score]),
            max,
          ),
          10,
        );
      }
  });
});
