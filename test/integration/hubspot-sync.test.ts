import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { FakeHubSpot } from '../support/fake-hubspot.ts';
import { createProgram, enrol, purchase, refer, uniqueId } from '../support/scenario.ts';
import { type ApiResponse, useStack } from '../support/stack.ts';

const stack = useStack();

/** What HubSpot shows, read the way a test reads the API: eventually, until it passes the check. */
function hubspotShows<T>(read: () => T, check: (value: T) => boolean, timeoutMs = 40_000): Promise<T> {
  const asResponse = async (): Promise<ApiResponse> => ({ status: 200, headers: new Headers(), body: read() });
  return stack.eventually(asResponse, (response) => check(response.body as T), timeoutMs).then((response) => response.body as T);
}

const email = (externalId: string, domain = 'example.org') => `${externalId}@${domain}`;

/** Nothing is left for the CRM sync to send: every change and every note is in HubSpot (or refused). */
async function crmSettled(): Promise<void> {
  await stack.eventually(
    async () => {
      const contacts = await stack.db.selectFrom('crm_contacts').select('id').whereRef('revision', '>', 'synced_revision').execute();
      const notes = await stack.db.selectFrom('crm_notes').select('note_key').where('hubspot_id', 'is', null).where('refused_reason', 'is', null).execute();
      return { status: 200, headers: new Headers(), body: contacts.length + notes.length };
    },
    (response) => response.body === 0,
    40_000,
  );
}

const setupScript = fileURLToPath(new URL('../../scripts/setup-hubspot.ts', import.meta.url));

/** `npm run setup:hubspot`, as a person runs it against an account. */
async function setupHubSpot(hubspot: FakeHubSpot): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [setupScript], {
    env: { ...process.env, HUBSPOT_ACCESS_TOKEN: 'hubspot-test-token', HUBSPOT_API_BASE: hubspot.url },
  });
  return stdout;
}

describe('npm run setup:hubspot', () => {
  it('creates the properties once; a second run changes nothing, and leaves what people edited alone', async () => {
    const account = await new FakeHubSpot().start();
    try {
      const first = await setupHubSpot(account);
      expect(first).toContain('created  contacts.referral_count');
      expect(first).toContain('created  notes.referral_note_key');
      expect([...account.properties.contacts.keys()]).toEqual(expect.arrayContaining(['referral_code', 'referral_rewards_amount', 'referral_status']));
      const edited = account.properties.contacts.get('referral_code');
      if (edited) edited.label = 'Code (edited in HubSpot)';
      const before = JSON.stringify({
        properties: [...account.properties.contacts.values(), ...account.properties.notes.values()],
        groups: account.groups.contacts.size,
      });
      const writes = account.requests.filter((request) => request.status === 201).length;

      const second = await setupHubSpot(account);
      expect(second).toContain('HubSpot was already set up; nothing changed.');
      expect(
        JSON.stringify({ properties: [...account.properties.contacts.values(), ...account.properties.notes.values()], groups: account.groups.contacts.size }),
      ).toBe(before);
      expect(account.requests.filter((request) => request.status === 201)).toHaveLength(writes);
    } finally {
      await account.close();
    }
  });
});

