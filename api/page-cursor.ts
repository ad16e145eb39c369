// Paging: opaque page cursors (the last row of a page, its sort key, as base64url JSON, checked against
// a schema when it comes back) and page sizes, both read from the query string exactly as
// /openapi.json describes them.
import { type ZodType, z } from 'zod';
import { addSemanticIssue } from '../domain/semantic-issue.ts';

/**
 * A cursor has the shape the schema publishes; one of that shape this list never issued is answered
 * 422, as an unknown id would be.
 */
export function pageCursorSchema<T extends ZodType>(position: T) {
  return z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,1024}$/, 'expected the nextCursor of a previous page')
    .transform((cursor, ctx): z.output<T> => {
      try {
        return position.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString()));
      } catch {
        addSemanticIssue(ctx, 'is not the nextCursor of a page of this list');
        return z.NEVER;
      }
    });
}

/** The cursor of the next page, or null on the last one. */
export function pageCursor(last: object | null): string | null {
  return last ? Buffer.from(JSON.stringify(last)).toString('base64url') : null;
}

/**
 * A page size from the query string: a plain decimal integer, so " 5", "5.0", "1e1" and "0x5" are
 * refused as /openapi.json's `integer` says, rather than read as 5.
 */
export function pageLimitSchema(max: number, fallback: number) {
  return z
    .preprocess((value) => (typeof value === 'string' && /^-?(?:0|[1-9][0-9]{0,15})$/.test(value) ? Number(value) : value), z.number().int().min(1).max(max))
    .default(fallback);
}
