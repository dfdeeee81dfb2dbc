import type { Resolver } from 'node:dns/promises';
import { newResolver } from '@app/dns';
import type { Answer } from './domain-records';

/** The DNS questions a domain check asks: TXT and MX at a name. Never rejects: a failure is an answer too. */
export interface DomainDnsLookup {
  txt(name: string): Promise<Answer<string[]>>;
  mx(name: string): Promise<Answer<{ exchange: string; priority: number }>>;
}
export const DOMAIN_DNS_LOOKUP = Symbol('DOMAIN_DNS_LOOKUP');

/** Through node:dns and the service's resolvers (DNS_SERVERS); a fresh resolver per check, so DNS_SERVERS set at start-up apply. */
export class NodeDomainDnsLookup implements DomainDnsLookup {
  private resolver(): Resolver {
    return newResolver({ timeoutMs: 3000, tries: 2 });
  }

  txt(name: string): Promise<Answer<string[]>> {
    return answer(() => this.resolver().resolveTxt(name));
  }

  mx(name: string): Promise<Answer<{ exchange: string; priority: number }>> {
    return answer(() => this.resolver().resolveMx(name));
  }
}

async function answer<T>(lookup: () => Promise<T[]>): Promise<Answer<T>> {
  try {
    return { ok: true, records: await lookup() };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    // "No such name" and "no records of that type" are answers: nothing is published.
    if (code === 'ENOTFOUND' || code === 'ENODATA') return { ok: true, records: [] };
    return { ok: false, error: code };
  }
}
