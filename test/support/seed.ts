// Rows the database tests need underneath the ledger: a program and its participants.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect.ts';

export async function seedProgram(db: Db, programId = 'acme'): Promise<string> {
  await db
    .insertInto('programs')
    .values({ id: programId, version: 1, config: JSON.stringify({}) })
    .execute();
  return programId;
}

export async function seedParticipant(db: Db, programId: string, externalId = randomUUID()): Promise<string> {
  const id = `pt_${randomUUID()}`;
  await db
    .insertInto('participants')
    .values({ id, program_id: programId, external_id: externalId, email: `${externalId}@example.com`, code: externalId.toUpperCase() })
    .execute();
  return id;
}
