// The fraud check: records the qualifying conversion's footprint, gathers the evidence about the
// referral from the recorded sightings, and runs the rules on it. Also the daily job that clears
// addresses past each program's signal retention.
import type { Db } from '../db/connect.ts';
import { gatherEvidence } from '../db/fraud-evidence.ts';
import { clearExpiredAddresses } from '../db/fraud-retention.ts';
import { recordConversion } from '../db/fraud-sightings.ts';
import { findParticipantById } from '../db/participants.ts';
import { failureTypes, nonRetryable } from '../domain/failures.ts';
import { assess, type FraudAssessment } from '../domain/fraud/assessment.ts';
import { fraudTermsSchema, type RecordedFraudTerms } from '../domain/fraud/config.ts';
import { fraudRules } from '../domain/fraud/rules.ts';
import type { ConversionEvent } from '../domain/referral.ts';

export interface FraudDeps {
  db: Db;
  /** The country an IP address is in, from the IP-to-country database; null when it does not know. */
  countryOf: (ip: string) => string | null;
}

export interface FraudCheckInput {
  referralId: string;
  programId: string;
  referrerId: string;
  referee: { externalId: string; email: string; stripeCustomerId?: string | undefined };
  attributedAt: string;
  minAmount: number;
  /** The program's fraud terms as the referral started under them; rules added since take their defaults. */
  thresholds: RecordedFraudTerms;
  conversion: Pick<ConversionEvent, 'eventId' | 'amount' | 'occurredAt' | 'ip' | 'country' | 'paymentFingerprint'> | null;
}

export function createFraudActivities({ db, countryOf }: FraudDeps) {
  return {
    async checkFraud(input: FraudCheckInput): Promise<FraudAssessment> {
      const terms = fraudTermsSchema.parse(input.thresholds);
      const referrer = await findParticipantById(db, input.referrerId);
      if (!referrer) throw nonRetryable(failureTypes.participantMissing, `participant ${input.referrerId} does not exist`);
      const attributedAt = new Date(input.attributedAt);
      const { conversion } = input;
      if (conversion) {
        await recordConversion(db, {
          programId: input.programId,
          eventId: conversion.eventId,
          payer: { externalId: input.referee.externalId, ip: conversion.ip, country: conversion.country, paymentFingerprint: conversion.paymentFingerprint },
          amount: conversion.amount,
          at: conversion.occurredAt,
          referral: { referrer: { participantId: referrer.participantId, externalId: referrer.externalId }, attributedAt },
        });
      }
      const convertedAt = conversion ? new Date(conversion.occurredAt) : null;
      const evidence = await gatherEvidence(db, {
        programId: input.programId,
        referrer: {
          participantId: referrer.participantId,
          externalId: referrer.externalId,
          email: referrer.email,
          stripeCustomerId: referrer.stripeCustomerId,
        },
        referee: { externalId: input.referee.externalId, email: input.referee.email, stripeCustomerId: input.referee.stripeCustomerId ?? null },
        attributedAt,
        conversion: conversion && convertedAt ? { amount: conversion.amount, at: convertedAt } : null,
        minAmount: input.minAmount,
        rules: terms.rules,
        // A conversion stamped a moment ahead of this clock still counts as seen.
        asOf: new Date(Math.max(Date.now(), convertedAt?.getTime() ?? 0)),
        countryOf,
      });
      return assess(evidence, terms, fraudRules);
    },

    /** Clears the addresses (and their networks) recorded longer ago than each program keeps them; returns how many. */
    async clearExpiredAddresses(): Promise<number> {
      return clearExpiredAddresses(db, new Date());
    },
  };
}

export type FraudActivities = ReturnType<typeof createFraudActivities>;
