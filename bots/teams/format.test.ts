import { describe, expect, it } from 'vitest';
import { markdownToTeams, renderMessages } from './format.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('markdownToTeams', () => {
  it('turns headings into bold lines and tables into monospaced blocks, and leaves code alone', () => {
    const md = [
      '# Pods',
      '| name | status |',
      '|------|--------|',
      '| web-1 | Running |',
      '',
      '- [x] deployed',
      '- [ ] verified',
      '```sh',
      '# not a heading',
      '| not | a table |',
      '|-----|---------|',
      '```',
      '![graph](https://example.com/g.png)',
    ].join('\n');
    expect(markdownToTeams(md)).toBe(
      [
        '**Pods**',
        '```',
        '| name | status |',
        '|------|--------|',
        '| web-1 | Running |',
        '```',
        '',
        '- ☑ deployed',
        '- ☐ verified',
        '```sh',
        '# not a heading',
        '| not | a table |',
        '|-----|---------|',
        '```',
        '[graph](https://example.com/g.png)',
      ].join('\n'),
    );
  });

  it('closes a fence the answer left open', () => {
    expect(markdownToTeams('```\nkubectl get pods')).toBe('```\nkubectl get pods\n```');
  });
});

describe('renderMessages', () => {
  it('keeps a short answer in one message', () => {
    expect(renderMessages('**done**')).toEqual(['**done**']);
  });

  it('splits a long answer under the byte limit at paragraph ends, losing nothing', () => {
    const paragraphs = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} ${'é'.repeat(900)}`);
    const parts = renderMessages(paragraphs.join('\n\n'), 10_000);
    expect(parts.length).toBeGreaterThan(3);
    for (const p of parts) expect(bytes(p)).toBeLessThanOrEqual(10_000);
    expect(parts.join('\n\n')).toBe(paragraphs.join('\n\n'));
  });

  it('closes and reopens a code fence cut in two, with its language', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    const md = ['Output:', '```json', ...lines, '```', 'Done.'].join('\n');
    const parts = renderMessages(md, 8_000);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(bytes(p)).toBeLessThanOrEqual(8_000);
      expect((p.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    expect(parts[1]!.startsWith('```json\n')).toBe(true);
    const body = parts
      .join('\n')
      .split('\n')
      .filter((l) => l.startsWith('line '));
    expect(body).toEqual(lines);
  });

  it('cuts a single line longer than a message', () => {
    const parts = renderMessages('y'.repeat(25_000), 10_000);
    expect(parts.join('')).toBe('y'.repeat(25_000));
    for (const p of parts) expect(bytes(p)).toBeLessThanOrEqual(10_000);
  });
});
