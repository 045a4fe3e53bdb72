/** Admin API for realms and their roles, as far as tenant provisioning uses it. */
import type { Hono } from 'hono';
import { ADMIN_REALM, created, parseBody, realmFor } from './admin-access.ts';
import type { ServerDeps } from './deps.ts';
import { adminError, adminErrorMessage } from './errors.ts';
import { importRealm } from './realm-import.ts';
import { realmSchema } from './representations.ts';
import { findRole } from './roles.ts';

export function registerRealmAdmin(app: Hono, deps: ServerDeps): void {
  app.post('/admin/realms', async (c) => {
    const rep = await parseBody(c, realmSchema);
    await deps.store.create(rep.realm, () => importRealm(rep));
    return created(c, deps, rep.realm);
  });

  app.delete('/admin/realms/:realm', (c) => {
    const realm = realmFor(deps, c);
    // Deleting master would lock every admin client out of this server.
    if (realm.realm === ADMIN_REALM) throw adminErrorMessage(400, 'The master realm cannot be deleted');
    deps.store.delete(realm.realm);
    return c.body(null, 204);
  });

  app.get('/admin/realms/:realm/roles/:role', (c) => {
    const realm = realmFor(deps, c);
    const role = findRole(realm, c.req.param('role'));
    if (!role) throw adminError(404, 'Could not find role');
    return c.json({
      id: role.id,
      name: role.name,
      ...(role.description === undefined ? {} : { description: role.description }),
      composite: role.composites.length > 0,
      clientRole: false,
      containerId: realm.id,
    });
  });
}
