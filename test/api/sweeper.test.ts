import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { as, asTenant, call, eventually, expectProblem, IDS, json, runCron, wavBytes } from './helpers';

/** A call row as if left behind by a lost message, `minutesAgo` in its state. */
async function stuckCall(status: string, minutesAgo: number): Promise<string> {
  const id = crypto.randomUUID();
  await asTenant('acme', 'pipeline', 'system', [
    {
      query: `insert into calls (id, tenant_id, agent_id, source, status, audio_key, status_changed_at)
              values ($1, 'acme', $2, 'upload', $3, $4, now() - make_interval(mins => $5::int))`,
      params: [id, IDS['agent@acme.test'], status, `acme/calls/${id}/audio`, minutesAgo],
    },
  ]);
  return id;
}

describe('stuck-call sweeper (cron)', () => {
  it('purges idempotency keys older than 24 hours, in every tenant, and keeps fresh ones', async () => {
    const old = `old-${crypto.randomUUID()}`;
    const fresh = `fresh-${crypto.randomUUID()}`;
    for (const [tenant, user] of [
      ['acme', IDS['agent@acme.test']],
      ['globex', IDS['agent@globex.test']],
    ] as const) {
      await asTenant(tenant, user!, 'agent', [
        {
          query: `insert into idempotency_keys (tenant_id, key, request_hash, status, response, created_at) values ($1, $2, 'x', 202, '{}', now() - interval '25 hours'), ($1, $3, 'x', 202, '{}', now())`,
          params: [tenant, old, fresh],
        },
      ]);
    }
    await runCron();
    for (const [tenant, user] of [
      ['acme', IDS['agent@acme.test']],
      ['globex', IDS['agent@globex.test']],
    ] as const) {
      const [rows] = await asTenant(tenant, user!, 'agent', [
        { query: 'select key from idempotency_keys where key = any($1::text[])', params: [[old, fresh]] },
      ]);
      expect(rows!.map((r) => r.key)).toEqual([fresh]);
    }
  });

  it('webhook_events purge: delivery records past the replay window are removed in every tenant, recent ones kept', async () => {
    const old = `old-${crypto.randomUUID()}`;
    const fresh = `fresh-${crypto.randomUUID()}`;
    for (const [tenant, user] of [
      ['acme', IDS['agent@acme.test']],
      ['globex', IDS['agent@globex.test']],
    ] as const) {
      await asTenant(tenant, user!, 'agent', [
        {
          query: `insert into webhook_events (tenant_id, provider, event_id, received_at) values ($1, 'generic', $2, now() - interval '25 hours'), ($1, 'generic', $3, now() - interval '1 hour')`,
          params: [tenant, old, fresh],
        },
      ]);
    }
    await runCron();
    for (const [tenant, user] of [
      ['acme', IDS['agent@acme.test']],
      ['globex', IDS['agent@globex.test']],
    ] as const) {
      const [rows] = await asTenant(tenant, user!, 'agent', [
        { query: 'select event_id from webhook_events where event_id = any($1::text[])', params: [[old, fresh]] },
      ]);
      expect(
        rows!.map((r) => r.event_id),
        `${tenant}: a record older than 24 hours is purged, one inside the window kept`,
      ).toEqual([fresh]);
    }
  });

  it('queues a stuck call again at the step it needs, and fails one stuck too long', async () => {
    const recent = await stuckCall('queued', 1);
    const stuck = await stuckCall('queued', 40);
    const abandoned = await stuckCall('transcribed', 200);
    await runCron();

    const expired = await json(await as('acme_manager', `/api/calls/${abandoned}`));
    expect(expired.call_info).toMatchObject({ status: 'failed' });
    expect(expired.call_info.failure_reason).toMatch(/^stuck in "transcribed"/);

    // Re-queued: the transcribe step runs again (and, with no audio behind it here, fails with a reason).
    const retried = await eventually(async () => {
      const d = await json(await as('acme_manager', `/api/calls/${stuck}`));
      return d.call_info.status !== 'queued' ? d.call_info : null;
    });
    expect(retried.status).not.toBe('queued');

    const untouched = await json(await as('acme_manager', `/api/calls/${recent}`));
    expect(untouched.call_info.status, 'a call within the timeout is left alone').toBe('queued');
  });

  it('direct uploads: an upload never completed is swept, object and row, after its URL expired', async () => {
    const audio = wavBytes(0.5);
    const start = async () => {
      const up = await json(
        await as('acme_agent', '/api/calls/uploads', {
          method: 'POST',
          body: { content_type: 'audio/wav', content_length: audio.byteLength, metadata: { direction: 'inbound' } },
        }),
      );
      const url = new URL(up.upload_url);
      expect((await call(url.pathname + url.search, { method: 'PUT', headers: up.headers, body: audio })).status).toBe(
        200,
      );
      return { id: up.call_id as string, key: decodeURIComponent(url.pathname.split('/').slice(3).join('/')) };
    };
    const abandoned = await start();
    const fresh = await start();
    await asTenant('acme', IDS['admin@acme.test']!, 'tenant_admin', [
      { query: `update calls set created_at = now() - interval '1 hour' where id = $1`, params: [abandoned.id] },
    ]);
    expect(await env.AUDIO.head(abandoned.key)).not.toBeNull();
    await runCron();
    await expectProblem(await as('acme_agent', `/api/calls/${abandoned.id}`), 404);
    expect(await env.AUDIO.head(abandoned.key), 'its object is removed with it').toBeNull();
    const kept = await json(await as('acme_agent', `/api/calls/${fresh.id}`));
    expect(kept.call_info.status, 'an upload whose URL is still valid is left alone').toBe('uploaded');
    expect(await env.AUDIO.head(fresh.key)).not.toBeNull();
  });
});
