/**
 * `dynamiq rotate-keys`: re-seal every stored secret under the current master key, and say
 * whether Temporal still needs the previous keys.
 *
 * To rotate: set DYNAMIQ_MASTER_KEY to the new key and put the old one in
 * DYNAMIQ_PREVIOUS_MASTER_KEYS (on every process, so running servers read both), then run this.
 * The database is re-sealed at once; Temporal's histories cannot be rewritten, so a running
 * conversation whose history holds payloads sealed under an old key (its input, queued
 * messages) needs that key until it closes or continues as new. Remove an old key only once a
 * run of this command exits 0. Safe to run while the servers run, and to run again.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../../lib/config/index.js';
import { keyringOf } from '../../lib/crypto/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import { openDatabase } from '../../lib/db/index.js';
import { connectClient, runningKeyUsage, targetFromConfig } from '../../lib/temporal/index.js';
import type { RunKeyUsage } from '../../lib/temporal/index.js';
import { rotateSecrets } from '../../integrations/connections/index.js';
import { IDLE_CLOSE_AFTER } from '../../workflows/policies.js';

/** Exit status when the database is done but Temporal still needs an old key (try later). */
export const EXIT_KEYS_STILL_NEEDED = 75;
/** How many workflow ids are named before "and N more". */
const LISTED = 20;

export interface RotateKeysOptions {
  /** A connected client; by default one is opened to TEMPORAL_ADDRESS. */
  temporal?: Client;
}

/**
 * Exit status: 0 done (the previous keys can be removed), 1 some rows could not be opened
 * (listed), 75 the database is done but running workflows still need a previous key (or
 * Temporal could not be asked), 78 misconfigured.
 */
export async function rotateKeysCommand(
  config: Config,
  out: (line: string) => void = (line) => console.log(line),
  opts: RotateKeysOptions = {},
): Promise<number> {
  if (!config.masterKey) {
    // Rotating onto the generated embedded key would hide the new key in the data folder.
    out(
      'DYNAMIQ_MASTER_KEY must name the new key (openssl rand -base64 32), with the old one in ' +
        'DYNAMIQ_PREVIOUS_MASTER_KEYS (the embedded default key is in <DYNAMIQ_DATA_DIR>/master.key).',
    );
    return 78;
  }
  const keyring = keyringOf(config.masterKey, config.previousMasterKeys);
  if (keyring.byId.size === 1) {
    out('DYNAMIQ_PREVIOUS_MASTER_KEYS is empty: only secrets under unknown keys can be found.');
  }
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const result = await rotateSecrets(database.prisma, keyring);
    const { connections, oauthStates, cloudCredentials, oauthClients, slackInstallations } =
      result.resealed;
    out(
      `Re-sealed under key ${result.keyId}: ${connections} connection(s), ` +
        `${cloudCredentials} cloud credential(s), ${oauthStates} pending OAuth state(s), ` +
        `${oauthClients} registered OAuth client(s), ${slackInstallations} Slack installation(s).`,
    );
    for (const f of result.failed) out(`  could not open ${f.table} ${f.id}: ${f.reason}`);
    if (result.failed.length) {
      out(
        `${result.failed.length} secret(s) stay under a key that is not configured; add that key ` +
          'to DYNAMIQ_PREVIOUS_MASTER_KEYS and run again, or have the users reconnect.',
      );
      return 1;
    }
  } finally {
    await database.close();
  }
  const temporalClear = await reportTemporal(config, keyring, out, opts.temporal);
  if (!temporalClear) return EXIT_KEYS_STILL_NEEDED;
  out(
    'Every secret is under the current key and no running workflow needs another: the previous keys can be removed.',
  );
  return 0;
}

/** Prints what Temporal still holds under old keys; true when nothing does. */
async function reportTemporal(
  config: Config,
  keyring: Keyring,
  out: (line: string) => void,
  given: Client | undefined,
): Promise<boolean> {
  const keep = `Keep the previous keys in DYNAMIQ_PREVIOUS_MASTER_KEYS`;
  const address = config.temporal.address;
  if (!given && !address) {
    out(
      `Temporal is embedded (TEMPORAL_ADDRESS unset), so this command cannot read its histories. ${keep} ` +
        `until every conversation has been idle for ${IDLE_CLOSE_AFTER} (it then closes), or run this ` +
        'again with TEMPORAL_ADDRESS pointing at the server.',
    );
    return false;
  }
  let client = given;
  let runs: RunKeyUsage[];
  try {
    client ??= await connectClient(targetFromConfig(config, address!), undefined, {
      connectTimeoutMs: 10_000,
    });
    runs = await runningKeyUsage(client, {
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
    });
  } catch (err) {
    out(
      `Could not read Temporal's histories (${(err as Error).message}). ${keep} and run this again.`,
    );
    return false;
  } finally {
    if (!given) await client?.connection.close();
  }
  const needing = runs.filter((r) => [...r.keyIds.keys()].some((id) => id !== keyring.current.id));
  const unbound = runs.filter((r) => r.unbound > 0).length;
  if (unbound) {
    out(
      `${unbound} running workflow(s) hold payloads sealed before payloads were bound to their workflow; they open as before.`,
    );
  }
  if (!needing.length) return true;
  const oldKeys = new Set(needing.flatMap((r) => [...r.keyIds.keys()]));
  oldKeys.delete(keyring.current.id);
  const unknown = [...oldKeys].filter((id) => !keyring.byId.has(id));
  out(
    `${needing.length} running workflow(s) on task queue ${config.temporal.taskQueue} hold payloads ` +
      `sealed under key(s) ${[...oldKeys].join(', ')}: their next turn replays them.`,
  );
  for (const r of needing.slice(0, LISTED)) {
    const keys = [...r.keyIds.entries()].filter(([id]) => id !== keyring.current.id);
    out(`  ${r.workflowId} (${keys.map(([id, n]) => `${n} under ${id}`).join(', ')})`);
  }
  if (needing.length > LISTED) out(`  and ${needing.length - LISTED} more`);
  if (unknown.length) {
    out(
      `Key(s) ${unknown.join(', ')} are not configured: those workflows cannot replay until the key is back in DYNAMIQ_PREVIOUS_MASTER_KEYS.`,
    );
  }
  out(
    `${keep} until these have closed (a conversation closes after ${IDLE_CLOSE_AFTER} idle) or continued as new, then run this again.`,
  );
  return false;
}
