import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { deliveryJobId, DeliverMessageJob, QueueName, Queues } from '@app/queues';
import { LOGGER, Logger } from '@app/observability';
import { releaseAllowance } from './replay-pacing';
import { RECOVERY_FINISHER, RecoveryFinisher } from './recovery-finisher.port';
import { ReconciliationService } from './reconciliation.service';
import { ReleasedMessage, RecoveryStore } from './recovery.store';

export interface TenantReplayStep {
  tenantId: string;
  /** Another worker holds the tenant's replay lock, or the tenant is not recovering. */
  skipped: boolean;
  released: number;
  suppressed: number;
  /** Nothing is held any more; copies back were queued and the tenant returned to normal. */
  finished: boolean;
}

/** How often tenants that are back to normal with rows still held are looked for (a safety net). */
const STRAY_CHECK_MS = 10_000;
/** Once the held mail has run out, whether the replay is done is asked at most this often per tenant. */
const FINISH_CHECK_MS = 1000;

/**
 * The replay of held mail after a continuity event. Every worker ticks; for
 * each tenant in 'recovering' the one that gets the tenant's lock releases
 * the next messages in arrival order, as many as the pacing allows
 * (REPLAY_RATE_PER_UPSTREAM per second: a tenant's upstreams are a failover
 * group, so this is the rate its Exchange sees), and enqueues their delivery
 * jobs. Postgres is the record (tenant mode, held rows, the pacing schedule),
 * so a Redis flush or a dead worker loses no part of a replay. When nothing
 * is held and every released row has had its attempt, the messages employees
 * sent during the event are copied back to them, and the tenant goes back to
 * normal.
 */
@Injectable()
export class ReplayService {
  private lastStrayCheck = 0;
  private readonly lastFinishCheck = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'REPLAY_RATE_PER_UPSTREAM' | 'REPLAY_BATCH_SIZE'>,
    private readonly store: RecoveryStore,
    private readonly queues: Queues,
    private readonly reconciliation: ReconciliationService,
    @Inject(RECOVERY_FINISHER) private readonly finisher: RecoveryFinisher,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async tick(): Promise<TenantReplayStep[]> {
    const steps: TenantReplayStep[] = [];
    for (const tenantId of await this.store.tenantsInMode('recovering')) {
      // A full batch means the pacing allows more right now (a high rate): go on until it does not.
      for (;;) {
        const s = await this.replayTenant(tenantId);
        steps.push(s);
        if (s.skipped || s.released + s.suppressed < this.cfg.REPLAY_BATCH_SIZE) break;
      }
    }
    if (Date.now() - this.lastStrayCheck >= STRAY_CHECK_MS) {
      this.lastStrayCheck = Date.now();
      for (const tenantId of await this.store.tenantsWithStrayHeld()) await this.releaseStray(tenantId);
    }
    return steps;
  }

  /** One paced step of one tenant's replay; safe to run from several workers at once. */
  async replayTenant(tenantId: string): Promise<TenantReplayStep> {
    const step: TenantReplayStep = { tenantId, skipped: true, released: 0, suppressed: 0, finished: false };
    const now = new Date();
    let limit = 0;
    const outcome = await this.store.transaction(async (em) => {
      if (!(await this.store.tryLockTenant(em, tenantId))) return null;
      if ((await this.store.tenantMode(tenantId, em)) !== 'recovering') return null;
      // An event whose activation effect never ran (or ran on a version without it) is opened here.
      const event = (await this.store.openEventOf(tenantId, em, true)) ?? (await this.store.openEvent(tenantId, (await this.store.earliestHold(tenantId)) ?? now, null, em));
      const allowance = releaseAllowance(now, event.replayNextReleaseAt, this.cfg.REPLAY_RATE_PER_UPSTREAM, this.cfg.REPLAY_BATCH_SIZE);
      limit = allowance.count;
      if (!limit) return { event, released: [] as ReleasedMessage[], suppressed: 0 };
      const r = await this.store.releaseNext(em, tenantId, limit);
      await this.store.savePacing(em, event.id, allowance.nextReleaseAt(r.released.length), r.released.length);
      return { event, ...r };
    });
    if (!outcome) return step;
    step.skipped = false;
    step.released = outcome.released.length;
    step.suppressed = outcome.suppressed;
    await this.enqueue(outcome.released, now);
    if (step.released) this.logger.info({ tenantId, released: step.released, suppressed: step.suppressed }, 'replay released held mail');
    // Fewer released than allowed: the held mail has run out (or was all duplicates).
    if (limit > 0 && step.released + step.suppressed < limit && Date.now() - (this.lastFinishCheck.get(tenantId) ?? 0) >= FINISH_CHECK_MS) {
      this.lastFinishCheck.set(tenantId, Date.now());
      step.finished = await this.finishIfDone(tenantId, outcome.event.id, outcome.event.startedAt);
      if (step.finished) this.lastFinishCheck.delete(tenantId);
    }
    return step;
  }

