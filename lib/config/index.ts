import path from 'node:path';
import { parseLocalServers } from '../../activities/mcp/local-servers.js';
import type { McpSettings } from '../../activities/mcp/config.js';
import { catalog, checkEndpointOverrides } from '../../integrations/index.js';
import type { EndpointOverrides } from '../../integrations/index.js';
import { oauthClientsFromEnv } from '../../integrations/connections/index.js';
import type { OAuthClients } from '../../integrations/connections/index.js';
import { envSchema } from './schema.js';
import type { Env } from './schema.js';

/** Thrown when the environment does not describe a runnable configuration. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'dynamiq.config_invalid';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export type Role = 'api' | 'worker';

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
  apiToken: string | undefined;
  masterKey: string | undefined;
  previousMasterKeys: string[];
  jwtSecret: string | undefined;
  eventBus: 'memory' | 'postgres' | undefined;
  logLevel: Env['LOG_LEVEL'];
  sandbox: { provider: 'local' | 'e2b'; network: 'shared' | 'none'; idleTimeoutMs: number };
  e2b: { apiKey: string | undefined; templateId: string | undefined };
  pipedream: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    projectId: string | undefined;
    environment: Env['PIPEDREAM_ENVIRONMENT'];
  };
  composio: { apiKey: string | undefined; projectId: string | undefined };
  /** MCP providers and limits, as activities/mcp's createMcpRegistry takes them. */
  mcp: McpSettings;
  /** The api as sandboxes reach it; undefined: the in-process api's address or publicUrl. */
  brokerUrl: string | undefined;
  /** OAuth apps per integration, from OAUTH_<ID>_CLIENT_ID / OAUTH_<ID>_CLIENT_SECRET. */
  oauthClients: OAuthClients;
  /** From INTEGRATION_ENDPOINTS. */
  endpointOverrides: EndpointOverrides;
  aws: { stsEndpoint: string | undefined; stsRegion: string };
  google: { tokenUrl: string; iamCredentialsUrl: string };
}

/**
 * Validates the environment. Each problem is one line naming the variable and what it
 * expects, so a failed start-up says exactly what to fix.
 */
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
  let oauthClients: OAuthClients = new Map();
  let endpointOverrides: EndpointOverrides = {};
  try {
    // OAuth apps are configured per integration: OAUTH_GITHUB_CLIENT_ID, OAUTH_GITHUB_CLIENT_SECRET, ...
    const oauthEnv = Object.fromEntries(
      Object.entries(env).filter(([k]) => /^OAUTH_[A-Z0-9_]+_CLIENT_(ID|SECRET)$/.test(k)),
    );
    oauthClients = oauthClientsFromEnv(oauthEnv, catalog);
  } catch (err) {
    problems.push((err as Error).message);
  }
  try {
    endpointOverrides = e.INTEGRATION_ENDPOINTS
      ? (JSON.parse(e.INTEGRATION_ENDPOINTS) as EndpointOverrides)
      : {};
    checkEndpointOverrides(endpointOverrides, catalog);
  } catch (err) {
    problems.push(`INTEGRATION_ENDPOINTS ${(err as Error).message}`);
  }
  let localServers: McpSettings['localServers'] = {};
  try {
    localServers = parseLocalServers(e.MCP_LOCAL_SERVERS);
  } catch (err) {
    problems.push((err as Error).message);
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
        e.TEMPORAL_TLS_CERT_PATH !== undefined,
      tlsCertPath: e.TEMPORAL_TLS_CERT_PATH,
      tlsKeyPath: e.TEMPORAL_TLS_KEY_PATH,
      cliPath: e.TEMPORAL_CLI_PATH,
    },
    llm: {
      apiKey: e.LLM_API_KEY,
      baseUrl: e.LLM_BASE_URL,
      model: e.LLM_MODEL,
      timeoutMs: e.LLM_TIMEOUT_MS,
      configured: e.LLM_API_KEY !== undefined || e.LLM_BASE_URL !== undefined,
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
      idleTimeoutMs: e.SANDBOX_IDLE_TIMEOUT_MS,
    },
    e2b: { apiKey: e.E2B_API_KEY, templateId: e.E2B_TEMPLATE_ID },
    pipedream: {
      clientId: e.PIPEDREAM_CLIENT_ID,
      clientSecret: e.PIPEDREAM_CLIENT_SECRET,
      projectId: e.PIPEDREAM_PROJECT_ID,
      environment: e.PIPEDREAM_ENVIRONMENT,
    },
    composio: { apiKey: e.COMPOSIO_API_KEY, projectId: e.COMPOSIO_PROJECT_ID },
    brokerUrl: e.DYNAMIQ_BROKER_URL?.replace(/\/$/, ''),
    oauthClients,
    endpointOverrides,
    aws: { stsEndpoint: e.AWS_STS_ENDPOINT, stsRegion: e.AWS_STS_REGION },
    google: { tokenUrl: e.GOOGLE_TOKEN_URL, iamCredentialsUrl: e.GOOGLE_IAM_CREDENTIALS_URL },
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

function isSecretName(name: string): boolean {
  return /KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL/.test(name);
}
