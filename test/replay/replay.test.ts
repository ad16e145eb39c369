// Today's workflow code must replay the recorded histories of referrals run by earlier code, or a
// deployment would break the referrals already running. Recorded by test/replay/record-histories.ts;
// those of earlier releases are kept in subfolders.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from '@jest/globals';
import proto from '@temporalio/proto';
import { DefaultLogger, type ReplayResult, Runtime, Worker } from '@temporalio/worker';
import { workflowsPath } from '../support/temporal.ts';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const names = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.replace(/\.json$/, ''))
  .sort();
const results = new Map<string, ReplayResult>();

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // fromObject of the proto package itself: the SDK's historyFromJSON trips over npm's duplicate copies of protobufjs.
  const { History } = proto.temporal.api.history.v1;
  const histories = names.map((name) => ({ workflowId: name, history: History.fromObject(JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8'))) }));
  for await (const result of Worker.runReplayHistories({ workflowsPath }, histories)) results.set(result.workflowId, result);
});

it('has recorded histories to replay', () => {
  expect(names.filter((name) => name.startsWith('before-events/'))).toHaveLength(7);
  expect(names.filter((name) => name.startsWith('before-compact/'))).toHaveLength(12);
  expect(names.filter((name) => !name.includes('/')).length).toBeGreaterThanOrEqual(10);
});

it.each(names)('replays the %s history without nondeterminism', (name) => {
  expect(results.get(name)?.error).toBeUndefined();
});
