import type { App } from '@slack/bolt';
import type { Client } from '@temporalio/client';
import { AgentControlError, cancelTurn, decideApproval } from '../agent-control.js';
import { conversationIdFor } from '../../lib/conversation/index.js';
import type { ChatEvent } from '../../lib/conversation/index.js';
import type { Db } from '../../lib/db/index.js';
import { ensureChatIdentity } from '../../lib/identity/index.js';
import type { Logger } from '../../lib/logging.js';
import { APPROVE_ACTION, DENY_ACTION, loadApprovalView, showApprovalIn } from './approvals.js';
import type { PendingEvents, PendingOptions } from './pending.js';
import { ensureThread } from './thread.js';
import type { SlackContext } from './thread.js';
import { messageEvent, parseSubcommand, slashCommandEvent, slashRootText } from './translate.js';
import type { SlackMessageEvent, SlashCommand } from './translate.js';

export const SLASH_COMMAND = '/dynamiq';
export const OPEN_PORTAL_ACTION = 'dynamiq_open_portal';

/** Work that calls Slack (or waits on Temporal) runs after the ack, never inside the handler. */
export type Later = (task: () => Promise<unknown>) => void;

export interface ListenerDeps {
  ctx: SlackContext;
  db: Db;
  temporal: Client;
  taskQueue: string;
  pending: PendingEvents;
  log: Logger;
  /** A signed, single-use portal sign-in link for a Dynamiq user (tied to the chat identity). */
  signInLink(subject: { userId: string; identityId: string }): Promise<string>;
}

const HELP = [
  '*Dynamiq* runs your platform chores from Slack.',
  '• `/dynamiq <question>`: ask anything; the answer comes in a thread',
  '• `/dynamiq connect <integration>`: connect GitHub, AWS, … in the portal',
  '• `/dynamiq integrations`: what you have connected',
  '• `/dynamiq cancel`: stop your running request in this channel',
  '• `/dynamiq budget`: what you have spent today',
  'Mention me in a channel or write to me directly, too.',
].join('\n');

const PROMPTS = [
  { title: 'Open pull requests', message: 'Which pull requests are waiting for review?' },
  { title: 'Crash-looping pods', message: 'Which pods are crash-looping in production?' },
  {
    title: 'Yesterday\u2019s deploys',
    message: 'What was deployed yesterday, and did anything fail?',
  },
  { title: 'Cloud spend', message: 'What did we spend on AWS this week?' },
];

const ephemeral = (text: string, blocks?: object[]) => ({
  response_type: 'ephemeral' as const,
  text,
  ...(blocks ? { blocks } : {}),
});

