// The portal end to end in headless Chromium against the whole product (api + worker on the
// test run's Temporal, a fresh PostgreSQL database), the fake OpenAI as the LLM and the fake
// OAuth provider as GitHub. Screenshots of each page, desktop and phone width, go to
// test/artifacts/screenshots/ (gitignored; CI keeps the folder as an artifact).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOAuthProvider } from '../fakes/oauth/provider.js';
import type { FakeOAuthProvider } from '../fakes/oauth/provider.js';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { freePort, launchChromium, watchForProblems } from '../helpers/chromium.js';

const SHOTS = path.resolve('test/artifacts/screenshots');
const ANSWER = 'Two pods are crash-looping in payments: api-7f and worker-2c.';
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

describe('the portal in Chromium', () => {
  let app: TestApp;
  let llm: FakeOpenAI;
  let github: FakeOAuthProvider;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    await fs.mkdir(SHOTS, { recursive: true });
    llm = await startFakeOpenAI({ reply: () => ANSWER, chunkSize: 6, chunkDelayMs: 40 });
    github = await startFakeOAuthProvider({ dialect: 'github', login: 'octo' });
    // The browser must come back to the address the server names (OAuth callback, links).
    const port = await freePort();
    chromium = await launchChromium();
    app = await startTestApp({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LLM_BASE_URL: llm.baseUrl,
      OAUTH_GITHUB_CLIENT_ID: github.clientId,
      OAUTH_GITHUB_CLIENT_SECRET: github.clientSecret,
      INTEGRATION_ENDPOINTS: JSON.stringify({ github: github.endpoints }),
    });
    context = await chromium.browser.newContext({ viewport: VIEWPORTS.desktop });
    page = await context.newPage();
    problems = watchForProblems(page);
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await app?.close();
    await llm?.close();
    await github?.close();
  });

  const shot = (name: string) =>
    page.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`), fullPage: true });

  it('signs in from the bootstrap link, connects GitHub, adds an AWS role and chats', async () => {
    // Opening the link shows whose account it is and signs no one in.
    await page.goto(app.bootstrapLink!);
    await expect
      .poll(() => page.getByTestId('sign-in-account').textContent())
      .toMatch(/Administrator/);
    expect(await app.database.prisma.portalSession.count()).toBe(0);
    await shot('sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/integrations');
    expect(await app.database.prisma.portalSession.count()).toBe(1);

    // Integrations: all 41 catalog cards; GitHub through the fake OAuth provider.
    const cards = page.getByRole('list', { name: 'Integrations' }).getByRole('listitem');
    await expect.poll(() => cards.count()).toBe(41);
    const githubCard = cards.filter({
      has: page.getByRole('heading', { name: 'GitHub', exact: true }),
    });
    await githubCard.getByRole('button', { name: 'Connect' }).click();
    await page.waitForURL('**/integrations?connected=github');
    await expect.poll(() => githubCard.getByText('Connected', { exact: true }).count()).toBe(1);
    await page.getByText('GitHub is connected.').waitFor();
    await shot('integrations');

    // Cloud credentials: an AWS role, assumed with the external id the server made for the user
    // (shown read-only; the form has no field to choose one).
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Cloud' })
      .click();
    const externalId = page.getByLabel('Your external id');
    await expect.poll(() => externalId.inputValue()).toMatch(/^[\w-]{43}$/);
    expect(await externalId.getAttribute('readonly')).not.toBeNull();
    const id = await externalId.inputValue();
    await page.getByLabel('Role ARN').fill('arn:aws:iam::123456789012:role/dynamiq-e2e');
    await page.getByRole('button', { name: 'Save AWS role' }).click();
    await page.getByText('arn:aws:iam::123456789012:role/dynamiq-e2e in us-east-1').waitFor();
    await page.getByText(`Assumed with your external id ${id}.`).waitFor();
    await shot('cloud');

    // Chat: the answer streams in token by token, then the stored message replaces it.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Chat' })
      .click();
    await page.getByLabel('Message').fill('Which pods are crash-looping?');
    // Records every partial answer the page shows (page code, so a string: no DOM types here).
    await page.evaluate(`{
      const seen = (window.streamed = []);
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="streaming-answer"]');
        if (el?.textContent) seen.push(el.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    }`);
    await page.getByLabel('Message').press('Enter');
    await page.waitForURL('**/conversations/*');
    await page.getByRole('log').getByText(ANSWER).waitFor();
    const streamed = await page.evaluate<string[]>('window.streamed');
    expect(streamed.length).toBeGreaterThan(0);
    expect(streamed.some((t) => t.length < ANSWER.length)).toBe(true);
    await expect.poll(() => page.getByTestId('streaming-answer').count()).toBe(0);
    await shot('conversation');

    // The conversation is listed and opens with both messages.
    await page.getByRole('link', { name: '← Conversations' }).click();
    await page.getByRole('link', { name: /Which pods are crash-looping/ }).click();
    await page.getByRole('log').getByText(ANSWER).waitFor();
    await page.getByRole('log').getByText('Which pods are crash-looping?').waitFor();
    await page.getByRole('link', { name: '← Conversations' }).click();
    await page.getByRole('link', { name: /Which pods are crash-looping/ }).waitFor();
    await shot('conversations');

    for (const [href, name, ready] of [
      ['/chat', 'chat', 'Chat'],
      ['/audit', 'audit', 'Audit log'],
      ['/status', 'status', 'Parts'],
    ] as const) {
      await page.getByRole('navigation', { name: 'Main' }).locator(`a[href="${href}"]`).click();
      await page.getByRole('heading', { name: ready, exact: true }).waitFor();
      if (name === 'status') await page.getByText('Working').first().waitFor();
      await shot(name);
    }

    // The same pages at phone width, in dark mode (it follows the system setting).
    await page.setViewportSize(VIEWPORTS.phone);
    await page.emulateMedia({ colorScheme: 'dark' });
    const conversationUrl = (await app.database.prisma.conversation.findFirstOrThrow()).id;
    for (const [where, name] of [
      ['/integrations', 'integrations'],
      ['/cloud', 'cloud'],
      ['/chat', 'chat'],
      ['/conversations', 'conversations'],
      [`/conversations/${conversationUrl}`, 'conversation'],
      ['/audit', 'audit'],
      ['/status', 'status'],
    ] as const) {
      await page.goto(`${app.url}${where}`);
      await page.locator('main h1').first().waitFor();
      // Nothing sticks out sideways at phone width.
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect(overflow, `${name} overflows by ${overflow}px`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(SHOTS, `${name}-phone.png`), fullPage: true });
    }

    // Sign out ends the session; the portal then says how to sign in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are not signed in').waitFor();
    expect(problems).toEqual([]);
  });
});
