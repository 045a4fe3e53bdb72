import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  asTenant,
  call,
  callForm,
  eventually,
  expectProblem,
  IDS,
  json,
  storedObjects,
  tokenOf,
  uploadCall,
  wavBytes,
} from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);
const meta = { direction: 'inbound', tags: ['billing'] };

/** A tenant of its own with small limits, so quota and size tests do not touch acme. */
async function smallTenant(limits: {
  max_upload_mb?: number;
  max_calls_per_day?: number;
  max_storage_gb?: number;
  max_users?: number;
}) {
  const id = `c${uniq()}`;
  const created = await as('super_admin', '/api/tenants', {
    method: 'POST',
    body: {
      tenant_id: id,
      display_name: 'Small',
      subdomain: id,
      admin: { email: `a@${id}.test`, first_name: 'A', last_name: 'B', password: 'long-enough-pass' },
    },
  });
  expect(created.status).toBe(201);
  expect((await as('super_admin', `/api/tenants/${id}`, { method: 'PUT', body: { limits } })).status).toBe(200);
  const login = await json(
    await call('/api/auth/login', {
      method: 'POST',
      body: { username: `a@${id}.test`, password: 'long-enough-pass', tenant_id: id },
    }),
  );
  const upload = (form: FormData, headers: Record<string, string> = {}) =>
    call('/api/calls', {
      method: 'POST',
      headers: { authorization: `Bearer ${login.access_token}`, ...headers },
      body: form,
    });
  const presign = (body: { content_type: string; content_length: number; metadata?: unknown }) =>
    call('/api/calls/uploads', {
      method: 'POST',
      headers: { authorization: `Bearer ${login.access_token}` },
      body: { metadata: meta, ...body },
    });
  return { id, token: login.access_token as string, upload, presign };
}

/** The path and query of a presigned URL, to send through the test's worker. */
const pathOf = (url: string) => new URL(url).pathname + new URL(url).search;

/** Starts a direct upload as `who` and PUTs `audio` to its URL. */
async function directUpload(audio: Uint8Array, who: 'acme_agent' | 'acme_manager' = 'acme_agent') {
  const created = await as(who, '/api/calls/uploads', {
    method: 'POST',
    body: { content_type: 'audio/wav', content_length: audio.byteLength, metadata: meta },
  });
  expect(created.status).toBe(201);
  const up = await json(created);
  const put = await call(pathOf(up.upload_url), { method: 'PUT', headers: up.headers, body: audio });
  expect(put.status, 'the declared object is accepted').toBe(200);
  return up as { call_id: string; upload_url: string; headers: Record<string, string> };
}

