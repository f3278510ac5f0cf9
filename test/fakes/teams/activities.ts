import { randomUUID } from 'node:crypto';
import type { FakeIssuer } from './issuer.js';

export const TENANT = '72f988bf-0000-4000-8000-000000000001';
export const BOT = { id: '28:bot-app-id', name: 'Dynamiq' };

export interface Person {
  id: string;
  name: string;
  aadObjectId: string;
}

export const person = (n: number, name: string): Person => ({
  id: `29:user-${n}`,
  name,
  aadObjectId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
});

let seq = 0;
const newId = () => `1780${String(Date.now()).slice(-6)}${String(++seq).padStart(4, '0')}`;

/** A message in a 1:1 chat with the bot, as Teams posts it to the messaging endpoint. */
export function personalMessage(
  serviceUrl: string,
  from: Person,
  text: string,
  opts: { conversationId?: string; id?: string; botId?: string } = {},
) {
  return {
    type: 'message',
    id: opts.id ?? newId(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from,
    recipient: { ...BOT, ...(opts.botId ? { id: opts.botId } : {}) },
    conversation: {
      conversationType: 'personal',
      tenantId: TENANT,
      id: opts.conversationId ?? `a:1${randomUUID().replace(/-/g, '')}`,
    },
    text,
    textFormat: 'plain',
    locale: 'en-US',
    channelData: { tenant: { id: TENANT } },
    entities: [{ type: 'clientInfo', locale: 'en-US', country: 'US', platform: 'Web' }],
  };
}

/**
 * An @mention of the bot in a channel: a new post starts a reply chain whose conversation id
 * carries `;messageid=<the post's id>`; a reply in a chain carries its root's id.
 */
export function channelMention(
  serviceUrl: string,
  from: Person,
  text: string,
  opts: { channel?: string; rootId?: string; id?: string } = {},
) {
  const id = opts.id ?? newId();
  const channel = opts.channel ?? `19:${randomUUID().slice(0, 8)}@thread.tacv2`;
  const mention = `<at>${BOT.name}</at>`;
  return {
    type: 'message',
    id,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from,
    recipient: BOT,
    conversation: {
      conversationType: 'channel',
      isGroup: true,
      tenantId: TENANT,
      id: `${channel};messageid=${opts.rootId ?? id}`,
    },
    text: `${mention} ${text}`,
    textFormat: 'plain',
    entities: [{ type: 'mention', text: mention, mentioned: { id: BOT.id, name: BOT.name } }],
    channelData: {
      tenant: { id: TENANT },
      team: { id: '19:team@thread.tacv2' },
      channel: { id: channel },
      teamsChannelId: channel,
    },
  };
}

/** An Approve/Deny click on a card with Universal Actions: an `adaptiveCard/action` invoke. */
export function cardInvoke(
  serviceUrl: string,
  from: Person,
  conversationId: string,
  cardActivityId: string,
  data: unknown,
) {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: newId(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from,
    recipient: BOT,
    replyToId: cardActivityId,
    conversation: { conversationType: 'personal', tenantId: TENANT, id: conversationId },
    channelData: { tenant: { id: TENANT }, source: { name: 'message' } },
    value: {
      action: { type: 'Action.Execute', verb: 'dynamiq.approval', data },
      trigger: 'manual',
    },
  };
}

/** The same click from a client without Universal Actions (Action.Submit): a message with a value. */
export function cardSubmit(
  serviceUrl: string,
  from: Person,
  conversationId: string,
  cardActivityId: string,
  data: unknown,
) {
  return {
    type: 'message',
    id: newId(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from,
    recipient: BOT,
    replyToId: cardActivityId,
    conversation: { conversationType: 'personal', tenantId: TENANT, id: conversationId },
    channelData: { tenant: { id: TENANT } },
    value: data,
  };
}

/** Posts an activity to the bot's messaging endpoint with a Bot Framework JWT. */
export function teamsSender(appUrl: string, issuer: FakeIssuer) {
  return async (
    activity: { serviceUrl: string; [key: string]: unknown },
    opts: { authorization?: string | null; sign?: Partial<Parameters<FakeIssuer['sign']>[0]> } = {},
  ) => {
    const authorization =
      opts.authorization === null
        ? undefined
        : (opts.authorization ??
          (await issuer.sign({ serviceUrl: activity.serviceUrl, ...opts.sign })));
    const res = await fetch(`${appUrl}/teams/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        ...(authorization ? { authorization } : {}),
      },
      body: JSON.stringify(activity),
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) as unknown };
  };
}
