import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { frameworkErrorHandler } from './errors.js';

// Found by the API fuzz test (test/e2e/fuzz.test.ts): a path parameter over the router's
// 100-character limit reached `frameworkErrors` and was answered 500.
describe('failures before routing', () => {
  const app = Fastify({ frameworkErrors: frameworkErrorHandler });
  app.get('/api/things/:id', async () => ({ ok: true }));

  it('a path parameter over the length limit is 414 in the error envelope', async () => {
    const res = await app.inject(`/api/things/${'x'.repeat(300)}`);
    expect(res.statusCode).toBe(414);
    expect(res.json()).toEqual({
      error: { code: 'dynamiq.http.uri_too_long', message: expect.any(String) },
    });
    expect(res.body).not.toContain('xxxx');
  });

  it('a URL that does not decode is 400', async () => {
    const res = await app.inject('/api/things/%zz');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('dynamiq.http.bad_request');
  });
});
