import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import type { AttemptResult } from '@app/delivery/delivery-outcome';
import { describeAttempt } from '@app/delivery/delivery-outcome';
import type { NextHop } from '@app/delivery/next-hop';
import type { UpstreamEvidenceSink } from '@app/delivery/upstream-evidence.port';
import { LOGGER, Logger } from '@app/observability';
import { ContinuityMetrics } from './continuity-metrics';
import { ContinuityService } from './continuity.service';
import { classifyObservation } from './upstream-evidence';
import { DueProbe, UpstreamHealthStore } from './upstream-health.store';
import { UPSTREAM_PROBER, UpstreamProber } from './upstream-prober.port';

/** See healthyRecentlyRecorded. */
export const HEALTHY_EVIDENCE_INTERVAL_MS = 5000;

type DetectionConfig = Pick<AppConfig, 'PROBE_TIMEOUT_MS' | 'PROBE_CONCURRENCY' | 'BREAKER_FAILING_SHARE' | 'BREAKER_MIN_FAILING_TENANTS'>;

/**
 * Detection: probes each upstream on its tenant's interval, records what
 * probes and real deliveries observe, keeps the circuit breaker current, and
 * after each observation lets the state machine decide about the tenant.
 * Which upstream is due lives in Postgres (claimed with SKIP LOCKED), so any
 * number of workers probe each upstream once per interval between them.
 */