/** The recording a manager would play back. */
async function playedBack(callId: string): Promise<Uint8Array> {
  const { url } = await json(await as('acme_manager', `/api/calls/${callId}/audio`));
  const res = await call(pathOf(url));
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

describe('POST /api/calls', () => {
  it('accepts a recording, stores it and queues it (202)', async () => {
    const res = await uploadCall(
      'acme_agent',
      callForm({ metadata: { ...meta, external_id: `ext-${uniq()}` }, audio: wavBytes() }),
    );
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body).toMatchObject({ status: 'queued' });
    expect(Date.parse(body.estimated_completion)).toBeGreaterThan(Date.now());
    const detail = await json(await as('acme_agent', `/api/calls/${body.call_id}`));
    expect(detail.call_info).toMatchObject({
      id: body.call_id,
      agent_id: IDS['agent@acme.test'],
      source: 'upload',
      tags: ['billing'],
    });
    expect(detail.call_info.audio).toMatchObject({ content_type: 'audio/wav', bytes: wavBytes().byteLength });
    expect(await storedObjects('acme')).toContain(`acme/calls/${body.call_id}/audio`);
  });

  it('returns the first answer for a retried Idempotency-Key and creates nothing twice', async () => {
    const key = `idem-${uniq()}`;
    const first = await json(
      await uploadCall('acme_agent', callForm({ metadata: meta, audio: wavBytes() }), { 'idempotency-key': key }),
    );
    const before = (await storedObjects('acme')).length;
    const second = await uploadCall('acme_agent', callForm({ metadata: meta, audio: wavBytes() }), {
      'idempotency-key': key,
    });
    expect(second.status).toBe(202);
    expect((await json(second)).call_id).toBe(first.call_id);
    expect((await storedObjects('acme')).length, 'the retry stored no second recording').toBe(before);
  });

  it.each([
    ['empty file', { audio: new Uint8Array(0) }, 422, 'audio_file'],
    ['truncated file', { audio: wavBytes().subarray(0, 8) }, 415, undefined],
    ['not audio', { audio: new TextEncoder().encode('%PDF-1.7 not a recording at all') }, 415, undefined],
    ['missing audio', { audio: undefined }, 422, 'audio_file'],
  ])('rejects an upload with %s and stores nothing', async (_case, parts, status, field) => {
    const before = await storedObjects('acme');
    const res = await uploadCall('acme_agent', callForm({ metadata: meta, ...parts }));
    const body = await expectProblem(res, status);
    if (field) expect(body.errors?.[0]?.field).toBe(field);
    expect(await storedObjects('acme')).toEqual(before);
  });

  it('rejects missing or invalid metadata even when it comes after the audio, and removes the audio', async () => {
    const before = await storedObjects('acme');
    const missing = await uploadCall('acme_agent', callForm({ audio: wavBytes() }));
    expect((await expectProblem(missing, 422)).errors?.[0]?.field).toBe('metadata');
    const bad = await uploadCall(
      'acme_agent',
      callForm({ metadata: { direction: 'sideways', tenant_id: 'globex' }, audio: wavBytes() }, ['audio', 'metadata']),
    );
    const body = await expectProblem(bad, 422);
    expect(body.errors?.map((e) => e.field).sort()).toEqual(['metadata.direction', 'metadata.tenant_id']);
    expect(await storedObjects('acme')).toEqual(before);
  });

  it('rejects a malformed multipart body with 422 and stores nothing', async () => {
    const before = await storedObjects('acme');
    const res = await call('/api/calls', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await tokenOf('acme_agent')}`,
        'content-type': 'multipart/form-data; boundary=zzz',
      },
      body: '--zzz\r\nContent-Disposition: form-data; name="audio_file"; filename="a.wav"\r\n\r\nRIFF....WAVEfmt but never terminated',
    });
    expect([400, 422]).toContain(res.status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await storedObjects('acme')).toEqual(before);
  });

  it('rejects a body that is not multipart with 415', async () => {
    await expectProblem(await as('acme_agent', '/api/calls', { method: 'POST', body: { audio: 'x' } }), 415);
  });

  it('will not let an agent upload a call for another agent', async () => {
    await expectProblem(
      await uploadCall(
        'acme_agent',
        callForm({ metadata: { ...meta, agent_id: IDS['agent2@acme.test'] }, audio: wavBytes() }),
      ),
      403,
    );
  });

  it('enforces the tier size limit with 413 and stores nothing', async () => {
    const t = await smallTenant({ max_upload_mb: 1 });
    const big = wavBytes(80); // ~1.3 MB
    const res = await t.upload(callForm({ metadata: meta, audio: big }));
    await expectProblem(res, 413);
    expect(await storedObjects(t.id)).toEqual([]);
  });

  it('enforces the daily call quota with 429 and stores nothing more', async () => {
    const t = await smallTenant({ max_calls_per_day: 1 });
    expect((await t.upload(callForm({ metadata: meta, audio: wavBytes() }))).status).toBe(202);
    const stored = await storedObjects(t.id);
    await expectProblem(await t.upload(callForm({ metadata: meta, audio: wavBytes() })), 429);
    expect(await storedObjects(t.id)).toEqual(stored);
  });
});

describe('re-analysis', () => {
  it('counts against the daily quota: 202 while there is room, then 429', async () => {
    const t = await smallTenant({ max_calls_per_day: 2 });
    const { call_id } = await json(await t.upload(callForm({ metadata: meta, audio: wavBytes() })));
    // A transcript as the pipeline would have stored it (the test runner cannot reach the vendor).
    await asTenant(t.id, 'pipeline', 'system', [
      {
        query: `insert into transcripts (call_id, tenant_id, provider_id, text, utterances, speaker_roles) values ($1, $2, 'tr-1', 'hello', '[]', '{}')`,
        params: [call_id, t.id],
      },
    ]);
    const again = (body: object = {}) =>
      call(`/api/calls/${call_id}/analysis`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body });
    await expectProblem(await again({ criteria_set_id: '00000000-0000-4000-8000-000000000000' }), 422);
    expect((await again()).status).toBe(202);
    await expectProblem(await again(), 429);
  });
});

describe('reading and deleting calls', () => {
  let agentCall: string;
  let agent2Call: string;
  beforeAll(async () => {
    agentCall = (await json(await uploadCall('acme_agent', callForm({ metadata: meta, audio: wavBytes() })))).call_id;
    agent2Call = (await json(await uploadCall('acme_agent2', callForm({ metadata: meta, audio: wavBytes() })))).call_id;
  });

  it('shows agents only their own calls, enforced by the database', async () => {
    const mine = await json(await as('acme_agent', '/api/calls?limit=100'));
    expect(mine.data.every((c: { agent_id: string }) => c.agent_id === IDS['agent@acme.test'])).toBe(true);
    expect(mine.data.map((c: { id: string }) => c.id)).toContain(agentCall);
    await expectProblem(await as('acme_agent', `/api/calls/${agent2Call}`), 404);
    const all = await json(await as('acme_manager', `/api/calls?agent_id=${IDS['agent2@acme.test']}&limit=100`));
    expect(all.data.map((c: { id: string }) => c.id)).toContain(agent2Call);
  });

  it('filters by status and date and validates the filters', async () => {
    const queuedOrLater = await json(await as('acme_manager', `/api/calls?date_from=2000-01-01&limit=5`));
    expect(queuedOrLater.pagination.total).toBeGreaterThan(0);
    const none = await json(await as('acme_manager', '/api/calls?date_from=2999-01-01'));
    expect(none.data).toEqual([]);
    await expectProblem(await as('acme_manager', '/api/calls?min_score=200'), 422);
  });

  it("never shows another tenant's calls", async () => {
    await expectProblem(await as('globex_manager', `/api/calls/${agentCall}`), 404);
    await expectProblem(await as('globex_manager', `/api/calls/${agentCall}`, { method: 'DELETE' }), 404);
    const list = await json(await as('globex_manager', '/api/calls?limit=100'));
    expect(list.data.map((c: { id: string }) => c.id)).not.toContain(agentCall);
  });

  it('gives a short-lived playback URL that serves the recording', async () => {
    const { url, expires_in } = await json(await as('acme_agent', `/api/calls/${agentCall}/audio`));
    expect(expires_in).toBeLessThanOrEqual(300);
    expect(url).toContain('X-Amz-Signature=');
    const audio = await call(new URL(url).pathname + new URL(url).search);
    expect(audio.status).toBe(200);
    expect(new Uint8Array(await audio.arrayBuffer())).toEqual(wavBytes());
    const tampered = url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000');
    expect((await call(new URL(tampered).pathname + new URL(tampered).search)).status).toBe(403);
  });

  it('lets a manager delete a call with its audio, audited; an agent may not', async () => {
    const id = (await json(await uploadCall('acme_agent', callForm({ metadata: meta, audio: wavBytes() })))).call_id;
    await expectProblem(await as('acme_agent', `/api/calls/${id}`, { method: 'DELETE' }), 403);
    expect((await as('acme_manager', `/api/calls/${id}`, { method: 'DELETE' })).status).toBe(204);
    await expectProblem(await as('acme_manager', `/api/calls/${id}`), 404);
    expect(await storedObjects('acme')).not.toContain(`acme/calls/${id}/audio`);
    const audit = await json(await as('acme_admin', `/api/admin/audit-logs?action=calls.delete&limit=100`));
    expect(audit.data.map((e: { entity_id: string }) => e.entity_id)).toContain(id);
  });
});

describe('pipeline failure handling inside the test runner', () => {
  it('ends a call the transcription service cannot fetch as failed with a reason', async () => {
    // In the test runner the Worker has no address the AssemblyAI stand-in can reach, so the
    // download fails: the call must end `failed` with the vendor's reason, not hang.
    const id = (await json(await uploadCall('acme_agent', callForm({ metadata: meta, audio: wavBytes() })))).call_id;
    const failed = await eventually(async () => {
      const d = await json(await as('acme_agent', `/api/calls/${id}`));
      return d.call_info.status === 'failed' ? d.call_info : null;
    });
    expect(failed.failure_reason).toMatch(/^transcription failed: /);
  });
});

describe('direct uploads for large files', () => {
  it('hands out a presigned PUT, checks the object, and queues the call', async () => {
    const audio = wavBytes(1);
    const created = await as('acme_agent', '/api/calls/uploads', {
      method: 'POST',
      body: { content_type: 'audio/wav', content_length: audio.byteLength, metadata: meta },
    });
    expect(created.status).toBe(201);
    const up = await json(created);
    expect(up).toMatchObject({ status: 'uploaded', method: 'PUT', expires_in: 900 });
    await expectProblem(await as('acme_agent', `/api/calls/${up.call_id}/complete`, { method: 'POST' }), 409);
    const path = new URL(up.upload_url).pathname + new URL(up.upload_url).search;
    const wrongType = await call(path, { method: 'PUT', headers: { 'content-type': 'audio/mpeg' }, body: audio });
    expect(wrongType.status, 'the content type is part of the signature').toBe(403);
    const put = await call(path, { method: 'PUT', headers: up.headers, body: audio });
    expect(put.status).toBe(200);
    const done = await as('acme_agent', `/api/calls/${up.call_id}/complete`, { method: 'POST' });
    expect(done.status).toBe(202);
    expect((await json(done)).status).toBe('queued');
  });

  it('refuses a declared size over the tier limit, and an object that is not audio', async () => {
    await expectProblem(
      await as('acme_agent', '/api/calls/uploads', {
        method: 'POST',
        body: { content_type: 'audio/wav', content_length: 10 * 1024 ** 3 },
      }),
      413,
    );
    const bogus = new TextEncoder().encode('this is not audio, only text pretending');
    const up = await json(
      await as('acme_agent', '/api/calls/uploads', {
        method: 'POST',
        body: { content_type: 'audio/wav', content_length: bogus.byteLength },
      }),
    );
    const path = new URL(up.upload_url).pathname + new URL(up.upload_url).search;
    expect((await call(path, { method: 'PUT', headers: up.headers, body: bogus })).status).toBe(200);
    await expectProblem(await as('acme_agent', `/api/calls/${up.call_id}/complete`, { method: 'POST' }), 415);
    expect(await storedObjects('acme')).not.toContain(`acme/calls/${up.call_id}/audio`);
    await expectProblem(await as('acme_agent', `/api/calls/${up.call_id}`), 404);
  });

  it('direct uploads: a PUT after /complete does not change the recording', async () => {
    const original = wavBytes(1);
    const up = await directUpload(original);
    expect((await as('acme_agent', `/api/calls/${up.call_id}/complete`, { method: 'POST' })).status).toBe(202);
    // Same size and type, so the signature still fits: different sound.
    const replacement = wavBytes(1).map((b, i) => (i >= 44 ? 0x7f : b));
    await call(pathOf(up.upload_url), { method: 'PUT', headers: up.headers, body: replacement });
    const heard = await playedBack(up.call_id);
    expect(heard.byteLength).toBe(original.byteLength);
    expect(Buffer.from(heard).equals(Buffer.from(original)), 'playback is what /complete checked').toBe(true);
  });

  it('direct uploads: the presigned PUT accepts only the declared size', async () => {
    const audio = wavBytes(0.5);
    const up = await json(
      await as('acme_agent', '/api/calls/uploads', {
        method: 'POST',
        body: { content_type: 'audio/wav', content_length: audio.byteLength, metadata: meta },
      }),
    );
    expect(up.headers['content-length'], 'the length is one of the signed headers').toBe(String(audio.byteLength));
    expect(new URL(up.upload_url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    const { 'content-length': _declared, ...typeOnly } = up.headers as Record<string, string>;
    for (const body of [wavBytes(5), audio.subarray(0, 100)]) {
      const put = await call(pathOf(up.upload_url), { method: 'PUT', headers: typeOnly, body });
      expect(put.status, `a ${body.byteLength}-byte body under a ${audio.byteLength}-byte signature`).toBe(403);
    }
    await expectProblem(await as('acme_agent', `/api/calls/${up.call_id}/complete`, { method: 'POST' }), 409);
    expect((await call(pathOf(up.upload_url), { method: 'PUT', headers: up.headers, body: audio })).status).toBe(200);
    expect((await as('acme_agent', `/api/calls/${up.call_id}/complete`, { method: 'POST' })).status).toBe(202);
  });

  it('direct uploads: /complete re-checks the stored size and removes a wrong object with its call', async () => {
    const audio = wavBytes(0.5);
    const up = await json(
      await as('acme_agent', '/api/calls/uploads', {
        method: 'POST',
        body: { content_type: 'audio/wav', content_length: audio.byteLength, metadata: meta },
      }),
    );
    // An object of another size at the upload's key, however it got there.
    const key = decodeURIComponent(new URL(up.upload_url).pathname.split('/').slice(3).join('/'));
    await env.AUDIO.put(key, wavBytes(2));
    const body = await expectProblem(
      await as('acme_agent', `/api/calls/${up.call_id}/complete`, { method: 'POST' }),
      413,
    );
    expect(body.detail).toMatch(/bytes/);
    expect(await env.AUDIO.head(key), 'the wrong object is removed').toBeNull();
    await expectProblem(await as('acme_agent', `/api/calls/${up.call_id}`), 404);
  });

  it('direct uploads: /complete after the URL expired with nothing uploaded is 409 and removes the call', async () => {
    const up = await json(
      await as('acme_agent', '/api/calls/uploads', {
        method: 'POST',
        body: { content_type: 'audio/wav', content_length: 1000, metadata: meta },
      }),
    );
    await asTenant('acme', IDS['admin@acme.test']!, 'tenant_admin', [
      { query: `update calls set created_at = now() - interval '16 minutes' where id = $1`, params: [up.call_id] },
    ]);
    const body = await expectProblem(
      await as('acme_agent', `/api/calls/${up.call_id}/complete`, { method: 'POST' }),
      409,
    );
    expect(body.detail).toMatch(/expired/);
    await expectProblem(await as('acme_agent', `/api/calls/${up.call_id}`), 404);
  });

  it('direct uploads: a pending upload counts against the storage quota', async () => {
    const audio = wavBytes(4);
    const small = await smallTenant({ max_storage_gb: (audio.byteLength * 1.5) / 2 ** 30 });
    expect((await small.presign({ content_type: 'audio/wav', content_length: audio.byteLength })).status).toBe(201);
    const body = await expectProblem(
      await small.presign({ content_type: 'audio/wav', content_length: audio.byteLength }),
      413,
    );
    expect(body.type).toMatch(/storage-quota-exceeded$/);
    await expectProblem(await small.upload(callForm({ metadata: meta, audio })), 413);
  });
});

describe('Idempotency-Key per caller', () => {
  it('Idempotency-Key per caller: the same key from another user is a different key', async () => {
    const key = `shared-${uniq()}`;
    const first = await json(
      await uploadCall('acme_agent', callForm({ metadata: meta, audio: wavBytes() }), { 'idempotency-key': key }),
    );
    const other = await uploadCall('acme_agent2', callForm({ metadata: meta, audio: wavBytes() }), {
      'idempotency-key': key,
    });
    expect(other.status).toBe(202);
    const second = await json(other);
    expect(second.call_id, "another user's key does not answer with the first user's call").not.toBe(first.call_id);
    const detail = await json(await as('acme_agent2', `/api/calls/${second.call_id}`));
    expect(detail.call_info.agent_id).toBe(IDS['agent2@acme.test']);
  });

  it('Idempotency-Key per caller: the same key with a different request is 422', async () => {
    const key = `changed-${uniq()}`;
    const first = await uploadCall('acme_agent', callForm({ metadata: meta, audio: wavBytes() }), {
      'idempotency-key': key,
    });
    expect(first.status).toBe(202);
    const before = (await storedObjects('acme')).length;
    const otherMeta = await uploadCall(
      'acme_agent',
      callForm({ metadata: { ...meta, tags: ['sales'] }, audio: wavBytes() }),
      { 'idempotency-key': key },
    );
    const body = await expectProblem(otherMeta, 422);
    expect(body.type).toMatch(/idempotency-key-reused$/);
    const otherAudio = await uploadCall('acme_agent', callForm({ metadata: meta, audio: wavBytes(1) }), {
      'idempotency-key': key,
    });
    await expectProblem(otherAudio, 422);
    expect((await storedObjects('acme')).length, 'a refused request stores nothing').toBe(before);
  });
});

describe('max_storage_gb is enforced', () => {
  it("max_storage_gb is enforced: an upload past the tenant's storage is 413 storage-quota-exceeded", async () => {
    const audio = wavBytes(4);
    const small = await smallTenant({ max_storage_gb: (audio.byteLength * 1.5) / 2 ** 30 });
    expect((await small.upload(callForm({ metadata: meta, audio }))).status).toBe(202);
    const body = await expectProblem(await small.upload(callForm({ metadata: meta, audio })), 413);
    expect(body.type).toMatch(/storage-quota-exceeded$/);
    expect(body.detail).toMatch(/storage/);
  });
});
