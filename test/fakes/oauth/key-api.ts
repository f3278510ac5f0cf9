import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KeyApiRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A vendor API that checks API keys the way most do: a "who am I" endpoint that answers 200 with
 * the account for a good key and 401 (or 403) with an error body for a bad one. `accept` decides
 * per request, so one fake serves Bearer keys, PagerDuty's `Token token=` and Datadog's header
 * pair alike. `status` forces an answer (e.g. 503) to test outages.
 */
export async function startFakeKeyApi(opts: {
  accept: (req: KeyApiRequest) => boolean;
  account?: object;
  rejectStatus?: 401 | 403;
}) {
  const requests: KeyApiRequest[] = [];
  let forced: number | undefined;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const request = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
      };
      requests.push(request);
      res.setHeader('content-type', 'application/json');
      if (forced !== undefined) {
        res.writeHead(forced).end(JSON.stringify({ error: 'unavailable' }));
      } else if (opts.accept(request)) {
        res.writeHead(200).end(JSON.stringify(opts.account ?? { email: 'ops@example.com' }));
      } else {
        res
          .writeHead(opts.rejectStatus ?? 401)
          .end(JSON.stringify({ message: 'Invalid API key', code: 'unauthorized' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    requests,
    /** Answer every request with this status until set back to undefined. */
    force(status: number | undefined) {
      forced = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
