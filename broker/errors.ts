import { DynamiqError } from '../lib/errors/index.js';

/**
 * Stable codes of every broker failure; HTTP answers carry them as they are and audit records
 * their `reason`, so callers branch on the code, never on the message.
 */
export type BrokerErrorCode =
  | 'dynamiq.broker.missing_token'
  | 'dynamiq.broker.expired'
  | 'dynamiq.broker.invalid_signature'
  | 'dynamiq.broker.wrong_audience'
  | 'dynamiq.broker.wrong_issuer'
  | 'dynamiq.broker.malformed'
  | 'dynamiq.broker.out_of_scope'
  | 'dynamiq.broker.not_found'
  | 'dynamiq.broker.ambiguous'
  | 'dynamiq.broker.invalid_input'
  | 'dynamiq.broker.duplicate'
  | 'dynamiq.broker.upstream_refused'
  | 'dynamiq.broker.upstream_failed'
  | 'dynamiq.broker.reconnect_required'
  | 'dynamiq.broker.consent_required'
  | 'dynamiq.broker.not_mapped'
  | 'dynamiq.broker.disabled';

/**
 * Thrown by the credential broker on purpose; the base of every broker error below. `status`
 * is the HTTP one; only an upstream failure (502) is worth retrying unchanged. Audit records
 * keep the short `reason` (e.g. `expired`).
 */
export class BrokerError extends DynamiqError {
  override name = 'BrokerError';
  declare readonly code: BrokerErrorCode;
  constructor(
    code: BrokerErrorCode,
    status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, {
      status,
      retryable: code === 'dynamiq.broker.upstream_failed',
      cause: options?.cause,
    });
  }
}

/** Thrown when a sandbox token is missing, forged, expired or not meant for the broker (401). */
export class BrokerAuthError extends BrokerError {
  override name = 'BrokerAuthError';
  constructor(code: BrokerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, 401, message, options);
  }
}

/** Thrown when a valid sandbox token does not allow the requested cloud or operation (403). */
export class BrokerScopeError extends BrokerError {
  override name = 'BrokerScopeError';
  constructor(message: string) {
    super('dynamiq.broker.out_of_scope', 403, message);
  }
}

/** Thrown when the user has no (or more than one matching) stored cloud credential (404/409). */
export class BrokerLookupError extends BrokerError {
  override name = 'BrokerLookupError';
  constructor(code: 'dynamiq.broker.not_found' | 'dynamiq.broker.ambiguous', message: string) {
    super(code, code === 'dynamiq.broker.not_found' ? 404 : 409, message);
  }
}

/** Thrown when stored or submitted cloud settings are invalid or clash with existing ones. */
export class BrokerInputError extends BrokerError {
  override name = 'BrokerInputError';
  constructor(code: 'dynamiq.broker.invalid_input' | 'dynamiq.broker.duplicate', message: string) {
    super(code, code === 'dynamiq.broker.duplicate' ? 409 : 400, message);
  }
}

/**
 * Thrown when AWS STS or Google refuses (`upstream_refused`, 403: the role's trust policy, the
 * external id, a disabled key) or fails (`upstream_failed`, 502). The message is the provider's,
 * which never contains the secret that was sent.
 */
export class BrokerUpstreamError extends BrokerError {
  override name = 'BrokerUpstreamError';
  constructor(
    code: 'dynamiq.broker.upstream_refused' | 'dynamiq.broker.upstream_failed',
    readonly provider: 'aws' | 'gcp',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, code === 'dynamiq.broker.upstream_refused' ? 403 : 502, message, options);
  }
}

/**
 * Thrown when a connection exists but cannot serve a sandbox: it must be reconnected (409), or
 * its long-lived key may not enter sandboxes without the user's consent (403). Messages tell
 * the agent what to ask the user.
 */
export class BrokerConnectionError extends BrokerError {
  override name = 'BrokerConnectionError';
  constructor(
    code: 'dynamiq.broker.reconnect_required' | 'dynamiq.broker.consent_required',
    message: string,
  ) {
    super(code, code === 'dynamiq.broker.reconnect_required' ? 409 : 403, message);
  }
}

/**
 * Thrown when a user asks to impersonate a GCP service account no administrator mapped to them
 * (403), at registration and again at every issue: the broker impersonates with the platform's
 * own identity, so only a mapping says the account is the user's to use.
 */
export class BrokerGrantError extends BrokerError {
  override name = 'BrokerGrantError';
  constructor(serviceAccount: string) {
    super(
      'dynamiq.broker.not_mapped',
      403,
      `The service account ${serviceAccount} is not mapped to you: an administrator must map it to your account (PUT /api/admin/users/{id}/gcp-service-accounts/{email}) before the broker impersonates it.`,
    );
  }
}

/** Thrown when the broker is not configured (no JWT_SECRET or no master key) (503). */
export class BrokerDisabledError extends BrokerError {
  override name = 'BrokerDisabledError';
  constructor(message: string) {
    super('dynamiq.broker.disabled', 503, message);
  }
}
