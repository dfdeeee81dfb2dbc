import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOGGER, Logger } from '@app/observability';
import { ApplyTransitionEffectsHandler } from './apply-transition-effects.job';
import { ContinuityMetrics } from './continuity-metrics';
import { UpstreamHealthStore } from './upstream-health.store';
import { UpstreamProbeScheduler } from './upstream-probe-scheduler.service';

const MODES = ['normal', 'active', 'recovering', 'drill'] as const;
const GAUGE_EVERY_MS = 15_000;
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * The worker's continuity timers: probe ticks, the sweeper that retries
 * transition effects, the mode-per-tenant gauge and pruning of old
 * observations. Each loop never overlaps itself; start() and stop() are
 * called by the worker's QueueWorkers so shutdown order stays theirs.
 */
@Injectable()
export class ContinuityWorker {
  private timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<unknown>>();
  private stopped = false;
  private lastGaugeAt = 0;
  private lastPruneAt = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'PROBE_TICK_MS' | 'SWEEP_INTERVAL_MS' | 'OBSERVATION_RETENTION_HOURS'>,
    private readonly ds: DataSource,
    private readonly probes: UpstreamProbeScheduler,
    private readonly effects: ApplyTransitionEffectsHandler,
    private readonly health: UpstreamHealthStore,
    private readonly metrics: ContinuityMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.every('probe tick', this.cfg.PROBE_TICK_MS, () => this.probes.tick());
    this.every('effects sweep', this.cfg.SWEEP_INTERVAL_MS, () => this.effects.sweepOnce());
    this.every('continuity housekeeping', Math.min(GAUGE_EVERY_MS, this.cfg.SWEEP_INTERVAL_MS), () => this.housekeeping());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.allSettled([...this.running.values()]);
    await this.probes.drain();
  }

  private every(name: string, ms: number, fn: () => Promise<unknown>): void {
    const run = () => {
      if (this.stopped || this.running.has(name)) return;
      const p = fn()
        .catch((e) => this.logger.error({ loop: name, err: e instanceof Error ? e.message : String(e) }, `${name} failed`))
        .finally(() => this.running.delete(name));
      this.running.set(name, p);
    };
    this.timers.push(setInterval(run, ms));
    run();
  }

  private async housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - this.lastGaugeAt >= GAUGE_EVERY_MS) {
      this.lastGaugeAt = now;
      const rows: Array<{ slug: string; mode: string }> = await this.ds.query(`SELECT slug, mode FROM tenants`);
      this.metrics.tenantMode.reset();
      for (const r of rows) for (const m of MODES) this.metrics.tenantMode.set({ tenant: r.slug, mode: m }, r.mode === m ? 1 : 0);
    }
    if (now - this.lastPruneAt >= PRUNE_EVERY_MS) {
      this.lastPruneAt = now;
      const n = await this.health.pruneObservations(this.cfg.OBSERVATION_RETENTION_HOURS);
      if (n) this.logger.info({ deleted: n }, 'old upstream observations pruned');
    }
  }
}
