import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const optionalUrl = optionalString.pipe(
  z.url({ error: 'must be a URL such as https://example.com' }).optional(),
);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Whether a URL is https, or plain http to this machine only (a browser treats both as secure). */
export function isHttpsOrLoopback(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const { protocol, hostname } = new URL(url);
  if (protocol === 'https:') return true;
  if (protocol !== 'http:') return false;
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    /^127(\.\d{1,3}){3}$/.test(hostname) ||
    hostname === '[::1]'
  );
}

/**
 * Every environment variable Dynamiq reads, validated once at start-up.
 * `.env.example` documents each one; keep the two in step.
 */
export const envSchema = z.object({
  /** HTTP port of the api role; 0 picks a free port. Default 3000. */
  PORT: port.default(3000),
  /** Interface the HTTP server binds. Default 127.0.0.1; containers set 0.0.0.0. */
  HOST: z.string().default('127.0.0.1'),
  /**
   * Proxies in front of the api whose X-Forwarded-For names the client (rate limits key on the
   * client's address): `true` for any, or their addresses/CIDRs comma-separated. Default none.
   */
  TRUST_PROXY: optionalString.transform((v) =>
    v === undefined || v === 'false' ? false : v === 'true' ? true : v,
  ),
  /** Requests per minute from one address (chat platforms' webhooks excepted). Default 1200. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1_200),
  /** Refused requests (401/403) per minute from one address before it gets 429s. Default 100. */
  RATE_LIMIT_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(100),
  /** Turns, conversations, sign-in links and OAuth flows one user starts a minute. Default 30. */
  RATE_LIMIT_STARTS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** Event streams (SSE) one user may hold open at once. Default 20. */
  MAX_STREAMS_PER_USER: z.coerce.number().int().min(1).default(20),
  /**
   * Where users reach the portal and OAuth callbacks. Default http://localhost:PORT. Must be
   * https unless it names this machine (localhost, 127.0.0.0/8, [::1]): over plain http a
   * session cookie or an OAuth code crosses the network readable, and cookies cannot be Secure.
   */
  PUBLIC_URL: optionalUrl.refine((v) => v === undefined || isHttpsOrLoopback(v), {
    error:
      'must be https:// (put a TLS-terminating proxy in front) unless it is http://localhost, 127.0.0.1 or [::1]',
  }),
  /** Everything the embedded defaults keep on disk. Default `.dynamiq` in the working folder. */
  DYNAMIQ_DATA_DIR: z.string().default('.dynamiq'),
  /** PostgreSQL connection string; unset means an embedded PostgreSQL under DYNAMIQ_DATA_DIR. */
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgresql://')
      .optional(),
  ),
  /** host:port of a Temporal cluster; unset means an embedded `temporal server start-dev`. */
  TEMPORAL_ADDRESS: optionalString.pipe(
    z
      .string()
      .regex(/^[^\s:/]+:\d+$/, 'must be host:port, for example localhost:7233')
      .optional(),
  ),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('dynamiq'),
  /** Temporal Cloud API key; implies TLS. */
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: bool,
  /** mTLS client certificate and key (PEM file paths) for Temporal Cloud or a secured cluster. */
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  /** CA certificate (PEM path) that signed the server's certificate, for a private CA (compose). */
  TEMPORAL_TLS_CA_PATH: optionalString,
  /** The name the server's certificate carries, when it differs from the address's host. */
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  /**
   * Conversation workflows the worker keeps in memory between turns (about 1 MB each); one
   * evicted replays its history on its next message. Default 200, where the SDK's own default
   * grows with the heap (about 2,000 on a 4 GB heap).
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(200),
  /** Activities (LLM calls, commands, MCP calls) one worker runs at once. Default 50. */
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).default(50),
  /** The `temporal` CLI used for the embedded server; default: PATH, then .tools/bin. */
  TEMPORAL_CLI_PATH: optionalString,
  /** Key for an OpenAI-compatible API. Local servers (Ollama, vLLM) may not need one. */
  LLM_API_KEY: optionalString,
  /** Base URL of an OpenAI-compatible API, e.g. http://localhost:11434/v1 for Ollama. */
  LLM_BASE_URL: optionalUrl,
  LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  /** How long one LLM request may take, in milliseconds. Default 120000. */
  LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  /**
   * Prices per million tokens as JSON, e.g. {"gpt-4o":{"input":2.5,"output":10}}, merged over
   * the built-in table; budgets in dollars use them. A model in neither uses `default`.
   */
  LLM_PRICES: optionalString,
  /** LLM steps one turn may take before it stops with a message saying so. Default 20. */
  AGENT_MAX_STEPS: z.coerce.number().int().min(1).max(200).default(20),
  /** Tokens (prompt + completion, all steps) one turn may use. Default 400000. */
  AGENT_MAX_TURN_TOKENS: z.coerce.number().int().min(1_000).default(400_000),
  /** Wall time of one turn, approvals included, in milliseconds. Default 1 hour. */
  AGENT_MAX_TURN_MS: z.coerce
    .number()
    .int()
    .min(10_000)
    .default(60 * 60_000),
  /** How long an approval waits for a decision, in milliseconds. Default 30 minutes. */
  AGENT_APPROVAL_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(30 * 60_000),
  /** Turns one user may have running at once; more wait in line. Default 3. */
  AGENT_MAX_CONCURRENT_TURNS: z.coerce.number().int().min(1).max(100).default(3),
  /** Longest a sandbox command may run, in milliseconds. Default 10 minutes. */
  AGENT_COMMAND_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(10 * 60_000),
  /**
   * How long a tool call waits for the worker that holds the conversation's sandbox to pick it
   * up before the sandbox moves to another worker, in milliseconds. Default 30000.
   */
  AGENT_SANDBOX_HOST_WAIT_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** How soon a worker that died mid-tool-call is noticed, in milliseconds. Default 15000. */
  AGENT_TOOL_HEARTBEAT_MS: z.coerce.number().int().min(2_000).default(15_000),
  /** Bearer token that authenticates as the administrator (scripts, automation). */
  DYNAMIQ_API_TOKEN: optionalString.pipe(
    z.string().min(24, 'must be at least 24 characters (e.g. `openssl rand -hex 32`)').optional(),
  ),
  /** 32-byte master key, base64, for secrets at rest. */
  DYNAMIQ_MASTER_KEY: optionalString.pipe(
    z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32, {
        message: 'must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)',
      })
      .optional(),
  ),
  /** Earlier master keys, comma-separated, still accepted for decryption after a rotation. */
  DYNAMIQ_PREVIOUS_MASTER_KEYS: optionalString.pipe(
    z
      .string()
      .refine((v) => v.split(',').every((k) => Buffer.from(k.trim(), 'base64').length === 32), {
        message: 'must be comma-separated 32-byte keys in base64',
      })
      .optional(),
  ),
  /** Signs sandbox tokens and portal links. */
  JWT_SECRET: optionalString.pipe(
    z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)').optional(),
  ),
  /** `memory` (one process) or `postgres` (LISTEN/NOTIFY across processes). */
  EVENT_BUS: z.enum(['memory', 'postgres']).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `local` (bubblewrap, default) or `e2b` (needs E2B_API_KEY and E2B_TEMPLATE_ID). */
  SANDBOX_PROVIDER: z.enum(['local', 'e2b']).default('local'),
  /**
   * Local sandboxes' network. `proxied` (default): a private network namespace whose only way
   * out is the worker's egress proxy (HTTP CONNECT and SOCKS5), which refuses loopback,
   * private, link-local, CGNAT, ULA and metadata addresses after resolving names, allows the
   * broker, and records every connection. `shared`: the host's network (loopback services and
   * metadata endpoints included; warned at start-up). `none`: loopback only.
   */
  SANDBOX_NETWORK: z.enum(['proxied', 'shared', 'none']).default('proxied'),
  /**
   * Comma-separated `host:port` destinations a proxied sandbox reaches even on a private or
   * loopback address (an internal registry, a self-hosted Git). Loopback ones also appear at
   * the same address inside the sandbox. Unset: none besides the broker.
   */
  SANDBOX_EGRESS_ALLOW: optionalString.pipe(
    z
      .string()
      .refine(
        (v) =>
          v.split(',').every((d) => /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]@]+):\d{1,5}$/.test(d.trim())),
        { message: 'must be comma-separated host:port entries (IPv6 in brackets)' },
      )
      .optional(),
  ),
  /**
   * Comma-separated domains a proxied sandbox may reach (each with its subdomains), e.g.
   * `github.com,amazonaws.com`. Unset: the whole public internet.
   */
  SANDBOX_EGRESS_DOMAINS: optionalString,
  /**
   * Size of each local sandbox's own filesystem (home and /work, a loop-mounted sparse ext4
   * image, so a full sandbox gets ENOSPC and the data folder's disk does not fill), in MiB.
   * Needs a root worker; 0 keeps plain folders. Default 4096.
   */
  SANDBOX_DISK_MB: z.coerce
    .number()
    .int()
    .refine((n) => n === 0 || n >= 16, 'must be 0 or at least 16')
    .default(4096),
  /** Folder of the local sandboxes, e.g. on another disk. Default `<DYNAMIQ_DATA_DIR>-sandboxes`, beside the data. */
  SANDBOX_DIR: optionalString,
  /** Memory of one local sandbox as a whole (all its processes, by cgroup), in MiB. Default 2048. */
  SANDBOX_MEMORY_MB: z.coerce.number().int().min(32).default(2048),
  /** Processes and threads of one local sandbox at once (by cgroup). Default 512. */
  SANDBOX_MAX_PROCESSES: z.coerce.number().int().min(8).default(512),
  /** CPU of one local sandbox, in cores (by cgroup), e.g. 0.5. Default 1. */
  SANDBOX_CPUS: z.coerce.number().positive().max(1024).default(1),
  /** A sandbox unused this long is closed, in milliseconds. Default 30 minutes. */
  SANDBOX_IDLE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(30 * 60_000),
  E2B_API_KEY: optionalString,
  E2B_TEMPLATE_ID: optionalString,
  PIPEDREAM_CLIENT_ID: optionalString,
  PIPEDREAM_CLIENT_SECRET: optionalString,
  PIPEDREAM_PROJECT_ID: optionalString,
  PIPEDREAM_ENVIRONMENT: z.enum(['development', 'production']).default('development'),
  COMPOSIO_API_KEY: optionalString,
  /** Pipedream's REST API; override for a proxy or a test fake. Default https://api.pipedream.com. */
  PIPEDREAM_API_URL: optionalUrl,
  /** Pipedream's remote MCP server. Default https://remote.mcp.pipedream.net. */
  PIPEDREAM_MCP_URL: optionalUrl,
  /** `x-pd-tool-mode`: `tools-only` gives the LLM full tool schemas. Unset: Pipedream's default (sub-agent). */
  PIPEDREAM_TOOL_MODE: z.enum(['sub-agent', 'tools-only']).optional(),
  /** Composio's API; override for a proxy or a test fake. Default https://backend.composio.dev. */
  COMPOSIO_API_URL: optionalUrl,
  /** Serves apps that no catalog entry or local server claims. Default: Pipedream when configured, else Composio. */
  MCP_DEFAULT_PROVIDER: z.enum(['pipedream', 'composio', 'direct', 'local']).optional(),
  /** Operator MCP servers as JSON: {"<app>":{"command":"...","args":[...],"env":{...}}} or {"<app>":{"url":"..."}}. */
  MCP_LOCAL_SERVERS: optionalString,
  /** Close an MCP session after this long without a request, in milliseconds. Default 300000. */
  MCP_SESSION_IDLE_MS: z.coerce.number().int().positive().default(300_000),
  /** Reuse an app's tool list for this long, in milliseconds. Default 300000. */
  MCP_TOOLS_CACHE_TTL_MS: z.coerce.number().int().min(0).default(300_000),
  /** Wait for a tool call without progress, in milliseconds. Default 60000. */
  MCP_CALL_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** Largest tool result kept for the LLM, in characters. Default 50000. */
  MCP_MAX_RESULT_CHARS: z.coerce.number().int().min(1_000).default(50_000),
  /** STS endpoint for the broker's AssumeRole; unset: the SDK's regional endpoint. */
  AWS_STS_ENDPOINT: optionalUrl,
  AWS_STS_REGION: z.string().min(1).default('us-east-1'),
  /** Google's OAuth token endpoint (service-account keys); override for a proxy or tests. */
  GOOGLE_TOKEN_URL: z.url().default('https://oauth2.googleapis.com/token'),
  /** Google's IAM Credentials API (impersonation); override for a proxy or tests. */
  GOOGLE_IAM_CREDENTIALS_URL: z.url().default('https://iamcredentials.googleapis.com'),
  /** The api as sandboxes reach it (credential broker, MCP proxy). Default: the api's own address, else PUBLIC_URL. */
  DYNAMIQ_BROKER_URL: optionalUrl,
  /** Endpoint overrides per integration (GitHub Enterprise, self-managed GitLab), JSON:
   *  {"gitlab":{"apiBaseUrl":"https://git.example.com/api/v4","authorizeUrl":"...","tokenUrl":"..."}}. */
  INTEGRATION_ENDPOINTS: optionalString,
  /** Verifies every request Slack sends to /slack/events (Basic Information → Signing Secret). */
  SLACK_SIGNING_SECRET: optionalString,
  /** Bot token (xoxb-) of a single-workspace install; unset with SLACK_CLIENT_ID for "Add to Slack". */
  SLACK_BOT_TOKEN: optionalString,
  /** OAuth app of a multi-workspace install; installations are stored sealed in the database. */
  SLACK_CLIENT_ID: optionalString,
  SLACK_CLIENT_SECRET: optionalString,
  /** App-level token (xapp-, connections:write): Socket Mode instead of a public request URL. */
  SLACK_APP_TOKEN: optionalString,
  /** Slack's Web API base. Default https://slack.com/api/; tests point it at a local fake. */
  SLACK_API_URL: optionalUrl,
  /** Microsoft Teams: the Azure Bot's Microsoft App ID (the audience of Bot Framework JWTs). */
  MICROSOFT_APP_ID: optionalString,
  /** The app registration's client secret (the bot's outgoing token); not for UserAssignedMSI. */
  MICROSOFT_APP_PASSWORD: optionalString,
  /** The app registration's tenant; required for SingleTenant and UserAssignedMSI. */
  MICROSOFT_APP_TENANT_ID: optionalString,
  /** How the bot's app registration is set up, as in the Azure Bot resource. Default MultiTenant. */
  MICROSOFT_APP_TYPE: z
    .enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI', ''])
    .optional()
    .transform((v) => v || 'MultiTenant'),
  /** Bot Framework's OpenID metadata for incoming JWTs. Default Microsoft's; tests point it at a fake. */
  MICROSOFT_OPENID_METADATA_URL: optionalUrl,
  /** OpenID metadata for tokens from the Emulator and Azure AD (skills). Default Microsoft's. */
  MICROSOFT_EMULATOR_OPENID_METADATA_URL: optionalUrl,
  /** The issuer incoming Bot Framework JWTs must carry. Default https://api.botframework.com. */
  MICROSOFT_TOKEN_ISSUER: optionalUrl,
  /** Token endpoint for the bot's outgoing calls (client credentials). Default login.microsoftonline.com's. */
  MICROSOFT_TOKEN_URL: optionalUrl,
  /** Bot token (Developer Portal → Bot): the gateway connection (mentions) and every reply. */
  DISCORD_BOT_TOKEN: optionalString,
  /** Verifies every request to /discord/interactions (General Information → Public Key). */
  DISCORD_PUBLIC_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be the 64 hex characters of the application’s public key')
      .optional(),
  ),
  /** The application id (General Information): interaction follow-ups, command registration. */
  DISCORD_APPLICATION_ID: optionalString.pipe(
    z
      .string()
      .regex(/^\d{1,25}$/, 'must be the numeric application id')
      .optional(),
  ),
  /** Discord's REST API base, without the version. Default https://discord.com/api; tests point it at a fake. */
  DISCORD_API_URL: optionalUrl,
});

export type Env = z.infer<typeof envSchema>;
