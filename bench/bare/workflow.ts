// The bare Temporal baseline of bench/turn.ts: a long-lived workflow per conversation whose
// `turn` update runs, in order, the same kinds of activity calls the product's turn recorded
// (local or regular), each doing nothing. No codec, database, HTTP, policy or events: what is
// left is Temporal's own cost of the turn's shape.
import {
  condition,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type * as activities from './activities.js';
import type { ActivityGroup } from './shape.js';

const remote = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export const turnUpdate = defineUpdate<number, [number]>('turn');

export async function bareConversation(shape: ActivityGroup[]): Promise<void> {
  let turns = 0;
  setHandler(turnUpdate, async (n) => {
    for (const group of shape)
      await Promise.all(group.map((kind) => (kind === 'local' ? local.noop() : remote.noop())));
    turns++;
    return n;
  });
  await condition(() => turns < 0); // runs until the bench terminates it
}
