// Every fraud rule the check runs, in the order their signals are listed.
import type { FraudRule } from './assessment.ts';
import { disposableEmail } from './rules/disposable-email.ts';
import { fastConversion } from './rules/fast-conversion.ts';
import { geoMismatch } from './rules/geo-mismatch.ts';
import { ipVelocity } from './rules/ip-velocity.ts';
import { referralLoop } from './rules/referral-loop.ts';
import { referrerVelocity } from './rules/referrer-velocity.ts';
import { selfReferral } from './rules/self-referral.ts';
import { sharedDevice } from './rules/shared-device.ts';
import { sharedNetwork } from './rules/shared-network.ts';
import { sharedPayment } from './rules/shared-payment.ts';

export const fraudRules: FraudRule[] = [
  selfReferral,
  sharedNetwork,
  ipVelocity,
  referrerVelocity,
  sharedDevice,
  sharedPayment,
  geoMismatch,
  disposableEmail,
  referralLoop,
  fastConversion,
];
