import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UpstreamTlsPolicy } from '@app/tenants';
import { breakerVerdict, BreakerCount, BreakerOverride, BreakerSettings, BreakerState } from './circuit-breaker';
import type { UpstreamStreak } from './upstream-evidence';
import { affectedOf, rowsOf } from './sql-rows';

/** An upstream due for a probe, with what the probe needs. */
export interface DueProbe {
  upstreamId: string;
  tenantId: string;
  tenantSlug: string;
  host: string;
  port: number;
  tlsPolicy: UpstreamTlsPolicy;
  pinnedCertPem: string | null;
  privateAddressAllowed: boolean;
  canaryAddress: string | null;
}

export interface BreakerRow {
  state: BreakerState;
  override: BreakerOverride;
  trippedAt: Date | null;
  reason: string;
  failingTenants: number;
  tenantsWithUpstreams: number;
  updatedAt: Date;
  /** Who last set the override (an operator's name, or the CLI user), and when; null before anyone did. */
  overrideBy: string | null;
  overrideAt: Date | null;
}

export interface UpstreamHealthView extends UpstreamStreak {
  host: string;
  port: number;
  lastObservedAt: Date | null;
  lastProbedAt: Date | null;
  nextProbeAt: Date | null;
  lastDetail: string | null;
}

/**
 * Postgres side of detection: which upstream is due for a probe (claimed
 * with SKIP LOCKED and moved forward by the tenant's interval, so several
 * workers never probe the same upstream twice), each upstream's streak of
 * failures or health, the observation log, and the circuit breaker row.
 */
@Injectable()
export class UpstreamHealthStore {
  constructor(private readonly ds: DataSource) {}

  /** Gives every upstream its health row (new upstreams are probed at once). */
  async syncUpstreams(): Promise<number> {
    const r = await this.ds.query(
      `INSERT INTO upstream_health (upstream_id, tenant_id)
       SELECT u.id, u.tenant_id FROM upstreams u LEFT JOIN upstream_health h ON h.upstream_id = u.id WHERE h.upstream_id IS NULL
       ON CONFLICT (upstream_id) DO NOTHING RETURNING upstream_id`,
    );
    return rowsOf(r).length;
  }

  /** Claims up to `limit` due upstreams and schedules their next probe one tenant interval ahead. */
  async claimDue(limit: number): Promise<DueProbe[]> {
    if (limit <= 0) return [];
    const rows = rowsOf(await this.ds.query(
      `WITH due AS (
         SELECT h.upstream_id FROM upstream_health h
         WHERE h.next_probe_at <= now()
         ORDER BY h.next_probe_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       UPDATE upstream_health h
          SET next_probe_at = now() + make_interval(secs => t.probe_interval_seconds), last_probed_at = now()
         FROM due, upstreams u, tenants t
        WHERE h.upstream_id = due.upstream_id AND u.id = h.upstream_id AND t.id = u.tenant_id
       RETURNING u.id AS upstream_id, u.tenant_id, t.slug, u.host, u.port, u.tls_policy, u.pinned_cert_pem, u.private_address_allowed, t.canary_address`,
      [limit],
    ));
    return rows.map((r) => ({
      upstreamId: r.upstream_id as string,
      tenantId: r.tenant_id as string,
      tenantSlug: r.slug as string,
      host: r.host as string,
      port: Number(r.port),
      tlsPolicy: r.tls_policy as UpstreamTlsPolicy,
      pinnedCertPem: (r.pinned_cert_pem as string | null) ?? null,
      privateAddressAllowed: r.private_address_allowed === true,
      canaryAddress: (r.canary_address as string | null) ?? null,
    }));
  }

  /** The upstream of a tenant at host:port (delivery evidence names the hop, not the row). */
  async findUpstream(tenantId: string, host: string, port: number): Promise<{ upstreamId: string; tenantSlug: string } | null> {
    const rows = await this.ds.query(`SELECT u.id, t.slug FROM upstreams u JOIN tenants t ON t.id = u.tenant_id WHERE u.tenant_id = $1 AND lower(u.host) = lower($2) AND u.port = $3 LIMIT 1`, [tenantId, host, port]);
    return rows.length ? { upstreamId: rows[0].id, tenantSlug: rows[0].slug } : null;
  }

  /**
   * Logs one observation and extends or ends the upstream's streak in one
   * statement, so a probe and a delivery observing at once both count.
   */
  async record(tenantId: string, upstreamId: string, source: 'probe' | 'delivery', ok: boolean, detail: string, at = new Date()): Promise<void> {
    const trimmed = detail.slice(0, 500);
    await this.ds.transaction(async (em) => {
      await em.query(`INSERT INTO upstream_observations (tenant_id, upstream_id, source, ok, detail, observed_at) VALUES ($1, $2, $3, $4, $5, $6)`, [tenantId, upstreamId, source, ok, trimmed, at]);
      await em.query(`INSERT INTO upstream_health (upstream_id, tenant_id) VALUES ($1, $2) ON CONFLICT (upstream_id) DO NOTHING`, [upstreamId, tenantId]);
      if (ok) {
        await em.query(
          `UPDATE upstream_health SET last_ok = true, last_detail = $2, last_observed_at = $3,
                  consecutive_failures = 0, first_failure_at = NULL, last_failure_at = NULL,
                  healthy_since = CASE WHEN last_ok IS TRUE AND healthy_since IS NOT NULL THEN healthy_since ELSE $3 END
            WHERE upstream_id = $1`,
          [upstreamId, trimmed, at],
        );
      } else {
        await em.query(
          `UPDATE upstream_health SET last_ok = false, last_detail = $2, last_observed_at = $3, healthy_since = NULL,
                  consecutive_failures = consecutive_failures + 1,
                  first_failure_at = CASE WHEN consecutive_failures = 0 OR first_failure_at IS NULL THEN $3 ELSE first_failure_at END,
                  last_failure_at = GREATEST(COALESCE(last_failure_at, $3), $3)
            WHERE upstream_id = $1`,
          [upstreamId, trimmed, at],
        );
      }
    });
  }

