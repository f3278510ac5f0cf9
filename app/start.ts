import type { Client } from '@temporalio/client';
import type { Config, Role } from '../lib/config/index.js';
import type { Keyring } from '../lib/crypto/index.js';
import type { Database } from '../lib/db/index.js';
import type { Logger } from '../lib/logging.js';
import { createSlackFrontEnd } from '../bots/slack/index.js';
import { createTeamsFrontEnd } from '../bots/teams/index.js';
import { createDiscordFrontEnd } from '../bots/discord/index.js';
import { startApiRole } from './api-role.js';
import { startGatewayRole } from './gateway-role.js';
import { openCore } from './core.js';
import { buildIntegrationServices } from './integration-services.js';
import { checkRoles } from './roles.js';
import { resolveSettings } from './settings.js';
import { Shutdown } from './shutdown.js';
import { startWorkerRole } from './worker-role.js';

export interface RunningDynamiq {
  /** Where the API listens, e.g. http://127.0.0.1:3000 (api role only). */
  url: string | undefined;
  temporalAddress: string;
  database: Database;
  keyring: Keyring;
  /** A single-use portal sign-in link for the administrator, until they have signed in once. */
  bootstrapLink: string | undefined;
  /** Where the generated administrator token is, when DYNAMIQ_API_TOKEN is unset (api role). */
  apiTokenFile: string | undefined;
  /** The api role's Temporal client (payloads encrypted with the keyring). */
  temporal: Client | undefined;
  /** Drains the worker, closes the server, stops the embedded Temporal; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The composition root: starts the chosen roles in this process on the configured (or
 * embedded) services. Everything is checked before anything starts; a failure on the way
 * undoes what had started.
 */
export async function startDynamiq(
  config: Config,
  roles: ReadonlySet<Role>,
  log: Logger,
  opts: { workflowBundle?: { code: string } } = {},
): Promise<RunningDynamiq> {
  checkRoles(config, roles);
  const settings = resolveSettings(config);
  const shutdown = new Shutdown((err) => log.error({ err }, 'error while stopping'));
  try {
    const core = await openCore(config, roles, log, shutdown);
    const services = buildIntegrationServices(config, settings, core, log, shutdown);
    // Sandboxes reach the broker here; in one process it is wherever the api ends up listening.
    let brokerUrl = config.brokerUrl ?? config.publicUrl;
    if (roles.has('worker')) {
      await startWorkerRole({
        config,
        core,
        services,
        brokerUrl: () => brokerUrl,
        log,
        shutdown,
        workflowBundle: opts.workflowBundle,
        frontEnds: {
          ...(config.slack.enabled && {
            slack: createSlackFrontEnd({
              db: core.database.prisma,
              keyring: core.keyring,
              config: config.slack,
            }),
          }),
          ...(config.teams.enabled && {
            teams: createTeamsFrontEnd({ db: core.database.prisma, config: config.teams }),
          }),
          ...(config.discord.enabled && {
            discord: createDiscordFrontEnd({
              db: core.database.prisma,
              keyring: core.keyring,
              config: config.discord,
            }),
          }),
        },
      });
    }
    // The gateway connects in the background, so it never holds up the api.
    const gateway = roles.has('gateway')
      ? await startGatewayRole({ config, core, log, shutdown })
      : undefined;
    const api = roles.has('api')
      ? await startApiRole({
          config,
          core,
          services,
          log,
          shutdown,
          ...(gateway && { discordGateway: () => gateway.status() }),
        })
      : undefined;
    if (api && !config.brokerUrl) brokerUrl = api.url;
    return {
      url: api?.url,
      temporalAddress: core.temporal.address,
      database: core.database,
      keyring: core.keyring,
      bootstrapLink: api?.bootstrapLink,
      apiTokenFile: api?.apiTokenFile,
      temporal: api?.temporal,
      stop: () => shutdown.run(),
    };
  } catch (err) {
    await shutdown.run();
    throw err;
  }
}
