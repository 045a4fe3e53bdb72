/**
 * What operators rely on: one JSON log line per request (and per unexpected error), and a
 * readiness route that checks the dependencies. Requests go through the Worker's fetch handler,
 * with the test environment or a copy of it pointing a dependency somewhere unreachable.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../../src/index';
import { expectProblem, IDS, json, logLines, tokenOf } from './helpers';

/** A request straight to the Worker's fetch handler, with `bindings` as its environment. */
async function fetchWith(bindings: Cloudflare.Env, path: string, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://api.test${path}`, { headers }), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

afterEach(() => vi.restoreAllMocks());

describe('structured logs', () => {
  it('structured logs: one JSON line per request with the route pattern, status, duration, request id, tenant and actor', async () => {
    const token = await tokenOf('acme_manager');
    const missing = crypto.randomUUID();
    const {
      value: res,
      lines,
      raw,
    } = await logLines(() => fetchWith(env, `/api/calls/${missing}?secret=1`, { authorization: `Bearer ${token}` }));
    expect(res.status).toBe(404);
    const requestId = res.headers.get('x-request-id');
    const requestLines = lines.filter((l) => l.message === 'request');
    expect(requestLines, 'exactly one line for the request').toHaveLength(1);
    expect(requestLines[0]).toEqual({
      level: 'info',
      message: 'request',
      request_id: requestId,
      method: 'GET',
      route: '/api/calls/:call_id',
      status: 404,
      duration_ms: expect.any(Number),
      tenant: 'acme',
      actor: IDS['manager@acme.test'],
    });
    expect(lines.filter((l) => 'unstructured' in l)).toEqual([]);
    expect(raw, 'the raw path and query are not logged, only the route').not.toContain(missing);
    expect(raw).not.toContain('secret=1');
    expect(raw, 'the bearer token is never logged').not.toContain(token);
  });

  it('structured logs: an unexpected error is logged with its stack and answered 500 without it', async () => {
    const token = await tokenOf('acme_manager');
    // The hub binding fails in a way no domain error describes.
    const broken = {
      ...env,
      TENANT_HUB: {
        idFromName() {
          throw new TypeError('hub namespace exploded');
        },
      },
    } as unknown as Cloudflare.Env;
    const { value: res, lines } = await logLines(() =>
      fetchWith(broken, '/api/command-center/realtime', { authorization: `Bearer ${token}` }),
    );
    const body = await expectProblem(res, 500);
    expect(JSON.stringify(body)).not.toMatch(/exploded|at .*\.ts|stack/);

    const error = lines.find((l) => l.message === 'unexpected error');
    expect(error).toMatchObject({
      level: 'error',
      request_id: body.request_id,
      route: '/api/command-center/realtime',
      tenant: 'acme',
      actor: IDS['manager@acme.test'],
      error: { name: 'TypeError', message: 'hub namespace exploded' },
    });
    expect(error!.error.stack, 'the stack is in the log line').toMatch(/hub namespace exploded[\s\S]*\n\s+at /);
    expect(lines.find((l) => l.message === 'request')).toMatchObject({ level: 'error', status: 500 });
  });
});

describe('readiness', () => {
  it('readiness: ready on the healthy stack, with each check and its latency', async () => {
    const res = await fetchWith(env, '/health/ready');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      status: 'ready',
      checks: {
        database: { status: 'ok', latency_ms: expect.any(Number) },
        keycloak: { status: 'ok', latency_ms: expect.any(Number) },
      },
    });
    // Cheap to poll: the next answer within a few seconds reuses the result.
    const again = await json(await fetchWith(env, '/health/ready'));
    expect(again).toMatchObject({ status: 'ready', cached: true, checked_at: body.checked_at });
  });

  it('readiness: not ready (503) when Keycloak is unreachable, naming the check that failed', async () => {
    const res = await fetchWith({ ...env, KEYCLOAK_URL: 'http://127.0.0.1:9' }, '/health/ready');
    const body = (await expectProblem(res, 503)) as Record<string, any>;
    expect(body.detail).toBe('Not ready: keycloak failed.');
    expect(body.checks).toMatchObject({
      database: { status: 'ok' },
      keycloak: { status: 'fail', error: 'unreachable', latency_ms: expect.any(Number) },
    });
    expect(JSON.stringify(body), 'no internal address in the answer').not.toContain('127.0.0.1');
  });

  it('readiness: not ready (503) when the database refuses the connection', async () => {
    const res = await fetchWith(
      { ...env, DATABASE_URL: 'postgresql://nobody:nobody@db.localtest.me/postgres' },
      '/health/ready',
    );
    const body = (await expectProblem(res, 503)) as Record<string, any>;
    expect(body.detail).toBe('Not ready: database failed.');
    expect(body.checks).toMatchObject({ database: { status: 'fail' }, keycloak: { status: 'ok' } });
    // The healthy configuration is unaffected (results are kept per configuration).
    expect((await fetchWith(env, '/health/ready')).status).toBe(200);
  });

  it('readiness: /health stays liveness only, answering even when every dependency is down', async () => {
    const down = { ...env, KEYCLOAK_URL: 'http://127.0.0.1:9', NEON_HTTP_ENDPOINT: 'http://127.0.0.1:9/sql' };
    expect((await fetchWith(down, '/health')).status).toBe(200);
  });
});
