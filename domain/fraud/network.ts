// Where an address sits: the address itself in one canonical spelling, and the network it shares with
// its neighbours (an IPv4 /24, an IPv6 /64: one office, one home, one subscriber line).
import ipaddr from 'ipaddr.js';

export interface NetworkOf {
  ip: string;
  network: string;
}

/** The canonical address and its /24 or /64; an IPv4-mapped IPv6 address counts as the IPv4 one. Null for what is not an address. */
export function networkOf(address: string): NetworkOf | null {
  if (!ipaddr.isValid(address)) return null;
  const ip = ipaddr.process(address);
  if (ip.kind() === 'ipv4') {
    const octets = (ip as ipaddr.IPv4).octets;
    return { ip: ip.toString(), network: `${octets.slice(0, 3).join('.')}.0/24` };
  }
  const parts = (ip as ipaddr.IPv6).parts;
  const prefix = new ipaddr.IPv6([...parts.slice(0, 4), 0, 0, 0, 0]);
  return { ip: ip.toString(), network: `${prefix.toString()}/64` };
}
