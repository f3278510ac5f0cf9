import {
  DecryptError,
  cloudCredentialContext,
  connectionContext,
  keyIdOf,
  oauthClientContext,
  oauthStateContext,
  slackInstallationContext,
  open,
  seal,
} from '../../lib/crypto/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import type { Db } from '../../lib/db/index.js';
import { toBytes } from './secrets.js';

export interface RotationFailure {
  table:
    | 'Connection'
    | 'OAuthState'
    | 'CloudCredential'
    | 'OAuthClientRegistration'
    | 'SlackInstallation';
  /** Row id (OAuthState: the state hash; OAuthClientRegistration: `<integration>/<client id>`). */
  id: string;
  reason: string;
}

export interface RotationResult {
  /** The key id everything is sealed with afterwards. */
  keyId: string;
  resealed: {
    connections: number;
    oauthStates: number;
    cloudCredentials: number;
    /** OAuth clients Dynamiq registered at providers (their secrets and registration tokens). */
    oauthClients: number;
    /** Slack workspaces installed through "Add to Slack" (their bot tokens). */
    slackInstallations: number;
  };
  /** Rows that could not be opened (their key is not in the keyring); left untouched. */
  failed: RotationFailure[];
}

/** Rows read per query, so a large table never sits in memory at once. */
export const ROTATION_BATCH = 200;

/**
 * Re-seals every stored secret that is not under the keyring's current key: Connection,
 * CloudCredential and OAuthClientRegistration secrets and OAuth state verifiers. Idempotent (a
 * second run finds nothing to do) and safe next to a running server: each row is written only if
 * it still holds the ciphertext that was read, so a token refreshed (or a client registered)
 * meanwhile is never overwritten with an older one. Afterwards the old key can leave
 * DYNAMIQ_PREVIOUS_MASTER_KEYS.
 */
export async function rotateSecrets(
  db: Db,
  keyring: Keyring,
  opts: { batchSize?: number } = {},
): Promise<RotationResult> {
  const take = opts.batchSize ?? ROTATION_BATCH;
  const current = keyring.current.id;
  const failed: RotationFailure[] = [];

  const reseal = (
    table: RotationFailure['table'],
    id: string,
    envelope: Uint8Array,
    context: string,
  ): Uint8Array<ArrayBuffer> | null => {
    try {
      return toBytes(seal(keyring, open(keyring, envelope, context), context));
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
      failed.push({ table, id, reason: err.message });
      return null;
    }
  };

  /** Re-seals one table's rows, a page at a time, each only if it still holds what was read. */
  const resealTable = async (
    table: Exclude<RotationFailure['table'], 'OAuthState'>,
    page: (after: string) => Promise<Array<{ id: string; secret: Uint8Array<ArrayBuffer> | null }>>,
    context: (id: string) => string,
    save: (
      id: string,
      old: Uint8Array<ArrayBuffer>,
      secret: Uint8Array<ArrayBuffer>,
    ) => Promise<number>,
  ): Promise<number> => {
    let resealed = 0;
    for (let after = ''; ;) {
      const rows = await page(after);
      for (const row of rows) {
        const secret = reseal(table, row.id, row.secret!, context(row.id));
        if (secret) resealed += await save(row.id, row.secret!, secret);
      }
      if (rows.length < take) return resealed;
      after = rows.at(-1)!.id;
    }
  };
  const sealedNotCurrent = {
    secret: { not: null },
    OR: [{ secretKeyId: null }, { secretKeyId: { not: current } }],
  };
  const notCurrent = (after: string) => ({
    ...sealedNotCurrent,
    ...(after ? { id: { gt: after } } : {}),
  });
  const page = { select: { id: true, secret: true }, orderBy: { id: 'asc' as const }, take };

  const connections = await resealTable(
    'Connection',
    (after) => db.connection.findMany({ where: notCurrent(after), ...page }),
    connectionContext,
    async (id, old, secret) =>
      (
        await db.connection.updateMany({
          where: { id, secret: { equals: old } },
          data: { secret, secretKeyId: current },
        })
      ).count,
  );
  const cloudCredentials = await resealTable(
    'CloudCredential',
    (after) => db.cloudCredential.findMany({ where: notCurrent(after), ...page }),
    cloudCredentialContext,
    async (id, old, secret) =>
      (
        await db.cloudCredential.updateMany({
          where: { id, secret: { equals: old } },
          data: { secret, secretKeyId: current },
        })
      ).count,
  );

  // Keyed by integration and client id (`sentry/<client_id>`, integration ids have no slash);
  // the secret is bound to the integration id.
  const registrationKey = (id: string) => {
    const at = id.indexOf('/');
    return { integrationId: id.slice(0, at), clientId: id.slice(at + 1) };
  };
  const oauthClients = await resealTable(
    'OAuthClientRegistration',
    async (after) => {
      const from = after ? registrationKey(after) : undefined;
      const rows = await db.oAuthClientRegistration.findMany({
        where: {
          ...sealedNotCurrent,
          ...(from
            ? {
                AND: {
                  OR: [
                    { integrationId: { gt: from.integrationId } },
                    { integrationId: from.integrationId, clientId: { gt: from.clientId } },
                  ],
                },
              }
            : {}),
        },
        select: { integrationId: true, clientId: true, secret: true },
        orderBy: [{ integrationId: 'asc' }, { clientId: 'asc' }],
        take,
      });
      return rows.map((r) => ({ id: `${r.integrationId}/${r.clientId}`, secret: r.secret }));
    },
    (id) => oauthClientContext(registrationKey(id).integrationId),
    async (id, old, secret) =>
      (
        await db.oAuthClientRegistration.updateMany({
          where: { ...registrationKey(id), secret: { equals: old } },
          data: { secret, secretKeyId: current },
        })
      ).count,
  );

  const slackInstallations = await resealTable(
    'SlackInstallation',
    (after) =>
      db.slackInstallation.findMany({
        where: { secretKeyId: { not: current }, ...(after ? { id: { gt: after } } : {}) },
        ...page,
      }),
    slackInstallationContext,
    async (id, old, secret) =>
      (
        await db.slackInstallation.updateMany({
          where: { id, secret: { equals: old } },
          data: { secret, secretKeyId: current },
        })
      ).count,
  );

  // OAuthState has no key-id column (its rows live minutes), so the envelope header decides.
  let oauthStates = 0;
  for (let after = ''; ;) {
    const rows = await db.oAuthState.findMany({
      where: after ? { stateHash: { gt: after } } : {},
      select: { stateHash: true, codeVerifier: true },
      orderBy: { stateHash: 'asc' },
      take,
    });
    for (const row of rows) {
      if (keyIdOf(row.codeVerifier) === current) continue;
      const context = oauthStateContext(row.stateHash);
      const codeVerifier = reseal('OAuthState', row.stateHash, row.codeVerifier, context);
      if (!codeVerifier) continue;
      const { count } = await db.oAuthState.updateMany({
        where: { stateHash: row.stateHash, codeVerifier: { equals: row.codeVerifier } },
        data: { codeVerifier },
      });
      oauthStates += count;
    }
    if (rows.length < take) break;
    after = rows.at(-1)!.stateHash;
  }

  return {
    keyId: current,
    resealed: { connections, oauthStates, cloudCredentials, oauthClients, slackInstallations },
    failed,
  };
}
