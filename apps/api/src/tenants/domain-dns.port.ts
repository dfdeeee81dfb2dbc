import type { Resolver } from 'node:dns/promises';
import { newResolver } from '@app/dns';
import type { Answer } from './domain-records';

/** The DNS questions a domain check asks: TXT and MX at a name. Never rejects: a failure is an answer too. */
export interface DomainDnsLookup {
  txt(name: string): Promise<Answer<string[]>>;
  mx(name: string): Promise<Answer<{ exchange: string; priority: number }>>;
}
export const DOMAIN_DNS_LOOKUP = Symbol('DOMAIN_DNS_LOOKUP');

/** Through node:dns and the service's resolvers (DNS_SERVERS, as set when the app started). */
export class NodeDomainDnsLookup implements DomainDnsLookup {
  private readonly resolver: Resolver = newResolver({ timeoutMs: 3000, tries: 2 });

  txt(name: string): Promise<Answer<string[]>> {
    return answer(() => this.resolver.resolveTxt(name));
  }

  mx(name: string): Promise<Answer<{ exchange: string; priority: number }>> {
    return answer(() => this.resolver.resolveMx(name));
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
