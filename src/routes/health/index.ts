import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../../lib/create-app';
import { PROBLEM_BASE, ProblemSchema } from '../../lib/problem';
import { READINESS_ACTOR, serviceContext } from '../../service-context';
import { CHECK_TIMEOUT_MS, readiness, READINESS_TTL_MS } from '../../services/readiness';
import { jsonResponse } from '../shared/schemas';

const Check = z
  .object({
    status: z.enum(['ok', 'fail']),
    latency_ms: z.number().int().openapi({ example: 12 }),
    error: z
      .string()
      .optional()
      .openapi({ description: 'Why it failed: `timeout`, `unreachable`, `HTTP <status>`, `unavailable`...' }),
  })
  .openapi('ReadinessCheck');
const Checks = z.object({ database: Check, keycloak: Check }).openapi('ReadinessChecks');
const Readiness = z
  .object({
    status: z.literal('ready'),
    checked_at: z.string().openapi({ description: 'When the checks ran (results are reused for a few seconds).' }),
    cached: z.boolean(),
    checks: Checks,
  })
  .openapi('Readiness');
const NotReady = ProblemSchema.extend({ checked_at: z.string(), cached: z.boolean(), checks: Checks }).openapi(
  'NotReady',
);

/** Liveness only: no database or identity provider call, so load balancers cannot amplify load. */
export const healthRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/health',
      operationId: 'getHealth',
      tags: ['Health'],
      security: [],
      summary: 'Liveness check',
      responses: {
        200: jsonResponse(z.object({ status: z.literal('ok'), environment: z.string() }), 'The Worker is up'),
      },
    }),
    (c) => c.json({ status: 'ok' as const, environment: c.get('config').environment }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/health/ready',
      operationId: 'getReadiness',
      tags: ['Health'],
      security: [],
      summary: 'Readiness check',
      description:
        `Whether this deployment can serve requests: the database answers a query and Keycloak the platform realm's ` +
        `discovery document, each within ${CHECK_TIMEOUT_MS / 1000} s. The result is reused for ` +
        `${READINESS_TTL_MS / 1000} s per Worker isolate, so it is cheap to poll. Use /health for liveness.`,
      responses: {
        200: jsonResponse(Readiness, 'Every dependency answered'),
        503: {
          description: 'A dependency failed or timed out; `checks` says which',
          content: { 'application/problem+json': { schema: NotReady } },
        },
      },
    }),
    async (c) => {
      const ctx = serviceContext(c.env, { actor: READINESS_ACTOR, tenantId: null, requestId: c.get('requestId') });
      const { ready, checks, checked_at, cached } = await readiness(ctx);
      c.header('cache-control', 'no-store');
      if (ready) return c.json({ status: 'ready' as const, checked_at, cached, checks }, 200);
      const failed = (Object.keys(checks) as (keyof typeof checks)[]).filter((k) => checks[k].status === 'fail');
      return c.json(
        {
          type: `${PROBLEM_BASE}unavailable`,
          title: 'Service unavailable',
          status: 503,
          detail: `Not ready: ${failed.join(', ')} failed.`,
          request_id: c.get('requestId'),
          checked_at,
          cached,
          checks,
        },
        503,
        { 'content-type': 'application/problem+json' },
      );
    },
  );
