/**
 * A local stand-in for Neon's SQL-over-HTTP endpoint. The unmodified
 * `@neondatabase/serverless` driver (and drizzle's neon-http) talk to it with
 * `neonConfig.fetchEndpoint = standIn.url`.
 */
export { startNeonHttp, type NeonHttpStandIn, type StartNeonHttpOptions } from './server.ts';
