import type { Keyring } from '../lib/crypto/index.js';
import type { Db } from '../lib/db/index.js';
import { INTEGRATION_OPERATIONS } from '../lib/sandbox-access/index.js';
import type { SandboxTokenClaims } from '../lib/sandbox-access/index.js';
import { AuditLog } from './audit.js';
import type { AuditRecord } from './audit.js';
import { AwsIssuer } from './aws.js';
import type { AwsIssuerOptions, CredentialProcessOutput } from './aws.js';
import { BrokerDisabledError, BrokerError, BrokerGrantError } from './errors.js';
import { GcpIssuer } from './gcp.js';
import { authorizeIntegration, cliCredentialsOf, openConnection } from './integrations.js';
import type { IntegrationCredentialSource, SandboxCliCredentials } from './integrations.js';
import type { UsableCredentials } from '../integrations/connections/index.js';
import type { GcpAccessToken, GcpIssuerOptions } from './gcp.js';
import { FetchCache } from '../lib/cache/index.js';
import type { Fetched } from '../lib/cache/index.js';
import { CloudCredentialStore } from './store.js';
import type { LoadedAwsCredential, LoadedGcpCredential } from './store.js';
import type { AwsCredentialInput, GcpCredentialInput } from './schemas.js';
import { authorizeCloud, verifyBrokerToken } from './tokens.js';

export interface CredentialBrokerOptions {
  db: Db;
  /** Opens the sealed parts of stored credentials. */
  keyring: Keyring;
  /** JWT_SECRET, which signs sandbox tokens. Without it every sandbox request is refused (503). */
  jwtSecret: string | undefined;
  aws?: AwsIssuer | AwsIssuerOptions;
  gcp?: GcpIssuer | GcpIssuerOptions;
  /** The users' integration connections, for CLI credentials and the API proxy. */
  connections?: IntegrationCredentialSource;
  /**
   * How long a looked-up stored credential is reused without reading the database, in ms.
   * Default 30 s. A deletion is seen at once by this process and within this time by others
   * (credentials already issued from it live on until they expire, as STS's always do).
   */
  lookupTtlMs?: number;
  /** Told when a batch of audit events could not be written (it is retried with the next). */
  onAuditError?: (err: unknown) => void;
}

const DEFAULT_LOOKUP_TTL_MS = 30_000;

/** A sandbox's request: its Authorization header and the optional credential name. */
export interface BrokerRequest {
  authorization: string | undefined;
  name?: string;
}

/** A sandbox's request about one of the user's integrations. */
export interface IntegrationRequest {
  authorization: string | undefined;
  integration: string;
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
  private readonly connections: IntegrationCredentialSource | undefined;
  // Stored credentials, opened, by user and requested name: warm requests skip the database.
  private readonly awsLookups: FetchCache<LoadedAwsCredential>;
  private readonly gcpLookups: FetchCache<LoadedGcpCredential>;

  constructor(opts: CredentialBrokerOptions) {
    this.store = new CloudCredentialStore(opts.db, opts.keyring);
    this.audit = new AuditLog(opts.db, opts.onAuditError);
    this.aws = opts.aws instanceof AwsIssuer ? opts.aws : new AwsIssuer(opts.aws);
    this.gcp = opts.gcp instanceof GcpIssuer ? opts.gcp : new GcpIssuer(opts.gcp);
    this.jwtSecret = opts.jwtSecret;
    this.connections = opts.connections;
    const lookups = { ttlMs: opts.lookupTtlMs ?? DEFAULT_LOOKUP_TTL_MS };
    this.awsLookups = new FetchCache(lookups);
    this.gcpLookups = new FetchCache(lookups);
  }

  /** Stores an AWS role for the user; their next sandbox request sees it. */
  async createAws(userId: string, input: AwsCredentialInput) {
    const view = await this.store.createAws(userId, input);
    this.forgetLookups(userId);
    return view;
  }

  /** Stores a GCP service account (key or impersonation) for the user. */
  async createGcp(userId: string, input: GcpCredentialInput) {
    const view = await this.store.createGcp(userId, input);
    this.forgetLookups(userId);
    return view;
  }

  /**
   * What the user puts in their roles' trust policies: their external id (made on first use,
   * never changed), the platform principal that assumes the roles, when STS can say, and the
   * session tag every AssumeRole carries (for an `aws:RequestTag/dynamiq:user` condition).
   */
  async awsTrust(userId: string): Promise<{
    externalId: string;
    principal: string | null;
    sessionTags: { 'dynamiq:user': string };
  }> {
    const [externalId, principal] = await Promise.all([
      this.store.awsExternalId(userId),
      this.aws.platformPrincipal(),
    ]);
    return { externalId, principal, sessionTags: { 'dynamiq:user': userId } };
  }

  /** Allows the user to impersonate the service account (an administrator's decision). */
  async mapGcpServiceAccount(userId: string, serviceAccount: string, adminId: string) {
    return this.store.gcpGrants.add(userId, serviceAccount, adminId);
  }

