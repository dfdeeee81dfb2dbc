import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ContinuityService, UpstreamHealthStore } from '@app/continuity';
import { ContinuityEventRow, RecoveryStore } from '@app/continuity/recovery';
import { roundMs, summarizeTexts, TextsSummary, upstreamState, UpstreamState } from './continuity-figures';

type StatusConfig = Pick<AppConfig, 'SMS_SENDER_SEGMENTS_PER_SECOND' | 'SMS_TENANT_CAP_PER_HOUR'>;

/** Observations shown per upstream. */
const RECENT_PER_UPSTREAM = 10;
/** Mirror lag is measured over the messages accepted in this many last minutes. */
export const MIRROR_LAG_WINDOW_MINUTES = 15;
/** Outside an event, texts of this many last hours are counted. */
const TEXTS_LOOKBACK_HOURS = 24;

export interface TransitionView {
  id: string;
  fromMode: string;
  toMode: string;
  event: string;
  actor: string;
  reason: string;
  drillMailboxIds: string[] | null;
  createdAt: Date;
  effectsCompletedAt: Date | null;
  effectsError: string | null;
}

export interface ContinuityStatusView {
  tenantId: string;
  mode: string;
  modeSince: Date | null;
  activationRequestedAt: Date | null;
  policy: {
    kind: string;
    chosen: string | null;
    upstreamKind: string;
    probeIntervalSeconds: number;
    failureThreshold: number;
    failureWindowSeconds: number;
    hysteresisSeconds: number;
    autoSwitchBack: boolean;
    healthyBeforeSwitchBackSeconds: number;
    confirmTimeoutSeconds: number | null;
    canaryAddress: string | null;
  };
  drillMailboxIds: string[];
  evidence: unknown;
  upstreams: Array<{
    id: string;
    host: string;
    port: number;
    state: UpstreamState;
    consecutiveFailures: number;
    healthySince: Date | null;
    firstFailureAt: Date | null;
    lastObservedAt: Date | null;
    lastProbedAt: Date | null;
    nextProbeAt: Date | null;
    lastDetail: string | null;
    recent: Array<{ source: string; ok: boolean; detail: string; observedAt: Date }>;
  }>;
  breaker: { tripped: boolean; state: string; override: string };
  deliveries: { held: number; pending: number; deferred: number };
  mirrorLag: { windowMinutes: number; samples: number; p50Ms: number | null; maxMs: number | null; unindexed: number; oldestUnindexedAgeMs: number | null };
  texts: TextsSummary & { since: Date };
  event: EventView | null;
  recentTransitions: TransitionView[];
}

export interface EventView {
  id: string;
  startedAt: Date;
  recoveryStartedAt: Date | null;
  replayFinishedAt: Date | null;
  endedAt: Date | null;
  releasedMessages: number;
  copiedBackMessages: number;
  activationTransitionId: string | null;
  endTransitionId: string | null;
  reportStored: boolean;
}

export function eventView(e: ContinuityEventRow): EventView {
  return {
    id: e.id,
    startedAt: e.startedAt,
    recoveryStartedAt: e.recoveryStartedAt,
    replayFinishedAt: e.replayFinishedAt,
    endedAt: e.endedAt,
    releasedMessages: Number(e.releasedMessages),
    copiedBackMessages: Number(e.copiedBackMessages),
    activationTransitionId: e.activationTransitionId,
    endTransitionId: e.endTransitionId,
    reportStored: e.report !== null && e.report !== undefined,
  };
}

/**
 * Everything an admin watching an outage wants on one page: the mode and
 * since when, the policy, each upstream's streak and last observations, held
 * and pending mail, how far the mirror lags behind acceptance, and where the
 * credentials texts stand with the time until everyone has theirs.
 */
