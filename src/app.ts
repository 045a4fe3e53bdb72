import { Scalar } from '@scalar/hono-api-reference';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { loadConfig, type Config } from './env';
import { createRouter, handleError } from './lib/create-app';
import { problem } from './lib/problem';
import { protectedRoutes } from './routes/protected';
import { publicRoutes } from './routes/public';

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
  // Public first: a public route answers before the protected half's authentication runs.
  app.route('/', publicRoutes);
  app.route('/api', protectedRoutes);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A Keycloak access token from the tenant realm (POST /api/auth/login returns one).',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'QA Platform API',
      version: '0.1.0',
      description:
        'Multi-tenant API for AI quality assurance of call-center calls. Errors are application/problem+json (RFC 9457).',
    },
  });
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'QA Platform API' }));

  app.notFound((c) => problem(c, 'not-found', `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`));
  app.onError(handleError);
  return app;
}
