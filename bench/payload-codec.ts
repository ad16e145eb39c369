// `npm run bench:codec`: what encrypting payloads adds to a payload's round trip to Temporal, against
// the JSON conversion every payload pays anyway, measured in the same run: a referral's input (its
// program terms and referee, about 1.5 KB) and a conversion signal, each converted to a payload and
// back, with and without the codec's encryption and decryption in between.

import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { programInputSchema, termsOf } from '../domain/program.ts';
import { encryptionCodec } from '../runtime/payload-codec.ts';
import { generatePayloadKey, parsePayloadKeys } from '../runtime/payload-keys.ts';
import { programInput } from '../test/support/program-fixtures.ts';
import { REFERRAL_CHANGES } from '../workflows/definitions.ts';

const BATCHES = Number(process.env.BENCH_ROUNDS ?? 40);
const PER_BATCH = 500;

const checked = parsePayloadKeys(`${generatePayloadKey('current')},${generatePayloadKey('older')}`);
if (!checked.ok) throw new Error(checked.message);
const codec = encryptionCodec(checked.keyring);

const program = {
  ...programInputSchema.parse(programInput()),
  programId: 'acme',
  version: 1,
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
};
const referralInput = {
  referralId: `ref_${randomUUID()}`,
  terms: termsOf(program),
  referrer: { participantId: `pt_${randomUUID()}`, externalId: 'u_referrer', code: 'JANE2026' },
  referee: { externalId: 'u_sam', email: 'sam.quinn@example.org', name: 'Sam Quinn', ip: '203.0.113.77', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' },
  clickId: null,
  changes: REFERRAL_CHANGES,
};
const conversion = { eventId: 'order_1001', refereeExternalId: 'u_sam', type: 'purchase', amount: 4900, currency: 'usd', occurredAt: new Date().toISOString() };

async function perOperationMicros(value: unknown, encrypted: boolean): Promise<number[]> {
  const samples: number[] = [];
  for (let batch = 0; batch < BATCHES; batch++) {
    const started = performance.now();
    for (let i = 0; i < PER_BATCH; i++) {
      const payload = defaultPayloadConverter.toPayload(value) as Payload;
      const stored = encrypted ? await codec.encode([payload]) : [payload];
      const read = encrypted ? await codec.decode(stored) : stored;
      defaultPayloadConverter.fromPayload(read[0] as Payload);
    }
    samples.push(((performance.now() - started) * 1000) / PER_BATCH);
  }
  return samples;
}

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? Number.NaN;

const lines = [`${BATCHES} batches of ${PER_BATCH}, Node ${process.version}`];
for (const [label, value] of [
  ['referral input', referralInput],
  ['conversion signal', conversion],
] as const) {
  const bytes = (defaultPayloadConverter.toPayload(value) as Payload).data?.length ?? 0;
  await perOperationMicros(value, true); // warm-up
  const plain = median(await perOperationMicros(value, false));
  const encrypted = median(await perOperationMicros(value, true));
  lines.push(
    `${`${label} (${bytes} B) to payload and back`.padEnd(48)} encrypted ${encrypted.toFixed(1).padStart(6)} µs   JSON only ${plain.toFixed(1).padStart(6)} µs   ratio ${(encrypted / plain).toFixed(2)}x   (+${(encrypted - plain).toFixed(1)} µs)`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
