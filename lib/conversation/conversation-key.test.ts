import { describe, expect, it } from 'vitest';
import { conversationIdFor, conversationWorkflowId } from './conversation-key.js';

const key = {
  platform: 'slack' as const,
  workspaceId: 'T01',
  channelId: 'C42',
  threadId: '1732530000.000100',
};

describe('conversation ids from a conversation key', () => {
  it('are stable, so a redelivered webhook names the same conversation and workflow', () => {
    expect(conversationIdFor({ ...key })).toBe(conversationIdFor(key));
    expect(conversationWorkflowId({ ...key })).toBe('conversation/slack/T01/C42/1732530000.000100');
  });

  it('differ for any different part of the key, including ambiguous joins', () => {
    const ids = new Set([
      conversationIdFor(key),
      conversationIdFor({ ...key, threadId: '1732530000.000101' }),
      conversationIdFor({ ...key, platform: 'discord' }),
      conversationIdFor({ ...key, channelId: 'C4', threadId: '21732530000.000100' }),
    ]);
    expect(ids.size).toBe(4);
    expect(conversationWorkflowId({ ...key, channelId: 'a/b' })).not.toBe(
      conversationWorkflowId({ ...key, channelId: 'a', threadId: `b/${key.threadId}` }),
    );
  });

  it('are valid UUIDs for the database', () => {
    expect(conversationIdFor(key)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
