import type { IntegrationInput } from '../schema.js';

type OAuth = NonNullable<IntegrationInput['oauth']>;

// Several integrations share one identity provider; keeping its endpoints in one place means a
// vendor URL change is a one-line edit.

/**
 * Google OAuth 2.0 for web server apps; supports PKCE and token revocation. Google puts `iss` on
 * some users' authorization responses without announcing it, so a missing one is accepted.
 */
export function googleOAuth(scopes: string[]): OAuth {
  return {
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    revokeUrl: 'https://oauth2.googleapis.com/revoke',
    scopes,
    pkce: true,
    issuer: 'https://accounts.google.com',
  };
}

/**
 * Microsoft identity platform v2 on the multi-tenant `common` authority. Single-tenant
 * deployments override the URLs with their tenant id. There is no token revocation endpoint
 * (Graph's revokeSignInSessions ends every session of the user, not this one grant).
 */
export function microsoftOAuth(scopes: string[]): OAuth {
  return {
    authorizeUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    scopes: ['offline_access', 'User.Read', ...scopes],
    pkce: true,
  };
}

/** Atlassian Cloud OAuth 2.0 (3LO); it documents neither PKCE nor a revocation endpoint. */
export function atlassianOAuth(scopes: string[]): OAuth {
  return {
    authorizeUrl: 'https://auth.atlassian.com/authorize',
    tokenUrl: 'https://auth.atlassian.com/oauth/token',
    scopes: [...scopes, 'offline_access'],
    pkce: false,
  };
}

/** Pipedream app pages use the slug with hyphens (`google_drive` → `google-drive`). */
export function pipedreamDocs(slug: string): string {
  return `https://pipedream.com/apps/${slug.replaceAll('_', '-')}`;
}

export function composioDocs(slug: string): string {
  return `https://docs.composio.dev/toolkits/${slug}`;
}

/** The usual `Authorization: Bearer <token>` placement. */
export const bearer: NonNullable<IntegrationInput['keyPlacement']> = [
  { in: 'header', name: 'Authorization', prefix: 'Bearer ' },
];

/** Wording shared by every MCP-backed entry so the agent treats them the same way. */
export function mcpInstructions(service: string, specifics: string): string {
  return [
    `Use the ${service} MCP tools; list them first and pick the narrowest tool for the job.`,
    specifics,
    'Confirm with the user before sending, deleting or sharing anything on their behalf.',
  ].join('\n');
}
