// Referral codes: short, unambiguous read aloud or by eye, and drawn from enough randomness
// that guessing one is hopeless (9 symbols of 30 is about 44 bits).
import { z } from 'zod';
import { textSchema } from './text.ts';

/** Digits and capitals without 0/O, 1/I/L and U, which people confuse or mistype. */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
export const GENERATED_CODE_LENGTH = 9;

/** Builds a code from random bytes; rejection sampling keeps every symbol equally likely. */
export function codeFromRandomBytes(bytes: Uint8Array): string | null {
  const limit = 256 - (256 % CODE_ALPHABET.length);
  let code = '';
  for (const byte of bytes) {
    if (byte >= limit) continue;
    code += CODE_ALPHABET[byte % CODE_ALPHABET.length];
    if (code.length === GENERATED_CODE_LENGTH) return code;
  }
  return null;
}

/** Codes are case-insensitive: stored and compared in capitals. */
export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}

export const vanityCodeSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$/, 'expected 3-32 letters, digits, "-" or "_", starting with a letter or digit');

/** A code as a caller sends it: any case, possibly mistyped, so only text; an unknown one is not found. */
export const codeParamSchema = textSchema({ max: 64 });
