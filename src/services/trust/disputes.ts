/**
 * Disputes: the call's agent contests criteria of its released evaluation, each with a proposed
 * score and a reason, within the tenant's window after the release; a manager (never the agent
 * itself) takes it in review and decides every item at once: `upheld` (the value in force stays),
 * `overturned` (the agent's proposal) or `modified` (another score). The resolution becomes the
 * human review of those criteria (db/statements/reviews.ts, source `dispute`), written in the same
 * transaction as the dispute's state, so the call's effective score and analytics follow.
 *
 * `open → in_review → resolved`, or `withdrawn` by the agent, or `expired` by the cron sweep when
 * the window passes while it is still open. A final state is final; a second dispute of the same
 * evaluation may be opened while the limit of pending ones allows it.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { ServiceContext, UserContext } from '../../context';
import type { DisputeDecision, DisputeStatus } from '../../db/schema';
import {
  type Decision,
  disputeById,
  type DisputeJson,
  disputeJson,
  disputeState,
  type DisputeStateRow,
  expireLapsed,
  lockCallDisputes,
  lockPendingDispute,
  type OpenFlags,
  openDispute as openStatement,
  type OpenItem,
  resolvable,
  resolveDispute as resolveStatement,
  takeInReview as reviewStatement,
  withdraw as withdrawStatement,
} from '../../db/statements/disputes';
import { applyHumanScores, type HumanScore } from '../../db/statements/reviews';
import { Conflict, type FieldError, Forbidden, Invalid, NotFound } from '../../lib/errors';
import { pushToHub } from '../alerts';
import type { Pagination } from '../pagination';
import { afterScores } from '../reviews';
import { iso, tenantOf } from '../scope';

const FINAL: DisputeStatus[] = ['resolved', 'withdrawn', 'expired'];

function present(d: DisputeJson) {
  return {
    ...d,
    window_ends_at: iso(d.window_ends_at),
    opened_at: iso(d.opened_at),
    review_started_at: iso(d.review_started_at),
    closed_at: iso(d.closed_at),
    updated_at: iso(d.updated_at),
  };
}
export type Dispute = ReturnType<typeof present>;

function found(rows: { dispute: DisputeJson }[]): Dispute {
  const row = rows[0];
  if (!row) throw new NotFound('Dispute');
  return present(row.dispute);
}

/** The live event of a dispute, to its agent and to the managers (of its team). */
async function emit(ctx: ServiceContext, type: 'dispute.opened' | 'dispute.resolved', d: Dispute, extra = {}) {
  await pushToHub(ctx, {
    type,
    data: {
      dispute_id: d.id,
      call_id: d.call_id,
      evaluation_id: d.evaluation_id,
      agent_id: d.agent.id,
      status: d.status,
      criteria: d.items.map((i) => i.criterion_id),
      ...extra,
    },
    agent_id: d.agent.id,
    team_id: d.agent.team_id,
  });
}

export interface NewDispute {
  items: OpenItem[];
  comment?: string | null;
}

/** The caller disputes criteria of its call's current, released evaluation. */
export async function openDispute(ctx: UserContext, callId: string, input: NewDispute) {
  const tenantId = tenantOf(ctx);
  const id = crypto.randomUUID();
  const [, opened, detail] = await ctx.db.run((q) => [
    q.execute(lockCallDisputes(callId)),
    q.execute<OpenFlags>(
      openStatement({
        id,
        tenantId,
        callId,
        actorId: ctx.actor.userId,
        comment: input.comment ?? null,
        items: input.items,
      }),
    ),
    q.execute<{ dispute: DisputeJson }>(disputeById(id)),
  ]);
  const flags = opened.rows[0]!;
  if (!flags.opened) {
    // An agent cannot see another agent's call at all: that is a 404 by the database's policies.
    if (!flags.found) throw new NotFound('Call');
    if (!flags.own) throw new Forbidden("Only the call's agent disputes its evaluation.");
    if (!flags.released) throw new Conflict('The call has no released evaluation to dispute.');
    if (!flags.in_window)
      throw new Forbidden(
        `The dispute window of this evaluation closed at ${iso(flags.window_ends_at)} (tenant setting disputes.window_days).`,
      );
    const errors = flags.judged.flatMap((j): FieldError[] => {
      if (j.max_points === null || !j.known)
        return [{ field: `items.${j.i}.criterion_id`, message: 'is not a criterion of this evaluation' }];
      if (input.items[j.i]!.proposed_score > j.max_points)
        return [
          {
            field: `items.${j.i}.proposed_score`,
            message: `must be at most ${j.max_points}, the criterion's max points as the call was scored`,
          },
        ];
      return [];
    });
    if (errors.length) throw new Invalid('Some items do not fit the evaluation disputed.', errors);
    if (flags.pending >= flags.max_open)
      throw new Conflict(
        `This evaluation already has ${flags.pending} pending dispute(s), the most allowed (tenant setting disputes.max_open_per_evaluation).`,
      );
    throw new Conflict('The evaluation changed meanwhile; try again.');
  }
  const dispute = found(detail.rows);
  await emit(ctx, 'dispute.opened', dispute);
  return dispute;
}