/** Every Slack surface Dynamiq answers, registered on a Bolt app (HTTP or Socket Mode). */
export function registerListeners(app: App, deps: ListenerDeps): void {
  const { db, log } = deps;
  const later = (context: Record<string, unknown>): Later =>
    (context.later as Later | undefined) ??
    ((task) => void task().catch((err: unknown) => log.warn({ err }, 'Slack follow-up failed')));

  /**
   * Stores a chat event for delivery, which is all the ack waits for; its workflow gets it
   * (and the turn is followed live) right after the ack.
   */
  const deliver = async (event: ChatEvent, run: Later, opts: PendingOptions = {}) => {
    await deps.pending.add(event, opts);
    run(() => deps.pending.process(event.eventId));
  };

  const identity = (teamId: string, userId: string, displayName?: string) =>
    ensureChatIdentity(db, {
      platform: 'slack',
      workspaceId: teamId,
      platformUserId: userId,
      ...(displayName ? { displayName } : {}),
    });

  app.command(SLASH_COMMAND, async ({ command, ack, context, respond }) => {
    const cmd = command as unknown as SlashCommand;
    const sub = parseSubcommand(cmd.text ?? '');
    const run = later(context);
    switch (sub.name) {
      case 'help':
        return ack(ephemeral(HELP));
      case 'ask': {
        const event = slashCommandEvent(cmd, sub.text);
        await deliver(event, run, { rootText: slashRootText(cmd, sub.text) });
        return ack();
      }
      case 'integrations':
      case 'connect': {
        const who = await identity(cmd.team_id, cmd.user_id, cmd.user_name);
        const url = await deps.signInLink({ userId: who.userId, identityId: who.id });
        const what =
          sub.name === 'connect' && sub.integration
            ? `connect *${sub.integration}*`
            : 'see and manage your integrations';
        const text = `Open the Dynamiq portal to ${what}. The link is yours alone and works once, for 15 minutes.`;
        return ack(
          ephemeral(text, [
            { type: 'section', text: { type: 'mrkdwn', text } },
            {
              type: 'actions',
              elements: [
                {
                  type: 'button',
                  action_id: OPEN_PORTAL_ACTION,
                  url,
                  style: 'primary',
                  text: { type: 'plain_text', text: 'Open the portal' },
                },
              ],
            },
          ]),
        );
      }
      case 'cancel': {
        const who = await identity(cmd.team_id, cmd.user_id, cmd.user_name);
        const turn = await db.turn.findFirst({
          where: {
            channelKey: `slack:${cmd.team_id}:${cmd.channel_id}`,
            authorUserId: who.userId,
            status: { in: ['running', 'queued'] },
          },
          orderBy: { queuedAt: 'desc' },
          select: { conversationId: true },
        });
        if (!turn) return ack(ephemeral('Nothing of yours is running in this channel.'));
        await ack(ephemeral('Cancelling your request…'));
        run(async () => {
          const text = await cancelTurn(deps, {
            conversationId: turn.conversationId,
            requestedByUserId: who.userId,
          }).then(
            () => 'Cancelled.',
            (err: unknown) =>
              err instanceof AgentControlError ? err.message : Promise.reject(err),
          );
          await respond({ response_type: 'ephemeral', replace_original: true, text });
        });
        return;
      }
      case 'budget': {
        const who = await identity(cmd.team_id, cmd.user_id, cmd.user_name);
        return ack(
          ephemeral(await budgetText(db, who.userId, `slack:${cmd.team_id}:${cmd.channel_id}`)),
        );
      }
    }
  });

  app.command(new RegExp(`^(?!${SLASH_COMMAND}$)`), async ({ command, ack }) =>
    ack(ephemeral(`I do not know \`${command.command}\`. Try \`${SLASH_COMMAND} help\`.`)),
  );

  const onMessage = async (
    body: { team_id?: string },
    event: SlackMessageEvent,
    context: Record<string, unknown>,
  ) => {
    const teamId = (context.teamId as string | undefined) ?? body.team_id!;
    const run = later(context);
    let root: string | undefined;
    if (event.thread_ts && event.thread_ts !== event.ts) {
      const rootRow = await deps.ctx.posts.findRootByTs(teamId, event.channel, event.thread_ts);
      root = rootRow?.ref;
    }
    const chat = messageEvent(teamId, event, context.botUserId as string | undefined, () => root);
    if (!chat) return;
    const joinsThread = !root && event.thread_ts && event.thread_ts !== event.ts;
    if (joinsThread) {
      const known = await db.conversation.findUnique({
        where: { id: conversationIdFor(chat.conversation) },
        select: { id: true },
      });
      if (!known) {
        // Brought into an existing thread: read it for context first (after the ack).
        return deliver(chat, run, { readThread: true });
      }
    }
    await deliver(chat, run);
  };

  app.event('app_mention', async ({ event, body, context }) =>
    onMessage(body, event as unknown as SlackMessageEvent, context),
  );
  app.event('message', async ({ event, body, context }) => {
    const message = event as unknown as SlackMessageEvent;
    if (message.channel_type !== 'im') return;
    await onMessage(body, message, context);
  });

  // The agent's Messages tab (agent_view) and the older assistant side panel: suggested prompts.
  app.event('app_home_opened', async ({ event, context }) => {
    if ((event as { tab?: string }).tab !== 'messages') return;
    const teamId = context.teamId as string;
    later(context)(async () => {
      const auth = await deps.ctx.installations.auth(teamId);
      await deps.ctx.api.call(auth.botToken, teamId, 'assistant.threads.setSuggestedPrompts', {
        channel_id: (event as { channel: string }).channel,
        title: 'Ask Dynamiq',
        prompts: PROMPTS,
      });
    });
  });
  app.event('assistant_thread_started', async ({ event, context }) => {
    const thread = (event as { assistant_thread: { channel_id: string; thread_ts: string } })
      .assistant_thread;
    const teamId = context.teamId as string;
    later(context)(async () => {
      const auth = await deps.ctx.installations.auth(teamId);
      await deps.ctx.api.call(auth.botToken, teamId, 'assistant.threads.setSuggestedPrompts', {
        channel_id: thread.channel_id,
        thread_ts: thread.thread_ts,
        title: 'Ask Dynamiq',
        prompts: PROMPTS,
      });
    });
  });

  for (const [actionId, decision] of [
    [APPROVE_ACTION, 'approve'],
    [DENY_ACTION, 'deny'],
  ] as const) {
    app.action(actionId, async ({ ack, body, action, respond, context }) => {
      await ack();
      const approvalId = (action as { value?: string }).value ?? '';
      const user = (body as { user: { id: string; name?: string; username?: string } }).user;
      const teamId = context.teamId as string;
      later(context)(async () => {
        const who = await identity(teamId, user.id, user.username ?? user.name);
        try {
          await decideApproval(deps, { approvalId, decision, deciderUserId: who.userId });
        } catch (err) {
          if (!(err instanceof AgentControlError)) throw err;
          const why =
            err.status === 403 ? `You may not decide this one: ${err.message}` : err.message;
          await respond({ response_type: 'ephemeral', replace_original: false, text: why });
        }
        await refreshApproval(deps, teamId, approvalId);
      });
    });
  }
  app.action(OPEN_PORTAL_ACTION, async ({ ack }) => ack());
  app.action(
    new RegExp(`^(?!(${APPROVE_ACTION}|${DENY_ACTION}|${OPEN_PORTAL_ACTION})$)`),
    async ({ ack, respond, context }) => {
      await ack();
      later(context)(() =>
        respond({
          response_type: 'ephemeral',
          replace_original: false,
          text: 'That button is not one Dynamiq knows (an old message?).',
        }),
      );
    },
  );
}

