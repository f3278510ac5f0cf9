import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Paths the portal never answers for: the API, sign-in, probes and chat webhooks. */
const NOT_PORTAL = /^\/(api|auth|healthz|readyz|slack|teams|discord|assets)(\/|$)/;

// The built page loads only its own hashed files; Radix sets inline styles on popovers.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-cache',
} as const;

/** The built portal (web/app/dist), or why it cannot be served. */
export interface Portal {
  /** True when `dir` holds a built index.html. */
  readonly built: boolean;
  /** Sends index.html: the page for every portal path (the app routes in the browser). */
  sendPage(reply: FastifyReply, headers?: Record<string, string>): Promise<FastifyReply>;
  /** True for a GET of a path the single-page app owns (no file extension, not the API). */
  owns(request: FastifyRequest): boolean;
}

/**
 * The built portal at `/`: hashed files under /assets with a year-long immutable
 * cache, index.html with `no-cache` so a new build is picked up at once. Unknown portal paths
 * get index.html (the browser routes them); unknown API paths keep their JSON 404.
 */
export function openPortal(dir: string | undefined): Portal & { dir: string | undefined } {
  const indexFile = dir ? path.join(dir, 'index.html') : '';
  const built = indexFile !== '' && existsSync(indexFile);
  const portal = {
    dir,
    built,
    async sendPage(reply: FastifyReply, headers: Record<string, string> = {}) {
      // Read on every request (a few hundred bytes): a rebuild replaces the hashed files it
      // names, so a copy kept in memory would point at files that are gone.
      const page = await readFile(indexFile, 'utf8');
      return reply
        .headers({ ...PAGE_HEADERS, ...headers })
        .type('text/html; charset=utf-8')
        .send(page);
    },
    owns(request: FastifyRequest) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const pathname = request.url.split('?')[0]!;
      return !NOT_PORTAL.test(pathname) && !path.posix.basename(pathname).includes('.');
    },
  };
  return portal;
}

/** Registers the built files and `/`; a portal that is not built registers nothing. */
export async function portalRoutes(
  app: FastifyInstance,
  portal: ReturnType<typeof openPortal>,
): Promise<void> {
  const { dir } = portal;
  if (!portal.built || !dir) return;
  const indexFile = path.join(dir, 'index.html');
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: false,
    cacheControl: false,
    setHeaders(res, file) {
      const hashed = file.startsWith(path.join(dir, 'assets') + path.sep);
      res.header(
        'cache-control',
        hashed
          ? 'public, max-age=31536000, immutable'
          : file === indexFile
            ? 'no-cache'
            : 'public, max-age=3600',
      );
      res.header('x-content-type-options', 'nosniff');
    },
  });
  app.get('/', (_request, reply) => portal.sendPage(reply));
}
