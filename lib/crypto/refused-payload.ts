// What the payload codec hands the SDK instead of a payload it will not open. No imports, so
// that deterministic code (a workflow's argument checks) can depend on it without side effects.

/** The one key of a refused payload's JSON object. */
export const REFUSED_PAYLOAD_KEY = '$dynamiqRefused';

/** Why a payload was refused; the value of `$dynamiqRefused`. */
export type RefusalReason =
  | 'unencrypted payload'
  | 'payload failed authentication'
  | 'sealed with an unknown key'
  | 'bound payload without a workflow'
  | 'unbound payload';

/** A refusal as the workflow receives it in place of an argument. */
export type RefusedPayload = { readonly [REFUSED_PAYLOAD_KEY]: RefusalReason };

/**
 * What an unencrypted payload (a signal sent with a plain client or the Temporal CLI) decodes
 * to. Workflow code must treat any argument that is a refusal (`isRefusedPayload`) as absent:
 * it did not come from a Dynamiq process.
 */
export const REFUSED_PAYLOAD_MARKER: RefusedPayload = Object.freeze({
  [REFUSED_PAYLOAD_KEY]: 'unencrypted payload',
});

/** Whether a decoded value is a refusal, of any reason, rather than real data. */
export function isRefusedPayload(value: unknown): value is RefusedPayload {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)[REFUSED_PAYLOAD_KEY] === 'string'
  );
}
