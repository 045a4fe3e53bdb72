/**
 * The multi-clause statements of call intake and re-analysis. Each one checks its preconditions
 * in SQL, in the same statement as the write they guard, and answers one row of flags the
 * service turns into an outcome, so every precondition is written exactly once.
 */
import { sql, type SQL } from 'drizzle-orm';
import { calls, criteriaSets, idempotencyKeys, tenants, tenantUsage, transcripts } from '../schema';
import type { QueryBuilder } from '../tenant-db';
import { factBase, moveCallFacts, queuedFact, receivedFact } from './analytics';

/**
 * Counts one call (and its stored bytes) against today's quota of the tenant's tier. Returns a
 * row only when the quota had room and `when` holds; callers put it in a CTE and make their own
 * write depend on it, so a tenant at its limit gets nothing written.
 */
export function chargeCall(tenantId: string, bytes: number, when: SQL = sql`true`): SQL {
  return sql`
    insert into ${tenantUsage} (tenant_id, day, calls, storage_bytes)
    select ${tenantId}, current_date, 1, ${bytes}::bigint where ${when}
    on conflict (tenant_id, day) do update
      set calls = ${tenantUsage.calls} + 1, storage_bytes = ${tenantUsage.storageBytes} + excluded.storage_bytes
      where ${tenantUsage.calls} < (select (${tenants.limits} ->> 'max_calls_per_day')::int from ${tenants} where ${tenants.id} = ${tenantId})
    returning 1`;
}

export interface NewCall {
  id: string;
  tenantId: string;
  agentId: string | null;
  uploadedBy: string | null;
  source: 'upload' | 'presigned' | 'twilio' | 'webhook';
  direction: 'inbound' | 'outbound';
  startedAt: string | null;
  externalId: string | null;
  customerNumber: string | null;
  tags: string[];
  criteriaSetId: string | null;
  /** `queued` calls are charged to the quota now; `uploaded` ones when their upload completes. */
  status: 'queued' | 'uploaded';
  audioKey: string;
  audioContentType: string;
  audioBytes: number;
  audioChannels: number;
}

export interface InsertCallFlags {
  call_id: string | null;
  within_size: boolean;
  within_storage: boolean;
  within_quota: boolean;
  max_upload_mb: number;
  max_calls_per_day: number;
  max_storage_gb: number;
}

/**
 * Serialises the intake of one tenant until the transaction ends, so the storage check of the
 * statement after it sees every upload committed before (two concurrent uploads cannot both take
 * the last free bytes). Sent in the same batch as `insertCall`, before it: no extra round trip.
 * A statement's snapshot is taken when it starts, so the lock cannot sit in the insert itself.
 */
export function lockTenantIntake(q: QueryBuilder, tenantId: string) {
  return q.execute(sql`select pg_advisory_xact_lock(hashtextextended(${'intake:' + tenantId}, 0))`);
}

/** The audio a tenant stores: every call's bytes, pending direct uploads (declared size) included. */
const storedBytes = (tenantId: string) =>
  sql`coalesce((select sum(${calls.audioBytes}) from ${calls} where ${calls.tenantId} = ${tenantId}), 0)`;

/** The Idempotency-Key of a request: whose it is, the key, and the fingerprint of the request. */
export interface IdempotencyRecord {
  actorId: string;
  key: string;
  fingerprint: string;
  answer: object;
}

/**
 * Inserts a call if its audio is within the tier's upload size and the tenant's storage (every
 * call's audio plus this one within `max_storage_gb`) and, for a queued call, the day's quota has
 * room; remembers the answer under the caller's Idempotency-Key when one is given. A second call
 * with the same key or the same provider id fails on its unique key (a Conflict). Put
 * `lockTenantIntake` before it in the same batch.
 */
