import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { cloudCredentialContext, open, seal } from '../lib/crypto/index.js';
import type { Keyring } from '../lib/crypto/index.js';
import { Prisma } from '../lib/db/index.js';
import type { Db } from '../lib/db/index.js';
import type { CloudCredential } from '../lib/db/generated/client.js';
import { BrokerInputError, BrokerLookupError } from './errors.js';
import {
  awsConfigSchema,
  awsCredentialInput,
  awsSecretSchema,
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
export type LoadedAwsCredential = Loaded<AwsConfig, { externalId?: string }>;
export type LoadedGcpCredential = Loaded<GcpConfig, { key?: ServiceAccountKey }>;

function view(r: CloudCredential): CloudCredentialView {
  return {
    id: r.id,
    provider: r.provider,
    name: r.name,
    config: (r.provider === 'aws' ? awsConfigSchema : gcpConfigSchema).parse(r.config),
    hasSecret: r.secret !== null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** Users' cloud credentials: settings in the clear, secrets sealed with context `cloud:<id>`. */
export class CloudCredentialStore {
  constructor(
    private readonly db: Db,
    private readonly keyring: Keyring,
  ) {}

  async list(userId: string): Promise<CloudCredentialView[]> {
    const rows = await this.db.cloudCredential.findMany({
      where: { userId },
      orderBy: [{ provider: 'asc' }, { name: 'asc' }],
    });
    return rows.map(view);
  }

  async createAws(userId: string, input: AwsCredentialInput): Promise<CloudCredentialView> {
    const v = awsCredentialInput.parse(input);
    const config: AwsConfig = {
      roleArn: v.roleArn,
      region: v.region,
      sessionDurationSeconds: v.sessionDurationSeconds,
    };
    const secret = v.externalId === undefined ? undefined : { externalId: v.externalId };
    return this.create(userId, 'aws', v.name, config, secret);
  }

  async createGcp(userId: string, input: GcpCredentialInput): Promise<CloudCredentialView> {
    const v = gcpCredentialInput.parse(input);
    const key = v.serviceAccountKey;
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
    const secret = row.secret ? awsSecretSchema.parse(this.open(row.id, row.secret)) : {};
    return { ...this.base(row), config: awsConfigSchema.parse(row.config), secret };
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
      return view(row);
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
