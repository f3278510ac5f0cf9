import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { STSClientConfig } from '@aws-sdk/client-sts';
import type { SandboxTokenClaims } from '../lib/sandbox-access/index.js';
import type { FetchCache, Fetched } from '../lib/cache/index.js';
import { credentialCache } from './cache.js';
import { BrokerUpstreamError } from './errors.js';
import type { LoadedAwsCredential } from './store.js';

/** The JSON the AWS CLI and SDKs expect from a `credential_process`. */
export interface CredentialProcessOutput {
  Version: 1;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  /** ISO 8601; the CLI calls the process again shortly before it. */
  Expiration: string;
}

export interface AwsIssuerOptions {
  /** A ready STS client; when given, `endpoint`, `region` and `credentials` are ignored. */
  sts?: STSClient;
  /** STS endpoint override (env AWS_STS_ENDPOINT). Default: AWS's regional endpoint. */
  endpoint?: string;
  /** Region of the STS endpoint (env AWS_STS_REGION). Default `us-east-1`. */
  region?: string;
  /**
   * The platform's own AWS identity that assumes users' roles. Default: the SDK's provider
   * chain (AWS_ACCESS_KEY_ID, a profile, ECS/EC2 roles, web identity).
   */
  credentials?: STSClientConfig['credentials'];
  /** Credentials are reissued when less than this is left, in milliseconds. Default 5 minutes. */
  refreshBeforeMs?: number;
  now?: () => number;
}

interface IssuedAws {
  output: CredentialProcessOutput;
  expiresAt: Date;
  durationSeconds: number;
}

/** STS never issues less than this, in seconds. */
const MIN_DURATION_SECONDS = 900;
const DEFAULT_REFRESH_BEFORE_MS = 5 * 60_000;

/** Trades a verified sandbox token for STS AssumeRole credentials of a user's role. */
export class AwsIssuer {
  private readonly sts: STSClient;
  private readonly cache: FetchCache<IssuedAws>;
  private readonly refreshBeforeMs: number;
  private readonly now: () => number;
  private principal: Promise<string | null> | undefined;

  constructor(opts: AwsIssuerOptions = {}) {
    this.sts =
      opts.sts ??
      new STSClient({
        region: opts.region ?? 'us-east-1',
        ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
        ...(opts.credentials ? { credentials: opts.credentials } : {}),
        maxAttempts: 2,
      });
    this.now = opts.now ?? Date.now;
    this.refreshBeforeMs = opts.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
    this.cache = credentialCache(this.refreshBeforeMs, this.now);
  }

  /**
   * Cached per (user, credential, conversation) until `refreshBeforeMs` before expiry: the
   * session name and tags name the conversation, so CloudTrail shows which one acted.
   */
  async issue(claims: SandboxTokenClaims, cred: LoadedAwsCredential): Promise<Fetched<IssuedAws>> {
    return this.cache.fetch(`${claims.userId}/${cred.version}/${claims.conversationId}`, () =>
      this.assume(claims, cred),
    );
  }

  /**
   * The platform's own AWS principal, for the `Principal` of users' trust policies: STS
   * GetCallerIdentity, with an assumed-role session turned into its role's ARN (its path, if
   * any, is not in the answer). Null when STS cannot say; a failure is not kept.
   */
  async platformPrincipal(): Promise<string | null> {
    this.principal ??= this.sts
      // Bounded: the route that shows it must answer even when STS is unreachable.
      .send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(5000) })
      .then(({ Arn }) => {
        const assumed = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(Arn ?? '');
        return assumed ? `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}` : (Arn ?? null);
      })
      .catch(() => {
        this.principal = undefined;
        return null;
      });
    return this.principal;
  }

  /** Drops cached credentials of a deleted credential. */
  forget(userId: string, credentialId: string): void {
    this.cache.deletePrefix(`${userId}/${credentialId}@`);
  }

  private async assume(claims: SandboxTokenClaims, cred: LoadedAwsCredential): Promise<IssuedAws> {
    const durationSeconds = this.durationFor(claims, cred.config.sessionDurationSeconds);
    let result;
    try {
      result = await this.sts.send(
        new AssumeRoleCommand({
          RoleArn: cred.config.roleArn,
          RoleSessionName: roleSessionName(claims.userId, claims.conversationId),
          // Always the user's own server-issued id: a trust policy requiring it admits only them.
          ExternalId: cred.externalId,
          DurationSeconds: durationSeconds,
          Tags: [
            { Key: 'dynamiq:user', Value: tagValue(claims.userId) },
            { Key: 'dynamiq:conversation', Value: tagValue(claims.conversationId) },
          ],
        }),
      );
    } catch (err) {
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode ?? 0;
      throw new BrokerUpstreamError(
        status >= 400 && status < 500
          ? 'dynamiq.broker.upstream_refused'
          : 'dynamiq.broker.upstream_failed',
        'aws',
        `STS AssumeRole of ${cred.config.roleArn} failed: ${e.name ?? 'Error'}: ${e.message ?? ''}`,
        { cause: err },
      );
    }
    const c = result.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new BrokerUpstreamError(
        'dynamiq.broker.upstream_failed',
        'aws',
        'STS AssumeRole answered without credentials.',
      );
    }
    return {
      output: {
        Version: 1,
        AccessKeyId: c.AccessKeyId,
        SecretAccessKey: c.SecretAccessKey,
        SessionToken: c.SessionToken,
        Expiration: c.Expiration.toISOString(),
      },
      expiresAt: c.Expiration,
      durationSeconds,
    };
  }

  /**
   * The shortest session that outlives the command's token by the refresh margin: a leaked
   * key is then useful for as little time as STS allows. Capped by the role's maximum.
   */
  private durationFor(claims: SandboxTokenClaims, maxSeconds: number): number {
    const needed = Math.ceil(
      (claims.expiresAt.getTime() - this.now() + this.refreshBeforeMs) / 1000,
    );
    return Math.min(Math.max(MIN_DURATION_SECONDS, needed), maxSeconds);
  }
}

const clean = (value: string) => value.replace(/[^\w+=,.@-]/g, '_').replaceAll('-', '');

/**
 * `dq.<user>.<conversation>` in STS's alphabet and under its 64-character limit, so CloudTrail
 * ties every call to a person and a conversation; both ids appear in full in the session tags.
 */
export function roleSessionName(userId: string, conversationId: string): string {
  return `dq.${clean(userId).slice(0, 28)}.${clean(conversationId).slice(0, 31)}`;
}

// Session tag values allow letters, digits, spaces and _.:/=+-@, at most 256 characters.
const tagValue = (value: string) =>
  value.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256);
