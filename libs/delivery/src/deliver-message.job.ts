import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE, BlobStore } from '@app/blob-store';
import { deliveryJobId, DeliverMessageJob, indexJobId, QueueName, Queues } from '@app/queues';
import { LOGGER, Logger, Metrics } from '@app/observability';
import { AttemptResult, classifyAttempt, describeAttempt } from './delivery-outcome';
import { BounceService } from './bounce.service';
import { ClaimedDelivery, DeliveryStore, DeliveryUpdate, DsnRecord, MessageForDelivery } from './delivery.store';
import type { DsnRecipient } from './dsn-builder';
import { hopLabel } from './next-hop';
import { retryAfter } from './retry-schedule';
import { OutgoingMessages, PreparedMessage } from './outgoing-message.service';
import { RouteGroup, RoutePlanner } from './route-planner.service';
import { SMTP_SENDER, SmtpSender } from './smtp-sender.port';
import { UPSTREAM_EVIDENCE, UpstreamEvidenceSink } from './upstream-evidence.port';

/** One recipient's result of this attempt. */
export interface RecipientAttempt {
  row: ClaimedDelivery;
  result: AttemptResult;
  /** host:port that gave the result, if one did. */
  route: string | null;
  attempted: boolean;
  /** Set by the sweeper for rows whose lifetime ended without a further attempt. */
  forceExpire?: boolean;
}

export interface DeliveryRunReport {
  claimed: number;
  delivered: number;
  deferred: number;
  bounced: number;
  expired: number;
  /** Not attempted or not retried: the tenant is in continuity mode (see claimOrHold and conclude). */
  held: number;
  dsnQueueId: string | null;
}

const EMPTY: DeliveryRunReport = { claimed: 0, delivered: 0, deferred: 0, bounced: 0, expired: 0, held: 0, dsnQueueId: null };

/**
 * Delivers the due recipients of one message: claims them under a lease,
 * makes one SMTP transaction per route with all of that route's recipients,
 * records each recipient's outcome, schedules the retry, and writes one DSN
 * for the recipients that failed for good. Safe to run twice: the lease lets
 * only one run work on a row, and a run that finds nothing due does nothing.
 */
@Injectable()
export class DeliverMessageHandler {
  /** Continuity detection counts what deliveries to upstreams see (absent where continuity is not wired). */
  @Optional() @Inject(UPSTREAM_EVIDENCE) private readonly evidence?: UpstreamEvidenceSink;
  private readonly workerId = `${hostname()}:${process.pid}`;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'DELIVERY_LEASE_SECONDS' | 'RETRY_BASE_SECONDS' | 'RETRY_MAX_SECONDS' | 'GREYLIST_RETRY_SECONDS' | 'DESTINATION_SLOWDOWN_SECONDS'>,
    private readonly store: DeliveryStore,
    private readonly planner: RoutePlanner,
    private readonly outgoing: OutgoingMessages,
    private readonly bounces: BounceService,
    @Inject(SMTP_SENDER) private readonly sender: SmtpSender,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly queues: Queues,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  newLeaseOwner(): string {
    return `${this.workerId}:${randomUUID()}`;
  }

  async run(job: DeliverMessageJob): Promise<DeliveryRunReport> {
    const owner = this.newLeaseOwner();
    const { claimed, held, message } = await this.store.claimAndLoad(job.messageId, owner, this.cfg.DELIVERY_LEASE_SECONDS);
    if (held) this.logger.info({ messageId: job.messageId, held }, 'delivery held: the tenant is in continuity mode');
    if (claimed.length === 0) return { ...EMPTY, held };
    // A slow transaction (a large message, a slow hop) must not outlive its lease, or another worker would send it again.
    const renew = setInterval(() => {
      this.store.renewLease(owner, job.messageId, this.cfg.DELIVERY_LEASE_SECONDS).catch((e) => this.logger.warn({ messageId: job.messageId, err: String(e) }, 'could not renew lease'));
    }, Math.max(1000, (this.cfg.DELIVERY_LEASE_SECONDS * 1000) / 3));
    renew.unref();
    try {
      if (!message) {
        await this.store.releaseLease(owner, [job.messageId]);
        this.logger.error({ messageId: job.messageId }, 'delivery rows without their message');
        return EMPTY;
      }
      const groups = await this.planner.plan(claimed);
      const prepared = await this.outgoing.prepare(message);
      const attempts = (await Promise.all(groups.map((g) => this.attemptRoute(message, g, prepared)))).flat();
      return await this.conclude(owner, message, attempts);
    } catch (e) {
      await this.store.releaseLease(owner, [job.messageId]).catch(() => undefined);
      throw e;
    } finally {
      clearInterval(renew);
    }
  }

