import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOGGER, Logger } from '@app/observability';
import type { TransitionEffect, TransitionRecord } from '../transition-effects';
import { RecoveryStore } from './recovery.store';
import { ReplayService } from './replay.service';

/**
 * What a transition means for the tenant's mail to its Exchange:
 *  → active      open the event; hold every queued or deferred delivery to the upstream (in batches);
 *  → recovering  start the replay (the worker's replay ticks carry it on);
 *  → normal      close the event: last copies back, stored reconciliation report.
 * A drill changes nothing for delivery. Every step is idempotent: the
 * registry applies an effect again until it has succeeded once.
 */
@Injectable()
export class HoldAndReplayEffect implements TransitionEffect {
  readonly name = 'hold-and-replay';

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'REPLAY_BATCH_SIZE'>,
    private readonly store: RecoveryStore,
    private readonly replay: ReplayService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async apply(t: TransitionRecord): Promise<void> {
    if (t.toMode === 'active') await this.holdTenant(t);
    else if (t.toMode === 'recovering') {
      await this.store.openEvent(t.tenantId, t.createdAt, null);
      await this.store.markRecoveryStarted(t.tenantId, t.createdAt);
      await this.replay.replayTenant(t.tenantId);
    } else if (t.toMode === 'normal' && (t.fromMode === 'recovering' || t.fromMode === 'active')) {
      await this.replay.closeEvent(t.tenantId, t.createdAt, t.id);
    }
  }

  private async holdTenant(t: TransitionRecord): Promise<void> {
    await this.store.openEvent(t.tenantId, t.createdAt, t.id);
    let held = 0;
    // Re-read the mode each batch: if the event already ended, holding more would strand mail.
    while ((await this.store.tenantMode(t.tenantId)) === 'active') {
      const n = await this.store.holdBatch(t.tenantId, this.cfg.REPLAY_BATCH_SIZE);
      held += n;
      if (n < this.cfg.REPLAY_BATCH_SIZE) break;
    }
    this.logger.info({ tenantId: t.tenantId, transitionId: t.id, held }, 'deliveries to the upstream held for continuity mode');
  }
}
