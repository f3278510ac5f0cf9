import path from 'node:path';
import { z } from 'zod';
import { DynamiqError } from '../errors/index.js';
import { envSchema } from './schema.js';
import type { Env } from './schema.js';

/**
 * Thrown when the environment does not describe a runnable configuration; `problems` has one
 * line per variable to fix.
 */
export class ConfigError extends DynamiqError {
  override readonly name = 'ConfigError';
  declare readonly code: 'dynamiq.config.invalid';
  constructor(readonly problems: string[]) {
    super('dynamiq.config.invalid', problems.join('\n'), { status: 500 });
  }
}

/** `gateway` holds the Discord gateway connection (mentions); it runs where DISCORD_BOT_TOKEN is set. */
export type Role = 'api' | 'worker' | 'gateway';

/** MCP settings as plain values, in the shape mcp/'s createMcpRegistry takes. */
export interface McpConfig {
  defaultProvider: Env['MCP_DEFAULT_PROVIDER'];
  sessionIdleMs: number;
  toolsCacheTtlMs: number;
  callTimeoutMs: number;
  maxResultChars: number;
  pipedream: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    projectId: string | undefined;
    environment: Env['PIPEDREAM_ENVIRONMENT'];
    apiUrl: string | undefined;
    mcpUrl: string | undefined;
    toolMode: Env['PIPEDREAM_TOOL_MODE'];
  };
  composio: { apiKey: string | undefined; apiUrl: string | undefined };
  /** MCP_LOCAL_SERVERS parsed as JSON (an object of servers by app id), not yet checked. */
  localServers: unknown;
}

const llmPricesSchema = z.record(
  z.string().min(1),
  z.strictObject({ input: z.number().min(0), output: z.number().min(0) }),
);

/** What bounds one agent turn; the workflow receives these as data when a turn starts. */
export interface AgentLimits {
  maxSteps: number;
  maxTurnTokens: number;
  maxTurnMs: number;
  approvalTimeoutMs: number;
  maxConcurrentTurns: number;
  commandTimeoutMs: number;
  sandboxHostWaitMs: number;
  toolHeartbeatMs: number;
}

/** The validated configuration every part receives; nothing else reads process.env. */
export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  temporal: {
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    apiKey: string | undefined;
    tls: boolean;
    tlsCertPath: string | undefined;
    tlsKeyPath: string | undefined;
    tlsCaPath: string | undefined;
    tlsServerName: string | undefined;
    /** Worker limits: cached workflows, concurrent activities. */
    maxCachedWorkflows: number;
    maxConcurrentActivities: number;
    cliPath: string | undefined;
  };
  llm: {
    apiKey: string | undefined;
    baseUrl: string | undefined;
    model: string;
    timeoutMs: number;
    /** False when neither a key nor a base URL is set: turns answer with set-up help. */
    configured: boolean;
  };
  agent: AgentLimits & {
    /** LLM_PRICES: dollars per million tokens by model, over the built-in table. */
    prices: Record<string, { input: number; output: number }>;
  };
  apiToken: string | undefined;
  masterKey: string | undefined;
  previousMasterKeys: string[];
  jwtSecret: string | undefined;
  eventBus: 'memory' | 'postgres' | undefined;
  logLevel: Env['LOG_LEVEL'];
  sandbox: {
    provider: 'local' | 'e2b';
    network: 'proxied' | 'shared' | 'none';
    /** `host:port` destinations allowed whatever their address (SANDBOX_EGRESS_ALLOW). */
    egressAllow: string[];
    /** Domains a proxied sandbox may reach; undefined: the public internet. */
    egressDomains: string[] | undefined;
    /** Folder of the local sandboxes, absolute. */
    dir: string;
    /**
     * Where sandboxes lived by default before they moved out of the data folder
     * (`<data>/sandboxes`); set only when SANDBOX_DIR is unset. The worker keeps using it while
     * it still holds sandboxes.
     */
    legacyDir: string | undefined;
    /** Each sandbox's filesystem size in bytes; 0: plain folders. */
    diskBytes: number;
    /** Per-sandbox limits, enforced by cgroup where the host allows it. */
    memoryBytes: number;
    maxProcesses: number;
    cpus: number;
    idleTimeoutMs: number;
  };
  e2b: { apiKey: string | undefined; templateId: string | undefined };
  /** MCP providers and limits; app/ checks the local servers against mcp/'s schema. */
  mcp: McpConfig;
  /** The api as sandboxes reach it; undefined: the in-process api's address or publicUrl. */
  brokerUrl: string | undefined;
  /** OAUTH_<ID>_CLIENT_ID / OAUTH_<ID>_CLIENT_SECRET as set; app/ matches them to the catalog. */
  oauthClientEnv: Record<string, string>;
  /** INTEGRATION_ENDPOINTS parsed as JSON; app/ checks it against the catalog. */
  integrationEndpoints: unknown;
  aws: { stsEndpoint: string | undefined; stsRegion: string };
  google: { tokenUrl: string; iamCredentialsUrl: string };
  /** What one address or user may ask of the api (web/server/rate-limits.ts). */
  http: {
    trustProxy: boolean | string;
    perAddressPerMinute: number;
    failuresPerMinute: number;
    startsPerUserPerMinute: number;
    streamsPerUser: number;
  };
  /** The Slack front end; `enabled` when a signing secret (or app token) and a bot token or OAuth app are set. */
  slack: SlackConfig;
  /** The Microsoft Teams front end; `enabled` when MICROSOFT_APP_ID and a password (or MSI) are set. */
  teams: TeamsConfig;
  /** The Discord front end; `enabled` when the bot token, public key and application id are set. */
  discord: DiscordConfig;
}

