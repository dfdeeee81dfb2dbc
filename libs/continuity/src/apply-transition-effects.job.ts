import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApplyTransitionEffectsJob, QueueName, Queues, transitionEffectsJobId } from '@app/queues';
import { LOGGER, Logger } from '@app/observability';
import { toTransitionRecord } from './continuity.service';
import { TransitionEffectRegistry } from './transition-effects';

/** A transition younger than this is probably being picked up by its own job right now. */
const DUE_SLACK_SECONDS = 2;
/** Failing effects are retried with a backoff doubling from 1 s up to this. */
const RETRY_MAX_SECONDS = 300;
const BATCH = 100;

/**
 * Runs the registered effects of committed transitions (hold or release
 * deliveries, texts to employees, announcements to admins), in registration
 * order, and marks the transition done when all succeeded. A tenant's
 * transitions are applied strictly in the order they happened, under a
 * per-tenant advisory lock: a job for a later transition first applies the
 * earlier ones still pending, so "hold" can never run after "release".
 * Safe to run twice: a completed transition is skipped, and every effect is
 * idempotent by contract.
 */
@Injectable()
export class ApplyTransitionEffectsHandler {
  constructor(
    private readonly ds: DataSource,
    private readonly registry: TransitionEffectRegistry,
    private readonly queues: Queues,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(job: ApplyTransitionEffectsJob): Promise<{ applied: number }> {
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    const lockKey = `continuity-effects:${job.tenantId}`;
    try {
      await qr.query(`SELECT pg_advisory_lock(hashtext($1))`, [lockKey]);
      const pending: Array<Record<string, unknown>> = await qr.query(
        `SELECT * FROM continuity_transitions
          WHERE tenant_id = $1 AND effects_completed_at IS NULL
            AND created_at <= (SELECT created_at FROM continuity_transitions WHERE id = $2)
          ORDER BY created_at, id`,
        [job.tenantId, job.transitionId],
      );
      let applied = 0;
      for (const row of pending) {
        const record = toTransitionRecord(row);
        await qr.query(`UPDATE continuity_transitions SET effects_attempts = effects_attempts + 1, effects_attempted_at = now() WHERE id = $1`, [record.id]);
        for (const effect of this.registry.all()) {
          try {
            await effect.apply(record);
          } catch (e) {
            const message = `${effect.name}: ${e instanceof Error ? e.message : String(e)}`;
            await qr.query(`UPDATE continuity_transitions SET effects_error = $2 WHERE id = $1`, [record.id, message.slice(0, 2000)]);
            this.logger.error({ transitionId: record.id, tenantId: record.tenantId, effect: effect.name, err: message }, 'transition effect failed; it will be retried');
            throw e;
          }
        }
        await qr.query(`UPDATE continuity_transitions SET effects_completed_at = now(), effects_error = NULL WHERE id = $1`, [record.id]);
        this.logger.info({ transitionId: record.id, tenantId: record.tenantId, event: record.event, to: record.toMode, effects: this.registry.all().map((e) => e.name) }, 'transition effects applied');
        applied++;
      }
      return { applied };
    } finally {
      await qr.query(`SELECT pg_advisory_unlock(hashtext($1))`, [lockKey]).catch(() => undefined);
      await qr.release();
    }
  }

  /**
   * Re-enqueues transitions whose effects have not all succeeded (a failed
   * effect, a lost job, a CLI that could not reach Redis), with a backoff.
   * Returns how many jobs it added.
   */
  async sweepOnce(): Promise<number> {
    const rows: Array<{ id: string; tenant_id: string }> = await this.ds.query(
      `SELECT id, tenant_id FROM continuity_transitions
        WHERE effects_completed_at IS NULL AND created_at < now() - make_interval(secs => $1)
          AND (effects_attempted_at IS NULL OR effects_attempted_at < now() - make_interval(secs => least(power(2, effects_attempts), $2)))
        ORDER BY created_at LIMIT $3`,
      [DUE_SLACK_SECONDS, RETRY_MAX_SECONDS, BATCH],
    );
    const queue = this.queues.queue(QueueName.Continuity);
    let added = 0;
    for (const r of rows) {
      const jobId = transitionEffectsJobId(r.id);
      const state = await queue.getJobState(jobId);
      if (state === 'waiting' || state === 'delayed' || state === 'active' || state === 'prioritized' || state === 'waiting-children') continue;
      // A failed job keeps its id and would block the add; a completed one is already removed.
      if (state === 'failed' || state === 'completed') await queue.remove(jobId).catch(() => 0);
      await queue.add('apply-transition-effects', { transitionId: r.id, tenantId: r.tenant_id } satisfies ApplyTransitionEffectsJob, { jobId });
      added++;
    }
    if (added) this.logger.info({ added }, 'continuity sweep re-enqueued transition effects');
    return added;
  }
}