/** Edits an approval's message to what the database says now (who decided, or still pending). */
async function refreshApproval(
  deps: ListenerDeps,
  teamId: string,
  approvalId: string,
): Promise<void> {
  const view = await loadApprovalView(deps.db, teamId, approvalId);
  if (!view) return;
  const approval = await deps.db.approval.findUnique({
    where: { id: approvalId },
    select: {
      conversation: {
        select: { id: true, platform: true, workspaceId: true, channelId: true, threadId: true },
      },
    },
  });
  const c = approval?.conversation;
  if (!c || c.platform !== 'slack') return;
  const key = {
    platform: 'slack' as const,
    workspaceId: c.workspaceId,
    channelId: c.channelId,
    threadId: c.threadId,
  };
  const place = await ensureThread(deps.ctx, c.id, key, () => ' ');
  await showApprovalIn(deps.ctx, deps.db, place, c.id, view);
}

async function budgetText(db: Db, userId: string, channelKey: string): Promise<string> {
  const since = new Date();
  since.setUTCHours(0, 0, 0, 0);
  const [spent, budgets] = await Promise.all([
    db.turn.aggregate({
      where: { authorUserId: userId, queuedAt: { gte: since } },
      _sum: { promptTokens: true, completionTokens: true, costUsd: true },
    }),
    db.budget.findMany({
      where: {
        OR: [
          { scope: 'user', subject: userId },
          { scope: 'channel', subject: channelKey },
        ],
      },
    }),
  ]);
  const tokens = (spent._sum.promptTokens ?? 0) + (spent._sum.completionTokens ?? 0);
  const lines = [
    `Today (UTC) you used ${tokens.toLocaleString('en')} tokens, about $${(spent._sum.costUsd ?? 0).toFixed(2)}.`,
  ];
  for (const b of budgets) {
    const limits = [
      b.tokensPerDay ? `${b.tokensPerDay.toLocaleString('en')} tokens` : null,
      b.costUsdPerDay ? `$${b.costUsdPerDay.toFixed(2)}` : null,
    ]
      .filter(Boolean)
      .join(' or ');
    if (limits)
      lines.push(`${b.scope === 'user' ? 'Your' : 'This channel’s'} daily limit: ${limits}.`);
  }
  if (budgets.length === 0) lines.push('No daily limit is set for you or this channel.');
  return lines.join('\n');
}
