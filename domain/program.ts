// A referral program: the terms a referral runs under. Validated here, stored with a version,
// and handed to each referral workflow as a snapshot so later edits leave running referrals alone.
import { z } from 'zod';
import { durationSchema } from './duration-schema.ts';
import { fraudTermsSchema } from './fraud/config.ts';
import { amountSchema, currencySchema } from './money.ts';
import { milestonesSchema, refereeRewardSchema, referrerRewardSchema } from './reward.ts';

export const programIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected 1-64 lowercase letters, digits, "-" or "_"');

const hostSchema = z
  .string()
  .regex(
    /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/,
    'expected a lowercase host name, e.g. "acme.example"',
  );

const webUrlSchema = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/**
 * Schemes that carry script, local files or other pages' content, never an app: a program cannot
 * list them as app schemes, so no referral link ever redirects to one.
 */
const NEVER_APP_SCHEMES = ['http', 'https', 'javascript', 'vbscript', 'data', 'blob', 'file', 'filesystem', 'about'];

const appSchemeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9+.-]{0,31}$/, 'expected a URL scheme without ":", e.g. "acme"')
  .refine((scheme) => !NEVER_APP_SCHEMES.includes(scheme), {
    message: 'not an app scheme: https app links need no listing, and script or file schemes are never allowed',
  });

const appUrlSchema = z.url().nullable().default(null);

/** Where a link may send a phone: an https app link (universal link / App Link), or a custom scheme the program lists. */
function appUrlProblem(url: string, appSchemes: string[]): string | null {
  const scheme = new URL(url).protocol.slice(0, -1);
  if (scheme === 'https' || appSchemes.includes(scheme)) return null;
  return `expected an https: app link (universal link or App Link) or a URL whose scheme is listed in "appSchemes"; "${scheme}:" is not`;
}

const landingSchema = z
  .strictObject({
    url: webUrlSchema,
    allowedRedirectHosts: z.array(hostSchema).min(1),
    headline: z
      .string()
      .min(1)
      .max(200)
      .nullable()
      .default(null)
      .describe('Browsers get a personalised landing page when set; "{{referrerFirstName}}" is replaced with the referrer\'s first name'),
    body: z.string().min(1).max(1000).nullable().default(null).describe('Text under the offer on the landing page; blank lines start paragraphs'),
    imageUrl: z
      .url({ protocol: /^https$/, error: 'expected an https URL' })
      .nullable()
      .default(null)
      .describe('An image at the top of the landing page and in link previews'),
    template: z.enum(['card', 'banner']).default('card').describe('"card": the image above the text in a card; "banner": the image across the top of the page'),
    iosAppUrl: appUrlSchema.describe('Where iPhones go: an https universal link, or a URL in one of "appSchemes"'),
    androidAppUrl: appUrlSchema.describe('Where Android phones go: an https App Link, or a URL in one of "appSchemes"'),
    appSchemes: z.array(appSchemeSchema).max(10).default([]).describe('Custom URL schemes the app URLs may use, e.g. ["acme"] for "acme://signup"'),
    claimWindow: durationSchema.default('PT2H').describe('How long after a click an app opened for the first time may claim it (deferred deep linking)'),
  })
  .superRefine((landing, ctx) => {
    if (!URL.canParse(landing.url) || !landing.allowedRedirectHosts.includes(new URL(landing.url).host)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'the landing URL\'s host must be one of "allowedRedirectHosts"' });
    }
    for (const field of ['iosAppUrl', 'androidAppUrl'] as const) {
      const url = landing[field];
      const problem = url === null ? null : appUrlProblem(url, landing.appSchemes);
      if (problem) ctx.addIssue({ code: 'custom', path: [field], message: problem });
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
