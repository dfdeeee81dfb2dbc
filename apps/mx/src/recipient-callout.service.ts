import { Inject, Injectable } from '@nestjs/common';
import { X509Certificate } from 'node:crypto';
import { isIP, Socket } from 'node:net';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import SMTPConnection, { SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection';
import { APP_CONFIG, AppConfig } from '@app/config';
import { connectToAddresses, DEFAULT_UPSTREAM_GROUP, DnsHostAddresses, HostAddresses, planUpstreamConnection, TenantsService, UpstreamTlsPolicy } from '@app/tenants';
import { CalloutOutcome, classifyCalloutReply } from './recipient-policy';

/** One of the tenant's Exchange servers as the callout needs it. */
export interface CalloutUpstream {
  host: string;
  port: number;
  priority: number;
  tlsPolicy: UpstreamTlsPolicy;
  pinnedCertPem: string | null;
  /** An operator approved private addresses for it; otherwise only public addresses are asked. */
  privateAddressAllowed: boolean;
}

/** Port: asks one upstream whether it takes `address`; resolves with the RCPT reply code, rejects when it cannot be asked. */
export interface RcptProbe {
  probe(upstream: CalloutUpstream, address: string, opts: { heloName: string; timeoutMs: number }): Promise<number>;
}
export const RCPT_PROBE = Symbol('RCPT_PROBE');

/** Port: the tenant's inbound upstreams, in the order they are tried. */
export interface CalloutUpstreams {
  upstreamsFor(tenantId: string): Promise<CalloutUpstream[]>;
}
export const CALLOUT_UPSTREAMS = Symbol('CALLOUT_UPSTREAMS');

/**
 * nodemailer connection options honouring an upstream's TLS policy:
 * none = plain; verify = STARTTLS required, certificate checked against the
 * public CAs and the host name; pinned = STARTTLS required, the pinned
 * certificate is the only trust anchor and the server must present exactly it.
 */
export function calloutConnectionOptions(u: Pick<CalloutUpstream, 'host' | 'port' | 'tlsPolicy' | 'pinnedCertPem'>, heloName: string, timeoutMs: number): SMTPConnectionOptions {
  const base: SMTPConnectionOptions = {
    host: u.host, port: u.port, name: heloName, logger: false,
    connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs, socketCloseTimeout: 0,
  };
  if (u.tlsPolicy === 'none') return { ...base, ignoreTLS: true };
  const servername = isIP(u.host) ? undefined : u.host;
  if (u.tlsPolicy === 'verify') return { ...base, requireTLS: true, tls: { rejectUnauthorized: true, servername } };
  if (!u.pinnedCertPem) throw new Error(`upstream ${u.host}:${u.port} is pinned but has no certificate`);
  const pinned = new X509Certificate(u.pinnedCertPem).fingerprint256;
  const tls: ConnectionOptions = {
    rejectUnauthorized: true,
    servername,
    ca: [u.pinnedCertPem],
    // The pin replaces the host-name check: on-premises servers are often reached by IP or an internal name.
    checkServerIdentity: (_host: string, cert: PeerCertificate) => (cert.fingerprint256 === pinned ? undefined : new Error(`certificate of ${u.host} does not match the pinned one`)),
  };
  return { ...base, requireTLS: true, tls };
}

/** nodemailer's connection internals used for a bare MAIL/RCPT exchange (the same ones its public reset() uses). */
interface ConnectionInternals {
  _sendCommand(command: string): void;
  _responseActions: Array<(reply: string) => void>;
}

/**
 * Asks with `MAIL FROM:<>` and `RCPT TO`, then QUIT — never DATA, so a
 * verification can never turn into a delivery. nodemailer's public send()
 * always goes on to DATA, hence the two internals above.
 */
export class NodemailerRcptProbe implements RcptProbe {
  constructor(private readonly addresses: HostAddresses = new DnsHostAddresses()) {}

  async probe(upstream: CalloutUpstream, address: string, opts: { heloName: string; timeoutMs: number }): Promise<number> {
    const started = Date.now();
    // The same address check as deliveries: a name that resolves into a private network is never asked.
    const plan = await planUpstreamConnection(upstream, this.addresses, opts.timeoutMs);
    if (plan.kind === 'refused' || plan.kind === 'unresolved') throw new Error(plan.message);
    const remaining = Math.max(opts.timeoutMs - (Date.now() - started), 1);
    const socket = plan.kind === 'addresses' ? await connectToAddresses(plan.addresses, upstream.port, remaining) : undefined;
    return this.ask(upstream, address, { ...opts, timeoutMs: remaining }, socket);
  }

  private ask(upstream: CalloutUpstream, address: string, opts: { heloName: string; timeoutMs: number }, socket: Socket | undefined): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const conn = new SMTPConnection({ ...calloutConnectionOptions(upstream, opts.heloName, opts.timeoutMs), ...(socket ? { connection: socket } : {}) });
      const internals = conn as unknown as ConnectionInternals;
      let settled = false;
      const finish = (err: Error | null, code = 0) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) conn.close();
        else conn.quit();
        if (err) reject(err);
        else resolve(code);
      };
      const timer = setTimeout(() => finish(new Error(`callout to ${upstream.host}:${upstream.port} timed out`)), opts.timeoutMs);
      conn.on('error', (e: Error) => finish(e));
      conn.on('end', () => finish(new Error(`${upstream.host}:${upstream.port} closed the connection`)));
      conn.connect(() => {
        internals._responseActions.push((mailReply) => {
          if (!mailReply.startsWith('2')) return finish(new Error(`${upstream.host}:${upstream.port} refused MAIL FROM:<>: ${mailReply.slice(0, 200)}`));
          internals._responseActions.push((rcptReply) => finish(null, Number.parseInt(rcptReply.slice(0, 3), 10) || 0));
          internals._sendCommand(`RCPT TO:<${address}>`);
        });
        internals._sendCommand('MAIL FROM:<>');
      });
    });
  }
}

