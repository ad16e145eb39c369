// The payload encryption the tests run with. The key is fixed and public, for tests only: the
// histories in test/replay/histories/encrypted/ were recorded under it and must still decode.
import type { DataConverter } from '@temporalio/common';
import { encryptionCodec } from '../../runtime/payload-codec.ts';
import { type PayloadKeyring, parsePayloadKeys } from '../../runtime/payload-keys.ts';

export const testPayloadKeys = 'test-2026:bwwoU1pjr4muUICRoqq8E2zs8AaPLCRypCIygv7E2AQ=';

export function keyringOf(text: string): PayloadKeyring {
  const checked = parsePayloadKeys(text);
  if (!checked.ok) throw new Error(checked.message);
  return checked.keyring;
}

export const testCodec = encryptionCodec(keyringOf(testPayloadKeys));
export const testDataConverter: DataConverter = { payloadCodecs: [testCodec] };
