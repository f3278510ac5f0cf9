import { LogLevel, WebClient } from '@slack/web-api';
import type { WebAPICallResult } from '@slack/web-api';
import { DynamiqError } from '../../lib/errors/index.js';

/** Thrown when Slack answers `ok: false`; `slackError` is Slack's own code (`channel_not_found`). */
export class SlackApiError extends DynamiqError {
  override name = 'SlackApiError';
  constructor(
    readonly method: string,
    readonly slackError: string,
    retryable: boolean,
  ) {
    super(`dynamiq.slack.${slackError}`, `Slack refused ${method}: ${slackError}.`, {
      status: 502,
      retryable,
    });
  }
}

/**
 * Slack's rate-limit tiers, per workspace and method (https://docs.slack.dev/apis/web-api/rate-limits):
 * a burst, then a steady rate. chat.postMessage is limited per channel instead (about one a
 * second, short bursts allowed).
 */
const TIERS = {
  // "20+ per minute": Slack tolerates bursts above the nominal rate.
  t2: { burst: 40, perMinute: 40 },
  t3: { burst: 50, perMinute: 50 },
  t4: { burst: 100, perMinute: 100 },
  post: { burst: 5, perMinute: 60 },
} as const;
const METHOD_TIER: Record<string, keyof typeof TIERS> = {
  'chat.postMessage': 'post',
  'chat.update': 't3',
  'chat.postEphemeral': 't4',
  'chat.startStream': 't2',
  'chat.appendStream': 't4',
  'chat.stopStream': 't2',
  'conversations.replies': 't3',
  'files.getUploadURLExternal': 't4',
  'files.completeUploadExternal': 't4',
  'assistant.threads.setSuggestedPrompts': 't4',
};

/** Slack's errors that the same call may get past later; everything else is final. */
const RETRYABLE = new Set([
  'ratelimited',
  'service_unavailable',
  'internal_error',
  'fatal_error',
  'request_timeout',
]);

interface Bucket {
  tokens: number;
  at: number;
}

export interface SlackApiOptions {
  /** The Web API base (SLACK_API_URL), ending with a slash. */
  apiUrl: string;
  /** Retries of one call after a network error or a 5xx; a 429 waits Retry-After on top. Default 2. */
  retries?: number;
}

/**
 * The one way Dynamiq calls Slack's Web API: a @slack/web-api WebClient per bot token (it
 * honours 429 Retry-After, pausing that token's queue), preceded by a token bucket per
 * workspace and method tier so bursts stay inside Slack's published limits.
 */
export class SlackApi {
  private readonly clients = new Map<string, WebClient>();
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly opts: SlackApiOptions) {}

  get apiUrl(): string {
    return this.opts.apiUrl;
  }

  /** The WebClient for a token (for helpers such as chatStream() and filesUploadV2()). */
  client(token: string): WebClient {
    let client = this.clients.get(token);
    if (!client) {
      client = new WebClient(token, {
        slackApiUrl: this.opts.apiUrl,
        logLevel: LogLevel.ERROR,
        retryConfig: {
          retries: this.opts.retries ?? 2,
          factor: 2,
          minTimeout: 200,
          maxTimeout: 2_000,
        },
        timeout: 15_000,
      });
      this.clients.set(token, client);
    }
    return client;
  }

  /** Calls a Web API method for a workspace; Slack's `ok: false` becomes a SlackApiError. */
  async call<T extends object = WebAPICallResult>(
    token: string,
    teamId: string,
    method: string,
    args: Record<string, unknown>,
  ): Promise<WebAPICallResult & T> {
    await this.take(method, teamId, typeof args.channel === 'string' ? args.channel : '');
    try {
      return (await this.client(token).apiCall(method, args)) as WebAPICallResult & T;
    } catch (err) {
      throw asSlackApiError(method, err);
    }
  }

  /** Whether a call would go out now, without waiting (callers pick a cheaper path if not). */
  hasRoom(method: string, teamId: string, channel = ''): boolean {
    const tier = METHOD_TIER[method];
    if (!tier) return true;
    const { perMinute } = TIERS[tier];
    const bucket = this.buckets.get(this.bucketKey(tier, method, teamId, channel));
    if (!bucket) return true;
    return bucket.tokens + ((Date.now() - bucket.at) * perMinute) / 60_000 >= 1;
  }

  private bucketKey(tier: keyof typeof TIERS, method: string, teamId: string, channel: string) {
    return tier === 'post' ? `${teamId}:${channel}:post` : `${teamId}:${method}`;
  }

  /** Waits until the method's bucket for this workspace (or channel) has room. */
  async take(method: string, teamId: string, channel: string): Promise<void> {
    const tier = METHOD_TIER[method];
    if (!tier) return;
    const { burst, perMinute } = TIERS[tier];
    const key = this.bucketKey(tier, method, teamId, channel);
    const perMs = perMinute / 60_000;
    for (;;) {
      const now = Date.now();
      const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
      this.buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil((1 - bucket.tokens) / perMs)));
    }
  }
}

/** Slack's platform error code of a failed call, if it was one. */
export function slackErrorCode(err: unknown): string | undefined {
  if (err instanceof SlackApiError) return err.slackError;
  const data = (err as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

function asSlackApiError(method: string, err: unknown): unknown {
  const code = slackErrorCode(err);
  if (code) return new SlackApiError(method, code, RETRYABLE.has(code));
  return err;
}
