import { newResolver } from '@app/dns';

/**
 * Where MTA-STS policies come from: the `_mta-sts.<domain>` TXT record and
 * the policy file at `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
 * Tests serve both through this port.
 */
export interface MtaStsSource {
  /** TXT answers at `_mta-sts.<domain>` (empty when none); throws on DNS trouble. */
  txt(domain: string): Promise<string[][]>;
  /** The policy file's text; throws when it cannot be fetched as RFC 8461 §3.3 requires. */
  fetchPolicy(domain: string): Promise<string>;
}
export const MTA_STS_SOURCE = Symbol('MTA_STS_SOURCE');

const MAX_POLICY_BYTES = 64 * 1024;

/** DNS through node:dns; the policy over HTTPS with a verified certificate, no redirects, a short timeout and a size cap. */
export class HttpsMtaStsSource implements MtaStsSource {
  private readonly resolver = newResolver({ timeoutMs: 5000 });

  constructor(private readonly timeoutMs = 10_000) {}

  async txt(domain: string): Promise<string[][]> {
    try {
      return await this.resolver.resolveTxt(`_mta-sts.${domain}`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
      throw e;
    }
  }

  async fetchPolicy(domain: string): Promise<string> {
    const res = await fetch(`https://mta-sts.${domain}/.well-known/mta-sts.txt`, { redirect: 'error', signal: AbortSignal.timeout(this.timeoutMs) });
    if (res.status !== 200) throw new Error(`MTA-STS policy fetch for ${domain}: HTTP ${res.status}`);
    if (!/^text\/plain/i.test(res.headers.get('content-type') ?? '')) throw new Error(`MTA-STS policy for ${domain} is not text/plain`);
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > MAX_POLICY_BYTES) throw new Error(`MTA-STS policy for ${domain} is larger than ${MAX_POLICY_BYTES} bytes`);
    return body.toString('utf8');
  }
}