/** The tenant's default upstream group (the one inbound mail goes to) through TenantsService. */
@Injectable()
export class TenantCalloutUpstreams implements CalloutUpstreams {
  constructor(private readonly tenants: TenantsService) {}

  async upstreamsFor(tenantId: string): Promise<CalloutUpstream[]> {
    const { upstreamGroups } = await this.tenants.overview(tenantId);
    const group = upstreamGroups.find((g) => g.name === DEFAULT_UPSTREAM_GROUP) ?? upstreamGroups.find((g) => g.upstreams.length);
    return (group?.upstreams ?? [])
      .map((u) => ({ host: u.host, port: u.port, priority: u.priority, tlsPolicy: u.tlsPolicy, pinnedCertPem: u.pinnedCertPem, privateAddressAllowed: u.privateAddressAllowed }))
      .sort((a, b) => a.priority - b.priority);
  }
}

/** A small time-bounded memo so a burst of mail to one pass-through address asks the upstream once. */
export class CalloutCache {
  private readonly entries = new Map<string, { outcome: CalloutOutcome; until: number }>();
  constructor(private readonly ttlMs: number, private readonly maxEntries = 10_000, private readonly now: () => number = Date.now) {}

  get(key: string): CalloutOutcome | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.outcome;
  }

  set(key: string, outcome: CalloutOutcome): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { outcome, until: this.now() + this.ttlMs });
  }
}

/** Definite answers are kept a minute; "cannot tell" is not kept, the next RCPT asks again. */
export const CALLOUT_CACHE_MS = 60_000;

/**
 * RCPT callout for tenants that pass unknown recipients through: the
 * tenant's upstreams are asked in priority order (failover); the first
 * definite answer (2xx or 5xx) decides. Unreachable servers and 4xx replies
 * move on to the next; if none answers definitely the outcome is
 * `unavailable` and the client is told to retry (451 4.4.3).
 */
@Injectable()
export class RecipientCallout {
  private readonly cache = new CalloutCache(CALLOUT_CACHE_MS);

  constructor(
    @Inject(RCPT_PROBE) private readonly probe: RcptProbe,
    @Inject(CALLOUT_UPSTREAMS) private readonly upstreams: CalloutUpstreams,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  async verify(tenantId: string, address: string, key: string): Promise<{ outcome: CalloutOutcome; cached: boolean; detail?: string }> {
    const cacheKey = `${tenantId}\n${key}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return { outcome: hit, cached: true };
    const list = await this.upstreams.upstreamsFor(tenantId);
    const problems: string[] = [];
    for (const u of list) {
      try {
        const code = await this.probe.probe(u, address, { heloName: this.cfg.MX_HOSTNAME, timeoutMs: this.cfg.MX_CALLOUT_TIMEOUT_MS });
        const outcome = classifyCalloutReply(code);
        if (outcome !== 'unavailable') {
          this.cache.set(cacheKey, outcome);
          return { outcome, cached: false };
        }
        problems.push(`${u.host}:${u.port} answered ${code}`);
      } catch (e) {
        problems.push(`${u.host}:${u.port}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return { outcome: 'unavailable', cached: false, detail: list.length ? problems.join('; ') : 'tenant has no upstream' };
  }
}
