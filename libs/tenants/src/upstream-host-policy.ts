import { BlockList, isIP } from 'node:net';

/**
 * Address ranges that are not on the public internet: loopback, private,
 * carrier-grade NAT, link-local, benchmarking, multicast and reserved, and
 * their IPv6 counterparts. An upstream there could only be one of our own
 * machines (or a VPN-connected tenant that an operator sets up on purpose).
 */
const NOT_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) NOT_PUBLIC.addSubnet(net, bits, 'ipv6');

/**
 * Why a host given by a tenant is not an acceptable upstream, or null when it
 * is. Tenant admins may only name hosts on the public internet: otherwise the
 * probes and the "test connection" action would reach into the provider's own
 * network (its Redis, Postgres, metadata service) and report what answered.
 * Names are judged by their form; what a name resolves to is checked again
 * when a connection is made (see planUpstreamConnection).
 */
export function upstreamHostProblem(host: string): string | null {
  const h = host.trim().toLowerCase().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1');
  const family = isIP(h);
  if (family) return isPublicAddress(h) ? null : `${host} is not an address on the public internet`;
  if (h === 'localhost' || h.endsWith('.localhost')) return `${host} names this machine`;
  if (!h.includes('.')) return `${host} is not a fully qualified host name (a name with its domain, like mail.example.com)`;
  if (/\.(internal|local|lan|home\.arpa)$/.test(h)) return `${host} is a name of a private network`;
  return null;
}

/** Whether an IP address (v4, or v6 including the IPv4-mapped form) lies on the public internet. */
export function isPublicAddress(address: string): boolean {
  const a = address.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const family = isIP(a);
  if (!family) return false;
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a)?.[1] : undefined;
  return !(mapped ? NOT_PUBLIC.check(mapped, 'ipv4') : NOT_PUBLIC.check(a, family === 4 ? 'ipv4' : 'ipv6'));
}
