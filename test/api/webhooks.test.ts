import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN } from '../../dev/twilio/demo';
import { signGenericWebhook } from '../../src/integrations/signatures/generic-signature';
import { twilioSignature } from '../../src/integrations/signatures/twilio-signature';
import { as, call, expectProblem, IDS, json, storedObjects, wavBytes } from './helpers';

const PUBLIC = 'http://api.test';
/** The AssemblyAI stand-in doubles as a recording host (it serves uploaded media). */
const MEDIA_ORIGIN = new URL(env.ASSEMBLYAI_BASE_URL!).origin;
const recordings = () => inject('twilioRecordings');

function twilioParams(
  rec: { recordingSid: string; callSid: string; recordingUrl: string },
  overrides: Record<string, string> = {},
) {
  return {
    AccountSid: DEMO_ACCOUNT_SID,
    CallSid: rec.callSid,
    RecordingSid: rec.recordingSid,
    RecordingUrl: rec.recordingUrl,
    RecordingStatus: 'completed',
    RecordingDuration: '1',
    RecordingChannels: '1',
    RecordingStartTime: 'Mon, 23 Nov 2026 10:00:00 +0000',
    RecordingSource: 'DialVerb',
    ...overrides,
  };
}

/** Posts a recording callback as Twilio would, signed for `signedUrl` (default: the URL posted to). */
async function twilioCallback(
  path: string,
  params: Record<string, string>,
  opts: { signedUrl?: string; token?: string; tamper?: boolean } = {},
) {
  const signature = await twilioSignature(opts.token ?? DEMO_AUTH_TOKEN, opts.signedUrl ?? PUBLIC + path, params);
  const body = new URLSearchParams({ ...params, ...(opts.tamper ? { RecordingDuration: '999' } : {}) }).toString();
  return call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body,
  });
}

describe('Twilio recording callbacks', () => {
  beforeAll(async () => {
    const res = await as('acme_admin', '/api/integrations/twilio', {
      method: 'PUT',
      body: {
        account_sid: DEMO_ACCOUNT_SID,
        auth_token: DEMO_AUTH_TOKEN,
        agent_mapping: { 'agent-7': IDS['agent@acme.test'] },
      },
    });
    expect(res.status).toBe(200);
  });

  it('never returns the stored secret, and manages integrations as tenant_admin only', async () => {
    const list = await json(await as('acme_admin', '/api/integrations'));
    expect(JSON.stringify(list)).not.toContain(DEMO_AUTH_TOKEN);
    expect(list.data.find((i: { provider: string }) => i.provider === 'twilio')).toMatchObject({
      provider: 'twilio',
      has_secret: true,
    });
    await expectProblem(await as('acme_manager', '/api/integrations'), 403);
  });

  it('turns a signed completed callback into one call, however often it is delivered', async () => {
    const rec = recordings()[0]!;
    const path = '/webhooks/twilio/recording-status?tenant=acme&agent=agent-7';
    const first = await twilioCallback(path, twilioParams(rec));
    expect(first.status).toBe(200);
    const created = await json(first);
    expect(created.created).toBe(true);
    const again = await json(await twilioCallback(path, twilioParams(rec)));
    expect(again).toEqual({ call_id: created.call_id, created: false });
    const detail = await json(await as('acme_manager', `/api/calls/${created.call_id}`));
    expect(detail.call_info).toMatchObject({
      source: 'twilio',
      external_id: rec.recordingSid,
      agent_id: IDS['agent@acme.test'],
    });
    expect(await storedObjects('acme')).toContain(`acme/calls/${created.call_id}/audio`);
  });

  it.each([
    ['a tampered body', { tamper: true }],
    ['a signature for another URL', { signedUrl: `${PUBLIC}/webhooks/twilio/recording-status?tenant=globex` }],
    ['another auth token', { token: 'not-the-token-at-all-000' }],
  ])('rejects %s with 403 and creates nothing', async (_case, opts) => {
    const rec = recordings()[1]!;
    const before = await storedObjects('acme');
    const res = await twilioCallback('/webhooks/twilio/recording-status?tenant=acme', twilioParams(rec), opts);
    await expectProblem(res, 403);
    expect(await storedObjects('acme')).toEqual(before);
  });

  it('rejects a missing signature with 422 and a tenant without the integration with 404', async () => {
    const rec = recordings()[1]!;
    const body = new URLSearchParams(twilioParams(rec)).toString();
    await expectProblem(
      await call('/webhooks/twilio/recording-status?tenant=acme', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      }),
      422,
    );
    await expectProblem(
      await twilioCallback('/webhooks/twilio/recording-status?tenant=globex', twilioParams(rec)),
      404,
    );
  });

  it.each([
    [
      'another host',
      'https://evil.example/2010-04-01/Accounts/ACdec0de00000000000000000000000001/Recordings/RE00000000000000000000000000000003',
    ],
    [
      'another account',
      'http://127.0.0.1:18083/2010-04-01/Accounts/AC00000000000000000000000000000099/Recordings/RE00000000000000000000000000000003',
    ],
    ['an internal address', 'http://169.254.169.254/latest/meta-data'],
  ])('refuses a RecordingUrl on %s (SSRF) and stores nothing', async (_case, url) => {
    const rec = recordings()[2]!;
    const before = await storedObjects('acme');
    const res = await twilioCallback(
      '/webhooks/twilio/recording-status?tenant=acme',
      twilioParams(rec, { RecordingUrl: url }),
    );
    await expectProblem(res, 403);
    expect(await storedObjects('acme')).toEqual(before);
  });

  it('acknowledges other recording states without creating a call', async () => {
    const rec = recordings()[3]!;
    const res = await twilioCallback(
      '/webhooks/twilio/recording-status?tenant=acme',
      twilioParams(rec, { RecordingStatus: 'in-progress' }),
    );
    expect(await json(res)).toMatchObject({ ignored: true });
  });
});

