import { describe, it, expect } from 'vitest';
import { BoundedOutput } from './output.js';

const limits = { headBytes: 8, tailBytes: 8 };

describe('BoundedOutput', () => {
  it('keeps short output whole', () => {
    const out = new BoundedOutput(limits);
    out.push(Buffer.from('hello '));
    out.push(Buffer.from('world'));
    expect(out.text()).toBe('hello world');
    expect(out.truncated).toBe(false);
    expect(out.totalBytes).toBe(11);
  });

  it('keeps output of exactly head plus tail whole', () => {
    const out = new BoundedOutput(limits);
    out.push(Buffer.from('0123456789abcdef'));
    expect(out.text()).toBe('0123456789abcdef');
    expect(out.truncated).toBe(false);
  });

  it('keeps head and tail of long output across many small chunks', () => {
    const out = new BoundedOutput(limits);
    const text = Array.from({ length: 1000 }, (_, i) => String(i % 10)).join('');
    for (const ch of text) out.push(Buffer.from(ch));
    expect(out.truncated).toBe(true);
    expect(out.totalBytes).toBe(1000);
    expect(out.text()).toBe(`01234567\n[... 984 bytes omitted ...]\n${text.slice(-8)}`);
  });

  it('keeps the tail right when one chunk is larger than the tail', () => {
    const out = new BoundedOutput(limits);
    out.push(Buffer.from('abc'));
    out.push(Buffer.from('defghijklmnopqrstuvwxyz'));
    expect(out.text()).toBe('abcdefgh\n[... 10 bytes omitted ...]\nstuvwxyz');
  });

  it('does not split a multi-byte character at either cut', () => {
    const out = new BoundedOutput({ headBytes: 4, tailBytes: 4 });
    // The 3-byte "€" straddles the head limit, and the last 4 bytes start inside a "€".
    out.push(Buffer.from('aaa€', 'utf8'));
    out.push(Buffer.from('x'.repeat(20), 'utf8'));
    out.push(Buffer.from('€€', 'utf8'));
    const text = out.text();
    expect(text.startsWith('aaa\n')).toBe(true);
    expect(text.endsWith('\n€')).toBe(true);
    expect(text).not.toContain('\uFFFD');
  });

  it('supports a zero-byte tail', () => {
    const out = new BoundedOutput({ headBytes: 2, tailBytes: 0 });
    out.push(Buffer.from('abcdef'));
    expect(out.text()).toBe('ab\n[... 4 bytes omitted ...]\n');
  });
});