export async function getDispute(ctx: UserContext, disputeId: string) {
  tenantOf(ctx);
  const [detail] = await ctx.db.run((q) => [q.execute<{ dispute: DisputeJson }>(disputeById(disputeId))]);
  return found(detail.rows);
}

export interface DisputeFilter extends Pagination {
  status?: DisputeStatus;
  agent_id?: string;
  team_id?: string;
  /** Opened at least this many hours ago. */
  older_than_hours?: number;
}

/** Disputes of the tenant, newest first (an agent: its own, by the database's policies). */
export async function listDisputes(ctx: UserContext, f: DisputeFilter) {
  tenantOf(ctx);
  const conditions: SQL[] = [
    f.status ? sql`d.status = ${f.status}` : undefined,
    f.agent_id ? sql`d.agent_id = ${f.agent_id}::uuid` : undefined,
    f.team_id ? sql`u.team_id = ${f.team_id}::uuid` : undefined,
    f.older_than_hours !== undefined
      ? sql`d.created_at <= now() - make_interval(hours => ${f.older_than_hours}::int)`
      : undefined,
  ].filter((c): c is SQL => !!c);
  const from = sql`from disputes d left join users u on u.tenant_id = d.tenant_id and u.id = d.agent_id
    where ${conditions.length ? sql.join(conditions, sql` and `) : sql`true`}`;
  const [known, rows, counted] = await ctx.db.run((q) => [
    q.execute<{ team: boolean; agent: boolean }>(sql`
      select ${f.team_id ?? null}::uuid is null or exists (select 1 from teams where id = ${f.team_id ?? null}::uuid) as team,
             ${f.agent_id ?? null}::uuid is null or exists (select 1 from users where id = ${f.agent_id ?? null}::uuid) as agent`),
    q.execute<{ dispute: DisputeJson }>(sql`
      select ${disputeJson(sql`d`)} as dispute ${from}
      order by d.created_at desc, d.id limit ${f.limit} offset ${(f.page - 1) * f.limit}`),
    q.execute<{ n: number }>(sql`select count(*)::int as n ${from}`),
  ]);
  const k = known.rows[0]!;
  const unknown: FieldError[] = [
    ...(!k.agent ? [{ field: 'agent_id', message: 'is not a user of this tenant' }] : []),
    ...(!k.team ? [{ field: 'team_id', message: 'does not exist' }] : []),
  ];
  if (unknown.length) throw new Invalid('No such agent or team in this tenant.', unknown);
  return { rows: rows.rows.map((r) => present(r.dispute)), total: Number(counted.rows[0]?.n ?? 0) };
}

/** Why a move moved nothing, from the dispute as it was. */
function refuseMove(state: DisputeStateRow | undefined, what: string): never {
  if (!state) throw new NotFound('Dispute');
  if (FINAL.includes(state.status)) throw new Conflict(`This dispute is ${state.status}; it cannot be ${what}.`);
  throw new Conflict('The dispute changed meanwhile; try again.');
}

/** A manager takes an open dispute in review; never one of their own calls. */
export async function takeInReview(ctx: UserContext, disputeId: string) {
  tenantOf(ctx);
  const me = ctx.actor.userId;
  const [before, moved, detail] = await ctx.db.run((q) => [
    q.execute<DisputeStateRow>(disputeState(disputeId)),
    q.execute<{ id: string }>(reviewStatement(disputeId, me)),
    q.execute<{ dispute: DisputeJson }>(disputeById(disputeId)),
  ]);
  if (!moved.rows.length) {
    const state = before.rows[0];
    if (state && state.agent_id === me) throw new Forbidden('A dispute of your own call is decided by someone else.');
    if (state?.status === 'in_review') throw new Conflict('This dispute is already in review.');
    refuseMove(state, 'taken in review');
  }
  return found(detail.rows);
}

/** The dispute's agent withdraws it, while it is open or in review. */
export async function withdrawDispute(ctx: UserContext, disputeId: string) {
  tenantOf(ctx);
  const me = ctx.actor.userId;
  const [before, moved, detail] = await ctx.db.run((q) => [
    q.execute<DisputeStateRow>(disputeState(disputeId)),
    q.execute<{ id: string }>(withdrawStatement(disputeId, me)),
    q.execute<{ dispute: DisputeJson }>(disputeById(disputeId)),
  ]);
  if (!moved.rows.length) {
    const state = before.rows[0];
    if (state && state.agent_id !== me) throw new Forbidden('Only the agent who opened a dispute withdraws it.');
    refuseMove(state, 'withdrawn');
  }
  return found(detail.rows);
}

