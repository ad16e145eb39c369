// Today's workflow code must replay the recorded histories of referrals run by earlier code, or a
// deployment would break the referrals already running. Recorded by test/replay/record-histories.ts;
// those of earlier releases are kept in subfolders. Replayed as a worker runs, through the payload
// codec: the histories recorded before payloads were encrypted pass through it as they are, and those
// in encrypted/ decode with the key they name.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from '@jest/globals';
import proto from '@temporalio/proto';
import { DefaultLogger, type ReplayResult, Runtime, Worker } from '@temporalio/worker';
import { ENCRYPTED_ENCODING } from '../../runtime/payload-codec.ts';
import { REFERRAL_CHANGES } from '../../workflows/definitions.ts';
import { testDataConverter } from '../support/payload-encryption.ts';
import { workflowsPath } from '../support/temporal.ts';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const names = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.replace(/\.json$/, ''))
  .sort();
const results = new Map<string, ReplayResult>();
const inputEncodings = new Map<string, string>();
/**
 * Recorded histories whose input is made to name changes, as the API names them: one run by a worker
 * from before the input named changes (so its patch markers are there), and one naming a change
 * today's code does not know.
 */
const named = {
  runByOlderWorker: { from: 'before-changes-in-input/rewarded', changes: [...REFERRAL_CHANGES] },
  unknownChange: { from: 'rewarded', changes: [...REFERRAL_CHANGES, 'a-change-from-a-newer-release'] },
};

// fromObject of the proto package itself: the SDK's historyFromJSON trips over npm's duplicate copies of protobufjs.
const { History } = proto.temporal.api.history.v1;
const readHistory = (name: string) => JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8'));

/** A recorded history whose (unencrypted) input names the changes given. */
function withChanges(name: string, changes: string[]) {
  const json = readHistory(name);
  const payload = json.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
  const input = JSON.parse(Buffer.from(payload.data, 'base64').toString());
  payload.data = Buffer.from(JSON.stringify({ ...input, changes })).toString('base64');
  return History.fromObject(json);
}

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') }); // the unknown change's failed workflow task would log a warning
  const histories = [
    ...names.map((name) => ({ workflowId: name, history: History.fromObject(readHistory(name)) })),
    ...Object.entries(named).map(([workflowId, { from, changes }]) => ({ workflowId, history: withChanges(from, changes) })),
  ];
  for (const { workflowId, history } of histories) inputEncodings.set(workflowId, inputEncoding(history));
  for await (const result of Worker.runReplayHistories({ workflowsPath, dataConverter: testDataConverter }, histories)) results.set(result.workflowId, result);
});

/** How the referral's input was sent: encrypted by the codec, or as JSON from before encryption. */
function inputEncoding(history: proto.temporal.api.history.v1.IHistory): string {
  const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return Buffer.from(input?.metadata?.encoding ?? []).toString();
}

it('has recorded histories to replay', () => {
  expect(names.filter((name) => name.startsWith('before-events/'))).toHaveLength(7);
  // Main's release before compact histories: its fourteen paths, three of them also encrypted.
  expect(names.filter((name) => name.startsWith('before-compact/'))).toHaveLength(17);
  expect(names.filter((name) => name.startsWith('before-compact/encrypted/'))).toHaveLength(3);
  // Main's release before the fraud check's second look at the end of the holding period.
  expect(names.filter((name) => name.startsWith('before-second-look/'))).toHaveLength(17);
  expect(names.filter((name) => name.startsWith('before-second-look/encrypted/'))).toHaveLength(3);
  // Main's release before the input named the changes a referral runs with (each was a patch marker).
  expect(names.filter((name) => name.startsWith('before-changes-in-input/'))).toHaveLength(18);
  expect(names.filter((name) => name.startsWith('before-changes-in-input/encrypted/'))).toHaveLength(3);
  // Main's release before signals waiting for the first workflow task were taken in the order they arrived.
  expect(names.filter((name) => name.startsWith('before-signals-in-order/'))).toHaveLength(18);
  expect(names.filter((name) => name.startsWith('before-signals-in-order/encrypted/'))).toHaveLength(3);
  expect(names.filter((name) => !name.includes('/')).length).toBeGreaterThanOrEqual(10);
  expect(names.filter((name) => name.startsWith('encrypted/')).length).toBeGreaterThanOrEqual(3);
});

it('replays histories with encrypted payloads, and with payloads from before encryption', () => {
  for (const name of names) expect([name, inputEncodings.get(name)]).toEqual([name, name.split('/').includes('encrypted') ? ENCRYPTED_ENCODING : 'json/plain']);
});

it.each(names)('replays the %s history without nondeterminism', (name) => {
  expect(results.get(name)?.error).toBeUndefined();
});

it('replays a referral the API named its changes for but a worker from before them ran, patch markers and all', () => {
  expect(results.get('runByOlderWorker')?.error).toBeUndefined();
});

it('does not run a referral that names a change this code does not know: its workflow task fails, for a newer worker to take', () => {
  const error = results.get('unknownChange')?.error;
  expect(error?.message).toContain("this worker does not know the referral's changes a-change-from-a-newer-release");
});
