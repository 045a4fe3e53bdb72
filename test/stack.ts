/**
 * The local stand-ins and database, started once for the API tests (Node side, in global
 * setup). Ports are fixed and apart from `npm run dev`'s, so tests can run while it does.
 */
export const TEST_PORTS = { keycloak: 18080, neon: 14444 } as const;

export const TEST_KEYCLOAK_URL = `http://127.0.0.1:${TEST_PORTS.keycloak}`;
export const TEST_NEON_ENDPOINT = `http://127.0.0.1:${TEST_PORTS.neon}/sql`;

export { runtimeDatabaseUrl } from '../dev/db/runtime-url.ts';
