import { describe, expect, it } from 'vitest';
import { messageEvent } from './gateway.js';
import type { IncomingMessage } from './gateway.js';
import {
  commandEvent,
  interactionSchema,
  parseApprovalCustomId,
  approvalCustomId,
} from './interactions.js';
import type { CommandInteraction } from './interactions.js';

const BOT = '900';
const now = new Date('2026-12-02T12:00:00Z');
const message = (over: Partial<IncomingMessage>): IncomingMessage => ({
  id: '555',
  channelId: '100',
  guildId: '1',
  content: `<@${BOT}> list pods`,
  author: { id: '42', name: 'ada', bot: false },
  mentionsBot: true,
  thread: null,
  ...over,
});

describe('messageEvent', () => {
  it('a mention in a channel names the thread about to start from it', () => {
    expect(messageEvent(message({}), BOT, now)).toEqual({
      eventId: 'discord:message:555',
      conversation: { platform: 'discord', workspaceId: '1', channelId: '100', threadId: '555' },
      author: { platformUserId: '42', displayName: 'ada' },
      text: 'list pods',
      receivedAt: now.toISOString(),
    });
  });
  it('a mention in a thread belongs to the thread; a DM to the DM channel', () => {
    expect(
      messageEvent(message({ channelId: '555', thread: { id: '555', parentId: '100' } }), BOT)
        ?.conversation,
    ).toEqual({
      platform: 'discord',
      workspaceId: '1',
      channelId: '100',
      threadId: '555',
    });
    expect(
      messageEvent(
        message({ guildId: null, channelId: '77', mentionsBot: false, content: 'hi' }),
        BOT,
      )?.conversation,
    ).toEqual({
      platform: 'discord',
      workspaceId: '@me',
      channelId: '77',
      threadId: '77',
    });
  });
  it('ignores bots, itself, guild messages without a mention and empty mentions', () => {
    expect(messageEvent(message({ author: { id: '43', name: 'ci', bot: true } }), BOT)).toBeNull();
    expect(messageEvent(message({ author: { id: BOT, name: 'me', bot: false } }), BOT)).toBeNull();
    expect(messageEvent(message({ mentionsBot: false }), BOT)).toBeNull();
    expect(messageEvent(message({ content: `<@${BOT}>` }), BOT)).toBeNull();
  });
});

describe('interactions', () => {
  const command = (over: Record<string, unknown> = {}) =>
    interactionSchema.parse({
      id: '700',
      application_id: '800',
      type: 2,
      token: 'tok',
      guild_id: '1',
      channel_id: '100',
      channel: { id: '100', type: 0 },
      member: { user: { id: '42', username: 'ada', global_name: 'Ada L.' } },
      data: { name: 'dynamiq', options: [{ name: 'prompt', type: 3, value: ' is prod up? ' }] },
      ...over,
    }) as CommandInteraction;

  it('a slash command outside a thread is its own conversation, answered in the channel', () => {
    expect(commandEvent(command(), now)).toMatchObject({
      eventId: 'discord:interaction:700',
      conversation: { workspaceId: '1', channelId: '100', threadId: 'i700' },
      author: { platformUserId: '42', displayName: 'Ada L.' },
      text: 'is prod up?',
    });
  });
  it('a slash command in a thread joins the thread’s conversation', () => {
    const i = command({ channel_id: '555', channel: { id: '555', type: 11, parent_id: '100' } });
    expect(commandEvent(i)?.conversation).toEqual({
      platform: 'discord',
      workspaceId: '1',
      channelId: '100',
      threadId: '555',
    });
  });
  it('a command without a prompt makes no event', () => {
    expect(commandEvent(command({ data: { name: 'dynamiq' } }))).toBeNull();
  });
  it('refuses what is not an interaction', () => {
    expect(interactionSchema.safeParse({ type: 2, id: 'x' }).success).toBe(false);
    expect(interactionSchema.safeParse({ type: 9, id: '1', application_id: '2' }).success).toBe(
      false,
    );
  });
  it('approval buttons round-trip their custom id and refuse others', () => {
    const id = '0b0e8e1c-6a53-4f0e-9d1e-7d3c4b5a6f70';
    expect(parseApprovalCustomId(approvalCustomId('deny', id))).toEqual({
      decision: 'deny',
      approvalId: id,
    });
    expect(parseApprovalCustomId('dynamiq:drop:' + id)).toBeNull();
  });
});
