import { type Kysely, sql } from 'kysely';

// What deferred deep linking matches a click on: the network and device class it came from, and
// whether an app has claimed it. Clicks from before this migration keep both empty, so they cannot
// be claimed; the claim window is hours, so none is missed for long.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('clicks')
    .addColumn('network', 'text')
    .addColumn('platform', 'text', (c) => c.check(sql`platform in ('ios', 'android', 'web')`))
    .addColumn('claimed_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('clicks_unclaimed')
    .on('clicks')
    .columns(['program_id', 'network', 'platform', 'created_at'])
    .where(sql.ref('claimed_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('clicks_unclaimed').execute();
  await db.schema.alterTable('clicks').dropColumn('claimed_at').dropColumn('platform').dropColumn('network').execute();
}