  /** One transaction with the first hop that takes a session; the next hop only when this one cannot be reached. */
  private async attemptRoute(message: MessageForDelivery, group: RouteGroup, prepared: PreparedMessage): Promise<RecipientAttempt[]> {
    const log = this.logger.child({ queueId: message.queueId });
    if (group.kind === 'failed') {
      return group.recipients.map((row) => ({ row, result: group.failure, route: null, attempted: true }));
    }
    const to = group.recipients.map((r) => r.recipient);
    const failures: string[] = [];
    let last: AttemptResult | null = null;
    let lastRoute: string | null = null;
    for (const hop of group.hops) {
      const route = hopLabel(hop);
      const res = await this.sender.send({
        hop,
        envelope: { from: message.mailFrom, to, use8BitMime: message.body8bitmime, smtputf8: message.smtputf8, size: Number(message.sizeBytes) + prepared.extraBytes },
        // Authentication-Results in front of inbound mail, DKIM signatures on mail we sign; the stored bytes follow unchanged.
        openMessage: () => prepared.open(),
      });
      if (hop.source === 'upstream') this.evidence?.recordDeliveryEvidence(message.tenantId, hop, res.stage === 'connect' ? res.error : res.final);
      if (res.stage === 'connect') {
        log.warn({ route, reason: describeAttempt(res.error) }, 'next hop unavailable, trying the next one');
        failures.push(`${route} ${describeAttempt(res.error)}`);
        last = res.error;
        lastRoute = route;
        continue;
      }
      const own = new Map(res.rejected.map((r) => [r.recipient.toLowerCase(), r.result]));
      log.info({ route, recipients: to.length, refused: res.rejected.length, reply: describeAttempt(res.final) }, 'transaction finished');
      return group.recipients.map((row) => ({ row, result: own.get(row.recipient.toLowerCase()) ?? res.final, route, attempted: true }));
    }
    const summary: AttemptResult =
      last && last.kind === 'connection' && failures.length > 1 ? { kind: 'connection', errorCode: last.errorCode, message: `no next hop reachable: ${failures.join('; ')}` } : (last as AttemptResult);
    return group.recipients.map((row) => ({ row, result: summary, route: lastRoute, attempted: true }));
  }

