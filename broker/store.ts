import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { cloudCredentialContext, open, seal } from '../lib/crypto/index.js';
import type { Keyring } from '../lib/crypto/index.js';
import { Prisma } from '../lib/db/index.js';
import type { Db } from '../lib/db/index.js';
import type { CloudCredential } from '../lib/db/generated/client.js';
import { BrokerGrantError, BrokerInputError, BrokerLookupError } from './errors.js';
import { GcpServiceAccountGrants } from './grants.js';
import {
  awsConfigSchema,
  awsCredentialInput,
  gcpConfigSchema,
  gcpCredentialInput,
  serviceAccountKeySchema,
} from './schemas.js';
import type {
  AwsConfig,
  AwsCredentialInput,
  GcpConfig,
  GcpCredentialInput,
  ServiceAccountKey,
} from './schemas.js';
import type { CloudProviderName } from '../lib/sandbox-access/index.js';

/** What `GET /api/cloud/credentials` shows: settings, never the sealed part. */
export interface CloudCredentialView {
  id: string;
  provider: CloudProviderName;
  name: string;
  config: AwsConfig | GcpConfig;
  hasSecret: boolean;
  /** AWS only: the user's external id, which the role's trust policy must require. */
  externalId?: string;
  createdAt: string;
  updatedAt: string;
}

interface Loaded<C, S> {
  id: string;
  name: string;
  /** Changes when the row is replaced, so cached credentials of an old row are not reused. */
  version: string;
  config: C;
  secret: S;
}
/** `externalId` is the user's server-issued one, not the row's: a stored one is never used. */
export type LoadedAwsCredential = Loaded<AwsConfig, Record<string, never>> & {
  externalId: string;
};
export type LoadedGcpCredential = Loaded<GcpConfig, { key?: ServiceAccountKey }>;

