/**
 * Keycloak's brute-force detection (temporary lockout, the default "multiple" strategy), as
 * DefaultBruteForceProtector implements it: each failed password of an existing user counts; a
 * failure more than `maxDeltaTimeSeconds` after the previous one starts the count again; every
 * `failureFactor` failures lock the account for `waitIncrementSeconds` times the multiple, at most
 * `maxFailureWaitSeconds`; two failures closer than `quickLoginCheckMilliSeconds` lock it for
 * `minimumQuickLoginWaitSeconds`. A successful login clears the count; so does enabling the user
 * through the admin API. Permanent lockout is not modelled.
 */
import type { BruteForceSettings, StoredRealm } from './model.ts';

/** Keycloak's RealmRepresentation defaults. */
export const BRUTE_FORCE_DEFAULTS: BruteForceSettings = {
  failureFactor: 30,
  waitIncrementSeconds: 60,
  quickLoginCheckMilliSeconds: 1000,
  minimumQuickLoginWaitSeconds: 60,
  maxFailureWaitSeconds: 900,
  maxDeltaTimeSeconds: 43200,
};

function failuresOf(realm: StoredRealm) {
  realm.loginFailures ??= [];
  return realm.loginFailures;
}

/** Whether the user is locked out right now (Keycloak: "temporarily disabled"). */
export function isTemporarilyDisabled(realm: StoredRealm, userId: string, nowMs = Date.now()): boolean {
  if (!realm.bruteForce) return false;
  const failure = failuresOf(realm).find((f) => f.userId === userId);
  return failure !== undefined && Math.floor(nowMs / 1000) < failure.notBefore;
}

export function recordFailure(realm: StoredRealm, userId: string, address: string, nowMs = Date.now()): void {
  const settings = realm.bruteForce;
  if (!settings) return;
  const failures = failuresOf(realm);
  let failure = failures.find((f) => f.userId === userId);
  if (!failure) {
    failure = { userId, numFailures: 0, lastFailure: 0, notBefore: 0, lastIpFailure: address };
    failures.push(failure);
  }
  const last = failure.lastFailure;
  const delta = last > 0 ? nowMs - last : 0;
  failure.lastFailure = nowMs;
  failure.lastIpFailure = address;
  if (delta > settings.maxDeltaTimeSeconds * 1000) failure.numFailures = 0;
  failure.numFailures += 1;
  let wait = settings.waitIncrementSeconds * Math.floor(failure.numFailures / settings.failureFactor);
  if (wait === 0 && last > 0 && delta < settings.quickLoginCheckMilliSeconds) {
    wait = settings.minimumQuickLoginWaitSeconds;
  }
  if (wait > 0) failure.notBefore = Math.floor(nowMs / 1000) + Math.min(settings.maxFailureWaitSeconds, wait);
}

export function clearFailures(realm: StoredRealm, userId: string): void {
  if (realm.loginFailures?.some((f) => f.userId === userId)) {
    realm.loginFailures = realm.loginFailures.filter((f) => f.userId !== userId);
  }
}
