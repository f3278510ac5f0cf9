import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The Connect protocol as the e2b SDK speaks it to envd (JSON codec): unary calls are plain
 * JSON POSTs; server streams carry messages in envelopes of one flag byte and a big-endian
 * 32-bit length, the last one flagged 0x02 holding the end-of-stream trailer.
 */

const END_STREAM_FLAG = 0x02;

// Connect error codes and the HTTP status each maps to on unary calls.
const HTTP_STATUS: Record<string, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  unimplemented: 404,
  internal: 500,
};

export class RpcError extends Error {
  constructor(
    readonly code: keyof typeof HTTP_STATUS,
    message: string,
  ) {
    super(message);
  }
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The first (for server streams, the only) message of an enveloped request body. */
export function decodeEnvelope(body: Buffer): unknown {
  if (body.length < 5) throw new RpcError('invalid_argument', 'missing envelope');
  const length = body.readUInt32BE(1);
  return JSON.parse(body.subarray(5, 5 + length).toString('utf8'));
}

export function encodeEnvelope(message: unknown, flags = 0): Buffer {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(5);
  header.writeUInt8(flags, 0);
  header.writeUInt32BE(json.length, 1);
  return Buffer.concat([header, json]);
}

export function sendUnary(res: ServerResponse, message: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(message));
}

export function sendUnaryError(res: ServerResponse, err: RpcError): void {
  res.writeHead(HTTP_STATUS[err.code] ?? 500, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code: err.code, message: err.message }));
}

/** A server-streaming response: open it, send messages, then end with an optional error. */
export class ServerStream {
  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, { 'content-type': 'application/connect+json' });
  }

  send(message: unknown): void {
    this.res.write(encodeEnvelope(message));
  }

  end(error?: RpcError): void {
    const trailer = error ? { error: { code: error.code, message: error.message } } : {};
    this.res.end(encodeEnvelope(trailer, END_STREAM_FLAG));
  }
}
