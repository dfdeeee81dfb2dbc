import { connect, isIP, isIPv6, Socket } from 'node:net';
import type { Resolver } from 'node:dns/promises';
import { newResolver } from '@app/dns';
import { isPublicAddress } from './upstream-host-policy';

/** Port: the addresses (A and AAAA) a host name has; rejects with a DNS error code when it has none. */
export interface HostAddresses {
  addressesOf(host: string): Promise<string[]>;
}

/** Through node:dns and the service's resolvers (DNS_SERVERS), like every other DNS port. */
export class DnsHostAddresses implements HostAddresses {
  private readonly resolver: Resolver;

  constructor(timeoutMs = 5000) {
    this.resolver = newResolver({ timeoutMs });
  }

  async addressesOf(host: string): Promise<string[]> {
    const answers = await Promise.allSettled([this.resolver.resolve4(host), this.resolver.resolve6(host)]);
    const addresses = answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
    if (addresses.length) return addresses;
    const errors = answers.flatMap((a) => (a.status === 'rejected' ? [a.reason as NodeJS.ErrnoException] : []));
    // "No such name" from one family and "no records" from the other is still no address; a real failure says more.
    const worst = errors.find((e) => e.code !== 'ENODATA' && e.code !== 'ENOTFOUND') ?? errors.find((e) => e.code === 'ENOTFOUND') ?? errors[0];
    throw Object.assign(new Error(`${host} has no address: ${worst?.code ?? 'ENODATA'}`), { code: worst?.code ?? 'ENODATA' });
  }
}

/** What an upstream needs to be checked before a connection. */
export interface UpstreamAddressTarget {
  host: string;
  /** Set when an operator approved a host that is not on the public internet (a VPN-connected server). */
  privateAddressAllowed: boolean;
}

/**
 * How to connect to an upstream:
 *  as-named    connect to the host as stored: an operator approved private addresses for it, or it is a public IP address
 *  addresses   connect to exactly these checked addresses (the name resolved once, here), never resolving it again
 *  refused     the host is, or resolves to, an address that is not on the public internet
 *  unresolved  the name has no address (or DNS failed): like an unreachable server
 */
export type UpstreamConnectionPlan =
  | { kind: 'as-named' }
  | { kind: 'addresses'; addresses: string[] }
  | { kind: 'refused'; address: string; message: string }
  | { kind: 'unresolved'; code: string; message: string };

/** The error code under which a refused upstream is reported. */
export const UPSTREAM_NOT_PUBLIC = 'upstream-not-public';

/**
 * The connection-time half of the upstream host policy (upstreamHostProblem
 * is the other): a host name a tenant gave is resolved once, every address is
 * checked, and the connection goes to the checked addresses, so a name that
 * points (or is re-pointed between check and connect) at loopback, a private
 * network or the metadata service never reaches it. Every address must be
 * public: a name with one private address among public ones is refused, since
 * the connection could land on any of them.
 */
export async function planUpstreamConnection(target: UpstreamAddressTarget, lookup: HostAddresses, timeoutMs?: number): Promise<UpstreamConnectionPlan> {
  if (target.privateAddressAllowed) return { kind: 'as-named' };
  const host = target.host.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) {
    return isPublicAddress(host) ? { kind: 'as-named' } : { kind: 'refused', address: host, message: `upstream ${target.host} is a non-public address; refused` };
  }
  let addresses: string[];
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<never>((_, reject) => {
      if (timeoutMs !== undefined) timer = setTimeout(() => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
    });
    addresses = await Promise.race([lookup.addressesOf(host), timedOut]);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EDNS';
    return { kind: 'unresolved', code, message: `cannot resolve upstream ${target.host}: ${code}` };
  } finally {
    clearTimeout(timer);
  }
  const bad = addresses.find((a) => !isPublicAddress(a));
  if (bad) return { kind: 'refused', address: bad, message: `upstream ${target.host} resolves to a non-public address ${bad}; refused` };
  if (!addresses.length) return { kind: 'unresolved', code: 'ENODATA', message: `cannot resolve upstream ${target.host}: ENODATA` };
  return { kind: 'addresses', addresses };
}

/**
 * Opens a TCP connection to the first of `addresses` that answers (IPv6 and
 * IPv4 alternated as in RFC 8305, as nodemailer does for a name), without any
 * further DNS lookup. For nodemailer's `connection` option: the SMTP session,
 * STARTTLS and certificate checks still use the host name.
 */
export function connectToAddresses(addresses: string[], port: number, timeoutMs: number): Promise<Socket> {
  const ordered = [...addresses.filter((a) => isIPv6(a)), ...addresses.filter((a) => !isIPv6(a))];
  const entries = ordered.map((address) => ({ address, family: isIPv6(address) ? 6 : 4 }));
  const oneFamily = entries.every((e) => e.family === entries[0].family);
  return new Promise<Socket>((resolve, reject) => {
    const several = entries.length > 1;
    const socket = connect({
      // An address is connected to directly; with several, the lookup below hands them all over (the name is never looked up).
      host: several ? 'upstream.invalid' : ordered[0],
      port,
      autoSelectFamily: several,
      // Within one family every address gets its share of the time rather than the quarter second meant for a broken family.
      ...(several && oneFamily ? { autoSelectFamilyAttemptTimeout: Math.max(Math.floor(timeoutMs / entries.length), 10) } : {}),
      lookup: (_name, options, callback) => {
        if ((options as { all?: boolean }).all) (callback as (err: null, list: typeof entries) => void)(null, entries);
        else (callback as (err: null, address: string, family: number) => void)(null, entries[0].address, entries[0].family);
      },
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`connection to ${ordered.join(', ')} port ${port} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      resolve(socket);
    });
    // Stays attached: an error in the moment before the SMTP client takes the socket must not go unhandled (the client then times out).
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (connected) return;
      clearTimeout(timer);
      socket.destroy();
      // With several addresses Node reports an AggregateError without a message of its own.
      reject(Object.assign(new Error(e.message || `connect ${e.code ?? 'ECONNECTION'} ${ordered.join(', ')} port ${port}`), { code: e.code ?? 'ECONNECTION' }));
    });
  });
}
