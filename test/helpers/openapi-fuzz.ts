import fc from 'fast-check';

/** The part of an OpenAPI 3.1 document the fuzzer reads. */
export interface OpenApiDoc {
  paths: Record<string, Record<string, OpenApiOperation>>;
}
interface OpenApiOperation {
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  security?: Array<Record<string, unknown>>;
}
type JsonSchema = Record<string, unknown>;

/** One operation of the document: what the fuzzer varies. */
export interface Operation {
  method: string;
  /** The OpenAPI path, e.g. `/api/conversations/{id}`. */
  path: string;
  pathParams: Array<{ name: string; schema: JsonSchema }>;
  query: Array<{ name: string; required: boolean; schema: JsonSchema }>;
  /** The JSON body's schema, when the operation takes one. */
  body: JsonSchema | undefined;
}

/** A request as sent on the wire: the path is not normalised (`..%2F` stays as it is). */
export interface FuzzRequest {
  method: string;
  /** The operation it targets, `METHOD /path/{param}`. */
  operation: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** What the generator did, for a failure message. */
  shape: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

/** Every operation in the document (TRACE is left out: Node's client refuses to send it). */
export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const params = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params
          .filter((p) => p.in === 'path')
          .map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: !!p.required, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return ops;
}

/** What the fuzzer may put in the credentials header(s); chosen per request. */
export type Credentials = Record<string, string>;

export interface FuzzContext {
  /** Identifiers that exist (a conversation, the administrator), so some requests go deeper. */
  knownIds: string[];
  /** Other path segments that name something (integration ids, MCP apps). */
  knownSegments: string[];
  /** The server's body limit, in bytes: some bodies are just over it. */
  bodyLimit: number;
  /** Credential header sets to draw from. */
  credentials: Credentials[];
}

// Path segments that should each get a clean 4xx.
const BAD_SEGMENTS = [
  'not-a-uuid',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '..',
  '%00',
  '%zz',
  '%',
  '%E0%A4%A',
  '%F0%9F%92%A9',
  '00000000-0000-0000-0000-00000000000g',
  'x'.repeat(300),
  '9'.repeat(40),
  '-1',
  'null',
  '%20',
  '__proto__',
  'constructor',
];

const JSON_TYPES = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 20 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);

/** A value that the schema probably accepts (best effort: formats, enums, patterns). */
export function valueOf(schema: JsonSchema, ctx: FuzzContext, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 4) return fc.constant(null);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alts = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (alts?.length) return fc.oneof(...alts.map((s) => valueOf(s, ctx, depth + 1)));
  const type = Array.isArray(schema.type) ? (schema.type[0] as string) : (schema.type as string);
  switch (type) {
    case 'string':
      return stringOf(schema, ctx);
    case 'integer': {
      const min = (schema.minimum as number | undefined) ?? -10;
      const max = (schema.maximum as number | undefined) ?? Math.max(min + 100, 100);
      return fc.integer({ min: Math.ceil(min), max: Math.floor(Math.min(max, 2 ** 31)) });
    }
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valueOf((schema.items as JsonSchema) ?? {}, ctx, depth + 1), {
        maxLength: 3,
      });
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((schema.required ?? []) as string[]);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(props)) record[k] = valueOf(s, ctx, depth + 1);
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in props) });
    }
    default:
      return JSON_TYPES;
  }
}

function stringOf(schema: JsonSchema, ctx: FuzzContext): fc.Arbitrary<string> {
  const format = schema.format as string | undefined;
  if (format === 'uuid') return fc.oneof(fc.uuid(), fc.constantFrom(...ctx.knownIds));
  if (format === 'email') return fc.emailAddress();
  if (format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (format === 'uri' || format === 'url') return fc.webUrl();
  if (typeof schema.pattern === 'string') {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= 300);
    } catch {
      // An expression JavaScript cannot read: any string.
    }
  }
  const min = (schema.minLength as number | undefined) ?? 0;
  const max = Math.min((schema.maxLength as number | undefined) ?? 40, 60);
  return fc.string({ minLength: Math.min(min, max), maxLength: Math.max(min, max) });
}

/** A value of another JSON type than the schema's. */
function wrongType(schema: JsonSchema): fc.Arbitrary<unknown> {
  const type = schema.type;
  return JSON_TYPES.filter((v) => {
    const t = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
    if (type === 'integer' || type === 'number') return t !== 'number';
    return t !== type;
  });
}

