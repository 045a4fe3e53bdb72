/**
 * Calibration sessions: several graders (managers and tenant admins) score the same calls, each
 * against the criteria as that call was scored, blind to the AI and to each other until the
 * session closes. Then the session shows, per call and criterion, every grader's score beside the
 * consensus (the median) and the AI's, the spread, and per criterion how far the graders agree
 * (Krippendorff's alpha) and how far each one sits from the consensus.
 *
 * The blind rule is enforced by the database (calibration_scores' policies): before a session
 * closes a grader reads only its own scores, and nobody else reads any. Nothing here ever selects
 * an evaluation's results for an open session. Every request is one round trip.
 */
import { sql } from 'drizzle-orm';
import { atLeast } from '../../auth/roles';
import type { UserContext } from '../../context';
import type { CoincidenceRow } from '../../db/statements/agreement';
import {
  callChecks,
  closeChecks,
  closeSession as closeStatement,
  graderChecks,
  insertSession,
  type NamedCall,
  type NamedGrader,
  ownScores,
  type OwnScoreRow,
  type ResultRow,
  saveScores as saveStatement,
  type SaveScoresRow,
  type ScoreInput,
  sessionById,
  sessionCalls,
  type SessionCallRow,
  sessionCoincidence,
  sessionGraders,
  type SessionGraderRow,
  sessionJson,
  type SessionJson,
  sessionResults,
} from '../../db/statements/calibration';
import type { QueryBuilder } from '../../db/tenant-db';
import { CALIBRATION_STATUSES } from '../../db/schema';
import { Conflict, type FieldError, Forbidden, Invalid, NotFound } from '../../lib/errors';
import type { Pagination } from '../pagination';
import { iso, tenantOf } from '../scope';
import { agreementFigures, alphasOf, round } from './agreement-figures';

export type SessionStatus = (typeof CALIBRATION_STATUSES)[number];

/** A session compares graders: at least two. Bounded so a session's results stay one small read. */
export const MAX_SESSION_CALLS = 50;
export const MIN_GRADERS = 2;
export const MAX_GRADERS = 20;

export interface NewSession {
  name: string;
  description?: string | null;
  call_ids: string[];
  grader_ids: string[];
}

export interface SessionFilter extends Pagination {
  status?: SessionStatus;
}

function presentSession(s: SessionJson) {
  return {
    ...s,
    created_at: iso(s.created_at),
    updated_at: iso(s.updated_at),
    closed_at: iso(s.closed_at),
  };
}

function presentGrader(g: SessionGraderRow, expected: number) {
  return {
    grader_id: g.grader_id,
    email: g.email,
    first_name: g.first_name,
    last_name: g.last_name,
    role: g.role,
    scored: g.scored,
    expected,
  };
}

/** Everything a session's page shows, for the caller: the caller's own scores, never anyone else's, never the AI's. */
function detailStatements(q: QueryBuilder, sessionId: string, callerId: string) {
  return [
    q.execute<{ session: SessionJson }>(sessionById(sessionId)),
    q.execute<SessionGraderRow>(sessionGraders(sessionId)),
    q.execute<SessionCallRow>(sessionCalls(sessionId)),
    q.execute<OwnScoreRow>(ownScores(sessionId, callerId)),
  ] as const;
}

type DetailResults = [
  { rows: { session: SessionJson }[] },
  { rows: SessionGraderRow[] },
  { rows: SessionCallRow[] },
  { rows: OwnScoreRow[] },
];

const presentScore = (s: OwnScoreRow) => ({
  criterion_id: s.criterion_id,
  score: s.score,
  passed: s.passed,
  comment: s.comment,
  updated_at: iso(s.updated_at),
});

function presentDetail([session, graders, calls, own]: DetailResults, callerId: string) {
  const row = session.rows[0];
  if (!row) throw new NotFound('Calibration session');
  const expected = calls.rows.reduce((n, c) => n + c.criteria.length, 0);
  const mine = new Map<string, OwnScoreRow[]>();
  for (const s of own.rows) mine.set(s.call_id, [...(mine.get(s.call_id) ?? []), s]);
  return {
    ...presentSession(row.session),
    is_grader: graders.rows.some((g) => g.grader_id === callerId),
    graders: graders.rows.map((g) => presentGrader(g, expected)),
    calls: calls.rows.map((c) => ({
      call_id: c.call_id,
      evaluation_id: c.evaluation_id,
      agent_id: c.agent_id,
      started_at: iso(c.started_at),
      scored_at: iso(c.scored_at),
      criteria: c.criteria,
      my_scores: (mine.get(c.call_id) ?? []).map(presentScore),
    })),
  };
}

