import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { slackSender } from '../fakes/slack/requests.js';
import { startFakeSlack } from '../fakes/slack/web-api.js';
import type { FakeSlack, FakeSlackMessage } from '../fakes/slack/web-api.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';

const SECRET = 'slack-signing-secret-for-tests';
const TOKEN = 'xoxb-test-single';
const TEAM = 'T0000001';
const BOT = { botUserId: 'UBOT', botId: 'B0BOT' };

describe('Slack front end against a fake Slack Web API', () => {
  let llm: FakeOpenAI;
  let slack: FakeSlack;
  let app: TestApp;
  let send: ReturnType<typeof slackSender>;
  const answers = new Map<string, string>();

  beforeAll(async () => {
    llm = await startFakeOpenAI({
      chunkSize: 40,
      reply: (req) => {
        const last = [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
        for (const [marker, answer] of answers) if (last.includes(marker)) return answer;
        return `You said: ${last}`;
      },
    });
    slack = await startFakeSlack({ tokens: { [TOKEN]: { teamId: TEAM, ...BOT } } });
    app = await startTestApp({
      LLM_BASE_URL: llm.baseUrl,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: slack.apiUrl,
    });
    send = slackSender(app.url, SECRET);
  });
  afterAll(async () => {
    await app?.close();
    await slack?.close();
    await llm?.close();
  });

  const finished = (channel: string, threadTs: () => string | undefined) =>
    slack.waitFor(() => {
      const ts = threadTs();
      return slack.messages.find(
        (m) =>
          m.channel === channel && m.thread_ts === ts && m.streamed !== undefined && !m.streaming,
      );
    });

  it('a slash command is acknowledged at once, starts a thread with a root message and streams the answer into it', async () => {
    const t0 = performance.now();
    const res = await send.command({
      team_id: TEAM,
      channel_id: 'C100',
      user_id: 'U1',
      user_name: 'ada',
      text: 'is prod healthy?',
      trigger_id: 'trig-1',
      response_url: slack.responseUrl('r1'),
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(performance.now() - t0).toBeLessThan(3_000);
    const root = await slack.waitFor(() =>
      slack.messages.find((m) => m.channel === 'C100' && !m.thread_ts),
    );
    expect(root.text).toBe('<@U1> asked: is prod healthy?');
    const answer = await finished('C100', () => root.ts);
    expect(answer.streamed).toBe('You said: is prod healthy?');
    const start = slack.callsOf('chat.startStream').find((c) => c.args.channel === 'C100')!;
    expect(start.args).toMatchObject({
      thread_ts: root.ts,
      recipient_user_id: 'U1',
      recipient_team_id: TEAM,
    });
    expect(start.token).toBe(TOKEN);
    expect(
      slack.callsOf('assistant.threads.setStatus').some((c) => c.args.thread_ts === root.ts),
    ).toBe(true);
    // The Slack user became a Dynamiq user with a chat identity.
    const identity = await app.database.prisma.chatIdentity.findFirst({
      where: { platform: 'slack', workspaceId: TEAM, platformUserId: 'U1' },
    });
    expect(identity?.displayName).toBe('ada');
  });

  it('a mention in a channel is answered in its thread', async () => {
    const ts = '1780000000.000100';
    const res = await send.event(TEAM, 'Ev1', {
      type: 'app_mention',
      user: 'U2',
      text: '<@UBOT> list the pods',
      ts,
      channel: 'C200',
      event_ts: ts,
    });
    expect(res.status).toBe(200);
    const answer = await finished('C200', () => ts);
    expect(answer.streamed).toBe('You said: list the pods');
    // The task cards of the turn's steps went with the stream when the agent loop reports steps.
    for (const chunk of answer.chunks ?? []) expect(chunk).toMatchObject({ type: 'task_update' });
  });

  it('a direct message is answered in a thread of the DM', async () => {
    const ts = '1780000001.000200';
    const res = await send.event(TEAM, 'Ev2', {
      type: 'message',
      channel_type: 'im',
      user: 'U3',
      text: 'hello there',
      ts,
      channel: 'D300',
      event_ts: ts,
    });
    expect(res.status).toBe(200);
    const answer = await finished('D300', () => ts);
    expect(answer.streamed).toBe('You said: hello there');
  });

  it('a retried delivery (same event, X-Slack-Retry-Num: 1) makes one turn', async () => {
    const ts = '1780000002.000300';
    const event = {
      type: 'app_mention',
      user: 'U2',
      text: '<@UBOT> retried question',
      ts,
      channel: 'C400',
      event_ts: ts,
    };
    expect((await send.event(TEAM, 'Ev3', event)).status).toBe(200);
    expect(
      (
        await send.event(TEAM, 'Ev3', event, {
          headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
        })
      ).status,
    ).toBe(200);
    // The same message as a second event type (message.channels) is the same turn, too.
    expect(
      (await send.event(TEAM, 'Ev3b', { ...event, type: 'message', channel_type: 'im' })).status,
    ).toBe(200);
    await finished('C400', () => ts);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(
      llm.requests.filter((r) => JSON.stringify(r.messages).includes('retried question')),
    ).toHaveLength(1);
    expect(slack.messages.filter((m) => m.channel === 'C400' && m.thread_ts === ts)).toHaveLength(
      1,
    );
  });

  it('refuses a forged signature, a stale timestamp and a body that is not a Slack payload, and posts nothing', async () => {
    const before = slack.calls.length;
    const forged = await slackSender(app.url, 'not-the-secret').command({
      team_id: TEAM,
      channel_id: 'C500',
      user_id: 'U1',
      text: 'forged',
      trigger_id: 'trig-forged',
    });
    expect(forged.status).toBe(401);
    const stale = await send.command(
      { team_id: TEAM, channel_id: 'C500', user_id: 'U1', text: 'stale', trigger_id: 'trig-stale' },
      { timestampSec: Math.floor(Date.now() / 1000) - 6 * 60 },
    );
    expect(stale.status).toBe(401);
    const unsigned = await fetch(`${app.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unsigned.status).toBe(401);
    expect((await send.post('{"hello":"world"}', 'application/json')).status).toBe(400);
    expect((await send.post('not json', 'application/json')).status).toBe(400);
    await new Promise((r) => setTimeout(r, 500));
    expect(slack.calls.slice(before).filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect(llm.requests.some((r) => JSON.stringify(r.messages).includes('forged'))).toBe(false);
  });

  it('answers Slack’s URL verification and politely refuses an unknown command', async () => {
    const challenge = await send.post(
      JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' }),
      'application/json',
    );
    expect(challenge.json()).toEqual({ challenge: 'abc123' });
    const other = await send.command({
      command: '/other',
      team_id: TEAM,
      channel_id: 'C1',
      user_id: 'U1',
      text: '',
      trigger_id: 't-other',
    });
    expect(other.json()).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('/dynamiq help'),
    });
    const help = await send.command({
      team_id: TEAM,
      channel_id: 'C1',
      user_id: 'U1',
      text: 'help',
      trigger_id: 't-help',
    });
    expect(help.json()).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('/dynamiq connect'),
    });
  });

  it('`/dynamiq connect github` answers the user alone with a button holding a signed sign-in link', async () => {
    const res = await send.command({
      team_id: TEAM,
      channel_id: 'C1',
      user_id: 'U7',
      user_name: 'grace',
      text: 'connect github',
      trigger_id: 't-connect',
    });
    const body = res.json() as {
      response_type: string;
      blocks: Array<{ type: string; elements?: Array<{ url?: string }> }>;
    };
    expect(body.response_type).toBe('ephemeral');
    const url = body.blocks.find((b) => b.type === 'actions')!.elements![0]!.url!;
    expect(url).toMatch(/\/auth\/link\?token=/);
  });

  it('waits out a 429 with Retry-After: 1 and then delivers', async () => {
    slack.rateLimit('chat.startStream', 1);
    const ts = '1780000003.000400';
    const t0 = performance.now();
    await send.event(TEAM, 'Ev4', {
      type: 'app_mention',
      user: 'U2',
      text: '<@UBOT> slow please',
      ts,
      channel: 'C600',
      event_ts: ts,
    });
    const answer = await finished('C600', () => ts);
    expect(answer.streamed).toBe('You said: slow please');
    const starts = slack.callsOf('chat.startStream').filter((c) => c.args.channel === 'C600');
    expect(starts).toHaveLength(2);
    expect(starts[1]!.at - starts[0]!.at).toBeGreaterThanOrEqual(1_000);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_000);
  });

  it('streams a 7,000-character answer whole', async () => {
    const long = Array.from(
      { length: 141 },
      (_, i) => `Line ${String(i).padStart(3, '0')} ${'x'.repeat(40)}`,
    ).join('\n');
    expect(long.length).toBeGreaterThanOrEqual(7_000);
    answers.set('LONG-7000', long);
    const ts = '1780000004.000500';
    await send.event(TEAM, 'Ev5', {
      type: 'app_mention',
      user: 'U2',
      text: '<@UBOT> LONG-7000',
      ts,
      channel: 'C700',
      event_ts: ts,
    });
    const answer = await finished('C700', () => ts);
    expect(answer.streamed).toBe(long);
  });

  describe('where streaming is refused', () => {
    beforeAll(() => slack.setStreaming(false));
    afterAll(() => slack.setStreaming(true));

    const textOf = (m: FakeSlackMessage) =>
      (m.blocks as Array<{ text: { text: string } }>).map((b) => b.text.text).join('\n\n');
    const answerIn = async (channel: string, ts: string, count: number) =>
      slack.waitFor(() => {
        const all = slack.messages.filter((m) => m.channel === channel && m.thread_ts === ts);
        return all.length === count && !textOf(all[0]!).includes('Thinking') ? all : null;
      });

    it('posts a placeholder, edits it, and a 7,000-character answer arrives whole in sections', async () => {
      const long = Array.from(
        { length: 141 },
        (_, i) => `Row ${String(i).padStart(3, '0')} ${'y'.repeat(40)}`,
      ).join('\n');
      answers.set('FALLBACK-7000', long);
      const ts = '1780000005.000600';
      await send.event(TEAM, 'Ev6', {
        type: 'app_mention',
        user: 'U2',
        text: '<@UBOT> FALLBACK-7000',
        ts,
        channel: 'C800',
        event_ts: ts,
      });
      const [message] = await answerIn('C800', ts, 1);
      await slack.waitFor(
        () => textOf(message!).replace(/\n/g, '').length >= long.replace(/\n/g, '').length,
      );
      expect(textOf(message!).replace(/\n/g, '')).toBe(long.replace(/\n/g, ''));
      expect(slack.callsOf('chat.update').some((c) => c.args.channel === 'C800')).toBe(true);
    });

    it('splits a 60-block answer over two messages (50 + 10 blocks) and loses nothing', async () => {
      const paragraphs = Array.from({ length: 60 }, (_, i) => `Paragraph ${i + 1} of the answer.`);
      answers.set('BLOCKS-60', paragraphs.join('\n\n'));
      const ts = '1780000006.000700';
      await send.event(TEAM, 'Ev7', {
        type: 'app_mention',
        user: 'U2',
        text: '<@UBOT> BLOCKS-60',
        ts,
        channel: 'C900',
        event_ts: ts,
      });
      const all = await answerIn('C900', ts, 2);
      expect(all.map((m) => m.blocks!.length)).toEqual([50, 10]);
      expect(all.map(textOf).join('\n\n')).toBe(paragraphs.join('\n\n'));
    });
  });

  it('a first mention in an existing thread sends the thread’s three earlier messages, with authors, to the LLM', async () => {
    const root = slack.addUserMessage({
      channel: 'C1000',
      user: 'U8',
      text: 'deploy of api failed at 10:02',
    });
    slack.addUserMessage({
      channel: 'C1000',
      user: 'U9',
      text: 'looks like the migration timed out',
      thread_ts: root.ts,
    });
    slack.addBotMessage({
      channel: 'C1000',
      text: 'An earlier answer of mine',
      thread_ts: root.ts,
      ...BOT,
    });
    const mention = slack.addUserMessage({
      channel: 'C1000',
      user: 'U8',
      text: '<@UBOT> what went wrong?',
      thread_ts: root.ts,
    });
    await send.event(TEAM, 'Ev8', {
      type: 'app_mention',
      user: 'U8',
      text: mention.text,
      ts: mention.ts,
      thread_ts: root.ts,
      channel: 'C1000',
      event_ts: mention.ts,
    });
    await finished('C1000', () => root.ts);
    const request = llm.requests.find((r) =>
      JSON.stringify(r.messages).includes('what went wrong?'),
    )!;
    const seen = request.messages.map((m) => `${m.role}: ${m.content}`);
    const at = (s: string) => seen.findIndex((line) => line.includes(s));
    expect(seen[at('deploy of api failed')]).toBe('user: U8: deploy of api failed at 10:02');
    expect(seen[at('migration timed out')]).toBe('user: U9: looks like the migration timed out');
    expect(seen[at('An earlier answer')]).toBe('assistant: An earlier answer of mine');
    expect(at('deploy of api failed')).toBeLessThan(at('migration timed out'));
    expect(at('An earlier answer')).toBeLessThan(at('what went wrong?'));
    expect(slack.callsOf('conversations.replies')).toHaveLength(1);
  });

  it('a click on an unknown approval gets an ephemeral explanation', async () => {
    const res = await send.interaction({
      type: 'block_actions',
      team: { id: TEAM, domain: 'fake' },
      user: { id: 'U1', username: 'ada', team_id: TEAM },
      api_app_id: 'A0FAKE',
      token: 'legacy',
      trigger_id: 't-click',
      response_url: slack.responseUrl('click-1'),
      channel: { id: 'C100', name: 'ops' },
      container: { type: 'message', message_ts: '1.2', channel_id: 'C100' },
      actions: [
        {
          type: 'button',
          action_id: 'dynamiq_approve',
          block_id: 'approval:x',
          value: '00000000-0000-4000-8000-000000000000',
          action_ts: '1.3',
        },
      ],
    });
    expect(res.status).toBe(200);
    const reply = await slack.waitFor(() =>
      slack.ephemerals.find((e) => e.responseUrl === '/response/click-1'),
    );
    expect(reply).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: expect.stringContaining('No approval'),
    });
  });

  it('an event from a workspace that never installed the app gets 401 and starts nothing', async () => {
    const ts = '1780000009.000900';
    const res = await send.event('T9999999', 'Ev9', {
      type: 'app_mention',
      user: 'U2',
      text: '<@UBOT> hi',
      ts,
      channel: 'C1100',
      event_ts: ts,
    });
    // SLACK_BOT_TOKEN serves only the workspace auth.test names.
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.calls.some((c) => c.args.channel === 'C1100')).toBe(false);
  });
});

describe('Slack "Add to Slack": multi-workspace OAuth with sealed installations', () => {
  let llm: FakeOpenAI;
  let slack: FakeSlack;
  let app: TestApp;
  const OAUTH = {
    clientId: '111.222',
    clientSecret: 'oauth-client-secret',
    teamId: 'T0000002',
    botToken: 'xoxb-second-workspace',
    botUserId: 'UBOT2',
    botId: 'B0BOT2',
  };

  beforeAll(async () => {
    llm = await startFakeOpenAI();
    slack = await startFakeSlack({ oauth: OAUTH });
    app = await startTestApp({
      LLM_BASE_URL: llm.baseUrl,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_CLIENT_ID: OAUTH.clientId,
      SLACK_CLIENT_SECRET: OAUTH.clientSecret,
      SLACK_API_URL: slack.apiUrl,
    });
  });
  afterAll(async () => {
    await app?.close();
    await slack?.close();
    await llm?.close();
  });

  it('installs through oauth.v2.access, stores the installation encrypted, and answers that team with its token', async () => {
    const send = slackSender(app.url, SECRET);
    const ts = '1780000010.000100';
    const mention = {
      type: 'app_mention',
      user: 'U5',
      text: '<@UBOT2> hello second',
      ts,
      channel: 'C42',
      event_ts: ts,
    };
    // Before the install the workspace is unknown.
    expect(
      (await send.event(OAUTH.teamId, 'EvA', mention, { botUserId: OAUTH.botUserId })).status,
    ).toBe(401);

    const install = await fetch(`${app.url}/slack/install`, { redirect: 'manual' });
    expect(install.status).toBe(302);
    const authorize = new URL(install.headers.get('location')!);
    expect(authorize.searchParams.get('client_id')).toBe(OAUTH.clientId);
    expect(authorize.searchParams.get('scope')).toContain('chat:write');
    const state = authorize.searchParams.get('state')!;
    const cookie = install.headers.get('set-cookie')!.split(';')[0]!;
    const done = await fetch(
      `${app.url}/slack/oauth_redirect?code=good-code&state=${encodeURIComponent(state)}`,
      { headers: { cookie } },
    );
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('installed');

    const row = await app.database.prisma.slackInstallation.findUniqueOrThrow({
      where: { installKey: `T:${OAUTH.teamId}` },
    });
    expect(row.botUserId).toBe(OAUTH.botUserId);
    expect(Buffer.from(row.secret).toString('latin1')).not.toContain(OAUTH.botToken);

    expect(
      (await send.event(OAUTH.teamId, 'EvB', mention, { botUserId: OAUTH.botUserId })).status,
    ).toBe(200);
    const answer = await slack.waitFor(() =>
      slack.messages.find(
        (m) =>
          m.channel === 'C42' && m.thread_ts === ts && m.streamed !== undefined && !m.streaming,
      ),
    );
    expect(answer.streamed).toBe('You said: hello second');
    expect(slack.callsOf('chat.startStream').every((c) => c.token === OAUTH.botToken)).toBe(true);
    // A workspace that never installed is still refused.
    expect((await send.event('T0000404', 'EvC', { ...mention, ts: '1780000011.1' })).status).toBe(
      401,
    );
  });
});
