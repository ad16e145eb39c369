// A participant as the API shows them: who they are, their code and link, and what their link has brought.
import { z } from 'zod';
import { vanityCodeSchema } from './codes.ts';
import { externalIdSchema } from './referral.ts';
import { textSchema } from './text.ts';

const stripeId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9]{1,250}$`), `expected a Stripe id starting "${prefix}_"`);

export const enrolmentSchema = z.strictObject({
  externalId: externalIdSchema,
  email: z.email(),
  name: textSchema({ max: 200 }).optional(),
  stripeCustomerId: stripeId('cus').optional(),
  stripeAccountId: stripeId('acct').optional(),
  code: vanityCodeSchema.optional().describe('a vanity code; one is generated when left out'),
});
export type Enrolment = z.output<typeof enrolmentSchema>;

export const participantChangesSchema = z
  .strictObject({
    email: z.email().optional(),
    name: textSchema({ max: 200 }).nullable().optional(),
    stripeCustomerId: stripeId('cus').nullable().optional(),
    stripeAccountId: stripeId('acct').nullable().optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, { message: 'give at least one field to change' })
  .meta({ minProperties: 1 });
export type ParticipantChanges = z.output<typeof participantChangesSchema>;

export const referredBySchema = z
  .object({ participantId: z.string(), externalId: z.string(), code: z.string() })
  .describe('the participant whose referral brought this one in (the viral loop), or null');

export const participantSchema = z.object({
  participantId: z.string(),
  programId: z.string(),
  externalId: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  stripeCustomerId: z.string().nullable(),
  stripeAccountId: z.string().nullable(),
  code: z.string(),
  link: z.url(),
  referredBy: referredBySchema.nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
/** A participant as stored: the link is not, since it follows from the code and the deployment's public URL. */
export type Participant = Omit<z.infer<typeof participantSchema>, 'link'>;

export const participantCountsSchema = z.object({
  clicks: z.number().int(),
  referrals: z.number().int(),
  conversions: z.number().int(),
  rewards: z.number().int(),
});
export type ParticipantCounts = z.infer<typeof participantCountsSchema>;
