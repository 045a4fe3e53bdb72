import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { callStatusCallbackParams, type CallStatus } from '../../dev/twilio/callback-params';
import { DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN } from '../../dev/twilio/demo';
import { signGenericWebhook } from '../../src/integrations/signatures/generic-signature';
import { twilioSignature } from '../../src/integrations/signatures/twilio-signature';
import { as, asTenant, call, expectProblem, IDS, json, storedObjects, wavBytes } from './helpers';

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

  it('ignores a replayed event id, and refuses a replay under a new id (the id is signed)', async () => {
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
    await expectProblem(await send({ ...signed.headers, 'X-QA-Webhook-Id': `evt-${crypto.randomUUID()}` }), 401);
  });

  it('generic webhook replay: a captured delivery resent under a new id with a re-spelled signature makes no second call', async () => {
    // No external id in the body: the call would be keyed by the event id, so each accepted resend would be a new call.
    const body = JSON.stringify({ type: 'recording.completed', recording: { url: await hostedRecording() } });
    const signed = await signGenericWebhook(secret, body);
    const send = (headers: Record<string, string>) =>
      call('/webhooks/generic?tenant=globex', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      });
    const first = await json(await send(signed.headers));
    expect(first.created).toBe(true);
    const signature = signed.headers['X-QA-Webhook-Signature']!;
    const [version, hex] = signature.split('=') as [string, string];
    const respellings = [
      `${version}=${hex.toUpperCase()}`,
      `${signature} ${signature}`,
      `${version}=${'0'.repeat(64)} ${signature}`,
      `${signature} `,
      `${signature} v9=abc`,
    ];
    for (const respelled of respellings) {
      const res = await send({
        ...signed.headers,
        'X-QA-Webhook-Id': `evt_${crypto.randomUUID().replaceAll('-', '')}`,
        'X-QA-Webhook-Signature': respelled,
      });
      const outcome = res.status === 200 ? await json(res) : await res.text();
      expect(outcome, `a resend signed "${respelled}" under a new id must not become a call`).not.toHaveProperty(
        'call_id',
      );
      expect([200, 401]).toContain(res.status);
    }
  });

  it('generic webhook replay: a retry re-signed with a new timestamp under the same id is a duplicate', async () => {
    const body = JSON.stringify({ type: 'recording.completed', recording: { url: await hostedRecording() } });
    const id = `evt_${crypto.randomUUID().replaceAll('-', '')}`;
    const now = Math.floor(Date.now() / 1000);
    const first = await post(body, { id, timestamp: now - 60 });
    expect((await json(first)).created).toBe(true);
    expect(await json(await post(body, { id, timestamp: now }))).toEqual({ duplicate: true });
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

describe('SSRF through media_origins', () => {
  const secret = 'generic-webhook-secret-0123456789abcdef';
  const put = (media_origins: string[]) =>
    as('globex_admin', '/api/integrations/generic', {
      method: 'PUT',
      body: { secret, media_origins, default_agent_id: IDS['agent@globex.test'] },
    });
  /** What a caller could learn about the network behind the API from an error. */
  const revealsAnInternalAddress = (detail: string | undefined) =>
    /\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\]|:\d{2,5}\b|localhost|answered \d{3}/i.test(detail ?? '');

  it.each([
    ['a private address', 'https://10.0.0.5'],
    ['a private address over http', 'http://192.168.1.10'],
    ['a private 172.16/12 address', 'https://172.20.0.1'],
    ['the link-local metadata address', 'https://169.254.169.254'],
    ['the link-local metadata address in hex', 'https://0xa9fea9fe'],
    ['a private address in decimal', 'https://167772165'],
    ['a carrier-grade NAT address', 'https://100.64.0.1'],
    ['the unspecified address', 'https://0.0.0.0'],
    ['an IPv6 literal', 'https://[2001:db8::1]'],
    ['an IPv6 link-local literal', 'https://[fe80::1]'],
    ['an IPv6 unique-local literal', 'https://[fd00::1]'],
    ['an IPv4-mapped IPv6 private address', 'https://[::ffff:10.0.0.1]'],
    ['an IPv4-mapped IPv6 loopback address', 'https://[::ffff:127.0.0.1]'],
    ['plain http to a public host', 'http://media.example.com'],
    ['a public host on another port', 'https://media.example.com:8443'],
    ['a single-label host name', 'https://intranet'],
    ['an internal-only domain', 'https://media.internal'],
  ])('SSRF through media_origins: %s (%s) is refused with 422 naming the field', async (_case, origin) => {
    const problem = await expectProblem(await put(['https://media.example.com', origin]), 422);
    expect(problem.errors, `${origin} must be refused as media_origins.1`).toEqual([
      expect.objectContaining({ field: 'media_origins.1' }),
    ]);
  });

  it('SSRF through media_origins: a public https origin is accepted, and loopback only with the local-development flag', async () => {
    const res = await put(['https://media.example.com', MEDIA_ORIGIN]);
    expect(res.status, 'the test stack sets the local-development flag; its stand-ins live on 127.0.0.1').toBe(200);
    expect((await json(res)).config.media_origins).toEqual(['https://media.example.com', MEDIA_ORIGIN]);
  });

  it('SSRF through media_origins: an origin stored before the rule is not fetched from', async () => {
    expect((await put([MEDIA_ORIGIN])).status).toBe(200);
    await asTenant('globex', IDS['admin@globex.test']!, 'tenant_admin', [
      {
        query: `update tenant_integrations set config = jsonb_set(config, '{media_origins}', '["http://10.1.2.3:8080"]') where provider = 'generic'`,
      },
    ]);
    const body = JSON.stringify({ type: 'recording.completed', recording: { url: 'http://10.1.2.3:8080/rec.wav' } });
    const signed = await signGenericWebhook(secret, body);
    const problem = await expectProblem(
      await call('/webhooks/generic?tenant=globex', { method: 'POST', headers: signed.headers, body }),
      403,
    );
    expect(revealsAnInternalAddress(problem.detail), problem.detail).toBe(false);
    expect((await put([MEDIA_ORIGIN])).status).toBe(200);
  });

  it("SSRF through media_origins: a signed webhook's error does not say which internal host and port answered", async () => {
    expect((await put([MEDIA_ORIGIN])).status).toBe(200);
    const send = async (url: string) => {
      const body = JSON.stringify({ type: 'recording.completed', recording: { url } });
      const signed = await signGenericWebhook(secret, body);
      return call('/webhooks/generic?tenant=globex', { method: 'POST', headers: signed.headers, body });
    };
    // A path the media host answers 404 for, and a port on the same host where nothing listens.
    const missing = await send(`${MEDIA_ORIGIN}/cdn/does-not-exist`);
    const closedPort = `http://127.0.0.1:${Number(new URL(MEDIA_ORIGIN).port) + 7}`;
    expect((await put([MEDIA_ORIGIN, closedPort])).status).toBe(200);
    const unreachable = await send(`${closedPort}/rec.wav`);
    const answers = [await json(missing), await json(unreachable)];
    for (const answer of answers) expect(revealsAnInternalAddress(answer.detail), answer.detail).toBe(false);
    expect(missing.status, 'an answering host and a closed port must look the same').toBe(unreachable.status);
    expect(answers[0].detail).toBe(answers[1].detail);
    expect((await put([MEDIA_ORIGIN])).status).toBe(200);
  });

  it("SSRF through media_origins: Twilio's recording errors do not name the media host", async () => {
    const rec = recordings()[2]!;
    const res = await twilioCallback(
      '/webhooks/twilio/recording-status?tenant=acme',
      twilioParams(rec, { RecordingUrl: 'https://evil.example/2010-04-01/Accounts/x/Recordings/y' }),
    );
    const problem = await expectProblem(res, 403);
    expect(problem.detail).not.toContain(new URL(env.TWILIO_MEDIA_BASE_URL!).host);
  });
});

describe('Twilio call status callbacks', () => {
  const path = '/webhooks/twilio/call-status?tenant=acme&agent=agent-7';
  const agent = IDS['agent@acme.test']!;
  const newCallSid = () => `CA${crypto.randomUUID().replace(/-/g, '')}`;
  /** The full parameter set Twilio posts for a call progress event (SequenceNumber and Timestamp included). */
  const progress = (callSid: string, status: CallStatus, extra: { timestamp?: Date; sequenceNumber?: number } = {}) =>
    callStatusCallbackParams({
      accountSid: DEMO_ACCOUNT_SID,
      callSid,
      status,
      from: '+15555550100',
      to: '+15555550199',
      ...extra,
    });
  const realtime = async () => json(await as('acme_manager', '/api/command-center/realtime'));
  const activeCallIds = (live: { active_calls: { call_id: string }[] }) => live.active_calls.map((c) => c.call_id);

  beforeAll(async () => {
    const res = await as('acme_admin', '/api/integrations/twilio', {
      method: 'PUT',
      body: {
        account_sid: DEMO_ACCOUNT_SID,
        auth_token: DEMO_AUTH_TOKEN,
        agent_mapping: { 'agent-7': agent },
      },
    });
    expect(res.status).toBe(200);
  });

  it('shows a call in progress on the live view and ends it, moving the agent to wrap-up', async () => {
    const callSid = newCallSid();
    expect((await twilioCallback(path, progress(callSid, 'in-progress'))).status).toBe(200);
    let live = await realtime();
    expect(activeCallIds(live)).toContain(callSid);
    expect(live.agent_statuses[agent].status).toBe('on_call');
    expect((await twilioCallback(path, progress(callSid, 'completed'))).status).toBe(200);
    live = await realtime();
    expect(activeCallIds(live)).not.toContain(callSid);
    expect(live.agent_statuses[agent].status).toBe('wrap_up');
    await expectProblem(
      await twilioCallback(path, progress(callSid, 'ringing'), { token: 'wrong-token-wrong-token' }),
      403,
    );
  });

  it('Twilio status callback replay: a captured in-progress callback replayed after the call ended moves nothing', async () => {
    const callSid = newCallSid();
    const answered = progress(callSid, 'in-progress');
    expect((await twilioCallback(path, answered)).status).toBe(200);
    expect((await twilioCallback(path, progress(callSid, 'completed'))).status).toBe(200);
    expect((await realtime()).agent_statuses[agent].status).toBe('wrap_up');

    const replay = await twilioCallback(path, answered);
    expect(replay.status, 'an authentic replay is acknowledged, so Twilio does not retry it').toBe(200);
    expect(await json(replay)).toMatchObject({ ignored: true });
    const again = await twilioCallback(path, progress(callSid, 'completed'));
    expect(await json(again), 'the same status twice is a duplicate').toMatchObject({ duplicate: true });
    const live = await realtime();
    expect(activeCallIds(live), 'the replay must not reopen the ended call').not.toContain(callSid);
    expect(live.agent_statuses[agent].status, 'the replay must not put the agent back on a call').toBe('wrap_up');
  });

  it('Twilio status callback replay: an earlier status that arrives after a later one is ignored', async () => {
    const callSid = newCallSid();
    const late = progress(callSid, 'in-progress', { sequenceNumber: 2 });
    expect((await twilioCallback(path, progress(callSid, 'completed', { sequenceNumber: 3 }))).status).toBe(200);
    const res = await twilioCallback(path, late);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ ignored: true });
    expect(activeCallIds(await realtime())).not.toContain(callSid);
  });

  it('Twilio status callback replay: a callback whose signed Timestamp is past the window is ignored', async () => {
    const callSid = newCallSid();
    const captured = progress(callSid, 'in-progress', { timestamp: new Date(Date.now() - 2 * 3600_000) });
    const res = await twilioCallback(path, captured);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ ignored: true });
    expect(activeCallIds(await realtime()), 'an old capture must not open a call').not.toContain(callSid);
  });

  it('Twilio status callback replay: a callback without SequenceNumber or Timestamp is refused with 422', async () => {
    const { SequenceNumber: _seq, ...noSequence } = progress(newCallSid(), 'in-progress');
    await expectProblem(await twilioCallback(path, noSequence), 422);
    const { Timestamp: _ts, ...noTimestamp } = progress(newCallSid(), 'in-progress');
    await expectProblem(await twilioCallback(path, noTimestamp), 422);
  });
});