export interface DiscordConfig {
  enabled: boolean;
  botToken: string | undefined;
  publicKey: string | undefined;
  applicationId: string | undefined;
  /** Without a trailing slash or version, as @discordjs/rest's `api` option expects. */
  apiUrl: string;
}

export interface TeamsConfig {
  enabled: boolean;
  appId: string | undefined;
  appPassword: string | undefined;
  tenantId: string | undefined;
  appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
  /** Overrides of Bot Framework's endpoints; undefined: Microsoft's public cloud. */
  openIdMetadataUrl: string | undefined;
  emulatorOpenIdMetadataUrl: string | undefined;
  tokenIssuer: string | undefined;
  tokenUrl: string | undefined;
}

export interface SlackConfig {
  enabled: boolean;
  signingSecret: string | undefined;
  botToken: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  appToken: string | undefined;
  /** Ends with a slash, as @slack/web-api's slackApiUrl expects. */
  apiUrl: string;
}

/**
 * Validates the environment. Each problem is one line naming the variable and what it
 * expects, so a failed start-up says exactly what to fix.
 */
/**
 * The sandboxes' default folder: `<data folder>-sandboxes`, beside the data folder, not in it.
 * Inside, the sandbox uid had to pass through the data folder (which holds the master key and
 * the embedded database) and a backup or copy of the data took every sandbox's files along.
 * A sibling rather than an XDG state folder: the operator already chose that place and its
 * disk, and the sandbox uid must traverse every folder above its sandboxes, which a home such
 * as /root (0700) does not allow.
 */
