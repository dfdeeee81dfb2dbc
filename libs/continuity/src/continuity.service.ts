import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { ContinuityMode } from '@app/tenants';
import { ApplyTransitionEffectsJob, QueueName, Queues, transitionEffectsJobId } from '@app/queues';
import { LOGGER, Logger } from '@app/observability';
import {
  ContinuityEvent,
  ContinuityPolicy,
  ContinuityPolicyKind,
  ContinuityState,
  CONTINUITY_POLICIES,
  decide,
  Decision,
  effectivePolicy,
  Evidence,
  PlannedTransition,
  POLICY_ACTOR,
  SideRequest,
  UpstreamKind,
  UPSTREAM_KINDS,
} from './continuity-state-machine';
import { breakerTripped } from './circuit-breaker';
import { ContinuityErrors } from './continuity.errors';
import { ContinuityMetrics } from './continuity-metrics';
import type { TransitionRecord } from './transition-effects';
import { aggregateEvidence } from './upstream-evidence';
import { UpstreamHealthStore } from './upstream-health.store';
import { rowsOf } from './sql-rows';

/** A tenant's continuity row: mode, version for compare-and-set, and its policy settings. */
export interface TenantContinuity {
  id: string;
  slug: string;
  name: string;
  mode: ContinuityMode;
  modeVersion: number;
  modeChangedAt: Date | null;
  activationRequestedAt: Date | null;
  upstreamKind: UpstreamKind;
  /** null: the default for the upstream kind. */
  chosenPolicy: ContinuityPolicyKind | null;
  policy: ContinuityPolicy;
  probeIntervalSeconds: number;
  canaryAddress: string | null;
  lastAutomaticTransitionAt: Date | null;
}

export interface ContinuitySettingsPatch {
  upstreamKind?: UpstreamKind;
  /** null returns to the default for the upstream kind. */
  policy?: ContinuityPolicyKind | null;
  probeIntervalSeconds?: number;
  failureThreshold?: number;
  failureWindowSeconds?: number;
  hysteresisSeconds?: number;
  autoSwitchBack?: boolean;
  healthyBeforeSwitchBackSeconds?: number;
  confirmTimeoutSeconds?: number | null;
  canaryAddress?: string | null;
}

/** What happened to an event: the committed transition, or why nothing changed. */
export interface ContinuityOutcome {
  transition: TransitionRecord | null;
  why: string;
}

