// Search attributes kept current on every referral so ops can filter them in the Temporal Web UI,
// e.g. ReferralStatus = "needs_attention" and ProgramId = "acme". None of them holds personal data.
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

export const referralStatusKey = defineSearchAttributeKey('ReferralStatus', SearchAttributeType.KEYWORD);
export const programIdKey = defineSearchAttributeKey('ProgramId', SearchAttributeType.KEYWORD);
export const referrerIdKey = defineSearchAttributeKey('ReferrerId', SearchAttributeType.KEYWORD);
export const referralCodeKey = defineSearchAttributeKey('ReferralCode', SearchAttributeType.KEYWORD);

export const searchAttributeKeys = [referralStatusKey, programIdKey, referrerIdKey, referralCodeKey];
