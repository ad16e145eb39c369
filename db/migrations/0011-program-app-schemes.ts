import { type Kysely, sql } from 'kysely';

// Programs now list the custom schemes their app URLs may use ("appSchemes"), and an app URL must
// be an https link or use one of them. Stored programs are brought in line so they still load: a
// custom scheme they already use is listed for them, and an app URL on a scheme that is never an
// app (javascript:, data:, http: and the like) is removed, so phones get the web landing page.
// A program changed here gets a new version, as every change does.

const NEVER_APP_SCHEMES = ['http', 'javascript', 'vbscript', 'data', 'blob', 'file', 'filesystem', 'about'];

interface StoredLanding {
  iosAppUrl?: string | null;
  androidAppUrl?: string | null;
  appSchemes?: string[];
}

function schemeOf(url: string): string | null {
  return URL.canParse(url) ? new URL(url).protocol.slice(0, -1) : null;
}

/** The landing settings the new rules accept, or null when they already do. */
function migrated(landing: StoredLanding): StoredLanding | null {
  const next: StoredLanding = { ...landing, appSchemes: [...(landing.appSchemes ?? [])] };
  let changed = false;
  for (const field of ['iosAppUrl', 'androidAppUrl'] as const) {
    const url = landing[field];
    if (!url) continue;
    const scheme = schemeOf(url);
    if (scheme === 'https' || (scheme && next.appSchemes?.includes(scheme))) continue;
    changed = true;
    if (scheme && /^[a-z][a-z0-9+.-]{0,31}$/.test(scheme) && !NEVER_APP_SCHEMES.includes(scheme)) next.appSchemes?.push(scheme);
    else next[field] = null;
  }
  return changed ? next : null;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ id: string; config: { landing?: StoredLanding } }>`select id, config from programs for update`.execute(db);
  for (const row of rows) {
    const landing = row.config.landing ? migrated(row.config.landing) : null;
    if (!landing) continue;
    await sql`update programs set config = ${JSON.stringify({ ...row.config, landing })}::jsonb, version = version + 1, updated_at = now() where id = ${row.id}`.execute(
      db,
    );
  }
}
