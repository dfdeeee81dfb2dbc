import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { UPSTREAM_PROBER, UpstreamProber } from '@app/continuity/upstream-prober.port';
import { TenantsService, UpstreamTlsPolicy } from '@app/tenants';

export interface UpstreamTestResult {
  upstreamId: string;
  host: string;
  port: number;
  tlsPolicy: UpstreamTlsPolicy;
  /** Connect, EHLO, STARTTLS under the policy (and the canary RCPT when asked) all succeeded. */
  ok: boolean;
  /** How far the session got ('connect' also for an upstream refused because it resolves to a non-public address: error.code upstream-not-public). */
  stage: 'connect' | 'session' | 'mail' | 'rcpt';
  elapsedMs: number;
  reply: { code: number; enhanced: string | null; text: string } | null;
  error: { code: string; message: string } | null;
}

export interface UpstreamGroupTest {
  groupId: string;
  testedAt: Date;
  canaryAddress: string | null;
  ok: boolean;
  results: UpstreamTestResult[];
}

/**
 * Tests a group's upstreams now, with the prober the continuity probes use
 * (so a test passes exactly when a delivery could open a session). Nothing
 * is recorded as evidence: an admin's test does not move the tenant's mode.
 */
@Injectable()
export class UpstreamTestService {
  constructor(
    private readonly tenants: TenantsService,
    @Inject(UPSTREAM_PROBER) private readonly prober: UpstreamProber,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'PROBE_TIMEOUT_MS'>,
  ) {}

  async test(tenantId: string, groupId: string, canaryAddress: string | null): Promise<UpstreamGroupTest> {
    const group = await this.tenants.findUpstreamGroupById(tenantId, groupId);
    const results = await Promise.all(
      group.upstreams.map(async (u): Promise<UpstreamTestResult> => {
        const r = await this.prober.probe({ target: { host: u.host, port: u.port, tlsPolicy: u.tlsPolicy, pinnedCertPem: u.pinnedCertPem, privateAddressAllowed: u.privateAddressAllowed }, canaryAddress, timeoutMs: this.cfg.PROBE_TIMEOUT_MS });
        const base = { upstreamId: u.id, host: u.host, port: u.port, tlsPolicy: u.tlsPolicy, stage: r.stage, elapsedMs: r.elapsedMs };
        if (r.result.kind === 'reply') {
          const reply = { code: r.result.code, enhanced: r.result.enhanced, text: r.result.text };
          return { ...base, ok: reply.code >= 200 && reply.code < 300, reply, error: null };
        }
        const code = r.result.kind === 'connection' ? r.result.errorCode : r.result.reason;
        return { ...base, ok: false, reply: null, error: { code, message: r.result.message } };
      }),
    );
    return { groupId: group.id, testedAt: new Date(), canaryAddress, ok: results.length > 0 && results.every((r) => r.ok), results };
  }
}
