import { isIP } from 'node:net';
import { Resolver } from 'node:dns/promises';

/**
 * Every DNS port of the service (MX lookup, SPF/DKIM/DMARC, MTA-STS, DKIM and
 * domain-ownership checks) gets its resolver here, so that one setting points
 * all of them at the servers an operator chose — a local caching resolver, as
 * MTAs usually run, or a test's own DNS server.
 */
let servers: string[] | null = null;

/** `host` or `host:port`, comma separated; empty = the system's resolv.conf. */
export function parseDnsServers(value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of list) {
    const host = isIP(s) ? s : s.startsWith('[') ? s.slice(1, s.indexOf(']')) : s.replace(/:\d+$/, '');
    if (!isIP(host)) throw new Error(`DNS server "${s}" is not an IP address (optionally with :port)`);
  }
  return list;
}

export function useDnsServers(value: string | undefined): void {
  const list = value ? parseDnsServers(value) : [];
  servers = list.length ? list : null;
}

export function newResolver(opts: { timeoutMs: number; tries?: number }): Resolver {
  const r = new Resolver({ timeout: opts.timeoutMs, tries: opts.tries ?? 2 });
  if (servers) r.setServers(servers);
  return r;
}
