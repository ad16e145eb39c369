import { describe, expect, it } from '@jest/globals';
import { programInputSchema } from '../../domain/program.ts';
import { programInput } from '../support/program-fixtures.ts';

function issuesOf(input: unknown) {
  const result = programInputSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('program validation', () => {
  it('accepts the example program from the API contract', () => {
    expect(issuesOf(programInput())).toEqual([]);
  });

  it('fills in defaults a minimal program leaves out', () => {
    const program = programInputSchema.parse({
      name: 'Minimal',
      currency: 'eur',
      attribution: { window: 'P30D' },
      conversion: { types: ['purchase'] },
      rewards: { referrer: { kind: 'account_credit', amount: 500 } },
      landing: { url: 'https://shop.example/', allowedRedirectHosts: ['shop.example'] },
    });
    expect(program).toMatchObject({
      attribution: { window: 'P30D', model: 'first_touch', cookieTtl: 'P30D' },
      conversion: { minAmount: 0 },
      rewards: { referee: null },
      holdingPeriod: 'P0D',
      clawbackWindow: 'P0D',
      limits: { maxRewardsPerReferrer: null, period: null },
      fraud: { reviewScore: 40, rejectScore: 80, reviewTimeout: 'P7D', onReviewTimeout: 'reject' },
      landing: {
        headline: null,
        body: null,
        imageUrl: null,
        template: 'card',
        iosAppUrl: null,
        androidAppUrl: null,
        appSchemes: [],
        claimWindow: 'PT2H',
      },
    });
  });

  it('sends phones only to https app links and to schemes the program lists', () => {
    const landing = (overrides: object) => programInput({ landing: { ...programInput().landing, ...overrides } });
    expect(issuesOf(landing({ iosAppUrl: 'https://app.acme.example/open', androidAppUrl: 'acme://open', appSchemes: ['acme'] }))).toEqual([]);
    expect(issuesOf(landing({ iosAppUrl: 'javascript:alert(1)' }))).toEqual([{ path: 'landing.iosAppUrl', message: expect.stringContaining('javascript:') }]);
    expect(issuesOf(landing({ androidAppUrl: 'http://app.acme.example/open' }))).toEqual([
      { path: 'landing.androidAppUrl', message: expect.stringContaining('https') },
    ]);
    expect(issuesOf(landing({ iosAppUrl: 'acme://open' }))).toEqual([{ path: 'landing.iosAppUrl', message: expect.stringContaining('appSchemes') }]);
    expect(issuesOf(landing({ appSchemes: ['data', 'Acme'] }))).toEqual([
      { path: 'landing.appSchemes.0', message: expect.stringContaining('never allowed') },
      { path: 'landing.appSchemes.1', message: expect.stringContaining('URL scheme') },
    ]);
    expect(issuesOf(landing({ imageUrl: 'http://images.acme.example/a.png' }))).toEqual([
      { path: 'landing.imageUrl', message: expect.stringContaining('expected an https URL') },
    ]);
  });

  it('rejects unknown fields, naming them', () => {
    expect(issuesOf({ ...programInput(), colour: 'blue' })).toEqual([{ path: '', message: expect.stringContaining('colour') }]);
  });

  it('names the field of each problem', () => {
    const input = programInput({ currency: 'USD', holdingPeriod: 'P1M' });
    expect(issuesOf(input)).toEqual([
      { path: 'currency', message: expect.stringContaining('lowercase ISO 4217') },
      { path: 'holdingPeriod', message: expect.stringContaining('use weeks or days') },
    ]);
  });

  it('refuses a landing URL outside the allowed redirect hosts', () => {
    const input = programInput({ landing: { url: 'https://evil.example/', allowedRedirectHosts: ['acme.example'] } });
    expect(issuesOf(input)).toEqual([{ path: 'landing.url', message: expect.stringContaining('allowedRedirectHosts') }]);
  });

  it('refuses a review threshold above the reject threshold', () => {
    const input = programInput({ fraud: { reviewScore: 90, rejectScore: 80 } });
    expect(issuesOf(input)).toEqual([{ path: 'fraud.reviewScore', message: expect.stringContaining('rejectScore') }]);
  });
});
