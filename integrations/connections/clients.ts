import { z } from 'zod';
import type { Integration, OAuthEndpoints } from '../schema.js';
import { ConnectionError } from './errors.js';

/** The OAuth application Dynamiq is registered as at one provider. */
export interface OAuthClient {
  clientId: string;
  /** Absent for a public client, which then relies on PKCE alone. */
  clientSecret?: string;
  /**
   * How this client authenticates at the token and revocation endpoints where that is not the
   * catalog's choice: a client Dynamiq registered uses the method the provider registered.
   */
  tokenAuth?: NonNullable<OAuthEndpoints['tokenAuth']>;
}

/** Keyed by integration id; only integrations with a configured client id appear. */
export type OAuthClients = ReadonlyMap<string, OAuthClient>;

/** `google-drive` → `OAUTH_GOOGLE_DRIVE_CLIENT_ID` / `OAUTH_GOOGLE_DRIVE_CLIENT_SECRET`. */
export function oauthEnvNames(integrationId: string): { clientId: string; clientSecret: string } {
  const stem = `OAUTH_${integrationId.toUpperCase().replaceAll('-', '_')}`;
  return { clientId: `${stem}_CLIENT_ID`, clientSecret: `${stem}_CLIENT_SECRET` };
}

const value = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/**
 * Reads every oauth2 integration's client from an environment map. Pure: the caller passes the
 * environment (the lead's config passes process.env), so tests and start-up agree. A secret
 * without a client id is a configuration mistake and throws, naming the variable to set.
 */
export function oauthClientsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  integrations: readonly Integration[],
): OAuthClients {
  const clients = new Map<string, OAuthClient>();
  const problems: string[] = [];
  for (const integration of integrations) {
    if (integration.authType !== 'oauth2') continue;
    const names = oauthEnvNames(integration.id);
    const clientId = value.parse(env[names.clientId]);
    const clientSecret = value.parse(env[names.clientSecret]);
    if (!clientId) {
      if (clientSecret) problems.push(`${names.clientSecret} is set but ${names.clientId} is not`);
      continue;
    }
    clients.set(integration.id, clientSecret ? { clientId, clientSecret } : { clientId });
  }
  if (problems.length) throw new Error(problems.join('\n'));
  return clients;
}

/** The integration's client, or a 400 naming the variables an administrator must set. */
export function requireOAuthClient(clients: OAuthClients, integration: Integration): OAuthClient {
  const client = clients.get(integration.id);
  if (client) return client;
  const names = oauthEnvNames(integration.id);
  throw new ConnectionError(
    'dynamiq.connections.oauth_not_configured',
    `${integration.name} needs an OAuth application: an administrator must set ` +
      `${names.clientId} and ${names.clientSecret}.`,
  );
}
