import { describe, expect, it } from '@jest/globals';
import { assess, type FraudAssessment, secondLookDecision } from '../../domain/fraud/assessment.ts';
import { fraudTermsSchema } from '../../domain/fraud/config.ts';
import { canonicalEmail, disposableDomainOf } from '../../domain/fraud/email.ts';
import type { Evidence, Person, Sighting } from '../../domain/fraud/evidence.ts';
import { networkOf } from '../../domain/fraud/network.ts';
import { fraudRules } from '../../domain/fraud/rules.ts';
import { programInputSchema } from '../../domain/program.ts';

const terms = fraudTermsSchema.parse({});
const seen = (overrides: Partial<Sighting>): Sighting => ({
  kind: 'attribution',
  at: '2026-03-02T10:00:00.000Z',
  ip: null,
  network: null,
  ipCountry: null,
  declaredCountry: null,
  device: null,
  paymentFingerprint: null,
  amount: null,
  ...overrides,
});
const person = (externalId: string, sightings: Sighting[] = [], email: string | null = `${externalId}@example.com`): Person => ({
  externalId,
  email,
  stripeCustomerId: null,
  sightings,
});
const evidence = (overrides: Partial<Evidence> = {}): Evidence => ({
  attributedAt: '2026-03-02T10:00:00.000Z',
  referrer: person('jane'),
  referee: person('sam'),
  cardHolders: [],
  peers: [],
  networkActivity: [],
  referrerReferrals: 1,
  referrerConversions: [],
  ancestors: [],
  conversion: { amount: 5000, secondsAfterSignUp: 3600 },
  minAmount: 1000,
  ...overrides,
});

