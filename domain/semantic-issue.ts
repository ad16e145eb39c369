// Rules a published schema cannot state: values that contradict each other (a landing URL off the
// program's own allowed hosts), or that depend on the moment (a conversion dated in the future).
// Their issues are marked, so the API answers them 422 and keeps 400 for a request that breaks the
// schema /openapi.json publishes.
import type { z } from 'zod';

const SEMANTIC = { semantic: true } as const;

export function addSemanticIssue(ctx: z.RefinementCtx, message: string, path?: PropertyKey[]): void {
  ctx.addIssue({ code: 'custom', message, params: SEMANTIC, ...(path ? { path } : {}) });
}

export function isSemanticIssue(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && issue.params?.semantic === true;
}
