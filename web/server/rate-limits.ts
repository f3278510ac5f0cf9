// Limits on what one address or one user can make the api do. @fastify/rate-limit counts
// requests (per address for everything, per user on the routes that start work: a turn, a
// sign-in link, an OAuth flow). It cannot count only the requests that failed, so the failure
// limit below is ours: an address that keeps sending refused credentials is stopped before its
// guesses cost a session lookup each, and the refusals are logged as one line a minute rather
// than written one by one.
import fastifyRateLimit from '@fastify/rate-limit';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawServerDefault,
  RouteShorthandOptions,
} from 'fastify';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../../lib/logging.js';
import { HttpError } from './errors.js';

export interface HttpLimits {
  /** Requests per minute from one address, on every route but the chat platforms' webhooks. */
  perAddressPerMinute: number;
  /** Refused requests (401, 403) per minute from one address before it gets 429s. */
  failuresPerMinute: number;
  /** Turns, sign-in links and OAuth flows one user may start per minute. */
  startsPerUserPerMinute: number;
  /** Event streams one user may hold open at once. */
  streamsPerUser: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  perAddressPerMinute: 1_200,
  failuresPerMinute: 100,
  startsPerUserPerMinute: 30,
  streamsPerUser: 20,
};

const MINUTE_MS = 60_000;
/** Addresses remembered at once; beyond it the least recent is forgotten. */
const TRACKED_ADDRESSES = 50_000;
/**
 * Platforms deliver every workspace's traffic from a few addresses of their own and verify
 * each request with a signature or a JWT: a per-address cap would throttle a busy workspace.
 * Their refusals still count as failures.
 */
const WEBHOOKS = new Set(['/slack/events', '/teams/messages', '/discord/interactions']);

const limited = (message: string) => new HttpError(429, 'rate_limited', message);

/** The per-address request limit and the failure limit, for every route of `app`. */
export async function registerRateLimits<L extends FastifyBaseLogger>(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, L>,
  limits: HttpLimits,
  log: Logger,
): Promise<void> {
  await app.register(fastifyRateLimit, {
    global: true,
    max: limits.perAddressPerMinute,
    timeWindow: MINUTE_MS,
    cache: TRACKED_ADDRESSES,
    allowList: (request) => WEBHOOKS.has(request.routeOptions.url ?? ''),
    errorResponseBuilder: (_request, context) =>
      limited(
        `Too many requests from this address (${context.max} a minute); retry in ${Math.ceil(context.ttl / 1000)} s.`,
      ),
  });

  const failures = new FailureCounter(limits.failuresPerMinute);
  app.addHook('onRequest', async (request, reply) => {
    const retryAfterMs = failures.blockedFor(request.ip);
    if (retryAfterMs === 0) return;
    failures.noteBlocked(request.ip);
    reply.header('retry-after', Math.ceil(retryAfterMs / 1000));
    throw limited(
      `Too many refused requests from this address; retry in ${Math.ceil(retryAfterMs / 1000)} s.`,
    );
  });
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 401 || reply.statusCode === 403) failures.add(request.ip);
  });
  const report = setInterval(() => {
    const summary = failures.takeSummary();
    if (summary) log.warn(summary, 'refused requests in the last minute');
  }, MINUTE_MS);
  report.unref();
  app.addHook('onClose', async () => clearInterval(report));
}

/**
 * Route options limiting one user's starts (turns, sign-in links, OAuth flows). Runs after
 * authentication (preHandler), so the user is known; keyed by address where there is none.
 */
export function perUserStarts(limits: HttpLimits): RouteShorthandOptions['config'] {
  return {
    rateLimit: {
      max: limits.startsPerUserPerMinute,
      timeWindow: MINUTE_MS,
      hook: 'preHandler',
      groupId: 'starts',
      keyGenerator: (request: FastifyRequest) =>
        request.user ? `user:${request.user.id}` : `ip:${request.ip}`,
      errorResponseBuilder: (_request: FastifyRequest, context: { max: number; ttl: number }) =>
        limited(
          `You started ${context.max} requests in the last minute; retry in ${Math.ceil(context.ttl / 1000)} s.`,
        ),
    },
  };
}

/** Refused requests per address in fixed one-minute windows. */
class FailureCounter {
  private readonly windows = new LRUCache<string, { count: number; resetAt: number }>({
    max: TRACKED_ADDRESSES,
  });
  private refused = 0;
  private blocked = 0;
  private readonly addresses = new Set<string>();

  constructor(private readonly limit: number) {}

  add(address: string): void {
    const now = Date.now();
    const window = this.windows.get(address);
    if (!window || window.resetAt <= now)
      this.windows.set(address, { count: 1, resetAt: now + MINUTE_MS });
    else window.count++;
    this.refused++;
    if (this.addresses.size < 1_000) this.addresses.add(address);
  }

  /** Milliseconds until `address` may try again; 0 when it may now. */
  blockedFor(address: string): number {
    const window = this.windows.get(address);
    if (!window || window.count < this.limit) return 0;
    return Math.max(0, window.resetAt - Date.now());
  }

  noteBlocked(address: string): void {
    this.blocked++;
    if (this.addresses.size < 1_000) this.addresses.add(address);
  }

  /** What happened since the last summary, or undefined when nothing was refused. */
  takeSummary(): { refused: number; blocked: number; addresses: string[] } | undefined {
    if (!this.refused && !this.blocked) return undefined;
    const summary = {
      refused: this.refused,
      blocked: this.blocked,
      addresses: [...this.addresses].slice(0, 20),
    };
    this.refused = 0;
    this.blocked = 0;
    this.addresses.clear();
    return summary;
  }
}

/** Open event streams per user, capped. */
export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly perUser: number) {}

  /** Takes a slot for `userId` or throws 429; call the returned function when the stream ends. */
  acquire(userId: string): () => void {
    const held = this.open.get(userId) ?? 0;
    if (held >= this.perUser) {
      throw limited(
        `You have ${held} event streams open, the most one user may; close one (another tab?) and retry.`,
      );
    }
    this.open.set(userId, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.open.get(userId) ?? 1) - 1;
      if (now) this.open.set(userId, now);
      else this.open.delete(userId);
    };
  }
}
