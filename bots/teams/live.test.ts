import { afterEach, describe, expect, it } from 'vitest';
import { MemoryEventBus } from '../../lib/events/index.js';
import type { ConversationEvent } from '../../lib/events/index.js';
import { createLogger } from '../../lib/logging.js';
import type { TeamsContext } from './answer.js';
import { LiveReplies } from './live.js';
import type { TeamsPostRow } from './store.js';

const CONVERSATION = '7e79295f-cb8e-460b-964c-0e08716fbe7d';
const TURN = 'teams:1780000000001';
const reference = {
  channelId: 'msteams',
  serviceUrl: 'http://127.0.0.1:1/teams/',
  conversation: { id: 'a:1' },
};

interface Sent {
  kind: 'send' | 'update';
  id: string;
  activity: { type: string; text?: string; entities?: Array<Record<string, unknown>> };
}

/** A stand-in for Teams and the database: records what the live turn sends. */
function fakeContext(answer: string) {
  const sent: Sent[] = [];
  let n = 0;
  const finished: Array<{ activityId: string; extraIds?: string[] }> = [];
  const ctx = {
    db: { message: { findUnique: async () => ({ content: answer }) } },
    connector: {
      async send(_ref: unknown, activity: Sent['activity']) {
        const id = `m${++n}`;
        sent.push({ kind: 'send', id, activity });
        return id;
      },
      async update(_ref: unknown, id: string, activity: Sent['activity']) {
        sent.push({ kind: 'update', id, activity });
      },
    },
    posts: {
      async acquire(key: {
        conversationId: string;
        kind: string;
        ref: string;
      }): Promise<TeamsPostRow> {
        return {
          id: 'row-1',
          ...key,
          activityId: null,
          extraIds: [],
          state: 'opening',
          streamSequence: 0,
          streamStartedAt: null,
          leaseUntil: null,
        };
      },
      async update() {},
      async release() {},
      async finish(_id: string, data: { activityId: string; extraIds?: string[] }) {
        finished.push(data);
      },
    },
    conversations: {},
  } as unknown as TeamsContext;
  return { ctx, sent, finished };
}

const info = (s: Sent) => s.activity.entities?.find((e) => e.type === 'streaminfo');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const base = { conversationId: CONVERSATION, turnId: TURN };

describe('live progress in Teams', () => {
  const bus = new MemoryEventBus();
  let live: LiveReplies;
  afterEach(async () => live?.close());
  const publish = (e: Record<string, unknown>) =>
    bus.publish({ ...base, ...e } as unknown as ConversationEvent);
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 100 && !check(); i++) await sleep(20);
    expect(check()).toBe(true);
  };

  it('personal chat: ends the stream before Teams’ cap, then posts the answer as a new message', async () => {
    const { ctx, sent, finished } = fakeContext('Hello world, the whole answer.');
    live = new LiveReplies({
      ctx,
      bus,
      log: createLogger('silent'),
      streamFlushMs: 30,
      streamMaxMs: 300,
    });
    const turn = live.prepare({
      ...base,
      surface: 'personal',
      reference,
      replyToId: '1780000000001',
    });
    turn.begin();
    await until(() => sent.length >= 1);
    await publish({ type: 'token', stepId: 'llm-1', attempt: 1, delta: 'Hello' });
    await until(() => sent.some((s) => info(s)?.streamType === 'streaming'));
    await until(() => sent.some((s) => info(s)?.streamType === 'final'));
    await publish({
      type: 'turn.completed',
      messageId: 'msg-1',
      isError: false,
      status: 'completed',
    });
    await until(() => finished.length === 1);
    expect(info(sent[0]!)).toMatchObject({ streamType: 'informative', streamSequence: 1 });
    const chunk = sent.find((s) => info(s)?.streamType === 'streaming')!;
    expect(chunk.activity).toMatchObject({ type: 'typing', text: 'Hello' });
    expect(info(chunk)).toMatchObject({ streamId: 'm1', streamSequence: 2 });
    const closed = sent.find((s) => info(s)?.streamType === 'final')!;
    expect(closed.activity).toMatchObject({ type: 'message', text: 'Hello' });
    const last = sent.at(-1)!;
    expect(last.activity).toMatchObject({
      type: 'message',
      text: 'Hello world, the whole answer.',
    });
    expect(info(last)).toBeUndefined();
    expect(finished[0]!.activityId).toBe(last.id);
  });

  it('personal chat: an approval request closes the stream (the card comes as its own message)', async () => {
    const { ctx, sent } = fakeContext('done');
    live = new LiveReplies({ ctx, bus, log: createLogger('silent'), streamFlushMs: 30 });
    live.prepare({ ...base, surface: 'personal', reference, replyToId: undefined }).begin();
    await until(() => sent.length >= 1);
    await publish({ type: 'approval', approvalId: 'a1', seq: 1, status: 'pending' });
    await until(() => sent.some((s) => info(s)?.streamType === 'final'));
  });

  it('channels: one message, edited at least every heartbeat while nothing happens, then the answer', async () => {
    const { ctx, sent, finished } = fakeContext('**All pods are running.**');
    live = new LiveReplies({
      ctx,
      bus,
      log: createLogger('silent'),
      editFlushMs: 30,
      heartbeatMs: 150,
    });
    live.prepare({ ...base, surface: 'channel', reference, replyToId: '1' }).begin();
    await until(() => sent.length >= 1);
    await publish({
      type: 'step',
      stepId: 'call-1',
      kind: 'tool',
      status: 'started',
      label: 'running `kubectl get pods`',
      attempt: 1,
      elapsedMs: 0,
    });
    await until(() =>
      sent.some((s) => s.kind === 'update' && /kubectl get pods/.test(s.activity.text!)),
    );
    await until(() =>
      sent.some((s) => s.kind === 'update' && /Still working/.test(s.activity.text!)),
    );
    await publish({
      type: 'turn.completed',
      messageId: 'msg-2',
      isError: false,
      status: 'completed',
    });
    await until(() => finished.length === 1);
    expect(sent[0]).toMatchObject({ kind: 'send', activity: { type: 'message' } });
    expect(sent.filter((s) => s.kind === 'send')).toHaveLength(1);
    expect(sent.every((s) => s.id === 'm1')).toBe(true);
    expect(sent.at(-1)!.activity.text).toBe('**All pods are running.**');
  });
});
