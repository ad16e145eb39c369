// The zod schema for a duration in program terms, kept apart from duration.ts so that workflow code,
// which needs only the arithmetic, does not bundle zod for it.
import { z } from 'zod';
import { checkDuration } from './duration.ts';

export const durationSchema = z.string().superRefine((text, ctx) => {
  const checked = checkDuration(text);
  if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.message });
});
