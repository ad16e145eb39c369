import type { ProgramInput } from '../../domain/program.ts';

/** The example program from API.md, with overrides. */
export function programInput(overrides: Partial<ProgramInput> = {}): ProgramInput {
  return {
    name: 'Acme referrals',
    currency: 'usd',
    attribution: { window: 'P90D', model: 'first_touch', cookieTtl: 'P30D' },
    conversion: { types: ['purchase'], minAmount: 1000 },
    rewards: { referrer: { kind: 'account_credit', amount: 2000 }, referee: null },
    holdingPeriod: 'P30D',
    clawbackWindow: 'P60D',
    limits: { maxRewardsPerReferrer: 50, period: 'P30D' },
    fraud: { reviewScore: 40, rejectScore: 80, reviewTimeout: 'P7D', onReviewTimeout: 'reject' },
    landing: {
      url: 'https://acme.example/signup',
      allowedRedirectHosts: ['acme.example'],
      headline: '{{referrerFirstName}} gave you 20% off',
      iosAppUrl: null,
      androidAppUrl: null,
    },
    ...overrides,
  };
}
