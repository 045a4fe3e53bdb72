/**
 * SQL that turns ratings into the aggregated counts services/trust/agreement-stats.ts reads: one
 * row per criterion (and scale) with its cells as jsonb, so the Worker never holds one row per
 * rating. Ratings and pairs are subqueries whose columns are named below.
 */
import { sql, type SQL } from 'drizzle-orm';

/**
 * Per (criterion_id, max_points): the coincidence matrix of Krippendorff's alpha as cells
 * `[{c, k, o}]`, how many units were rated at least twice, and how many raters took part.
 * `ratings` yields `criterion_id text, max_points int, unit text, rater text, value numeric`, at
 * most one value per unit and rater. Each unit u with m_u ≥ 2 values adds 1/(m_u − 1) to o[c][k]
 * for every ordered pair of its values from different raters; units rated once add nothing.
 */
export function coincidenceCells(ratings: SQL): SQL {
  return sql`
    with rated as (
      select r.criterion_id, r.max_points, r.unit, r.rater, r.value,
             count(*) over (partition by r.criterion_id, r.max_points, r.unit) as m
      from (${ratings}) r
    ),
    pairs as (
      select x.criterion_id, x.max_points, x.value as c, y.value as k, sum(1.0 / (x.m - 1))::float8 as o
      from rated x
      join rated y on y.criterion_id = x.criterion_id and y.max_points = x.max_points and y.unit = x.unit
                  and y.rater <> x.rater
      group by x.criterion_id, x.max_points, x.value, y.value
    ),
    matrices as (
      select criterion_id, max_points, jsonb_agg(jsonb_build_object('c', c, 'k', k, 'o', o) order by c, k) as cells
      from pairs group by criterion_id, max_points
    ),
    counted as (
      select criterion_id, max_points, (count(distinct unit) filter (where m >= 2))::int as units,
             count(distinct rater)::int as raters
      from rated group by criterion_id, max_points
    )
    select n.criterion_id, n.max_points, n.units, n.raters, coalesce(m.cells, '[]'::jsonb) as cells
    from counted n left join matrices m on m.criterion_id = n.criterion_id and m.max_points = n.max_points`;
}

export type CoincidenceRow = {
  criterion_id: string;
  max_points: number;
  units: number;
  raters: number;
  cells: { c: number; k: number; o: number }[];
};

/**
 * Per (criterion_id, max_points, week): the pairs of AI and human results counted by value, as
 * cells `[{a, b, ap, bp, source, n}]` (a, b: AI and human points; ap, bp: their verdicts, bp null
 * when the humans tied). Both the 2×2 pass/fail table and the contingency table of points of any
 * grouping of weeks are sums of these cells. `pairs` yields `ai_score, ai_passed, human_score,
 * human_passed, criterion_id, criterion_name, max_points, week, source`.
 */
export function agreementCells(pairs: SQL): SQL {
  return sql`
    with counted as (
      select p.criterion_id, p.max_points, p.week, max(p.criterion_name) as criterion_name,
             p.ai_score as a, p.human_score as b, p.ai_passed as ap, p.human_passed as bp, p.source, count(*)::int as n
      from (${pairs}) p
      group by p.criterion_id, p.max_points, p.week, p.ai_score, p.human_score, p.ai_passed, p.human_passed, p.source
    )
    select criterion_id, max_points, week::text as week, max(criterion_name) as criterion_name,
           jsonb_agg(jsonb_build_object('a', a, 'b', b, 'ap', ap, 'bp', bp, 'source', source, 'n', n)) as cells
    from counted
    group by criterion_id, max_points, week`;
}

export type AgreementCell = { a: number; b: number; ap: boolean; bp: boolean | null; source: string; n: number };

export type AgreementCellsRow = {
  criterion_id: string;
  max_points: number;
  week: string;
  criterion_name: string;
  cells: AgreementCell[];
};
