import type { Payload, SerializationContext } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { seal } from './aead.js';
import { TEMPORAL_PAYLOAD_CONTEXT } from './contexts.js';
import { keyringOf } from './keyring.js';
import { EncryptionCodec, isBoundPayload, payloadKeyId } from './payload-codec.js';
import { REFUSED_PAYLOAD_MARKER, isRefusedPayload } from './refused-payload.js';
import proto from '@temporalio/proto';

const keyA = Buffer.alloc(32, 7).toString('base64');
const keyB = Buffer.alloc(32, 8).toString('base64');
const ringA = keyringOf(keyA);
const workflow = (workflowId: string): SerializationContext => ({
  type: 'workflow',
  namespace: 'default',
  workflowId,
});
const activityOf = (workflowId: string): SerializationContext => ({
  type: 'activity',
  namespace: 'default',
  workflowId,
  activityId: '3',
  isLocal: false,
});

const toPayload = (v: unknown) => defaultPayloadConverter.toPayload(v);
const fromPayload = (p: Payload) => defaultPayloadConverter.fromPayload(p);
const message = { text: 'deploy the canary', author: 'u-1' };

async function roundTrip(
  codec: EncryptionCodec,
  encodeWith: SerializationContext | undefined,
  decodeWith: SerializationContext | undefined,
) {
  const [encoded] = await codec.encode([toPayload(message)], encodeWith);
  const [decoded] = await codec.decode([encoded!], decodeWith);
  return fromPayload(decoded!);
}

describe('the Temporal payload codec', () => {
  it('seals every payload, bound to the workflow that owns it, and opens it there', async () => {
    const codec = new EncryptionCodec(ringA);
    const [encoded] = await codec.encode([toPayload(message)], workflow('conv-1'));
    expect(Buffer.from(encoded!.data!).includes(Buffer.from('canary'))).toBe(false);
    expect(isBoundPayload(encoded!)).toBe(true);
    expect(payloadKeyId(encoded!)).toBe(ringA.current.id);
    expect(await roundTrip(codec, workflow('conv-1'), workflow('conv-1'))).toEqual(message);
    // An activity's payloads belong to the workflow that scheduled it.
    expect(await roundTrip(codec, activityOf('conv-1'), workflow('conv-1'))).toEqual(message);
  });

  it('refuses a payload moved into another workflow, without throwing', async () => {
    const codec = new EncryptionCodec(ringA);
    expect(await roundTrip(codec, workflow('conv-1'), workflow('conv-2'))).toEqual({
      $dynamiqRefused: 'payload failed authentication',
    });
    expect(await roundTrip(codec, workflow('conv-1'), activityOf('conv-2'))).toMatchObject({
      $dynamiqRefused: expect.any(String),
    });
    // Stripping the binding label does not help: the associated data still differs.
    const [encoded] = await codec.encode([toPayload(message)], workflow('conv-1'));
    const { 'encryption-binding': _dropped, ...metadata } = encoded!.metadata!;
    const [decoded] = await codec.decode([{ ...encoded!, metadata }], workflow('conv-2'));
    expect(isRefusedPayload(fromPayload(decoded!))).toBe(true);
  });

  it('refuses unencrypted payloads as the marker, and passes binary/null through', async () => {
    const codec = new EncryptionCodec(ringA);
    const plain = toPayload({ text: 'injected with a plain client' });
    const nothing = toPayload(undefined);
    const [refused, passed] = await codec.decode([plain, nothing], workflow('conv-1'));
    expect(fromPayload(refused!)).toEqual(REFUSED_PAYLOAD_MARKER);
    expect(new TextDecoder().decode(refused!.metadata!.encoding)).toBe('json/plain');
    expect(passed).toBe(nothing);
    expect(fromPayload(passed!)).toBeUndefined();
  });

  it('refuses tampered payloads and unknown keys, and tells onRefused', async () => {
    const reasons: string[] = [];
    const codec = new EncryptionCodec(ringA, { onRefused: (reason) => reasons.push(reason) });
    const [encoded] = await codec.encode([toPayload(message)], workflow('conv-1'));
    const tampered = Uint8Array.from(encoded!.data!);
    tampered[tampered.length - 1]! ^= 1;
    const other = new EncryptionCodec(keyringOf(keyB));
    const [foreign] = await other.encode([toPayload(message)], workflow('conv-1'));
    const decoded = await codec.decode(
      [{ ...encoded!, data: tampered }, foreign!, { ...encoded!, data: new Uint8Array(3) }],
      workflow('conv-1'),
    );
    expect(decoded.map((p) => fromPayload(p))).toEqual([
      { $dynamiqRefused: 'payload failed authentication' },
      { $dynamiqRefused: 'sealed with an unknown key' },
      { $dynamiqRefused: 'payload failed authentication' },
    ]);
    expect(reasons).toHaveLength(3);
  });

  it('opens unbound payloads (recorded before binding) unless told not to', async () => {
    // The shape every payload had before: sealed with no associated data, no binding label.
    const legacy: Payload = {
      metadata: {
        encoding: new TextEncoder().encode('binary/encrypted'),
        'encryption-key-id': new TextEncoder().encode(ringA.current.id),
      },
      data: seal(
        ringA,
        proto.temporal.api.common.v1.Payload.encode(toPayload(message)).finish(),
        TEMPORAL_PAYLOAD_CONTEXT,
      ),
    };
    const [opened] = await new EncryptionCodec(ringA).decode([legacy], workflow('conv-1'));
    expect(fromPayload(opened!)).toEqual(message);
    const strict = new EncryptionCodec(ringA, { acceptUnbound: false });
    const [refused] = await strict.decode([legacy], workflow('conv-1'));
    expect(fromPayload(refused!)).toEqual({ $dynamiqRefused: 'unbound payload' });
  });

  it('seals unbound where the SDK gives no context, and refuses a bound one there', async () => {
    const codec = new EncryptionCodec(ringA);
    const [unbound] = await codec.encode([toPayload(message)]);
    expect(isBoundPayload(unbound!)).toBe(false);
    expect(await roundTrip(codec, undefined, workflow('conv-1'))).toEqual(message);
    expect(await roundTrip(codec, workflow('conv-1'), undefined)).toEqual({
      $dynamiqRefused: 'bound payload without a workflow',
    });
  });
});
