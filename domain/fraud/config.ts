// A program's fraud terms: the scores that send a referral to review or reject it, what happens
// when a review times out, how long IP addresses are kept, and each rule's weight and thresholds.
// Every field has a default, so programs stored before a rule existed load with that rule on.
import { z } from 'zod';
import { durationSchema } from '../duration-schema.ts';
import { addSemanticIssue } from '../semantic-issue.ts';

const weight = (fallback: number) =>
  z.number().int().min(0).max(100).default(fallback).describe('added to the score when the rule fires; 0 turns the rule off');
const count = (fallback: number, what: string) => z.number().int().min(1).max(10_000).default(fallback).describe(what);

// Every field has a default, so an empty object (or none) is a whole rule.
const rule = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape).prefault({} as never);

export const fraudRulesSchema = z
  .strictObject({
    self_referral: rule({
      weight: weight(100),
      deviceWeight: weight(40).describe("when the referee signs up on the referrer's own device (a shared family computer looks the same)"),
    }),
    shared_network: rule({
      weight: weight(45),
      window: durationSchema.default('PT6H'),
      minReferees: count(
        3,
        "the referrer's referees on the referrer's network within the window either side of this one (this one included) that make the full weight; fewer add a third of it",
      ),
    }),
    ip_velocity: rule({
      weight: weight(45),
      window: durationSchema.default('PT1H'),
      maxReferrals: count(5, 'referees signed up from one IP, /24 or /64 within the window either side of this one, before the rule fires'),
      maxConversions: count(5, 'referees converted from one IP, /24 or /64 within the window before this conversion, before the rule fires'),
    }),
    referrer_velocity: rule({
      weight: weight(40),
      window: durationSchema.default('P1D'),
      maxReferrals: count(20, "the referrer's referrals within the window either side of this one, before the rule fires"),
    }),
    shared_device: rule({
      weight: weight(50),
      minReferees: count(2, "the referrer's referees on one device (this one included) that make the rule fire"),
    }),
    shared_payment: rule({
      weight: weight(50),
      minReferees: count(3, 'people paying with one card among the referrer and their referees (this one included) that make the full weight'),
      ownCardWeight: weight(20).describe("when the referee pays with the referrer's own card and no one else does (a family card looks the same)"),
    }),
    geo_mismatch: rule({ weight: weight(40) }),
    disposable_email: rule({ weight: weight(40) }),
    referral_loop: rule({
      weight: weight(80),
      maxDepth: z.number().int().min(2).max(8).default(4).describe('longest chain of referrals searched for a cycle or a ring'),
      ringWeight: weight(45).describe("when the referee shares a device or card with someone further up the referrer's chain"),
    }),
    fast_conversion: rule({
      weight: weight(45),
      within: durationSchema.default('PT20S').describe('a conversion this soon after sign-up counts as fast: faster than a person signs up and pays'),
      marginPercent: z.number().int().min(0).max(100).default(5).describe('an amount at most this far above the qualifying minimum counts as just over it'),
      repeats: count(3, "the referrer's referees converting fast or just over the minimum (this one included) that make the rule fire"),
    }),
  })
  .prefault({});

export const fraudTermsSchema = z
  .strictObject({
    reviewScore: z.number().int().min(0).max(100).default(40),
    rejectScore: z.number().int().min(0).max(100).nullable().default(80).describe('null sends every suspicious referral to review instead'),
    reviewTimeout: durationSchema.default('P7D'),
    onReviewTimeout: z.enum(['approve', 'reject']).default('reject'),
    signalRetention: durationSchema
      .default('P30D')
      .describe('how long the IP addresses behind clicks, sign-ups and conversions are kept for the network rules; a daily job deletes older ones'),
    rules: fraudRulesSchema,
  })
  .superRefine((f, ctx) => {
    // A rule no schema can state: 422, not 400.
    if (typeof f.reviewScore === 'number' && typeof f.rejectScore === 'number' && f.reviewScore > f.rejectScore) {
      addSemanticIssue(ctx, '"reviewScore" must not exceed "rejectScore"', ['reviewScore']);
    }
  })
  .prefault({});

export type FraudTerms = z.output<typeof fraudTermsSchema>;
/** Fraud terms as a referral recorded them: those from before a rule existed lack it. */
export type RecordedFraudTerms = z.input<typeof fraudTermsSchema>;
export type FraudRules = z.output<typeof fraudRulesSchema>;
export type FraudRuleName = keyof FraudRules;
export const fraudRuleNames = fraudRulesSchema.unwrap().keyof().options;
