/**
 * Admin API for realm keys, the way Keycloak rotates them: key providers are components
 * (`/admin/realms/{realm}/components`), and `/keys` reports which key is active for each algorithm.
 */
import { adminUrl, created, parseBody, realmRoutes } from './admin-common.ts';
import type { ServerDeps } from './deps.ts';
import { adminError, adminErrorMessage } from './errors.ts';
import { json, noContent, type RequestContext, type Router } from './http.ts';
import { componentView, KEY_PROVIDER_TYPE, keysMetadata } from './keys.ts';
import type { StoredKey, StoredRealm } from './model.ts';
import { keyFromComponent } from './realm-import.ts';
import { componentSchema } from './representations.ts';

function componentFor(realm: StoredRealm, ctx: RequestContext): StoredKey {
  const key = realm.keys.find((k) => k.id === ctx.params['id']);
  if (!key) throw adminError(404, 'Could not find component');
  return key;
}

function flag(config: Record<string, string[]> | undefined, name: string): boolean | undefined {
  const raw = config?.[name]?.[0];
  return raw === undefined ? undefined : raw === 'true';
}

export function registerKeyAdmin(router: Router, deps: ServerDeps): void {
  const base = '/admin/realms/:realm/components';
  const route = realmRoutes(router, deps);

  route('GET', '/admin/realms/:realm/keys', async (_ctx, realm) => json(200, keysMetadata(realm)));

  route('GET', base, async (ctx, realm) => {
    // Only key providers are modelled; a query for any other component type finds nothing.
    const type = ctx.url.searchParams.get('type');
    const name = ctx.url.searchParams.get('name');
    const keys =
      type !== null && type !== KEY_PROVIDER_TYPE ? [] : realm.keys.filter((k) => name === null || k.name === name);
    return json(
      200,
      keys.map((k) => componentView(realm, k)),
    );
  });

  route('POST', base, async (ctx, realm) => {
    const rep = await parseBody(ctx, componentSchema);
    if (rep.providerType !== KEY_PROVIDER_TYPE) {
      throw adminErrorMessage(400, `Unsupported component type: ${rep.providerType ?? '(none)'}`);
    }
    // Keycloak's generated providers default to priority 0 when the request gives none.
    const key = await keyFromComponent(rep, 0);
    realm.keys.push(key);
    deps.store.changed();
    return created(adminUrl(deps, realm.realm, 'components', key.id));
  });

  route('GET', `${base}/:id`, async (ctx, realm) => json(200, componentView(realm, componentFor(realm, ctx))));

  /** Changing priority, `active` (passive keys verify but do not sign) or `enabled` (disabled keys are unpublished). */
  route('PUT', `${base}/:id`, async (ctx, realm) => {
    const key = componentFor(realm, ctx);
    const rep = await parseBody(ctx, componentSchema);
    const priority = rep.config?.['priority']?.[0];
    if (priority !== undefined && !Number.isInteger(Number(priority))) {
      throw adminErrorMessage(400, "'priority' should be a number");
    }
    key.name = rep.name ?? key.name;
    key.priority = priority === undefined ? key.priority : Number(priority);
    key.enabled = flag(rep.config, 'enabled') ?? key.enabled;
    key.active = flag(rep.config, 'active') ?? key.active;
    deps.store.changed();
    return noContent();
  });

  route('DELETE', `${base}/:id`, async (ctx, realm) => {
    const key = componentFor(realm, ctx);
    realm.keys = realm.keys.filter((k) => k !== key);
    deps.store.changed();
    return noContent();
  });
}
