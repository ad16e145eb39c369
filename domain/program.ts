// A referral program: the terms a referral runs under. Validated here, stored with a version,
// and handed to each referral workflow as a snapshot so later edits leave running referrals alone.
import { z } from 'zod';
import { durationSchema } from './duration-schema.ts';
import { fraudTermsSchema } from './fraud/config.ts';
import { amountSchema, currencySchema } from './money.ts';
import { refereeRewardSchema, referrerRewardSchema } from './reward.ts';

export const programIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected 1-64 lowercase letters, digits, "-" or "_"');

const hostSchema = z
  .string()
  .regex(
    /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/,
    'expected a lowercase host name, e.g. "acme.example"',
  );

const webUrlSchema = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

const landingSchema = z
  .strictObject({
    url: webUrlSchema,
    allowedRedirectHosts: z.array(hostSchema).min(1),
    headline: z.string().min(1).max(200).nullable().default(null),
    iosAppUrl: z.url().nullable().default(null),
    androidAppUrl: z.url().nullable().default(null),
  })
  .superRefine((landing, ctx) => {
    if (!URL.canParse(landing.url) || !landing.allowedRedirectHosts.includes(new URL(landing.url).host)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'the landing URL\'s host must be one of "allowedRedirectHosts"' });
    }
  });

export const programInputSchema = z.strictObject({
  name: z.string().min(1).max(200),
  currency: currencySchema,
  attribution: z.strictObject({
    window: durationSchema,
    model: z.enum(['first_touch', 'last_touch']).default('first_touch'),
    cookieTtl: durationSchema.default('P30D'),
  }),
  conversion: z.strictObject({
    types: z.array(z.string().min(1).max(64)).min(1),
    minAmount: amountSchema.default(0),
  }),
  rewards: z.strictObject({
    referrer: referrerRewardSchema,
    referee: refereeRewardSchema.nullable().default(null),
  }),
  holdingPeriod: durationSchema.default('P0D'),
  clawbackWindow: durationSchema.default('P0D'),
  limits: z
    .strictObject({
      maxRewardsPerReferrer: z.number().int().positive().nullable().default(null),
      period: durationSchema.nullable().default(null),
    })
    .default({ maxRewardsPerReferrer: null, period: null }),
  fraud: fraudTermsSchema,
  landing: landingSchema,
});

export type ProgramInput = z.input<typeof programInputSchema>;
export type ProgramConfig = z.output<typeof programInputSchema>;

export const programSchema = programInputSchema.extend({
  programId: programIdSchema,
  version: z.number().int().positive(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Program = z.infer<typeof programSchema>;

/** What a referral workflow runs under: the program's terms at one version. */
export type ProgramTerms = Pick<
  Program,
  'programId' | 'version' | 'currency' | 'attribution' | 'conversion' | 'rewards' | 'holdingPeriod' | 'clawbackWindow' | 'limits' | 'fraud'
>;

export function termsOf(program: Program): ProgramTerms {
  const { programId, version, currency, attribution, conversion, rewards, holdingPeriod, clawbackWindow, limits, fraud } = program;
  return { programId, version, currency, attribution, conversion, rewards, holdingPeriod, clawbackWindow, limits, fraud };
}

export interface UnsupportedTerm {
  path: string[];
  message: string;
}

/**
 * Terms the schema accepts (they are part of the published contract) but this engine cannot
 * honour yet. A program using them is refused outright rather than run without them.
 */
export function unsupportedTerms(program: ProgramConfig): UnsupportedTerm[] {
  const found: UnsupportedTerm[] = [];
  const referrer = program.rewards.referrer;
  if (referrer.kind !== 'account_credit') {
    found.push({ path: ['rewards', 'referrer', 'kind'], message: `"${referrer.kind}" rewards are not supported yet; use "account_credit"` });
  }
  if (referrer.recurring !== undefined) {
    found.push({ path: ['rewards', 'referrer', 'recurring'], message: 'recurring rewards are not supported yet' });
  }
  if (program.rewards.referee !== null) {
    found.push({ path: ['rewards', 'referee'], message: 'referee rewards are not supported yet; set "referee": null' });
  }
  return found;
}