describe('generic signed webhooks', () => {
  const secret = 'generic-webhook-secret-0123456789abcdef';
  beforeAll(async () => {
    const res = await as('globex_admin', '/api/integrations/generic', {
      method: 'PUT',
      body: { secret, media_origins: [MEDIA_ORIGIN], default_agent_id: IDS['agent@globex.test'] },
    });
    expect(res.status).toBe(200);
  });

  const event = (externalId: string, url: string) =>
    JSON.stringify({
      type: 'recording.completed',
      recording: { url },
      call: { external_id: externalId, direction: 'outbound' },
    });

  /** Some provider's media host: the AssemblyAI stand-in's upload CDN serves bytes without auth. */
  async function hostedRecording(): Promise<string> {
    const res = await fetch(`${MEDIA_ORIGIN}/v2/upload`, {
      method: 'POST',
      headers: { authorization: 'dev-assemblyai-key', 'content-type': 'application/octet-stream' },
      body: wavBytes(),
    });
    return ((await res.json()) as { upload_url: string }).upload_url;
  }

  async function post(body: string, opts: { timestamp?: number; id?: string; tamperBody?: boolean } = {}) {
    const signed = await signGenericWebhook(secret, body, opts);
    return call('/webhooks/generic?tenant=globex', {
      method: 'POST',
      headers: { ...signed.headers, 'content-type': 'application/json' },
      body: opts.tamperBody ? body.replace('outbound', 'inbound') : body,
    });
  }

  it('turns a valid signed event into a call for the mapped agent', async () => {
    const externalId = `ext-${crypto.randomUUID()}`;
    const res = await post(event(externalId, await hostedRecording()));
    expect(res.status).toBe(200);
    const { call_id, created } = await json(res);
    expect(created).toBe(true);
    const detail = await json(await as('globex_manager', `/api/calls/${call_id}`));
    expect(detail.call_info).toMatchObject({
      source: 'webhook',
      external_id: externalId,
      direction: 'outbound',
      agent_id: IDS['agent@globex.test'],
    });
  });

  it.each([
    ['a tampered body', { tamperBody: true }],
    ['a stale timestamp', { timestamp: Math.floor(Date.now() / 1000) - 600 }],
  ])('rejects %s with 401', async (_case, opts) => {
    await expectProblem(await post(event(`ext-${crypto.randomUUID()}`, `${MEDIA_ORIGIN}/cdn/none`), opts), 401);
  });

  it('ignores a replayed event id, and a replay under a new id', async () => {
    const body = event(`ext-${crypto.randomUUID()}`, await hostedRecording());
    const signed = await signGenericWebhook(secret, body, { id: `evt-${crypto.randomUUID()}` });
    const send = (headers: Record<string, string>) =>
      call('/webhooks/generic?tenant=globex', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      });
    const first = await send(signed.headers);
    expect(first.status).toBe(200);
    expect(await json(await send(signed.headers))).toEqual({ duplicate: true });
    expect(await json(await send({ ...signed.headers, 'X-QA-Webhook-Id': `evt-${crypto.randomUUID()}` }))).toEqual({
      duplicate: true,
    });
  });

  it('moves the live view with call.started and call.ended events', async () => {
    const id = `live-${crypto.randomUUID()}`;
    const send = (type: string) => post(JSON.stringify({ type, call: { external_id: id, direction: 'inbound' } }));
    expect((await send('call.started')).status).toBe(200);
    let live = await json(await as('globex_manager', '/api/command-center/realtime'));
    expect(live.active_calls.map((c: { call_id: string }) => c.call_id)).toContain(id);
    expect(live.agent_statuses[IDS['agent@globex.test']!].status).toBe('on_call');
    expect((await send('call.ended')).status).toBe(200);
    live = await json(await as('globex_manager', '/api/command-center/realtime'));
    expect(live.active_calls.map((c: { call_id: string }) => c.call_id)).not.toContain(id);
    await expectProblem(await post(JSON.stringify({ type: 'call.teleported', call: { external_id: id } })), 422);
  });

  it('refuses recordings from origins the tenant did not list', async () => {
    await expectProblem(await post(event(`ext-${crypto.randomUUID()}`, 'https://evil.example/rec')), 403);
  });
});

