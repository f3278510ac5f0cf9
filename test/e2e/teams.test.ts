import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { ChatRequest, FakeOpenAI } from '../fakes/openai.js';
import {
  cardInvoke,
  cardSubmit,
  channelMention,
  person,
  personalMessage,
  teamsSender,
} from '../fakes/teams/activities.js';
import { startFakeConnector } from '../fakes/teams/connector.js';
import type { FakeConnector, FakeTeamsMessage } from '../fakes/teams/connector.js';
import { startFakeIssuer } from '../fakes/teams/issuer.js';
import type { FakeIssuer } from '../fakes/teams/issuer.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { eventually, toolResults } from './agent-harness.js';

const APP_ID = '9f1c3e2a-0000-4000-8000-00000000b07a';
const APP_PASSWORD = 'teams-client-secret-for-tests';
const ADA = person(1, 'Ada Lovelace');
const GRACE = person(2, 'Grace Hopper');

const lastUser = (req: ChatRequest) =>
  [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';

describe('Teams front end against a fake Bot Framework (issuer, token endpoint, connector)', () => {
  let issuer: FakeIssuer;
  let connector: FakeConnector;
  let llm: FakeOpenAI;
  let app: TestApp;
  let send: ReturnType<typeof teamsSender>;

  beforeAll(async () => {
    issuer = await startFakeIssuer({ appId: APP_ID, appPassword: APP_PASSWORD });
    connector = await startFakeConnector({ acceptToken: (a) => issuer.issuedToken(a) });
    llm = await startFakeOpenAI({
      chunkSize: 6,
      chunkDelayMs: 60,
      respond: (req) => {
        const text = lastUser(req);
        if (text.includes('append a line')) {
          return toolResults(req).length === 0
            ? {
                toolCalls: [
                  {
                    name: 'run_command',
                    arguments: { command: 'echo once >> /work/log.txt && cat /work/log.txt' },
                  },
                ],
              }
            : { text: `done: ${toolResults(req).join(' ').includes('once') ? 'ran' : 'not run'}` };
        }
        return { text: `You said: ${text}` };
      },
    });
    app = await startTestApp({
      LLM_BASE_URL: llm.baseUrl,
      MICROSOFT_APP_ID: APP_ID,
      MICROSOFT_APP_PASSWORD: APP_PASSWORD,
      MICROSOFT_OPENID_METADATA_URL: issuer.openIdMetadataUrl,
      MICROSOFT_EMULATOR_OPENID_METADATA_URL: issuer.emulatorOpenIdMetadataUrl,
      MICROSOFT_TOKEN_URL: issuer.tokenUrl,
      // Plain folders: a loop-mounted disk per sandbox needs a root worker and a reaped mount.
      SANDBOX_DISK_MB: '0',
    });
    // The sandbox user passes through the data folder to reach its sandbox.
    await fs.chmod(app.env.DYNAMIQ_DATA_DIR!, 0o711);
    send = teamsSender(app.url, issuer);
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
    await connector?.close();
    await issuer?.close();
  });

  const asked = (text: string) =>
    llm.requests.filter((r) => r.messages.some((m) => m.role === 'user' && m.content === text));

  // First: botbuilder caches the keys per metadata URL for a day once it has them.
  it('answers 401, never 500, while Microsoft’s keys cannot be fetched, and starts nothing', async () => {
    issuer.setAvailable(false);
    try {
      const activity = personalMessage(connector.serviceUrl, ADA, 'keys are down');
      const res = await send(activity);
      expect(res.status).toBe(401);
      expect(issuer.metadataFetches).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(connector.callsIn(activity.conversation.id)).toEqual([]);
      expect(asked('keys are down')).toHaveLength(0);
      // Said on /readyz, without taking the rest of Dynamiq out of service.
      const ready = await fetch(`${app.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', teams: 'keys_unreachable' });
    } finally {
      issuer.setAvailable(true);
    }
  });

  it('a personal-chat message: typing, an informative update, stream chunks with growing streamSequence, then the final message', async () => {
    const text = 'tell me about the cluster and the deploys of this week';
    const activity = personalMessage(connector.serviceUrl, ADA, text);
    const t0 = performance.now();
    const res = await send(activity);
    expect(res.status).toBe(200);
    const convo = activity.conversation.id;
    const typing = await connector.waitFor(() =>
      connector.callsIn(convo).find((c) => c.activity.type === 'typing' && !c.activity.entities),
    );
    expect(typing.at - t0).toBeLessThan(15_000);
    const stream = await connector.waitFor(() =>
      connector.messagesIn(convo).find((m) => m.stream?.final),
    );
    const answer = `You said: ${text}`;
    expect(stream.activity).toMatchObject({ type: 'message', text: answer });
    expect(stream.stream!.types[0]).toBe('informative');
    expect(stream.stream!.types).toContain('streaming');
    expect(stream.stream!.types.at(-1)).toBe('final');
    // The streaminfo entity arrives whole (botbuilder's serializer would drop its fields).
    expect(stream.versions[0]!.entities).toEqual([
      { type: 'streaminfo', streamType: 'informative', streamSequence: 1 },
    ]);
    expect(stream.activity.entities).toEqual([
      { type: 'streaminfo', streamType: 'final', streamId: stream.id },
    ]);
    const seqs = stream.stream!.sequences;
    expect(seqs[0]).toBe(1);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    // Each chunk is the whole text so far (the fake refuses one that is not).
    const chunks = stream.versions.filter((v) =>
      v.entities?.some((e) => e.streamType === 'streaming'),
    );
    expect(chunks.length).toBeGreaterThanOrEqual(1);
    for (const chunk of chunks) expect(answer.startsWith(chunk.text!)).toBe(true);
    expect(connector.callsIn(convo).every((c) => c.status < 300)).toBe(true);
    // Every call replied to the person's message, with the bot's own token.
    expect(connector.callsIn(convo).every((c) => c.activityId === activity.id)).toBe(true);
    expect(issuer.tokenRequests.every((r) => r.ok)).toBe(true);
    // The conversation reference is stored for the worker; the person is a Dynamiq user.
    const stored = await app.database.prisma.teamsConversation.findFirst({
      where: { teamsConversationId: convo },
    });
    expect(stored?.serviceUrl).toBe(connector.serviceUrl);
    const identity = await app.database.prisma.chatIdentity.findFirst({
      where: { platform: 'teams', platformUserId: ADA.aadObjectId },
    });
    expect(identity?.displayName).toBe('Ada Lovelace');
    expect(await (await fetch(`${app.url}/readyz`)).json()).toMatchObject({ teams: 'ok' });
  });

  it('a channel mention: the LLM gets the text without the mention, the answer comes in the reply chain', async () => {
    const activity = channelMention(connector.serviceUrl, GRACE, 'list the pods');
    expect((await send(activity)).status).toBe(200);
    const convo = activity.conversation.id;
    expect(convo).toContain(`;messageid=${activity.id}`);
    const answered = (m: FakeTeamsMessage) => m.activity.text === 'You said: list the pods';
    const message = await connector.waitFor(() => connector.messagesIn(convo).find(answered));
    expect(asked('list the pods')).toHaveLength(1);
    expect(JSON.stringify(llm.requests)).not.toContain('<at>');
    // One message, posted as a reply to the post, then edited in place (no stream in channels).
    expect(message.replyToId).toBe(activity.id);
    expect(message.stream).toBeUndefined();
    expect(connector.messagesIn(convo)).toHaveLength(1);
    expect(message.versions[0]!.text).toContain('Working on it');

    // A reply in the same chain continues the same conversation.
    const followUp = channelMention(connector.serviceUrl, GRACE, 'and the services', {
      channel: activity.channelData.channel.id,
      rootId: activity.id,
    });
    expect(followUp.conversation.id).toBe(convo);
    expect((await send(followUp)).status).toBe(200);
    await connector.waitFor(() =>
      connector.messagesIn(convo).find((m) => m.activity.text === 'You said: and the services'),
    );
    const turns = await app.database.prisma.turn.findMany({
      where: { conversation: { threadId: convo } },
    });
    expect(turns).toHaveLength(2);
  });

  it('when Teams refuses the stream, the worker posts the answer from the stored reference', async () => {
    connector.setTypingRefused(true);
    try {
      const activity = personalMessage(connector.serviceUrl, ADA, 'no streaming here');
      expect((await send(activity)).status).toBe(200);
      const convo = activity.conversation.id;
      const answer = await connector.waitFor(() =>
        connector.messagesIn(convo).find((m) => m.activity.text === 'You said: no streaming here'),
      );
      expect(answer.stream).toBeUndefined();
      expect(answer.replyToId).toBe(activity.id);
      expect(connector.callsIn(convo).filter((c) => c.status === 403).length).toBeGreaterThan(0);
      // Recorded once posted, so a retried activity would not post it again.
      const post = await eventually(
        () =>
          app.database.prisma.teamsPost.findFirst({
            where: { ref: `teams:${activity.id}`, state: 'final' },
          }),
        'the answer recorded as final',
      );
      expect(post?.activityId).toBe(answer.id);
    } finally {
      connector.setTypingRefused(false);
    }
  });

  it('a duplicate delivery (same activity id) makes one turn', async () => {
    const activity = personalMessage(connector.serviceUrl, ADA, 'duplicated question');
    expect((await send(activity)).status).toBe(200);
    expect((await send(activity)).status).toBe(200);
    const convo = activity.conversation.id;
    await connector.waitFor(() => connector.messagesIn(convo).find((m) => m.stream?.final));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(asked('duplicated question')).toHaveLength(1);
    expect(connector.messagesIn(convo).filter((m) => m.activity.type === 'message')).toHaveLength(
      1,
    );
  });

  it('an approval card: a click by someone else is explained, Action.Execute by the asker resumes the turn and refreshes the card', async () => {
    const activity = personalMessage(connector.serviceUrl, ADA, 'append a line');
    expect((await send(activity)).status).toBe(200);
    const convo = activity.conversation.id;
    const card = await connector.waitFor(() =>
      connector
        .messagesIn(convo)
        .find(
          (m) =>
            m.activity.attachments?.[0]?.contentType === 'application/vnd.microsoft.card.adaptive',
        ),
    );
    const content = card.activity.attachments![0]!.content as {
      version: string;
      actions: Array<{
        type: string;
        data: { approvalId: string; decision: string };
        fallback: { type: string };
      }>;
    };
    expect(content.version).toBe('1.5');
    expect(content.actions.map((a) => a.type)).toEqual(['Action.Execute', 'Action.Execute']);
    expect(content.actions[0]!.fallback.type).toBe('Action.Submit');
    expect(JSON.stringify(content)).toContain('echo once >> /work/log.txt');
    const approve = content.actions.find((a) => a.data.decision === 'approve')!.data;

    const other = await send(cardInvoke(connector.serviceUrl, GRACE, convo, card.id, approve));
    expect(other.status).toBe(200);
    expect(other.json()).toMatchObject({
      statusCode: 200,
      type: 'application/vnd.microsoft.activity.message',
      value: expect.stringContaining('You may not decide this one'),
    });

    const res = await send(cardInvoke(connector.serviceUrl, ADA, convo, card.id, approve));
    expect(res.status).toBe(200);
    const body = res.json() as { statusCode: number; type: string; value: { actions: unknown[] } };
    expect(body).toMatchObject({
      statusCode: 200,
      type: 'application/vnd.microsoft.card.adaptive',
    });
    expect(JSON.stringify(body.value)).toContain('Approved by Ada Lovelace');
    expect(body.value.actions).toEqual([]);

    // The turn went on: the answer arrives, and the card is updated in place for everyone.
    await connector.waitFor(
      () => connector.messagesIn(convo).find((m) => m.activity.text === 'done: ran'),
      45_000,
    );
    const updated = connector.messages.get(card.id)!;
    expect(JSON.stringify(updated.activity)).toContain('Approved by Ada Lovelace');
    expect(connector.calls.some((c) => c.method === 'PUT' && c.activityId === card.id)).toBe(true);
    const approval = await app.database.prisma.approval.findUniqueOrThrow({
      where: { id: approve.approvalId },
    });
    expect(approval.status).toBe('approved');
  });

  it('the Action.Submit fallback: a refused click is explained in the chat, a deny by the asker updates the card', async () => {
    const activity = personalMessage(connector.serviceUrl, ADA, 'append a line');
    expect((await send(activity)).status).toBe(200);
    const convo = activity.conversation.id;
    const card = await connector.waitFor(() =>
      connector.messagesIn(convo).find((m) => m.activity.attachments?.length),
    );
    const content = card.activity.attachments![0]!.content as {
      actions: Array<{ fallback: { data: { approvalId: string; decision: string } } }>;
    };
    const deny = content.actions.find((a) => a.fallback.data.decision === 'deny')!.fallback.data;
    expect((await send(cardSubmit(connector.serviceUrl, GRACE, convo, card.id, deny))).status).toBe(
      200,
    );
    await connector.waitFor(() =>
      connector
        .messagesIn(convo)
        .find((m) => m.activity.text?.startsWith('You may not decide this one')),
    );
    expect((await send(cardSubmit(connector.serviceUrl, ADA, convo, card.id, deny))).status).toBe(
      200,
    );
    await connector.waitFor(() =>
      JSON.stringify(connector.messages.get(card.id)!.activity).includes('Denied by Ada Lovelace'),
    );
    await connector.waitFor(() =>
      connector.messagesIn(convo).find((m) => m.activity.text?.startsWith('done:')),
    );
    const approval = await app.database.prisma.approval.findUniqueOrThrow({
      where: { id: deny.approvalId },
    });
    expect(approval.status).toBe('denied');
    // The clicks were decisions, not questions for the LLM.
    expect(llm.requests.some((r) => JSON.stringify(r.messages).includes('"dynamiq"'))).toBe(false);
  });

  it('refuses a token for another app id, an expired one, a foreign issuer, an unknown key and no token with 401, and starts nothing', async () => {
    const cases = [
      { name: 'other app', sign: { audience: '11111111-2222-4333-8444-555555555555' } },
      { name: 'expired', sign: { expiresInSec: -600 } },
      { name: 'issuer', sign: { issuer: 'https://sts.example.com/' } },
      { name: 'unknown key', sign: { unknownKey: true } },
    ];
    const conversations: string[] = [];
    for (const c of cases) {
      const activity = personalMessage(connector.serviceUrl, ADA, `refused ${c.name}`);
      conversations.push(activity.conversation.id);
      const res = await send(activity, { sign: { serviceUrl: activity.serviceUrl, ...c.sign } });
      expect(res.status, c.name).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'dynamiq.teams.unauthorized' } });
    }
    const unsigned = personalMessage(connector.serviceUrl, ADA, 'refused unsigned');
    conversations.push(unsigned.conversation.id);
    expect((await send(unsigned, { authorization: null })).status).toBe(401);
    // A token whose serviceurl claim is not the activity's (replies would go elsewhere).
    const moved = personalMessage(connector.serviceUrl, ADA, 'refused moved');
    conversations.push(moved.conversation.id);
    const movedToken = await issuer.sign({ serviceUrl: 'https://smba.example.com/' });
    expect((await send(moved, { authorization: movedToken })).status).toBe(401);

    await new Promise((r) => setTimeout(r, 500));
    for (const convo of conversations) expect(connector.callsIn(convo)).toEqual([]);
    expect(llm.requests.some((r) => JSON.stringify(r.messages).includes('refused '))).toBe(false);
    const stored = await app.database.prisma.teamsConversation.count({
      where: { teamsConversationId: { in: conversations } },
    });
    expect(stored).toBe(0);
  });

  it('refuses a malformed activity with 400 and a wrong channel with 400', async () => {
    const good = personalMessage(connector.serviceUrl, ADA, 'malformed');
    const { conversation: _c, ...noConversation } = good;
    expect((await send(noConversation as typeof good)).status).toBe(400);
    expect((await send({ ...good, channelId: 'slack' })).status).toBe(400);
    expect((await send({ ...good, serviceUrl: 'not a url' })).status).toBe(400);
    await new Promise((r) => setTimeout(r, 300));
    expect(asked('malformed')).toHaveLength(0);
  });

  it('ignores a channel message that does not mention the bot', async () => {
    const activity = channelMention(connector.serviceUrl, GRACE, 'talking among ourselves');
    activity.entities = [];
    activity.text = 'talking among ourselves';
    expect((await send(activity)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(asked('talking among ourselves')).toHaveLength(0);
  });

  it('an Action.Execute for an unknown approval is answered with a message, not an error', async () => {
    const res = await send(
      cardInvoke(connector.serviceUrl, ADA, 'a:unknown', '1', {
        dynamiq: 'approval',
        approvalId: '00000000-0000-4000-8000-000000000000',
        decision: 'approve',
      }),
    );
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      type: 'application/vnd.microsoft.activity.message',
      value: expect.stringContaining('No approval'),
    });
  });
});
