// Gathers the evidence the fraud rules read, from the recorded sightings as of one moment: the
// referrer's chain of referrers, everyone's sightings, who shares the referee's device, card or the
// referrer's network, and how busy the referee's networks and the referrer have been. Every query
// runs on an index; the ones that do not depend on each other run side by side.
import { sql } from 'kysely';
import { durationMs } from '../domain/duration.ts';
import type { FraudRules } from '../domain/fraud/config.ts';
import { cardsOf, devicesOf, type Evidence, type NetworkActivity, networksOf, type Person, type Sighting } from '../domain/fraud/evidence.ts';
import type { Db } from './connect.ts';
import type { FraudSightingRow } from './schema.ts';

export interface PartyFacts {
  externalId: string;
  email: string | null;
  stripeCustomerId: string | null;
}

export interface EvidenceRequest {
  programId: string;
  referrer: PartyFacts & { participantId: string };
  referee: PartyFacts;
  attributedAt: Date;
  /** The qualifying conversion; null for a check before one. */
  conversion: { amount: number; at: Date } | null;
  minAmount: number;
  rules: FraudRules;
  /** Sightings after this moment are not looked at (now, in production; a point of simulated time in tests). */
  asOf: Date;
  countryOf: (ip: string) => string | null;
}

const seconds = (from: Date, to: Date) => Math.max(0, (to.getTime() - from.getTime()) / 1000);

function toSighting(row: FraudSightingRow, countryOf: (ip: string) => string | null): Sighting {
  return {
    kind: row.kind,
    at: row.at.toISOString(),
    ip: row.ip,
    network: row.network,
    ipCountry: row.ip ? countryOf(row.ip) : null,
    declaredCountry: row.declared_country,
    device: row.device,
    paymentFingerprint: row.payment_fingerprint,
    amount: row.amount === null ? null : Number(row.amount),
  };
}

/** The referrer's referrers, nearest first, up to maxDepth: who referred them, who referred that one, and so on. */
async function chainAndSightings(db: Db, request: EvidenceRequest): Promise<{ ancestors: string[]; rows: FraudSightingRow[] }> {
  const { programId, referrer, referee, asOf, rules } = request;
  const ancestors = await sql<{ subject: string; depth: number }>`
    with recursive chain(subject, depth) as (
      select referrer_subject, 1 from fraud_sightings
       where program_id = ${programId} and subject = ${referrer.externalId} and kind = 'attribution' and at <= ${asOf} and referrer_subject is not null
      union
      select s.referrer_subject, c.depth + 1 from chain c
        join fraud_sightings s on s.program_id = ${programId} and s.subject = c.subject and s.kind = 'attribution' and s.at <= ${asOf}
       where s.referrer_subject is not null and c.depth < ${rules.referral_loop.maxDepth}
    )
    select subject, min(depth) as depth from chain group by subject order by min(depth), subject`.execute(db);
  const chain = ancestors.rows.map((row) => row.subject);
  const rows = await db
    .selectFrom('fraud_sightings')
    .selectAll()
    .where('program_id', '=', programId)
    .where('subject', 'in', [referee.externalId, referrer.externalId, ...chain])
    .where('at', '<=', asOf)
    .orderBy('at')
    .execute();
  return { ancestors: chain, rows };
}

/** Distinct referees signing up (around the sign-up) and converting (before the conversion) from each of the referee's addresses and networks. */
async function networkActivity(db: Db, request: EvidenceRequest, referee: Person): Promise<NetworkActivity[]> {
  const { programId, attributedAt, conversion, asOf, rules } = request;
  const window = durationMs(rules.ip_velocity.window);
  const signUps = { from: new Date(attributedAt.getTime() - window), to: new Date(Math.min(attributedAt.getTime() + window, asOf.getTime())) };
  const conversions = conversion ? { from: new Date(conversion.at.getTime() - window), to: conversion.at } : null;
  const count = (column: 'network' | 'ip', values: string[]) =>
    values.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('fraud_sightings')
          .select((eb) => [
            eb.ref(column).as('key'),
            sql<string>`count(distinct subject) filter (where kind = 'attribution' and at between ${signUps.from} and ${signUps.to})`.as('referrals'),
            conversions
              ? sql<string>`count(distinct subject) filter (where kind = 'conversion' and at between ${conversions.from} and ${conversions.to})`.as(
                  'conversions',
                )
              : sql<string>`0`.as('conversions'),
          ])
          .where('program_id', '=', programId)
          .where(column, 'in', values)
          .where('at', '>=', conversions && conversions.from < signUps.from ? conversions.from : signUps.from)
          .where('at', '<=', asOf)
          .groupBy(column)
          .execute();
  const located = referee.sightings.filter((s) => s.kind !== 'sign_in' && s.ip !== null && s.network !== null);
  const networkFor = new Map(located.map((s) => [s.ip, s.network]));
  const [byNetwork, byAddress] = await Promise.all([
    count('network', [...new Set(located.map((s) => s.network as string))]),
    count('ip', [...networkFor.keys()] as string[]),
  ]);
  return [
    ...byNetwork.map((row) => ({ network: row.key as string, exact: false, referrals: Number(row.referrals), conversions: Number(row.conversions) })),
    ...byAddress.map((row) => ({
      network: networkFor.get(row.key) ?? '',
      exact: true,
      referrals: Number(row.referrals),
      conversions: Number(row.conversions),
    })),
  ];
}

