import fs from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createMcpRegistry } from '../../activities/mcp/index.js';
import {
  CommandCredentials,
  SandboxSessions,
  createSandboxProvider,
} from '../../activities/sandbox/index.js';
import { catalog } from '../../integrations/index.js';
import { CredentialBroker } from '../../broker/index.js';
import { Connections } from '../../integrations/connections/index.js';
import { ConfigError } from '../config/index.js';
import { EncryptionCodec, loadKeyring } from '../crypto/index.js';
import type { Keyring } from '../crypto/index.js';
import type { Config, Role } from '../config/index.js';
import { migrate, openDatabase } from '../db/index.js';
import type { Database } from '../db/index.js';
import { MemoryEventBus, PostgresEventBus } from '../events/index.js';
import type { EventBus } from '../events/index.js';
import type { Logger } from '../logging.js';
import {
  connectClient,
  connectNative,
  startEmbeddedTemporal,
  targetFromConfig,
} from '../temporal/index.js';
import type { EmbeddedTemporal } from '../temporal/index.js';
import { buildServer, createLoginLink, ensureAdmin } from '../../web/server/index.js';
import { loadOrCreateSecret } from './local-secrets.js';
import { createWorker } from './worker.js';

/** How often the worker closes idle sandboxes and those of deleted conversations. */
const REAP_EVERY_MS = 60_000;

export interface RunningDynamiq {
  /** Where the API listens, e.g. http://127.0.0.1:3000 (api role only). */
  url: string | undefined;
  temporalAddress: string;
  database: Database;
  keyring: Keyring;
  /** A single-use portal sign-in link for the administrator, until they have signed in once. */
  bootstrapLink: string | undefined;
  /** The api role's Temporal client (payloads encrypted with the keyring). */
  temporal: Client | undefined;
  /** Drains the worker, closes the server, stops the embedded Temporal; safe to call twice. */
  stop(): Promise<void>;
}

/** Checks that the chosen roles can run with this configuration before anything starts. */
export function checkRoles(config: Config, roles: ReadonlySet<Role>): void {
  if (roles.size === 2) return;
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
  if (problems.length) throw new ConfigError(problems);
}

