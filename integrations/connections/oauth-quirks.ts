// Where real providers depart from RFC 6749 and RFC 7009 in ways oauth4webapi rightly refuses,
// their answers are adapted here before the library reads them, so its checks still run on the
// rest. Each quirk names the provider that needs it.
import type { RecognizedTokenTypes } from 'oauth4webapi';
import type { OAuthEndpoints } from '../schema.js';

export type Dialect = OAuthEndpoints['dialect'];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** OAuth error codes are short ASCII words (RFC 6749 §5.2); anything else is not repeated. */
export const errorCode = (value: unknown): string | undefined =>
  typeof value === 'string' && /^[\w.-]{1,64}$/.test(value) ? value : undefined;

async function peekJson(res: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const body: unknown = await res.clone().json();
    return isObject(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a token endpoint's answer before the library does. GitHub (`bad_verification_code`,
 * `bad_refresh_token`) and Slack (`{"ok":false,"error":"invalid_code"}`) report errors with 200;
 * the library would see a token response without `access_token` and fail with the whole body as
 * its cause. It also reads error bodies only on 4xx, while a 5xx may name one too
 * (`temporarily_unavailable`). Slack returns a user token under `authed_user` (the top level
 * holds a bot token, if any), so for Slack that object becomes the token response.
 */
export async function adaptTokenResponse(
  res: Response,
  dialect: Dialect,
): Promise<{ error: string | undefined } | { response: Response }> {
  if (res.status >= 400 && res.status < 500) return { response: res };
  const body = await peekJson(res);
  if (!body) return { response: res };
  if (res.status !== 200) {
    if (typeof body.error !== 'string') return { response: res };
    await res.body?.cancel();
    return { error: errorCode(body.error) };
  }
  if (body.access_token === undefined && (typeof body.error === 'string' || body.ok === false)) {
    await res.body?.cancel();
    return { error: errorCode(body.error) };
  }
  const user = body.authed_user;
  if (dialect === 'slack' && isObject(user) && typeof user.access_token === 'string') {
    await res.body?.cancel();
    return { response: Response.json(user) };
  }
  return { response: res };
}

/**
 * The library accepts only `bearer` and `dpop` token types (RFC 6749 §7.1). Slack's `token_type`
 * says which kind of token it issued (`bot` or `user`), not how to present it: its Web API takes
 * both as `Authorization: Bearer`. They are accepted for Slack only; elsewhere an unknown type
 * still fails, since sending such a token as Bearer could be wrong.
 */
export const tokenTypesOf = (dialect: Dialect): RecognizedTokenTypes | undefined =>
  dialect === 'slack' ? { bot: () => {}, user: () => {} } : undefined;

/** Slack's auth.revoke is an API method: HTTP 200 with `{"ok":false,"error":...}` on failure. */
export async function failureIn200(res: Response): Promise<string | null> {
  const body = await peekJson(res);
  if (!body || (body.ok !== false && typeof body.error !== 'string')) return null;
  return errorCode(body.error) ?? 'error';
}

/**
 * GitHub revokes through its REST API, DELETE /applications/{client_id}/token with the app's
 * Basic credentials and the token in a JSON body. That is not RFC 7009, so oauth4webapi has no
 * call for it and this stays a plain fetch. Resolves with the HTTP status (204 when revoked).
 */
export async function revokeAtGitHub(opts: {
  url: string;
  clientId: string;
  clientSecret: string;
  accessToken: string;
  signal: AbortSignal;
}): Promise<number> {
  const basic = Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64');
  const res = await fetch(opts.url, {
    method: 'DELETE',
    headers: {
      authorization: `Basic ${basic}`,
      accept: 'application/vnd.github+json',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ access_token: opts.accessToken }),
    redirect: 'manual',
    signal: opts.signal,
  });
  await res.body?.cancel();
  return res.status;
}
