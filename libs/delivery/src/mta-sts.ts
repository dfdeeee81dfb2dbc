import type { AttemptResult } from './delivery-outcome';
import type { NextHop } from './next-hop';

/** An MTA-STS policy (RFC 8461 §3.2). */
export interface MtaStsPolicy {
  mode: 'enforce' | 'testing' | 'none';
  /** MX patterns: a host name, or `*.` and a domain for any one label in front of it. */
  mx: string[];
  maxAgeSeconds: number;
}

/** The policy id from the `_mta-sts.<domain>` TXT answers, or null when none (or more than one) is published (§3.1). */
export function policyIdFromTxt(answers: string[][]): string | null {
  const records = answers.map((a) => a.join('')).filter((t) => /^v=STSv1\s*(;|$)/.test(t));
  if (records.length !== 1) return null;
  const id = /(?:^|;)\s*id=([A-Za-z0-9]{1,32})\s*(;|$)/.exec(records[0]);
  return id ? id[1] : null;
}

/** Parses the policy file; throws on one that is not a valid STSv1 policy (a bad policy is treated as none, §3.3). */
export function parseMtaStsPolicy(text: string): MtaStsPolicy {
  const fields = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const key = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    fields.set(key, [...(fields.get(key) ?? []), v]);
  }
  if (fields.get('version')?.[0] !== 'STSv1') throw new Error('MTA-STS policy without "version: STSv1"');
  const mode = fields.get('mode')?.[0];
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') throw new Error(`MTA-STS policy with an unknown mode "${mode}"`);
  const maxAge = Number(fields.get('max_age')?.[0]);
  if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > 31557600) throw new Error('MTA-STS policy without a valid max_age');
  const mx = (fields.get('mx') ?? []).map((m) => m.toLowerCase().replace(/\.$/, ''));
  if (mode !== 'none' && mx.length === 0) throw new Error('MTA-STS policy without mx patterns');
  return { mode, mx, maxAgeSeconds: maxAge };
}

/** RFC 8461 §4.1: a wildcard stands for exactly one left-most label. */
export function mxMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (p.startsWith('*.')) {
    const rest = p.slice(1); // ".example.net"
    return h.endsWith(rest) && h.length > rest.length && !h.slice(0, h.length - rest.length).includes('.');
  }
  return h === p;
}

/**
 * The hops a policy allows. Under `enforce`, only MX hosts the policy names
 * are used, and each needs STARTTLS with a certificate valid for its name
 * (§4.2, §5); if none is left, the mail waits (a temporary failure), it is
 * never sent elsewhere. `testing` and `none` change nothing (we do not send
 * TLSRPT reports).
 */
export function applyMtaSts(domain: string, hops: NextHop[], policy: MtaStsPolicy | null): { hops: NextHop[] } | { failure: AttemptResult } {
  if (!policy || policy.mode !== 'enforce') return { hops };
  const allowed = hops.filter((h) => policy.mx.some((p) => mxMatches(h.host, p))).map((h) => ({ ...h, tls: { kind: 'verify' as const } }));
  if (allowed.length === 0) {
    return { failure: { kind: 'route', reason: 'mta-sts', message: `no MX host of ${domain} matches its MTA-STS policy (mx: ${policy.mx.join(', ')})` } };
  }
  return { hops: allowed };
}
