// An approval asked in Slack: a Block Kit message naming the command, a click from someone who
// may not decide gets an ephemeral explanation, the asker's click resumes the workflow, and the
// message is edited to say who decided.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackSender } from '../fakes/slack/requests.js';
import { startFakeSlack } from '../fakes/slack/web-api.js';
import type { FakeSlack, FakeSlackMessage } from '../fakes/slack/web-api.js';
import { eventually, startAgentHarness, toolResults } from './agent-harness.js';
import type { AgentHarness } from './agent-harness.js';

const SECRET = 'slack-signing-secret-for-approvals';
const TOKEN = 'xoxb-test-approvals';
const TEAM = 'T0000009';
const COMMAND = 'echo once >> /work/log.txt && cat /work/log.txt';

interface Button {
  action_id: string;
  value: string;
}

const buttonsOf = (m: FakeSlackMessage): Button[] =>
  (m.blocks ?? [])
    .filter((b) => (b as { type: string }).type === 'actions')
    .flatMap((b) => (b as { elements: Button[] }).elements);

describe('approvals in Slack', () => {
  let slack: FakeSlack;
  let h: AgentHarness;
  let send: ReturnType<typeof slackSender>;

  beforeAll(async () => {
    slack = await startFakeSlack({
      tokens: { [TOKEN]: { teamId: TEAM, botUserId: 'UBOT9', botId: 'BBOT9' } },
    });
    h = await startAgentHarness({
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: slack.apiUrl,
    });
    send = slackSender(h.app.url, SECRET);
  });
  afterAll(async () => {
    await h?.close();
    await slack?.close();
  });

  it('asks with buttons, refuses a bystander, resumes on the asker’s Approve and shows who decided', async () => {
    h.script.current = (req) =>
      toolResults(req).length === 0
        ? { toolCalls: [{ name: 'run_command', arguments: { command: COMMAND } }] }
        : { text: `done: ${toolResults(req).join(' ').includes('once') ? 'ran' : 'not run'}` };
    const ts = '1780000100.000100';
    const res = await send.event(TEAM, 'EvApprove', {
      type: 'app_mention',
      user: 'UASK',
      text: '<@UBOT9> append a line to the log',
      ts,
      channel: 'C900',
      event_ts: ts,
    });
    expect(res.status).toBe(200);

    const asking = await slack.waitFor(
      () =>
        slack.messages.find(
          (m) =>
            m.channel === 'C900' &&
            m.thread_ts === ts &&
            buttonsOf(m).some((b) => b.action_id === 'dynamiq_approve'),
        ),
      30_000,
    );
    // Exactly the command, escaped as Slack's mrkdwn needs (`&`, `<`, `>`).
    expect(JSON.stringify(asking.blocks)).toContain(
      'echo once &gt;&gt; /work/log.txt &amp;&amp; cat /work/log.txt',
    );
    const approvalId = buttonsOf(asking).find((b) => b.action_id === 'dynamiq_approve')!.value;
    const click = (user: string, actionId: string, responseId: string) =>
      send.interaction({
        type: 'block_actions',
        team: { id: TEAM, domain: 'test' },
        user: { id: user, username: user.toLowerCase(), team_id: TEAM },
        api_app_id: 'A1',
        token: 'legacy',
        trigger_id: `trigger-${responseId}`,
        response_url: slack.responseUrl(responseId),
        container: { type: 'message', message_ts: asking.ts, channel_id: 'C900' },
        channel: { id: 'C900', name: 'ops' },
        message: { ts: asking.ts, text: asking.text, blocks: asking.blocks },
        actions: [
          {
            type: 'button',
            action_id: actionId,
            block_id: 'approval',
            value: approvalId,
            action_ts: String(Date.now() / 1000),
          },
        ],
      });

    // Someone else in the channel may not decide: told so, alone, and nothing runs.
    expect((await click('UBYSTANDER', 'dynamiq_approve', 'bystander')).status).toBe(200);
    const told = await slack.waitFor(() =>
      slack.ephemerals.find((e) => String(e.responseUrl).endsWith('/bystander')),
    );
    expect(told).toMatchObject({ response_type: 'ephemeral' });
    expect(String(told.text)).toMatch(/may not decide/);
    const pending = await h.app.database.prisma.approval.findUniqueOrThrow({
      where: { id: approvalId },
    });
    expect(pending.status).toBe('pending');

    // The asker approves: the workflow resumes, the command runs once, the answer arrives.
    expect((await click('UASK', 'dynamiq_approve', 'asker')).status).toBe(200);
    const answer = await slack.waitFor(
      () =>
        slack.messages.find(
          (m) => m.channel === 'C900' && m.thread_ts === ts && m.streamed?.includes('done: ran'),
        ),
      30_000,
    );
    expect(answer.streamed).toContain('done: ran');
    const decided = await h.app.database.prisma.approval.findUniqueOrThrow({
      where: { id: approvalId },
    });
    expect(decided.status).toBe('approved');
    const asker = await h.app.database.prisma.chatIdentity.findFirstOrThrow({
      where: { platform: 'slack', workspaceId: TEAM, platformUserId: 'UASK' },
    });
    expect(decided.decidedByUserId).toBe(asker.userId);

    // The approval message was edited in place: no buttons left, and it names who decided.
    const edited = await eventually(async () => {
      const m = slack.messages.find((x) => x.ts === asking.ts && x.channel === 'C900');
      return m && buttonsOf(m).length === 0 ? m : undefined;
    }, 'the approval message edited');
    expect(JSON.stringify(edited.blocks ?? edited.text)).toMatch(/<@UASK>|uask/i);
    expect(slack.callsOf('chat.update').some((c) => c.args.ts === asking.ts)).toBe(true);
  });
});
