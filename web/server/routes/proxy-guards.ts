// What the API proxy checks on the way in (the path, the body's size) and rewrites on the way out
// (cookies, redirects), so that a sandbox can reach its integration's API with the user's key and
// nothing else.
import type { IncomingHttpHeaders } from 'node:http';
import { Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import { HttpError } from '../errors.js';

/**
 * Refuses a path whose segments, once percent-decoded, hold a slash, a backslash or a dot
 * segment. The URL parser resolves `..` and `%2e%2e`, but keeps `%2F` as it is: an upstream (or a
 * proxy in front of it) that decodes `%2F` before resolving would read `/v1/..%2F..%2Fadmin` as
 * `/admin`, outside the base the check below it allowed.
 */
export function assertPlainSegments(path: string, apiName: string): void {
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new HttpError(400, 'invalid_path', `The path has a malformed percent-encoding.`);
    }
    if (decoded === '.' || decoded === '..' || /[/\\]/.test(decoded)) {
      throw new HttpError(
        400,
        'invalid_path',
        `The path must stay under ${apiName}'s API: no encoded slashes, backslashes or dot segments.`,
      );
    }
  }
}

/** Counts a request body as it streams through and fails it past `limit` bytes. */
export class BodyLimit extends Transform {
  private seen = 0;
  /** Set once the body went past the limit. */
  exceeded = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      this.exceeded = true;
      done(new HttpError(413, 'body_too_large', `The proxy forwards at most ${this.limit} bytes.`));
      return;
    }
    done(null, chunk);
  }
}

/**
 * The request body as the upstream gets it: `payload` through a BodyLimit. Content-Length is
 * checked before anything is sent; a chunked body (no length) is cut off when it passes the
 * limit, which fails the upstream request. The sandbox's request is then left unread (paused),
 * and the 413 closes its connection rather than reading the rest.
 */
export function limitBody(payload: Readable, limit: number): BodyLimit {
  const limited = new BodyLimit(limit);
  payload.pipe(limited);
  limited.on('error', () => {
    payload.unpipe(limited);
    payload.pause();
  });
  return limited;
}

/**
 * The upstream answer's headers for the sandbox. Cookies are dropped: the proxy is not a browser
 * session, and a cookie set here would land on Dynamiq's own origin. A redirect under the API
 * base becomes the same place through the proxy; a redirect anywhere else is dropped, so the
 * proxy never sends a client off to an address it did not check.
 */
export function rewriteUpstreamHeaders(
  headers: IncomingHttpHeaders,
  where: { target: URL; base: URL; proxyPrefix: string },
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers, 'cache-control': 'no-store' };
  delete out['set-cookie'];
  for (const name of ['location', 'content-location'] as const) {
    const value = out[name];
    if (value === undefined) continue;
    const rewritten = throughProxy(value, where);
    if (rewritten === undefined) delete out[name];
    else out[name] = rewritten;
  }
  return out;
}

function throughProxy(
  value: string,
  { target, base, proxyPrefix }: { target: URL; base: URL; proxyPrefix: string },
): string | undefined {
  let url: URL;
  try {
    url = new URL(value, target);
  } catch {
    return undefined;
  }
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return undefined;
  return `${proxyPrefix}/${url.pathname.slice(base.pathname.length)}${url.search}${url.hash}`;
}
