import { Module, OnModuleInit } from '@nestjs/common';
import { ContinuityModule } from '../continuity.module';
import { TransitionEffectRegistry } from '../transition-effects';
import { HoldAndReplayEffect } from './hold-and-replay.effect';
import { ReconciliationService } from './reconciliation.service';
import { ContinuityService } from '../continuity.service';
import { RECOVERY_FINISHER } from './recovery-finisher.port';
import { RecoveryStore } from './recovery.store';
import { ReplayScheduler } from './replay-scheduler.service';
import { ReplayService } from './replay.service';

/**
 * Holding and replay of a tenant's inbound mail around a continuity event,
 * and its reconciliation report. For the worker (it needs the global
 * DataSource, Queues, APP_CONFIG, LOGGER and the ContinuityModule's registry).
 */
@Module({
  imports: [ContinuityModule],
  providers: [
    RecoveryStore,
    ReconciliationService,
    ReplayService,
    ReplayScheduler,
    HoldAndReplayEffect,
    // recovering → normal is the continuity service's audited, announced transition.
    { provide: RECOVERY_FINISHER, useExisting: ContinuityService },
  ],
  exports: [RecoveryStore, ReconciliationService, ReplayService, ReplayScheduler, HoldAndReplayEffect],
})
export class RecoveryModule implements OnModuleInit {
  constructor(
    private readonly registry: TransitionEffectRegistry,
    private readonly effect: HoldAndReplayEffect,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.effect);
  }
}
