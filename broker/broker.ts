import type { Keyring } from '../lib/crypto/index.js';
import type { Db } from '../lib/db/index.js';
import type { SandboxTokenClaims } from '../lib/sandbox-token/index.js';
import { AuditLog } from './audit.js';
import type { AuditRecord } from './audit.js';
import { AwsIssuer } from './aws.js';
import type { AwsIssuerOptions, CredentialProcessOutput } from './aws.js';
import type { CacheResult } from './cache.js';
import { BrokerDisabledError, BrokerError } from './errors.js';
import { GcpIssuer } from './gcp.js';
import type { GcpAccessToken, GcpIssuerOptions } from './gcp.js';
import { CloudCredentialStore } from './store.js';
import { authorizeCloud, verifyBrokerToken } from './tokens.js';
import type { CloudProviderName } from './tokens.js';

export interface CredentialBrokerOptions {
  db: Db;
  /** Opens the sealed parts of stored credentials. */
  keyring: Keyring;
  /** JWT_SECRET, which signs sandbox tokens. Without it every sandbox request is refused (503). */
  jwtSecret: string | undefined;
  aws?: AwsIssuer | AwsIssuerOptions;
  gcp?: GcpIssuer | GcpIssuerOptions;
  /** Told when a batch of audit events could not be written (it is retried with the next). */
  onAuditError?: (err: unknown) => void;
}

/** A sandbox's request: its Authorization header and the optional credential name. */
export interface BrokerRequest {
  authorization: string | undefined;
  name?: string;
}

/**
 * The credential broker: verifies a sandbox token, checks its scopes, opens the user's stored
 * credential and trades it for a short-lived one. Every issue, refresh and refusal is audited.
 */
export class CredentialBroker {
  readonly store: CloudCredentialStore;
  readonly audit: AuditLog;
  readonly aws: AwsIssuer;
  readonly gcp: GcpIssuer;
  private readonly jwtSecret: string | undefined;

  constructor(opts: CredentialBrokerOptions) {
    this.store = new CloudCredentialStore(opts.db, opts.keyring);
    this.audit = new AuditLog(opts.db, opts.onAuditError);
    this.aws = opts.aws instanceof AwsIssuer ? opts.aws : new AwsIssuer(opts.aws);
    this.gcp = opts.gcp instanceof GcpIssuer ? opts.gcp : new GcpIssuer(opts.gcp);
    this.jwtSecret = opts.jwtSecret;
  }

  /** STS credentials in the `credential_process` format. */
  async awsCredentials(req: BrokerRequest): Promise<CredentialProcessOutput> {
    return this.handle('aws', req, async (claims, name) => {
      const cred = await this.store.loadAws(claims.userId, name);
      const r = await this.aws.issue(claims, cred);
      return {
        result: r,
        value: r.value.output,
        detail: {
          credential: cred.name,
          roleArn: cred.config.roleArn,
          durationSeconds: r.value.durationSeconds,
          expiresAt: r.value.output.Expiration,
        },
      };
    });
  }

  /** A Google access token for gcloud's access-token file. */
  async gcpAccessToken(req: BrokerRequest): Promise<GcpAccessToken> {
    return this.handle('gcp', req, async (claims, name) => {
      const cred = await this.store.loadGcp(claims.userId, name);
      const r = await this.gcp.issue(claims, cred);
      return {
        result: r,
        value: r.value.token,
        detail: {
          credential: cred.name,
          mode: cred.config.mode,
          serviceAccount: cred.config.serviceAccount,
          expiresAt: r.value.token.expiresAt,
        },
      };
    });
  }

  /** Writes queued audit events; call before closing the database. */
  async close(): Promise<void> {
    await this.audit.flush();
  }

  /** Deletes a stored credential and whatever this process cached for it. */
  async deleteCredential(userId: string, id: string): Promise<boolean> {
    const deleted = await this.store.delete(userId, id);
    this.aws.forget(userId, id);
    this.gcp.forget(userId, id);
    return deleted;
  }

  private async handle<T>(
    provider: CloudProviderName,
    req: BrokerRequest,
    issue: (
      claims: SandboxTokenClaims,
      name: string | undefined,
    ) => Promise<{ result: CacheResult<unknown>; value: T; detail: AuditRecord['detail'] }>,
  ): Promise<T> {
    let claims: SandboxTokenClaims | undefined;
    try {
      if (!this.jwtSecret) {
        throw new BrokerDisabledError('The credential broker is off: set JWT_SECRET.');
      }
      claims = await verifyBrokerToken(req.authorization, this.jwtSecret);
      const { name } = authorizeCloud(claims, provider, req.name);
      const { result, value, detail } = await issue(claims, name);
      this.audit.recordSoon({
        action: result.source === 'refreshed' ? 'credential.refreshed' : 'credential.issued',
        target: provider,
        outcome: 'ok',
        claims,
        detail: { ...detail, cached: result.source === 'cache' },
      });
      return value;
    } catch (err) {
      const known = err instanceof BrokerError;
      const refused = known && err.status < 500;
      await this.audit.record({
        action: refused ? 'credential.refused' : 'credential.failed',
        target: provider,
        outcome: refused ? 'refused' : 'error',
        claims,
        detail: {
          reason: known ? err.reason : 'internal',
          // Broker messages are written to carry no secret; anything else stays in the log.
          message: known ? err.message : 'unexpected error',
          ...(req.name ? { requested: req.name } : {}),
        },
      });
      throw err;
    }
  }
}
