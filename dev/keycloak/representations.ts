/**
 * The subset of Keycloak's admin JSON representations (RealmRepresentation, UserRepresentation, …) the
 * stand-in reads. Shapes follow Keycloak's field names so the same realm exports import into a real server.
 * Unknown fields are dropped rather than rejected, as Keycloak ignores fields it does not know.
 */
import { z } from 'zod';

/** Keycloak (Jackson) treats an explicit `null` like an absent field, so accept both and keep `undefined`. */
const opt = <T extends z.ZodType>(schema: T) => z.preprocess((v) => v ?? undefined, schema.optional()).optional();

const stringArray = z.array(z.string());

export const credentialSchema = z.object({
  type: opt(z.string()),
  value: opt(z.string()),
  temporary: opt(z.boolean()),
});
export type CredentialRepresentation = z.infer<typeof credentialSchema>;

export const roleSchema = z.object({
  id: opt(z.string()),
  name: opt(z.string()),
  description: opt(z.string()),
  composite: opt(z.boolean()),
  // Client-role composites are not modelled; only realm-role composites matter for realm_access.
  composites: opt(z.object({ realm: opt(stringArray) })),
});
export type RoleRepresentation = z.infer<typeof roleSchema>;

export const userSchema = z.object({
  id: opt(z.string()),
  username: opt(z.string()),
  email: opt(z.string()),
  firstName: opt(z.string()),
  lastName: opt(z.string()),
  enabled: opt(z.boolean()),
  emailVerified: opt(z.boolean()),
  requiredActions: opt(stringArray),
  credentials: opt(z.array(credentialSchema)),
  realmRoles: opt(stringArray),
  serviceAccountClientId: opt(z.string()),
});
export type UserRepresentation = z.infer<typeof userSchema>;

const protocolMapperSchema = z.object({
  id: opt(z.string()),
  name: opt(z.string()),
  protocol: opt(z.string()),
  protocolMapper: z.string(),
  config: opt(z.record(z.string(), z.string())),
});

const clientSchema = z.object({
  id: opt(z.string()),
  clientId: z.string().min(1),
  enabled: opt(z.boolean()),
  secret: opt(z.string()),
  publicClient: opt(z.boolean()),
  directAccessGrantsEnabled: opt(z.boolean()),
  serviceAccountsEnabled: opt(z.boolean()),
  standardFlowEnabled: opt(z.boolean()),
  redirectUris: opt(stringArray),
  webOrigins: opt(stringArray),
  protocolMappers: opt(z.array(protocolMapperSchema)),
});
export type ClientRepresentation = z.infer<typeof clientSchema>;

export const componentSchema = z.object({
  id: opt(z.string()),
  name: opt(z.string()),
  providerId: opt(z.string()),
  providerType: opt(z.string()),
  config: opt(z.record(z.string(), stringArray)),
});
export type ComponentRepresentation = z.infer<typeof componentSchema>;

const seconds = z.number().int().positive();

export const realmSchema = z.object({
  id: opt(z.string()),
  realm: z.string().min(1),
  enabled: opt(z.boolean()),
  accessTokenLifespan: opt(seconds),
  ssoSessionIdleTimeout: opt(seconds),
  ssoSessionMaxLifespan: opt(seconds),
  duplicateEmailsAllowed: opt(z.boolean()),
  loginWithEmailAllowed: opt(z.boolean()),
  bruteForceProtected: opt(z.boolean()),
  permanentLockout: opt(z.boolean()),
  failureFactor: opt(z.number().int().positive()),
  waitIncrementSeconds: opt(z.number().int().nonnegative()),
  quickLoginCheckMilliSeconds: opt(z.number().int().nonnegative()),
  minimumQuickLoginWaitSeconds: opt(z.number().int().nonnegative()),
  maxFailureWaitSeconds: opt(z.number().int().nonnegative()),
  maxDeltaTimeSeconds: opt(z.number().int().nonnegative()),
  passwordPolicy: opt(z.string()),
  roles: opt(z.object({ realm: opt(z.array(roleSchema)) })),
  defaultRole: opt(roleSchema),
  clients: opt(z.array(clientSchema)),
  users: opt(z.array(userSchema)),
  components: opt(z.record(z.string(), z.array(componentSchema))),
});
export type RealmRepresentation = z.infer<typeof realmSchema>;
