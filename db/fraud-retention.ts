// Addresses are kept only as long as the fraud rules look back: past a program's signalRetention
// after the end of the holding period (the fraud check looks again then), the IP addresses (and their
// /24 or /64) of its sightings and clicks are cleared. Device hashes, card fingerprints, countries and
// the referral graph stay.

import { durationMs } from '../domain/duration.ts';
import { fraudTermsSchema } from '../domain/fraud/config.ts';
import type { Db } from './connect.ts';

export async function clearExpiredAddresses(db: Db, now: Date): Promise<number> {
  const programs = await db.selectFrom('programs').select(['id', 'config']).execute();
  let cleared = 0;
  for (const program of programs) {
    const config = program.config as { fraud?: unknown; holdingPeriod?: string } | null;
    const kept = durationMs(fraudTermsSchema.parse(config?.fraud).signalRetention) + durationMs(config?.holdingPeriod ?? 'P0D');
    const cutoff = new Date(now.getTime() - kept);
    const sightings = await db
      .updateTable('fraud_sightings')
      .set({ ip: null, network: null })
      .where('program_id', '=', program.id)
      .where('ip', 'is not', null)
      .where('at', '<', cutoff)
      .executeTakeFirst();
    const clicks = await db
      .updateTable('clicks')
      .set({ ip: null })
      .where('program_id', '=', program.id)
      .where('ip', 'is not', null)
      .where('created_at', '<', cutoff)
      .executeTakeFirst();
    cleared += Number(sightings.numUpdatedRows) + Number(clicks.numUpdatedRows);
  }
  return cleared;
}
