import { newResolver } from '@app/dns';
import type { MxAnswer } from './next-hop';

/** The DNS questions the delivery engine asks; tests and special setups replace it. */
export interface DnsResolver {
  resolveMx(domain: string): Promise<MxAnswer>;
}
export const DNS_RESOLVER = Symbol('DNS_RESOLVER');

/** The system's resolver through node:dns. */
export class SystemDnsResolver implements DnsResolver {
  private readonly resolver = newResolver({ timeoutMs: 5000 });

  async resolveMx(domain: string): Promise<MxAnswer> {
    try {
      const records = await this.resolver.resolveMx(domain);
      return { kind: 'mx', records };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      if (code === 'ENODATA') return { kind: 'no-mx' };
      if (code === 'ENOTFOUND') return { kind: 'nxdomain' };
      return { kind: 'error', code };
    }
  }
}