  /** Every upstream of the tenant with its streak (never-observed upstreams included, with lastOk null). */
  async streaksOf(tenantId: string): Promise<UpstreamHealthView[]> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT u.id, u.group_id, u.host, u.port, h.last_ok, h.consecutive_failures, h.first_failure_at, h.last_failure_at, h.healthy_since,
              h.last_observed_at, h.last_probed_at, h.next_probe_at, h.last_detail
         FROM upstreams u LEFT JOIN upstream_health h ON h.upstream_id = u.id
        WHERE u.tenant_id = $1 ORDER BY u.priority, u.host, u.port`,
      [tenantId],
    );
    return rows.map((r) => ({
      upstreamId: r.id as string,
      groupId: r.group_id as string,
      host: r.host as string,
      port: Number(r.port),
      lastOk: (r.last_ok as boolean | null) ?? null,
      consecutiveFailures: Number(r.consecutive_failures ?? 0),
      firstFailureAt: (r.first_failure_at as Date | null) ?? null,
      lastFailureAt: (r.last_failure_at as Date | null) ?? null,
      healthySince: (r.healthy_since as Date | null) ?? null,
      lastObservedAt: (r.last_observed_at as Date | null) ?? null,
      lastProbedAt: (r.last_probed_at as Date | null) ?? null,
      nextProbeAt: (r.next_probe_at as Date | null) ?? null,
      lastDetail: (r.last_detail as string | null) ?? null,
    }));
  }

  async recentObservations(tenantId: string, limit: number): Promise<Array<{ upstream: string; source: string; ok: boolean; detail: string; observedAt: Date }>> {
    const rows = await this.ds.query(
      `SELECT u.host, u.port, o.source, o.ok, o.detail, o.observed_at FROM upstream_observations o JOIN upstreams u ON u.id = o.upstream_id
        WHERE o.tenant_id = $1 ORDER BY o.observed_at DESC, o.id DESC LIMIT $2`,
      [tenantId, limit],
    );
    return rows.map((r: Record<string, unknown>) => ({ upstream: `${r.host}:${r.port}`, source: r.source as string, ok: r.ok as boolean, detail: r.detail as string, observedAt: r.observed_at as Date }));
  }

  async pruneObservations(olderThanHours: number, batch = 5000): Promise<number> {
    return affectedOf(await this.ds.query(
      `DELETE FROM upstream_observations WHERE id IN (SELECT id FROM upstream_observations WHERE observed_at < now() - make_interval(hours => $1) LIMIT $2)`,
      [olderThanHours, batch],
    ));
  }

  // ------------------------------------------------------------ circuit breaker

  /** Tenants with upstreams, and those of them whose every upstream is failing right now. */
  async breakerCount(): Promise<BreakerCount> {
    const rows = await this.ds.query(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE failing)::int AS failing FROM (
         SELECT u.tenant_id, bool_and(COALESCE(h.last_ok = false AND h.consecutive_failures > 0, false)) AS failing
           FROM upstreams u LEFT JOIN upstream_health h ON h.upstream_id = u.id
          GROUP BY u.tenant_id) per_tenant`,
    );
    return { tenantsWithUpstreams: rows[0].total, failingTenants: rows[0].failing };
  }

  /** Sets the automatic state from the count; returns the row before and after (so only the worker that flips it alerts). */
  async updateBreaker(settings: BreakerSettings): Promise<{ before: BreakerState; after: BreakerRow }> {
    const count = await this.breakerCount();
    const verdict = breakerVerdict(count, settings);
    return this.ds.transaction(async (em) => {
      const before = (await em.query(`SELECT state FROM continuity_circuit_breaker WHERE id FOR UPDATE`))[0]?.state as BreakerState;
      const rows = rowsOf(await em.query(
        `UPDATE continuity_circuit_breaker
            SET state = $1, tripped_at = CASE WHEN state = 'closed' AND $1 = 'open' THEN now() ELSE tripped_at END,
                failing_tenants = $2, tenants_with_upstreams = $3, updated_at = now()
          WHERE id RETURNING *`,
        [verdict, count.failingTenants, count.tenantsWithUpstreams],
      ));
      return { before, after: toBreaker(rows[0]) };
    });
  }

  async breaker(): Promise<BreakerRow> {
    const rows = await this.ds.query(`SELECT * FROM continuity_circuit_breaker WHERE id`);
    return toBreaker(rows[0]);
  }

  async setBreakerOverride(override: BreakerOverride, reason: string, by: string | null = null): Promise<BreakerRow> {
    const rows = rowsOf(await this.ds.query(
      `UPDATE continuity_circuit_breaker SET override = $1, reason = $2, override_by = $3, override_at = now(), updated_at = now() WHERE id RETURNING *`,
      [override, reason, by],
    ));
    return toBreaker(rows[0]);
  }
}

function toBreaker(r: Record<string, unknown>): BreakerRow {
  return {
    state: r.state as BreakerState,
    override: r.override as BreakerOverride,
    trippedAt: (r.tripped_at as Date | null) ?? null,
    reason: r.reason as string,
    failingTenants: Number(r.failing_tenants),
    tenantsWithUpstreams: Number(r.tenants_with_upstreams),
    updatedAt: r.updated_at as Date,
    overrideBy: (r.override_by as string | null | undefined) ?? null,
    overrideAt: (r.override_at as Date | null | undefined) ?? null,
  };
}