  private async finishIfDone(tenantId: string, eventId: string, startedAt: Date): Promise<boolean> {
    if ((await this.store.heldCount(tenantId)) > 0) return false;
    if (await this.store.releasedAwaitingAttempt(tenantId, startedAt)) return false;
    const copies = await this.store.queueCopyBacks(tenantId, startedAt, new Date());
    await this.enqueue(copies, new Date());
    await this.store.markReplayFinished(eventId, copies.length);
    const finished = await this.finisher.finishRecovery(tenantId);
    this.logger.info({ tenantId, copiedBack: copies.length, finished }, 'replay finished');
    // The → normal effect closes the event too; closing here as well keeps the report when no effect runs.
    if (finished) await this.closeEvent(tenantId, new Date(), null);
    return finished;
  }

  /**
   * Ends the tenant's open event: a last pass of copies back (mail sent
   * between the replay's end and the transition), any rows still held
   * released, and the reconciliation report stored. Idempotent.
   */
  async closeEvent(tenantId: string, endedAt: Date, endTransitionId: string | null): Promise<void> {
    const event = (await this.store.openEventOf(tenantId)) ?? (endTransitionId ? await this.store.latestEvent(tenantId) : null);
    if (!event) return;
    if (event.endedAt && event.endTransitionId) return;
    const copies = await this.store.queueCopyBacks(tenantId, event.startedAt, endedAt);
    await this.enqueue(copies, new Date());
    if (copies.length) await this.store.markReplayFinished(event.id, copies.length);
    await this.store.closeEvent(event.id, event.endedAt ?? endedAt, endTransitionId);
    await this.releaseStray(tenantId);
    const closed = await this.store.event(tenantId, event.id);
    if (closed) {
      const report = await this.reconciliation.storeReport(closed);
      this.logger.info({ tenantId, eventId: event.id, totals: report.totals, allDelivered: report.allDelivered }, 'continuity event ended; reconciliation report stored');
    }
  }

  /** Held rows of a tenant that is no longer in continuity mode: released at once (a race at the end of an event left them). */
  async releaseStray(tenantId: string): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await this.store.transaction(async (em) => {
        if (!(await this.store.tryLockTenant(em, tenantId))) return null;
        const mode = await this.store.tenantMode(tenantId, em);
        if (mode !== 'normal' && mode !== 'drill') return null;
        return this.store.releaseNext(em, tenantId, this.cfg.REPLAY_BATCH_SIZE);
      });
      if (!batch || !batch.released.length) break;
      total += batch.released.length;
      await this.enqueue(batch.released, new Date());
    }
    if (total) this.logger.warn({ tenantId, released: total }, 'released held mail of a tenant no longer in continuity mode');
    return total;
  }

  /** Redis only schedules: a failed enqueue is left to the delivery sweeper, which finds the queued rows. */
  private async enqueue(messages: ReleasedMessage[], dueAt: Date): Promise<void> {
    for (let i = 0; i < messages.length; i += 1000) {
      const chunk = messages.slice(i, i + 1000);
      try {
        await this.queues.queue(QueueName.Delivery).addBulk(
          chunk.map((m) => ({ name: 'deliver-message', data: { messageId: m.messageId, tenantId: m.tenantId } satisfies DeliverMessageJob, opts: { jobId: deliveryJobId(m.messageId, dueAt) } })),
        );
      } catch (e) {
        this.logger.warn({ messages: chunk.length, err: e instanceof Error ? e.message : String(e) }, 'could not enqueue released deliveries; the sweeper will');
      }
    }
  }
}
