// The payload codec and its keys: what Temporal stores is unreadable without a key, keys rotate, a
// payload from before encryption passes through, and no key ever shows in a message or a log.

import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { dataConverter } from '../../runtime/composition-root.ts';
import { ConfigError, loadConfig } from '../../runtime/config.ts';
import { encryptionCodec } from '../../runtime/payload-codec.ts';
import { generatePayloadKey, parsePayloadKeys } from '../../runtime/payload-keys.ts';
import { keyringOf } from '../support/payload-encryption.ts';

const referee = { externalId: 'u_sam', email: 'sam.quinn@example.org', name: 'Sam Quinn', ip: '203.0.113.77' };
const plain = () => defaultPayloadConverter.toPayload(referee) as Payload;
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

const older = generatePayloadKey('k2025');
const newer = generatePayloadKey('k2026');

describe('the payload codec', () => {
  const codec = encryptionCodec(keyringOf(`${newer},${older}`));

  it('encrypts a payload whole, its own metadata included, naming the current key', async () => {
    const [encrypted] = await codec.encode([plain()]);
    expect(text(encrypted?.metadata?.encoding)).toBe('binary/encrypted');
    expect(text(encrypted?.metadata?.['encryption-key-id'])).toBe('k2026');
    expect(Object.keys(encrypted?.metadata ?? {}).sort()).toEqual(['encoding', 'encryption-key-id']);
    const stored = Buffer.from(encrypted?.data ?? []).toString('latin1');
    for (const value of [...Object.values(referee), 'json/plain']) expect(stored).not.toContain(value);
  });

  it('decodes what it encoded', async () => {
    const decoded = await codec.decode(await codec.encode([plain(), plain()]));
    expect(decoded.map((payload) => defaultPayloadConverter.fromPayload(payload))).toEqual([referee, referee]);
    expect(text(decoded[0]?.metadata?.encoding)).toBe('json/plain');
  });

  it('never encrypts the same payload to the same bytes', async () => {
    const [first, second] = await codec.encode([plain(), plain()]);
    expect(Buffer.from(first?.data ?? []).equals(Buffer.from(second?.data ?? []))).toBe(false);
  });

  it('passes a payload that is not encrypted through as it is: histories from before encryption still read', async () => {
    const payload = plain();
    expect(await codec.decode([payload])).toEqual([payload]);
  });

  it('reads payloads of an older key after rotation, and writes new ones with the new key', async () => {
    const before = encryptionCodec(keyringOf(older));
    const written = await before.encode([plain()]);
    const [read] = await codec.decode(written);
    expect(defaultPayloadConverter.fromPayload(read as Payload)).toEqual(referee);
    const [rewritten] = await codec.encode([read as Payload]);
    expect(text(rewritten?.metadata?.['encryption-key-id'])).toBe('k2026');
  });

  it('names a key it no longer holds, and what to do', async () => {
    const written = await encryptionCodec(keyringOf(older)).encode([plain()]);
    await expect(encryptionCodec(keyringOf(newer)).decode(written)).rejects.toThrow(
      'a payload is encrypted with the key "k2025", which PAYLOAD_KEYS does not hold; add that key back after the current one',
    );
  });

  it('refuses a payload that was altered, or another key under the same id', async () => {
    const [written] = await codec.encode([plain()]);
    const data = Buffer.from(written?.data ?? []);
    data[20] = (data[20] ?? 0) ^ 1;
    await expect(codec.decode([{ ...written, data }])).rejects.toThrow('a payload does not decrypt with the key "k2026"');
    const impostor = encryptionCodec(keyringOf(generatePayloadKey('k2026')));
    await expect(impostor.decode([written as Payload])).rejects.toThrow('does not decrypt with the key "k2026"');
  });
});

describe('PAYLOAD_KEYS', () => {
  const material = newer.split(':')[1] as string;

  it('takes the first key as the current one', () => {
    const checked = parsePayloadKeys(`${newer}, ${older}`);
    expect(checked.ok && checked.keyring.current.id).toBe('k2026');
    expect(checked.ok && [...checked.keyring.keys.keys()]).toEqual(['k2026', 'k2025']);
  });

  it.each([
    ['no id', material, 'key 1: expected "id:base64key" pairs'],
    ['a bad id', `k 1:${material}`, 'key 1: expected "id:base64key" pairs'],
    ['a short key', `k1:${Buffer.alloc(16).toString('base64')}`, 'key "k1" must be 32 random bytes in base64 (AES-256)'],
    ['a key that is not base64', `k1:${material.slice(0, -2)}!!`, 'key "k1" must be 32 random bytes in base64'],
    ['an id twice', `${newer},${newer}`, 'the key id "k2026" appears twice'],
  ])('refuses %s, without repeating the key', (_, value, message) => {
    const checked = parsePayloadKeys(value);
    expect(checked.ok ? null : checked.message).toContain(message);
    expect(checked.ok ? '' : checked.message).not.toContain(material.slice(0, 12));
  });

  it('fails start-up naming the variable', () => {
    expect(() => loadConfig({ PAYLOAD_KEYS: 'k1:short' })).toThrow(ConfigError);
    expect(() => loadConfig({ PAYLOAD_KEYS: 'k1:short' })).toThrow(/PAYLOAD_KEYS: key "k1" must be 32 random bytes/);
  });

  it('is required by every Temporal client and worker of the engine', () => {
    expect(() => dataConverter(loadConfig({}))).toThrow(/PAYLOAD_KEYS: unset; it encrypts what referrals hand Temporal/);
    expect(dataConverter(loadConfig({ PAYLOAD_KEYS: newer })).payloadCodecs).toHaveLength(1);
  });

  it('never shows the keys when the configuration is printed or logged', () => {
    const config = loadConfig({ PAYLOAD_KEYS: `${newer},${older}` });
    const shown = [JSON.stringify(config), inspect(config, { depth: 10, showHidden: true })];
    for (const [, key] of [newer, older].map((entry) => entry.split(':'))) {
      const bytes = Buffer.from(key as string, 'base64');
      for (const form of shown) {
        expect(form).not.toContain(key);
        expect(form).not.toContain(bytes.toString('hex'));
        expect(form).not.toContain(`${bytes[0]},${bytes[1]},${bytes[2]}`);
      }
    }
  });
});

describe('CODEC_CORS_ORIGINS', () => {
  it('lists origins, and refuses a URL with a path', () => {
    expect(loadConfig({ CODEC_CORS_ORIGINS: 'http://localhost:8233, https://temporal.acme.example' }).CODEC_CORS_ORIGINS).toEqual([
      'http://localhost:8233',
      'https://temporal.acme.example',
    ]);
    expect(loadConfig({}).CODEC_CORS_ORIGINS).toEqual([]);
    expect(() => loadConfig({ CODEC_CORS_ORIGINS: 'http://localhost:8233/ui' })).toThrow(/CODEC_CORS_ORIGINS.*is not an origin/);
  });
});
