// The payload codec: every payload the engine hands Temporal (workflow and activity inputs and results,
// signals, updates, queries, local activity results, step summaries) is encrypted with AES-256-GCM
// before it leaves the process, so Temporal's history, and its Web UI, hold no readable email, name or
// IP address. Each encrypted payload names its key, so keys rotate: new payloads take the current key,
// older ones decode with the key they name. A payload that is not encrypted (one recorded before
// encryption was turned on) passes through decoding as it is, so those referrals carry on.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { PayloadKeyring } from './payload-keys.ts';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

/** The metadata an encrypted payload carries, as in Temporal's encryption samples. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;
}

/** The whole payload, its own metadata included (which says "json/plain" or the like), becomes the ciphertext. */
function encrypt(payload: Payload, keyring: PayloadKeyring): Payload {
  const { id: keyId, key } = keyring.current;
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(keyId));
  const sealed = Buffer.concat([nonce, cipher.update(PayloadMessage.encode(payload).finish()), cipher.final(), cipher.getAuthTag()]);
  return { metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID]: Buffer.from(keyId) }, data: sealed };
}

function decrypt(payload: Payload, keyring: PayloadKeyring): Payload {
  const keyId = text(payload.metadata?.[KEY_ID]) ?? '';
  const key = keyring.keys.get(keyId);
  if (!key) throw new Error(`a payload is encrypted with the key "${keyId}", which PAYLOAD_KEYS does not hold; add that key back after the current one`);
  const sealed = Buffer.from(payload.data ?? []);
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new Error(`a payload encrypted with the key "${keyId}" is too short to be one`);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(keyId));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new Error(`a payload does not decrypt with the key "${keyId}": it was altered, or that id now names another key`);
  }
  return PayloadMessage.decode(plain);
}

export function encryptionCodec(keyring: PayloadKeyring): PayloadCodec {
  return {
    async encode(payloads) {
      return payloads.map((payload) => encrypt(payload, keyring));
    },
    async decode(payloads) {
      return payloads.map((payload) => (isEncrypted(payload) ? decrypt(payload, keyring) : payload));
    },
  };
}
