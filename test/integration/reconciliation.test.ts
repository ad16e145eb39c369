// Reconciliation over HTTP against the real stack: Stripe (the stateful fake) is given one of each
// kind of discrepancy, and a run finds exactly those, repairs the one that is safe to, and a second
// run finds nothing new.
import { describe, expect, it } from '@jest/globals';
import { reconciliationScheduleId } from '../../runtime/reconciliation-schedule.ts';
import { createProgram, enrol, purchase, refer, uniqueId } from '../support/scenario.ts';
import { type Stack, useStack } from '../support/stack.ts';

const stack = useStack();

const instantly = { holdingPeriod: 'P0D', clawbackWindow: 'P0D' };

/** A referral paid to its referrer: its reward id, the referrer's customer and the credit Stripe holds. */
async function paidReferral(programId: string) {
  const referrer = await enrol(stack, programId);
  const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
  await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId) });
  const view = await stack.referralReaches(referralId, 'rewarded');
  const rewardId = view.rewards[0]?.rewardId as string;
  const [credit] = stack.stripe.transactionsForReward(rewardId);
  if (!credit) throw new Error(`no Stripe credit for ${rewardId}`);
  return { referrer, referralId, rewardId, credit };
}

async function reconcile(s: Stack) {
  const started = await s.call('POST', '/v1/reconciliation/runs');
  expect(started.status).toBe(202);
  expect(started.headers.get('location')).toBe(`/v1/reconciliation/runs/${started.body.runId}`);
  const run = await s.eventually(
    () => s.call('GET', `/v1/reconciliation/runs/${started.body.runId}`),
    (response) => response.body.status !== 'running',
    90_000,
  );
  expect(run.status).toBe(200);
  expect(run.body).toMatchObject({ runId: started.body.runId, status: 'completed', trigger: 'manual', finishedAt: expect.any(String) });
  return run.body;
}

type Finding = { kind: string; rewardId?: string; referralId?: string; detail: string; repaired: boolean };
const byReward = <T extends { rewardId?: string }>(findings: T[]) => [...findings].sort((a, b) => (a.rewardId ?? '').localeCompare(b.rewardId ?? ''));

