/** SSO sessions: created by a login (password grant or login form), kept alive by refreshes, bounded by idle and max lifespans. */
import { randomUUID } from 'node:crypto';
import type { StoredRealm, StoredSession } from './model.ts';

export function createSession(
  realm: StoredRealm,
  userId: string,
  clientId: string,
  scope: string,
  now: number,
): StoredSession {
  const session: StoredSession = { id: randomUUID(), userId, clientId, started: now, lastRefresh: now, scope };
  realm.sessions.push(session);
  return session;
}

/** Seconds until the session expires: the earlier of the idle and the max lifespan deadlines. */
export function sessionRemaining(realm: StoredRealm, session: StoredSession, now: number): number {
  const idleDeadline = session.lastRefresh + realm.ssoSessionIdleTimeout;
  const maxDeadline = session.started + realm.ssoSessionMaxLifespan;
  return Math.min(idleDeadline, maxDeadline) - now;
}

export function liveSession(realm: StoredRealm, sid: unknown, now: number): StoredSession | undefined {
  if (typeof sid !== 'string') return undefined;
  const session = realm.sessions.find((s) => s.id === sid);
  return session && sessionRemaining(realm, session, now) > 0 ? session : undefined;
}

export function endSession(realm: StoredRealm, sid: string): void {
  realm.sessions = realm.sessions.filter((s) => s.id !== sid);
}

export function endUserSessions(realm: StoredRealm, userId: string): void {
  realm.sessions = realm.sessions.filter((s) => s.userId !== userId);
}

/** Drops expired sessions so persisted state does not grow without bound. */
export function pruneExpired(realm: StoredRealm, now: number): void {
  realm.sessions = realm.sessions.filter((s) => sessionRemaining(realm, s, now) > 0);
}