describe('HubSpot kept in step', () => {
  it('shows absolute counts and one note per reward event, through 429s and a lost answer', async () => {
    const programId = await createProgram(stack, { holdingPeriod: 'P0D', clawbackWindow: 'P30D' });
    const alice = await enrol(stack, programId);
    // HubSpot pushes back: the first two upserts answer 429; the first note batch is made but its answer
    // never arrives, so the retry must find it rather than make it again, and that look-up answers 429 once.
    stack.hubspot.rateLimitNext('contacts.upsert', 2, '1');
    stack.hubspot.loseNextAnswer('notes.create');
    stack.hubspot.rateLimitNext('notes.search', 1, '1');

    const bob = await refer(stack, programId, alice.code);
    const carol = await refer(stack, programId, alice.code);
    const dave = await refer(stack, programId, alice.code);
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(bob.refereeExternalId, 'order_bob') });
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(carol.refereeExternalId, 'order_carol') });
    await stack.referralReaches(bob.referralId, 'rewarded');
    await stack.referralReaches(carol.referralId, 'rewarded');
    await stack.call('POST', `/v1/programs/${programId}/refunds`, {
      body: { eventId: 'refund_carol', refereeExternalId: carol.refereeExternalId, conversionEventId: 'order_carol', amount: 5000 },
    });
    await stack.referralReaches(carol.referralId, 'reversed');

    const alicesEmail = email(alice.externalId, 'example.com');
    const contact = await hubspotShows(
      () => stack.hubspot.contact(alicesEmail),
      (properties) => properties?.referral_count === '3' && properties.referral_rewards_count === '1',
    );
    expect(contact).toMatchObject({
      referral_code: alice.code,
      referral_link: alice.link,
      referral_count: '3',
      referral_rewards_count: '1',
      referral_rewards_amount: '20.00',
      referral_rewards_currency: 'USD',
    });

    // The note batch whose answer was lost is looked up by the retry, which finds it made.
    await hubspotShows(
      () => stack.hubspot.requests.filter((request) => request.route === 'notes.search' && request.status === 200).length,
      (searches) => searches >= 1,
    );
    await crmSettled();
    const notes = stack.hubspot.notesOn(alicesEmail);
    const rewardOf = async (referralId: string) => (await stack.call('GET', `/v1/referrals/${referralId}`)).body.rewards[0].rewardId as string;
    const [bobsReward, carolsReward] = [await rewardOf(bob.referralId), await rewardOf(carol.referralId)];
    expect(notes.map((note) => note.properties.referral_note_key).sort()).toEqual(
      [`${bobsReward}:issued`, `${carolsReward}:issued`, `${carolsReward}:reversed`].sort(),
    );
    expect(notes.find((note) => note.properties.referral_note_key === `${carolsReward}:reversed`)?.properties.hs_note_body).toBe(
      `Referral reward reversed: 20.00 USD taken back (program ${programId}, referral ${carol.referralId}, reward ${carolsReward}).`,
    );
    expect(stack.hubspot.requests.filter((request) => request.status === 429)).toHaveLength(3);

    for (const [referee, status] of [
      [bob, 'rewarded'],
      [carol, 'reversed'],
      [dave, 'pending_conversion'],
    ] as const) {
      const refereeContact = await hubspotShows(
        () => stack.hubspot.contact(email(referee.refereeExternalId)),
        (properties) => properties?.referral_status === status,
      );
      expect(refereeContact).toMatchObject({
        referral_id: referee.referralId,
        referral_program: programId,
        referral_status: status,
        referred_by_code: alice.code,
      });
    }
  });

  it('sends the rest of a batch when HubSpot refuses one contact in it', async () => {
    const programId = await createProgram(stack, { holdingPeriod: 'P0D', clawbackWindow: 'P0D' });
    const referrer = await enrol(stack, programId);
    const refusedId = uniqueId('referee');
    stack.hubspot.refusedEmails.add(email(refusedId));
    const refused = await refer(stack, programId, referrer.code, refusedId);
    const others = [await refer(stack, programId, referrer.code), await refer(stack, programId, referrer.code)];

    for (const other of others) {
      await hubspotShows(
        () => stack.hubspot.contact(email(other.refereeExternalId)),
        (properties) => properties?.referral_id === other.referralId,
      );
    }
    await hubspotShows(
      () => stack.hubspot.contact(email(referrer.externalId, 'example.com')),
      (properties) => properties?.referral_count === '3',
    );
    await crmSettled();
    expect(stack.hubspot.contact(email(refused.refereeExternalId))).toBeUndefined();
    const [kept] = await stack.db.selectFrom('crm_contacts').select('refused_reason').where('email', '=', email(refused.refereeExternalId)).execute();
    expect(kept?.refused_reason).toContain('is invalid');
  });

  it('never holds a referral up: one is rewarded while HubSpot makes the sync wait ten minutes', async () => {
    const programId = await createProgram(stack, { holdingPeriod: 'P0D', clawbackWindow: 'P0D' });
    const referrer = await enrol(stack, programId);
    stack.hubspot.rateLimitNext('contacts.upsert', 1, '600');
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId) });
    await stack.referralReaches(referralId, 'rewarded');
    expect(stack.hubspot.contact(email(refereeExternalId))).toBeUndefined();
  });
});
