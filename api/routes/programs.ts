import { z } from 'zod';
import { saveProgram } from '../../db/programs.ts';
import { programIdSchema, programInputSchema, programSchema } from '../../domain/program.ts';
import type { ApiDeps } from '../deps.ts';
import { requireProgram } from '../require-program.ts';
import { defineRoute } from '../route.ts';

const params = z.object({ programId: programIdSchema });

export function programRoutes({ db }: ApiDeps) {
  return [
    defineRoute({
      method: 'put',
      path: '/v1/programs/:programId',
      summary: 'Create or replace a program. Every change bumps its version; running referrals keep the version they started under.',
      tag: 'Programs',
      access: ['admin'],
      params,
      body: programInputSchema,
      responses: {
        200: { description: 'The program was replaced (or was already exactly this)', schema: programSchema },
        201: { description: 'The program was created', schema: programSchema },
        400: { description: 'The program is not valid' },
      },
      async handle({ params: { programId }, body }) {
        const { program, created } = await saveProgram(db, programId, body);
        return { status: created ? 201 : 200, body: program };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/programs/:programId',
      summary: 'Read a program at its current version',
      tag: 'Programs',
      access: ['admin'],
      params,
      responses: { 200: { description: 'The program', schema: programSchema }, 404: { description: 'No such program' } },
      async handle({ params: { programId } }) {
        return { status: 200, body: await requireProgram(db, programId) };
      },
    }),
  ];
}
