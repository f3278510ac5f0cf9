import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import proto from '@temporalio/proto';
import { DecryptError, keyIdOf, open, seal } from './aead.js';
import { TEMPORAL_PAYLOAD_CONTEXT, temporalWorkflowPayloadContext } from './contexts.js';
import type { Keyring } from './keyring.js';
import { REFUSED_PAYLOAD_KEY } from './refused-payload.js';
import type { RefusalReason } from './refused-payload.js';

const ENCODING = 'binary/encrypted';
/** `undefined` and void results; they carry nothing, so there is nothing to refuse. */
const NULL_ENCODING = 'binary/null';
const KEY_ID = 'encryption-key-id';
/** Set to `workflow` when the ciphertext is bound to its workflow (AAD); absent: unbound. */
const BINDING = 'encryption-binding';
const encoder = new TextEncoder();
const decoder = new TextDecoder();
// @temporalio/proto is CommonJS: its namespaces are reachable from the default export only.
const ProtoPayload = proto.temporal.api.common.v1.Payload;

export interface EncryptionCodecOptions {
  /**
   * Accept payloads sealed without a workflow binding (default true): those recorded before
   * payloads were bound, which running workflows still replay. Turn it off once no running
   * workflow's history holds one (`dynamiq rotate-keys` reports them).
   */
  acceptUnbound?: boolean;
  /** Told about each refused payload, e.g. to log it; it must not throw. */
  onRefused?: (reason: RefusalReason, context: SerializationContext | undefined) => void;
}

/**
 * Encrypts every workflow payload (arguments, signals, updates, results, queries) before it
 * leaves the process, so conversation text is unreadable in Temporal's database and UI. Used by
 * the client and the worker alike.
 *
 * Each ciphertext is bound (AES-GCM associated data) to the namespace and id of the workflow
 * that owns it, from the SDK's serialization context (activity payloads belong to the workflow
 * that scheduled them), so a payload copied into another workflow's history does not open.
 *
 * Decoding never throws: a throw in a workflow activation fails the workflow task again on every
 * retry, which would let anyone able to write one bad payload into a history wedge that
 * conversation. A payload that is not ours (a signal sent with a plain client or the CLI) or
 * does not open decodes instead to a refusal, `{"$dynamiqRefused": reason}` (`binary/null`
 * passes unchanged), which the workflow validates away like any other bad argument.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly acceptUnbound: boolean;

  constructor(
    private readonly keyring: Keyring,
    private readonly options: EncryptionCodecOptions = {},
  ) {
    this.acceptUnbound = options.acceptUnbound ?? true;
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const aad = bindingOf(context);
    return payloads.map((payload) => ({
      metadata: {
        encoding: encoder.encode(ENCODING),
        [KEY_ID]: encoder.encode(this.keyring.current.id),
        ...(aad ? { [BINDING]: encoder.encode('workflow') } : {}),
      },
      data: seal(
        this.keyring,
        ProtoPayload.encode(payload).finish(),
        aad ?? TEMPORAL_PAYLOAD_CONTEXT,
      ),
    }));
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload, context));
  }

  private decodeOne(payload: Payload, context: SerializationContext | undefined): Payload {
    const encoding = textOf(payload.metadata?.encoding);
    if (encoding === NULL_ENCODING) return payload;
    if (encoding !== ENCODING || !payload.data) return this.refuse('unencrypted payload', context);
    // The metadata only says which associated data to try: a binding label stripped or added
    // by someone else makes authentication fail, it never skips it.
    const bound = textOf(payload.metadata?.[BINDING]) === 'workflow';
    const aad = bound ? bindingOf(context) : TEMPORAL_PAYLOAD_CONTEXT;
    if (aad === undefined) return this.refuse('bound payload without a workflow', context);
    if (!bound && !this.acceptUnbound) return this.refuse('unbound payload', context);
    try {
      return ProtoPayload.decode(open(this.keyring, payload.data, aad)) as Payload;
    } catch (err) {
      const unknownKey = err instanceof DecryptError && err.code === 'dynamiq.crypto.unknown_key';
      return this.refuse(
        unknownKey ? 'sealed with an unknown key' : 'payload failed authentication',
        context,
      );
    }
  }

  private refuse(reason: RefusalReason, context: SerializationContext | undefined): Payload {
    this.options.onRefused?.(reason, context);
    return {
      metadata: { encoding: encoder.encode('json/plain') },
      data: encoder.encode(JSON.stringify({ [REFUSED_PAYLOAD_KEY]: reason })),
    };
  }
}

/** The associated data binding a payload to its workflow, or undefined when none is known. */
function bindingOf(context: SerializationContext | undefined): string | undefined {
  if (!context?.workflowId || !context.namespace) return undefined;
  return temporalWorkflowPayloadContext(context.namespace, context.workflowId);
}

const textOf = (bytes: Uint8Array | null | undefined) =>
  bytes ? decoder.decode(bytes) : undefined;

/** The master key an encoded payload was sealed with, or undefined when it is not one of ours. */
export function payloadKeyId(payload: Payload): string | undefined {
  if (textOf(payload.metadata?.encoding) !== ENCODING || !payload.data) return undefined;
  // The envelope's own header, which is what `open` goes by (the metadata copy is a courtesy).
  return keyIdOf(payload.data);
}

/** Whether an encoded payload is bound to its workflow (false for unbound or foreign ones). */
export function isBoundPayload(payload: Payload): boolean {
  return textOf(payload.metadata?.[BINDING]) === 'workflow';
}
