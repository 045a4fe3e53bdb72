import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { loadConfig, type Config } from './env';
import { createRouter, handleError } from './lib/create-app';
import { problem } from './lib/problem';
import { requestLog } from './lib/request-log';
import { mountOpenApi } from './openapi';
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
  app.use('*', requestLog);
  app.use('*', secureHeaders());
  app.use('*', async (c, next) => {
    c.set('config', loadConfig(c.env));
    await next();
  });
  app.use('/api/*', async (c, next) => corsFor(c.get('config'))(c, next));
  // Public first: a public route answers before the protected half's authentication runs.
  app.route('/', publicRoutes);
  app.route('/api', protectedRoutes);

  mountOpenApi(app);

  app.notFound((c) => problem(c, 'not-found', `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`));
  app.onError(handleError);
  return app;
}
