import type { Client } from '@temporalio/client';
import { CredentialBroker } from '../broker/index.js';
import { createSlackFrontDoor } from '../bots/slack/index.js';
import { createTeamsFrontDoor } from '../bots/teams/index.js';
import { createDiscordFrontDoor } from '../bots/discord/index.js';
import type { Config } from '../lib/config/index.js';
import { loadOrCreateSecret } from '../lib/local-secrets.js';
import type { Logger } from '../lib/logging.js';
import { connectClient } from '../lib/temporal/index.js';
import { buildServer, createLoginLink, ensureAdmin } from '../web/server/index.js';
import type { Core } from './core.js';
import type { IntegrationServices } from './integration-services.js';
import type { Shutdown } from './shutdown.js';
import { PORTAL_DIR, deploymentFacts } from './portal.js';

export interface ApiRole {
  /** Where the API listens, e.g. http://127.0.0.1:3000. */
  url: string;
  temporal: Client;
  /** A single-use portal sign-in link for the administrator, until they have signed in once. */
  bootstrapLink: string | undefined;
  /** The administrator token's file when DYNAMIQ_API_TOKEN is unset. */
  apiTokenFile: string | undefined;
}

/** The api role: the HTTP server with the portal API, the broker and the MCP proxy. */
export async function startApiRole(opts: {
  config: Config;
  core: Core;
  services: IntegrationServices;
  log: Logger;
  shutdown: Shutdown;
  /** The Discord gateway's state when it runs in this process, for /readyz. */
  discordGateway?: () => { state: string };
}): Promise<ApiRole> {
  const { config, core, services, log, shutdown } = opts;
  const db = core.database.prisma;
  const client = await connectClient(core.temporal, core.dataConverter);
  shutdown.add(() => client.connection.close());
  const admin = await ensureAdmin(db);
  let apiToken = config.apiToken;
  let apiTokenFile: string | undefined;
  if (!apiToken) {
    const stored = await loadOrCreateSecret(config.dataDir, 'api-token');
    apiToken = stored.value;
    apiTokenFile = stored.file;
  }
  // Until the administrator has signed in once, every start offers a fresh sign-in link.
  let bootstrapLink: string | undefined;
  if ((await db.portalSession.count({ where: { userId: admin.id } })) === 0) {
    bootstrapLink = (await createLoginLink(core.jwtSecret, config.publicUrl, { userId: admin.id }))
      .url;
  }
  const broker = new CredentialBroker({
    db,
    keyring: core.keyring,
    jwtSecret: core.jwtSecret,
    connections: services.connections,
    aws: { endpoint: config.aws.stsEndpoint, region: config.aws.stsRegion },
    gcp: {
      tokenUrl: config.google.tokenUrl,
      iamCredentialsUrl: config.google.iamCredentialsUrl,
    },
    onAuditError: (err) => log.error({ err }, 'audit write failed'),
  });
  shutdown.add(() => broker.close());
  const slack = config.slack.enabled
    ? await createSlackFrontDoor({
        config: config.slack,
        db,
        keyring: core.keyring,
        bus: core.bus,
        temporal: client,
        taskQueue: config.temporal.taskQueue,
        log,
        publicUrl: config.publicUrl,
        stateSecret: core.jwtSecret,
        signInLink: async (subject) =>
          (await createLoginLink(core.jwtSecret, config.publicUrl, subject)).url,
      })
    : undefined;
  if (slack) shutdown.add(() => slack.close());
  const teams = config.teams.enabled
    ? createTeamsFrontDoor({
        config: config.teams,
        db,
        bus: core.bus,
        temporal: client,
        taskQueue: config.temporal.taskQueue,
        log,
      })
    : undefined;
  if (teams) shutdown.add(() => teams.close());
  const discord = config.discord.enabled
    ? createDiscordFrontDoor({
        config: config.discord,
        db,
        keyring: core.keyring,
        bus: core.bus,
        temporal: client,
        taskQueue: config.temporal.taskQueue,
        log,
      })
    : undefined;
  if (discord) shutdown.add(() => discord.close());
  const server = await buildServer({
    db,
    temporal: client,
    taskQueue: config.temporal.taskQueue,
    bus: core.bus,
    log,
    apiToken,
    jwtSecret: core.jwtSecret,
    publicUrl: config.publicUrl,
    admin,
    mcp: services.mcp,
    broker,
    connections: services.connections,
    portalDir: PORTAL_DIR,
    deployment: deploymentFacts(config, core),
    limits: config.http,
    trustProxy: config.http.trustProxy,
    slack,
    discord,
    discordGateway: opts.discordGateway,
    teams,
  });
  shutdown.add(() => server.close());
  await server.listen({ port: config.port, host: config.host });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.info({ url }, 'API listening');
  return { url, temporal: client, bootstrapLink, apiTokenFile };
}
