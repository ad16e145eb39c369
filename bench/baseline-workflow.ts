// The floor the referral workflow is measured against: what a referral is to Temporal, with nothing
// of the engine in it. It is started and signalled like a referral, waits for its conversion under
// the attribution window's timer, then runs the referral's steps as plain activities that do nothing
// (fraud check, hold, book, pay) and keeps its status search attribute as a referral does.
import { condition, defineSignal, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { referralStatusKey } from '../workflows/search-attributes.ts';

export interface BaselineActivities {
  checkFraud(): Promise<void>;
  reserveReward(): Promise<void>;
  postReward(): Promise<void>;
  fulfilReward(): Promise<void>;
}

export const baselineTaskQueue = 'bench-baseline';

export const convert = defineSignal<[unknown]>('conversion');

const steps = proxyActivities<BaselineActivities>({ startToCloseTimeout: '30 seconds' });

const status = (value: string) => upsertSearchAttributes([{ key: referralStatusKey, value }]);

/** The raw shape of a rewarded referral with no holding period and no clawback window. */
export async function noopReferral(): Promise<void> {
  let converted = false;
  setHandler(convert, () => {
    converted = true;
  });
  await condition(() => converted, '90 days');
  await steps.checkFraud();
  await steps.reserveReward();
  status('holding');
  status('rewarding');
  await steps.postReward();
  await steps.fulfilReward();
  status('rewarded');
}
