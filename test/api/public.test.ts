import { describe, expect, it } from 'vitest';
import { call, expectProblem, json } from './helpers';

describe('public surface', () => {
  it('answers /health without touching the database or Keycloak', async () => {
    const res = await call('/health');
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status: 'ok', environment: 'test' });
    expect(res.headers.get('x-request-id'), 'every response carries a request id').toBeTruthy();
  });

  it('serves an OpenAPI 3.1 document generated from the routes', async () => {
    const doc = await json(await call('/openapi.json'));
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/api/auth/login',
      '/api/tenants',
      '/api/tenants/{tenant_id}/usage',
      '/api/organizations/{org_id}/teams',
      '/api/users/{user_id}/permissions',
      '/api/admin/audit-logs',
    ]) {
      expect(doc.paths, `documents ${path}`).toHaveProperty([path]);
    }
    expect(doc.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
  });

  it('renders the interactive reference at /docs', async () => {
    const res = await call('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('/openapi.json');
  });

  it('answers unknown routes with problem+json 404 and no stack', async () => {
    const body = await expectProblem(await call('/nope'), 404);
    expect(body.type).toMatch(/\/problems\/not-found$/);
    expect(body.request_id).toBeTruthy();
  });

  it('answers CORS preflights for the allowed origins only', async () => {
    const preflight = (origin: string) =>
      call('/api/users', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight('http://localhost:3000');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('requires a token on every /api route', async () => {
    for (const path of [
      '/api/users',
      '/api/organizations',
      '/api/tenants',
      '/api/admin/settings',
      '/api/auth/profile',
    ]) {
      const res = await call(path);
      const body = await expectProblem(res, 401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(body.detail, 'does not say which check failed').toBe('A valid bearer token is required.');
    }
  });
});
