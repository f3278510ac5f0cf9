// What one address or one user can make the api do: floods of refused requests get 429s and
// write nothing, starts and open streams are capped per user, and each limit says when to retry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';

const FAILURES = 20;
const STARTS = 5;
const STREAMS = 2;

let llm: FakeOpenAI;
let app: TestApp;

beforeAll(async () => {
  llm = await startFakeOpenAI();
  app = await startTestApp({
    LLM_BASE_URL: llm.baseUrl,
    RATE_LIMIT_FAILURES_PER_MINUTE: String(FAILURES),
    RATE_LIMIT_STARTS_PER_MINUTE: String(STARTS),
    MAX_STREAMS_PER_USER: String(STREAMS),
  });
});
afterAll(async () => {
  await app?.close();
  await llm?.close();
});

/** Rows in every table of the app's database. */
async function rowCounts(): Promise<Record<string, number>> {
  const tables = await app.database.sql.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [row] = await app.database.sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${table_name}"`,
    );
    counts[table_name] = Number(row!.n);
  }
  return counts;
}

describe('rate limits', () => {
  it('answers a flood of refused requests from one address with 429 and writes nothing', async () => {
    const before = await rowCounts();
    const statuses: number[] = [];
    // Wrong API tokens and forged sandbox tokens at the broker, interleaved.
    for (let i = 0; i < FAILURES + 15; i++) {
      const res =
        i % 2
          ? await fetch(`${app.url}/api/conversations`, {
              headers: { authorization: `Bearer wrong-token-${i}` },
            })
          : await fetch(`${app.url}/api/cloud/aws/credentials`, {
              method: 'POST',
              headers: {
                authorization: `Bearer forged.${i}.token`,
                'content-type': 'application/json',
              },
              body: JSON.stringify({ name: 'prod' }),
            });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
          'dynamiq.http.rate_limited',
        );
      } else await res.body?.cancel();
    }
    expect(statuses).toEqual([...Array(FAILURES).fill(401), ...Array(15).fill(429)]);
    // Even the right token waits now: the address, not the token, is what is limited.
    expect((await app.api('/api/conversations')).status).toBe(429);
    expect(await rowCounts()).toEqual(before);
  });
});

describe('per-user caps', () => {
  let other: TestApp;
  beforeAll(async () => {
    other = await startTestApp({
      LLM_BASE_URL: llm.baseUrl,
      RATE_LIMIT_STARTS_PER_MINUTE: String(STARTS),
      MAX_STREAMS_PER_USER: String(STREAMS),
    });
  });
  afterAll(() => other?.close());

  it(`lets one user start ${STARTS} conversations a minute, then says when to retry`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < STARTS + 2; i++) {
      const res = await other.api('/api/conversations', {
        method: 'POST',
        json: { title: `start ${i}` },
      });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      await res.body?.cancel();
    }
    expect(statuses).toEqual([...Array(STARTS).fill(201), 429, 429]);
    expect(await other.database.prisma.conversation.count()).toBe(STARTS);
  });

  it(`holds at most ${STREAMS} event streams open for one user`, async () => {
    const [conversation] = await other.database.prisma.conversation.findMany({ take: 1 });
    const url = `/api/conversations/${conversation!.id}/events`;
    const open = new AbortController();
    const streams = await Promise.all(
      Array.from({ length: STREAMS }, () => other.api(url, { signal: open.signal })),
    );
    expect(streams.map((s) => s.status)).toEqual(Array(STREAMS).fill(200));
    const refused = await other.api(url);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /event streams open/,
    );
    // Closing one frees its slot.
    open.abort();
    await expect
      .poll(async () => {
        const res = await other.api(url, { signal: AbortSignal.timeout(2_000) });
        const status = res.status;
        await res.body?.cancel().catch(() => undefined);
        return status;
      })
      .toBe(200);
  });
});
