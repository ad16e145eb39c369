import { expect, it } from '@jest/globals';
import { loadIpCountry } from '../../activities/ip-country.ts';

it('looks countries up offline in the packaged database, IPv4 and IPv6 alike', () => {
  const countryOf = loadIpCountry();
  expect(countryOf('8.8.8.8')).toBe('US');
  expect(countryOf('::ffff:8.8.8.8')).toBe('US');
  expect(countryOf('2001:200::1')).toBe('JP');
  expect(countryOf('192.0.2.1')).toBeNull();
  expect(countryOf('nonsense')).toBeNull();
});
