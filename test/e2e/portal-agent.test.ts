// The agent's work in the portal, in headless Chromium against the whole product (api + worker
// on the test run's Temporal, a fresh PostgreSQL database, a real bubblewrap sandbox), the fake
// OpenAI scripted to ask for a write: the approval appears in the conversation, the person
// approves it there, the command runs once and its output and the answer are shown.
// Screenshots go to test/artifacts/screenshots/ beside the other portal pages'.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { freePort, launchChromium, watchForProblems } from '../helpers/chromium.js';
import { toolResults } from './agent-harness.js';

const SHOTS = path.resolve('test/artifacts/screenshots');
/** What the command printed, from the tool result the LLM is sent. */
const stdout = (result: string) => /<stdout>\n([\s\S]*?)\s*<\/stdout>/.exec(result)?.[1] ?? result;
const COMMAND = 'echo shipped >> /work/release.txt && cat /work/release.txt';

describe('the agent in the portal', () => {
  let app: TestApp;
  let llm: FakeOpenAI;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    await fs.mkdir(SHOTS, { recursive: true });
    llm = await startFakeOpenAI({
      respond: (req) =>
        toolResults(req).length === 0
          ? {
              text: 'I will append to the release note.',
              toolCalls: [{ name: 'run_command', arguments: { command: COMMAND } }],
            }
          : { text: `Done. The release note now reads: ${stdout(toolResults(req)[0]!)}` },
    });
    chromium = await launchChromium();
    const port = await freePort();
    app = await startTestApp({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LLM_BASE_URL: llm.baseUrl,
      SANDBOX_DISK_MB: '0',
    });
    context = await chromium.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    problems = watchForProblems(page);
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await app?.close();
    await llm?.close();
  });

  it('shows the approval a write needs, runs the command once on Approve, and shows its output', async () => {
    await page.goto(app.bootstrapLink!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/integrations');

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Chat' })
      .click();
    await page.getByLabel('Message').fill('Add "shipped" to the release note');
    await page.getByLabel('Message').press('Enter');
    await page.waitForURL('**/conversations/*');

    // The call waits for a decision, naming the exact command, with the buttons to give it.
    const approval = page.getByRole('group', { name: 'Approval needed' });
    await approval.waitFor();
    await page.getByText(COMMAND).first().waitFor();
    await page.getByTestId('step-note').getByText('I will append to the release note.').waitFor();
    const call = await app.database.prisma.toolCall.findFirstOrThrow();
    expect(call.status).toBe('awaiting_approval');
    await page.screenshot({ path: path.join(SHOTS, 'approval-desktop.png'), fullPage: true });

    await approval.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('log').getByText('Done. The release note now reads: shipped').waitFor();
    const card = page.getByTestId(`tool-call-${call.id}`);
    await card.getByText('Approved').waitFor();
    await card.getByText('exit 0').waitFor();
    await card.locator('summary', { hasText: 'Output' }).click();
    await card.locator('pre').getByText('shipped').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'tool-call-desktop.png'), fullPage: true });

    const calls = await app.database.prisma.toolCall.findMany();
    expect(calls.map((c) => [c.status, c.exitCode])).toEqual([['completed', 0]]);
    const decided = await app.database.prisma.approval.findFirstOrThrow();
    expect([decided.status, decided.decidedByUserId]).toEqual(['approved', app.admin.id]);

    // A reload shows the same record from the server: the call, its approval and its output.
    await page.reload();
    await page.getByTestId(`tool-call-${call.id}`).getByText('Approved').waitFor();
    await page.getByRole('log').getByText('Done. The release note now reads: shipped').waitFor();

    // The administrator's page, for the record of what it looks like.
    await page.goto(`${app.url}/admin`);
    await page.locator('main h1').first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'admin-desktop.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
