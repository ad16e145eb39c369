import type { Db } from '../db/connect.ts';
import { findProgram } from '../db/programs.ts';
import type { Program } from '../domain/program.ts';
import { notFound } from './errors.ts';

/** The program, or the 404 every route under /v1/programs/:programId answers when there is none. */
export async function requireProgram(db: Db, programId: string): Promise<Program> {
  const program = await findProgram(db, programId);
  if (!program) throw notFound(`no program "${programId}"`);
  return program;
}
