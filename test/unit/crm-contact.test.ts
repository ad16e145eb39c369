import { describe, expect, it } from '@jest/globals';
import { retryAfterMs } from '../../activities/hubspot/client.ts';
import { type ContactFacts, contactProperties, decimalAmount, noteBody, noteKey, type RewardFact } from '../../domain/crm-contact.ts';
import { loadConfig } from '../../runtime/config.ts';

const reward = (rewardId: string, event: RewardFact['event'], amount: number, currency = 'usd', at = '2026-11-01T00:00:00.000Z'): RewardFact => ({
  rewardId,
  referralId: `ref_${rewardId}`,
  programId: 'acme',
  amount,
  currency,
  event,
  at,
});

const referrer = (rewards: RewardFact[], referrals = 3): ContactFacts => ({
  email: 'jane@example.com',
  participant: { code: 'JANE1', referredByCode: null },
  asReferee: null,
  referrals,
  rewards,
});

describe('HubSpot contact properties', () => {
  it('write amounts in the major unit, exactly', () => {
    expect(decimalAmount(2000, 'usd')).toBe('20.00');
    expect(decimalAmount(5, 'usd')).toBe('0.05');
    expect(decimalAmount(500, 'jpy')).toBe('500');
    expect(decimalAmount(1234, 'kwd')).toBe('1.234');
    expect(decimalAmount(900_719_925_474_099, 'usd')).toBe('9007199254740.99');
  });

  it('count rewards earned and not reversed, as absolute values', () => {
    const properties = contactProperties(
      referrer([reward('rw_1', 'issued', 2000), reward('rw_2', 'issued', 1500), reward('rw_2', 'reversed', 1500), reward('rw_3', 'issued', 2000)]),
      'https://acme.example',
    );
    expect(properties).toEqual({
      email: 'jane@example.com',
      referral_code: 'JANE1',
      referral_link: 'https://acme.example/r/JANE1',
      referral_count: '3',
      referral_rewards_count: '2',
      referral_rewards_amount: '40.00',
      referral_rewards_currency: 'USD',
    });
  });

  it('show a person paid in two currencies in the currency of their latest reward', () => {
    const properties = contactProperties(
      referrer([reward('rw_1', 'issued', 2000, 'usd', '2026-10-01T00:00:00.000Z'), reward('rw_2', 'issued', 1000, 'eur', '2026-11-01T00:00:00.000Z')]),
      'https://acme.example',
    );
    expect(properties).toMatchObject({ referral_rewards_count: '1', referral_rewards_amount: '10.00', referral_rewards_currency: 'EUR' });
  });

  it('give a participant without rewards zeros, and a referee who is no participant only the referral', () => {
    expect(contactProperties(referrer([], 0), 'https://acme.example')).toMatchObject({
      referral_count: '0',
      referral_rewards_count: '0',
      referral_rewards_amount: '0',
    });
    const referee: ContactFacts = {
      email: 'sam@example.org',
      participant: null,
      asReferee: { referralId: 'ref_1', programId: 'acme', status: 'holding', code: 'JANE1' },
      referrals: 0,
      rewards: [],
    };
    expect(contactProperties(referee, 'https://acme.example')).toEqual({
      email: 'sam@example.org',
      referral_id: 'ref_1',
      referral_program: 'acme',
      referral_status: 'holding',
      referred_by_code: 'JANE1',
    });
  });

  it('key a note by its reward and event, and say what happened in it', () => {
    expect(noteKey('rw_1', 'issued')).toBe('rw_1:issued');
    expect(noteBody(reward('rw_1', 'issued', 2000))).toBe('Referral reward issued: 20.00 USD (program acme, referral ref_rw_1, reward rw_1).');
  });
});

describe("HubSpot's Retry-After", () => {
  it('waits the seconds or until the date it names, at least a second, and ten seconds when it names nothing', () => {
    const now = Date.parse('2026-11-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('0', now)).toBe(1_000);
    expect(retryAfterMs('Sun, 01 Nov 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs(undefined, now)).toBe(10_000);
    expect(retryAfterMs('soon', now)).toBe(10_000);
  });
});

describe('HUBSPOT_ACTIVITIES_PER_SECOND', () => {
  it('defaults to 4 and refuses a rate no HubSpot app has, naming the variable', () => {
    expect(loadConfig({}).HUBSPOT_ACTIVITIES_PER_SECOND).toBe(4);
    expect(loadConfig({ HUBSPOT_ACTIVITIES_PER_SECOND: '9.5' }).HUBSPOT_ACTIVITIES_PER_SECOND).toBe(9.5);
    for (const bad of ['0', '-1', '400', 'fast']) {
      expect(() => loadConfig({ HUBSPOT_ACTIVITIES_PER_SECOND: bad })).toThrow(/HUBSPOT_ACTIVITIES_PER_SECOND: /);
    }
  });
});
