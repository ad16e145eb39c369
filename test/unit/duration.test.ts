import { describe, expect, it } from '@jest/globals';
import { checkDuration, durationMs } from '../../domain/duration.ts';

describe('program durations', () => {
  it.each([
    ['P30D', 30 * 86_400_000],
    ['P90D', 90 * 86_400_000],
    ['PT2S', 2_000],
    ['PT0.25S', 250],
    ['P1W', 7 * 86_400_000],
    ['P1DT12H', 36 * 3_600_000],
    ['PT1H30M', 90 * 60_000],
    ['P0D', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it.each(['P1M', 'P1Y', 'P1Y2D', 'P2M3D'])('refuses the calendar duration %s and says to use days', (text) => {
    expect(checkDuration(text)).toEqual({ ok: false, message: expect.stringContaining('use weeks or days') });
  });

  it.each(['', 'P', 'PT', '30D', 'P-1D', 'P1.5D', 'PT1.2345S', 'p30d', 'P30DT'])('refuses the malformed %j', (text) => {
    expect(checkDuration(text)).toEqual({ ok: false, message: expect.stringContaining('ISO 8601') });
  });

  it('refuses anything longer than ten years', () => {
    expect(checkDuration('P3650D').ok).toBe(true);
    expect(checkDuration('P3651D')).toEqual({ ok: false, tooLong: true, message: expect.stringContaining('ten years') });
  });
});
