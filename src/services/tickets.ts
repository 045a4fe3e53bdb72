import { constantTimeEqual, hmac, toBase64 } from '../integrations/signatures/hmac';
import type { Role } from '../auth/roles';

/**
 * One-time tickets for the command-center WebSocket. Browsers cannot put a bearer token on a
 * WebSocket upgrade, so a caller trades its JWT for a ticket (POST, 30 s), then opens the socket
 * with it. The ticket is signed (HMAC-SHA256), bound to tenant, user, role and filters, and spent
 * by the tenant's hub on first use.
 */
export interface TicketClaims {
  jti: string;
  tenant: string;
  user: string;
  role: Role;
  team: string | null;
  department: string | null;
  filter: { team_id?: string; department_id?: string };
  exp: number;
}

export const TICKET_TTL_SECONDS = 30;

const b64url = (s: string) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromB64url = (s: string) => atob(s.replace(/-/g, '+').replace(/_/g, '/'));

export async function signTicket(
  secret: string,
  claims: Omit<TicketClaims, 'jti' | 'exp'>,
  now = Date.now(),
): Promise<{ ticket: string; claims: TicketClaims }> {
  const full: TicketClaims = { ...claims, jti: crypto.randomUUID(), exp: Math.floor(now / 1000) + TICKET_TTL_SECONDS };
  const body = b64url(btoa(JSON.stringify(full)));
  const sig = b64url(toBase64(await hmac('SHA-256', secret, `ticket.v1.${body}`)));
  return { ticket: `${body}.${sig}`, claims: full };
}

/** The claims of a genuine, unexpired ticket, or null. Spending it is the hub's part. */
export async function verifyTicket(secret: string, ticket: string, now = Date.now()): Promise<TicketClaims | null> {
  const [body, sig, extra] = ticket.split('.');
  if (!body || !sig || extra !== undefined || ticket.length > 4096) return null;
  const expected = b64url(toBase64(await hmac('SHA-256', secret, `ticket.v1.${body}`)));
  if (!constantTimeEqual(expected, sig)) return null;
  let claims: TicketClaims;
  try {
    claims = JSON.parse(fromB64url(body)) as TicketClaims;
  } catch {
    return null;
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < now) return null;
  return claims;
}
