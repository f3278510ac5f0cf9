/**
 * The portal in headless Chromium on localhost, against the product as `npm start` runs it
 * (its own process, embedded Temporal and the embedded PostgreSQL, the fake OpenAI):
 * - the JavaScript the first page (/integrations) loads, raw and gzipped (gzip -9 of each file;
 *   the server sends them uncompressed, a reverse proxy usually compresses);
 * - time to first render of the Integrations page (navigation start → the first catalog card
 *   in the DOM), cold (empty cache) and warm;
 * - time to first render of a 200-message conversation (navigation start → all 200 shown).
 *   npm run bench -- portal        (RUNS=20 to change)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { buildPortal, portalIsStale } from '../scripts/portal-build.js';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { launchChromium } from '../test/helpers/chromium.js';
import { formatMs, percentiles } from './stats.js';

const RUNS = Number(process.env.RUNS ?? 20);
const TURNS = 100; // a user message and an answer each: 200 messages

if (portalIsStale()) await buildPortal();
const llm = await startFakeOpenAI({ reply: (r) => `answer to ${r.messages.at(-1)?.content}` });
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-bench-'));
const token = 'bench-token-0123456789abcdefghij';
const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
const app = spawn(process.execPath, ['--import', 'tsx', 'bin/dynamiq.ts', 'start'], {
  env: {
    ...process.env,
    DYNAMIQ_DATA_DIR: dataDir,
    PORT: String(port),
    PUBLIC_URL: base,
    LLM_BASE_URL: llm.baseUrl,
    DYNAMIQ_API_TOKEN: token,
    // One user and one address send every request here: lift the per-user and per-address caps.
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_STARTS_PER_MINUTE: '1000000',
    MAX_STREAMS_PER_USER: '10000',
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const link = await new Promise<string>((resolve, reject) => {
  let out = '';
  app.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /http\S+\/auth\/link\?token=[\w.-]+/.exec(out);
    if (m && out.includes('\n', m.index + m[0].length)) resolve(m[0]);
  });
  app.once('exit', (code) => reject(new Error(`app exited with ${code}`)));
});
const chromium = await launchChromium();

try {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ title: 'long' }),
  });
  const conversationId = ((await created.json()) as { conversation: { id: string } }).conversation
    .id;
  for (let i = 0; i < TURNS; i++) {
    const res = await fetch(`${base}/api/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ text: `message ${i}` }),
    });
    await res.text();
  }

  // Sign in once the way a person does; every context below reuses the cookie.
  const signIn = await chromium.browser.newContext();
  const first = await signIn.newPage();
  await first.goto(link);
  await first.getByRole('button', { name: 'Sign in' }).click();
  await first.waitForURL('**/integrations');
  const storageState = await signIn.storageState();
  await signIn.close();

  // Records when the first element matching `selector` (or `count` of them) is in the DOM.
  const marker = (selector: string, count: number) => `{
    const done = () => document.querySelectorAll(${JSON.stringify(selector)}).length >= ${count};
    new MutationObserver((_, obs) => {
      if (done()) { window.__rendered = performance.now(); obs.disconnect(); }
    }).observe(document, { subtree: true, childList: true });
  }`;
  async function timeTo(page: Page, url: string, selector: string, count: number) {
    await page.addInitScript(marker(selector, count));
    await page.goto(url);
    // Functions, not strings: the page's CSP refuses eval.
    await page.waitForFunction(
      () => (globalThis as { __rendered?: number }).__rendered !== undefined,
    );
    return (await page.evaluate(() => (globalThis as { __rendered?: number }).__rendered))!;
  }

  // First page's JavaScript, and the cold render, in a fresh context (empty cache).
  const cold: number[] = [];
  let jsRaw = 0;
  let jsGzip = 0;
  for (let i = 0; i < RUNS; i++) {
    const context = await chromium.browser.newContext({ storageState });
    const page = await context.newPage();
    const scripts: Promise<Buffer>[] = [];
    if (i === 0)
      page.on('response', (r) => {
        if (r.request().resourceType() === 'script') scripts.push(r.body());
      });
    cold.push(await timeTo(page, `${base}/integrations`, 'ul[aria-label="Integrations"] li', 1));
    if (i === 0) {
      for (const body of await Promise.all(scripts)) {
        jsRaw += body.length;
        jsGzip += gzipSync(body, { level: 9 }).length;
      }
    }
    await context.close();
  }

  // Warm: the same context (hashed files from the cache, index.html revalidated).
  const warm: number[] = [];
  const warmContext = await chromium.browser.newContext({ storageState });
  for (let i = 0; i < RUNS; i++) {
    const page = await warmContext.newPage();
    warm.push(await timeTo(page, `${base}/integrations`, 'ul[aria-label="Integrations"] li', 1));
    await page.close();
  }
  const long: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const page = await warmContext.newPage();
    long.push(
      await timeTo(
        page,
        `${base}/conversations/${conversationId}`,
        '[role="log"] > li[data-role]',
        200,
      ),
    );
    await page.close();
  }
  await warmContext.close();

  const kB = (n: number) => `${(n / 1024).toFixed(1)} kB`;
  console.log(`first page (/integrations) JavaScript: ${kB(jsRaw)} raw, ${kB(jsGzip)} gzip -9`);
  for (const [label, values] of [
    ['integrations first render, cold', cold],
    ['integrations first render, warm', warm],
    ['200-message conversation render', long],
  ] as const) {
    const p = percentiles(values);
    console.log(
      `${label.padEnd(34)} p50 ${formatMs(p.p50)}  p95 ${formatMs(p.p95)}  (n=${values.length})`,
    );
  }
} finally {
  await chromium.close();
  app.kill('SIGTERM');
  await new Promise((r) => app.once('exit', r));
  await llm.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