const SETTING_RANGES: Record<string, [number, number]> = {
  probeIntervalSeconds: [1, 3600],
  failureThreshold: [1, 1000],
  failureWindowSeconds: [0, 86400],
  hysteresisSeconds: [0, 604800],
  healthyBeforeSwitchBackSeconds: [0, 604800],
  confirmTimeoutSeconds: [0, 604800],
};
const COLUMNS: Record<keyof ContinuitySettingsPatch, string> = {
  upstreamKind: 'upstream_kind',
  policy: 'continuity_policy',
  probeIntervalSeconds: 'probe_interval_seconds',
  failureThreshold: 'failure_threshold',
  failureWindowSeconds: 'failure_window_seconds',
  hysteresisSeconds: 'hysteresis_seconds',
  autoSwitchBack: 'auto_switch_back',
  healthyBeforeSwitchBackSeconds: 'healthy_before_switch_back_seconds',
  confirmTimeoutSeconds: 'confirm_timeout_seconds',
  canaryAddress: 'canary_address',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Lost compare-and-set races are re-decided on fresh state this many times. */
const CAS_ATTEMPTS = 5;
/** The same operator alert for the same tenant is logged at most this often. */
const ALERT_EVERY_MS = 60_000;

/** Validated settings, or the first reason they cannot be stored. */
export function checkContinuitySettings(p: ContinuitySettingsPatch): ContinuitySettingsPatch {
  for (const [key, [min, max]] of Object.entries(SETTING_RANGES)) {
    const v = (p as Record<string, unknown>)[key];
    if (v === undefined || (v === null && key === 'confirmTimeoutSeconds')) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw ContinuityErrors.invalidSettings(`${key} must be a whole number between ${min} and ${max}, not ${String(v)}`);
  }
  if (p.upstreamKind !== undefined && !UPSTREAM_KINDS.includes(p.upstreamKind)) throw ContinuityErrors.invalidSettings(`upstream kind must be one of ${UPSTREAM_KINDS.join(', ')}`);
  if (p.policy !== undefined && p.policy !== null && !CONTINUITY_POLICIES.includes(p.policy)) throw ContinuityErrors.invalidSettings(`policy must be one of ${CONTINUITY_POLICIES.join(', ')}`);
  if (p.canaryAddress !== undefined && p.canaryAddress !== null && !/^[^\s@<>]+@[^\s@<>]+$/.test(p.canaryAddress)) throw ContinuityErrors.invalidSettings(`"${p.canaryAddress}" is not an e-mail address`);
  return { ...p, canaryAddress: p.canaryAddress === undefined ? undefined : p.canaryAddress?.toLowerCase() ?? null };
}

export function toTransitionRecord(r: Record<string, unknown>): TransitionRecord {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    fromMode: r.from_mode as ContinuityMode,
    toMode: r.to_mode as ContinuityMode,
    event: r.event as string,
    actor: r.actor as string,
    reason: r.reason as string,
    drillMailboxIds: (r.drill_mailbox_ids as string[] | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

/**
 * Applies the state machine to a tenant: loads its mode and policy, asks
 * decide(), and commits the answer as a compare-and-set on (mode,
 * mode_version) together with its audit row, so two workers (or a worker and
 * an admin) acting at once produce one transition. The transition's effects
 * (hold, release, texts, announcements) run afterwards in the worker's
 * `continuity` queue; a sweeper retries them until all have succeeded.
 */
@Injectable()
export class ContinuityService {
  private readonly lastAlert = new Map<string, number>();

  constructor(
    private readonly ds: DataSource,
    private readonly health: UpstreamHealthStore,
    private readonly queues: Queues,
    private readonly metrics: ContinuityMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  // ------------------------------------------------------------ admin requests

  activate(tenantId: string, actor: string, reason: string): Promise<TransitionRecord> {
    return this.adminEvent(tenantId, { kind: 'activate', actor, reason });
  }

  confirm(tenantId: string, actor: string, reason: string): Promise<TransitionRecord> {
    return this.adminEvent(tenantId, { kind: 'confirm', actor, reason });
  }

  /** Ends the event: active → recovering; the replay then moves the tenant to normal (finishRecovery). */
  end(tenantId: string, actor: string, reason: string): Promise<TransitionRecord> {
    return this.adminEvent(tenantId, { kind: 'end', actor, reason });
  }

  async startDrill(tenantId: string, mailboxIds: string[], actor: string, reason: string): Promise<TransitionRecord> {
    const ids = await this.resolveMailboxes(tenantId, mailboxIds);
    return this.adminEvent(tenantId, { kind: 'drill-start', mailboxIds: ids, actor, reason });
  }

  endDrill(tenantId: string, actor: string, reason: string): Promise<TransitionRecord> {
    return this.adminEvent(tenantId, { kind: 'drill-end', actor, reason });
  }

  /**
   * Called by the replay when every held message has been handed back:
   * recovering → normal, audited and announced. True when this call made the
   * transition; false in any other mode (the replay's RecoveryFinisher port).
   */
  async finishRecovery(tenantId: string): Promise<boolean> {
    return (await this.handle(tenantId, () => ({ kind: 'replay-finished' }))).transition !== null;
  }

  /** The mailboxes of the drill in progress (empty unless the tenant is in a drill). */
  async currentDrillMailboxIds(tenantId: string): Promise<string[]> {
    const rows = await this.ds.query(
      `SELECT c.drill_mailbox_ids FROM continuity_transitions c JOIN tenants t ON t.id = c.tenant_id
        WHERE c.tenant_id = $1 AND t.mode = 'drill' AND c.to_mode = 'drill' AND c.from_mode <> 'drill'
        ORDER BY c.created_at DESC LIMIT 1`,
      [tenantId],
    );
    return rows[0]?.drill_mailbox_ids ?? [];
  }

  /** Mailbox ids or addresses of the tenant → ids; an unknown one is refused by name. */
  async resolveMailboxes(tenantId: string, refs: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const ref of refs) {
      const rows = UUID.test(ref)
        ? await this.ds.query(`SELECT id FROM mailboxes WHERE tenant_id = $1 AND id = $2`, [tenantId, ref])
        : await this.ds.query(`SELECT id FROM mailboxes WHERE tenant_id = $1 AND address = lower($2)`, [tenantId, ref.trim()]);
      if (!rows.length) throw ContinuityErrors.mailboxNotFound(ref);
      ids.push(rows[0].id);
    }
    return ids;
  }

  private async adminEvent(tenantId: string, event: ContinuityEvent): Promise<TransitionRecord> {
    const out = await this.handle(tenantId, () => event);
    if (!out.transition) throw ContinuityErrors.refused('no_transition', out.why);
    return out.transition;
  }

  // ------------------------------------------------------------ evidence

  /** Decides on the tenant's current evidence (after each probe or delivery observation). */
  async evaluate(tenantId: string): Promise<ContinuityOutcome> {
    return this.handle(tenantId, async () => {
      const evidence = aggregateEvidence(await this.health.streaksOf(tenantId));
      return evidence ? { kind: 'evidence', evidence } : null;
    });
  }

  /** The tenant's evidence as decide() sees it. */
  async evidenceOf(tenantId: string): Promise<Evidence | null> {
    return aggregateEvidence(await this.health.streaksOf(tenantId));
  }

  // ------------------------------------------------------------ the loop

  /**
   * Decides and applies, re-deciding on fresh state when another worker or
   * an admin changed the tenant in between (the compare-and-set lost).
   */
  private async handle(tenantId: string, eventOf: () => ContinuityEvent | null | Promise<ContinuityEvent | null>): Promise<ContinuityOutcome> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const tenant = await this.load(tenantId);
      const event = await eventOf();
      if (!event) return { transition: null, why: 'no evidence yet' };
      const breaker = await this.health.breaker();
      const state: ContinuityState = {
        mode: tenant.mode,
        lastAutomaticTransitionAt: tenant.lastAutomaticTransitionAt,
        activationRequestedAt: tenant.activationRequestedAt,
        breakerTripped: breakerTripped(breaker.state, breaker.override),
      };
      const decision: Decision = decide(state, event, tenant.policy, { now: new Date() });
      if (decision.kind === 'refused') throw ContinuityErrors.refused(decision.code, decision.why);
      if (decision.kind === 'none') {
        const applied = await this.sideRequests(tenant, decision.requests);
        if (applied === 'lost') continue;
        return { transition: null, why: decision.why };
      }
      const record = await this.compareAndSet(tenant, decision.transition);
      if (!record) continue;
      this.metrics.transitions.inc({ to: record.toMode, event: record.event });
      this.logger.info({ tenantId, tenant: tenant.slug, from: record.fromMode, to: record.toMode, event: record.event, actor: record.actor, reason: record.reason, transitionId: record.id }, 'continuity transition');
      await this.scheduleEffects(record);
      return { transition: record, why: record.reason };
    }
    throw ContinuityErrors.contended(tenantId);
  }

  /** UPDATE … WHERE mode = from AND mode_version = v, and the audit row, in one transaction; null when another change came first. */
  private async compareAndSet(tenant: TenantContinuity, t: PlannedTransition): Promise<TransitionRecord | null> {
    return this.ds.transaction(async (em) => {
      const updated = rowsOf(
        await em.query(
          `UPDATE tenants SET mode = $2, mode_version = mode_version + 1, mode_changed_at = now(), updated_at = now(),
                  activation_requested_at = CASE WHEN $2 = 'active' THEN NULL ELSE activation_requested_at END
            WHERE id = $1 AND mode = $3 AND mode_version = $4 RETURNING mode_version`,
          [tenant.id, t.to, t.from, tenant.modeVersion],
        ),
      );
      if (!updated.length) return null;
      return this.insertRecord(em, tenant.id, t.from, t.to, t.event, t.actor, t.reason, t.drillMailboxIds);
    });
  }

  private async insertRecord(em: EntityManager, tenantId: string, from: ContinuityMode, to: ContinuityMode, event: string, actor: string, reason: string, drillMailboxIds: string[] | null): Promise<TransitionRecord> {
    const rows = await em.query(
      `INSERT INTO continuity_transitions (tenant_id, from_mode, to_mode, event, actor, reason, drill_mailbox_ids) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [tenantId, from, to, event, actor, reason, drillMailboxIds],
    );
    return toTransitionRecord(rows[0]);
  }

  /**
   * Requests that change no mode. A confirmation request (and its withdrawal)
   * is stored in the audit log as a record whose from and to modes are the
   * same, so the admins' announcement effect tells them; it is guarded by
   * mode_version like a transition.
   */
  private async sideRequests(tenant: TenantContinuity, requests: SideRequest[]): Promise<'done' | 'lost'> {
    for (const r of requests) {
      if (r.kind === 'alert-operators') {
        this.alertOperators(tenant, r.reason);
        continue;
      }
      const requesting = r.kind === 'request-confirmation';
      const record = await this.ds.transaction(async (em) => {
        const updated = rowsOf(
          await em.query(
            `UPDATE tenants SET activation_requested_at = ${requesting ? 'now()' : 'NULL'}, mode_version = mode_version + 1, updated_at = now()
              WHERE id = $1 AND mode_version = $2 AND activation_requested_at IS ${requesting ? 'NULL' : 'NOT NULL'} RETURNING mode_version`,
            [tenant.id, tenant.modeVersion],
          ),
        );
        if (!updated.length) return null;
        return this.insertRecord(em, tenant.id, tenant.mode, tenant.mode, requesting ? 'activation-requested' : 'confirmation-withdrawn', POLICY_ACTOR, r.reason, null);
      });
      if (!record) return 'lost';
      this.logger.warn({ tenantId: tenant.id, tenant: tenant.slug, event: record.event, reason: r.reason, transitionId: record.id }, requesting ? 'continuity: asking the tenant admins to confirm an activation' : 'continuity: confirmation request withdrawn');
      await this.scheduleEffects(record);
    }
    return 'done';
  }

  private alertOperators(tenant: TenantContinuity, reason: string): void {
    const key = `${tenant.id}|${reason}`;
    const last = this.lastAlert.get(key) ?? 0;
    if (Date.now() - last < ALERT_EVERY_MS) return;
    this.lastAlert.set(key, Date.now());
    this.metrics.operatorAlerts.inc({ reason: 'activation-held-by-breaker' });
    this.logger.error({ tenantId: tenant.id, tenant: tenant.slug, alert: 'operators' }, `continuity: ${reason}`);
  }

  /** Redis only schedules: a failed enqueue leaves the row for the effects sweeper. */
  async scheduleEffects(record: Pick<TransitionRecord, 'id' | 'tenantId'>): Promise<void> {
    try {
      await this.queues.add<ApplyTransitionEffectsJob>(QueueName.Continuity, 'apply-transition-effects', { transitionId: record.id, tenantId: record.tenantId }, transitionEffectsJobId(record.id));
    } catch (e) {
      this.logger.warn({ transitionId: record.id, err: e instanceof Error ? e.message : String(e) }, 'could not enqueue transition effects; the sweeper will');
    }
  }

  // ------------------------------------------------------------ reading and settings

  async load(tenantId: string, em: EntityManager = this.ds.manager): Promise<TenantContinuity> {
    if (!UUID.test(tenantId)) throw ContinuityErrors.tenantNotFound(tenantId);
    const rows = await em.query(
      `SELECT t.*, (SELECT max(c.created_at) FROM continuity_transitions c WHERE c.tenant_id = t.id AND c.actor = $2 AND c.from_mode <> c.to_mode) AS last_automatic_transition_at
         FROM tenants t WHERE t.id = $1`,
      [tenantId, POLICY_ACTOR],
    );
    if (!rows.length) throw ContinuityErrors.tenantNotFound(tenantId);
    const r = rows[0];
    const chosen = (r.continuity_policy as ContinuityPolicyKind | null) ?? null;
    return {
      id: r.id,
      slug: r.slug,
      name: r.name,
      mode: r.mode,
      modeVersion: Number(r.mode_version),
      modeChangedAt: r.mode_changed_at ?? null,
      activationRequestedAt: r.activation_requested_at ?? null,
      upstreamKind: r.upstream_kind,
      chosenPolicy: chosen,
      probeIntervalSeconds: Number(r.probe_interval_seconds),
      canaryAddress: r.canary_address ?? null,
      lastAutomaticTransitionAt: r.last_automatic_transition_at ?? null,
      policy: {
        kind: effectivePolicy(chosen, r.upstream_kind),
        failureThreshold: Number(r.failure_threshold),
        failureWindowSeconds: Number(r.failure_window_seconds),
        hysteresisSeconds: Number(r.hysteresis_seconds),
        autoSwitchBack: !!r.auto_switch_back,
        healthyBeforeSwitchBackSeconds: Number(r.healthy_before_switch_back_seconds),
        confirmTimeoutSeconds: r.confirm_timeout_seconds === null ? null : Number(r.confirm_timeout_seconds),
      },
    };
  }

  async updateSettings(tenantId: string, patch: ContinuitySettingsPatch): Promise<TenantContinuity> {
    const p = checkContinuitySettings(patch);
    const sets: string[] = [];
    const values: unknown[] = [tenantId];
    for (const [key, column] of Object.entries(COLUMNS) as Array<[keyof ContinuitySettingsPatch, string]>) {
      if (p[key] === undefined) continue;
      values.push(p[key]);
      sets.push(`${column} = $${values.length}`);
    }
    await this.load(tenantId);
    if (sets.length) await this.ds.query(`UPDATE tenants SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, values);
    // A shorter probe interval applies at once: probes already scheduled on the old one move up.
    if (p.probeIntervalSeconds !== undefined) {
      await this.ds.query(
        `UPDATE upstream_health SET next_probe_at = LEAST(next_probe_at, COALESCE(last_probed_at, now()) + make_interval(secs => $2)) WHERE tenant_id = $1`,
        [tenantId, p.probeIntervalSeconds],
      );
    }
    return this.load(tenantId);
  }

  /** The audit log, newest first. */
  async history(tenantId: string, limit = 50): Promise<Array<TransitionRecord & { effectsCompletedAt: Date | null; effectsError: string | null }>> {
    const rows = await this.ds.query(`SELECT * FROM continuity_transitions WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [tenantId, limit]);
    return rows.map((r: Record<string, unknown>) => ({ ...toTransitionRecord(r), effectsCompletedAt: (r.effects_completed_at as Date | null) ?? null, effectsError: (r.effects_error as string | null) ?? null }));
  }

  async status(tenantId: string) {
    const [tenant, upstreams, breaker, recent] = await Promise.all([this.load(tenantId), this.health.streaksOf(tenantId), this.health.breaker(), this.history(tenantId, 5)]);
    return { tenant, evidence: aggregateEvidence(upstreams), upstreams, breaker: { ...breaker, tripped: breakerTripped(breaker.state, breaker.override) }, recentTransitions: recent };
  }
}
