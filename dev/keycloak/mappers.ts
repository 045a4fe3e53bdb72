/**
 * The OIDC protocol mappers the stand-in understands, with Keycloak's rules for which token a mapper writes
 * to: `access.token.claim` defaults to on when unset (Keycloak keeps that for backwards compatibility),
 * `id.token.claim` defaults to off, and userinfo follows the ID token when unset.
 */
import type { StoredClient, StoredMapper } from './model.ts';

export type TokenKind = 'access' | 'id' | 'userinfo';

function appliesTo(mapper: StoredMapper, kind: TokenKind): boolean {
  const flag = (name: string): string | undefined => mapper.config[name];
  switch (kind) {
    case 'access':
      return flag('access.token.claim') !== 'false';
    case 'id':
      return flag('id.token.claim') === 'true';
    case 'userinfo': {
      const value = flag('userinfo.token.claim');
      return value === undefined ? flag('id.token.claim') === 'true' : value === 'true';
    }
  }
}

function convert(value: string, jsonType: string | undefined): unknown {
  switch (jsonType) {
    case 'long':
    case 'int': {
      const number = Number(value);
      return Number.isFinite(number) ? number : value;
    }
    case 'boolean':
      return value === 'true';
    case 'JSON':
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return value;
      }
    default:
      return value;
  }
}

/** Keycloak nests claims on unescaped dots (`address.country`); `\.` keeps a literal dot. */
function setClaim(claims: Record<string, unknown>, name: string, value: unknown): void {
  const path = name.split(/(?<!\\)\./).map((part) => part.replaceAll('\\.', '.'));
  let target = claims;
  for (const part of path.slice(0, -1)) {
    const next = target[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) target[part] = {};
    target = target[part] as Record<string, unknown>;
  }
  const last = path.at(-1);
  if (last) target[last] = value;
}

/** Audiences added by `oidc-audience-mapper`s on the client, for the given token. */
export function mappedAudiences(client: StoredClient, kind: TokenKind): string[] {
  const out: string[] = [];
  for (const mapper of client.protocolMappers) {
    if (mapper.protocolMapper !== 'oidc-audience-mapper' || !appliesTo(mapper, kind)) continue;
    const audience = mapper.config['included.client.audience'] || mapper.config['included.custom.audience'];
    if (audience && !out.includes(audience)) out.push(audience);
  }
  return out;
}

/** Applies hard-coded claim mappers (the `tenant_id` claim) to a claim set. */
export function applyClaimMappers(claims: Record<string, unknown>, client: StoredClient, kind: TokenKind): void {
  for (const mapper of client.protocolMappers) {
    if (mapper.protocolMapper !== 'oidc-hardcoded-claim-mapper' || !appliesTo(mapper, kind)) continue;
    const claimName = mapper.config['claim.name'];
    if (!claimName) continue;
    setClaim(claims, claimName, convert(mapper.config['claim.value'] ?? '', mapper.config['jsonType.label']));
  }
}
