/**
 * Key rotation the way Keycloak does it: key providers are components (`/admin/realms/{realm}/components`),
 * and `/keys` reports which key is active for each algorithm.
 */
import type { Hono } from 'hono';
import { created, parseBody, realmFor } from './admin-access.ts';
import type { ServerDeps } from './deps.ts';
import { adminError, adminErrorMessage } from './errors.ts';
import { KEY_PROVIDER_TYPE, keysMetadata } from './keys.ts';
import { keyFromComponent } from './realm-import.ts';
import { componentSchema } from './representations.ts';

export function registerKeyAdmin(app: Hono, deps: ServerDeps): void {
  app.get('/admin/realms/:realm/keys', (c) => c.json(keysMetadata(realmFor(deps, c))));

  app.post('/admin/realms/:realm/components', async (c) => {
    const realm = realmFor(deps, c);
    const rep = await parseBody(c, componentSchema);
    if (rep.providerType !== KEY_PROVIDER_TYPE) {
      throw adminErrorMessage(400, `Unsupported component type: ${rep.providerType ?? '(none)'}`);
    }
    // Keycloak's generated providers default to priority 0 when the request gives none.
    const key = await keyFromComponent(rep, 0);
    realm.keys.push(key);
    deps.store.changed();
    return created(c, deps, realm.realm, 'components', key.id);
  });

  app.delete('/admin/realms/:realm/components/:id', (c) => {
    const realm = realmFor(deps, c);
    const key = realm.keys.find((k) => k.id === c.req.param('id'));
    if (!key) throw adminError(404, 'Could not find component');
    realm.keys = realm.keys.filter((k) => k !== key);
    deps.store.changed();
    return c.body(null, 204);
  });
}
