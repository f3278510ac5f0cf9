import { describe, expect, it } from 'vitest';
import { activitySchema, conversationKeyOf, messageEvent, surfaceOf } from './translate.js';

const base = {
  type: 'message',
  id: '1780000000001',
  channelId: 'msteams',
  serviceUrl: 'https://smba.trafficmanager.net/amer/',
  from: { id: '29:u1', name: 'Ada', aadObjectId: 'aad-1' },
  recipient: { id: '28:bot', name: 'Dynamiq' },
  conversation: { id: 'a:personal-1', conversationType: 'personal', tenantId: 'tenant-1' },
  text: 'hello',
};
const parse = (a: unknown) => activitySchema.parse(a);

describe('Teams activities as chat events', () => {
  it('a personal message is one conversation per chat, by the author’s Entra object id', () => {
    const event = messageEvent(parse(base), new Date('2026-12-02T10:00:00Z'))!;
    expect(event).toEqual({
      eventId: 'teams:1780000000001',
      conversation: {
        platform: 'teams',
        workspaceId: 'tenant-1',
        channelId: 'a:personal-1',
        threadId: 'a:personal-1',
      },
      author: { platformUserId: 'aad-1', displayName: 'Ada' },
      text: 'hello',
      receivedAt: '2026-12-02T10:00:00.000Z',
    });
  });

  it('a channel mention: the mention is stripped and the reply chain is the thread', () => {
    const activity = parse({
      ...base,
      text: '<at>Dynamiq</at>&nbsp;list the pods <at>Dynamiq</at>',
      conversation: {
        id: '19:abc@thread.tacv2;messageid=1780000000001',
        conversationType: 'channel',
        tenantId: 'tenant-1',
      },
      entities: [
        { type: 'mention', text: '<at>Dynamiq</at>', mentioned: { id: '28:bot', name: 'Dynamiq' } },
        { type: 'mention', text: '<at>Grace</at>', mentioned: { id: '29:u2', name: 'Grace' } },
      ],
    });
    expect(surfaceOf(activity)).toBe('channel');
    const event = messageEvent(activity)!;
    expect(event.text).toBe('list the pods');
    expect(event.conversation).toMatchObject({
      channelId: '19:abc@thread.tacv2',
      threadId: '19:abc@thread.tacv2;messageid=1780000000001',
    });
  });

  it('ignores channel messages without a mention of the bot, the bot’s own, and empty ones', () => {
    const channel = {
      ...base,
      conversation: { id: '19:abc@thread.tacv2;messageid=1', conversationType: 'channel' },
    };
    expect(messageEvent(parse(channel))).toBeNull();
    expect(messageEvent(parse({ ...base, from: base.recipient }))).toBeNull();
    expect(messageEvent(parse({ ...base, text: '  ' }))).toBeNull();
    expect(messageEvent(parse({ ...base, type: 'conversationUpdate' }))).toBeNull();
  });

  it('hashes ids too long for a key, and falls back to channelData for the tenant', () => {
    const long = `a:${'x'.repeat(300)}`;
    const key = conversationKeyOf(
      parse({
        ...base,
        conversation: { id: long },
        channelData: { tenant: { id: 'tenant-2' } },
      }),
    );
    expect(key.workspaceId).toBe('tenant-2');
    expect(key.threadId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('refuses what is not a Teams activity', () => {
    expect(activitySchema.safeParse({ ...base, channelId: 'slack' }).success).toBe(false);
    expect(activitySchema.safeParse({ ...base, serviceUrl: 'ftp://x' }).success).toBe(false);
    expect(activitySchema.safeParse({ ...base, conversation: undefined }).success).toBe(false);
  });
});