function view(r: CloudCredential, awsExternalId: string | undefined): CloudCredentialView {
  return {
    id: r.id,
    provider: r.provider,
    name: r.name,
    config: (r.provider === 'aws' ? awsConfigSchema : gcpConfigSchema).parse(r.config),
    hasSecret: r.secret !== null,
    ...(r.provider === 'aws' && awsExternalId ? { externalId: awsExternalId } : {}),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** Users' cloud credentials: settings in the clear, secrets sealed with context `cloud:<id>`. */
export class CloudCredentialStore {
  /** Which GCP service accounts an administrator mapped to which user. */
  readonly gcpGrants: GcpServiceAccountGrants;

  constructor(
    private readonly db: Db,
    private readonly keyring: Keyring,
  ) {
    this.gcpGrants = new GcpServiceAccountGrants(db);
  }

  async list(userId: string): Promise<CloudCredentialView[]> {
    const rows = await this.db.cloudCredential.findMany({
      where: { userId },
      orderBy: [{ provider: 'asc' }, { name: 'asc' }],
    });
    const externalId = rows.some((r) => r.provider === 'aws')
      ? await this.awsExternalId(userId)
      : undefined;
    return rows.map((r) => view(r, externalId));
  }

  async userExists(userId: string): Promise<boolean> {
    return (
      (await this.db.user.findUnique({ where: { id: userId }, select: { id: true } })) !== null
    );
  }

  /**
   * The user's AWS external id: made on first use (32 random bytes, base64url) and never
   * changed, so a trust policy written for it keeps working. Two first uses at once both get
   * the row the first insert wrote.
   */
  async awsExternalId(userId: string): Promise<string> {
    const found = await this.db.awsExternalId.findUnique({ where: { userId } });
    if (found) return found.externalId;
    await this.db.awsExternalId.createMany({
      data: [{ userId, externalId: randomBytes(32).toString('base64url') }],
      skipDuplicates: true,
    });
    return (await this.db.awsExternalId.findUniqueOrThrow({ where: { userId } })).externalId;
  }

  async createAws(userId: string, input: AwsCredentialInput): Promise<CloudCredentialView> {
    const v = awsCredentialInput.parse(input);
    const config: AwsConfig = {
      roleArn: v.roleArn,
      region: v.region,
      sessionDurationSeconds: v.sessionDurationSeconds,
    };
    return this.create(userId, 'aws', v.name, config, undefined);
  }

  async createGcp(userId: string, input: GcpCredentialInput): Promise<CloudCredentialView> {
    const v = gcpCredentialInput.parse(input);
    const key = v.serviceAccountKey;
    // A key file proves the account is the user's; a bare email proves nothing.
    if (!key && !(await this.gcpGrants.has(userId, v.targetServiceAccount!))) {
      throw new BrokerGrantError(v.targetServiceAccount!);
    }
    const config: GcpConfig = {
      mode: key ? 'key' : 'impersonate',
      serviceAccount: key ? key.client_email : v.targetServiceAccount!,
      projectId: key?.project_id ?? null,
      scopes: v.scopes,
      lifetimeSeconds: v.lifetimeSeconds,
    };
    return this.create(userId, 'gcp', v.name, config, key ? { key } : undefined);
  }

  /** Deletes one of the user's credentials; false when there was none with that id. */
  async delete(userId: string, id: string): Promise<boolean> {
    const { count } = await this.db.cloudCredential.deleteMany({ where: { id, userId } });
    return count > 0;
  }

  /** The credential a broker request means, opened; throws `BrokerLookupError`. */
  async loadAws(userId: string, name: string | undefined): Promise<LoadedAwsCredential> {
    const row = await this.find(userId, 'aws', name);
    return {
      ...this.base(row),
      config: awsConfigSchema.parse(row.config),
      secret: {},
      externalId: await this.awsExternalId(userId),
    };
  }

  async loadGcp(userId: string, name: string | undefined): Promise<LoadedGcpCredential> {
    const row = await this.find(userId, 'gcp', name);
    const secret = row.secret
      ? z.object({ key: serviceAccountKeySchema }).parse(this.open(row.id, row.secret))
      : {};
    return { ...this.base(row), config: gcpConfigSchema.parse(row.config), secret };
  }

  private async create(
    userId: string,
    provider: CloudProviderName,
    name: string,
    config: AwsConfig | GcpConfig,
    secret: object | undefined,
  ): Promise<CloudCredentialView> {
    // The id is chosen here because the seal's context must name the row it belongs to.
    const id = randomUUID();
    const sealed =
      secret && seal(this.keyring, Buffer.from(JSON.stringify(secret)), cloudCredentialContext(id));
    try {
      const row = await this.db.cloudCredential.create({
        data: {
          id,
          userId,
          provider,
          name,
          config,
          secret: sealed ? new Uint8Array(sealed) : null,
          secretKeyId: sealed ? this.keyring.current.id : null,
        },
      });
      return view(row, provider === 'aws' ? await this.awsExternalId(userId) : undefined);
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        throw new BrokerInputError(
          'dynamiq.broker.duplicate',
          `You already have a ${provider} credential named "${name}"; delete it first.`,
        );
      }
      throw err;
    }
  }

  private async find(userId: string, provider: CloudProviderName, name: string | undefined) {
    const rows = await this.db.cloudCredential.findMany({
      where: { userId, provider, ...(name === undefined ? {} : { name }) },
      take: 2,
    });
    const only = rows.length === 1 ? rows[0] : undefined;
    if (only) return only;
    if (rows.length === 0) {
      throw new BrokerLookupError(
        'dynamiq.broker.not_found',
        name === undefined
          ? `No ${provider} credential is configured; add one in the portal.`
          : `No ${provider} credential named "${name}".`,
      );
    }
    throw new BrokerLookupError(
      'dynamiq.broker.ambiguous',
      `Several ${provider} credentials are configured; ask for one by name.`,
    );
  }

  private base(row: { id: string; name: string; updatedAt: Date }) {
    return { id: row.id, name: row.name, version: `${row.id}@${row.updatedAt.getTime()}` };
  }

  private open(id: string, secret: Uint8Array): unknown {
    return JSON.parse(open(this.keyring, secret, cloudCredentialContext(id)).toString('utf8'));
  }
}
