import { createRoute } from '@hono/zod-openapi';
import { clientAddress, limitLogin, limitRefresh } from '../../auth/login-limits';
import { createRouter } from '../../lib/create-app';
import * as service from '../../services/auth';
import { bearer, jsonBody, jsonResponse, problemResponses } from '../shared/schemas';
import { ChangePasswordBody, LoginBody, LogoutBody, ProfileResponse, RefreshBody, TokenResponse } from './schema';

const tags = ['Auth'];

/** Login and refresh come before authentication: they are how a caller gets a token. */
export const authPublicRouter = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/login',
      operationId: 'login',
      tags,
      security: [],
      summary: 'Log in with username and password at a tenant',
      description:
        'Attempts are limited per account and client address, per account and per address (429 with Retry-After).',
      request: { body: jsonBody(LoginBody) },
      responses: { 200: jsonResponse(TokenResponse, 'Tokens for the user'), ...problemResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      await limitLogin(c.env, {
        address: clientAddress(c.req.header('cf-connecting-ip')),
        tenantId: body.tenant_id,
        username: body.username,
      });
      return c.json(await service.login(c.get('config'), body), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/refresh',
      operationId: 'refreshToken',
      tags,
      security: [],
      summary: 'Exchange a refresh token for new tokens',
      description: 'Refreshes are limited per client address, together with logins (429 with Retry-After).',
      request: { body: jsonBody(RefreshBody) },
      responses: { 200: jsonResponse(TokenResponse, 'New tokens'), ...problemResponses },
    }),
    async (c) => {
      await limitRefresh(c.env, clientAddress(c.req.header('cf-connecting-ip')));
      return c.json(await service.refresh(c.get('config'), c.req.valid('json').refresh_token), 200);
    },
  );

export const authRouter = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/logout',
      operationId: 'logout',
      tags,
      security: bearer,
      summary: 'End the session behind a refresh token',
      request: { body: jsonBody(LogoutBody) },
      responses: { 204: { description: 'Logged out' }, ...problemResponses },
    }),
    async (c) => {
      await service.logout(c.get('ctx'), c.req.valid('json').refresh_token);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/profile',
      operationId: 'getProfile',
      tags,
      security: bearer,
      summary: 'The caller, their permissions and tenant',
      responses: { 200: jsonResponse(ProfileResponse, 'Profile'), ...problemResponses },
    }),
    async (c) => c.json(await service.profile(c.get('ctx')), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/change-password',
      operationId: 'changePassword',
      tags,
      security: bearer,
      summary: "Change the caller's password",
      request: { body: jsonBody(ChangePasswordBody) },
      responses: { 204: { description: 'Password changed' }, ...problemResponses },
    }),
    async (c) => {
      // Proving the current password is a password guess too: it counts against the account's login limits.
      const actor = c.get('actor');
      await limitLogin(c.env, {
        address: clientAddress(c.req.header('cf-connecting-ip')),
        tenantId: actor.homeTenant ?? 'platform',
        username: actor.username ?? actor.email ?? actor.userId,
      });
      await service.changePassword(c.get('ctx'), c.req.valid('json'));
      return c.body(null, 204);
    },
  );
