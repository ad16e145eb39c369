// The zod schema for a duration in program terms, kept apart from duration.ts so that workflow code,
// which needs only the arithmetic, does not bundle zod for it. The published pattern is exactly what
// the validator accepts; only the ten-year bound is a rule no pattern states (422).
import { z } from 'zod';
import { checkDuration, DURATION_PATTERN } from './duration.ts';
import { addSemanticIssue } from './semantic-issue.ts';

export const durationSchema = z
  .string()
  .check((ctx) => {
    const checked = checkDuration(ctx.value);
    if (checked.ok || checked.tooLong) return;
    ctx.issues.push({ code: 'invalid_format', format: 'regex', pattern: DURATION_PATTERN.source, input: ctx.value, message: checked.message });
  })
  .superRefine((text, ctx) => {
    const checked = checkDuration(text);
    if (!checked.ok && checked.tooLong) addSemanticIssue(ctx, checked.message);
  })
  .meta({ pattern: DURATION_PATTERN.source, description: 'an ISO 8601 duration in weeks, days, hours, minutes and seconds, at most ten years' });