@Injectable()
export class UpstreamProbeScheduler implements UpstreamEvidenceSink {
  private readonly inFlight = new Set<Promise<void>>();
  /** Tenants whose evaluation is running, and those that got new evidence meanwhile (evaluated once more after). */
  private readonly evaluating = new Set<string>();
  private readonly evaluateAgain = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly lastHealthyRecorded = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: DetectionConfig,
    private readonly store: UpstreamHealthStore,
    private readonly continuity: ContinuityService,
    @Inject(UPSTREAM_PROBER) private readonly prober: UpstreamProber,
    private readonly metrics: ContinuityMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * One tick: brings the circuit breaker up to date, then starts probes for
   * due upstreams up to the concurrency limit. Probes finish on their own
   * time; a slow upstream never holds back the others' schedule.
   */
  async tick(): Promise<{ started: number }> {
    await this.updateBreaker();
    await this.store.syncUpstreams();
    const free = this.cfg.PROBE_CONCURRENCY - this.inFlight.size;
    const due = await this.store.claimDue(free);
    for (const d of due) {
      const p = this.probeOne(d).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
    return { started: due.length };
  }

  /** Waits for running probes and evaluations (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.inFlight.size || this.pending.size) await Promise.allSettled([...this.inFlight, ...this.pending]);
  }

  async updateBreaker(): Promise<void> {
    const { before, after } = await this.store.updateBreaker({ failingShare: this.cfg.BREAKER_FAILING_SHARE, minFailingTenants: this.cfg.BREAKER_MIN_FAILING_TENANTS });
    const tripped = after.override === 'force-open' || (after.override === 'auto' && after.state === 'open');
    this.metrics.breakerOpen.set(tripped ? 1 : 0);
    if (before === 'closed' && after.state === 'open') {
      this.metrics.breakerTrips.inc();
      this.metrics.operatorAlerts.inc({ reason: 'breaker-tripped' });
      this.logger.error(
        { alert: 'operators', failingTenants: after.failingTenants, tenantsWithUpstreams: after.tenantsWithUpstreams, override: after.override },
        'continuity circuit breaker tripped: most tenants\u2019 upstreams fail at once, the fault is probably ours; automatic activations paused',
      );
    } else if (before === 'open' && after.state === 'closed') {
      this.logger.warn({ failingTenants: after.failingTenants, tenantsWithUpstreams: after.tenantsWithUpstreams }, 'continuity circuit breaker closed again; automatic activations resume');
    }
  }

  private async probeOne(d: DueProbe): Promise<void> {
    try {
      const r = await this.prober.probe({ target: d, canaryAddress: d.canaryAddress, timeoutMs: this.cfg.PROBE_TIMEOUT_MS });
      const seen = classifyObservation(r.result);
      this.metrics.probes.inc({ outcome: seen });
      const detail = `${r.stage}: ${describeAttempt(r.result)} (${r.elapsedMs} ms)`;
      if (seen === 'neutral') {
        // A name that resolves into a private network is the tenant's configuration error, not evidence of an outage; it is said plainly.
        if (r.result.kind === 'route' && r.result.reason === 'upstream-not-public') this.logger.warn({ tenantId: d.tenantId, upstream: `${d.host}:${d.port}`, detail }, 'upstream refused: not on the public internet');
        else this.logger.debug({ tenantId: d.tenantId, upstream: `${d.host}:${d.port}`, detail }, 'probe result says nothing about an outage');
        return;
      }
      await this.observe(d.tenantId, d.tenantSlug, d.upstreamId, `${d.host}:${d.port}`, 'probe', seen === 'healthy', detail);
    } catch (e) {
      this.logger.error({ tenantId: d.tenantId, upstream: `${d.host}:${d.port}`, err: e instanceof Error ? e.message : String(e) }, 'probe could not be recorded');
    }
  }

  /** Delivery evidence: called by the delivery engine after each attempt on an upstream; never throws, never blocks it. */
  recordDeliveryEvidence(tenantId: string, hop: Pick<NextHop, 'host' | 'port'>, result: AttemptResult): void {
    const seen = classifyObservation(result);
    if (seen === 'neutral') return;
    if (this.healthyRecentlyRecorded(`${tenantId}|${hop.host}:${hop.port}`, seen === 'healthy')) return;
    const p = (async () => {
      const upstream = await this.store.findUpstream(tenantId, hop.host, hop.port);
      if (!upstream) return;
      await this.observe(tenantId, upstream.tenantSlug, upstream.upstreamId, `${hop.host}:${hop.port}`, 'delivery', seen === 'healthy', describeAttempt(result));
    })()
      .catch((e) => this.logger.error({ tenantId, upstream: `${hop.host}:${hop.port}`, err: e instanceof Error ? e.message : String(e) }, 'delivery evidence could not be recorded'))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /**
   * A busy upstream answers 250 hundreds of times a second; each success
   * would be a write to one hot row. Within HEALTHY_EVIDENCE_INTERVAL_MS after
   * a recorded success, further successes add nothing the state machine uses
   * (the failure streak is already reset, healthy_since already set), so they
   * are skipped. Every failure, and the first success after one, is recorded.
   */
  private healthyRecentlyRecorded(key: string, healthy: boolean): boolean {
    const now = Date.now();
    const last = this.lastHealthyRecorded.get(key);
    if (!healthy) {
      this.lastHealthyRecorded.delete(key);
      return false;
    }
    if (last !== undefined && now - last < HEALTHY_EVIDENCE_INTERVAL_MS) return true;
    this.lastHealthyRecorded.set(key, now);
    return false;
  }

  private async observe(tenantId: string, tenantSlug: string, upstreamId: string, label: string, source: 'probe' | 'delivery', ok: boolean, detail: string): Promise<void> {
    await this.store.record(tenantId, upstreamId, source, ok, detail);
    this.metrics.upstreamUp.set({ tenant: tenantSlug, upstream: label }, ok ? 1 : 0);
    if (!ok) this.logger.info({ tenantId, tenant: tenantSlug, upstream: label, source, detail }, 'upstream failure observed');
    await this.evaluate(tenantId);
  }

  /** Evaluations of one tenant never overlap in this process; evidence that arrives meanwhile triggers one more. */
  private async evaluate(tenantId: string): Promise<void> {
    if (this.evaluating.has(tenantId)) {
      this.evaluateAgain.add(tenantId);
      return;
    }
    this.evaluating.add(tenantId);
    try {
      do {
        this.evaluateAgain.delete(tenantId);
        try {
          await this.continuity.evaluate(tenantId);
        } catch (e) {
          this.logger.error({ tenantId, err: e instanceof Error ? e.message : String(e) }, 'continuity evaluation failed');
        }
      } while (this.evaluateAgain.has(tenantId));
    } finally {
      this.evaluating.delete(tenantId);
    }
  }
}
