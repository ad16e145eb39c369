// A seeded, deterministic generator of four weeks of referral traffic for one program, every referral
// labelled: honest people (including colleagues behind one office NAT, families on one home network
// sharing a card and sometimes a laptop, travellers, a few throwaway mailboxes, busy referrers) and
// each fraud pattern the rules are meant to catch. The same seed gives the same traffic, byte for byte.

export const fraudPatterns = [
  'self_referral',
  'shared_network',
  'ip_velocity',
  'referrer_velocity',
  'shared_device',
  'shared_payment',
  'geo_mismatch',
  'disposable_email',
  'referral_loop',
  'fast_conversion',
] as const;
export type FraudPattern = (typeof fraudPatterns)[number];
export type HonestGroup = 'friend' | 'office' | 'family' | 'traveller' | 'busy_referrer';
/**
 * What a referral is. A loop's first referrals ("setup") are fraud too, but when they happen nothing
 * tells them from honest ones: they are reported apart, in neither the recall nor the false positives.
 */
export type Label = { fraud: true; pattern: FraudPattern; setup?: true } | { fraud: false; group: HonestGroup };

export interface Party {
  participantId: string;
  externalId: string;
  email: string;
  stripeCustomerId: string | null;
}

export interface Footprint {
  ip: string;
  userAgent: string;
  deviceId: string | null;
}

export interface SimReferral {
  referralId: string;
  referrer: Party;
  referee: Party & Footprint & { country: string };
  click: (Footprint & { clickId: string; at: Date }) | null;
  label: Label;
}

export type TrafficEvent =
  | { at: Date; kind: 'sign_in'; person: Party; footprint: Footprint }
  | { at: Date; kind: 'purchase'; person: Party; eventId: string; ip: string; card: string; country: string; amount: number }
  | { at: Date; kind: 'attribution'; referral: SimReferral }
  | { at: Date; kind: 'conversion'; referral: SimReferral; eventId: string; ip: string; card: string; country: string; amount: number };

export const MIN_AMOUNT = 1000;
export const START = Date.parse('2026-03-02T00:00:00Z');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Countries, each with a block of IPv4 (first octet) and IPv6 (a 2001:db8:<n>xxx range) space of its own. */
export const countries = ['US', 'GB', 'DE', 'FR', 'IN', 'BR', 'VN', 'NG'] as const;
const home = ['US', 'US', 'US', 'GB', 'DE', 'FR', 'IN', 'BR'] as const;
const firstOctet = (country: string) => 20 + 10 * countries.indexOf(country as (typeof countries)[number]);
const DATACENTRE = 198;

/** The country the generator put an address in: the stand-in for the IP-to-country database. */
export function simulatedCountryOf(ip: string): string | null {
  if (ip.includes(':')) {
    const group = Number.parseInt(ip.split(':')[2] ?? '', 16);
    return countries[Math.floor(group / 0x1000)] ?? null;
  }
  const octet = Number(ip.split('.')[0]);
  if (octet === DATACENTRE) return 'US';
  return countries[(octet - 20) / 10] ?? null;
}

