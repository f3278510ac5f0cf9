/**
 * Records the event history of a real two-turn conversation into
 * test/fixtures/conversation-history.json, which the replay test runs against the current
 * workflow code. Re-record only for an intended, versioned change of the workflow:
 *   npx tsx test/record-history.ts
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../lib/config/index.js';
import { createLogger } from '../lib/logging.js';
import { startDynamiq } from '../app/index.js';
import { startFakeOpenAI } from './fakes/openai.js';
import { FIXTURE_MASTER_KEY } from './fixtures/keys.js';
import { readSse } from './helpers/sse.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-record-'));
const llm = await startFakeOpenAI();
const token = 'record-history-token-0123456789';
const config = loadConfig({
  DYNAMIQ_DATA_DIR: dataDir,
  PORT: '0',
  LLM_BASE_URL: llm.baseUrl,
  DYNAMIQ_API_TOKEN: token,
  DYNAMIQ_MASTER_KEY: FIXTURE_MASTER_KEY,
  LOG_LEVEL: 'warn',
});
const app = await startDynamiq(config, new Set(['api', 'worker']), createLogger('warn'));
try {
  const call = (p: string, body: unknown) =>
    fetch(`${app.url}${p}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const { conversation } = (await (await call('/api/conversations', {})).json()) as {
    conversation: { id: string };
  };
  await readSse(
    await call(`/api/conversations/${conversation.id}/messages`, { text: 'first question' }),
  );
  await readSse(
    await call(`/api/conversations/${conversation.id}/messages`, { text: 'second question' }),
  );
  const row = await app.database.prisma.conversation.findUniqueOrThrow({
    where: { id: conversation.id },
  });
  const history = await app.temporal!.workflow.getHandle(row.workflowId).fetchHistory();
  const out = path.join(import.meta.dirname, 'fixtures/conversation-history.json');
  await fs.writeFile(out, `${historyToJSON(history)}\n`);
  console.log(`wrote ${out} (${history.events?.length} events)`);
} finally {
  await app.stop();
  await llm.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
