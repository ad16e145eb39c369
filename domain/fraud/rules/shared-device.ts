// shared_device: one device (its user agent and the device id the caller sent) behind several of a
// referrer's referees: one person signing up again and again.
import type { FraudRule } from '../assessment.ts';
import { plural } from '../words.ts';

export const sharedDevice: FraudRule = ({ peers }, { shared_device: { weight, minReferees } }) => {
  const others = peers.filter((peer) => peer.devices.length > 0).length;
  if (others === 0 || others + 1 < minReferees) return null;
  return { rule: 'shared_device', weight, detail: `referee's device was also used by ${plural(others, 'other referee')} of this referrer` };
};
