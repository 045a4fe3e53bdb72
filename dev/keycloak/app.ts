/** The stand-in's routes as one Hono app: OIDC endpoints, the browser login, and the admin REST API. */
import { Hono } from 'hono';
import { requireAdmin } from './admin-access.ts';
import { registerKeyAdmin } from './admin-keys.ts';
import { registerRealmAdmin } from './admin-realms.ts';
import { registerUserAdmin } from './admin-users.ts';
import { registerBrowserLogin } from './authorize.ts';
import type { ServerDeps } from './deps.ts';
import { HttpError } from './errors.ts';
import { registerOidcRoutes } from './oidc-routes.ts';

export function buildApp(deps: ServerDeps): Hono {
  const app = new Hono();
  app.use('/admin/*', requireAdmin(deps));
  registerOidcRoutes(app, deps);
  registerBrowserLogin(app, deps);
  registerRealmAdmin(app, deps);
  registerUserAdmin(app, deps);
  registerKeyAdmin(app, deps);
  // Not a Keycloak endpoint: benchmarks in other processes read how often verifiers refetch keys.
  app.get('/__stats', (c) => c.json(deps.stats.toJSON()));

  app.notFound((c) => c.json({ error: 'Unable to find matching target resource method' }, 404));
  app.onError((err) => {
    if (err instanceof HttpError) return err.toResponse();
    console.error('[keycloak] request failed:', err);
    return Response.json({ error: 'unknown_error' }, { status: 500 });
  });
  return app;
}
