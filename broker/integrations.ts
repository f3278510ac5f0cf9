import { cliEnvironment, hasCliCredentials } from '../integrations/index.js';
import type { CliEnvironment } from '../integrations/index.js';
import { ConnectionError } from '../integrations/connections/index.js';
import type { UsableCredentials } from '../integrations/connections/index.js';
import type { IntegrationOperation, SandboxTokenClaims } from '../lib/sandbox-access/index.js';
import {
  BrokerConnectionError,
  BrokerInputError,
  BrokerLookupError,
  BrokerScopeError,
} from './errors.js';

/** Where the broker opens a user's connection; `Connections` is one. */
export interface IntegrationCredentialSource {
  usableCredentials(userId: string, integrationId: string): Promise<UsableCredentials>;
}

/** What `integration-exec` in the sandbox gets: variables and files for one CLI run. */
export interface SandboxCliCredentials extends CliEnvironment {
  integration: string;
  /** ISO 8601, or null when the credential does not expire (a consented long-lived key). */
  expiresAt: string | null;
}

/** Checks that the command's token allows `operation` on the integration (403 otherwise). */
export function authorizeIntegration(
  claims: SandboxTokenClaims,
  integrationId: string,
  operation: IntegrationOperation,
): void {
  if (!claims.scopes.operations.includes(operation)) {
    throw new BrokerScopeError(`This command's token does not allow the operation ${operation}.`);
  }
  if (!claims.scopes.apps.includes(integrationId)) {
    throw new BrokerScopeError(
      `This command's token does not allow the integration ${integrationId}.`,
    );
  }
}

/** Opens the connection, turning the connections layer's refusals into broker ones. */
export async function openConnection(
  source: IntegrationCredentialSource,
  claims: SandboxTokenClaims,
  integrationId: string,
): Promise<UsableCredentials> {
  try {
    return await source.usableCredentials(claims.userId, integrationId);
  } catch (err) {
    if (!(err instanceof ConnectionError)) throw err;
    switch (err.code) {
      case 'dynamiq.connections.unknown_integration':
      case 'dynamiq.connections.not_connected':
        throw new BrokerLookupError('dynamiq.broker.not_found', err.message);
      case 'dynamiq.connections.reconnect_required':
        throw new BrokerConnectionError('dynamiq.broker.reconnect_required', err.message);
      default:
        throw err;
    }
  }
}

/**
 * The CLI variables for one run. A credential without an expiry (a key for a vendor CLI that
 * takes nothing else, a GitHub OAuth-app token) would work for good once a command has seen
 * it, so it is handed out only after the user's explicit consent; everything else here is an
 * OAuth access token that expires on its own.
 */
export function cliCredentialsOf(usable: UsableCredentials): SandboxCliCredentials {
  const { integration } = usable;
  if (!hasCliCredentials(integration)) {
    throw new BrokerInputError(
      'dynamiq.broker.invalid_input',
      `${integration.name} has no CLI credentials a sandbox can fetch${integration.providerType === 'api' ? '; use the API proxy' : ''}.`,
    );
  }
  if (usable.longLived && !usable.sandboxKeyConsentAt) {
    const what = integration.longLivedKeyOnly
      ? `${integration.name}'s CLI takes only a long-lived key, which`
      : `${integration.name}'s token does not expire, so it`;
    throw new BrokerConnectionError(
      'dynamiq.broker.consent_required',
      `${what} stays out of sandboxes until the user allows it: ask them to open Integrations → ${integration.name} in the portal and allow its use in sandboxes${integration.id === 'github' ? ' (or have an administrator configure a GitHub App, whose tokens expire)' : ''}.`,
    );
  }
  return {
    integration: integration.id,
    ...cliEnvironment(integration, usable.endpoints, usable.credentials),
    expiresAt: usable.expiresAt?.toISOString() ?? null,
  };
}
