import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import type { AttemptResult } from './delivery-outcome';
import { DNS_RESOLVER, DnsResolver } from './dns-resolver.port';
import type { ClaimedDelivery } from './delivery.store';
import { DeliveryStore } from './delivery.store';
import { applyMtaSts } from './mta-sts';
import { MtaStsPolicies } from './mta-sts-policies.service';
import { hopKey, internetHops, NextHop, parseStaticRoutes, recipientDomain, StaticRoute, staticRouteFor, upstreamHops, UpstreamRow } from './next-hop';

/** Recipients that share a route: one SMTP transaction carries them all. */
export type RouteGroup =
  | { kind: 'hops'; hops: NextHop[]; recipients: ClaimedDelivery[] }
  | { kind: 'failed'; failure: AttemptResult; recipients: ClaimedDelivery[] };

/**
 * Chooses routes at each attempt, never at acceptance: an upstream change or
 * a DNS change applies to the next try of mail already queued.
 */
/**
 * Directory answers are kept this long: enough to spare Postgres a query per
 * message under load, short enough that an operator's change to an upstream
 * applies to the next attempts within seconds.
 */
const DIRECTORY_CACHE_MS = 5000;

@Injectable()
export class RoutePlanner {
  private readonly staticRoutes: Map<string, StaticRoute>;
  private readonly domainOwners = new TtlCache<string, string | null>(DIRECTORY_CACHE_MS);
  private readonly upstreams = new TtlCache<string, UpstreamRow[]>(DIRECTORY_CACHE_MS);

  private readonly mxPort: number;
  private readonly mtaStsEnabled: boolean;

  constructor(
    @Inject(APP_CONFIG) cfg: Pick<AppConfig, 'STATIC_ROUTES' | 'INTERNET_SMTP_PORT' | 'MTA_STS_ENABLED'>,
    @Inject(DNS_RESOLVER) private readonly dns: DnsResolver,
    private readonly store: DeliveryStore,
    private readonly mtaSts: MtaStsPolicies,
  ) {
    this.staticRoutes = parseStaticRoutes(cfg.STATIC_ROUTES);
    this.mxPort = cfg.INTERNET_SMTP_PORT ?? 25;
    this.mtaStsEnabled = cfg.MTA_STS_ENABLED ?? true;
  }

  async plan(rows: ClaimedDelivery[]): Promise<RouteGroup[]> {
    const planned: RouteGroup[] = [];
    const upstreamByTenant = new Map<string, ClaimedDelivery[]>();
    const internetByDomain = new Map<string, ClaimedDelivery[]>();
    for (const r of rows) {
      if (r.routeKind === 'upstream') {
        // The tenant whose domain it is owns the upstream (a DSN to another tenant's user goes to that tenant's Exchange).
        const domain = recipientDomain(r.recipient);
        const owner = (await this.domainOwners.get(domain, () => this.store.tenantOfVerifiedDomain(domain))) ?? r.tenantId;
        push(upstreamByTenant, owner, r);
      } else {
        push(internetByDomain, recipientDomain(r.recipient), r);
      }
    }
    for (const [tenantId, recipients] of upstreamByTenant) {
      const hops = upstreamHops(await this.upstreams.get(tenantId, () => this.store.upstreamsOfTenant(tenantId)));
      planned.push(hops.length ? { kind: 'hops', hops, recipients } : { kind: 'failed', recipients, failure: { kind: 'route', reason: 'no-upstream', message: 'the tenant has no upstream configured' } });
    }
    for (const [domain, recipients] of internetByDomain) {
      const fixed = staticRouteFor(domain, this.staticRoutes);
      if (fixed) {
        planned.push({ kind: 'hops', hops: [{ ...fixed, tls: { kind: 'opportunistic' }, source: 'static' }], recipients });
        continue;
      }
      if (!domain) {
        planned.push({ kind: 'failed', recipients, failure: { kind: 'route', reason: 'no-such-domain', message: 'recipient has no domain' } });
        continue;
      }
      const r = await this.internetRoute(domain);
      planned.push('hops' in r ? { kind: 'hops', hops: r.hops, recipients } : { kind: 'failed', failure: r.failure, recipients });
    }
    return mergeSameHops(planned);
  }

  /** MX lookup (preference order, A/AAAA fallback, null MX), then the domain's MTA-STS policy. Static routes skip both. */
  private async internetRoute(domain: string): Promise<{ hops: NextHop[] } | { failure: AttemptResult }> {
    const r = internetHops(domain, await this.dns.resolveMx(domain), Math.random, this.mxPort);
    if (!('hops' in r) || !this.mtaStsEnabled) return r;
    return applyMtaSts(domain, r.hops, await this.mtaSts.policyFor(domain));
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** Domains that resolve to the same hop list travel in one transaction. */
export function mergeSameHops(groups: RouteGroup[]): RouteGroup[] {
  const byKey = new Map<string, RouteGroup & { kind: 'hops' }>();
  const out: RouteGroup[] = [];
  for (const g of groups) {
    if (g.kind !== 'hops') {
      out.push(g);
      continue;
    }
    const key = g.hops.map(hopKey).join(' ');
    const existing = byKey.get(key);
    if (existing) existing.recipients.push(...g.recipients);
    else {
      const copy = { ...g, recipients: [...g.recipients] };
      byKey.set(key, copy);
      out.push(copy);
    }
  }
  return out;
}

/** A small time-bounded memo; concurrent misses for one key share one lookup. */
class TtlCache<K, V> {
  private readonly entries = new Map<K, { at: number; value: Promise<V> }>();
  constructor(private readonly ttlMs: number, private readonly maxEntries = 10_000) {}

  get(key: K, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const value = load();
    this.entries.set(key, { at: now, value });
    value.catch(() => this.entries.delete(key));
    return value;
  }
}
