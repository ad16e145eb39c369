// Programs are stored as their validated configuration plus a version that every change bumps.
import { type Program, type ProgramConfig, programInputSchema } from '../domain/program.ts';
import type { Db } from './connect.ts';
import type { ProgramRow } from './schema.ts';

/**
 * Each program's configuration as last validated, by its stored JSON: every sign-up (and every request
 * under a program's path that looks it up) reads its program, and validating the configuration again
 * (Zod) was the largest part of that read. Frozen, as every request shares it. One entry a program,
 * replaced when the configuration changes.
 */
const validated = new Map<string, { json: string; config: ProgramConfig }>();

function validConfig(row: ProgramRow): ProgramConfig {
  const json = JSON.stringify(row.config);
  const known = validated.get(row.id);
  if (known?.json === json) return known.config;
  const config = deepFreeze(programInputSchema.parse(row.config));
  validated.set(row.id, { json, config });
  return config;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) for (const inner of Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}

function toProgram(row: ProgramRow): Program {
  return {
    programId: row.id,
    version: row.version,
    ...validConfig(row),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function findProgram(db: Db, programId: string): Promise<Program | null> {
  const row = await db.selectFrom('programs').selectAll().where('id', '=', programId).executeTakeFirst();
  return row ? toProgram(row) : null;
}

/** Creates or replaces a program; an identical configuration keeps its version. */
export async function saveProgram(db: Db, programId: string, config: ProgramConfig): Promise<{ program: Program; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('programs').selectAll().where('id', '=', programId).forUpdate().executeTakeFirst();
    const serialized = JSON.stringify(config);
    if (!current) {
      const row = await trx.insertInto('programs').values({ id: programId, version: 1, config: serialized }).returningAll().executeTakeFirstOrThrow();
      return { program: toProgram(row), created: true };
    }
    if (JSON.stringify(programInputSchema.parse(current.config)) === serialized) return { program: toProgram(current), created: false };
    const row = await trx
      .updateTable('programs')
      .set({ version: current.version + 1, config: serialized, updated_at: new Date() })
      .where('id', '=', programId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { program: toProgram(row), created: false };
  });
}

/** Whether a program exists, without reading its terms. */
export async function programExists(db: Db, programId: string): Promise<boolean> {
  return (await db.selectFrom('programs').select('id').where('id', '=', programId).executeTakeFirst()) !== undefined;
}
