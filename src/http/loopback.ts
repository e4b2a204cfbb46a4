import { isIPv4, isIPv6 } from 'node:net';

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/;

/**
 * Whether an address (a bind host or a peer's address) is this machine's loopback: 127.0.0.0/8,
 * ::1 (also IPv4-mapped, as a dual-stack socket reports it) or `localhost`. Any other name is
 * treated as reachable from elsewhere, even if it happens to resolve to loopback.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = unbracket(host.trim().toLowerCase());
  if (bare === 'localhost') return true;
  const v4 = MAPPED_V4.exec(bare)?.[1] ?? bare;
  if (isIPv4(v4)) return v4.startsWith('127.');
  return isIPv6(bare) && /^(0{0,4}:){2,7}0{0,3}1$/.test(bare);
}

/** `[::1]` → `::1`; anything else unchanged. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** An address as it appears in a Host header: IPv6 in brackets, IPv4-mapped IPv6 as IPv4. */
export function hostForHeader(address: string): string {
  const bare = unbracket(address.toLowerCase());
  const v4 = MAPPED_V4.exec(bare)?.[1];
  if (v4 !== undefined) return v4;
  return bare.includes(':') ? `[${bare}]` : bare;
}
