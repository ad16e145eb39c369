// Search attributes kept current on every referral so ops can filter them in the Temporal Web UI,
// e.g. ReferralStatus = "needs_attention" and ProgramId = "acme". None of them holds personal data.
import { defineSearchAttributeKey, type SearchAttributePair, SearchAttributeType } from '@temporalio/common';
import type { ReferralStatus } from '../domain/referral.ts';

export const referralStatusKey = defineSearchAttributeKey('ReferralStatus', SearchAttributeType.KEYWORD);
export const programIdKey = defineSearchAttributeKey('ProgramId', SearchAttributeType.KEYWORD);
export const referrerIdKey = defineSearchAttributeKey('ReferrerId', SearchAttributeType.KEYWORD);
export const referralCodeKey = defineSearchAttributeKey('ReferralCode', SearchAttributeType.KEYWORD);

export const searchAttributeKeys = [referralStatusKey, programIdKey, referrerIdKey, referralCodeKey];

export interface SearchableFields {
  status?: ReferralStatus;
  programId?: string;
  referrer?: { participantId: string; code: string };
}

/** The search attributes for the fields given, in one fixed order: at the start, all of them; later, what changed. */
export function referralSearchAttributes(fields: SearchableFields): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [];
  if (fields.status !== undefined) pairs.push({ key: referralStatusKey, value: fields.status });
  if (fields.programId !== undefined) pairs.push({ key: programIdKey, value: fields.programId });
  if (fields.referrer !== undefined) {
    pairs.push({ key: referrerIdKey, value: fields.referrer.participantId }, { key: referralCodeKey, value: fields.referrer.code });
  }
  return pairs;
}
