/**
 * Ports of the stand-ins the API tests run against (started in global setup), apart from
 * `npm run dev`'s so tests can run while it does.
 */
import { workerVars } from '../dev/worker-vars.ts';

/** QA_TEST_PORT_OFFSET shifts every port, so two checkouts can run their suites side by side. */
const offset = Number(process.env.QA_TEST_PORT_OFFSET ?? 0);
export const TEST_PORTS = {
  keycloak: 18080 + offset,
  neon: 14444 + offset,
  assemblyai: 18081 + offset,
  openai: 18082 + offset,
  twilio: 18083 + offset,
  mail: 18084 + offset,
} as const;

/** Inside the test runner the Worker has no listening socket; this is only the name it answers to. */
export const TEST_API_URL = 'http://api.test';

export function testWorkerVars(databaseUrl: string | undefined): Record<string, string> {
  return workerVars({
    apiUrl: TEST_API_URL,
    neonUrl: `http://127.0.0.1:${TEST_PORTS.neon}/sql`,
    keycloakUrl: `http://127.0.0.1:${TEST_PORTS.keycloak}`,
    assemblyaiUrl: `http://127.0.0.1:${TEST_PORTS.assemblyai}`,
    openaiUrl: `http://127.0.0.1:${TEST_PORTS.openai}/v1`,
    twilioUrl: `http://127.0.0.1:${TEST_PORTS.twilio}`,
    mailUrl: `http://127.0.0.1:${TEST_PORTS.mail}`,
    databaseUrl,
  });
}