describe('fraud rules', () => {
  it('approve an unrelated referee with nothing to say', () => {
    expect(assess(evidence(), terms, fraudRules)).toEqual({ score: 0, signals: [], decision: 'approve' });
  });

  it('reject a self-referral through a disguised Gmail address', () => {
    const result = assess(
      evidence({ referrer: person('jane', [], 'Jane.Doe@gmail.com'), referee: person('sam', [], 'janedoe+promo@googlemail.com') }),
      terms,
      fraudRules,
    );
    expect(result).toEqual({
      score: 100,
      decision: 'reject',
      signals: [{ rule: 'self_referral', weight: 100, detail: "referee has the referrer's email address" }],
    });
  });

  it('never reject on household evidence alone: one home, one card, one shared computer', () => {
    const home = { ip: '192.0.2.7', network: '192.0.2.0/24' };
    const result = assess(
      evidence({
        referrer: person('mum', [seen({ kind: 'sign_in', ...home, device: 'ipad', paymentFingerprint: 'family-card' })]),
        referee: person('dad', [seen({ ...home, device: 'ipad' }), seen({ kind: 'conversion', ...home, paymentFingerprint: 'family-card' })]),
        cardHolders: [{ externalId: 'kid', referredByReferrer: true }],
      }),
      terms,
      fraudRules,
    );
    expect(result.signals.map((s) => s.rule)).toEqual(['self_referral', 'shared_network', 'shared_payment']);
    expect(result).toMatchObject({ score: 79, decision: 'review' });
  });

  it("weigh one card in full across people who are not one household, and little inside the referrer's home", () => {
    const home = { ip: '192.0.2.7', network: '192.0.2.0/24' };
    const referrer = person('mum', [seen({ kind: 'sign_in', ...home, paymentFingerprint: 'card' })]);
    const paidFrom = (where: { ip: string; network: string }) => person('dad', [seen({ kind: 'conversion', ...where, paymentFingerprint: 'card' })]);
    const cardHolders = [{ externalId: 'kid', referredByReferrer: true }];
    const kidAtHome = { externalId: 'kid', devices: [], onSharedNetwork: [{ network: home.network, at: '2026-03-01T10:00:00.000Z' }] };
    const elsewhere = assess(evidence({ referrer, referee: paidFrom({ ip: '198.51.100.4', network: '198.51.100.0/24' }), cardHolders }), terms, fraudRules);
    expect(elsewhere.signals).toEqual([
      { rule: 'shared_payment', weight: 50, detail: "one card paid for 2 referees of this referrer and is the referrer's own" },
    ]);
    const atHome = assess(evidence({ referrer, referee: paidFrom(home), cardHolders, peers: [kidAtHome] }), terms, fraudRules);
    expect(atHome.signals).toContainEqual({
      rule: 'shared_payment',
      weight: 20,
      detail: "one card paid for 2 referees of this referrer and is the referrer's own, all on the referrer's network",
    });
  });

  it('take a second look at the end of the hold only when it is stricter, and send a reviewed referral back to a person', () => {
    const looked = (decision: FraudAssessment['decision']): FraudAssessment => ({ score: 0, signals: [], decision });
    expect(secondLookDecision(looked('approve'), looked('approve'))).toBeNull();
    expect(secondLookDecision(looked('approve'), looked('review'))).toBe('review');
    expect(secondLookDecision(looked('approve'), looked('reject'))).toBe('reject');
    expect(secondLookDecision(looked('review'), looked('review'))).toBeNull();
    expect(secondLookDecision(looked('review'), looked('reject'))).toBe('review');
  });

  it('name the network, never the address', () => {
    const result = assess(evidence({ networkActivity: [{ network: '203.0.113.0/24', exact: true, referrals: 9, conversions: 0 }] }), terms, fraudRules);
    expect(result.signals).toEqual([
      { rule: 'ip_velocity', weight: 45, detail: '9 referees signed up from one IP address in 203.0.113.0/24 within 1 hour of this one (more than 5)' },
    ]);
  });

  it('find a cycle through the referral chain', () => {
    const result = assess(evidence({ ancestors: [person('bob'), person('sam')] }), terms, fraudRules);
    expect(result.signals).toEqual([{ rule: 'referral_loop', weight: 80, detail: 'the referral closes a cycle of 3 persons: sam → bob → jane → sam' }]);
  });

  it('compare the IP country with the countries given', () => {
    const result = assess(evidence({ referee: person('sam', [seen({ ipCountry: 'VN', declaredCountry: 'US' })]) }), terms, fraudRules);
    expect(result.signals).toEqual([{ rule: 'geo_mismatch', weight: 40, detail: "referee's IP address is in VN (sign-up), but they gave US" }]);
  });

  it('take their weights and thresholds from the program, with defaults for stored programs that predate them', () => {
    const tuned = fraudTermsSchema.parse({ rules: { geo_mismatch: { weight: 0 }, ip_velocity: { maxReferrals: 20 } } });
    expect(tuned.rules.geo_mismatch).toEqual({ weight: 0 });
    expect(tuned.rules.ip_velocity).toEqual({ weight: 45, window: 'PT1H', maxReferrals: 20, maxConversions: 5 });
    expect(tuned.rules.self_referral).toEqual({ weight: 100, deviceWeight: 40 });
    const stored = { reviewScore: 40, rejectScore: 80, reviewTimeout: 'P7D', onReviewTimeout: 'reject' };
    expect(fraudTermsSchema.parse(stored).rules.fast_conversion.within).toBe('PT20S');
    const { fraud, ...withoutFraud } = programInputSchema.parse({
      name: 'x',
      currency: 'usd',
      attribution: { window: 'P90D' },
      conversion: { types: ['purchase'] },
      rewards: { referrer: { kind: 'account_credit', amount: 100 } },
      landing: { url: 'https://acme.example', allowedRedirectHosts: ['acme.example'] },
    });
    expect(withoutFraud.name).toBe('x');
    expect(fraud.signalRetention).toBe('P30D');
    expect(() => fraudTermsSchema.parse({ rules: { no_such_rule: {} } })).toThrow();
  });
});

describe('fraud signals helpers', () => {
  it('put an address in its /24 or /64, mapped IPv4 as IPv4', () => {
    expect(networkOf('203.0.113.7')).toEqual({ ip: '203.0.113.7', network: '203.0.113.0/24' });
    expect(networkOf('::ffff:203.0.113.7')).toEqual({ ip: '203.0.113.7', network: '203.0.113.0/24' });
    expect(networkOf('2001:DB8:1:2:3:4:5:6')).toEqual({ ip: '2001:db8:1:2:3:4:5:6', network: '2001:db8:1:2::/64' });
    expect(networkOf('not an address')).toBeNull();
  });

  it('know disposable domains from the maintained list, subdomains included', () => {
    expect(disposableDomainOf('x@mailinator.com')).toBe('mailinator.com');
    expect(disposableDomainOf('x@eu.mailinator.com')).toBe('mailinator.com');
    expect(disposableDomainOf('x@gmail.com')).toBeNull();
  });

  it('keep plus-tags apart from dots outside Gmail', () => {
    expect(canonicalEmail('A.B+x@Example.com')).toBe('a.b@example.com');
    expect(canonicalEmail('a.b+x@gmail.com')).toBe('ab@gmail.com');
  });
});
