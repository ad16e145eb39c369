// The keys that encrypt what the engine hands Temporal, from PAYLOAD_KEYS: "id:base64key,…", the
// first one current. They are held as KeyObjects, which neither print nor serialise their bytes, so
// a configuration that finds its way into a log or an error leaks no key.
import { createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

export interface PayloadKeyring {
  /** The key new payloads are encrypted with. */
  readonly current: { readonly id: string; readonly key: KeyObject };
  /** Every key by its id, the current one included: a payload names the key it was encrypted with. */
  readonly keys: ReadonlyMap<string, KeyObject>;
}

export type PayloadKeysCheck = { ok: true; keyring: PayloadKeyring } | { ok: false; message: string };

const KEY_BYTES = 32;
const ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const FORMAT = 'expected "id:base64key" pairs separated by commas, the current key first, e.g. "k2026a:<openssl rand -base64 32>"';

/** Reads PAYLOAD_KEYS. A message about a bad value names the key's id or position, never its bytes. */
export function parsePayloadKeys(text: string): PayloadKeysCheck {
  const keys = new Map<string, KeyObject>();
  for (const [index, entry] of text.split(',').entries()) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator).trim();
    const material = entry.slice(separator + 1).trim();
    if (separator < 0 || !ID.test(id)) return { ok: false, message: `key ${index + 1}: ${FORMAT}; ids use letters, digits, ".", "_" and "-"` };
    if (keys.has(id)) return { ok: false, message: `the key id "${id}" appears twice` };
    const bytes = BASE64.test(material) ? Buffer.from(material, 'base64') : null;
    if (bytes?.length !== KEY_BYTES) {
      return { ok: false, message: `key "${id}" must be ${KEY_BYTES} random bytes in base64 (AES-256), e.g. from \`openssl rand -base64 32\`` };
    }
    keys.set(id, createSecretKey(bytes));
  }
  const [current] = keys.entries();
  if (!current) return { ok: false, message: FORMAT };
  return { ok: true, keyring: { current: { id: current[0], key: current[1] }, keys } };
}

/** A new PAYLOAD_KEYS entry: `npm start` keeps one for local use, tests make their own. */
export function generatePayloadKey(id: string): string {
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}