describe('Twilio call status callbacks', () => {
  it('shows a call in progress on the live view and ends it, moving the agent to wrap-up', async () => {
    await as('acme_admin', '/api/integrations/twilio', {
      method: 'PUT',
      body: {
        account_sid: DEMO_ACCOUNT_SID,
        auth_token: DEMO_AUTH_TOKEN,
        agent_mapping: { 'agent-7': IDS['agent@acme.test'] },
      },
    });
    const path = '/webhooks/twilio/call-status?tenant=acme&agent=agent-7';
    const callSid = `CA${crypto.randomUUID().replace(/-/g, '')}`;
    const params = (status: string) => ({
      AccountSid: DEMO_ACCOUNT_SID,
      CallSid: callSid,
      CallStatus: status,
      Direction: 'inbound',
      From: '+15555550100',
      To: '+15555550199',
    });
    expect((await twilioCallback(path, params('in-progress'))).status).toBe(200);
    let live = await json(await as('acme_manager', '/api/command-center/realtime'));
    expect(live.active_calls.map((c: { call_id: string }) => c.call_id)).toContain(callSid);
    expect(live.agent_statuses[IDS['agent@acme.test']!].status).toBe('on_call');
    expect((await twilioCallback(path, params('completed'), { tamper: false })).status).toBe(200);
    live = await json(await as('acme_manager', '/api/command-center/realtime'));
    expect(live.active_calls.map((c: { call_id: string }) => c.call_id)).not.toContain(callSid);
    expect(live.agent_statuses[IDS['agent@acme.test']!].status).toBe('wrap_up');
    await expectProblem(await twilioCallback(path, params('ringing'), { token: 'wrong-token-wrong-token' }), 403);
  });
});