export function insertCall(q: QueryBuilder, call: NewCall, idempotency?: IdempotencyRecord) {
  const charged = call.status === 'queued';
  const counted = charged
    ? sql`counted as (${chargeCall(call.tenantId, call.audioBytes, sql`(select ok from size_ok) and (select ok from storage_ok)`)}),`
    : sql``;
  const quotaOk = charged ? sql`exists (select 1 from counted)` : sql`true`;
  const remember = idempotency
    ? sql`, remembered as (
        insert into ${idempotencyKeys} (tenant_id, actor_id, key, request_hash, status, response)
        select ${call.tenantId}, ${idempotency.actorId}, ${idempotency.key}, ${idempotency.fingerprint}, 202,
               ${JSON.stringify(idempotency.answer)}::jsonb from ins
        returning 1)`
    : sql``;
  // A queued call is received now; a direct upload's call when its upload completes.
  const received = charged
    ? sql`, old_fact as (select null::date as day, null::uuid as agent_id, false as scored, false as failed,
                                null::int as score, false as passed, false as auto_failed, false as compliant,
                                null::text as sentiment where false),
        ${moveCallFacts(call.tenantId, call.id, receivedFact(call.tenantId, call.agentId, call.startedAt, sql`ins`), sql`exists (select 1 from ins)`)}`
    : sql``;
  return q.execute<{ [K in keyof InsertCallFlags]: InsertCallFlags[K] }>(sql`
    with tier as (
      select (limits ->> 'max_upload_mb')::int as max_upload_mb, (limits ->> 'max_calls_per_day')::int as max_calls_per_day,
             (limits ->> 'max_storage_gb')::numeric as max_storage_gb
      from ${tenants} where id = ${call.tenantId}
    ),
    size_ok as (select ${call.audioBytes}::bigint <= max_upload_mb::bigint * 1048576 as ok from tier),
    storage_ok as (
      select ${storedBytes(call.tenantId)} + ${call.audioBytes}::bigint <= max_storage_gb * 1073741824 as ok from tier
    ),
    ${counted}
    ins as (
      insert into ${calls} (id, tenant_id, agent_id, uploaded_by, source, direction, started_at, external_id,
                            customer_number, tags, status, audio_key, audio_content_type, audio_bytes, audio_channels,
                            criteria_set_id)
      select ${call.id}, ${call.tenantId}, ${call.agentId}::uuid, ${call.uploadedBy}, ${call.source}, ${call.direction},
             ${call.startedAt}::timestamptz, ${call.externalId}, ${call.customerNumber}, ${sql.param(call.tags)}::text[],
             ${call.status}, ${call.audioKey}, ${call.audioContentType}, ${call.audioBytes}, ${call.audioChannels},
             ${call.criteriaSetId}::uuid
      where (select ok from size_ok) and (select ok from storage_ok) and ${quotaOk}
      returning id
    )${remember}${received}
    select (select id from ins) as call_id, coalesce((select ok from size_ok), false) as within_size,
           coalesce((select ok from storage_ok), false) as within_storage,
           ${quotaOk} as within_quota, (select max_upload_mb from tier) as max_upload_mb,
           (select max_calls_per_day from tier) as max_calls_per_day,
           (select max_storage_gb from tier)::float8 as max_storage_gb`);
}

/**
 * `uploaded` → `queued` for a direct upload whose object checked out and was copied to `key`,
 * charged to the quota in the same statement. `pending` says the call was still waiting for its
 * upload (a concurrent completion that won keeps its own key).
 */
export function queueUploadedCall(
  q: QueryBuilder,
  tenantId: string,
  callId: string,
  upload: { key: string; bytes: number; type: string },
) {
  return q.execute<{ pending: boolean; queued: boolean }>(sql`
    with pending as (select id from ${calls} where id = ${callId} and status = 'uploaded'),
    counted as (${chargeCall(tenantId, upload.bytes, sql`exists (select 1 from pending)`)}),
    moved as (
      update ${calls} set status = 'queued', audio_key = ${upload.key}, audio_content_type = ${upload.type},
                          audio_bytes = ${upload.bytes}
      where id = ${callId} and status = 'uploaded' and exists (select 1 from counted)
      returning id
    ),
    -- Received now that it reached the pipeline, on the day it started (else was created).
    ${factBase(tenantId, callId)},
    ${moveCallFacts(tenantId, callId, queuedFact(sql`exists (select 1 from moved)`), sql`exists (select 1 from moved)`)}
    select exists (select 1 from pending) as pending, exists (select 1 from moved) as queued`);
}

/**
 * Checks and charges a re-analysis in one statement: the call must exist and be transcribed, the
 * named criteria set (if any) must exist, and only then is it counted against the day's quota.
 */
export function chargeReanalysis(q: QueryBuilder, tenantId: string, callId: string, criteriaSetId: string | null) {
  return q.execute<{
    found: boolean;
    status: string | null;
    transcribed: boolean;
    set_exists: boolean;
    charged: boolean;
  }>(sql`
    with call as (
      select status, exists (select 1 from ${transcripts} t where t.call_id = c.id) as transcribed
      from ${calls} c where c.id = ${callId}
    ),
    chosen as (
      select ${criteriaSetId}::uuid is null or exists (select 1 from ${criteriaSets} s where s.id = ${criteriaSetId}::uuid) as ok
    ),
    counted as (${chargeCall(tenantId, 0, sql`coalesce((select transcribed from call), false) and (select ok from chosen)`)})
    select exists (select 1 from call) as found, (select status from call) as status,
           coalesce((select transcribed from call), false) as transcribed, (select ok from chosen) as set_exists,
           exists (select 1 from counted) as charged`);
}
