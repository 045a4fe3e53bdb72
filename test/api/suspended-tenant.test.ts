/**
 * A suspended tenant keeps spending: nothing may be taken in or spent on its behalf. Webhooks are
 * refused with a clear error, pipeline steps do nothing, the sweeper leaves its calls alone, and
 * reactivation resumes what was in flight.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { signGenericWebhook } from '../../src/integrations/signatures/generic-signature';
import { as, asTenant, call, deliver, eventually, expectProblem, runCron } from './helpers';

const tenant = `susp${crypto.randomUUID().slice(0, 8)}`;
const secret = 'suspended-tenant-webhook-secret-0123456789';
let adminId: string;

async function setStatus(status: 'active' | 'suspended') {
  const res = await as('super_admin', `/api/tenants/${tenant}`, { method: 'PUT', body: { status } });
  expect(res.status).toBe(200);
}

/** A call as if the pipeline had it in flight, `minutesAgo` in its state. */
async function callInFlight(minutesAgo: number): Promise<string> {
  const id = crypto.randomUUID();
  await asTenant(tenant, 'platform-test', 'super_admin', [
    {
      query: `insert into calls (id, tenant_id, agent_id, source, status, audio_key, status_changed_at)
              values ($1, $2, $3, 'upload', 'queued', $4, now() - make_interval(mins => $5::int))`,
      params: [id, tenant, adminId, `${tenant}/calls/${id}/audio`, minutesAgo],
    },
  ]);
  return id;
}

async function statusOf(callId: string): Promise<{ status: string; failure_reason: string | null }> {
  const [rows] = await asTenant(tenant, 'platform-test', 'super_admin', [
    { query: 'select status, failure_reason from calls where id = $1', params: [callId] },
  ]);
  return rows![0] as { status: string; failure_reason: string | null };
}

beforeAll(async () => {
  const created = await as('super_admin', '/api/tenants', {
    method: 'POST',
    body: {
      tenant_id: tenant,
      display_name: 'Suspended later',
      subdomain: tenant,
      admin: { email: `a@${tenant}.test`, first_name: 'A', last_name: 'B', password: 'long-enough-pass' },
    },
  });
  expect(created.status).toBe(201);
  const [rows] = await asTenant(tenant, 'platform-test', 'super_admin', [{ query: 'select id from users' }]);
  adminId = rows![0]!.id as string;
  const integration = await as('super_admin', '/api/integrations/generic', {
    method: 'PUT',
    headers: { 'x-tenant-id': tenant },
    body: { secret, media_origins: ['https://media.example.com'] },
  });
  expect(integration.status).toBe(200);
  await setStatus('suspended');
}, 120_000);

describe('a suspended tenant keeps spending (refused)', () => {
  it('suspended tenant: a signed webhook is refused with a 403 the provider can log, and no call is made', async () => {
    const body = JSON.stringify({
      type: 'recording.completed',
      recording: { url: 'https://media.example.com/r.wav' },
      call: { external_id: `ext-${crypto.randomUUID()}` },
    });
    const signed = await signGenericWebhook(secret, body);
    const res = await call(`/webhooks/generic?tenant=${tenant}`, {
      method: 'POST',
      headers: { ...signed.headers, 'content-type': 'application/json' },
      body,
    });
    expect((await expectProblem(res, 403)).detail).toBe('This tenant is suspended.');
    const [rows] = await asTenant(tenant, 'platform-test', 'super_admin', [
      { query: 'select count(*)::int as n from calls where source = $1', params: ['webhook'] },
    ]);
    expect(rows![0]).toEqual({ n: 0 });
  });

  it('suspended tenant: a pipeline step does nothing and is acknowledged, the call waits where it is', async () => {
    const callId = await callInFlight(1);
    const { ids, result } = await deliver('qa-pipeline', [{ step: 'transcribe', tenant_id: tenant, call_id: callId }]);
    expect(result.retryMessages, 'not retried into the dead-letter queue').toEqual([]);
    expect([...result.explicitAcks], 'acknowledged').toEqual(ids);
    expect(await statusOf(callId)).toEqual({ status: 'queued', failure_reason: null });
  });

  it('suspended tenant: the sweeper neither re-queues nor fails its calls; reactivation resumes them', async () => {
    const waiting = await callInFlight(40);
    const longWaiting = await callInFlight(200);
    await runCron();
    expect(await statusOf(waiting), 'not re-queued while suspended').toEqual({
      status: 'queued',
      failure_reason: null,
    });
    expect(await statusOf(longWaiting), 'not failed as abandoned while suspended').toEqual({
      status: 'queued',
      failure_reason: null,
    });

    await setStatus('active');
    await runCron();
    // Both run their transcribe step again (and, with no audio behind them here, fail with a reason
    // that is not "stuck"): the long wait did not count as abandonment.
    for (const id of [waiting, longWaiting]) {
      const after = await eventually(async () => {
        const s = await statusOf(id);
        return s.status !== 'queued' ? s : null;
      });
      expect(after.failure_reason ?? '').not.toMatch(/^stuck/);
    }
  });
});