/** Starts the chosen roles in this process on the configured (or embedded) services. */
export async function startDynamiq(
  config: Config,
  roles: ReadonlySet<Role>,
  log: Logger,
  opts: { workflowBundle?: { code: string } } = {},
): Promise<RunningDynamiq> {
  checkRoles(config, roles);
  const stack: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    while (stack.length) {
      try {
        await stack.pop()!();
      } catch (err) {
        log.error({ err }, 'error while stopping');
      }
    }
  };
  try {
    await fs.mkdir(config.dataDir, { recursive: true });
    const database = await openDatabase({
      url: config.databaseUrl,
      dataDir: config.dataDir,
      onIdleError: (err) => log.warn({ err }, 'PostgreSQL closed an idle connection'),
    });
    stack.push(() => database.close());
    const { applied } = await migrate(database.sql);
    if (applied.length) log.info({ applied }, 'database migrated');
    const keyring = await loadKeyring({
      masterKey: config.masterKey,
      previousKeys: config.previousMasterKeys,
      dataDir: config.dataDir,
      warn: (line) => log.warn(line),
    });
    const dataConverter: DataConverter = { payloadCodecs: [new EncryptionCodec(keyring)] };
    const jwtSecret =
      config.jwtSecret ?? (await loadOrCreateSecret(config.dataDir, 'jwt-secret')).value;
    // Sandboxes reach the broker here; in one process it is wherever the api ends up listening.
    let brokerUrl = config.brokerUrl ?? config.publicUrl;

    let temporalAddress = config.temporal.address;
    if (!temporalAddress) {
      const embedded: EmbeddedTemporal = await startEmbeddedTemporal({
        dataDir: config.dataDir,
        namespace: config.temporal.namespace,
        cliPath: config.temporal.cliPath,
        log: (line) => log.info(line),
      });
      stack.push(() => embedded.stop());
      temporalAddress = embedded.address;
      log.info({ address: temporalAddress }, 'embedded Temporal server started');
    }
    const target = targetFromConfig(config, temporalAddress);

    const bus: EventBus =
      (config.eventBus ?? (roles.size === 2 ? 'memory' : 'postgres')) === 'postgres'
        ? await PostgresEventBus.connect(requireUrl(config), (err) =>
            log.warn({ err }, 'event bus lost its PostgreSQL connection; reconnecting'),
          )
        : new MemoryEventBus();
    stack.push(() => bus.close());

    if (roles.has('worker')) {
      const sandboxes = new SandboxSessions(database.prisma, createSandboxProvider(config), {
        providerName: config.sandbox.provider,
        idleTimeoutMs: config.sandbox.idleTimeoutMs,
      });
      const reaper = setInterval(() => {
        sandboxes.reap().then(
          ({ closed }) =>
            closed.length && log.info({ closed }, 'closed idle or orphaned sandboxes'),
          (err: unknown) => log.warn({ err }, 'sandbox reaper failed; will retry'),
        );
      }, REAP_EVERY_MS);
      reaper.unref();
      stack.push(async () => clearInterval(reaper));
      const connection: NativeConnection = await connectNative(target);
      stack.push(() => connection.close());
      const worker: Worker = await createWorker({
        connection,
        namespace: target.namespace,
        taskQueue: config.temporal.taskQueue,
        deps: {
          db: database.prisma,
          bus,
          llm: config.llm,
          sandboxes,
          commandCredentials: new CommandCredentials(database.prisma, {
            jwtSecret,
            brokerUrl: () => brokerUrl,
          }),
        },
        dataConverter,
        workflowBundle: opts.workflowBundle,
      });
      const running = worker.run();
      stack.push(async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      });
      log.info({ taskQueue: config.temporal.taskQueue }, 'worker started');
    }

    let url: string | undefined;
    let client: Client | undefined;
    let bootstrapLink: string | undefined;
    if (roles.has('api')) {
      client = await connectClient(target, dataConverter);
      const connection = client.connection;
      stack.push(() => connection.close());
      const admin = await ensureAdmin(database.prisma);
      let apiToken = config.apiToken;
      if (!apiToken) {
        const stored = await loadOrCreateSecret(config.dataDir, 'api-token');
        apiToken = stored.value;
        log.info(`DYNAMIQ_API_TOKEN is unset: the administrator API token is in ${stored.file}`);
      }
      // Until the administrator has signed in once, every start offers a fresh sign-in link.
      if ((await database.prisma.portalSession.count({ where: { userId: admin.id } })) === 0) {
        bootstrapLink = (await createLoginLink(jwtSecret, config.publicUrl, { userId: admin.id }))
          .url;
      }
      const mcp = createMcpRegistry(config.mcp, {
        integrations: catalog,
        // Official remote MCP servers (Sentry, ...) get the user's own OAuth token.
        getAccessToken: async (userId, appId) =>
          (await connections.getAccessToken(userId, appId)).accessToken,
      });
      stack.push(() => mcp.close());
      const connections = new Connections({
        db: database.prisma,
        keyring,
        log,
        publicUrl: config.publicUrl,
        oauthClients: config.oauthClients,
        endpointOverrides: config.endpointOverrides,
        // mcp-type integrations connect, show and disconnect at Pipedream or Composio, through
        // the same provider objects the registry calls tools with (one token cache each).
        providerAccounts: mcp.accountProviders(),
      });
      const broker = new CredentialBroker({
        db: database.prisma,
        keyring,
        jwtSecret,
        connections,
        aws: { endpoint: config.aws.stsEndpoint, region: config.aws.stsRegion },
        gcp: {
          tokenUrl: config.google.tokenUrl,
          iamCredentialsUrl: config.google.iamCredentialsUrl,
        },
        onAuditError: (err) => log.error({ err }, 'audit write failed'),
      });
      stack.push(() => broker.close());
      const server = await buildServer({
        db: database.prisma,
        temporal: client,
        taskQueue: config.temporal.taskQueue,
        bus,
        log,
        apiToken,
        jwtSecret,
        publicUrl: config.publicUrl,
        admin,
        mcp,
        broker,
        connections,
      });
      stack.push(() => server.close());
      await server.listen({ port: config.port, host: config.host });
      const address = server.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
      if (!config.brokerUrl) brokerUrl = url;
      log.info({ url }, 'API listening');
    }
    return { url, temporalAddress, database, keyring, temporal: client, bootstrapLink, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function requireUrl(config: Config): string {
  if (!config.databaseUrl) throw new ConfigError(['EVENT_BUS=postgres needs DATABASE_URL']);
  return config.databaseUrl;
}
