import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logging.js';
import { buildServer } from './app.js';
import type { ServerDeps } from './deps.js';
import { OPENAPI_PATH } from './openapi.js';

const TOKEN = 'openapi-test-token';
const admin = {
  id: '00000000-0000-4000-8000-000000000001',
  displayName: 'Admin',
  role: 'admin' as const,
};

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown[];
        responses?: unknown;
        parameters?: Array<{ in: string; name: string; required?: boolean }>;
      }
    >
  >;
  components: { securitySchemes: Record<string, unknown> };
}

/** The OpenAPI path of a Fastify URL (`:id` → `{id}`, a trailing `*` → `{path}`). */
const openApiPath = (url: string) =>
  url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\/\*$/, '/{path}');

describe('GET /api/openapi.json', () => {
  let app: Awaited<ReturnType<typeof buildServer>>;
  let portalDir: string;
  const routes: Array<{ method: string; url: string }> = [];

  beforeAll(async () => {
    // A built portal's shape, so its routes are registered too.
    portalDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-openapi-'));
    await fs.writeFile(path.join(portalDir, 'index.html'), '<!doctype html><title>x</title>');
    // Nothing is called while routes are registered or the document is built.
    const deps = {
      db: {} as ServerDeps['db'],
      temporal: {} as ServerDeps['temporal'],
      taskQueue: 'q',
      bus: {} as ServerDeps['bus'],
      log: createLogger('silent'),
      apiToken: TOKEN,
      jwtSecret: 'x'.repeat(32),
      publicUrl: 'http://127.0.0.1:3000',
      admin,
      connections: {} as ServerDeps['connections'],
      portalDir,
    } satisfies ServerDeps;
    // Fastify announces each new instance: its onRoute hook sees every route buildServer adds.
    const onInit = (message: unknown) =>
      (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route) => {
        for (const method of [route.method].flat()) routes.push({ method, url: route.url });
      });
    diagnostics.subscribe('fastify.initialization', onInit);
    try {
      app = await buildServer(deps as ServerDeps);
    } finally {
      diagnostics.unsubscribe('fastify.initialization', onInit);
    }
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await fs.rm(portalDir, { recursive: true, force: true });
  });

  it('is refused without credentials, or with a wrong token', async () => {
    const none = await app.inject({ url: OPENAPI_PATH });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('dynamiq.http.unauthorized');
    const wrong = await app.inject({
      url: OPENAPI_PATH,
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('describes every route the server registered, with the security schemes', async () => {
    const res = await app.inject({
      url: OPENAPI_PATH,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as OpenApiDoc;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Dynamiq API');
    const pkg = JSON.parse(await fs.readFile('package.json', 'utf8')) as { version: string };
    expect(doc.info.version).toBe(pkg.version);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'bearer',
      'sandboxToken',
      'session',
    ]);

    expect(routes.length).toBeGreaterThan(30);
    const missing = routes
      .filter((r) => r.method !== 'HEAD')
      .filter((r) => !doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()])
      // Extra methods of `.all()` (PROPFIND, ...) have no place in an OpenAPI 3.1 path item.
      .filter((r) =>
        ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE'].includes(r.method),
      )
      .map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);

    // The shape OpenAPI 3.1 asks for: answers on every operation, every templated segment
    // declared as a required path parameter.
    for (const [p, item] of Object.entries(doc.paths)) {
      expect(p).toMatch(/^\//);
      const templated = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        expect(op.responses, `${method} ${p}`).toBeDefined();
        const declared = (op.parameters ?? [])
          .filter((x) => x.in === 'path' && x.required)
          .map((x) => x.name);
        expect(declared.sort(), `${method} ${p}`).toEqual([...templated].sort());
      }
    }
    // Who may call what.
    expect(doc.paths[OPENAPI_PATH]!.get!.security).toEqual([{ bearer: [] }, { session: [] }]);
    expect(doc.paths['/api/conversations']!.post!.security).toEqual([
      { bearer: [] },
      { session: [] },
    ]);
    expect(doc.paths['/api/proxy/{id}/{path}']!.get!.security).toEqual([{ sandboxToken: [] }]);
    expect(doc.paths['/healthz']!.get!.security).toBeUndefined();
    // Streams and raw bodies say so.
    expect(JSON.stringify(doc.paths['/api/conversations/{id}/events']!.get)).toContain(
      'text/event-stream',
    );
  });

  it('turns zod schemas into parameters and request bodies', async () => {
    const doc = (
      await app.inject({ url: OPENAPI_PATH, headers: { authorization: `Bearer ${TOKEN}` } })
    ).json() as OpenApiDoc;
    const op = doc.paths['/api/conversations/{id}/messages']!.post as unknown as {
      parameters: Array<{ in: string; name: string; schema: { format?: string } }>;
      requestBody: { content: Record<string, { schema: { required?: string[] } }> };
    };
    expect(op.parameters).toContainEqual(
      expect.objectContaining({
        in: 'path',
        name: 'id',
        schema: expect.objectContaining({ format: 'uuid' }),
      }),
    );
    expect(op.requestBody.content['application/json']!.schema.required).toContain('text');
  });
});
