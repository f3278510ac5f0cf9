// Cookies follow PUBLIC_URL: behind https they carry Secure, so a browser never sends the OAuth
// flow's state or a portal session over plain http; on a plain-http deployment (local use) they
// cannot, or the browser would drop them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoginLink } from '../../web/server/index.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';

const JWT_SECRET = 'cookies-test-secret-0123456789abcdefghij';

/** The Set-Cookie line for `name`, attributes split out (`Secure`, `HttpOnly`, ...). */
function cookie(res: Response, name: string): string[] {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  expect(line, `${name} in ${res.headers.getSetCookie().join(' | ')}`).toBeDefined();
  return line!.split(';').map((part) => part.trim().toLowerCase());
}

describe.each([
  ['https', 'https://dynamiq.example.com', true],
  ['http', 'http://127.0.0.1:9', false],
])('with a %s PUBLIC_URL', (_, publicUrl, secure) => {
  // Behind https the flow cookie is `__Host-` (Secure, Path=/, no Domain: no sibling subdomain
  // can plant one); over loopback http the prefix cannot be used, so it is scoped to the callback.
  const flowCookie = secure ? '__Host-dynamiq_oauth_state' : 'dynamiq_oauth_state';
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      JWT_SECRET,
      PUBLIC_URL: publicUrl,
      OAUTH_GITLAB_CLIENT_ID: 'cookie-test-client',
      OAUTH_GITLAB_CLIENT_SECRET: 'cookie-test-secret',
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it(`the OAuth flow cookie is ${secure ? '__Host- and ' : 'not '}Secure`, async () => {
    const res = await app.api('/api/integrations/gitlab/connect', { method: 'POST' });
    expect(res.status).toBe(200);
    const attributes = cookie(res, flowCookie);
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=lax');
    expect(attributes.includes('secure')).toBe(secure);
    expect(attributes).toContain(secure ? 'path=/' : 'path=/api/integrations/oauth/callback');
    expect(attributes.some((a) => a.startsWith('domain='))).toBe(false);
    if (secure) {
      expect(res.headers.getSetCookie().some((c) => c.startsWith('dynamiq_oauth_state='))).toBe(
        false,
      );
    }
  });

  it(`the portal session cookie is ${secure ? '' : 'not '}Secure, and so is its removal`, async () => {
    const { url } = await createLoginLink(JWT_SECRET, app.url, { userId: app.admin.id });
    // The sign-in page's button: a JSON POST with the link's token.
    const signIn = await fetch(`${app.url}/auth/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: new URL(url).searchParams.get('token') }),
    });
    expect(signIn.status).toBe(200);
    const attributes = cookie(signIn, 'dynamiq_session');
    expect(attributes).toContain('httponly');
    expect(attributes.includes('secure')).toBe(secure);

    const session = signIn.headers.getSetCookie()[0]!.split(';')[0]!;
    const { csrfToken } = (await (
      await fetch(`${app.url}/api/session`, { headers: { cookie: session } })
    ).json()) as { csrfToken: string };
    const out = await fetch(`${app.url}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: session, 'x-csrf-token': csrfToken },
    });
    expect(out.status).toBe(204);
    expect(cookie(out, 'dynamiq_session').includes('secure')).toBe(secure);
  });
});