@Injectable()
export class ContinuityStatusService {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: StatusConfig,
    private readonly ds: DataSource,
    private readonly continuity: ContinuityService,
    private readonly health: UpstreamHealthStore,
    private readonly recovery: RecoveryStore,
  ) {}

  async status(tenantId: string): Promise<ContinuityStatusView> {
    const st = await this.continuity.status(tenantId);
    const t = st.tenant;
    const inEvent = t.mode !== 'normal' && t.modeChangedAt;
    const since = inEvent ? (t.modeChangedAt as Date) : new Date(Date.now() - TEXTS_LOOKBACK_HOURS * 3600_000);
    const [observations, deliveries, mirrorLag, texts, drillMailboxIds, event] = await Promise.all([
      this.health.recentObservations(tenantId, Math.max(1, st.upstreams.length) * RECENT_PER_UPSTREAM * 2),
      this.deliveryCounts(tenantId),
      this.mirrorLag(tenantId),
      this.texts(tenantId, since),
      this.continuity.currentDrillMailboxIds(tenantId),
      this.recovery.openEventOf(tenantId).then((e) => e ?? this.recovery.latestEvent(tenantId)),
    ]);
    return {
      tenantId,
      mode: t.mode,
      modeSince: t.modeChangedAt,
      activationRequestedAt: t.activationRequestedAt,
      policy: {
        kind: t.policy.kind,
        chosen: t.chosenPolicy,
        upstreamKind: t.upstreamKind,
        probeIntervalSeconds: t.probeIntervalSeconds,
        failureThreshold: t.policy.failureThreshold,
        failureWindowSeconds: t.policy.failureWindowSeconds,
        hysteresisSeconds: t.policy.hysteresisSeconds,
        autoSwitchBack: t.policy.autoSwitchBack,
        healthyBeforeSwitchBackSeconds: t.policy.healthyBeforeSwitchBackSeconds,
        confirmTimeoutSeconds: t.policy.confirmTimeoutSeconds,
        canaryAddress: t.canaryAddress,
      },
      drillMailboxIds,
      evidence: st.evidence,
      upstreams: st.upstreams.map((u) => ({
        id: u.upstreamId,
        host: u.host,
        port: u.port,
        state: upstreamState(u.lastOk),
        consecutiveFailures: u.consecutiveFailures,
        healthySince: u.healthySince,
        firstFailureAt: u.firstFailureAt,
        lastObservedAt: u.lastObservedAt,
        lastProbedAt: u.lastProbedAt,
        nextProbeAt: u.nextProbeAt,
        lastDetail: u.lastDetail,
        recent: observations
          .filter((o) => o.upstream === `${u.host}:${u.port}`)
          .slice(0, RECENT_PER_UPSTREAM)
          .map((o) => ({ source: o.source, ok: o.ok, detail: o.detail, observedAt: o.observedAt })),
      })),
      breaker: { tripped: st.breaker.tripped, state: st.breaker.state, override: st.breaker.override },
      deliveries,
      mirrorLag,
      texts: { since, ...texts },
      event: event ? eventView(event) : null,
      recentTransitions: st.recentTransitions,
    };
  }

  private async deliveryCounts(tenantId: string): Promise<ContinuityStatusView['deliveries']> {
    const rows: Array<{ state: string; n: number }> = await this.ds.query(
      `SELECT state, count(*)::int AS n FROM deliveries WHERE tenant_id = $1 AND state IN ('queued','deferred','held') GROUP BY state`,
      [tenantId],
    );
    const n = (s: string) => rows.find((r) => r.state === s)?.n ?? 0;
    return { held: n('held'), pending: n('queued') + n('deferred'), deferred: n('deferred') };
  }

  /**
   * Acceptance (received_at) to a readable mirror entry (indexed_at: the
   * webmail lists a message once its metadata is parsed) over the last
   * minutes, and the age of the oldest message still waiting to be indexed.
   */
  private async mirrorLag(tenantId: string): Promise<ContinuityStatusView['mirrorLag']> {
    const [lag, pending] = await Promise.all([
      this.ds.query(
        `SELECT count(*)::int AS samples,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM indexed_at - received_at) * 1000) AS p50,
                max(extract(epoch FROM indexed_at - received_at) * 1000) AS max
           FROM messages
          WHERE tenant_id = $1 AND received_at >= now() - make_interval(mins => $2) AND index_state <> 'pending' AND indexed_at IS NOT NULL`,
        [tenantId, MIRROR_LAG_WINDOW_MINUTES],
      ),
      this.ds.query(
        `SELECT count(*)::int AS n, extract(epoch FROM now() - min(received_at)) * 1000 AS oldest FROM messages WHERE tenant_id = $1 AND index_state = 'pending'`,
        [tenantId],
      ),
    ]);
    return {
      windowMinutes: MIRROR_LAG_WINDOW_MINUTES,
      samples: lag[0].samples,
      p50Ms: roundMs(lag[0].p50),
      maxMs: roundMs(lag[0].max),
      unindexed: pending[0].n,
      oldestUnindexedAgeMs: roundMs(pending[0].oldest),
    };
  }

  private async texts(tenantId: string, since: Date): Promise<TextsSummary> {
    const [counts, cap] = await Promise.all([
      this.ds.query(`SELECT state, count(*)::int AS n FROM sms_messages WHERE tenant_id = $1 AND kind = 'credentials' AND created_at >= $2 GROUP BY state`, [tenantId, since]),
      // The tenant's own cap (tenant settings) when it has one, read defensively by name.
      this.ds.query(
        `SELECT (to_jsonb(t) ->> 'sms_cap_per_hour')::int AS cap,
                (SELECT used FROM sms_cap_windows w WHERE w.tenant_id = t.id AND w.window_start = date_trunc('hour', now())) AS used
           FROM tenants t WHERE t.id = $1`,
        [tenantId],
      ),
    ]);
    return summarizeTexts({
      counts: Object.fromEntries(counts.map((r: { state: string; n: number }) => [r.state, r.n])),
      segmentsPerSecond: this.cfg.SMS_SENDER_SEGMENTS_PER_SECOND,
      capPerHour: cap[0]?.cap ?? this.cfg.SMS_TENANT_CAP_PER_HOUR,
      usedThisHour: Number(cap[0]?.used ?? 0),
    });
  }
}
