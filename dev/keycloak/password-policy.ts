/**
 * A realm's `passwordPolicy` (e.g. `length(12) and notUsername and notEmail`), checked where Keycloak
 * checks it: when the admin API sets a password (user creation with credentials, reset-password).
 * Each failure carries Keycloak's message key and its English admin message.
 */
import { adminErrorMessage } from './errors.ts';
import type { StoredUser } from './model.ts';

export interface PolicyError {
  key: string;
  message: string;
}

type Check = (password: string, user: StoredUser, n: number) => PolicyError | undefined;

const count = (password: string, pattern: RegExp) => [...password].filter((ch) => pattern.test(ch)).length;
const atLeast =
  (key: string, what: string, pattern: RegExp): Check =>
  (password, _user, n) =>
    count(password, pattern) < n
      ? { key, message: `Invalid password: must contain at least ${n} ${what}.` }
      : undefined;

const CHECKS: Record<string, { fallback: number; check: Check }> = {
  length: {
    fallback: 8,
    check: (p, _u, n) =>
      [...p].length < n
        ? { key: 'invalidPasswordMinLengthMessage', message: `Invalid password: minimum length ${n}.` }
        : undefined,
  },
  maxLength: {
    fallback: 64,
    check: (p, _u, n) =>
      [...p].length > n
        ? { key: 'invalidPasswordMaxLengthMessage', message: `Invalid password: maximum length ${n}.` }
        : undefined,
  },
  notUsername: {
    fallback: 0,
    check: (p, u) =>
      p.toLowerCase() === u.username.toLowerCase()
        ? { key: 'invalidPasswordNotUsernameMessage', message: 'Invalid password: must not be equal to the username.' }
        : undefined,
  },
  notEmail: {
    fallback: 0,
    check: (p, u) =>
      u.email !== undefined && p.toLowerCase() === u.email.toLowerCase()
        ? { key: 'invalidPasswordNotEmailMessage', message: 'Invalid password: must not be equal to the email.' }
        : undefined,
  },
  digits: { fallback: 1, check: atLeast('invalidPasswordMinDigitsMessage', 'numerical digits', /\p{Nd}/u) },
  lowerCase: {
    fallback: 1,
    check: atLeast('invalidPasswordMinLowerCaseCharsMessage', 'lower case characters', /\p{Ll}/u),
  },
  upperCase: {
    fallback: 1,
    check: atLeast('invalidPasswordMinUpperCaseCharsMessage', 'upper case characters', /\p{Lu}/u),
  },
  specialChars: {
    fallback: 1,
    check: atLeast('invalidPasswordMinSpecialCharsMessage', 'special characters', /[^\p{L}\p{Nd}]/u),
  },
};

interface PolicyTerm {
  name: string;
  value: number;
}

/** Parses a policy string; an unknown policy is refused, as Keycloak refuses it on import. */
export function parsePasswordPolicy(policy: string | undefined): PolicyTerm[] {
  if (!policy?.trim()) return [];
  return policy.split(/\s+and\s+/).map((term) => {
    const m = /^\s*([A-Za-z]+)\s*(?:\(\s*(\d*)\s*\))?\s*$/.exec(term);
    const known = m && CHECKS[m[1]!];
    if (!m || !known) throw adminErrorMessage(400, `Password policy not found: ${term.trim()}`);
    return { name: m[1]!, value: m[2] ? Number(m[2]) : known.fallback };
  });
}

/** The first rule the password breaks, or undefined. */
export function checkPasswordPolicy(
  policy: string | undefined,
  password: string,
  user: StoredUser,
): PolicyError | undefined {
  for (const term of parsePasswordPolicy(policy)) {
    const error = CHECKS[term.name]!.check(password, user, term.value);
    if (error) return error;
  }
  return undefined;
}

/** `POST .../users` with a credential that breaks the policy: Keycloak's UsersResource answer. */
export function policyNotMetOnCreate() {
  return adminErrorMessage(400, 'Password policy not met');
}