  /**
   * Withdraws a mapping: registrations of the account stay but issue nothing more, here at
   * once (cached tokens are dropped) and in other processes from their next request.
   */
  async unmapGcpServiceAccount(userId: string, serviceAccount: string): Promise<boolean> {
    const removed = await this.store.gcpGrants.remove(userId, serviceAccount);
    this.forgetLookups(userId);
    this.gcp.forgetUser(userId);
    return removed;
  }

  /** STS credentials in the `credential_process` format. */
  async awsCredentials(req: BrokerRequest): Promise<CredentialProcessOutput> {
    return this.handle('aws', req, async (claims) => {
      const { name } = authorizeCloud(claims, 'aws', req.name);
      const cred = await this.awsLookups.get(`${claims.userId}/${name ?? ''}`, () =>
        this.store.loadAws(claims.userId, name),
      );
      const r = await this.aws.issue(claims, cred);
      return {
        source: r.source,
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
    return this.handle('gcp', req, async (claims) => {
      const { name } = authorizeCloud(claims, 'gcp', req.name);
      const cred = await this.gcpLookups.get(`${claims.userId}/${name ?? ''}`, () =>
        this.store.loadGcp(claims.userId, name),
      );
      // Checked at every request, never cached: a mapping removed stops the next issue.
      if (
        cred.config.mode === 'impersonate' &&
        !(await this.store.gcpGrants.has(claims.userId, cred.config.serviceAccount))
      ) {
        throw new BrokerGrantError(cred.config.serviceAccount);
      }
      const r = await this.gcp.issue(claims, cred);
      return {
        source: r.source,
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

  /**
   * The variables (and files) one run of an integration's CLI needs, for the sandbox helper
   * `integration-exec`: an OAuth access token refreshed as needed, or a long-lived key the user
   * consented to.
   */
  async cliCredentials(req: IntegrationRequest): Promise<SandboxCliCredentials> {
    return this.handle(req.integration, req, async (claims) => {
      authorizeIntegration(claims, req.integration, INTEGRATION_OPERATIONS.credentials);
      const usable = await openConnection(this.requireConnections(), claims, req.integration);
      const value = cliCredentialsOf(usable);
      return {
        source: 'fetched',
        value,
        detail: {
          use: 'cli',
          variables: Object.keys(value.env).concat(Object.keys(value.files)).join(','),
          expiresAt: value.expiresAt,
          longLived: usable.longLived,
        },
      };
    });
  }

  /**
   * The credentials the API proxy adds to one upstream request; they never leave the server.
   * `detail` (method, path) is recorded with the audit event.
   */
  async proxyCredentials(
    req: IntegrationRequest & { method: string; path: string },
  ): Promise<UsableCredentials> {
    return this.handle(req.integration, req, async (claims) => {
      authorizeIntegration(claims, req.integration, INTEGRATION_OPERATIONS.proxy);
      const value = await openConnection(this.requireConnections(), claims, req.integration);
      return {
        source: 'fetched',
        value,
        detail: { use: 'proxy', method: req.method, path: req.path },
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
    this.forgetLookups(userId);
    this.aws.forget(userId, id);
    this.gcp.forget(userId, id);
    return deleted;
  }

  private forgetLookups(userId: string): void {
    this.awsLookups.deletePrefix(`${userId}/`);
    this.gcpLookups.deletePrefix(`${userId}/`);
  }

  private requireConnections(): IntegrationCredentialSource {
    if (!this.connections) {
      throw new BrokerDisabledError('The credential broker has no integration connections.');
    }
    return this.connections;
  }

  /** Verifies the token, runs `issue`, and audits the outcome under `target`. */
  private async handle<T>(
    target: string,
    req: BrokerRequest,
    issue: (claims: SandboxTokenClaims) => Promise<{
      source: Fetched<unknown>['source'];
      value: T;
      detail: AuditRecord['detail'];
    }>,
  ): Promise<T> {
    let claims: SandboxTokenClaims | undefined;
    try {
      if (!this.jwtSecret) {
        throw new BrokerDisabledError('The credential broker is off: set JWT_SECRET.');
      }
      claims = await verifyBrokerToken(req.authorization, this.jwtSecret);
      const { source, value, detail } = await issue(claims);
      this.audit.recordSoon({
        action: source === 'refreshed' ? 'credential.refreshed' : 'credential.issued',
        target,
        outcome: 'ok',
        claims,
        detail: { ...detail, cached: source === 'cache' },
      });
      return value;
    } catch (err) {
      const known = err instanceof BrokerError;
      const refused = known && err.status < 500;
      if (refused && !claims) {
        // Names no one and cost its sender nothing: counted, never a write of its own.
        this.audit.countUnauthenticated(target, err.reason);
        throw err;
      }
      await this.audit.record({
        action: refused ? 'credential.refused' : 'credential.failed',
        target,
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
