import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context';
import type { Config } from '../env';
import { commandCenterSocketRoute } from '../routes/command-center/schema';
import { webhookRoutes } from '../routes/webhooks/schema';

type App = OpenAPIHono<AppEnv>;
type Document = ReturnType<App['getOpenAPI31Document']>;

const TAGS = [
  {
    name: 'Health',
    description:
      'Liveness (touches no dependency) and readiness (database and Keycloak, each with a short timeout, cached a few seconds).',
  },
  { name: 'Auth', description: 'Tokens from the tenant realm (login, refresh, logout) and the caller’s own profile.' },
  { name: 'Tenants', description: 'Companies on the platform: their tier, limits, settings, branding and usage.' },
  { name: 'Organizations', description: 'Organizations, departments and teams inside a tenant.' },
  { name: 'Users', description: 'People of a tenant, their roles, placement and permissions.' },
  { name: 'Administration', description: 'Feature flags, settings and the audit trail of a tenant (tenant_admin).' },
  { name: 'Evaluation criteria', description: 'What calls are scored against: criteria, their versions and sets.' },
  {
    name: 'Compliance templates',
    description:
      'Versioned compliance requirements (PCI DSS, HIPAA, GDPR, TCPA, FDCPA, custom) judged on every call; system templates are read-only and copied.',
  },
  {
    name: 'Calls',
    description: 'Recorded calls and what the pipeline derives from them: transcript, evaluation, insights, audio.',
  },
  { name: 'Integrations', description: 'Telephony providers that deliver recordings and live call events.' },
  {
    name: 'Command center',
    description: 'The live view for supervisors: agent statuses, active calls, alerts, metrics and the WebSocket.',
  },
  {
    name: 'AI coach',
    description:
      'Training for agents: courses with ordered modules and lessons (reading, examples, exercises, quizzes, roleplays).',
  },
  {
    name: 'Analytics',
    description:
      "Summaries, trends and agent performance over the tenant's days, read from daily rollups written with each evaluation.",
  },
  {
    name: 'Reviews',
    description:
      "Human review beside the model's score, never over it: per criterion scores, the effective score that analytics count, and the queue of calls waiting for a human.",
  },
  {
    name: 'Reports',
    description:
      "Reports generated into R2 and downloaded by link, and schedules that generate them on a cron expression in the tenant's time zone and email the link.",
  },
  {
    name: 'Calibration',
    description:
      'Sessions where several managers score the same calls blind to the AI and to each other, then compare: consensus (median), spread, Krippendorff’s alpha, the AI beside them.',
  },
  {
    name: 'Disputes',
    description:
      "An agent contests criteria of its released evaluation within the tenant's window (disputes.window_days); a manager who is not that agent decides each item, and the resolution becomes the human review of those criteria.",
  },
  {
    name: 'Webhooks',
    description: 'Callbacks from providers, authenticated by their signature or shared secret, not by a token.',
  },
];

/** The document depends only on the routes (fixed once the app is built) and the configuration. */
const cache = new WeakMap<Config, Document>();

export function openApiDocument(app: App, config: Config): Document {
  let doc = cache.get(config);
  if (!doc) {
    doc = app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'QA Platform API',
        version: '0.1.0',
        description:
          'Multi-tenant API for AI quality assurance of call-center calls. ' +
          'Errors are application/problem+json (RFC 9457) with a stable `type` and the request id.',
        // `identifier` is OpenAPI 3.1; the library types this object with the 3.0 shape.
        license: { name: 'Apache 2.0', identifier: 'Apache-2.0' } as { name: string },
        contact: { name: 'QA Platform', url: `${config.publicUrl}/docs` },
      },
      // PUBLIC_URL is the address providers and browsers use, so "try it" calls go where webhooks do.
      servers: [{ url: config.publicUrl, description: `This deployment (${config.environment})` }],
      // Bearer by default: an operation that forgets its own `security` is documented as protected, as it is.
      security: [{ bearerAuth: [] }],
      tags: TAGS,
    });
    cache.set(config, doc);
  }
  return doc;
}

/**
 * Registers the security scheme and the routes that are not zod-openapi routes (provider webhooks,
 * the WebSocket upgrade), and serves the document at /openapi.json.
 */
export function mountOpenApiDocument(app: App) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A Keycloak access token from the tenant realm (POST /api/auth/login returns one).',
  });
  for (const route of [...webhookRoutes, commandCenterSocketRoute]) app.openAPIRegistry.registerPath(route);
  app.get('/openapi.json', (c) => c.json(openApiDocument(app, c.get('config'))));
}
