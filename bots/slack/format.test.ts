import { describe, expect, it } from 'vitest';
import { BLOCKS_PER_MESSAGE, SECTION_CHARS, markdownToMrkdwn, renderMessages } from './format.js';

describe('markdown to Slack', () => {
  it('converts emphasis, links, headings and lists, and leaves code alone', () => {
    expect(
      markdownToMrkdwn('# Title\n**bold** and *it* ~~gone~~ [docs](https://x.dev/a)\n- one\n- two'),
    ).toBe('*Title*\n*bold* and _it_ ~gone~ <https://x.dev/a|docs>\n• one\n• two');
    expect(markdownToMrkdwn('use `a **b** <c>` and\n```sh\nls **/*.ts <x>\n```')).toBe(
      'use `a **b** <c>` and\n```\nls **/*.ts <x>\n```',
    );
    expect(markdownToMrkdwn('1 < 2 & 3 > 2')).toBe('1 &lt; 2 &amp; 3 &gt; 2');
  });

  it('splits long answers into sections and messages within Slack limits, losing nothing', () => {
    const paragraphs = Array.from({ length: 120 }, (_, i) => `p${i}`);
    const parts = renderMessages(paragraphs.join('\n\n'));
    expect(parts.map((p) => p.blocks.length)).toEqual([50, 50, 20]);
    expect(parts.flatMap((p) => p.blocks.map((b) => b.text.text))).toEqual(paragraphs);
    const huge = Array.from({ length: 400 }, (_, i) => `line ${i} ${'z'.repeat(30)}`).join('\n');
    const sections = renderMessages(huge).flatMap((p) => p.blocks.map((b) => b.text.text));
    expect(sections.every((s) => s.length <= SECTION_CHARS)).toBe(true);
    expect(sections.join('\n')).toBe(huge);
    expect(renderMessages(huge).every((p) => p.blocks.length <= BLOCKS_PER_MESSAGE)).toBe(true);
  });

  it('closes and reopens a code fence split across sections', () => {
    const code =
      '```\n' +
      Array.from({ length: 300 }, (_, i) => `echo ${i} ${'q'.repeat(20)}`).join('\n') +
      '\n```';
    const sections = renderMessages(code).flatMap((p) => p.blocks.map((b) => b.text.text));
    expect(sections.length).toBeGreaterThan(1);
    for (const s of sections) {
      expect(s.startsWith('```')).toBe(true);
      expect(s.trimEnd().endsWith('```')).toBe(true);
    }
  });
});
