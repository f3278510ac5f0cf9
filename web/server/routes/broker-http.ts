import { BrokerError } from '../../../broker/index.js';
import type { CredentialBroker } from '../../../broker/index.js';
import { HttpError } from '../errors.js';

/** The broker, or a 503 that says how to turn it on. */
export function brokerOf(deps: { broker?: CredentialBroker }): CredentialBroker {
  if (!deps.broker) {
    throw new HttpError(
      503,
      'broker_disabled',
      'The credential broker is off: set JWT_SECRET (and DYNAMIQ_MASTER_KEY in production).',
    );
  }
  return deps.broker;
}

/** Broker errors become the API's `{error: {code, message}}` with the broker's status. */
export async function translate<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BrokerError) throw new HttpError(err.status, err.reason, err.message);
    throw err;
  }
}
