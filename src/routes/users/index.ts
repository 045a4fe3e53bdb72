import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as service from '../../services/users';
import {
  bearer,
  jsonBody,
  jsonResponse,
  pageOf,
  paginated,
  PaginationQuery,
  problemResponses,
  Uuid,
} from '../shared/schemas';
import { CreateUser, ListUsersQuery, UpdateUser, User, UserPermissions } from './schema';

const tags = ['Users'];
const UserParams = z.object({ user_id: Uuid('user_id') });

export const usersRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listUsers',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'List users of the tenant (manager)',
      request: { query: PaginationQuery.extend(ListUsersQuery.shape) },
      responses: { 200: jsonResponse(paginated(User, 'UserPage'), 'Users'), ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { rows, total } = await service.listUsers(c.get('ctx'), q);
      return c.json(pageOf(rows, q, total), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createUser',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Create a user in Keycloak and the tenant (manager; not above their own role)',
      request: { body: jsonBody(CreateUser) },
      responses: { 201: jsonResponse(User, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await service.createUser(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{user_id}',
      operationId: 'getUser',
      tags,
      security: bearer,
      summary: 'Get a user (agents: only themselves)',
      request: { params: UserParams },
      responses: { 200: jsonResponse(User, 'User'), ...problemResponses },
    }),
    async (c) => c.json(await service.getUser(c.get('ctx'), c.req.valid('param').user_id), 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/{user_id}',
      operationId: 'updateUser',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: "Update a user's placement, names or status (manager; not above their own role)",
      request: { params: UserParams, body: jsonBody(UpdateUser) },
      responses: { 200: jsonResponse(User, 'Updated'), ...problemResponses },
    }),
    async (c) => c.json(await service.updateUser(c.get('ctx'), c.req.valid('param').user_id, c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{user_id}/permissions',
      operationId: 'getUserPermissions',
      tags,
      security: bearer,
      summary: 'Roles, permissions and feature flags of a user (agents: only themselves)',
      request: { params: UserParams },
      responses: { 200: jsonResponse(UserPermissions, 'Permissions'), ...problemResponses },
    }),
    async (c) => c.json(await service.userPermissions(c.get('ctx'), c.req.valid('param').user_id), 200),
  );
