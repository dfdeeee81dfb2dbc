import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { UPSTREAM_EVIDENCE } from '@app/delivery/upstream-evidence.port';
import { ApplyTransitionEffectsHandler } from './apply-transition-effects.job';
import { ContinuityMetrics } from './continuity-metrics';
import { ContinuityService } from './continuity.service';
import { ContinuityWorker } from './continuity-worker.service';
import { NodemailerUpstreamProber } from './nodemailer-upstream-prober';
import { TenantAdminsService } from './tenant-admins.service';
import { TransitionEffectRegistry } from './transition-effects';
import { UpstreamHealthStore } from './upstream-health.store';
import { UpstreamProbeScheduler } from './upstream-probe-scheduler.service';
import { UPSTREAM_PROBER } from './upstream-prober.port';

/**
 * Continuity control: the state machine applied to tenants, detection
 * (probes, delivery evidence, circuit breaker) and the transition effects
 * that other domains register. Needs the global DataSource, Queues,
 * Metrics, LOGGER and APP_CONFIG. Global, so the delivery engine finds the
 * evidence sink and domains find the effect registry.
 */
@Global()
@Module({
  providers: [
    TransitionEffectRegistry,
    ContinuityMetrics,
    UpstreamHealthStore,
    ContinuityService,
    TenantAdminsService,
    ApplyTransitionEffectsHandler,
    UpstreamProbeScheduler,
    ContinuityWorker,
    { provide: UPSTREAM_PROBER, inject: [APP_CONFIG], useFactory: (cfg: AppConfig) => new NodemailerUpstreamProber(cfg.MX_HOSTNAME) },
    { provide: UPSTREAM_EVIDENCE, useExisting: UpstreamProbeScheduler },
  ],
  exports: [TransitionEffectRegistry, ContinuityService, TenantAdminsService, ApplyTransitionEffectsHandler, ContinuityWorker, UPSTREAM_EVIDENCE, UpstreamHealthStore],
})
export class ContinuityModule {}