export async function listSessions(ctx: UserContext, f: SessionFilter) {
  tenantOf(ctx);
  const where = f.status ? sql`s.status = ${f.status}` : sql`true`;
  const [rows, counted] = await ctx.db.run((q) => [
    q.execute<{ session: SessionJson }>(sql`
      select ${sessionJson(sql`s`)} as session from calibration_sessions s where ${where}
       order by s.created_at desc, s.id limit ${f.limit} offset ${(f.page - 1) * f.limit}`),
    q.execute<{ n: number }>(sql`select count(*)::int as n from calibration_sessions s where ${where}`),
  ]);
  return { rows: rows.rows.map((r) => presentSession(r.session)), total: Number(counted.rows[0]?.n ?? 0) };
}

export async function getSession(ctx: UserContext, sessionId: string) {
  tenantOf(ctx);
  const results = await ctx.db.run((q) => detailStatements(q, sessionId, ctx.actor.userId));
  return presentDetail(results as unknown as DetailResults, ctx.actor.userId);
}

function callErrors(rows: NamedCall[]): FieldError[] {
  return rows
    .filter((c) => c.evaluation_id === null)
    .map((c) => ({ field: `call_ids.${c.i}`, message: 'is not a scored call of this tenant' }));
}

function graderErrors(rows: NamedGrader[]): FieldError[] {
  return rows.flatMap((g): FieldError[] => {
    const field = `grader_ids.${g.i}`;
    if (g.role === null) return [{ field, message: 'is not a user of this tenant' }];
    if (g.role !== 'manager' && g.role !== 'tenant_admin')
      return [{ field, message: `is not a manager or tenant admin (role ${g.role}); only they grade` }];
    if (g.status !== 'active') return [{ field, message: `is not active (status ${g.status})` }];
    return [];
  });
}

/**
 * Names calls and graders; each call's current evaluation is what the session calibrates. All or
 * nothing: one call that is not scored, or one grader who may not grade, writes nothing.
 */
export async function createSession(ctx: UserContext, input: NewSession) {
  const tenantId = tenantOf(ctx);
  const id = crypto.randomUUID();
  const [calls, graders, created, ...detail] = await ctx.db.run((q) => [
    q.execute<NamedCall>(callChecks(input.call_ids)),
    q.execute<NamedGrader>(graderChecks(input.grader_ids)),
    q.execute<{ created: number }>(
      insertSession({
        id,
        tenantId,
        name: input.name,
        description: input.description ?? null,
        createdBy: ctx.actor.userId,
        callIds: input.call_ids,
        graderIds: input.grader_ids,
      }),
    ),
    ...detailStatements(q, id, ctx.actor.userId),
  ]);
  const errors = [...callErrors(calls.rows), ...graderErrors(graders.rows)];
  if (errors.length) throw new Invalid('A session needs scored calls and graders who are managers.', errors);
  if (!created.rows[0]?.created) throw new Conflict('The calls or graders changed meanwhile; try again.');
  return presentDetail(detail as unknown as DetailResults, ctx.actor.userId);
}

/**
 * A grader's scores of one call, per criterion, replacing its earlier ones of the same criteria
 * (PUT: the same request twice leaves the same state). Only while the session is open.
 */
export async function saveScores(ctx: UserContext, sessionId: string, callId: string, scores: ScoreInput[]) {
  const tenantId = tenantOf(ctx);
  const me = ctx.actor.userId;
  const [saved, own] = await ctx.db.run((q) => [
    q.execute<SaveScoresRow>(saveStatement(tenantId, sessionId, callId, me, scores)),
    q.execute<OwnScoreRow>(ownScores(sessionId, me, callId)),
  ]);
  const row = saved.rows[0]!;
  if (!row.saved) {
    if (row.status === null) throw new NotFound('Calibration session');
    if (!row.in_session) throw new NotFound('Call in this calibration session');
    if (!row.grader) throw new Forbidden('Only the graders named in this session score its calls.');
    if (row.status === 'closed') throw new Conflict('This calibration session is closed; its scores are final.');
    const errors = row.judged.flatMap((j): FieldError[] => {
      if (j.max_points === null)
        return [
          {
            field: `scores.${j.i}.criterion_id`,
            message: 'is not a criterion of the evaluation being calibrated (the version the call was scored with)',
          },
        ];
      if (scores[j.i]!.score > j.max_points)
        return [
          {
            field: `scores.${j.i}.score`,
            message: `must be at most ${j.max_points}, the criterion's max points in the version the call was scored with`,
          },
        ];
      return [];
    });
    throw new Invalid('Some scores do not fit the evaluation being calibrated.', errors);
  }
  return { session_id: sessionId, call_id: callId, scores: own.rows.map(presentScore) };
}

