import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, Logger } from '@app/observability';
import { MtaStsPolicy, parseMtaStsPolicy, policyIdFromTxt } from './mta-sts';
import { MTA_STS_SOURCE, MtaStsSource } from './mta-sts.port';

interface Cached { id: string; policy: MtaStsPolicy; expiresAt: number }

const MAX_CACHED = 50_000;

/**
 * MTA-STS policies per destination domain, cached by policy id for the
 * policy's max_age (RFC 8461 §5.1): a new id in DNS means a fresh fetch; DNS
 * or HTTPS trouble falls back to the cached policy while it is valid, so an
 * attacker who blocks the lookup cannot switch an enforced policy off. The
 * cache lives in each worker's memory (a restart re-fetches; the RFC would
 * rather have it persist, which is noted as a follow-up).
 */
@Injectable()
export class MtaStsPolicies {
  private readonly cache = new Map<string, Cached>();
  /** The clock; tests move it. */
  now: () => number = Date.now;

  constructor(@Inject(MTA_STS_SOURCE) private readonly source: MtaStsSource, @Inject(LOGGER) private readonly logger: Logger) {}

  async policyFor(domain: string): Promise<MtaStsPolicy | null> {
    const cached = this.cache.get(domain);
    const valid = cached && cached.expiresAt > this.now() ? cached : null;
    let id: string | null;
    try {
      id = policyIdFromTxt(await this.source.txt(domain));
    } catch (e) {
      this.logger.debug({ domain, err: String(e) }, 'MTA-STS TXT lookup failed; using the cached policy if any');
      return valid?.policy ?? null;
    }
    if (!id) return valid?.policy ?? null;
    if (valid && valid.id === id) return valid.policy;
    try {
      const policy = parseMtaStsPolicy(await this.source.fetchPolicy(domain));
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(domain, { id, policy, expiresAt: this.now() + policy.maxAgeSeconds * 1000 });
      return policy;
    } catch (e) {
      this.logger.warn({ domain, err: e instanceof Error ? e.message : String(e) }, 'MTA-STS policy fetch failed; using the cached policy if any');
      return valid?.policy ?? null;
    }
  }
}
