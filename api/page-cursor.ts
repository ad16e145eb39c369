// Opaque page cursors: the last row of a page (its sort key), as base64url JSON, checked against a
// schema when it comes back.
import { type ZodType, z } from 'zod';

export function pageCursorSchema<T extends ZodType>(position: T) {
  return z.string().transform((cursor, ctx): z.output<T> => {
    try {
      return position.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString()));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected the nextCursor of a previous page' });
      return z.NEVER;
    }
  });
}

/** The cursor of the next page, or null on the last one. */
export function pageCursor(last: object | null): string | null {
  return last ? Buffer.from(JSON.stringify(last)).toString('base64url') : null;
}
