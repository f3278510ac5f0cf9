import { BrokerDisabledError } from '../../../broker/index.js';
import type { CredentialBroker } from '../../../broker/index.js';

/** The broker, or a 503 (`dynamiq.broker.disabled`) that says how to turn it on. */
export function brokerOf(deps: { broker?: CredentialBroker }): CredentialBroker {
  if (!deps.broker) {
    throw new BrokerDisabledError(
      'The credential broker is off: set JWT_SECRET (and DYNAMIQ_MASTER_KEY in production).',
    );
  }
  return deps.broker;
}
