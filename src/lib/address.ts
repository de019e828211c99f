import { isIPv4, isIPv6 } from 'node:net';

// Client addresses as throttling and the audit page see them. One person on IPv6 commonly holds a
// whole /64 (their provider hands out the prefix; privacy addresses rotate within it), so counting
// each IPv6 address alone would give an attacker 2^64 fresh buckets. IPv4 addresses are counted
// one by one: many people share one behind NAT already.

/** An IPv6 address's eight groups as numbers, `::` expanded; undefined when it is not IPv6. */
function ipv6Groups(address: string): number[] | undefined {
  if (!isIPv6(address)) return undefined;
  // An embedded IPv4 tail (64:ff9b::192.0.2.1) is two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = v4 ? `${address.slice(0, v4.index)}${((+v4[1]! << 8) | +v4[2]!).toString(16)}:${((+v4[3]! << 8) | +v4[4]!).toString(16)}` : address;
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const front = head ? head.split(':').map((group) => parseInt(group, 16)) : [];
  const back = tail ? tail.split(':').map((group) => parseInt(group, 16)) : [];
  return tail === undefined ? front : [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/** Without a zone (fe80::1%eth0) and with an IPv4-mapped address (::ffff:192.0.2.1) as the IPv4 one. */
function plain(address: string): string {
  const bare = address.split('%')[0]!;
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1] ?? bare;
}

/** The key an address is throttled under: an IPv4 address itself, an IPv6 address's /64. */
export function throttledAddress(address: string): string {
  const bare = plain(address);
  const groups = isIPv4(bare) ? undefined : ipv6Groups(bare);
  if (!groups) return bare;
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

/**
 * The network an address belongs to, not the address, as the audit page shows it: an app's owner
 * sees where sign-ins and consents come from (an IPv4 /24, an IPv6 /48), never the address of a
 * person who used the app; '' when it is neither. The operator's `grantry audit` shows addresses.
 */
export function networkOf(address: string): string {
  const bare = plain(address);
  if (isIPv4(bare)) return `${bare.split('.').slice(0, 3).join('.')}.0/24`;
  const groups = ipv6Groups(bare);
  if (!groups) return '';
  return `${groups.slice(0, 3).map((group) => group.toString(16)).join(':')}::/48`;
}