export function defaultSandboxDir(dataDir: string): string {
  const dir = path.resolve(dataDir);
  return dir === path.parse(dir).root ? path.join(dir, 'dynamiq-sandboxes') : `${dir}-sandboxes`;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const got = env[name];
        const shown =
          got === undefined ? 'unset' : isSecretName(name) ? 'hidden' : JSON.stringify(got);
        return `${name} ${issue.message} (got ${shown})`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if ((e.TEMPORAL_TLS_CERT_PATH === undefined) !== (e.TEMPORAL_TLS_KEY_PATH === undefined)) {
    problems.push('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together');
  }
  if (e.SANDBOX_PROVIDER === 'e2b' && (!e.E2B_API_KEY || !e.E2B_TEMPLATE_ID)) {
    problems.push(
      'SANDBOX_PROVIDER=e2b needs E2B_API_KEY and E2B_TEMPLATE_ID (the template built from e2b-template/)',
    );
  }
  // OAuth apps are configured per integration: OAUTH_GITHUB_CLIENT_ID, OAUTH_GITHUB_CLIENT_SECRET, ...
  const oauthClientEnv = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        /^OAUTH_[A-Z0-9_]+_CLIENT_(ID|SECRET)$/.test(entry[0]) && entry[1] !== undefined,
    ),
  );
  const integrationEndpoints = parseJson(
    'INTEGRATION_ENDPOINTS',
    e.INTEGRATION_ENDPOINTS,
    problems,
  );
  const localServers = parseJson('MCP_LOCAL_SERVERS', e.MCP_LOCAL_SERVERS, problems);
  const prices = llmPricesSchema.safeParse(parseJson('LLM_PRICES', e.LLM_PRICES, problems) ?? {});
  if (!prices.success) {
    problems.push(
      'LLM_PRICES must map model names to {"input": <$ per 1M tokens>, "output": <$ per 1M tokens>}',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    dataDir: path.resolve(cwd, e.DYNAMIQ_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls:
        e.TEMPORAL_TLS ||
        e.TEMPORAL_API_KEY !== undefined ||
        e.TEMPORAL_TLS_CERT_PATH !== undefined ||
        e.TEMPORAL_TLS_CA_PATH !== undefined,
      tlsCertPath: e.TEMPORAL_TLS_CERT_PATH,
      tlsKeyPath: e.TEMPORAL_TLS_KEY_PATH,
      tlsCaPath: e.TEMPORAL_TLS_CA_PATH,
      tlsServerName: e.TEMPORAL_TLS_SERVER_NAME,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      cliPath: e.TEMPORAL_CLI_PATH,
    },
    llm: {
      apiKey: e.LLM_API_KEY,
      baseUrl: e.LLM_BASE_URL,
      model: e.LLM_MODEL,
      timeoutMs: e.LLM_TIMEOUT_MS,
      configured: e.LLM_API_KEY !== undefined || e.LLM_BASE_URL !== undefined,
    },
    agent: {
      maxSteps: e.AGENT_MAX_STEPS,
      maxTurnTokens: e.AGENT_MAX_TURN_TOKENS,
      maxTurnMs: e.AGENT_MAX_TURN_MS,
      approvalTimeoutMs: e.AGENT_APPROVAL_TIMEOUT_MS,
      maxConcurrentTurns: e.AGENT_MAX_CONCURRENT_TURNS,
      commandTimeoutMs: e.AGENT_COMMAND_TIMEOUT_MS,
      sandboxHostWaitMs: e.AGENT_SANDBOX_HOST_WAIT_MS,
      toolHeartbeatMs: e.AGENT_TOOL_HEARTBEAT_MS,
      prices: prices.data ?? {},
    },
    apiToken: e.DYNAMIQ_API_TOKEN,
    masterKey: e.DYNAMIQ_MASTER_KEY,
    previousMasterKeys: e.DYNAMIQ_PREVIOUS_MASTER_KEYS?.split(',').map((k) => k.trim()) ?? [],
    jwtSecret: e.JWT_SECRET,
    eventBus: e.EVENT_BUS,
    logLevel: e.LOG_LEVEL,
    sandbox: {
      provider: e.SANDBOX_PROVIDER,
      network: e.SANDBOX_NETWORK,
      egressAllow: splitList(e.SANDBOX_EGRESS_ALLOW) ?? [],
      egressDomains: splitList(e.SANDBOX_EGRESS_DOMAINS),
      dir: e.SANDBOX_DIR
        ? path.resolve(cwd, e.SANDBOX_DIR)
        : defaultSandboxDir(path.resolve(cwd, e.DYNAMIQ_DATA_DIR)),
      legacyDir: e.SANDBOX_DIR
        ? undefined
        : path.join(path.resolve(cwd, e.DYNAMIQ_DATA_DIR), 'sandboxes'),
      diskBytes: e.SANDBOX_DISK_MB * 1024 * 1024,
      memoryBytes: e.SANDBOX_MEMORY_MB * 1024 * 1024,
      maxProcesses: e.SANDBOX_MAX_PROCESSES,
      cpus: e.SANDBOX_CPUS,
      idleTimeoutMs: e.SANDBOX_IDLE_TIMEOUT_MS,
    },
    e2b: { apiKey: e.E2B_API_KEY, templateId: e.E2B_TEMPLATE_ID },
    brokerUrl: e.DYNAMIQ_BROKER_URL?.replace(/\/$/, ''),
    oauthClientEnv,
    integrationEndpoints,
    aws: { stsEndpoint: e.AWS_STS_ENDPOINT, stsRegion: e.AWS_STS_REGION },
    google: { tokenUrl: e.GOOGLE_TOKEN_URL, iamCredentialsUrl: e.GOOGLE_IAM_CREDENTIALS_URL },
    http: {
      trustProxy: e.TRUST_PROXY,
      perAddressPerMinute: e.RATE_LIMIT_PER_MINUTE,
      failuresPerMinute: e.RATE_LIMIT_FAILURES_PER_MINUTE,
      startsPerUserPerMinute: e.RATE_LIMIT_STARTS_PER_MINUTE,
      streamsPerUser: e.MAX_STREAMS_PER_USER,
    },
    slack: {
      enabled:
        (e.SLACK_SIGNING_SECRET !== undefined || e.SLACK_APP_TOKEN !== undefined) &&
        (e.SLACK_BOT_TOKEN !== undefined || e.SLACK_CLIENT_ID !== undefined),
      signingSecret: e.SLACK_SIGNING_SECRET,
      botToken: e.SLACK_BOT_TOKEN,
      clientId: e.SLACK_CLIENT_ID,
      clientSecret: e.SLACK_CLIENT_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: (e.SLACK_API_URL ?? 'https://slack.com/api/').replace(/\/?$/, '/'),
    },
    teams: {
      enabled:
        e.MICROSOFT_APP_ID !== undefined &&
        (e.MICROSOFT_APP_PASSWORD !== undefined || e.MICROSOFT_APP_TYPE === 'UserAssignedMSI'),
      appId: e.MICROSOFT_APP_ID,
      appPassword: e.MICROSOFT_APP_PASSWORD,
      tenantId: e.MICROSOFT_APP_TENANT_ID,
      appType: e.MICROSOFT_APP_TYPE,
      openIdMetadataUrl: e.MICROSOFT_OPENID_METADATA_URL,
      emulatorOpenIdMetadataUrl: e.MICROSOFT_EMULATOR_OPENID_METADATA_URL,
      tokenIssuer: e.MICROSOFT_TOKEN_ISSUER,
      tokenUrl: e.MICROSOFT_TOKEN_URL,
    },
    discord: {
      enabled:
        e.DISCORD_BOT_TOKEN !== undefined &&
        e.DISCORD_PUBLIC_KEY !== undefined &&
        e.DISCORD_APPLICATION_ID !== undefined,
      botToken: e.DISCORD_BOT_TOKEN,
      publicKey: e.DISCORD_PUBLIC_KEY,
      applicationId: e.DISCORD_APPLICATION_ID,
      apiUrl: (e.DISCORD_API_URL ?? 'https://discord.com/api').replace(/\/+$/, ''),
    },
    mcp: {
      defaultProvider: e.MCP_DEFAULT_PROVIDER,
      sessionIdleMs: e.MCP_SESSION_IDLE_MS,
      toolsCacheTtlMs: e.MCP_TOOLS_CACHE_TTL_MS,
      callTimeoutMs: e.MCP_CALL_TIMEOUT_MS,
      maxResultChars: e.MCP_MAX_RESULT_CHARS,
      pipedream: {
        clientId: e.PIPEDREAM_CLIENT_ID,
        clientSecret: e.PIPEDREAM_CLIENT_SECRET,
        projectId: e.PIPEDREAM_PROJECT_ID,
        environment: e.PIPEDREAM_ENVIRONMENT,
        apiUrl: e.PIPEDREAM_API_URL,
        mcpUrl: e.PIPEDREAM_MCP_URL,
        toolMode: e.PIPEDREAM_TOOL_MODE,
      },
      composio: { apiKey: e.COMPOSIO_API_KEY, apiUrl: e.COMPOSIO_API_URL },
      localServers,
    },
  };
}

/** A comma-separated variable as its non-empty items; undefined when unset. */
function splitList(text: string | undefined): string[] | undefined {
  return text
    ?.split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** An optional JSON variable: undefined when unset, a problem line when it does not parse. */
function parseJson(name: string, text: string | undefined, problems: string[]): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    problems.push(`${name} is not valid JSON: ${(err as Error).message}`);
    return undefined;
  }
}

function isSecretName(name: string): boolean {
  return /KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL/.test(name);
}
