// Where a click came from, as far as matching it later needs: the device class its user agent
// names, and the network its address belongs to.
import { z } from 'zod';

export const platformSchema = z.enum(['ios', 'android']);
export type AppPlatform = z.infer<typeof platformSchema>;
export type Platform = AppPlatform | 'web';

export function platformOf(userAgent: string): Platform {
  if (/iPhone|iPad|iPod/i.test(userAgent)) return 'ios';
  if (/Android/i.test(userAgent)) return 'android';
  return 'web';
}

/**
 * Clicks from one browser on one link inside this window count once. Long enough to cover a
 * reload, a back-and-forth or a second tap on a slow page; short enough that a friend who comes
 * back tomorrow is counted again.
 */
export const REPEAT_CLICK_WINDOW_MS = 30 * 60 * 1000;

function ipv6Groups(ip: string): number[] | null {
  const [head = '', tail, ...rest] = ip.split('::');
  if (rest.length > 0) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const groupsOf = (parts: string[]) =>
    parts.flatMap((part) => {
      if (part.includes('.')) {
        const octets = part.split('.').map(Number);
        return [((octets[0] ?? 0) << 8) | (octets[1] ?? 0), ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)];
      }
      return [Number.parseInt(part, 16)];
    });
  const left = groupsOf(parse(head));
  const right = groupsOf(parse(tail ?? ''));
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return null;
  const groups = [...left, ...Array<number>(tail === undefined ? 0 : missing).fill(0), ...right];
  return groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : null;
}

/**
 * The network a device is on, for matching an app's first launch to the click before its install:
 * an IPv4 address whole (a home or office router shares one address among its devices), and the
 * /64 of an IPv6 address (a phone's temporary addresses change inside its /64). An IPv4 address
 * written as IPv6 ("::ffff:198.51.100.7") is its IPv4 address.
 */
export function networkOf(ip: string | null): string | null {
  if (!ip) return null;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip;
  const groups = ipv6Groups(ip.toLowerCase());
  if (!groups) return null;
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (mapped) return [(groups[6] ?? 0) >> 8, (groups[6] ?? 0) & 0xff, (groups[7] ?? 0) >> 8, (groups[7] ?? 0) & 0xff].join('.');
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}
