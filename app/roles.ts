import { ConfigError } from '../lib/config/index.js';
import type { Config, Role } from '../lib/config/index.js';

/** Checks that the chosen roles can run with this configuration before anything starts. */
export function checkRoles(config: Config, roles: ReadonlySet<Role>): void {
  // api and worker in one process (with the gateway or not) share embedded defaults.
  if (roles.has('api') && roles.has('worker')) return;
  const problems: string[] = [];
  if (!config.databaseUrl)
    problems.push(
      'DATABASE_URL must be set when roles run as separate processes (they share one PostgreSQL)',
    );
  if (!config.temporal.address)
    problems.push(
      'TEMPORAL_ADDRESS must be set when roles run as separate processes (they share one Temporal)',
    );
  if (roles.has('api') && !config.apiToken)
    problems.push('DYNAMIQ_API_TOKEN must be set when the api role runs alone');
  if (!config.jwtSecret)
    problems.push(
      'JWT_SECRET must be set when roles run as separate processes (they sign and check the same tokens)',
    );
  if (roles.has('worker') && !roles.has('api') && !config.brokerUrl)
    problems.push(
      'DYNAMIQ_BROKER_URL must be set when the worker role runs alone: it is the api as sandboxes ' +
        'reach it (credential broker, MCP proxy), e.g. http://api:3000 in docker-compose.yml',
    );
  if (problems.length) throw new ConfigError(problems);
}
