import { DynamiqError } from '../../lib/errors/index.js';

/** Every failure of the connections layer, so callers branch on `code`, never on text. */
export const CONNECTION_ERRORS = {
  'dynamiq.connections.unknown_integration': 404,
  'dynamiq.connections.not_connected': 404,
  'dynamiq.connections.unsupported': 400,
  'dynamiq.connections.oauth_not_configured': 400,
  'dynamiq.connections.endpoint_unresolved': 400,
  'dynamiq.connections.missing_credentials': 400,
  'dynamiq.connections.key_rejected': 400,
  'dynamiq.connections.invalid_state': 400,
  'dynamiq.connections.oauth_denied': 400,
  'dynamiq.connections.reconnect_required': 409,
  'dynamiq.connections.provider_error': 502,
  'dynamiq.connections.registration_failed': 502,
  // The deployment lacks the provider's settings: a state the request cannot change, not an outage.
  'dynamiq.connections.provider_not_configured': 409,
  'dynamiq.connections.refresh_failed': 502,
  'dynamiq.connections.secret_unreadable': 500,
} as const;

export type ConnectionErrorCode = keyof typeof CONNECTION_ERRORS;

/** Provider failures that may pass on their own; everything else needs a person to act. */
const RETRYABLE: ReadonlySet<ConnectionErrorCode> = new Set([
  'dynamiq.connections.provider_error',
  'dynamiq.connections.refresh_failed',
]);

/**
 * Thrown when a connection cannot be made, read, refreshed or removed. `code` is stable;
 * `status` is the HTTP status an API should answer with. Messages are written for the person
 * connecting and never contain a secret: provider answers are reduced to status and error code.
 */
export class ConnectionError extends DynamiqError {
  override name = 'ConnectionError';
  declare readonly code: ConnectionErrorCode;
  constructor(code: ConnectionErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, {
      status: CONNECTION_ERRORS[code],
      retryable: RETRYABLE.has(code),
      cause: options?.cause,
    });
  }
}

/**
 * Thrown when the provider refused a refresh (or a token expired with nothing to refresh it):
 * the connection is marked `needs_reconnect` and only the user can fix it, so callers must not
 * retry.
 */
export class ReconnectRequiredError extends ConnectionError {
  override readonly name = 'ReconnectRequiredError';
  constructor(
    readonly integrationId: string,
    integrationName: string,
  ) {
    super(
      'dynamiq.connections.reconnect_required',
      `The ${integrationName} connection has expired or was revoked. ` +
        `Reconnect ${integrationName} in the portal (Integrations → ${integrationName} → Connect).`,
    );
  }
}

/**
 * The connection row, or the error the user can act on: nothing connected yet (404), or a
 * connection that must be reconnected (409).
 */
export function usableRow<T extends { status: string }>(
  integration: { id: string; name: string },
  row: T | null,
): T {
  if (!row) {
    throw new ConnectionError(
      'dynamiq.connections.not_connected',
      `${integration.name} is not connected; connect it in the portal first.`,
    );
  }
  if (row.status === 'needs_reconnect') {
    throw new ReconnectRequiredError(integration.id, integration.name);
  }
  return row;
}
