// Money is an integer count of minor units plus a lowercase ISO 4217 currency code.
import { z } from 'zod';
import { EngineError, failureTypes } from './failures.ts';

/**
 * The ISO 4217 codes of currencies in use, as the ICU data in Node knows them (updated with Node, so
 * no list of our own to keep): no historic codes, no funds or precious metals.
 */
export const currencies = Intl.supportedValuesOf('currency').map((code) => code.toLowerCase());

export const currencySchema = z.enum(currencies as [string, ...string[]], { error: 'expected a lowercase ISO 4217 currency code, e.g. "usd"' });

export const amountSchema = z.number().int('expected an integer amount in minor units (cents), not a fraction').nonnegative().max(Number.MAX_SAFE_INTEGER);

export const positiveAmountSchema = amountSchema.positive();

/** An amount that is not a positive integer of minor units, or one a JavaScript number cannot hold exactly. */
export class InvalidAmountError extends EngineError {
  constructor(message: string) {
    super(failureTypes.invalidAmount, message);
  }
}

/**
 * Converts a database bigint (pg hands them over as strings) into a number of minor units,
 * refusing anything a JavaScript number cannot hold exactly.
 */
export function exactAmount(value: string | number | bigint): number {
  const big = BigInt(value);
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new InvalidAmountError(`amount ${big} is outside the exactly representable range`);
  }
  return Number(big);
}
