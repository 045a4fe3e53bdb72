/**
 * Stand-in so `npm run typecheck` resolves client.ts's import. The contract test
 * (test/e2e/openapi.test.ts) compiles client.ts without this file, against types that
 * openapi-typescript generates from the served /openapi.json.
 */
declare module 'qa-platform-openapi' {
  export type paths = any;
}
