// A referral program: the terms a referral runs under. Validated here, stored with a version,
// and handed to each referral workflow as a snapshot so later edits leave running referrals alone.
import { z } from 'zod';
import { durationSchema } from './duration-schema.ts';
import { fraudTermsSchema } from './fraud/config.ts';
import { amountSchema, currencySchema } from './money.ts';
import { milestonesSchema, refereeRewardSchema, referrerRewardSchema } from './reward.ts';
import { addSemanticIssue } from './semantic-issue.ts';
import { textSchema } from './text.ts';
import { APP_SCHEME_PATTERN, appUrlSchema, httpsUrlSchema, schemeOf, webUrlSchema } from './urls.ts';

export const programIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected 1-64 lowercase letters, digits, "-" or "_"');

const hostSchema = z
  .string()
  .regex(
    /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$/,
    'expected a lowercase host name, e.g. "acme.example"',
  );

const appSchemeSchema = z
  .string()
  .regex(APP_SCHEME_PATTERN, 'expected a URL scheme without ":", e.g. "acme"; http, https, javascript, data, file and the like are never allowed');

const landingSchema = z
  .strictObject({
    url: webUrlSchema,
    allowedRedirectHosts: z.array(hostSchema).min(1),
    headline: textSchema({ max: 200 })
      .nullable()
      .default(null)
      .describe('Browsers get a personalised landing page when set; "{{referrerFirstName}}" is replaced with the referrer\'s first name'),
    body: textSchema({ max: 1000, multiline: true })
      .nullable()
      .default(null)
      .describe('Text under the offer on the landing page; blank lines start paragraphs'),
    imageUrl: httpsUrlSchema.nullable().default(null).describe('An image at the top of the landing page and in link previews'),
    template: z.enum(['card', 'banner']).default('card').describe('"card": the image above the text in a card; "banner": the image across the top of the page'),
    iosAppUrl: appUrlSchema.nullable().default(null).describe('Where iPhones go: an https universal link, or a URL in one of "appSchemes"'),
    androidAppUrl: appUrlSchema.nullable().default(null).describe('Where Android phones go: an https App Link, or a URL in one of "appSchemes"'),
    appSchemes: z.array(appSchemeSchema).max(10).default([]).describe('Custom URL schemes the app URLs may use, e.g. ["acme"] for "acme://signup"'),
    claimWindow: durationSchema.default('PT2H').describe('How long after a click an app opened for the first time may claim it (deferred deep linking)'),
  })
  .superRefine((landing, ctx) => {
    // Runs also when a field above failed; only fields that parsed are compared.
    const hosts = Array.isArray(landing.allowedRedirectHosts) ? landing.allowedRedirectHosts : [];
    if (typeof landing.url === 'string' && URL.canParse(landing.url) && !hosts.includes(new URL(landing.url).host)) {
      addSemanticIssue(ctx, 'the landing URL\'s host must be one of "allowedRedirectHosts"', ['url']);
    }
    const schemes = Array.isArray(landing.appSchemes) ? landing.appSchemes : [];
    for (const field of ['iosAppUrl', 'androidAppUrl'] as const) {
      const url = landing[field];
      if (typeof url !== 'string') continue;
      const scheme = schemeOf(url);
      if (scheme !== 'https' && !schemes.includes(scheme)) {
        addSemanticIssue(ctx, `"${scheme}:" is not listed in "appSchemes"; list it there, or use an https: app link`, [field]);
      }
    }
  });

export const programInputSchema = z.strictObject({
  name: textSchema({ max: 200 }),
  currency: currencySchema,
  attribution: z.strictObject({
    window: durationSchema,
    model: z.enum(['first_touch', 'last_touch']).default('first_touch'),
    cookieTtl: durationSchema.default('P30D'),
  }),
  conversion: z.strictObject({
    types: z.array(textSchema({ max: 64 })).min(1),
    minAmount: amountSchema.default(0),
  }),
  rewards: z.strictObject({
    referrer: referrerRewardSchema,
    referee: refereeRewardSchema.nullable().default(null),
    milestones: milestonesSchema.default([]),
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
  viral: z
    .strictObject({
      enrolReferees: z
        .enum(['on_reward', 'on_conversion', 'off'])
        .default('on_reward')
        .describe(
          "when a referee becomes a participant with their own code and link: once their referrer's reward is issued, at their qualifying conversion, or never",
        ),
    })
    .default({ enrolReferees: 'on_reward' }),
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
> &
  // Referrals started before the viral loop existed carry no viral terms.
  Partial<Pick<Program, 'viral'>>;

export function termsOf(program: Program): ProgramTerms {
  const { programId, version, currency, attribution, conversion, rewards, holdingPeriod, clawbackWindow, limits, fraud, viral } = program;
  return { programId, version, currency, attribution, conversion, rewards, holdingPeriod, clawbackWindow, limits, fraud, viral };
}