/** A body: valid-looking, then broken one way or another. */
function bodyOf(
  op: Operation,
  ctx: FuzzContext,
): fc.Arbitrary<{ body: Buffer | undefined; type?: string; shape: string }> {
  const json = (value: unknown, shape: string) => ({
    body: Buffer.from(JSON.stringify(value) ?? 'null'),
    type: 'application/json',
    shape,
  });
  const schema = op.body ?? { type: 'object', properties: {} };
  const props = Object.keys((schema.properties ?? {}) as object);
  const required = ((schema.required ?? []) as string[]).filter(Boolean);
  const valid = valueOf(schema, ctx);
  const asObject = valid.map((v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {},
  );
  const variants: Array<fc.Arbitrary<{ body: Buffer | undefined; type?: string; shape: string }>> =
    [
      valid.map((v) => json(v, 'schema-shaped body')),
      asObject.map((v) => json({ ...v, [`unknown_${Object.keys(v).length}`]: 1 }, 'unknown field')),
      fc
        .constantFrom(
          '{"a":',
          '{text:1}',
          '[1,2',
          'nul',
          '{"a":1}}',
          '\u0000',
          '{"__proto__":{"x":1}}',
          '"',
        )
        .map((s) => ({
          body: Buffer.from(s),
          type: 'application/json',
          shape: `malformed JSON ${JSON.stringify(s)}`,
        })),
      JSON_TYPES.map((v) => json(v, 'JSON of another type')),
      fc.constant({
        body: Buffer.alloc(ctx.bodyLimit + 1024, 'a'),
        type: 'application/json',
        shape: 'body over the limit',
      }),
      fc.constant({
        body: Buffer.from(JSON.stringify({ [props[0] ?? 'text']: 'x'.repeat(ctx.bodyLimit + 10) })),
        type: 'application/json',
        shape: 'string over the body limit',
      }),
      fc
        .constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/octet-stream',
          'application/json; charset=latin1',
          'application/jsonx',
        )
        .map((type) => ({
          body: Buffer.from('text=hello&a=1'),
          type,
          shape: `content-type ${type}`,
        })),
      fc.constant({ body: Buffer.alloc(0), type: 'application/json', shape: 'empty JSON body' }),
      fc.constant({ body: undefined, shape: 'no body' }),
    ];
  if (props.length > 0) {
    const field = fc.constantFrom(...props);
    variants.push(
      fc
        .tuple(asObject, field)
        .chain(([v, k]) =>
          wrongType(((schema.properties as Record<string, JsonSchema>)[k] ?? {}) as JsonSchema).map(
            (w) => json({ ...v, [k]: w }, `wrong type for ${k}`),
          ),
        ),
      fc
        .tuple(asObject, field)
        .map(([v, k]) => json({ ...v, [k]: 'x'.repeat(70_000) }, `oversized ${k}`)),
    );
  }
  if (required.length > 0) {
    variants.push(
      fc.tuple(asObject, fc.constantFrom(...required)).map(([v, k]) => {
        const { [k]: _, ...rest } = v;
        return json(rest, `missing ${k}`);
      }),
    );
  }
  // A third of the bodies fit the schema, so requests also get past validation.
  const fits = valid.map((v) => json(v, 'schema-shaped body'));
  return fc.oneof(
    { weight: variants.length, arbitrary: fc.oneof(...variants) },
    { weight: Math.ceil(variants.length / 2), arbitrary: fits },
  );
}

/** One path segment for a parameter: valid-looking, or one of the bad ones. */
function segmentOf(schema: JsonSchema, ctx: FuzzContext): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: valueOf(schema, ctx).map((v) => encodeURIComponent(String(v))) },
    { weight: 3, arbitrary: fc.constantFrom(...ctx.knownIds, ...ctx.knownSegments) },
    { weight: 3, arbitrary: fc.constantFrom(...BAD_SEGMENTS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 30, unit: 'binary' }).map(encodeURIComponent) },
    // Over Node's 16 KiB limit on the request head: refused before Fastify sees it.
    { weight: 1, arbitrary: fc.constantFrom('y'.repeat(20_000), 'z'.repeat(2_000)) },
  );
}

function queryOf(op: Operation, ctx: FuzzContext): fc.Arbitrary<string> {
  const pairs = op.query.map((q) =>
    fc.oneof(
      fc.constant<string | undefined>(undefined),
      valueOf(q.schema, ctx).map((v) => `${q.name}=${encodeURIComponent(String(v))}`),
      wrongType(q.schema).map((v) => `${q.name}=${encodeURIComponent(JSON.stringify(v))}`),
      fc.constant(`${q.name}=${'9'.repeat(400)}`),
      fc.constant(`${q.name}=-1&${q.name}=2`),
      fc.constant(`${q.name}=%zz`),
      fc.constant(`${q.name}[a]=1`),
    ),
  );
  const extra = fc.constantFrom<string | undefined>(
    undefined,
    'unknown=1',
    '__proto__[x]=1',
    'a=%',
    '&&&=',
  );
  return fc.tuple(fc.tuple(...pairs), extra).map(([ps, e]) => {
    const parts = [...ps, e].filter((p): p is string => p !== undefined);
    return parts.length ? `?${parts.join('&')}` : '';
  });
}

/** Requests for one operation. */
export function requestsFor(op: Operation, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const segments = fc.tuple(...op.pathParams.map((p) => segmentOf(p.schema, ctx)));
  return fc
    .record({
      segments,
      query: queryOf(op, ctx),
      body: bodyOf(op, ctx),
      credentials: fc.constantFrom(...ctx.credentials),
      accept: fc.constantFrom(undefined, 'application/json', 'text/event-stream', '*/*'),
    })
    .map(({ segments: values, query, body, credentials, accept }) => {
      let path = op.path;
      op.pathParams.forEach((p, i) => (path = path.replace(`{${p.name}}`, values[i]!)));
      const bodyless = op.method === 'GET' || op.method === 'HEAD';
      const headers: Record<string, string> = { ...credentials };
      if (accept) headers.accept = accept;
      if (!bodyless && body.type) headers['content-type'] = body.type;
      return {
        method: op.method,
        operation: `${op.method} ${op.path}`,
        path: path + query,
        headers,
        body: bodyless ? undefined : body.body,
        shape: bodyless ? 'no body' : body.shape,
      };
    });
}
