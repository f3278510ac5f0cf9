/**
 * `dynamiq rotate-keys`: re-seal every stored secret under the current master key
 *
 * To rotate: set DYNAMIQ_MASTER_KEY to the new key and put the old one in
 * DYNAMIQ_PREVIOUS_MASTER_KEYS (on every process, so running servers read both), run this once,
 * then remove the old key. Safe to run while the servers run, and to run again.
 */
import type { Config } from '../../lib/config/index.js';
import { keyringOf } from '../../lib/crypto/index.js';
import { openDatabase } from '../../lib/db/index.js';
import { rotateSecrets } from '../../integrations/connections/index.js';

/** Exit status: 0 done, 1 some rows could not be opened (listed), 78 misconfigured. */
export async function rotateKeysCommand(
  config: Config,
  out: (line: string) => void = (line) => console.log(line),
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
    const { connections, oauthStates, cloudCredentials, oauthClients } = result.resealed;
    out(
      `Re-sealed under key ${result.keyId}: ${connections} connection(s), ` +
        `${cloudCredentials} cloud credential(s), ${oauthStates} pending OAuth state(s), ` +
        `${oauthClients} registered OAuth client(s).`,
    );
    for (const f of result.failed) out(`  could not open ${f.table} ${f.id}: ${f.reason}`);
    if (result.failed.length) {
      out(
        `${result.failed.length} secret(s) stay under a key that is not configured; add that key ` +
          'to DYNAMIQ_PREVIOUS_MASTER_KEYS and run again, or have the users reconnect.',
      );
      return 1;
    }
    out('Every secret is under the current key; the previous keys can be removed.');
    return 0;
  } finally {
    await database.close();
  }
}
