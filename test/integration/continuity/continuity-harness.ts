import { Client } from 'pg';
import { AppConfig, loadConfig } from '@app/config';
import { migrate } from '@app/database/migrate';
import { startWorker, RunningWorker } from '../../../apps/worker/src/worker.bootstrap';
import { createTestTenant, TestTenant, TestTenantSpec, uniqueLabel } from '../../support/factories';

/**
 * Detection looks at every tenant of a database at once (the circuit breaker
 * counts them all), so each continuity test file gets a database of its own,
 * migrated afresh, and a Redis prefix of its own under the run's prefix.
 */
export interface IsolatedDb {
  url: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createIsolatedDatabase(label: string): Promise<IsolatedDb> {
  const base = new URL(process.env.DATABASE_URL as string);
  const name = `${base.pathname.slice(1)}_${label}`.slice(0, 63);
  const admin = new URL(base.toString());
  admin.pathname = '/postgres';
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  await migrate(url.toString());
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  return {
    url: url.toString(),
    query: async (sql, params = []) => (await client.query(sql, params)).rows,
    drop: async () => {
      await client.end();
      if (process.env.KEEP_TEST_DATA) return;
      const a = new Client({ connectionString: admin.toString() });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** Fast probes and sweeps; the breaker needs many failing tenants unless a test says otherwise. */
export function continuityTestConfig(db: IsolatedDb, label: string, overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    ...process.env,
    DATABASE_URL: db.url,
    REDIS_PREFIX: `${process.env.REDIS_PREFIX}:${label}`,
    WORKER_HTTP_PORT: '0',
    MX_HOSTNAME: 'mx.continuity-test.localhost',
    RETRY_BASE_SECONDS: '1',
    RETRY_MAX_SECONDS: '2',
    SWEEP_INTERVAL_MS: '250',
    DELIVERY_LEASE_SECONDS: '30',
    SMTP_CONNECT_TIMEOUT_MS: '2000',
    SMTP_COMMAND_TIMEOUT_MS: '5000',
    RETENTION_INTERVAL_MS: '86400000',
    SHUTDOWN_GRACE_MS: '5000',
    PROBE_TICK_MS: '100',
    PROBE_TIMEOUT_MS: '1500',
    BREAKER_MIN_FAILING_TENANTS: '1000',
    ...overrides,
  });
}

export async function startContinuityWorker(cfg: AppConfig): Promise<RunningWorker> {
  return startWorker(cfg);
}

export interface DetectionSettings {
  policy?: 'automatic' | 'confirm' | 'manual' | null;
  upstreamKind?: 'on-premises' | 'exchange-online';
  probeIntervalSeconds?: number;
  failureThreshold?: number;
  failureWindowSeconds?: number;
  hysteresisSeconds?: number;
  autoSwitchBack?: boolean;
  healthyBeforeSwitchBackSeconds?: number;
  confirmTimeoutSeconds?: number | null;
  canaryAddress?: string | null;
}

/** A tenant in the isolated database (factories write to DATABASE_URL, so it is pointed there for the call). */
export async function createDetectionTenant(db: IsolatedDb, spec: TestTenantSpec, settings: DetectionSettings = {}): Promise<TestTenant> {
  const saved = process.env.DATABASE_URL;
  process.env.DATABASE_URL = db.url;
  let t: TestTenant;
  try {
    t = await createTestTenant({ domains: [`${uniqueLabel('cont')}.example`], ...spec });
  } finally {
    process.env.DATABASE_URL = saved;
  }
  const s = { probeIntervalSeconds: 1, failureThreshold: 3, failureWindowSeconds: 2, hysteresisSeconds: 600, ...settings };
  await db.query(
    `UPDATE tenants SET continuity_policy = $2, upstream_kind = $3, probe_interval_seconds = $4, failure_threshold = $5, failure_window_seconds = $6,
            hysteresis_seconds = $7, auto_switch_back = $8, healthy_before_switch_back_seconds = $9, confirm_timeout_seconds = $10, canary_address = $11
      WHERE id = $1`,
    [t.id, s.policy ?? null, s.upstreamKind ?? 'on-premises', s.probeIntervalSeconds, s.failureThreshold, s.failureWindowSeconds, s.hysteresisSeconds, s.autoSwitchBack ?? false, s.healthyBeforeSwitchBackSeconds ?? 900, s.confirmTimeoutSeconds ?? null, s.canaryAddress ?? null],
  );
  // The running worker may have probed the new upstream once on the default 30 s interval
  // before the update above: bring its next probe forward, as the settings API does.
  await db.query(`UPDATE upstream_health SET next_probe_at = now() WHERE tenant_id = $1`, [t.id]);
  return t;
}

export async function modeIn(db: IsolatedDb, tenantId: string): Promise<string> {
  return (await db.query<{ mode: string }>(`SELECT mode FROM tenants WHERE id = $1`, [tenantId]))[0].mode;
}

export interface TransitionRow { id: string; from_mode: string; to_mode: string; event: string; actor: string; reason: string; created_at: Date; effects_completed_at: Date | null; drill_mailbox_ids: string[] | null }

export async function transitionsIn(db: IsolatedDb, tenantId: string): Promise<TransitionRow[]> {
  return db.query<TransitionRow>(`SELECT * FROM continuity_transitions WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId]);
}

export async function healthIn(db: IsolatedDb, tenantId: string): Promise<Array<{ last_ok: boolean | null; consecutive_failures: number; first_failure_at: Date | null; last_failure_at: Date | null; healthy_since: Date | null }>> {
  return db.query(`SELECT last_ok, consecutive_failures, first_failure_at, last_failure_at, healthy_since FROM upstream_health WHERE tenant_id = $1`, [tenantId]);
}
