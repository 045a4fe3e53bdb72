import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { createMiddleware } from 'hono/factory';
import { authenticate } from './auth/middleware';
import type { AppEnv } from './context';
import { loadConfig, type Config } from './env';
import { createRouter, handleError } from './lib/create-app';
import { mountOpenApi } from './openapi';
import { problem } from './lib/problem';
import { r2Gateway } from '../dev/r2/gateway';
import { adminRouter } from './routes/admin';
import { callsRouter } from './routes/calls';
import { commandCenterRouter, commandCenterSocket } from './routes/command-center';
import { criteriaRouter } from './routes/criteria';
import { integrationsRouter } from './routes/integrations';
import { assemblyaiWebhook } from './routes/webhooks/assemblyai';
import { genericWebhook } from './routes/webhooks/generic';
import { twilioWebhook } from './routes/webhooks/twilio';
import { authPublicRouter, authRouter } from './routes/auth';
import { healthRouter } from './routes/health';
import { organizationsRouter } from './routes/organizations';
import { tenantsRouter } from './routes/tenants';
import { usersRouter } from './routes/users';

/** JSON bodies of the API are small; uploads (later) have their own routes and limits. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/** The call upload streams a multipart body of up to the tier's limit; it has its own checks. */
const isStreamingUpload = (c: { req: { method: string; path: string } }) =>
  c.req.method === 'POST' && c.req.path.replace(/\/+$/, '') === '/api/calls';

const requireJson = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method;
  if (isStreamingUpload(c)) return next();
  const hasBody = Number(c.req.header('content-length') ?? 0) > 0 || c.req.header('transfer-encoding') !== undefined;
  if ((method === 'POST' || method === 'PUT' || method === 'PATCH') && hasBody) {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/(.+\+)?json\b/i.test(type)) {
      return problem(c, 'unsupported-media-type', 'Send the body as application/json.');
    }
  }
  await next();
});

/** One CORS middleware per configuration (the isolate's), not one per request. */
const corsByConfig = new WeakMap<Config, ReturnType<typeof cors>>();
function corsFor(config: Config) {
  let mw = corsByConfig.get(config);
  if (!mw) {
    mw = cors({
      origin: config.allowedOrigins,
      allowHeaders: ['authorization', 'content-type', 'x-tenant-id', 'x-request-id', 'idempotency-key'],
      exposeHeaders: ['x-request-id'],
      maxAge: 600,
    });
    corsByConfig.set(config, mw);
  }
  return mw;
}

export function buildApp() {
  const app = createRouter();
  app.use('*', requestId({ headerName: 'x-request-id' }));
  app.use('*', secureHeaders());
  app.use('*', async (c, next) => {
    c.set('config', loadConfig(c.env));
    await next();
  });
  app.use('/api/*', async (c, next) => corsFor(c.get('config'))(c, next));
  const jsonLimit = bodyLimit({
    maxSize: MAX_JSON_BODY_BYTES,
    onError: (c) => problem(c, 'payload-too-large', `JSON bodies are limited to ${MAX_JSON_BODY_BYTES} bytes.`),
  });
  app.use('/api/*', async (c, next) => (isStreamingUpload(c) ? next() : jsonLimit(c, next)));
  app.use(
    '/webhooks/*',
    bodyLimit({
      maxSize: MAX_JSON_BODY_BYTES,
      onError: (c) => problem(c, 'payload-too-large', 'Webhook bodies are limited to 64 KB.'),
    }),
  );
  app.use('/api/*', requireJson);

  app.route('/', healthRouter);
  app.route('/webhooks/assemblyai', assemblyaiWebhook);
  app.route('/webhooks/twilio', twilioWebhook);
  app.route('/webhooks/generic', genericWebhook);
  app.route('/__r2', r2Gateway);
  app.route('/api/auth', authPublicRouter);
  app.route('/api/command-center', commandCenterSocket);
  app.use('/api/*', authenticate);
  app.route('/api/auth', authRouter);
  app.route('/api/tenants', tenantsRouter);
  app.route('/api/organizations', organizationsRouter);
  app.route('/api/users', usersRouter);
  app.route('/api/admin', adminRouter);
  app.route('/api/evaluation-criteria', criteriaRouter);
  app.route('/api/calls', callsRouter);
  app.route('/api/integrations', integrationsRouter);
  app.route('/api/command-center', commandCenterRouter);

  mountOpenApi(app);

  app.notFound((c) => problem(c, 'not-found', `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`));
  app.onError(handleError);
  return app;
}