/** Closing is final. The creator or a tenant admin closes; a session nobody scored has nothing to show (409). */
export async function closeSession(ctx: UserContext, sessionId: string) {
  tenantOf(ctx);
  const me = ctx.actor.userId;
  const asAdmin = atLeast(ctx.actor.role, 'tenant_admin');
  const [checked, closed, ...detail] = await ctx.db.run((q) => [
    q.execute<{ status: SessionStatus; created_by: string; scored: number }>(closeChecks(sessionId)),
    q.execute<{ id: string }>(closeStatement(sessionId, me, asAdmin)),
    ...detailStatements(q, sessionId, me),
  ]);
  const before = checked.rows[0];
  if (!before) throw new NotFound('Calibration session');
  if (!closed.rows.length) {
    if (before.created_by !== me && !asAdmin)
      throw new Forbidden('Only the creator of the session or a tenant admin closes it.');
    if (before.status === 'closed') throw new Conflict('This calibration session is already closed.');
    if (before.scored === 0) throw new Conflict('Nothing to calibrate yet: no grader has scored any call.');
    throw new Conflict('The session changed meanwhile; try again.');
  }
  return presentDetail(detail as unknown as DetailResults, me);
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Per grader: how many scores, and the mean signed and absolute deviation from the consensus. */
function graderDeviations(items: ResultRow[]) {
  const by = new Map<string, number[]>();
  for (const it of items) for (const s of it.scores) by.set(s.grader_id, [...(by.get(s.grader_id) ?? []), s.deviation]);
  return [...by].map(([grader_id, deviations]) => ({
    grader_id,
    n: deviations.length,
    mean_deviation: round(mean(deviations), 2),
    mean_absolute_deviation: round(mean(deviations.map(Math.abs)), 2),
  }));
}

/** One call and criterion of a closed session: the AI, the consensus, the spread, every grader. */
function itemResult(it: ResultRow) {
  return {
    criterion_id: it.criterion_id,
    name: it.criterion_name,
    max_points: it.max_points,
    ai: { score: it.ai_score, passed: it.ai_passed },
    consensus: { score: it.consensus_score, passed: it.consensus_passed },
    spread: { range: it.range, sd: round(it.sd, 2) },
    graders: it.scores.map((s) => ({ ...s, deviation: round(s.deviation, 2) })),
  };
}

const keyOf = (criterionId: string, maxPoints: number) => `${maxPoints}/${criterionId}`;

/** A closed session's results; 409 while it is open (the blind rule). */
export async function getResults(ctx: UserContext, sessionId: string) {
  tenantOf(ctx);
  const [session, graders, items, coincidence] = await ctx.db.run((q) => [
    q.execute<{ session: SessionJson }>(sessionById(sessionId)),
    q.execute<SessionGraderRow>(sessionGraders(sessionId)),
    q.execute<ResultRow>(sessionResults(sessionId)),
    q.execute<CoincidenceRow>(sessionCoincidence(sessionId)),
  ]);
  const row = session.rows[0];
  if (!row) throw new NotFound('Calibration session');
  // Before the close the database shows each caller its own scores only; results would mislead.
  if (row.session.status !== 'closed')
    throw new Conflict('Results are shown once the session is closed: until then graders score blind.');

  const matrices = new Map(coincidence.rows.map((c) => [keyOf(c.criterion_id, c.max_points), c]));
  const groups = new Map<string, ResultRow[]>();
  for (const it of items.rows) {
    const k = keyOf(it.criterion_id, it.max_points);
    groups.set(k, [...(groups.get(k) ?? []), it]);
  }
  const criteria = [...groups].map(([k, rows]) => {
    const scored = rows.filter((r) => r.consensus_score !== null);
    const last = rows[rows.length - 1]!;
    return {
      criterion_id: last.criterion_id,
      name: last.criterion_name,
      max_points: last.max_points,
      calls: rows.length,
      calls_scored: scored.length,
      mean_range: round(mean(scored.map((r) => r.range!)), 2),
      mean_sd: round(mean(scored.map((r) => r.sd!)), 2),
      alpha: alphasOf(matrices.get(k)),
      graders: graderDeviations(scored),
      ai: agreementFigures(
        scored.map((r) => ({ a: r.ai_score, b: r.consensus_score!, ap: r.ai_passed, bp: r.consensus_passed, n: 1 })),
      ),
    };
  });

  const calls = new Map<
    string,
    { call_id: string; evaluation_id: string; criteria: ReturnType<typeof itemResult>[] }
  >();
  for (const it of items.rows) {
    const c = calls.get(it.call_id) ?? { call_id: it.call_id, evaluation_id: it.evaluation_id, criteria: [] };
    c.criteria.push(itemResult(it));
    calls.set(it.call_id, c);
  }
  const expected = [...calls.values()].reduce((n, c) => n + c.criteria.length, 0);
  return {
    session: presentSession(row.session),
    graders: graders.rows.map((g) => presentGrader(g, expected)),
    criteria,
    calls: [...calls.values()],
  };
}
