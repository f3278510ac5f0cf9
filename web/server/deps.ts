import type { Client } from '@temporalio/client';
import type { McpRegistry } from '../../mcp/index.js';
import type { CredentialBroker } from '../../broker/index.js';
import type { Connections } from '../../integrations/connections/index.js';
import type { SlackFrontDoor } from '../../bots/slack/index.js';
import type { TeamsFrontDoor } from '../../bots/teams/index.js';
import type { DiscordFrontDoor } from '../../bots/discord/index.js';
import type { Db } from '../../lib/db/index.js';
import type { HttpLimits, StreamSlots } from './rate-limits.js';
import type { EventBus } from '../../lib/events/index.js';
import type { Logger } from '../../lib/logging.js';
import type { AuthUser } from './auth.js';
import type { DeploymentFacts } from './deployment.js';

/** What the HTTP server needs from the rest of the process. */
export interface ServerDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  bus: EventBus;
  log: Logger;
  apiToken: string;
  /** Signs portal sign-in links. */
  jwtSecret: string;
  /** Where people reach the portal; sign-in redirects there, cookies are Secure on https. */
  publicUrl: string;
  admin: AuthUser;
  /** MCP tools for /api/mcp/* and the sandbox proxy; leave out to turn both off. */
  mcp?: McpRegistry;
  /** Users' integration connections (OAuth, keys). */
  connections: Connections;
  /** Cloud credentials for sandboxes (AWS STS, GCP); leave out to turn the broker off. */
  broker?: CredentialBroker;
  /** Largest request body accepted, in bytes. Default 256 KiB. */
  bodyLimit?: number;
  /** The built portal (web/app/dist); leave out to serve no portal. */
  portalDir?: string;
  /** What the deployment runs on, for `GET /api/status`. */
  deployment?: DeploymentFacts;
  /** The Slack front end (POST /slack/events, "Add to Slack"); leave out to turn Slack off. */
  slack?: SlackFrontDoor;
  /** The Teams front end (POST /teams/messages); leave out to turn Teams off. */
  teams?: TeamsFrontDoor;
  /** The Discord front end (POST /discord/interactions); leave out to turn Discord off. */
  discord?: DiscordFrontDoor;
  /** The Discord gateway's state (`ready`, `connecting`, ...) when it runs in this process. */
  discordGateway?: () => { state: string };
  /** How long a message's SSE stream waits for the answer before it gives up, in ms. */
  turnWaitMs?: number;
  /** Rate limits and caps (rate-limits.ts); each one left out takes its default. */
  limits?: Partial<HttpLimits>;
  /**
   * Proxies whose X-Forwarded-For gives the client's address (rate limits key on it): their
   * addresses or CIDRs, comma-separated, or `true` for any. Default: none.
   */
  trustProxy?: boolean | string;
}

/** What the routes get: ServerDeps with the limits resolved and the shared stream slots. */
export interface RouteDeps extends ServerDeps {
  limits: HttpLimits;
  streams: StreamSlots;
}
