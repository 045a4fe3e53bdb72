/**
 * Turns a RealmRepresentation (a realm export file or the body of `POST /admin/realms`) into a stored realm,
 * filling in what Keycloak creates on import: built-in roles, client secrets, service-account users and keys.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { adminErrorMessage } from './errors.ts';
import { generateDefaultKeys, generateKey, isKeyProviderId, KEY_PROVIDER_TYPE } from './keys.ts';
import { BRUTE_FORCE_DEFAULTS } from './brute-force.ts';
import type { BruteForceSettings, KeyAlgorithm, StoredClient, StoredKey, StoredRealm, StoredRole } from './model.ts';
import { parsePasswordPolicy } from './password-policy.ts';
import type {
  ClientRepresentation,
  ComponentRepresentation,
  RealmRepresentation,
  RoleRepresentation,
} from './representations.ts';
import { defaultRoleName, ensureBuiltInRoles } from './roles.ts';
import { assertUnique, buildUser, serviceAccountUsername } from './users.ts';

// Narrower than Keycloak allows, but keeps realm names safe inside URLs and file names.
const REALM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function toRole(rep: RoleRepresentation): StoredRole {
  if (!rep.name) throw adminErrorMessage(400, 'Role name is missing');
  return {
    id: rep.id ?? randomUUID(),
    name: rep.name,
    description: rep.description,
    composites: rep.composites?.realm ?? [],
  };
}

/** Client defaults follow Keycloak's model defaults: enabled, confidential, standard flow only. */
function toClient(rep: ClientRepresentation): StoredClient {
  const publicClient = rep.publicClient ?? false;
  return {
    id: rep.id ?? randomUUID(),
    clientId: rep.clientId,
    // A confidential client imported without a secret gets a generated one, as in Keycloak.
    secret: publicClient ? undefined : (rep.secret ?? randomBytes(24).toString('base64url')),
    enabled: rep.enabled ?? true,
    publicClient,
    directAccessGrantsEnabled: rep.directAccessGrantsEnabled ?? false,
    serviceAccountsEnabled: rep.serviceAccountsEnabled ?? false,
    standardFlowEnabled: rep.standardFlowEnabled ?? true,
    redirectUris: rep.redirectUris ?? [],
    webOrigins: rep.webOrigins ?? [],
    protocolMappers: (rep.protocolMappers ?? []).map((m) => ({
      id: m.id ?? randomUUID(),
      name: m.name ?? m.protocolMapper,
      protocolMapper: m.protocolMapper,
      config: m.config ?? {},
    })),
  };
}

function configNumber(config: Record<string, string[]> | undefined, name: string): number | undefined {
  const raw = config?.[name]?.[0];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw adminErrorMessage(400, `'${name}' should be a number`);
  return value;
}

function configBoolean(config: Record<string, string[]> | undefined, name: string): boolean | undefined {
  const raw = config?.[name]?.[0];
  return raw === undefined ? undefined : raw === 'true';
}

/** Generates the key of one key-provider component (`POST .../components` or a `components` entry in an import). */
export async function keyFromComponent(rep: ComponentRepresentation, defaultPriority: number): Promise<StoredKey> {
  if (rep.providerType !== undefined && rep.providerType !== KEY_PROVIDER_TYPE) {
    throw adminErrorMessage(400, `Unsupported component type: ${rep.providerType}`);
  }
  const providerId = rep.providerId ?? '';
  if (!isKeyProviderId(providerId)) throw adminErrorMessage(400, `Unsupported key provider: ${providerId}`);
  const algorithm = rep.config?.['algorithm']?.[0];
  if (providerId === 'rsa-generated' && algorithm !== undefined && algorithm !== 'RS256') {
    throw adminErrorMessage(400, `Unsupported algorithm: ${algorithm}`);
  }
  return generateKey(providerId, {
    name: rep.name,
    priority: configNumber(rep.config, 'priority') ?? defaultPriority,
    enabled: configBoolean(rep.config, 'enabled'),
    active: configBoolean(rep.config, 'active'),
    keySize: configNumber(rep.config, 'keySize'),
  });
}

