import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANSWER_FILE_NAME,
  MAX_MESSAGES_PER_ANSWER,
  MESSAGE_LIMIT,
  planAnswer,
  splitMarkdown,
  stripMention,
} from './format.js';

/** Whether every fence in a part is closed by the end of that part. */
function balanced(part: string): boolean {
  let open: string | null = null;
  for (const line of part.split('\n')) {
    const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!m) continue;
    if (open === null) open = m[1]!;
    else if (m[2]!.trim() === '' && m[1]![0] === open[0] && m[1]!.length >= open.length)
      open = null;
  }
  return open === null;
}

/** The text without fence lines or whitespace: what a split may not lose or reorder. */
const content = (text: string) =>
  text
    .split('\n')
    .filter((l) => !/^ {0,3}(`{3,}|~{3,})/.test(l))
    .join('')
    .replace(/\s+/g, '');

describe('splitMarkdown', () => {
  it('keeps a short answer as one message, markdown untouched', () => {
    const text = '**Pods**\n\n- `web-1` running\n- `web-2` pending\n\n```sh\nkubectl get pods\n```';
    expect(splitMarkdown(text)).toEqual([text]);
  });

  it('splits at paragraph boundaries', () => {
    const para = (n: number) => `Paragraph ${n} ${'a'.repeat(900)}`;
    const text = [para(1), para(2), para(3)].join('\n\n');
    const parts = splitMarkdown(text);
    expect(parts).toEqual([`${para(1)}\n\n${para(2)}`, para(3)]);
  });

  it('closes a code block at the end of a part and reopens it with its language', () => {
    const lines = Array.from(
      { length: 120 },
      (_, i) => `echo line-${String(i).padStart(3, '0')}-${'x'.repeat(20)}`,
    );
    const text = `Here is the script:\n\n\`\`\`bash\n${lines.join('\n')}\n\`\`\`\n\nThat is all.`;
    const parts = splitMarkdown(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
      expect(balanced(part)).toBe(true);
    }
    // The paragraph before the block is a boundary; the block is cut between its lines.
    expect(parts[0]).toBe('Here is the script:');
    expect(parts[1]!.startsWith('```bash\n')).toBe(true);
    expect(parts[1]!.endsWith('\n```')).toBe(true);
    expect(parts[2]!.startsWith('```bash\n')).toBe(true);
    expect(content(parts.join('\n'))).toBe(content(text));
  });

  it('closes a fence the answer left open', () => {
    expect(splitMarkdown('look:\n```js\nconst a = 1;')).toEqual([
      'look:\n```js\nconst a = 1;\n```',
    ]);
  });

  it('cuts a line longer than a message', () => {
    const parts = splitMarkdown('x'.repeat(4_500));
    expect(parts.map((p) => p.length)).toEqual([2_000, 2_000, 500]);
  });

  it('never loses text, never exceeds the limit, and leaves no fence open (property)', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 120 }).map((s) => s.replace(/[\n\r`~]/g, 'z')),
      fc.constantFrom('', '```', '```ts', '~~~', '- item', '# Title', 'x'.repeat(2_500)),
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 80 }),
        fc.integer({ min: 60, max: 2_000 }),
        (lines, limit) => {
          const text = lines.join('\n');
          const parts = splitMarkdown(text, limit);
          for (const part of parts) {
            expect(part.length).toBeLessThanOrEqual(limit);
            expect(balanced(part)).toBe(true);
          }
          expect(content(parts.join('\n'))).toBe(content(text));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('planAnswer', () => {
  it('sends a 4,500-character answer with a code block as three messages', () => {
    const code = Array.from({ length: 40 }, (_, i) => `line ${i} ${'c'.repeat(40)}`).join('\n');
    const text = `${'Intro '.repeat(200)}\n\n\`\`\`\n${code}\n\`\`\`\n\n${'Outro '.repeat(150)}`;
    expect(text.length).toBeGreaterThan(4_000);
    const plan = planAnswer(text);
    expect(plan.messages).toHaveLength(3);
    expect(plan.file).toBeUndefined();
    for (const m of plan.messages) expect(balanced(m)).toBe(true);
  });

  it('attaches a very long answer as a file after its first part', () => {
    const text = Array.from({ length: 400 }, (_, i) => `Row ${i} ${'y'.repeat(40)}`).join('\n');
    expect(splitMarkdown(text).length).toBeGreaterThan(MAX_MESSAGES_PER_ANSWER);
    const plan = planAnswer(text);
    expect(plan.messages).toHaveLength(1);
    expect(plan.messages[0]!.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
    expect(plan.messages[0]).toContain(ANSWER_FILE_NAME);
    expect(plan.file).toEqual({ name: ANSWER_FILE_NAME, content: text });
  });
});

describe('stripMention', () => {
  it('removes the bot’s mentions in both forms and keeps other people’s', () => {
    expect(stripMention('<@123> list pods for <@456>', '123')).toBe('list pods for <@456>');
    expect(stripMention('hey <@!123>  what broke?', '123')).toBe('hey what broke?');
  });
});
