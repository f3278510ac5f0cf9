import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logging.js';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('writes one JSON object a line for a collector, secrets redacted', () => {
    const out = sink();
    createLogger('info', 'dynamiq', { pretty: false, destination: out.stream }).info(
      { url: 'http://127.0.0.1:3000', headers: { authorization: 'Bearer s3cret' } },
      'API listening',
    );
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, msg: 'API listening', url: 'http://127.0.0.1:3000' });
    expect(out.text()).not.toContain('s3cret');
  });

  it('writes readable lines for a person, secrets still redacted', () => {
    const out = sink();
    createLogger('info', 'dynamiq', { pretty: true, destination: out.stream }).warn(
      { headers: { authorization: 'Bearer s3cret' } },
      'DYNAMIQ_MASTER_KEY is unset',
    );
    expect(out.text()).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: DYNAMIQ_MASTER_KEY is unset\n/);
    expect(() => JSON.parse(out.text())).toThrow();
    expect(out.text()).not.toContain('s3cret');
  });
});
