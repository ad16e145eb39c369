// Runs generated traffic through the real recording (db/fraud-sightings.ts), the real evidence
// queries (db/fraud-evidence.ts) and the real rules, in time order: each conversion is checked with
// what had been recorded by its moment, and looked at again at the end of its holding period, as the
// referral workflow does. Returns each checked referral's label and the assessment that decided it.
import type { Db } from '../../db/connect.ts';
import { gatherEvidence } from '../../db/fraud-evidence.ts';
import { recordAttribution, recordConversion, recordSignIn } from '../../db/fraud-sightings.ts';
import { durationMs } from '../../domain/duration.ts';
import { assess, type FraudAssessment, secondLookDecision } from '../../domain/fraud/assessment.ts';
import { type FraudTerms, fraudTermsSchema } from '../../domain/fraud/config.ts';
import { fraudRules } from '../../domain/fraud/rules.ts';
import { type Label, MIN_AMOUNT, simulatedCountryOf, type TrafficEvent } from './fraud-traffic.ts';

export interface Checked {
  referralId: string;
  label: Label;
  assessment: FraudAssessment;
  /** Decided by the second look at the end of the holding period rather than by the check at conversion. */
  secondLook: boolean;
}

export async function simulate(
  db: Db,
  programId: string,
  events: TrafficEvent[],
  terms: FraudTerms = fraudTermsSchema.parse({}),
  holdingPeriod = 'P30D',
): Promise<Checked[]> {
  const checked: Checked[] = [];
  const attributedAt = new Map<string, Date>();
  // Second looks in the order they come due: every holding period is as long, so in conversion order.
  const due: { at: Date; look: () => Promise<void> }[] = [];
  const lookUntil = async (at: Date) => {
    for (let next = due[0]; next && next.at <= at; next = due[0]) {
      due.shift();
      await next.look();
    }
  };
  for (const event of events) {
    await lookUntil(event.at);
    if (event.kind === 'sign_in') {
      await recordSignIn(db, programId, event.person.externalId, event.footprint, event.at);
    } else if (event.kind === 'purchase') {
      await recordConversion(db, {
        programId,
        eventId: event.eventId,
        payer: { externalId: event.person.externalId, ip: event.ip, country: event.country, paymentFingerprint: event.card },
        amount: event.amount,
        at: event.at,
        referral: null,
      });
    } else if (event.kind === 'attribution') {
      const { referral } = event;
      attributedAt.set(referral.referralId, event.at);
      await recordAttribution(db, {
        programId,
        referralId: referral.referralId,
        referrer: referral.referrer,
        referee: referral.referee,
        click: referral.click && {
          clickId: referral.click.clickId,
          ip: referral.click.ip,
          userAgent: referral.click.userAgent,
          createdAt: referral.click.at.toISOString(),
        },
        at: event.at,
      });
    } else {
      const { referral } = event;
      const signedUp = attributedAt.get(referral.referralId) as Date;
      await recordConversion(db, {
        programId,
        eventId: event.eventId,
        payer: { externalId: referral.referee.externalId, ip: event.ip, country: event.country, paymentFingerprint: event.card },
        amount: event.amount,
        at: event.at,
        referral: { referrer: referral.referrer, attributedAt: signedUp },
      });
      const assessAsOf = async (asOf: Date) =>
        assess(
          await gatherEvidence(db, {
            programId,
            referrer: referral.referrer,
            referee: referral.referee,
            attributedAt: signedUp,
            conversion: { amount: event.amount, at: event.at },
            minAmount: MIN_AMOUNT,
            rules: terms.rules,
            asOf,
            countryOf: simulatedCountryOf,
          }),
          terms,
          fraudRules,
        );
      const first = await assessAsOf(event.at);
      const entry: Checked = { referralId: referral.referralId, label: referral.label, assessment: first, secondLook: false };
      checked.push(entry);
      if (first.decision === 'reject') continue;
      const holdEnds = new Date(event.at.getTime() + durationMs(holdingPeriod));
      due.push({
        at: holdEnds,
        look: async () => {
          const second = await assessAsOf(holdEnds);
          const decision = secondLookDecision(first, second);
          if (decision) Object.assign(entry, { assessment: { ...second, decision }, secondLook: true });
        },
      });
    }
  }
  await lookUntil(new Date(8.64e15));
  return checked;
}

export interface Row {
  name: string;
  referrals: number;
  approved: number;
  reviewed: number;
  rejected: number;
}

/** Per fraud pattern and per honest group: how many were checked, and how each was decided. */
export function confusion(checked: Checked[]): Row[] {
  const rows = new Map<string, Row>();
  for (const { label, assessment } of checked) {
    const name = label.fraud ? (label.setup ? `${label.pattern} (setup)` : label.pattern) : `honest: ${label.group}`;
    const row = rows.get(name) ?? { name, referrals: 0, approved: 0, reviewed: 0, rejected: 0 };
    row.referrals += 1;
    if (assessment.decision === 'approve') row.approved += 1;
    else if (assessment.decision === 'review') row.reviewed += 1;
    else row.rejected += 1;
    rows.set(name, row);
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * For each rule: of the referrals it raised a signal on that were sent to review or rejected, the
 * share that were fraud (precision), counting referrals of any fraud pattern.
 */
export function precisionByRule(checked: Checked[]): Map<string, { flagged: number; fraud: number }> {
  const byRule = new Map<string, { flagged: number; fraud: number }>();
  for (const { label, assessment } of checked) {
    if (assessment.decision === 'approve' || (label.fraud && label.setup)) continue;
    for (const rule of new Set(assessment.signals.map((s) => s.rule))) {
      const entry = byRule.get(rule) ?? { flagged: 0, fraud: 0 };
      entry.flagged += 1;
      if (label.fraud) entry.fraud += 1;
      byRule.set(rule, entry);
    }
  }
  return byRule;
}
