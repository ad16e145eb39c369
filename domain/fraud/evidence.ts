// What the fraud rules look at: the referrer and the referee as they have been seen (clicks, sign-ups,
// conversions, sign-ins), who else shares their devices, cards and networks, and how busy the
// referee's networks and the referrer have been. Gathered from the recorded signals as of one moment.

export type SightingKind = 'click' | 'attribution' | 'conversion' | 'sign_in';

/** One time a person was seen, and with what. Addresses are gone once past the program's signal retention. */
export interface Sighting {
  kind: SightingKind;
  at: string;
  ip: string | null;
  /** The address's /24 or /64. */
  network: string | null;
  /** Where the address is, from the IP-to-country database. */
  ipCountry: string | null;
  /** The country the person gave (sign-up) or was billed in (conversion). */
  declaredCountry: string | null;
  /** A hash of the user agent and the device id the caller sent; null without a device id. */
  device: string | null;
  paymentFingerprint: string | null;
  amount: number | null;
}

export interface Person {
  externalId: string;
  email: string | null;
  stripeCustomerId: string | null;
  sightings: Sighting[];
}

/** Another referee of the same referrer who shares something with this referee. */
export interface Peer {
  externalId: string;
  devices: string[];
  /** When the peer was seen on a network that both the referee and the referrer were seen on too. */
  onSharedNetwork: { network: string; at: string }[];
}

/** How many distinct referees signed up and converted from one of the referee's addresses or networks. */
export interface NetworkActivity {
  /** An address or a /24 or /64. */
  network: string;
  exact: boolean;
  referrals: number;
  conversions: number;
}

/** A conversion of one of the referrer's referees (this one included), timed from its sign-up. */
export interface RefereeConversion {
  externalId: string;
  amount: number;
  secondsAfterSignUp: number;
}

export interface Evidence {
  attributedAt: string;
  referrer: Person;
  referee: Person;
  /** Anyone else (not the referee or the referrer) who paid with one of the referee's cards. */
  cardHolders: { externalId: string; referredByReferrer: boolean }[];
  peers: Peer[];
  networkActivity: NetworkActivity[];
  /** The referrer's referrals inside the referrer_velocity window either side of this one. */
  referrerReferrals: number;
  referrerConversions: RefereeConversion[];
  /** Who referred the referrer, who referred them, and so on up to referral_loop.maxDepth. */
  ancestors: Person[];
  /** The qualifying conversion and the program's minimum for one. */
  conversion: { amount: number; secondsAfterSignUp: number } | null;
  minAmount: number;
}

function distinct(values: (string | null)[]): string[] {
  return [...new Set(values.filter((value): value is string => value !== null))];
}

export const ipsOf = (person: Person): string[] => distinct(person.sightings.map((s) => s.ip));
export const networksOf = (person: Person): string[] => distinct(person.sightings.map((s) => s.network));
export const devicesOf = (person: Person): string[] => distinct(person.sightings.map((s) => s.device));
export const cardsOf = (person: Person): string[] => distinct(person.sightings.map((s) => s.paymentFingerprint));

/** How a sighting reads in a detail: "sign-in", "conversion". */
export function sightingLabel(kind: SightingKind): string {
  return { click: 'click', attribution: 'sign-up', conversion: 'conversion', sign_in: 'sign-in' }[kind];
}