const userAgents = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 19_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/19.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 16; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 15_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/19.1 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:144.0) Gecko/20100101 Firefox/144.0',
];
const mailDomains = ['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'proton.me', 'gmx.de', 'hotmail.com'];
const throwaway = ['mailinator.com', 'guerrillamail.com', 'yopmail.com', 'sharklasers.com', 'maildrop.cc', 'trashmail.com'];

/** mulberry32: small, fast, and the same numbers for the same seed everywhere. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Person extends Party {
  country: string;
  home: string;
  device: Footprint;
  card: string;
}

export function generateTraffic(seed = 20260302): { events: TrafficEvent[]; referrals: SimReferral[] } {
  const rand = random(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const chance = (p: number) => rand() < p;
  let serial = 0;
  const next = (prefix: string) => `${prefix}_${(++serial).toString(36).padStart(5, '0')}`;
  const events: TrafficEvent[] = [];
  const referrals: SimReferral[] = [];

  const ipIn = (country: string) =>
    chance(0.15)
      ? `2001:db8:${(countries.indexOf(country as (typeof countries)[number]) * 0x1000 + int(0, 0xfff)).toString(16)}:${int(1, 0xffff).toString(16)}::${int(1, 0xffff).toString(16)}`
      : `${firstOctet(country)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  const nearby = (ip: string) => (ip.includes(':') ? ip.replace(/::[0-9a-f]+$/, `::${int(1, 0xffff).toString(16)}`) : ip.replace(/\.\d+$/, `.${int(1, 254)}`));
  // This program's backend sends the device id its fingerprinting library gives every sign-up.
  const device = (): Footprint => ({ ip: '', userAgent: pick(userAgents), deviceId: next('dev') });
  const card = () => next('card');
  const person = (country: string = pick(home), mail?: string): Person => {
    const externalId = next('u');
    return {
      participantId: `pt_${externalId}`,
      externalId,
      email: `${externalId}@${mail ?? pick(mailDomains)}`,
      stripeCustomerId: chance(0.5) ? `cus_${externalId}` : null,
      country,
      home: ipIn(country),
      device: device(),
      card: card(),
    };
  };
  const party = ({ participantId, externalId, email, stripeCustomerId }: Person): Party => ({ participantId, externalId, email, stripeCustomerId });
  // Daytime in the sense of a person's day: most sign-ups happen between 08:00 and 23:00.
  const someTime = (fromDay = 0, toDay = 27) => START + int(fromDay, toDay) * DAY + int(8, 22) * HOUR + int(0, 59) * MINUTE + int(0, 59) * 1000;

  /** A referrer as the program knows them: signs in from home, and buys things with their own card. */
  const enrol = (referrer: Person) => {
    for (let i = int(1, 3); i > 0; i--) {
      events.push({ at: new Date(START - int(1, 20) * DAY), kind: 'sign_in', person: party(referrer), footprint: { ...referrer.device, ip: referrer.home } });
    }
    if (chance(0.6)) {
      events.push({
        at: new Date(START - int(1, 25) * DAY),
        kind: 'purchase',
        person: party(referrer),
        eventId: next('evt'),
        ip: referrer.home,
        card: referrer.card,
        country: referrer.country,
        amount: int(10, 200) * 100,
      });
    }
  };

  interface Visit {
    referrer: Person;
    referee: Person;
    at: number;
    label: Label;
    ip?: string;
    footprint?: Footprint;
    declared?: string;
    convert?: { after: number; amount: number; card?: string; ip?: string; country?: string } | null;
  }
  const honestAmount = () => (chance(0.1) ? MIN_AMOUNT : int(15, 200) * 100);
  const honestDelay = () => (chance(0.05) ? int(20, 120) * 1000 : chance(0.5) ? int(10, 24 * 60) * MINUTE : int(1, 10) * DAY);

  const visit = (v: Visit) => {
    const ip = v.ip ?? v.referee.home;
    const footprint = { ...(v.footprint ?? v.referee.device), ip };
    const referral: SimReferral = {
      referralId: next('ref'),
      referrer: party(v.referrer),
      referee: { ...party(v.referee), ...footprint, country: v.declared ?? v.referee.country },
      click: chance(0.7) ? { ...footprint, clickId: next('ck'), at: new Date(v.at - int(1, 30) * MINUTE) } : null,
      label: v.label,
    };
    referrals.push(referral);
    events.push({ at: new Date(v.at), kind: 'attribution', referral });
    const convert = v.convert === undefined ? (chance(0.7) ? { after: honestDelay(), amount: honestAmount() } : null) : v.convert;
    if (convert) {
      events.push({
        at: new Date(v.at + convert.after),
        kind: 'conversion',
        referral,
        eventId: next('evt'),
        ip: convert.ip ?? (chance(0.7) ? ip : v.referee.home),
        card: convert.card ?? v.referee.card,
        country: convert.country ?? v.referee.country,
        amount: convert.amount,
      });
    }
  };

  // Honest friends: referrers telling a few friends over the month; some friends go on to refer.
  const referrers: Person[] = [];
  for (let i = 0; i < 420; i++) referrers.push(person());
  for (const referrer of referrers) enrol(referrer);
  for (let i = 0; i < referrers.length; i++) {
    const referrer = referrers[i] as Person;
    for (let n = int(0, 6); n > 0; n--) {
      const friend = person(chance(0.9) ? referrer.country : pick(home));
      const at = someTime();
      const traveller = chance(0.01);
      const throwawayMail = chance(0.004);
      if (throwawayMail) friend.email = `${friend.externalId}@${pick(throwaway)}`;
      visit({
        referrer,
        referee: friend,
        at,
        label: { fraud: false, group: traveller ? 'traveller' : 'friend' },
        ...(traveller ? { ip: ipIn(pick(countries.filter((c) => c !== friend.country))) } : {}),
      });
      // The viral loop: a referee who converted becomes a referrer of their own friends.
      if (chance(0.08) && referrers.length < 600) {
        enrol(friend);
        for (let k = int(1, 3); k > 0; k--) {
          visit({
            referrer: friend,
            referee: person(friend.country),
            at: Math.min(at + int(2, 10) * DAY, START + 27 * DAY),
            label: { fraud: false, group: 'friend' },
          });
        }
      }
    }
  }

  // Busy referrers: a newsletter or a post brings a dozen honest sign-ups in a day.
  for (let i = 0; i < 6; i++) {
    const referrer = person();
    enrol(referrer);
    const day = int(0, 26);
    for (let n = int(8, 16); n > 0; n--)
      visit({ referrer, referee: person(referrer.country), at: someTime(day, day), label: { fraud: false, group: 'busy_referrer' } });
  }

  // Offices: colleagues behind one NAT address, told by a colleague over a few weeks.
  for (let i = 0; i < 14; i++) {
    const country = pick(home);
    const nat = `${firstOctet(country)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
    const colleague = () => {
      const p = person(country);
      p.device.userAgent = userAgents[2] as string;
      return p;
    };
    const referrer = colleague();
    referrer.home = nat;
    enrol(referrer);
    const first = int(0, 20);
    for (let n = int(3, 8); n > 0; n--) {
      const day = first + int(0, 7);
      visit({
        referrer,
        referee: colleague(),
        at: START + day * DAY + int(9, 17) * HOUR + int(0, 59) * MINUTE,
        ip: nat,
        label: { fraud: false, group: 'office' },
      });
    }
  }

  // Families: one home network, often one card (the referrer's), sometimes the referrer's laptop,
  // and now and then a chain (a parent refers a partner, who refers a teenager).
  for (let i = 0; i < 40; i++) {
    const parent = person();
    enrol(parent);
    const sharedCard = chance(0.5);
    let referrer = parent;
    for (let n = int(1, 3); n > 0; n--) {
      const member = person(parent.country);
      member.home = nearby(parent.home);
      const laptop = chance(0.15);
      const chained = referrer !== parent || chance(0.2);
      visit({
        referrer,
        referee: member,
        at: someTime(),
        ip: chance(0.8) ? parent.home : member.home,
        ...(laptop ? { footprint: parent.device } : {}),
        label: { fraud: false, group: 'family' },
        convert: chance(0.75) ? { after: honestDelay(), amount: honestAmount(), ...(sharedCard ? { card: parent.card } : {}) } : null,
      });
      if (chained) {
        enrol(member);
        referrer = member;
      }
    }
  }

  // Fraud. Every fraudster first looks like any referrer: enrolled, signing in from home.
  const fraudster = () => {
    const p = person();
    enrol(p);
    return p;
  };
  const label = (pattern: FraudPattern): Label => ({ fraud: true, pattern });
  const soonAfter = () => int(1, 48) * HOUR;

  // self_referral: the referrer again, under a disguised Gmail address, their Stripe customer, or on their own laptop.
  for (let i = 0; i < 40; i++) {
    const self = fraudster();
    const alt = person(self.country);
    const variant = i % 5;
    if (variant < 2) {
      const name = self.externalId.replace('_', '');
      self.email = `${name}@gmail.com`;
      alt.email = `${name.slice(0, 2)}.${name.slice(2)}+${variant === 0 ? 'promo' : 'x'}@${variant === 0 ? 'googlemail.com' : 'gmail.com'}`;
    } else if (variant === 2) {
      self.stripeCustomerId = `cus_${self.externalId}`;
      alt.stripeCustomerId = self.stripeCustomerId;
    }
    const onOwnLaptop = variant >= 3;
    visit({
      referrer: self,
      referee: alt,
      at: someTime(),
      ...(onOwnLaptop ? { ip: self.home, footprint: self.device } : {}),
      label: label('self_referral'),
      convert: { after: soonAfter(), amount: int(10, 40) * 100, card: chance(0.5) ? self.card : alt.card },
    });
  }

  // shared_network: a burst of made-up friends from the referrer's own address, each in a fresh browser profile.
  for (let i = 0; i < 9; i++) {
    const self = fraudster();
    const at = someTime();
    for (let n = int(3, 6); n > 0; n--) {
      visit({
        referrer: self,
        referee: person(self.country, chance(0.3) ? pick(throwaway) : undefined),
        at: at + int(0, 180) * MINUTE,
        ip: self.home,
        label: label('shared_network'),
        convert: { after: 4 * HOUR + soonAfter(), amount: int(10, 30) * 100, card: chance(0.5) ? self.card : card() },
      });
    }
  }

  // ip_velocity: a sign-up farm in a data-centre /24, under a handful of codes, within an hour.
  for (let i = 0; i < 3; i++) {
    const block = `${DATACENTRE}.51.${int(0, 255)}`;
    const codes = [fraudster(), fraudster(), fraudster()];
    const at = someTime();
    for (let n = int(12, 25); n > 0; n--) {
      visit({
        referrer: pick(codes),
        referee: person('US'),
        at: at + int(0, 50) * MINUTE,
        ip: `${block}.${int(1, 254)}`,
        declared: 'US',
        label: label('ip_velocity'),
        convert: { after: 2 * HOUR + int(0, 600) * MINUTE, amount: int(10, 30) * 100, country: 'US' },
      });
    }
  }

  // referrer_velocity: one code, dozens of sign-ups in a day through residential proxies.
  for (let i = 0; i < 2; i++) {
    const self = fraudster();
    const day = int(0, 25);
    for (let n = int(30, 45); n > 0; n--) {
      const fake = person(self.country);
      visit({
        referrer: self,
        referee: fake,
        at: START + day * DAY + int(0, 16 * 60) * MINUTE,
        label: label('referrer_velocity'),
        convert: { after: DAY + soonAfter(), amount: int(10, 60) * 100 },
      });
    }
  }

  // shared_device: one phone signing up account after account for one referrer, through a VPN.
  for (let i = 0; i < 8; i++) {
    const self = fraudster();
    const phone: Footprint = { ip: '', userAgent: userAgents[0] as string, deviceId: next('dev') };
    const at = someTime();
    for (let n = int(3, 7); n > 0; n--) {
      visit({
        referrer: self,
        referee: person(self.country),
        at: at + int(0, 240) * MINUTE,
        ip: ipIn(self.country),
        footprint: phone,
        label: label('shared_device'),
        convert: { after: 5 * HOUR + soonAfter(), amount: int(10, 50) * 100 },
      });
    }
  }

  // shared_payment: one card paying for the referrer's made-up friends (often the referrer's own).
  for (let i = 0; i < 8; i++) {
    const self = fraudster();
    const theCard = chance(0.6) ? self.card : card();
    const at = someTime(0, 20);
    for (let n = int(3, 7); n > 0; n--) {
      visit({
        referrer: self,
        referee: person(self.country),
        at: at + int(0, 3 * 24) * HOUR,
        label: label('shared_payment'),
        convert: { after: 3 * DAY + soonAfter(), amount: int(10, 50) * 100, card: theCard },
      });
    }
  }

  // geo_mismatch: click-farm sign-ups that claim a rich country and pay from elsewhere.
  for (let i = 0; i < 40; i++) {
    const farm = pick(['VN', 'NG', 'IN'] as const);
    const referrer = pick(referrers);
    const fake = person(farm);
    visit({
      referrer,
      referee: fake,
      at: someTime(),
      declared: pick(['US', 'GB', 'DE'] as const),
      label: label('geo_mismatch'),
      convert: { after: soonAfter(), amount: int(10, 40) * 100, country: 'US' },
    });
  }

  // disposable_email: throwaway mailboxes.
  for (let i = 0; i < 40; i++) {
    visit({ referrer: pick(referrers), referee: person(undefined, pick(throwaway)), at: someTime(), label: label('disposable_email') });
  }

  // referral_loop: two accounts referring each other, cycles of three, and rings that come back to
  // the first account's device or card. The referral that closes the loop is the labelled one: the
  // ones before it are, when they happen, indistinguishable from honest referrals.
  for (let i = 0; i < 36; i++) {
    const size = i % 3 === 0 ? 2 : 3;
    const ring = Array.from({ length: size }, () => fraudster());
    const at = someTime(0, 20);
    const ringByIdentity = i % 3 === 2;
    for (let k = 0; k < size; k++) {
      const from = ring[k] as Person;
      const closes = k === size - 1;
      const to = closes && !ringByIdentity ? (ring[0] as Person) : closes ? person(from.country) : (ring[k + 1] as Person);
      visit({
        referrer: from,
        referee: to,
        at: at + k * int(1, 3) * DAY,
        ...(closes && ringByIdentity ? { footprint: (ring[0] as Person).device } : {}),
        label: closes ? label('referral_loop') : { fraud: true, pattern: 'referral_loop', setup: true },
        convert: { after: soonAfter(), amount: int(10, 40) * 100, ...(closes && ringByIdentity ? { card: (ring[0] as Person).card } : {}) },
      });
    }
  }

  // fast_conversion: a bot that signs up and buys the cheapest qualifying thing within seconds.
  for (let i = 0; i < 8; i++) {
    const self = fraudster();
    const at = someTime(0, 22);
    for (let n = int(3, 6); n > 0; n--) {
      visit({
        referrer: self,
        referee: person(self.country),
        at: at + int(0, 5 * 24) * HOUR,
        label: label('fast_conversion'),
        convert: { after: int(2, 15) * 1000, amount: MIN_AMOUNT + int(0, 4) * 10 },
      });
    }
  }

  events.sort((a, b) => a.at.getTime() - b.at.getTime());
  return { events, referrals };
}