export async function gatherEvidence(db: Db, request: EvidenceRequest): Promise<Evidence> {
  const { programId, referrer, referee, asOf, rules, countryOf } = request;
  const { ancestors, rows } = await chainAndSightings(db, request);
  const chain = ancestors.filter((externalId) => externalId !== referrer.externalId);
  const person = (facts: PartyFacts): Person => ({
    ...facts,
    sightings: rows.filter((row) => row.subject === facts.externalId).map((row) => toSighting(row, countryOf)),
  });
  const refereeSeen = person(referee);
  const referrerSeen = person(referrer);
  const referrerNetworks = networksOf(referrerSeen);
  const commonNetworks = networksOf(refereeSeen).filter((n) => referrerNetworks.includes(n));
  const devices = devicesOf(refereeSeen);
  const cards = cardsOf(refereeSeen);
  const velocityWindow = durationMs(rules.referrer_velocity.window);
  const everyone = [referee.externalId, referrer.externalId];

  const [activity, referrals, peerRows, holders, conversions] = await Promise.all([
    networkActivity(db, request, refereeSeen),
    db
      .selectFrom('fraud_sightings')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('referrer_id', '=', referrer.participantId)
      .where('kind', '=', 'attribution')
      .where('at', '>=', new Date(request.attributedAt.getTime() - velocityWindow))
      .where('at', '<=', new Date(Math.min(request.attributedAt.getTime() + velocityWindow, asOf.getTime())))
      .executeTakeFirstOrThrow(),
    devices.length + commonNetworks.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('fraud_sightings')
          .select(['subject', 'device', 'network', 'at'])
          .where('program_id', '=', programId)
          .where('referrer_id', '=', referrer.participantId)
          .where('subject', 'not in', everyone)
          .where('kind', '!=', 'sign_in')
          .where('at', '<=', asOf)
          .where((eb) =>
            eb.or([...(devices.length > 0 ? [eb('device', 'in', devices)] : []), ...(commonNetworks.length > 0 ? [eb('network', 'in', commonNetworks)] : [])]),
          )
          .execute(),
    cards.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('fraud_sightings')
          .select(['subject', 'referrer_id'])
          .distinct()
          .where('program_id', '=', programId)
          .where('payment_fingerprint', 'in', cards)
          .where('subject', 'not in', everyone)
          .where('at', '<=', asOf)
          .execute(),
    db
      .selectFrom('fraud_sightings')
      .select(['subject', 'amount', 'at', 'attributed_at'])
      .where('referrer_id', '=', referrer.participantId)
      .where('kind', '=', 'conversion')
      .where('at', '<=', asOf)
      .orderBy('at', 'desc')
      .limit(1000)
      .execute(),
  ]);

  const peers = new Map<string, { devices: Set<string>; onSharedNetwork: { network: string; at: string }[] }>();
  for (const row of peerRows) {
    const peer = peers.get(row.subject) ?? { devices: new Set(), onSharedNetwork: [] };
    if (row.device !== null && devices.includes(row.device)) peer.devices.add(row.device);
    if (row.network !== null && commonNetworks.includes(row.network)) peer.onSharedNetwork.push({ network: row.network, at: row.at.toISOString() });
    peers.set(row.subject, peer);
  }
  const cardHolders = new Map<string, boolean>();
  for (const row of holders) cardHolders.set(row.subject, (cardHolders.get(row.subject) ?? false) || row.referrer_id === referrer.participantId);

  return {
    attributedAt: request.attributedAt.toISOString(),
    referrer: referrerSeen,
    referee: refereeSeen,
    cardHolders: [...cardHolders].map(([externalId, referredByReferrer]) => ({ externalId, referredByReferrer })),
    peers: [...peers].map(([externalId, peer]) => ({ externalId, devices: [...peer.devices], onSharedNetwork: peer.onSharedNetwork })),
    networkActivity: activity,
    referrerReferrals: Number(referrals.n),
    referrerConversions: conversions.map((row) => ({
      externalId: row.subject,
      amount: Number(row.amount ?? 0),
      secondsAfterSignUp: row.attributed_at ? seconds(row.attributed_at, row.at) : Number.POSITIVE_INFINITY,
    })),
    ancestors: chain.map((externalId) => person({ externalId, email: null, stripeCustomerId: null })),
    conversion: request.conversion ? { amount: request.conversion.amount, secondsAfterSignUp: seconds(request.attributedAt, request.conversion.at) } : null,
    minAmount: request.minAmount,
  };
}