describe('reconciliation', () => {
  it('runs daily on a Temporal Schedule the worker created', async () => {
    const schedule = await stack.temporal.schedule.getHandle(reconciliationScheduleId(stack.taskQueue)).describe();
    expect(schedule.spec.calendars).toEqual([expect.objectContaining({ hour: [{ start: 3, end: 3, step: 1 }], minute: [{ start: 17, end: 17, step: 1 }] })]);
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconciliationWorkflow', taskQueue: stack.taskQueue });
    expect(schedule.state.paused).toBe(false);
  });

  it('answers 404 before any run, and for a run that does not exist', async () => {
    expect((await stack.call('GET', '/v1/reconciliation/runs/latest')).status).toBe(404);
    expect((await stack.call('GET', '/v1/reconciliation/runs/recon_nope')).status).toBe(404);
    const ingestKey = (await stack.call('POST', '/v1/api-keys', { body: { name: 'ingest only', scopes: ['ingest'] } })).body.key;
    expect((await stack.call('POST', '/v1/reconciliation/runs', { key: ingestKey })).status).toBe(403);
  });

  it('finds each kind of discrepancy with Stripe once, repairs the payout that never reached Stripe, and finds nothing new the next time', async () => {
    const programId = await createProgram(stack, instantly);
    const agreeing = await paidReferral(programId);
    const deleted = await paidReferral(programId);
    const duplicated = await paidReferral(programId);
    const edited = await paidReferral(programId);

    // A payout that never reached Stripe: the referrer had no customer, ops set one and forgot to retry.
    const parkedReferrer = await enrol(stack, programId, { stripe: false });
    const parked = await refer(stack, programId, parkedReferrer.code);
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(parked.refereeExternalId) });
    const parkedView = await stack.referralReaches(parked.referralId, 'needs_attention');
    const parkedRewardId = parkedView.rewards[0]?.rewardId as string;
    const customer = stack.stripe.createCustomer();
    await stack.call('PATCH', `/v1/programs/${programId}/participants/${parkedReferrer.externalId}`, { body: { stripeCustomerId: customer } });

    stack.stripe.deleteBalanceTransaction(deleted.credit.id);
    const copy = stack.stripe.addByHand(duplicated.referrer.stripeCustomerId as string, {
      amount: duplicated.credit.amount,
      currency: 'usd',
      metadata: { ...duplicated.credit.metadata },
    });
    stack.stripe.editAmount(edited.credit.id, -1500);
    const stray = stack.stripe.addByHand(agreeing.referrer.stripeCustomerId as string, {
      amount: -5000,
      currency: 'usd',
      metadata: { reward_id: 'rw_made_up', referral_id: 'ref_made_up', program_id: programId, purpose: 'credit' },
    });

    const first = await reconcile(stack);
    expect(first.checked).toBe(5);
    expect(byReward(first.findings)).toEqual(
      byReward([
        {
          kind: 'missing_in_stripe',
          rewardId: deleted.rewardId,
          referralId: deleted.referralId,
          detail: `the ledger paid reward ${deleted.rewardId} through Stripe (a credit of -2000 usd), but no Stripe customer the engine knows holds it`,
          repaired: false,
        },
        {
          kind: 'duplicate_in_stripe',
          rewardId: duplicated.rewardId,
          referralId: duplicated.referralId,
          detail: expect.stringContaining(`Stripe holds 2 credits for reward ${duplicated.rewardId}`),
          repaired: false,
        },
        {
          kind: 'amount_mismatch',
          rewardId: edited.rewardId,
          referralId: edited.referralId,
          detail: `a Stripe credit for reward ${edited.rewardId} is ${edited.credit.id} (-1500 usd on ${edited.referrer.stripeCustomerId}); the ledger has -2000 usd`,
          repaired: false,
        },
        {
          kind: 'unknown_in_stripe',
          rewardId: 'rw_made_up',
          detail: `${stray.id} (-5000 usd on ${agreeing.referrer.stripeCustomerId}) names reward rw_made_up, for which the ledger has no credit in Stripe`,
          repaired: false,
        },
        {
          kind: 'missing_in_stripe',
          rewardId: parkedRewardId,
          referralId: parked.referralId,
          detail: expect.stringMatching(
            /is earned in the ledger but was never paid through Stripe; its payout is parked in needs_attention .*\. Re-driven through the referral's own retry: paid$/,
          ),
          repaired: true,
        },
      ]),
    );
    const duplicateDetail = first.findings.find((f: Finding) => f.kind === 'duplicate_in_stripe')?.detail;
    expect(duplicateDetail).toContain(copy.id);
    expect(duplicateDetail).toContain(duplicated.credit.id);

    // The repair went through the referral's own payout: paid once, on the customer ops set.
    await stack.referralReaches(parked.referralId, 'rewarded');
    expect(stack.stripe.creditsFor(customer).map((credit) => credit.amount)).toEqual([-2000]);
    // Nothing else was changed: the deleted credit is still gone, the duplicate and the edit still there.
    expect(stack.stripe.transactionsForReward(deleted.rewardId)).toEqual([]);
    expect(stack.stripe.transactionsForReward(duplicated.rewardId)).toHaveLength(2);
    expect(stack.stripe.transactionsForReward(edited.rewardId).map((t) => t.amount)).toEqual([-1500]);

    expect(stack.worker.output).toMatch(new RegExp(`"level":40[^\\n]*"runId":"${first.runId}"[^\\n]*"msg":"reconciliation found discrepancies"`));
    const metrics = (await stack.call('GET', '/metrics')).body as string;
    expect(metrics).toContain('reconciliation_unrepaired_findings{kind="missing_in_stripe"} 1');
    expect(metrics).toContain('reconciliation_unrepaired_findings{kind="duplicate_in_stripe"} 1');
    expect(metrics).toContain('reconciliation_unrepaired_findings{kind="ledger_invariant"} 0');
    expect(metrics).toContain('reconciliation_last_run_failed 0');

    const second = await reconcile(stack);
    const unrepaired = first.findings.filter((finding: Finding) => !finding.repaired);
    expect(byReward(second.findings)).toEqual(byReward(unrepaired));
    expect((await stack.call('GET', '/v1/reconciliation/runs/latest')).body).toEqual(second);
  });

  it('compares cash rewards with their Connect transfers, and clawbacks with the transfer reversals', async () => {
    const programId = await createProgram(stack, {
      holdingPeriod: 'P0D',
      clawbackWindow: 'P60D',
      rewards: { referrer: { kind: 'cash', amount: 1000 }, referee: null },
    });
    const paidInCash = async () => {
      const account = stack.stripe.createConnectedAccount();
      const referrer = await enrol(stack, programId, { stripeAccountId: account });
      const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
      const eventId = uniqueId('evt');
      await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId, eventId) });
      const view = await stack.referralReaches(referralId, 'rewarded');
      const [transfer] = stack.stripe.transfersTo(account);
      if (!transfer) throw new Error(`no transfer to ${account}`);
      return { referralId, refereeExternalId, eventId, account, rewardId: view.rewards[0]?.rewardId as string, transfer };
    };
    const clawedBack = await paidInCash();
    const edited = await paidInCash();
    await stack.call('POST', `/v1/programs/${programId}/refunds`, {
      body: { eventId: uniqueId('rf'), refereeExternalId: clawedBack.refereeExternalId, conversionEventId: clawedBack.eventId, amount: 5000 },
    });
    await stack.referralReaches(clawedBack.referralId, 'reversed');
    expect(clawedBack.transfer).toMatchObject({ reversed: true, amount_reversed: 1000 });
    stack.stripe.editTransferAmount(edited.transfer.id, 700);

    const run = await reconcile(stack);
    const ours = run.findings.filter((finding: Finding) => [clawedBack.rewardId, edited.rewardId].includes(finding.rewardId ?? ''));
    expect(ours).toEqual([
      {
        kind: 'amount_mismatch',
        rewardId: edited.rewardId,
        referralId: edited.referralId,
        detail: `a Stripe transfer for reward ${edited.rewardId} is ${edited.transfer.id} (700 usd on ${edited.account}); the ledger has 1000 usd`,
        repaired: false,
      },
    ]);
    expect(run.findings.filter((finding: Finding) => finding.kind === 'ledger_invariant')).toEqual([]);
  });

  it('fails a run that cannot read Stripe, says why, and tells ops through the metric', async () => {
    stack.stripe.refuseListings({ status: 403, type: 'invalid_request_error', message: 'The provided key does not have access to customers' });
    try {
      const started = await stack.call('POST', '/v1/reconciliation/runs');
      const run = await stack.eventually(
        () => stack.call('GET', `/v1/reconciliation/runs/${started.body.runId}`),
        (response) => response.body.status !== 'running',
        60_000,
      );
      expect(run.body).toMatchObject({
        status: 'failed',
        error: 'Stripe refused to list balance transactions: The provided key does not have access to customers',
        findings: [],
      });
      const metrics = (await stack.call('GET', '/metrics')).body as string;
      expect(metrics).toContain('reconciliation_last_run_failed 1');
      expect(stack.worker.output).toMatch(new RegExp(`"level":50[^\\n]*"runId":"${started.body.runId}"[^\\n]*"msg":"reconciliation failed"`));
    } finally {
      stack.stripe.refuseListings(null);
    }
  });
});
