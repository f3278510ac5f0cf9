import { describe, expect, it } from 'vitest';
import { TokenBatcher } from './token-batcher.js';

describe('token batching for live events', () => {
  it('sends the first token at once, later ones batched, all in order and nothing lost', async () => {
    const sent: string[] = [];
    const batcher = new TokenBatcher(async (d) => void sent.push(d), 20);
    batcher.push('He');
    expect(sent).toEqual([]); // sends are chained; let the microtask run
    await Promise.resolve();
    await Promise.resolve();
    expect(sent).toEqual(['He']);
    for (const t of ['l', 'lo', ' ', 'wor', 'ld']) batcher.push(t);
    await batcher.drain();
    expect(sent.join('')).toBe('Hello world');
    expect(sent.length).toBe(2);
  });

  it('keeps going when one send fails', async () => {
    const sent: string[] = [];
    let fail = true;
    const batcher = new TokenBatcher(async (d) => {
      if (fail) {
        fail = false;
        throw new Error('bus down');
      }
      sent.push(d);
    }, 5);
    batcher.push('lost');
    batcher.push('kept');
    await batcher.drain();
    expect(sent).toEqual(['kept']);
  });
});
