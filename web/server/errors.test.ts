import { Writable } from 'node:stream';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LlmRequestRejectedError } from '../../activities/llm/index.js';
import { SandboxNotFoundError } from '../../activities/sandbox/index.js';
import { BrokerAuthError, BrokerUpstreamError } from '../../broker/index.js';
import { ReconnectRequiredError } from '../../integrations/connections/index.js';
import { ConfigError } from '../../lib/config/index.js';
import { DecryptError } from '../../lib/crypto/index.js';
import type { DynamiqError } from '../../lib/errors/index.js';
import { SandboxTokenError } from '../../lib/sandbox-access/index.js';
import { McpUnknownAppError } from '../../mcp/index.js';
import { HttpError, errorHandler } from './errors.js';

/** One error of every domain, with the status and code the client must see. */
const DOMAIN_ERRORS: [string, () => DynamiqError, number, string][] = [
  ['sandbox', () => new SandboxNotFoundError('sb-1'), 404, 'dynamiq.sandbox.not_found'],
  [
    'broker',
    () => new BrokerAuthError('dynamiq.broker.expired', 'The token expired; ask for a new one.'),
    401,
    'dynamiq.broker.expired',
  ],
  [
    'broker upstream',
    () => new BrokerUpstreamError('dynamiq.broker.upstream_failed', 'aws', 'STS is down.'),
    502,
    'dynamiq.broker.upstream_failed',
  ],
  ['mcp', () => new McpUnknownAppError('nope', ['github']), 404, 'dynamiq.mcp.unknown_app'],
  [
    'connections',
    () => new ReconnectRequiredError('github', 'GitHub'),
    409,
    'dynamiq.connections.reconnect_required',
  ],
  [
    'sandbox token',
    () => new SandboxTokenError('dynamiq.sandbox_token.invalid_signature', 'Not signed by us.'),
    401,
    'dynamiq.sandbox_token.invalid_signature',
  ],
  [
    'config',
    () => new ConfigError(['JWT_SECRET must be 32 characters or more']),
    500,
    'dynamiq.config.invalid',
  ],
  [
    'crypto',
    () => new DecryptError('dynamiq.crypto.unknown_key', 'Sealed with key k9, not in the keyring.'),
    500,
    'dynamiq.crypto.unknown_key',
  ],
  [
    'llm',
    () => new LlmRequestRejectedError(401, 'the LLM server refused the request (HTTP 401)'),
    502,
    'dynamiq.llm.request_rejected',
  ],
  [
    'http',
    () => new HttpError(403, 'forbidden', 'Only an administrator does this.'),
    403,
    'dynamiq.http.forbidden',
  ],
];

let app: FastifyInstance;
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(pino({ level: 'info' }, sink)));
  const typed = app.withTypeProvider<ZodTypeProvider>();
  DOMAIN_ERRORS.forEach(([, make], i) => {
    app.get(`/domain-${i}`, async () => {
      throw make();
    });
  });
  app.get('/bug', async () => {
    throw new Error('secret internals: postgres://admin:hunter2@db');
  });
  typed.post(
    '/things',
    { schema: { body: z.strictObject({ name: z.string().min(1), count: z.number().int() }) } },
    async () => ({ ok: true }),
  );
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

describe('the error handler', () => {
  it.each(
    DOMAIN_ERRORS.map(([domain, make, status, code], i) => ({ domain, make, status, code, i })),
  )(
    'sends a $domain error as {error:{code,message}} with its status',
    async ({ make, status, code, i }) => {
      const res = await app.inject({ method: 'GET', url: `/domain-${i}` });
      expect(res.statusCode).toBe(status);
      expect(res.json()).toEqual({ error: { code, message: make().message } });
      expect(res.headers['www-authenticate']).toBe(status === 401 ? 'Bearer' : undefined);
    },
  );

  it('answers an unexpected error with a 500 and no internals, and logs the route, not the URL', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/bug?token=sign-in-secret&code=oauth-code',
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: {
        code: 'dynamiq.http.internal',
        message: 'Something went wrong; see the server log.',
      },
    });
    expect(res.body).not.toContain('secret internals');
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    const logged = logLines.join('');
    expect(logged).toContain('"route":"/bug"');
    expect(logged).toContain('secret internals');
    expect(logged).not.toContain('sign-in-secret');
    expect(logged).not.toContain('oauth-code');
  });

  it('names the bad field of an invalid body in a 400', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      payload: { name: '', count: 1.5 },
    });
    expect(res.statusCode).toBe(400);
    const { error } = res.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('dynamiq.http.invalid_request');
    expect(error.message).toContain('body.name');
    expect(error.message).toContain('body.count');
  });

  it("keeps Fastify's own 4xx: a bad JSON body and an unsupported media type", async () => {
    const badJson = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ error: { code: 'dynamiq.http.bad_request' } });
    const xml = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toMatchObject({ error: { code: 'dynamiq.http.unsupported_media_type' } });
  });
});
