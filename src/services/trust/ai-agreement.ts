/**
 * How well the AI grader agrees with humans, per criterion and per week, from every source of
 * paired AI and human results. A source is SQL yielding `ai_score, ai_passed, human_score,
 * human_passed, criterion_id, criterion_name, max_points, week, source` for a range of days:
 * calibration consensus, and the items of human reviews (a resolved dispute's decisions are review
 * items of source `dispute`). One statement counts the pairs of all sources by value, per
 * criterion, scale and week (agreementCells); the statistics run here over those counts, never over one row per pair.
 * Where humans overlap (calibration graders), their own agreement is beside it: the AI cannot be
 * asked to agree with humans better than they agree with each other.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { UserContext } from '../../context';
import {
  type AgreementCellsRow,
  agreementCells,
  coincidenceCells,
  type CoincidenceRow,
} from '../../db/statements/agreement';
import { calibrationConsensusPairs, calibrationRatings, type DayRange } from '../../db/statements/calibration';
import { reviewPairs } from '../../db/statements/review-pairs';
import { checkRange, type DateRange } from '../analytics';
import { tenantOf } from '../scope';
import { agreementFigures, alphasOf } from './agreement-figures';
import { MIN_PAIRS } from './agreement-stats';

/** A source of AI/human pairs and, where several humans rate the same item, their ratings. */
export interface PairSource {
  name: string;
  pairs(range: DayRange): SQL;
  /** `criterion_id, max_points, unit, rater, value`, for Krippendorff's alpha between humans. */
  ratings?(range: DayRange): SQL;
}

export const PAIR_SOURCES: readonly PairSource[] = [
  { name: 'calibration', pairs: calibrationConsensusPairs, ratings: calibrationRatings },
  { name: 'review', pairs: reviewPairs },
];

export const AGREEMENT_GROUPS = ['criterion', 'week'] as const;
/** Twelve weeks up to the tenant's today when no range is given. */
export const DEFAULT_AGREEMENT_DAYS = 84;

export interface AgreementInput extends DateRange {
  group_by?: (typeof AGREEMENT_GROUPS)[number];
  criterion_id?: string;
}

const keyOf = (criterionId: string, maxPoints: number) => `${maxPoints}/${criterionId}`;

/** The range as SQL; the default ends on the tenant's today (a sub-select: evaluated once). */
function rangeOf(input: DateRange): DayRange {
  const today = sql`(select analytics_day(current_tenant(), null, now()))`;
  return input.from_date && input.to_date
    ? { from: sql`${input.from_date}::date`, to: sql`${input.to_date}::date` }
    : { from: sql`(${today} - ${DEFAULT_AGREEMENT_DAYS - 1}::int)`, to: today };
}

export async function aiAgreement(ctx: UserContext, input: AgreementInput, sources = PAIR_SOURCES) {
  tenantOf(ctx);
  checkRange(input);
  const groupBy = input.group_by ?? 'criterion';
  const range = rangeOf(input);
  const only = (q: SQL) =>
    input.criterion_id === undefined ? q : sql`select * from (${q}) s where s.criterion_id = ${input.criterion_id}`;
  const pairs = sql.join(
    sources.map((s) => sql`(${s.pairs(range)})`),
    sql` union all `,
  );
  const rated = sources.flatMap((s) => (s.ratings ? [sql`(${s.ratings(range)})`] : []));
  const [bounds, counted, coincidences] = await ctx.db.run((q) => [
    q.execute<{ from_date: string; to_date: string }>(
      sql`select ${range.from}::text as from_date, ${range.to}::text as to_date`,
    ),
    q.execute<AgreementCellsRow>(sql`${agreementCells(only(pairs))} order by criterion_id, max_points, week`),
    rated.length > 0 && q.execute<CoincidenceRow>(coincidenceCells(only(sql.join(rated, sql` union all `)))),
  ]);
  const humans = new Map((coincidences?.rows ?? []).map((c) => [keyOf(c.criterion_id, c.max_points), c]));

  // Rows come per criterion, scale and week; a criterion's totals are the sums of its weeks' cells.
  const byCriterion = new Map<string, AgreementCellsRow[]>();
  for (const row of counted.rows) {
    const k = keyOf(row.criterion_id, row.max_points);
    byCriterion.set(k, [...(byCriterion.get(k) ?? []), row]);
  }
  const counts = (rows: AgreementCellsRow[]) => rows.flatMap((r) => r.cells);
  const criteria = [...byCriterion].map(([k, rows]) => {
    const cells = counts(rows);
    const bySource = new Map<string, number>();
    for (const c of cells) bySource.set(c.source, (bySource.get(c.source) ?? 0) + c.n);
    return {
      criterion_id: rows[0]!.criterion_id,
      // Rows are in week order: the name it was last scored under.
      name: rows[rows.length - 1]!.criterion_name,
      max_points: rows[0]!.max_points,
      sources: [...bySource].map(([source, n]) => ({ source, n })),
      ...agreementFigures(cells),
      human_agreement: alphasOf(humans.get(k)),
      weeks: groupBy === 'criterion' ? rows.map((r) => ({ week: r.week, ...agreementFigures(r.cells) })) : [],
    };
  });

  const weeks =
    groupBy === 'week'
      ? [...new Set(counted.rows.map((r) => r.week))].sort().map((week) => {
          const rows = counted.rows.filter((r) => r.week === week);
          return {
            week,
            // Pass/fail pools across criteria; points do not (each criterion has its own scale).
            pass_fail: agreementFigures(counts(rows)).pass_fail,
            criteria: rows.map((r) => ({
              criterion_id: r.criterion_id,
              name: r.criterion_name,
              max_points: r.max_points,
              ...agreementFigures(r.cells),
            })),
          };
        })
      : [];
  const b = bounds.rows[0]!;
  return {
    from_date: b.from_date,
    to_date: b.to_date,
    group_by: groupBy,
    criterion_id: input.criterion_id ?? null,
    min_pairs: MIN_PAIRS,
    sources: sources.map((s) => s.name),
    criteria,
    weeks,
  };
}
