import { AppConfig } from '@app/config';
import { Metrics } from '@app/observability';
import { TestTenant, waitFor } from '../../support/factories';
import { startStandinUpstream, StandinUpstream } from '../../support/standin';
import { RunningWorker } from '../../../apps/worker/src/worker.bootstrap';
import { continuityTestConfig, createDetectionTenant, createIsolatedDatabase, healthIn, IsolatedDb, modeIn, startContinuityWorker, transitionsIn } from './continuity-harness';

/**
 * When most tenants' upstreams fail at once the fault is probably ours: the
 * breaker trips, automatic activations wait, operators hear about it; when
 * the share falls back, a tenant that is still down is activated.
 */
describe('continuity circuit breaker', () => {
  let db: IsolatedDb;
  let cfg: AppConfig;
  let worker: RunningWorker;
  const standins: StandinUpstream[] = [];

  beforeAll(async () => {
    db = await createIsolatedDatabase('breaker');
    cfg = continuityTestConfig(db, 'breaker', { BREAKER_FAILING_SHARE: '0.5', BREAKER_MIN_FAILING_TENANTS: '3' });
    worker = await startContinuityWorker(cfg);
  });

  afterAll(async () => {
    await worker?.stop();
    for (const s of standins) await s.stop().catch(() => undefined);
    await db?.drop();
  });

  it('holds automatic activations back while most tenants fail, and lets them through when the share falls back', async () => {
    const ups: StandinUpstream[] = [];
    const tenants: TestTenant[] = [];
    for (let i = 0; i < 4; i++) {
      const up = await startStandinUpstream();
      standins.push(up);
      ups.push(up);
      tenants.push(await createDetectionTenant(db, { upstreams: [{ host: '127.0.0.1', port: up.port }] }));
    }
    await waitFor(async () => (await db.query(`SELECT count(*)::int AS n FROM upstream_health WHERE last_ok`))[0].n === 4, { what: 'all four healthy', timeoutMs: 30000 });

    // Three of four fail at once: more than half, and at least three.
    const ports = ups.map((u) => u.port);
    await Promise.all(ups.slice(0, 3).map((u) => u.stop()));
    await waitFor(async () => (await db.query(`SELECT state FROM continuity_circuit_breaker`))[0].state === 'open', { what: 'the breaker to trip', timeoutMs: 30000 });
    for (const t of tenants.slice(0, 3)) await waitFor(async () => (await healthIn(db, t.id))[0].consecutive_failures >= 6, { what: 'failures well past the threshold', timeoutMs: 60000 });
    for (const t of tenants) expect(await modeIn(db, t.id)).toBe('normal');
    const metrics = await worker.app.get(Metrics).registry.getMetricsAsJSON();
    const trips = metrics.find((m) => m.name === 'mc_continuity_breaker_trips_total') as { values: Array<{ value: number }> };
    expect(trips.values[0].value).toBeGreaterThanOrEqual(1);
    const alerts = metrics.find((m) => m.name === 'mc_continuity_operator_alerts_total') as { values: Array<{ labels: Record<string, string>; value: number }> };
    expect(alerts.values.find((v) => v.labels.reason === 'activation-held-by-breaker')?.value).toBeGreaterThanOrEqual(1);

    // Two come back: one of four failing is no longer "most", the breaker closes and the one still down is activated.
    for (const port of ports.slice(0, 2)) standins.push(await startStandinUpstream({ port }));
    await waitFor(async () => (await db.query(`SELECT state FROM continuity_circuit_breaker`))[0].state === 'closed', { what: 'the breaker to close', timeoutMs: 30000 });
    await waitFor(async () => (await modeIn(db, tenants[2].id)) === 'active', { what: 'the held-back activation', timeoutMs: 30000 });
    expect((await transitionsIn(db, tenants[2].id)).map((r) => r.event)).toEqual(['upstream-down']);
    for (const t of [tenants[0], tenants[1], tenants[3]]) expect(await modeIn(db, t.id)).toBe('normal');
  }, 150000);

  it('an operator can force the breaker open, which holds activations back regardless of the count', async () => {
    await db.query(`UPDATE continuity_circuit_breaker SET override = 'force-open', reason = 'test'`);
    try {
      const up = await startStandinUpstream();
      standins.push(up);
      const t = await createDetectionTenant(db, { upstreams: [{ host: '127.0.0.1', port: up.port }] });
      await waitFor(async () => (await healthIn(db, t.id))[0]?.last_ok === true, { what: 'a healthy probe', timeoutMs: 30000 });
      await up.stop();
      await waitFor(async () => (await healthIn(db, t.id))[0].consecutive_failures >= 5, { what: 'failures past the threshold', timeoutMs: 45000 });
      expect(await modeIn(db, t.id)).toBe('normal');
      await db.query(`UPDATE continuity_circuit_breaker SET override = 'auto', reason = ''`);
      await waitFor(async () => (await modeIn(db, t.id)) === 'active', { what: 'activation once the override is lifted', timeoutMs: 30000 });
    } finally {
      await db.query(`UPDATE continuity_circuit_breaker SET override = 'auto', reason = ''`);
    }
  }, 120000);
});
