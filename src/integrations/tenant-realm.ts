import type { Config } from '../env';
import { realmOf } from '../auth/verify-access-token';

/**
 * Login protection every realm gets (the same as the realm exports in keycloak/): Keycloak's
 * brute-force detection with temporary lockout — from the 10th failure in a row, each failure
 * locks the account for a minute per 10 failures, at most 15; two failures within a second lock
 * it for a minute; 12 hours without a failure start the count again — and a password policy
 * (12–256 characters, not the username, not the email) whose refusals the API answers with 422.
 */
export const REALM_LOGIN_PROTECTION = {
  bruteForceProtected: true,
  permanentLockout: false,
  failureFactor: 10,
  waitIncrementSeconds: 60,
  quickLoginCheckMilliSeconds: 1000,
  minimumQuickLoginWaitSeconds: 60,
  maxFailureWaitSeconds: 900,
  maxDeltaTimeSeconds: 43_200,
  passwordPolicy: 'length(12) and maxLength(256) and notUsername and notEmail',
} as const;

/**
 * The Keycloak realm a new tenant gets: our three tenant roles, the API client (confidential,
 * direct grants, an audience mapper so tokens name the API, and a hard-coded `tenant_id` claim),
 * the browser clients (public, PKCE, redirect URIs from ALLOWED_ORIGINS), its first
 * tenant_admin and the login protection above. Same shape as keycloak/qa-acme.json, so the
 * stand-in and a real Keycloak accept it alike.
 */
export function tenantRealmRepresentation(
  config: Config,
  tenantId: string,
  displayName: string,
  admin: { id: string; email: string; firstName: string; lastName: string; password: string },
) {
  const realm = realmOf(tenantId);
  return {
    realm,
    displayName,
    enabled: true,
    ...REALM_LOGIN_PROTECTION,
    accessTokenLifespan: 300,
    ssoSessionIdleTimeout: 1800,
    roles: {
      realm: [
        { name: 'tenant_admin', description: 'Administers the tenant' },
        { name: 'manager', description: 'Manages teams, users and quality reviews' },
        { name: 'agent', description: 'Handles calls' },
      ],
    },
    clients: [
      {
        clientId: config.keycloak.clientId,
        secret: config.keycloak.clientSecret,
        publicClient: false,
        directAccessGrantsEnabled: true,
        standardFlowEnabled: true,
        serviceAccountsEnabled: false,
        protocolMappers: tokenMappers(config, tenantId),
      },
      // Browser frontends log in with the authorization code flow and PKCE, from the origins the
      // API allows; their tokens carry the API's audience like the API client's.
      ...config.keycloak.frontendClients.map((clientId) => ({
        clientId,
        publicClient: true,
        directAccessGrantsEnabled: false,
        standardFlowEnabled: true,
        serviceAccountsEnabled: false,
        redirectUris: config.allowedOrigins.map((origin) => `${origin}/*`),
        webOrigins: config.allowedOrigins,
        attributes: { 'pkce.code.challenge.method': 'S256' },
        protocolMappers: tokenMappers(config, tenantId),
      })),
    ],
    users: [
      {
        id: admin.id,
        username: admin.email,
        email: admin.email,
        firstName: admin.firstName,
        lastName: admin.lastName,
        enabled: true,
        emailVerified: true,
        credentials: [{ type: 'password', value: admin.password, temporary: false }],
        realmRoles: ['tenant_admin'],
      },
    ],
  };
}

/** What every client's access tokens carry: the API's audience and the tenant they belong to. */
function tokenMappers(config: Config, tenantId: string) {
  return [
    {
      name: 'api-audience',
      protocol: 'openid-connect',
      protocolMapper: 'oidc-audience-mapper',
      config: {
        'included.client.audience': config.keycloak.audience ?? config.keycloak.clientId,
        'access.token.claim': 'true',
        'id.token.claim': 'false',
      },
    },
    {
      name: 'tenant-id',
      protocol: 'openid-connect',
      protocolMapper: 'oidc-hardcoded-claim-mapper',
      config: {
        'claim.name': 'tenant_id',
        'claim.value': tenantId,
        'jsonType.label': 'String',
        'access.token.claim': 'true',
        'id.token.claim': 'false',
        'userinfo.token.claim': 'false',
      },
    },
  ];
}
