import { describe, expect, it } from 'vitest';
import { approvalMessage } from './approvals.js';
import { contextMessage, messageEvent, parseSubcommand, slashCommandEvent } from './translate.js';

describe('Slack payloads to chat events', () => {
  it('reads subcommands, and sends anything else to the agent', () => {
    expect(parseSubcommand('')).toEqual({ name: 'help' });
    expect(parseSubcommand('help')).toEqual({ name: 'help' });
    expect(parseSubcommand('help me find the failing pod')).toEqual({
      name: 'ask',
      text: 'help me find the failing pod',
    });
    expect(parseSubcommand('connect GitHub')).toEqual({ name: 'connect', integration: 'github' });
    expect(parseSubcommand('cancel')).toEqual({ name: 'cancel' });
    expect(parseSubcommand('budget')).toEqual({ name: 'budget' });
    expect(parseSubcommand('integrations')).toEqual({ name: 'integrations' });
    expect(parseSubcommand('list open PRs')).toEqual({ name: 'ask', text: 'list open PRs' });
  });

  it('names one conversation per thread, and one event per message', () => {
    const mention = messageEvent(
      'T1',
      {
        type: 'app_mention',
        user: 'U1',
        text: '<@UBOT> hi',
        ts: '2.0',
        thread_ts: '1.0',
        channel: 'C1',
      },
      'UBOT',
    );
    expect(mention).toMatchObject({
      eventId: 'C1:2.0',
      text: 'hi',
      conversation: { platform: 'slack', workspaceId: 'T1', channelId: 'C1', threadId: '1.0' },
    });
    const top = messageEvent(
      'T1',
      { type: 'message', user: 'U1', text: 'hey', ts: '3.0', channel: 'D1' },
      'UBOT',
    );
    expect(top?.conversation.threadId).toBe('3.0');
    expect(
      messageEvent(
        'T1',
        { type: 'message', bot_id: 'B1', text: 'mine', ts: '4.0', channel: 'D1' },
        'UBOT',
      ),
    ).toBeNull();
    expect(
      messageEvent(
        'T1',
        { type: 'message', user: 'U1', subtype: 'message_changed', ts: '5.0', channel: 'D1' },
        'UBOT',
      ),
    ).toBeNull();
    const slash = slashCommandEvent(
      {
        team_id: 'T1',
        channel_id: 'C1',
        user_id: 'U1',
        command: '/dynamiq',
        text: 'x',
        trigger_id: 'tr1',
      },
      'x',
    );
    expect(slash).toMatchObject({ eventId: 'slash:tr1', conversation: { threadId: 'cmd:tr1' } });
  });

  it('recognises the bot’s own earlier replies in thread context', () => {
    expect(
      contextMessage(
        { type: 'message', bot_id: 'B1', user: 'UBOT', text: 'done', ts: '1.0', channel: 'C1' },
        'UBOT',
        'B1',
      ),
    ).toMatchObject({ fromBot: true, text: 'done' });
    expect(
      contextMessage(
        { type: 'message', user: 'U2', text: '<@UBOT> look', ts: '1.1', channel: 'C1' },
        'UBOT',
        'B1',
      ),
    ).toMatchObject({ fromBot: false, text: 'look', author: { platformUserId: 'U2' } });
  });

  it('renders an approval with exactly what runs and buttons, then who decided without them', () => {
    const view = {
      approvalId: 'a1',
      tool: 'run_command',
      summary: 'kubectl delete pod web-1',
      reason: 'It deletes.',
      status: 'pending' as const,
      requestedBy: '<@U1>',
      decidedBy: null,
      decisionReason: null,
    };
    const pending = approvalMessage(view);
    expect(JSON.stringify(pending.blocks)).toContain('kubectl delete pod web-1');
    const actions = pending.blocks.find((b) => (b as { type: string }).type === 'actions') as {
      elements: Array<{ action_id: string; value: string }>;
    };
    expect(actions.elements.map((e) => [e.action_id, e.value])).toEqual([
      ['dynamiq_approve', 'a1'],
      ['dynamiq_deny', 'a1'],
    ]);
    const decided = approvalMessage({ ...view, status: 'approved', decidedBy: '<@U2>' });
    expect(decided.blocks.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    expect(JSON.stringify(decided.blocks)).toContain('Approved by <@U2>');
  });
});
