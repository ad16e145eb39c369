import { describe, expect, it } from '@jest/globals';
import { networkOf, platformOf } from '../../domain/click-origin.ts';
import { userAgents } from '../support/user-agents.ts';

describe('where a click came from', () => {
  it('takes an IPv4 address whole and an IPv6 address by its /64', () => {
    expect(networkOf('198.51.100.7')).toBe('198.51.100.7');
    expect(networkOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:DB8:0001:0002:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:db8:1:2::9')).toBe(networkOf('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(networkOf('2001:db8:1:3::9')).not.toBe(networkOf('2001:db8:1:2::9'));
  });

  it('reads an IPv4 address written as IPv6 as the IPv4 address', () => {
    expect(networkOf('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(networkOf('::ffff:c633:6407')).toBe('198.51.100.7');
  });

  it('has no network for no address or a malformed one', () => {
    expect(networkOf(null)).toBeNull();
    expect(networkOf('1::2::3')).toBeNull();
    expect(networkOf('2001:db8::1:2:3:4:5:6:7')).toBeNull();
  });

  it('names the platform a user agent runs on', () => {
    expect(platformOf(userAgents.iPhone)).toBe('ios');
    expect(platformOf(userAgents.android)).toBe('android');
    expect(platformOf(userAgents.desktop)).toBe('web');
  });
});
