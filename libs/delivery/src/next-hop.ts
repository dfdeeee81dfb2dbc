import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import type { AttemptResult } from './delivery-outcome';

/**
 * How a hop is secured:
 *  verify        STARTTLS required, certificate verified against public CAs for the host name
 *  pinned        STARTTLS required, only the pinned certificate is trusted and its fingerprint must match
 *  none          plain SMTP (laboratories and the demo)
 *  opportunistic STARTTLS when offered, unverified, plain otherwise (the internet, unless MTA-STS enforces verify)
 */
export type HopTls = { kind: 'verify' } | { kind: 'pinned'; certPem: string } | { kind: 'none' } | { kind: 'opportunistic' };

export interface NextHop {
  host: string;
  port: number;
  tls: HopTls;
  /** Where the hop came from, for logs. */
  source: 'upstream' | 'static' | 'mx' | 'address';
  /**
   * Upstreams only: an operator approved private addresses for it. Without
   * that, an upstream is connected to only at public addresses, checked when
   * the connection is made (planUpstreamConnection).
   */
  privateAddressAllowed?: boolean;
}

export function hopLabel(h: Pick<NextHop, 'host' | 'port'>): string {
  return `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;
}

/** Hops with the same host, port and TLS can share a pooled connection. */
export function hopKey(h: NextHop): string {
  const tls = h.tls.kind === 'pinned' ? `pinned:${pinnedFingerprint(h.tls.certPem)}` : h.tls.kind;
  // A connection opened under an approval for private addresses is never lent to a hop without it.
  return `${hopLabel(h)}|${tls}${h.privateAddressAllowed ? '|private' : ''}`;
}

const fingerprints = new Map<string, string>();
export function pinnedFingerprint(certPem: string): string {
  let fp = fingerprints.get(certPem);
  if (!fp) {
    fp = new X509Certificate(certPem).fingerprint256;
    fingerprints.set(certPem, fp);
  }
  return fp;
}

// ---------------------------------------------------------------- static routes

export interface StaticRoute { host: string; port: number }

/** Parses STATIC_ROUTES: `domain=host:port,domain2=host:port`, `*` for every domain, `[::1]:25` for IPv6. */
export function parseStaticRoutes(spec: string): Map<string, StaticRoute> {
  const routes = new Map<string, StaticRoute>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)=(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+))(?::(\d{1,5}))?$/.exec(part);
    if (!m) throw new Error(`STATIC_ROUTES: cannot read "${part}" (expected domain=host:port)`);
    const port = m[4] ? Number(m[4]) : 25;
    if (port < 1 || port > 65535) throw new Error(`STATIC_ROUTES: port out of range in "${part}"`);
    routes.set(m[1].toLowerCase().replace(/\.$/, ''), { host: m[2] ?? m[3], port });
  }
  return routes;
}

export function staticRouteFor(domain: string, routes: Map<string, StaticRoute>): StaticRoute | null {
  return routes.get(domain.toLowerCase().replace(/\.$/, '')) ?? routes.get('*') ?? null;
}

export function recipientDomain(address: string): string {
  const at = address.lastIndexOf('@');
  return (at >= 0 ? address.slice(at + 1) : '').toLowerCase().replace(/\.$/, '');
}

// ---------------------------------------------------------------- upstreams

export interface UpstreamRow { host: string; port: number; priority: number; tlsPolicy: 'verify' | 'pinned' | 'none'; pinnedCertPem: string | null; privateAddressAllowed?: boolean }

/** A tenant's upstream group in the order it is tried: failover, never fan-out. */
export function upstreamHops(upstreams: UpstreamRow[]): NextHop[] {
  return [...upstreams]
    .sort((a, b) => a.priority - b.priority || a.host.localeCompare(b.host) || a.port - b.port)
    .map((u) => ({
      host: u.host,
      port: u.port,
      source: 'upstream' as const,
      privateAddressAllowed: !!u.privateAddressAllowed,
      tls: u.tlsPolicy === 'pinned' && u.pinnedCertPem ? { kind: 'pinned' as const, certPem: u.pinnedCertPem } : u.tlsPolicy === 'none' ? { kind: 'none' as const } : { kind: 'verify' as const },
    }));
}

// ---------------------------------------------------------------- the internet

export interface MxRecord { exchange: string; priority: number }
/** What the DNS port answers for a domain's MX question. */
export type MxAnswer =
  | { kind: 'mx'; records: MxRecord[] }
  | { kind: 'no-mx' } // the name exists but has no MX: RFC 5321 §5.1 implicit MX (A/AAAA)
  | { kind: 'nxdomain' }
  | { kind: 'error'; code: string };

/**
 * Next hops for a domain on the internet, per RFC 5321 §5.1 and RFC 7505:
 * MX hosts by preference (equal preferences shuffled), the domain itself when
 * it has no MX, a permanent failure for a null MX or a domain that does not exist.
 */
export function internetHops(domain: string, answer: MxAnswer, random: () => number = Math.random, port = 25): { hops: NextHop[] } | { failure: AttemptResult } {
  const tls: HopTls = { kind: 'opportunistic' };
  switch (answer.kind) {
    case 'nxdomain':
      return { failure: { kind: 'route', reason: 'no-such-domain', message: `domain ${domain} does not exist` } };
    case 'error':
      return { failure: { kind: 'route', reason: 'dns-temporary', message: `MX lookup for ${domain} failed: ${answer.code}` } };
    case 'no-mx':
      return { hops: [{ host: domain, port, tls, source: 'address' }] };
    case 'mx': {
      const isNull = (r: MxRecord) => r.exchange === '' || r.exchange === '.';
      const real = answer.records.filter((r) => !isNull(r));
      if (real.length === 0) {
        if (answer.records.length > 0) return { failure: { kind: 'route', reason: 'null-mx', message: `domain ${domain} does not accept mail (null MX)` } };
        return { hops: [{ host: domain, port, tls, source: 'address' }] };
      }
      const keyed = real.map((r) => ({ r, k: random() }));
      keyed.sort((a, b) => a.r.priority - b.r.priority || a.k - b.k);
      const seen = new Set<string>();
      const hops: NextHop[] = [];
      for (const { r } of keyed) {
        const host = r.exchange.toLowerCase().replace(/\.$/, '');
        if (seen.has(host)) continue;
        seen.add(host);
        hops.push({ host, port, tls, source: 'mx' });
      }
      return { hops };
    }
  }
}

// ---------------------------------------------------------------- connection options

export interface HopConnectionSettings {
  heloName: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/** Options for nodemailer's SMTPConnection that enforce the hop's TLS policy. */
export function connectionOptionsFor(hop: NextHop, s: HopConnectionSettings): Record<string, unknown> & { tls?: ConnectionOptions } {
  const base = {
    host: hop.host,
    port: hop.port,
    secure: false,
    name: s.heloName,
    connectionTimeout: s.connectTimeoutMs,
    greetingTimeout: s.connectTimeoutMs,
    socketTimeout: s.commandTimeoutMs,
    dnsTimeout: s.connectTimeoutMs,
    logger: false,
    allowInternalNetworkInterfaces: true,
  };
  const servername = isIP(hop.host) ? undefined : hop.host;
  switch (hop.tls.kind) {
    case 'verify':
      return { ...base, requireTLS: true, tls: { rejectUnauthorized: true, servername, minVersion: 'TLSv1.2' } };
    case 'pinned': {
      const expected = pinnedFingerprint(hop.tls.certPem);
      return {
        ...base,
        requireTLS: true,
        tls: {
          rejectUnauthorized: true,
          // The pinned certificate is the only trust anchor; a leaf issued by a private CA is accepted as an anchor too.
          ca: [hop.tls.certPem],
          allowPartialTrustChain: true,
          servername,
          minVersion: 'TLSv1.2',
          // The pin replaces the name check: on-premises servers are often reached by an address or internal name.
          checkServerIdentity: (_host: string, cert: PeerCertificate) =>
            cert.fingerprint256 === expected ? undefined : new Error(`certificate fingerprint ${cert.fingerprint256} does not match the pinned ${expected}`),
        } as ConnectionOptions,
      };
    }
    case 'none':
      return { ...base, ignoreTLS: true };
    case 'opportunistic':
      return { ...base, opportunisticTLS: true, tls: { rejectUnauthorized: false, servername, minVersion: 'TLSv1' } };
  }
}