  /**
   * Turns results into row states, writes the DSN for recipients that failed
   * for good, records everything in one transaction, then schedules what
   * comes next. Used by the sweeper too, for rows that expired unattended.
   */
  async conclude(owner: string, message: MessageForDelivery, attempts: RecipientAttempt[]): Promise<DeliveryRunReport> {
    const log = this.logger.child({ queueId: message.queueId });
    const now = new Date();
    const jitter = Math.random(); // one draw per run keeps a message's deferred recipients together
    const updates: DeliveryUpdate[] = [];
    const failedForGood: DsnRecipient[] = [];
    const report: DeliveryRunReport = { ...EMPTY, claimed: attempts.length };
    // A tenant that went into continuity mode while this attempt ran: its Exchange is down, so
    // mail for it is held (lifetime frozen, no DSN), not retried or expired.
    // The mode is asked only when it can change an outcome: a delivered or bounced recipient stays so.
    const classified = attempts.map((a) => classifyAttempt(a.result));
    const modeMatters = attempts.some((a, i) => a.row.routeKind === 'upstream' && (a.forceExpire || (classified[i].outcome !== 'delivered' && classified[i].outcome !== 'bounce')));
    const continuityActive = modeMatters && (await this.store.tenantMode(message.tenantId)) === 'active';
    for (const [i, a] of attempts.entries()) {
      const c = classified[i];
      const reply = describeAttempt(a.result);
      const base = { id: a.row.id, attempted: a.attempted, lastReply: reply, lastRoute: a.route, dsnQueueId: null };
      let state: DeliveryUpdate['state'];
      let next: Date | null = null;
      const holdable = continuityActive && a.row.routeKind === 'upstream';
      if (a.forceExpire) state = holdable ? 'held' : 'expired';
      else if (c.outcome === 'delivered') state = 'delivered';
      else if (c.outcome === 'bounce') state = 'bounced';
      else if (holdable) state = 'held';
      else {
        // Greylisting comes back after a short delay, rate limits after the slow-down period, the rest by backoff.
        next = retryAfter(c.retry, a.row.attempts + 1, now, new Date(a.row.expiresAt), this.retryPolicy(), () => jitter);
        state = next ? 'deferred' : 'expired';
      }
      updates.push({ ...base, state, nextAttemptAt: next });
      report[state]++;
      this.metrics.deliveryAttempts.inc({ route_kind: a.row.routeKind, outcome: state });
      if (state === 'delivered') this.metrics.deliveryLatency.observe({ route_kind: a.row.routeKind }, (now.getTime() - new Date(message.receivedAt).getTime()) / 1000);
      log.info({ recipient: a.row.recipient, state, route: a.route, reply, rule: c.rule, nextAttemptAt: next ?? undefined }, `delivery ${state}`);
      if (state === 'bounced' || state === 'expired') {
        failedForGood.push({
          recipient: a.row.recipient,
          reason: state,
          status: state === 'expired' ? '4.4.7' : c.status,
          remoteMta: a.route ?? a.row.lastRoute,
          smtpDiagnostic: a.result.kind === 'reply' ? reply : null,
          explanation: state === 'expired' ? `delivery time expired; last problem: ${reply}` : reply,
          lastAttemptAt: a.attempted ? now : a.row.lastAttemptAt,
        });
      }
    }

    let dsn: DsnRecord | null = null;
    if (failedForGood.length) {
      dsn = await this.bounces.writeDsn(message, failedForGood);
      if (dsn) for (const u of updates) if (u.state === 'bounced' || u.state === 'expired') u.dsnQueueId = dsn.queueId;
      if (!dsn) log.info({ recipients: failedForGood.length }, message.mailFrom ? 'no DSN for a DSN' : 'no DSN: the sender is <>');
    }
    let recorded: Awaited<ReturnType<DeliveryStore['recordAttempt']>>;
    try {
      recorded = await this.store.recordAttempt(owner, updates, dsn);
    } catch (e) {
      if (dsn) await this.bounces.discard(dsn).catch(() => undefined);
      throw e;
    }
    if (!recorded.recorded) {
      if (dsn) await this.bounces.discard(dsn).catch(() => undefined);
      log.warn({ owner }, 'lease lost during the attempt; another worker owns these recipients now');
      return { ...EMPTY, claimed: attempts.length };
    }
    if (dsn && recorded.dsnMessageId) {
      report.dsnQueueId = dsn.queueId;
      log.info({ dsnQueueId: dsn.queueId, to: dsn.recipient, routeKind: dsn.routeKind }, 'DSN queued');
      await this.enqueue(QueueName.Delivery, { messageId: recorded.dsnMessageId, tenantId: dsn.tenantId }, deliveryJobId(recorded.dsnMessageId, now), 0, dsn.queueId);
      if (recorded.dsnMirrored) await this.enqueue(QueueName.Index, { messageId: recorded.dsnMessageId, tenantId: dsn.tenantId }, indexJobId(recorded.dsnMessageId), 0, dsn.queueId);
    }
    const retryTimes = new Set(updates.filter((u) => u.state === 'deferred' && u.nextAttemptAt).map((u) => (u.nextAttemptAt as Date).getTime()));
    for (const t of retryTimes) {
      await this.enqueue(QueueName.Delivery, { messageId: message.id, tenantId: message.tenantId }, deliveryJobId(message.id, t), t - Date.now(), message.queueId);
    }
    return report;
  }

  private retryPolicy() {
    return { baseSeconds: this.cfg.RETRY_BASE_SECONDS, maxSeconds: this.cfg.RETRY_MAX_SECONDS, greylistSeconds: this.cfg.GREYLIST_RETRY_SECONDS, slowDownSeconds: this.cfg.DESTINATION_SLOWDOWN_SECONDS };
  }

  /** Redis only schedules: a failed enqueue is logged and left to the sweeper, never allowed to undo recorded work. */
  private async enqueue(queue: QueueName, data: DeliverMessageJob, jobId: string, delayMs: number, queueId: string): Promise<void> {
    try {
      await this.queues.add(queue, queue === QueueName.Index ? 'index-message' : 'deliver-message', data, jobId, delayMs);
    } catch (e) {
      this.logger.warn({ queueId, jobId, err: e instanceof Error ? e.message : String(e) }, 'could not enqueue; the sweeper will');
    }
  }
}
