import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { ChatRequest, FakeAnswer, FakeOpenAI } from '../fakes/openai.js';
import {
  discordKeyPair,
  interactionId,
  interactionSender,
  signedHeaders,
} from '../fakes/discord/interactions.js';
import { startFakeDiscord } from '../fakes/discord/server.js';
import type { FakeDiscord } from '../fakes/discord/server.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';

const APP_ID = '1200000000000000002';
const BOT = { id: '1200000000000000001', username: 'Dynamiq' };
const GUILD = '1100000000000000001';
const TOKEN = 'fake-bot-token.discord';
const channel = (n: number) => String(1100000000000000100n + BigInt(n));
const ADA = { id: '1000000000000000011', username: 'ada' };

const toolResults = (req: ChatRequest) =>
  req.messages.filter((m) => m.role === 'tool').map((m) => m.content ?? '');
const lastUser = (req: ChatRequest) =>
  [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';

/** Whether every code fence in a message is closed within it. */
const balanced = (text: string) => (text.match(/^```/gm) ?? []).length % 2 === 0;

describe('Discord front end against a fake Discord (REST and gateway)', () => {
  const keys = discordKeyPair();
  let llm: FakeOpenAI;
  let discord: FakeDiscord;
  let app: TestApp;
  let send: ReturnType<typeof interactionSender>;
  const scripts = new Map<string, (req: ChatRequest) => FakeAnswer>();

  beforeAll(async () => {
    llm = await startFakeOpenAI({
      chunkSize: 200,
      respond: (req) => {
        const text = lastUser(req);
        for (const [marker, script] of scripts) if (text.includes(marker)) return script(req);
        return { text: `You said: ${text}` };
      },
    });
    discord = await startFakeDiscord({
      botToken: TOKEN,
      applicationId: APP_ID,
      bot: BOT,
      guild: {
        id: GUILD,
        name: 'Ops',
        channels: Array.from({ length: 10 }, (_, i) => ({ id: channel(i), name: `ops-${i}` })),
      },
    });
    app = await startTestApp(
      {
        LLM_BASE_URL: llm.baseUrl,
        DISCORD_BOT_TOKEN: TOKEN,
        DISCORD_PUBLIC_KEY: keys.publicKeyHex,
        DISCORD_APPLICATION_ID: APP_ID,
        DISCORD_API_URL: discord.apiUrl,
      },
      { roles: ['api', 'worker', 'gateway'] },
    );
    send = interactionSender(app.url, keys.privateKey, APP_ID);
    await discord.waitFor(() => discord.connected());
    // discord.js is ready once the guild it was told about has arrived.
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(async () => {
    await app?.close();
    await discord?.close();
    await llm?.close();
  });

  const mention = (channelId: string, text: string) =>
    discord.userMessage({
      channelId,
      author: ADA,
      content: `<@${BOT.id}> ${text}`,
      mentionBot: true,
    });
  const requestsWith = (text: string) =>
    llm.requests.filter((r) => JSON.stringify(r.messages).includes(text));

  it('identified with the intents for mentions and DMs (message content included)', () => {
    const { intents } = discord.identifies[0]!;
    // GUILDS 1, GUILD_MESSAGES 512, DIRECT_MESSAGES 4096, MESSAGE_CONTENT 32768.
    for (const bit of [1, 512, 4096, 32768]) expect(intents & bit).toBe(bit);
  });

  it('answers a PING with a PONG', async () => {
    const res = await send.ping();
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ type: 1 });
  });

  it('a mention in a channel is answered in a thread started from it, the mention stripped', async () => {
    const m = mention(channel(1), 'list the pods');
    const answer = await discord.waitFor(() =>
      discord.inChannel(m.id).find((x) => x.content.startsWith('You said')),
    );
    expect(answer.content).toBe('You said: list the pods');
    expect(discord.threads.get(m.id)).toMatchObject({
      parent_id: channel(1),
      name: 'list the pods',
    });
    expect(discord.inChannel(channel(1))).toEqual([]);
    expect(discord.calls.some((c) => c.path === `/channels/${m.id}/typing`)).toBe(true);
    const identity = await app.database.prisma.chatIdentity.findFirst({
      where: { platform: 'discord', workspaceId: GUILD, platformUserId: ADA.id },
    });
    expect(identity?.displayName).toBe('ada');
  });

  it('a mention in the thread it started continues the same conversation', async () => {
    const m = mention(channel(2), 'first question');
    await discord.waitFor(() =>
      discord.inChannel(m.id).find((x) => x.content.includes('first question')),
    );
    discord.userMessage({
      channelId: m.id,
      author: ADA,
      content: `<@${BOT.id}> second question`,
      mentionBot: true,
    });
    await discord.waitFor(() =>
      discord.inChannel(m.id).find((x) => x.content.includes('second question')),
    );
    const second = requestsWith('second question').at(-1)!;
    expect(JSON.stringify(second.messages)).toContain('first question');
    expect(await app.database.prisma.conversation.count({ where: { threadId: m.id } })).toBe(1);
  });

  it('a replayed MESSAGE_CREATE (a gateway resume) makes one turn', async () => {
    const m = mention(channel(3), 'replayed question');
    discord.dispatch('MESSAGE_CREATE', m);
    discord.dispatch('MESSAGE_CREATE', m);
    await discord.waitFor(() =>
      discord.inChannel(m.id).find((x) => x.content.includes('replayed')),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(requestsWith('replayed question')).toHaveLength(1);
    expect(discord.inChannel(m.id)).toHaveLength(1);
  });

  it('a direct message is answered in the DM', async () => {
    const dm = '1100000000000000900';
    discord.userMessage({ channelId: dm, author: ADA, content: 'hello there', dm: true });
    const answer = await discord.waitFor(() =>
      discord.inChannel(dm).find((x) => x.content.startsWith('You said')),
    );
    expect(answer.content).toBe('You said: hello there');
  });

  it('/dynamiq gets a deferred response at once, then the answer through the interaction token', async () => {
    const token = 'interaction-token-slash-1';
    discord.issueToken(token);
    const t0 = performance.now();
    const res = await send.command({
      token,
      guildId: GUILD,
      channelId: channel(4),
      user: ADA,
      prompt: 'is prod healthy?',
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ type: 5 });
    expect(performance.now() - t0).toBeLessThan(3_000);
    const original = await discord.waitFor(() =>
      discord.ofToken(token).find((x) => x.original && x.content.startsWith('You said')),
    );
    expect(original.content).toBe('You said: is prod healthy?');
    // The follow-up went through the webhook, without the bot token.
    const patch = discord.calls.find(
      (c) => c.path === `/webhooks/${APP_ID}/${token}/messages/@original`,
    )!;
    expect(patch.authorization).toBeUndefined();
  });

  it('the same interaction delivered twice makes one turn', async () => {
    const token = 'interaction-token-dup';
    discord.issueToken(token);
    const id = interactionId();
    const input = {
      id,
      token,
      guildId: GUILD,
      channelId: channel(5),
      user: ADA,
      prompt: 'duplicated command',
    };
    expect((await send.command(input)).json()).toEqual({ type: 5 });
    expect((await send.command(input)).json()).toEqual({ type: 5 });
    await discord.waitFor(() =>
      discord.ofToken(token).find((x) => x.content.includes('duplicated')),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(requestsWith('duplicated command')).toHaveLength(1);
    expect(await app.database.prisma.discordInteraction.count({ where: { id } })).toBe(1);
  });

  it('a 4,500-character answer arrives as three messages with its code fences intact', async () => {
    const code = Array.from(
      { length: 45 },
      (_, i) => `kubectl get pod web-${i} -o wide # ${'x'.repeat(20)}`,
    ).join('\n');
    const long = `${'The pods, one by one. '.repeat(60).trim()}\n\n\`\`\`sh\n${code}\n\`\`\`\n\n${'All of them are healthy. '.repeat(40).trim()}`;
    expect(long.length).toBeGreaterThanOrEqual(4_500);
    scripts.set('LONG-4500', () => ({ text: long }));
    const m = mention(channel(6), 'LONG-4500');
    const parts = await discord.waitFor(() => {
      const all = discord.inChannel(m.id).filter((x) => !x.content.startsWith('-#'));
      return all.length === 3 ? all : null;
    });
    for (const part of parts) {
      expect(part.content.length).toBeLessThanOrEqual(2_000);
      expect(balanced(part.content)).toBe(true);
    }
    expect(parts[2]!.content.endsWith('All of them are healthy.')).toBe(true);
    const strip = (t: string) => t.replace(/^```.*$/gm, '').replace(/\s+/g, '');
    expect(strip(parts.map((p) => p.content).join('\n'))).toBe(strip(long));
  });

  it('an answer longer than five messages arrives as its start and the whole as answer.md', async () => {
    const huge = Array.from({ length: 300 }, (_, i) => `Row ${i} ${'z'.repeat(40)}`).join('\n');
    scripts.set('HUGE-ANSWER', () => ({ text: huge }));
    const m = mention(channel(8), 'HUGE-ANSWER');
    const [first, file] = await discord.waitFor(() => {
      const all = discord.inChannel(m.id);
      return all.length === 2 ? all : null;
    });
    expect(first!.content).toContain('answer.md');
    expect(first!.content.length).toBeLessThanOrEqual(2_000);
    expect(file!.attachments).toEqual([{ filename: 'answer.md', content: huge }]);
  });

  it('an approval shows buttons; a Deny click resumes the turn and the message says who decided', async () => {
    scripts.set('DELETE-POD', (req) =>
      toolResults(req).length === 0
        ? {
            toolCalls: [
              { name: 'run_command', arguments: { command: 'kubectl delete pod web-1' } },
            ],
          }
        : { text: `told: ${toolResults(req)[0]}` },
    );
    const m = mention(channel(7), 'DELETE-POD please');
    const approval = await discord.waitFor(() =>
      discord.inChannel(m.id).find((x) => x.content.includes('Approval needed')),
    );
    expect(approval.content).toContain('kubectl delete pod web-1');
    const row = approval.components[0] as {
      components: Array<{ custom_id: string; label: string }>;
    };
    expect(row.components.map((b) => b.label)).toEqual(['Approve', 'Deny']);
    const deny = row.components[1]!.custom_id;
    expect(deny).toMatch(/^dynamiq:deny:/);

    // While it waits, the thread's progress message says so (edits come at most once a second).
    const progress = await discord.waitFor(() =>
      discord.inChannel(m.id).find((x) => x.content.startsWith('-# Working on it…')),
    );
    const token = 'interaction-token-button';
    discord.issueToken(token, approval.id);
    const res = await send.button({
      token,
      guildId: GUILD,
      channelId: m.id,
      messageId: approval.id,
      user: ADA,
      customId: deny,
    });
    expect(res.json()).toEqual({ type: 6 });
    const answer = await discord.waitFor(() =>
      discord.inChannel(m.id).find((x) => x.content.startsWith('told:')),
    );
    expect(answer.content.toLowerCase()).toContain('denied');
    await discord.waitFor(() => approval.content.includes(`Denied by <@${ADA.id}>`));
    expect(approval.components).toEqual([]);
    // The thread kept that one progress message, edited into the list of what was done.
    await discord.waitFor(() => progress.content.startsWith('-# What I did'));
    expect(discord.inChannel(m.id).filter((x) => x.content.startsWith('-#'))).toHaveLength(1);
    const stored = await app.database.prisma.approval.findFirstOrThrow({
      where: { id: deny.split(':')[2]! },
    });
    expect(stored.status).toBe('denied');
  });

  it('a /dynamiq turn shows its steps in the deferred response, which then becomes the answer', async () => {
    scripts.set('SLASH-APPROVAL', (req) =>
      toolResults(req).length === 0
        ? {
            toolCalls: [
              { name: 'run_command', arguments: { command: 'kubectl delete pod web-2' } },
            ],
          }
        : { text: `slash told: ${toolResults(req)[0]}` },
    );
    const token = 'interaction-token-slash-approval';
    discord.issueToken(token);
    const res = await send.command({
      token,
      guildId: GUILD,
      channelId: channel(9),
      user: ADA,
      prompt: 'SLASH-APPROVAL now',
    });
    expect(res.json()).toEqual({ type: 5 });
    // Outside a thread, the approval goes to the channel the command was used in.
    const approval = await discord.waitFor(() =>
      discord.inChannel(channel(9)).find((x) => x.content.includes('Approval needed')),
    );
    const buttons = (approval.components[0] as { components: Array<{ custom_id: string }> })
      .components;
    // The deferred response shows the step that waits for the approval.
    await discord.waitFor(() =>
      discord.ofToken(token).find((x) => x.original && x.content.startsWith('-# Working on it…')),
    );
    const click = 'interaction-token-slash-button';
    discord.issueToken(click, approval.id);
    await send.button({
      token: click,
      guildId: GUILD,
      channelId: channel(9),
      messageId: approval.id,
      user: ADA,
      customId: buttons[1]!.custom_id,
    });
    const original = await discord.waitFor(() =>
      discord.ofToken(token).find((x) => x.original && x.content.startsWith('slash told:')),
    );
    const shown = original.history;
    const progress = shown.findIndex((h) => h.startsWith('-# Working on it…'));
    expect(progress).toBeGreaterThanOrEqual(0);
    expect(shown.findIndex((h) => h.startsWith('slash told:'))).toBeGreaterThan(progress);
  });

  it('says how the gateway is doing in /readyz', async () => {
    const res = await fetch(`${app.url}/readyz`);
    expect(await res.json()).toMatchObject({ status: 'ready', discord: 'ok' });
  });

  it('refuses a bad, missing or stale signature (401) and a malformed body (400), and starts nothing', async () => {
    const before = await app.database.prisma.discordInteraction.count();
    const callsBefore = discord.calls.length;
    const payload = JSON.stringify({
      id: interactionId(),
      application_id: APP_ID,
      type: 2,
      token: 'forged-token',
      guild_id: GUILD,
      channel_id: channel(8),
      member: { user: ADA },
      data: { name: 'dynamiq', options: [{ name: 'prompt', type: 3, value: 'forged command' }] },
    });
    const post = (headers: Record<string, string>, body = payload) =>
      fetch(`${app.url}/discord/interactions`, { method: 'POST', headers, body });
    const other = discordKeyPair();
    expect((await post(signedHeaders(other.privateKey, payload))).status).toBe(401);
    expect((await post({ 'content-type': 'application/json' })).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    expect((await post(signedHeaders(keys.privateKey, payload, stale))).status).toBe(401);
    const tampered = signedHeaders(keys.privateKey, payload);
    expect((await post(tampered, payload.replace('forged command', 'tampered'))).status).toBe(401);
    expect((await send.post({ hello: 'world' })).status).toBe(400);
    const notJson = 'not json';
    expect((await post(signedHeaders(keys.privateKey, notJson), notJson)).status).toBe(400);
    await new Promise((r) => setTimeout(r, 500));
    expect(await app.database.prisma.discordInteraction.count()).toBe(before);
    expect(requestsWith('forged command')).toEqual([]);
    expect(discord.calls.slice(callsBefore).filter((c) => !c.path.includes('typing'))).toEqual([]);
  });
});

describe('a Discord gateway that cannot connect', () => {
  it('keeps retrying in the background and never throws', async () => {
    const { startDiscordGateway } = await import('../../bots/discord/index.js');
    const { createLogger } = await import('../../lib/logging.js');
    const { MemoryEventBus } = await import('../../lib/events/index.js');
    // Nothing listens on port 9 of loopback: GET /gateway/bot fails at once.
    const gateway = startDiscordGateway({
      config: {
        enabled: true,
        botToken: 'unused-token',
        publicKey: undefined,
        applicationId: APP_ID,
        apiUrl: 'http://127.0.0.1:9/api',
      },
      bus: new MemoryEventBus(),
      temporal: {} as never,
      taskQueue: 'unused',
      log: createLogger('silent'),
    });
    const deadline = Date.now() + 20_000;
    while (gateway.status().state === 'connecting' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(gateway.status().state).toBe('reconnecting');
    expect(gateway.status().detail).toBeTruthy();
    await gateway.close();
  });
});
