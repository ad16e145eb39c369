// geo_mismatch: none of the countries the referee's addresses are in is a country they gave (at
// sign-up) or were billed in (at conversion).
import type { FraudRule } from '../assessment.ts';
import { sightingLabel } from '../evidence.ts';

export const geoMismatch: FraudRule = ({ referee }, { geo_mismatch: { weight } }) => {
  const declared = new Set(referee.sightings.flatMap((s) => (s.declaredCountry ? [s.declaredCountry] : [])));
  const located = referee.sightings.filter((s) => s.ipCountry !== null);
  if (declared.size === 0 || located.length === 0) return null;
  if (located.some((s) => s.ipCountry !== null && declared.has(s.ipCountry))) return null;
  const where = [...new Set(located.map((s) => `${s.ipCountry} (${sightingLabel(s.kind)})`))].join(', ');
  return { rule: 'geo_mismatch', weight, detail: `referee's IP address is in ${where}, but they gave ${[...declared].join(', ')}` };
};
