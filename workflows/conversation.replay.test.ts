import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { EncryptionCodec, keyringOf } from '../lib/crypto/index.js';
import { FIXTURE_MASTER_KEY } from '../test/fixtures/keys.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));

async function recordedHistory() {
  return historyFromJSON(
    JSON.parse(await fs.readFile(fixture('conversation-history.json'), 'utf8')),
  );
}

// The recorded payloads are encrypted, as every payload in production is.
const dataConverter = { payloadCodecs: [new EncryptionCodec(keyringOf(FIXTURE_MASTER_KEY))] };

/** A history recorded from a real two-turn conversation must replay under today's code. */
describe('conversation workflow replay', () => {
  it('replays the recorded history without a determinism error', async () => {
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { code: inject('workflowBundle') }, dataConverter },
        await recordedHistory(),
        'recorded',
      ),
    ).resolves.toBeUndefined();
  });

  it('fails for workflow code that orders its activities differently', async () => {
    const altered = await bundleWorkflowCode({
      workflowsPath: fixture('reordered-conversation-workflow.ts'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    const replay = Worker.runReplayHistory(
      { workflowBundle: altered, dataConverter },
      await recordedHistory(),
      'recorded',
    );
    await expect(replay).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
