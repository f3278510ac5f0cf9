// How GitHub and Slack depart from RFC 6749 on the wire, for the fake provider: both report token
// errors with HTTP 200 under their own names, GitHub separates scopes with commas, and Slack
// nests a user token under `authed_user` and names the token kind in `token_type`.

export type Dialect = 'github' | 'slack';

export interface StandardTokenBody {
  access_token: string;
  token_type: string;
  scope: string;
  expires_in?: number;
  refresh_token?: string;
}

const NAMES: Record<Dialect, Record<string, string>> = {
  github: {
    invalid_grant: 'bad_verification_code',
    invalid_refresh: 'bad_refresh_token',
    invalid_client: 'incorrect_client_credentials',
  },
  slack: {
    invalid_grant: 'invalid_code',
    invalid_refresh: 'invalid_refresh_token',
    invalid_client: 'invalid_client_id',
  },
};

/** An RFC 6749 §5.2 error as the dialect answers it; `refresh`: the refresh grant failed. */
export function errorAnswer(
  dialect: Dialect | undefined,
  status: number,
  error: string,
  refresh: boolean,
): { status: number; body: object } {
  if (!dialect) return { status, body: { error, error_description: `fake provider: ${error}` } };
  const key = refresh && error === 'invalid_grant' ? 'invalid_refresh' : error;
  const name = NAMES[dialect][key] ?? error;
  return dialect === 'github'
    ? { status: 200, body: { error: name, error_description: `fake provider: ${name}` } }
    : { status: 200, body: { ok: false, error: name } };
}

/**
 * A token response in the dialect's shape. `userScope` (Slack): the code grant asked for a user
 * token; null for a refresh, which Slack answers at the top level like any token response.
 */
export function tokenAnswer(
  dialect: Dialect | undefined,
  body: StandardTokenBody,
  userScope: boolean | null,
): object {
  if (dialect === 'github') {
    return { ...body, token_type: 'bearer', scope: body.scope.split(/[ ,]+/).join(',') };
  }
  if (dialect !== 'slack') return body;
  const scope = body.scope.split(/[ ,]+/).join(',');
  if (userScope === null) return { ok: true, ...body, token_type: 'user', scope };
  const team = { id: 'T0FAKE', name: 'Fake workspace' };
  if (!userScope) return { ok: true, app_id: 'A0FAKE', ...body, token_type: 'bot', scope, team };
  return {
    ok: true,
    app_id: 'A0FAKE',
    authed_user: { id: 'U0FAKE', ...body, token_type: 'user', scope },
    team,
    enterprise: null,
    is_enterprise_install: false,
  };
}
