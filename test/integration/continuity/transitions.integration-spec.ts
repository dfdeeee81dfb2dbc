import { DataSource } from 'typeorm';
import pino from 'pino';
import { AppConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { Metrics } from '@app/observability';
import { Queues } from '@app/queues';
import { ContinuityError, ContinuityMetrics, ContinuityService, TransitionEffectRegistry, TransitionRecord, UpstreamHealthStore } from '@app/continuity';
import { waitFor } from '../../support/factories';
import { startStandinUpstream, StandinUpstream } from '../../support/standin';
import { RunningWorker } from '../../../apps/worker/src/worker.bootstrap';
import { enqueueDelivery } from '../delivery/delivery-harness';
import { continuityTestConfig, createDetectionTenant, createIsolatedDatabase, IsolatedDb, modeIn, startContinuityWorker, transitionsIn } from './continuity-harness';

/** Transitions as compare-and-set with an audit row, their effects in order, admin commands and drills. */
describe('continuity transitions', () => {
  let db: IsolatedDb;
  let cfg: AppConfig;
  let worker: RunningWorker;
  let up: StandinUpstream;
  const extra: DataSource[] = [];
  const applied: Array<{ effect: string; id: string; event: string; to: string }> = [];
  const failOnce = new Set<string>();

  /** A second, independent service (as another worker process or the CLI would have). */
  async function otherService(): Promise<ContinuityService> {
    const ds = await createDataSource({ DATABASE_URL: cfg.DATABASE_URL, DATABASE_POOL_SIZE: 4 }, 'test').initialize();
    extra.push(ds);
    return new ContinuityService(ds, new UpstreamHealthStore(ds), worker.app.get(Queues), new ContinuityMetrics(new Metrics('test')), pino({ level: 'silent' }));
  }

  beforeAll(async () => {
    db = await createIsolatedDatabase('trans');
    cfg = continuityTestConfig(db, 'trans');
    worker = await startContinuityWorker(cfg);
    up = await startStandinUpstream();
    const registry = worker.app.get(TransitionEffectRegistry);
    registry.register({
      name: 'test-recorder',
      apply: async (t: TransitionRecord) => {
        if (failOnce.delete(t.id)) throw new Error('temporary failure of a test effect');
        applied.push({ effect: 'test-recorder', id: t.id, event: t.event, to: t.toMode });
      },
    });
  });

  afterAll(async () => {
    await worker?.stop();
    for (const ds of extra) await ds.destroy();
    await up?.stop();
    await db?.drop();
  });

  it('two concurrent activations produce one transition', async () => {
    const t = await createDetectionTenant(db, { upstreams: [{ host: '127.0.0.1', port: up.port }] }, { policy: 'manual' });
    const [a, b] = [await otherService(), await otherService()];
    const results = await Promise.allSettled([a.activate(t.id, 'admin:a', 'down'), b.activate(t.id, 'admin:b', 'down'), a.activate(t.id, 'admin:c', 'down')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(2);
    for (const l of lost) expect(l.reason).toBeInstanceOf(ContinuityError);
    for (const l of lost) expect((l.reason as ContinuityError).code).toBe('already_active');
    const rows = await transitionsIn(db, t.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ from_mode: 'normal', to_mode: 'active', event: 'activate' });
    expect((await db.query(`SELECT mode_version FROM tenants WHERE id = $1`, [t.id]))[0].mode_version).toBe(1);
  });

  it('runs the registered effects once per transition, in order, and retries a failed one', async () => {
    const t = await createDetectionTenant(db, { upstreams: [{ host: '127.0.0.1', port: up.port }] }, { policy: 'manual' });
    const svc = worker.app.get(ContinuityService);
    const activated = await svc.activate(t.id, 'admin:x', 'Exchange down');
    failOnce.add(activated.id);
    // The first try fails; the job of the later 'end' applies the activation's effects first, then its own.
    await waitFor(async () => (await db.query(`SELECT effects_error FROM continuity_transitions WHERE id = $1`, [activated.id]))[0].effects_error, { what: 'the failed first try' });
    const ended = await svc.end(t.id, 'admin:x', 'Exchange back');
    await waitFor(async () => (await transitionsIn(db, t.id)).every((r) => r.effects_completed_at), { what: 'effects of both transitions', timeoutMs: 15000 });
    const mine = applied.filter((a) => a.id === activated.id || a.id === ended.id);
    expect(mine.map((a) => a.event)).toEqual(['activate', 'end']);
    // (The replay of an empty hold may already have taken the tenant back to normal.)
    const rows = await transitionsIn(db, t.id);
    expect(rows.slice(0, 2).map((r) => `${r.from_mode}>${r.to_mode}`)).toEqual(['normal>active', 'active>recovering']);
    expect((await db.query(`SELECT effects_attempts FROM continuity_transitions WHERE id = $1`, [activated.id]))[0].effects_attempts).toBe(2);
  });

  it('refuses what the mode does not allow, with a reason', async () => {
    const t = await createDetectionTenant(db, { upstreams: [{ host: '127.0.0.1', port: up.port }] }, { policy: 'manual' });
    const svc = worker.app.get(ContinuityService);
    await expect(svc.end(t.id, 'admin:x', 'nothing to end')).rejects.toMatchObject({ code: 'not_active' });
    await expect(svc.confirm(t.id, 'admin:x', 'nothing asked')).rejects.toMatchObject({ code: 'nothing_to_confirm' });
    await expect(svc.endDrill(t.id, 'admin:x', 'no drill')).rejects.toMatchObject({ code: 'not_in_drill' });
    await expect(svc.startDrill(t.id, ['nobody@nowhere.example'], 'admin:x', 'drill')).rejects.toMatchObject({ code: 'mailbox_not_found' });
    expect(await svc.finishRecovery(t.id)).toBe(false);
    expect(await transitionsIn(db, t.id)).toEqual([]);
  });

  it('drill keeps delivering to Exchange, and the real outage can start during it', async () => {
    const t = await createDetectionTenant(db, { mailboxes: ['ann', 'bob'], upstreams: [{ host: '127.0.0.1', port: up.port }] }, { policy: 'manual' });
    const svc = worker.app.get(ContinuityService);
    const drill = await svc.startDrill(t.id, [t.mailboxes.ann.address], 'admin:x', 'quarterly rehearsal');
    expect(drill).toMatchObject({ fromMode: 'normal', toMode: 'drill', event: 'drill-start', drillMailboxIds: [t.mailboxes.ann.id] });
    expect(await svc.currentDrillMailboxIds(t.id)).toEqual([t.mailboxes.ann.id]);

    const { insertTestMessage } = await import('../../support/factories');
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = db.url;
    let m: { messageId: string };
    try {
      m = await insertTestMessage(t, { raw: `Subject: during the drill\r\nMessage-ID: <drill-${t.slug}@x>\r\n\r\nstill delivered\r\n`, recipients: [t.mailboxes.ann.address, t.mailboxes.bob.address] });
    } finally {
      process.env.DATABASE_URL = saved;
    }
    await enqueueDelivery(cfg, m.messageId, t.id);
    await waitFor(async () => (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE message_id = $1 AND state = 'delivered'`, [m.messageId]))[0].n === 2, { what: 'delivery during the drill', timeoutMs: 15000 });
    expect((await up.received()).some((r) => r.rcptTo.includes(t.mailboxes.ann.address))).toBe(true);
    expect(await modeIn(db, t.id)).toBe('drill');

    const real = await svc.activate(t.id, 'admin:x', 'the real outage');
    expect(real).toMatchObject({ fromMode: 'drill', toMode: 'active' });
    expect(await svc.currentDrillMailboxIds(t.id)).toEqual([]);
  });

  it('finishRecovery moves a recovering tenant to normal, audited', async () => {
    const t = await createDetectionTenant(db, { upstreams: [{ host: '127.0.0.1', port: up.port }] }, { policy: 'manual' });
    const svc = await otherService();
    // Recovering without an 'end' transition, so no replay effect races this call.
    await db.query(`UPDATE tenants SET mode = 'recovering' WHERE id = $1`, [t.id]);
    expect(await svc.finishRecovery(t.id)).toBe(true);
    expect(await svc.finishRecovery(t.id)).toBe(false);
    expect(await modeIn(db, t.id)).toBe('normal');
    const history = await svc.history(t.id);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ fromMode: 'recovering', toMode: 'normal', event: 'replay-finished', actor: 'recovery' });
  });
});