/** Keys listed in the import, plus Keycloak's default provider for any algorithm left without one. */
async function importKeys(rep: RealmRepresentation): Promise<StoredKey[]> {
  const listed = (rep.components?.[KEY_PROVIDER_TYPE] ?? []).filter((c) => isKeyProviderId(c.providerId ?? ''));
  const keys = await Promise.all(listed.map((c) => keyFromComponent(c, 100)));
  const covered = new Set<KeyAlgorithm>(keys.map((k) => k.algorithm));
  const defaults = (await generateDefaultKeys()).filter((k) => !covered.has(k.algorithm));
  return [...keys, ...defaults];
}

function assertRealmName(name: string): void {
  if (!REALM_NAME.test(name)) throw adminErrorMessage(400, `Invalid realm name: ${name}`);
}

function bruteForceOf(rep: RealmRepresentation): BruteForceSettings | undefined {
  if (!rep.bruteForceProtected) return undefined;
  if (rep.permanentLockout) throw adminErrorMessage(400, 'Permanent lockout is not supported by this stand-in');
  const d = BRUTE_FORCE_DEFAULTS;
  return {
    failureFactor: rep.failureFactor ?? d.failureFactor,
    waitIncrementSeconds: rep.waitIncrementSeconds ?? d.waitIncrementSeconds,
    quickLoginCheckMilliSeconds: rep.quickLoginCheckMilliSeconds ?? d.quickLoginCheckMilliSeconds,
    minimumQuickLoginWaitSeconds: rep.minimumQuickLoginWaitSeconds ?? d.minimumQuickLoginWaitSeconds,
    maxFailureWaitSeconds: rep.maxFailureWaitSeconds ?? d.maxFailureWaitSeconds,
    maxDeltaTimeSeconds: rep.maxDeltaTimeSeconds ?? d.maxDeltaTimeSeconds,
  };
}

export async function importRealm(rep: RealmRepresentation): Promise<StoredRealm> {
  assertRealmName(rep.realm);
  parsePasswordPolicy(rep.passwordPolicy); // an unknown policy fails the import
  const keys = importKeys(rep); // RSA generation is the slow part; overlap it with password hashing
  const realm: StoredRealm = {
    id: rep.id ?? randomUUID(),
    realm: rep.realm,
    // Keycloak's realm model defaults to disabled; exports and API callers set `enabled: true` explicitly.
    enabled: rep.enabled ?? false,
    accessTokenLifespan: rep.accessTokenLifespan ?? 300,
    ssoSessionIdleTimeout: rep.ssoSessionIdleTimeout ?? 1800,
    ssoSessionMaxLifespan: rep.ssoSessionMaxLifespan ?? 36000,
    duplicateEmailsAllowed: rep.duplicateEmailsAllowed ?? false,
    loginWithEmailAllowed: rep.loginWithEmailAllowed ?? true,
    bruteForce: bruteForceOf(rep),
    passwordPolicy: rep.passwordPolicy,
    loginFailures: [],
    defaultRole: rep.defaultRole?.name ?? defaultRoleName(rep.realm.toLowerCase()),
    roles: (rep.roles?.realm ?? []).map(toRole),
    clients: [],
    users: [],
    keys: [],
    sessions: [],
  };
  ensureBuiltInRoles(realm);
  for (const clientRep of rep.clients ?? []) {
    if (realm.clients.some((c) => c.clientId === clientRep.clientId)) {
      throw adminErrorMessage(409, `Client ${clientRep.clientId} already exists`);
    }
    realm.clients.push(toClient(clientRep));
  }
  const users = await Promise.all((rep.users ?? []).map((u) => buildUser(realm, u, 'import')));
  for (const user of users) {
    assertUnique(realm, user.username, user.email);
    realm.users.push(user);
  }
  for (const client of realm.clients) await ensureServiceAccount(realm, client);
  realm.keys = await keys;
  return realm;
}

/** Keycloak keeps one service-account user per client with service accounts enabled. */
async function ensureServiceAccount(realm: StoredRealm, client: StoredClient): Promise<void> {
  if (!client.serviceAccountsEnabled) return;
  if (realm.users.some((u) => u.serviceAccountClientId === client.clientId)) return;
  const user = await buildUser(realm, { username: serviceAccountUsername(client.clientId), enabled: true }, 'admin');
  user.serviceAccountClientId = client.clientId;
  realm.users.push(user);
}
