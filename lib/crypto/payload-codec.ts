import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { open, seal } from './aead.js';
import { TEMPORAL_PAYLOAD_CONTEXT } from './contexts.js';
import type { Keyring } from './keyring.js';

const ENCODING = 'binary/encrypted';
const encoder = new TextEncoder();
const decoder = new TextDecoder();
// @temporalio/proto is CommonJS: its namespaces are reachable from the default export only.
const ProtoPayload = proto.temporal.api.common.v1.Payload;

/**
 * Encrypts every workflow payload (arguments, signals, results, queries) before it leaves
 * the process, so conversation text is unreadable in Temporal's database and UI. Used by the
 * client and the worker alike. Payloads that are not ours (recorded before the codec, or from
 * tools) pass through decode untouched.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => ({
      metadata: {
        encoding: encoder.encode(ENCODING),
        'encryption-key-id': encoder.encode(this.keyring.current.id),
      },
      data: seal(this.keyring, ProtoPayload.encode(payload).finish(), TEMPORAL_PAYLOAD_CONTEXT),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding;
      if (!encoding || decoder.decode(encoding) !== ENCODING || !payload.data) return payload;
      return ProtoPayload.decode(
        open(this.keyring, payload.data, TEMPORAL_PAYLOAD_CONTEXT),
      ) as Payload;
    });
  }
}