export interface DecisionInput {
  criterion_id: string;
  decision: DisputeDecision;
  /** For `modified`: the score decided. */
  score?: number;
  comment: string;
}

export interface Resolution {
  items: DecisionInput[];
  comment?: string | null;
}

/** The human score each decision writes: upheld keeps what is in force, overturned takes the proposal. */
function humanScoreOf(d: DecisionInput, proposed: number): HumanScore {
  if (d.decision === 'upheld') return { criterion_id: d.criterion_id, keep: true, comment: d.comment };
  return {
    criterion_id: d.criterion_id,
    score: d.decision === 'overturned' ? proposed : d.score!,
    comment: d.comment,
  };
}

/**
 * Decides every item of a dispute in review in one request. The human scores, the dispute's state
 * and its decisions are written in one transaction, each write guarded by the same conditions
 * under the dispute's row lock: all of it happens, or none.
 */
export async function resolveDispute(ctx: UserContext, disputeId: string, input: Resolution) {
  const tenantId = tenantOf(ctx);
  const me = ctx.actor.userId;
  const [states, currents] = await ctx.db.run((q) => [
    q.execute<DisputeStateRow>(disputeState(disputeId)),
    q.execute<{ dispute: DisputeJson }>(disputeById(disputeId)),
  ]);
  const state = states.rows[0];
  const current = currents.rows[0];
  if (!state || !current) throw new NotFound('Dispute');
  if (state.agent_id === me) throw new Forbidden('A dispute of your own call is decided by someone else.');
  if (FINAL.includes(state.status)) throw new Conflict(`This dispute is ${state.status}; it cannot be resolved.`);
  if (state.status === 'open') throw new Conflict('Take the dispute in review before resolving it.');

  const items = new Map(current.dispute.items.map((i) => [i.criterion_id, i]));
  const errors: FieldError[] = [];
  input.items.forEach((d, i) => {
    const item = items.get(d.criterion_id);
    if (!item) errors.push({ field: `items.${i}.criterion_id`, message: 'is not a criterion of this dispute' });
    else if (d.decision === 'modified' && d.score! > item.max_points)
      errors.push({
        field: `items.${i}.score`,
        message: `must be at most ${item.max_points}, the criterion's max points as the call was scored`,
      });
  });
  const decided = new Set(input.items.map((d) => d.criterion_id));
  const missing = [...items.keys()].filter((id) => !decided.has(id));
  if (missing.length)
    errors.push({
      field: 'items',
      message: `must decide every criterion of the dispute; missing: ${missing.join(', ')}`,
    });
  if (errors.length) throw new Invalid('The decisions do not fit the dispute.', errors);

  const decisions: Decision[] = input.items.map((d) => ({
    criterion_id: d.criterion_id,
    decision: d.decision,
    comment: d.comment,
  }));
  const [, , written, resolved, detail] = await ctx.db.run(
    (q) =>
      [
        q.execute(lockPendingDispute(disputeId)),
        ...applyHumanScores(q, {
          tenantId,
          callId: state.call_id,
          evaluationId: state.evaluation_id,
          items: input.items.map((d) => humanScoreOf(d, items.get(d.criterion_id)!.proposed_score)),
          source: 'dispute',
          sourceId: disputeId,
          actorId: me,
          guard: resolvable(disputeId, me),
        }),
        q.execute<{ resolved: boolean; decided: number }>(
          resolveStatement(disputeId, me, input.comment ?? null, decisions),
        ),
        q.execute<{ dispute: DisputeJson }>(disputeById(disputeId)),
      ] as const,
  );
  if (!resolved.rows[0]?.resolved) {
    const flags = written.rows[0];
    if (flags && !flags.applied && flags.found && flags.unknown.length + flags.over_max.length > 0)
      throw new Invalid('The decisions do not fit the evaluation disputed.', [
        { field: 'items', message: 'the evaluation no longer has these criteria as they were disputed' },
      ]);
    throw new Conflict('The dispute changed meanwhile (withdrawn, or resolved by someone else); try again.');
  }
  const dispute = found(detail.rows);
  await afterScores(ctx, tenantId, state.call_id, state.evaluation_id);
  await emit(ctx, 'dispute.resolved', dispute, {
    overall_score: written.rows[0]!.overall_score,
    decisions: Object.fromEntries(dispute.items.map((i) => [i.criterion_id, i.decision])),
  });
  return dispute;
}

/** Batch size of the expiry sweep. */
const EXPIRE_BATCH = 500;

/** Cron: open disputes whose window has passed become `expired` (the platform job, across tenants). */
export async function expireDisputes(ctx: ServiceContext): Promise<{ expired: number }> {
  const [done] = await ctx.db.run((q) => [q.execute(expireLapsed(EXPIRE_BATCH))]);
  return { expired: done.rowCount ?? 0 };
}
