import {
  INTEGRATION_OPERATIONS,
  MCP_OPERATIONS,
  brokerSandboxEnv,
  mintSandboxToken,
} from '../../lib/sandbox-access/index.js';
import {
  awsConfigFile,
  cliShims,
  configureSandboxCliShims,
  configureSandboxClouds,
  withCliShims,
  withGcpToken,
} from './sandbox-setup.js';
import { catalog, hasCliCredentials } from '../../integrations/index.js';
import type { Db } from '../../lib/db/index.js';
import type { Sandbox } from './types.js';

export interface BrokerAccess {
  /** Signs the sandbox tokens; the broker checks them with the same secret. */
  jwtSecret: string;
  /** The broker as the sandbox reaches it; read per command (the api may bind late). */
  brokerUrl: () => string;
}

/** Whose credentials a command gets, and which of them. */
export interface CommandScope {
  userId: string;
  /** Integration ids (cloud ones included: `aws`, `gcp`); empty: no credentials at all. */
  integrations: string[];
}

export interface CommandSetup {
  env: Record<string, string>;
  /** Adds what must run before the command (fetching gcloud's token). */
  wrap: (command: string) => string;
}

/**
 * What one command gets instead of secrets: a fresh sandbox token (5 minutes) for the
 * conversation's owner, scoped to their cloud credentials and connected apps, plus the cloud
 * CLIs' configuration, rewritten only when the set of credentials changed.
 */
export class CommandCredentials {
  private readonly awsConfigWritten = new Map<string, string>();
  private readonly shimsWritten = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly access: BrokerAccess,
  ) {}

  /**
   * Credentials for one command. With `scope`, the token acts for `scope.userId` (the turn's
   * author) and grants exactly `scope.integrations` (the workflow decided them from the
   * command); without, it grants every active connection of the conversation's owner (the
   * plain `runCommand` activity, kept for scripts and older workflow histories).
   */
  async prepare(
    conversationId: string,
    sandbox: Sandbox,
    scope?: CommandScope,
  ): Promise<CommandSetup> {
    let userId = scope?.userId;
    if (!userId) {
      const conversation = await this.db.conversation.findUnique({
        where: { id: conversationId },
        select: { ownerId: true },
      });
      if (!conversation) return { env: {}, wrap: (c) => c };
      userId = conversation.ownerId;
    }
    const wanted = scope ? new Set(scope.integrations) : null;
    const [allClouds, allConnections] = await Promise.all([
      this.db.cloudCredential.findMany({
        where: { userId },
        select: { provider: true, name: true, config: true },
        orderBy: { createdAt: 'asc' },
      }),
      this.db.connection.findMany({
        where: { userId, status: 'active' },
        select: { integrationId: true },
      }),
    ]);
    // Cloud credentials belong to the `aws` and `gcp` integrations.
    const clouds = wanted ? allClouds.filter((c) => wanted.has(c.provider)) : allClouds;
    const connections = wanted
      ? allConnections.filter((c) => wanted.has(c.integrationId))
      : allConnections;
    const token = await mintSandboxToken(
      {
        userId,
        conversationId,
        sandboxId: sandbox.id,
        clouds: clouds.map((c) => ({ provider: c.provider, name: c.name })),
        apps: connections.map((c) => c.integrationId),
        operations: connections.length
          ? [
              MCP_OPERATIONS.list,
              MCP_OPERATIONS.call,
              INTEGRATION_OPERATIONS.credentials,
              INTEGRATION_OPERATIONS.proxy,
            ]
          : [],
      },
      this.access.jwtSecret,
    );

    // The CLIs' configuration covers everything the user has connected, so it does not churn
    // between commands of different scopes; what a command may use is the token's business.
    const aws = allClouds
      .filter((c) => c.provider === 'aws')
      .map((c) => ({ name: c.name, region: regionOf(c.config) }));
    if (aws.length) {
      const text = awsConfigFile(aws);
      if (this.awsConfigWritten.get(sandbox.id) !== text) {
        await configureSandboxClouds(sandbox, { aws });
        this.awsConfigWritten.set(sandbox.id, text);
      }
    }
    const connected = new Set(allConnections.map((c) => c.integrationId));
    const shims = cliShims(catalog.filter((i) => connected.has(i.id) && hasCliCredentials(i)));
    const shimsText = JSON.stringify([...shims]);
    // A sandbox that never had shims costs no extra exec; one whose CLIs were disconnected
    // loses them. (After a worker restart, stale shims make the broker refuse with the reason.)
    const before = this.shimsWritten.get(sandbox.id);
    if (before !== shimsText && (before !== undefined || shims.size > 0)) {
      await configureSandboxCliShims(sandbox, shims);
      this.shimsWritten.set(sandbox.id, shimsText);
    }
    const gcp = clouds.some((c) => c.provider === 'gcp');
    return {
      env: brokerSandboxEnv({ brokerUrl: this.access.brokerUrl(), token }),
      wrap: (command) => {
        const shimmed = shims.size ? withCliShims(command) : command;
        return gcp ? withGcpToken(shimmed) : shimmed;
      },
    };
  }
}

function regionOf(config: unknown): string {
  const region = (config as { region?: unknown } | null)?.region;
  return typeof region === 'string' ? region : 'us-east-1';
}
