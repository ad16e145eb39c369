// Records what the fraud rules need as it arrives: each click, sign-up, conversion and sign-in with
// its address, network, device and card. A repeated event (same program, kind and key) is recorded once.
import { createHash, randomUUID } from 'node:crypto';
import type { SightingKind } from '../domain/fraud/evidence.ts';
import { networkOf } from '../domain/fraud/network.ts';
import type { Db } from './connect.ts';

/** Where and on what someone was seen: what a request says about the person behind it. */
export interface Footprint {
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
  deviceId?: string | null | undefined;
  country?: string | null | undefined;
  paymentFingerprint?: string | null | undefined;
}

/**
 * A device is its user agent plus the id the caller gave it, hashed. Without an id there is no device:
 * a user agent alone names a browser build that thousands of strangers share.
 */
export function deviceKey(userAgent: string | null | undefined, deviceId: string | null | undefined): string | null {
  if (!deviceId) return null;
  return createHash('sha256')
    .update(`${deviceId}\n${userAgent ?? ''}`)
    .digest('base64url')
    .slice(0, 22);
}

interface NewSighting {
  program_id: string;
  kind: SightingKind;
  event_key: string;
  subject: string;
  referrer_id: string | null;
  referrer_subject: string | null;
  at: Date | string;
  footprint: Footprint;
  amount?: number | null;
  attributedAt?: Date | string | null;
}

function toRow({ footprint, amount, attributedAt, ...sighting }: NewSighting) {
  const where = footprint.ip ? networkOf(footprint.ip) : null;
  return {
    ...sighting,
    ip: where?.ip ?? null,
    network: where?.network ?? null,
    device: deviceKey(footprint.userAgent, footprint.deviceId),
    payment_fingerprint: footprint.paymentFingerprint ?? null,
    declared_country: footprint.country ?? null,
    amount: amount ?? null,
    attributed_at: attributedAt ?? null,
  };
}

async function record(db: Db, sightings: NewSighting[]): Promise<void> {
  if (sightings.length === 0) return;
  await db
    .insertInto('fraud_sightings')
    .values(sightings.map(toRow))
    .onConflict((oc) => oc.constraint('fraud_sightings_event').doNothing())
    .execute();
}

export interface AttributionSighting {
  programId: string;
  referralId: string;
  referrer: { participantId: string; externalId: string };
  referee: { externalId: string } & Footprint;
  /** The click the referee came through, with its own address and browser. */
  click: { clickId: string; ip: string | null; userAgent: string | null; createdAt: string } | null;
  at?: Date | string;
}

/** A sign-up through a referrer's code or click: an edge of the referral graph, and where the referee was. */
export async function recordAttribution(db: Db, attribution: AttributionSighting): Promise<void> {
  const { programId, referrer, referee, click } = attribution;
  const common = { program_id: programId, subject: referee.externalId, referrer_id: referrer.participantId, referrer_subject: referrer.externalId };
  const signUp: NewSighting = {
    ...common,
    kind: 'attribution',
    // Keyed by referrer too: a last-touch re-attribution is a new edge.
    event_key: `${attribution.referralId}:${referrer.participantId}`,
    footprint: referee,
    at: attribution.at ?? new Date(),
  };
  const clicked: NewSighting[] = click
    ? [{ ...common, kind: 'click', event_key: click.clickId, footprint: { ip: click.ip, userAgent: click.userAgent }, at: click.createdAt }]
    : [];
  await record(db, [signUp, ...clicked]);
}

export interface ConversionSighting {
  programId: string;
  eventId: string;
  payer: { externalId: string } & Footprint;
  amount: number;
  at: Date | string;
  /** The referral the conversion counts for; null for a customer who was never referred (perhaps a referrer). */
  referral: { referrer: { participantId: string; externalId: string }; attributedAt: Date | string } | null;
}

export async function recordConversion(db: Db, conversion: ConversionSighting): Promise<void> {
  const { referral } = conversion;
  await record(db, [
    {
      program_id: conversion.programId,
      kind: 'conversion',
      event_key: conversion.eventId,
      subject: conversion.payer.externalId,
      referrer_id: referral?.referrer.participantId ?? null,
      referrer_subject: referral?.referrer.externalId ?? null,
      footprint: conversion.payer,
      amount: conversion.amount,
      attributedAt: referral?.attributedAt ?? null,
      at: conversion.at,
    },
  ]);
}

/** A participant signing in: where the referrer themselves is, so a referral back to them is recognised. */
export async function recordSignIn(db: Db, programId: string, externalId: string, footprint: Footprint, at: Date | string = new Date()): Promise<void> {
  await record(db, [
    { program_id: programId, kind: 'sign_in', event_key: randomUUID(), subject: externalId, referrer_id: null, referrer_subject: null, footprint, at },
  ]);
}
