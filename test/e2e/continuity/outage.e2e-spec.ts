import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { createTestTenant, waitFor, withDb } from '../../support/factories';
import { AppProcess, freePort } from '../../support/processes';
import { startStandinUpstream, StandinUpstream } from '../../../infra/standin-upstream/standin-upstream';
import { startTwilioStandin, TwilioStandin, twilioDriverEnv } from '../../../infra/twilio-standin/twilio-standin';

/**
 * An Exchange outage end to end with the built processes: the stand-in
 * upstream stops, the worker's probes see it and activate continuity mode
 * on their own, every employee's one-time webmail code reaches a local
 * Twilio-compatible server through the real SDK and signs in once at the
 * webmail, mail that arrives meanwhile is accepted, mirrored and held;
 * the upstream comes back, an operator ends the event with the CLI, and the
 * replay hands every held message to the upstream, in about the order it
 * arrived, at the configured pace; the reconciliation report says nothing is
 * missing.
 */
jest.setTimeout(90_000);

const ROOT = join(__dirname, '..', '..', '..');
const RATE = 10;

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('continuity: an Exchange outage from detection to reconciliation', () => {
  let mx: AppProcess;
  let worker: AppProcess;
  let webmail: AppProcess;
  let twilio: TwilioStandin;
  let webmailPort: number;
  let upstream: StandinUpstream | null = null;
  let env: Record<string, string>;
  let smtpPort: number;
  let upstreamPort: number;
  let upstreamDir: string;

  beforeAll(async () => {
    upstreamPort = await freePort();
    upstreamDir = mkdtempSync(join(tmpdir(), 'mc-outage-upstream-'));
    upstream = await startStandinUpstream({ port: upstreamPort, host: '127.0.0.1', dir: upstreamDir });
    smtpPort = await freePort();
    twilio = await startTwilioStandin({ host: '127.0.0.1', port: 0, autoDeliver: false });
    webmailPort = await freePort();
    env = {
      DATA_DIR: mkdtempSync(join(tmpdir(), 'mc-outage-data-')),
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}-outage`,
      MX_SMTP_HOST: '127.0.0.1',
      MX_SMTP_PORT: String(smtpPort),
      MX_HTTP_PORT: String(await freePort()),
      WORKER_HTTP_PORT: String(await freePort()),
      API_HTTP_PORT: String(await freePort()),
      SWEEP_INTERVAL_MS: '500',
      RETRY_BASE_SECONDS: '1',
      RETRY_MAX_SECONDS: '2',
      SMTP_CONNECT_TIMEOUT_MS: '2000',
      PROBE_TICK_MS: '200',
      PROBE_TIMEOUT_MS: '2000',
      // Tenants left by other test files have dead upstreams too; this test is not about the circuit breaker.
      BREAKER_MIN_FAILING_TENANTS: '1000000',
      REPLAY_TICK_MS: '100',
      REPLAY_RATE_PER_UPSTREAM: String(RATE),
      WEBMAIL_HTTP_PORT: String(webmailPort),
      ...twilioDriverEnv(twilio),
      CREDENTIAL_HMAC_SECRET: 'outage-e2e-secret-outage-e2e-secret-0123',
    };
    mx = new AppProcess('dist/apps/mx/src/main.js', env, 'mx').start();
    worker = new AppProcess('dist/apps/worker/src/main.js', env, 'worker').start();
    webmail = new AppProcess('dist/apps/webmail/src/main.js', env, 'webmail').start();
    await Promise.all([mx.waitForLog(/"msg":"listening"/), worker.waitForLog(/"msg":"listening"/), webmail.waitForLog(/"msg":"listening"/)]);
  });

  afterAll(async () => {
    await mx?.stop();
    await worker?.stop();
    await webmail?.stop();
    await upstream?.stop();
    await twilio?.close();
  });

  it('holds and mirrors mail while Exchange is down, then replays all of it in arrival order and reports nothing missing', async () => {
    const t = await createTestTenant({ mailboxes: ['ann', 'bob'], upstreams: [{ host: '127.0.0.1', port: upstreamPort }] });
    const { ann, bob } = t.mailboxes;
    const mobiles = { [ann.address]: '+4915112345001', [bob.address]: '+4915112345002' };
    for (const [address, mobile] of Object.entries(mobiles)) await withDb((db) => db.query(`UPDATE mailboxes SET mobile_e164 = $2 WHERE address = $1`, [address, mobile]));
    // Detection fast enough for a test: a probe a second, down after 3 failures over at least 2 s.
    await withDb((db) =>
      db.query(
        `UPDATE tenants SET continuity_policy = 'automatic', probe_interval_seconds = 1, failure_threshold = 3, failure_window_seconds = 2, hysteresis_seconds = 0 WHERE id = $1`,
        [t.id],
      ),
    );
    // A probe scheduled on the default interval before the settings changed is brought forward.
    await withDb((db) => db.query(`UPDATE upstream_health SET next_probe_at = now() WHERE tenant_id = $1`, [t.id]));
    await waitFor(async () => (await withDb((db) => db.query(`SELECT last_ok FROM upstream_health WHERE tenant_id = $1 AND last_probed_at > now() - interval '2 seconds'`, [t.id]))).rows[0]?.last_ok === true, { what: 'a healthy probe on the new interval', timeoutMs: 15000 });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, pool: false });
    const send = async (to: string, subject: string) => {
      const info = await transport.sendMail({ envelope: { from: 'partner@outside.example', to: [to] }, raw: `From: partner@outside.example\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\s/g, '-')}-${t.slug}@outside.example>\r\n\r\nbody of ${subject}\r\n` });
      const queueId = /queued as ([A-Z0-9]+)/.exec(info.response)?.[1];
      expect(queueId).toBeTruthy();
      return queueId as string;
    };

    // Normal operation: mail goes straight through.
    await send(ann.address, 'before the outage');
    await waitFor(async () => (await upstream!.received()).some((m) => m.raw.toString().includes('Subject: before the outage')), { what: 'delivery before the outage' });

    // Exchange dies; the probes notice and the tenant is switched over automatically.
    await upstream!.stop();
    upstream = null;
    const stoppedAt = Date.now();
    await waitFor(async () => (await withDb((db) => db.query(`SELECT mode FROM tenants WHERE id = $1`, [t.id]))).rows[0].mode === 'active', { timeoutMs: 30000, intervalMs: 100, what: 'automatic activation' });
    const activation = (await withDb((db) => db.query(`SELECT id, event, actor FROM continuity_transitions WHERE tenant_id = $1 AND to_mode = 'active' ORDER BY created_at DESC LIMIT 1`, [t.id]))).rows[0];
    expect(activation.actor).toBe('policy');
    const activatedAfterMs = Date.now() - stoppedAt;
    expect(activatedAfterMs).toBeGreaterThanOrEqual(2000); // not before the failure window

    // Every employee gets a one-time code by SMS (Twilio's SDK against the stand-in); it signs in once.
    const texts = await waitFor(async () => {
      const got = twilio.messages.filter((m) => Object.values(mobiles).includes(m.to));
      return got.length >= 2 ? got : null;
    }, { what: 'credentials texts at the Twilio stand-in', timeoutMs: 20000 });
    expect(new Set(texts.map((m) => m.to))).toEqual(new Set(Object.values(mobiles)));
    const code = /code: (\S+?)[ ,(]/i.exec(texts.find((m) => m.to === mobiles[ann.address])!.body)?.[1];
    expect(code).toBeTruthy();
    const signIn = () => fetch(`http://127.0.0.1:${webmailPort}/signin/code`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ address: ann.address, code }) });
    expect((await signIn()).status).toBe(200);
    expect((await signIn()).status).not.toBe(200); // once only

    // Mail that arrives during the outage is accepted, mirrored and held.
    const N = 12;
    const sent: string[] = [];
    for (let i = 0; i < N; i++) sent.push(await send(i % 2 ? bob.address : ann.address, `outage ${String(i).padStart(2, '0')}`));
    const held = await waitFor(async () => {
      const r = await withDb((db) =>
        db.query(
          `SELECT m.queue_id, d.state, d.held_remaining_seconds, (SELECT count(*)::int FROM mirror_entries e WHERE e.message_id = m.id AND e.folder = 'inbox') AS mirrored
             FROM messages m JOIN deliveries d ON d.message_id = m.id WHERE m.queue_id = ANY($1)`,
          [sent],
        ),
      );
      return r.rows.length === N ? r.rows : null;
    }, { what: 'rows of the mail sent during the outage' });
    expect(held.every((r) => r.state === 'held' && r.mirrored === 1 && r.held_remaining_seconds > 0)).toBe(true);

    // Exchange is back; the operator ends the event.
    upstream = await startStandinUpstream({ port: upstreamPort, host: '127.0.0.1', dir: upstreamDir });
    const before = (await upstream.received()).length;
    const ended = await cli(['continuity', 'end', t.slug, '--reason', 'Exchange is back'], env);
    expect(ended.code).toBe(0);
    await waitFor(async () => (await withDb((db) => db.query(`SELECT mode FROM tenants WHERE id = $1`, [t.id]))).rows[0].mode === 'normal', { timeoutMs: 40000, what: 'the replay to finish' });

    // Every message is at Exchange, once, in about the order it arrived at our MX, at the configured pace.
    const got = await waitFor(async () => {
      const g = (await upstream!.received()).slice(before).filter((m) => /Subject: outage \d\d/.test(m.raw.toString()));
      return g.length >= N ? g : null;
    }, { what: 'all held messages at the upstream' });
    const subjects = got.map((m) => /Subject: (outage \d\d)/.exec(m.raw.toString())![1]);
    expect(new Set(subjects).size).toBe(N);
    expect(subjects).toHaveLength(N);
    const expected = [...Array(N).keys()].map((i) => `outage ${String(i).padStart(2, '0')}`);
    // Released one by one in arrival order; the first attempts after Exchange returns can take a few
    // hundred ms (new connections), so a message may overtake a few neighbours, never more.
    const displacement = subjects.map((sub, pos) => Math.abs(expected.indexOf(sub) - pos));
    expect(Math.max(...displacement)).toBeLessThanOrEqual(4);
    const spreadMs = new Date(got[N - 1].receivedAt).getTime() - new Date(got[0].receivedAt).getTime();
    expect(spreadMs).toBeGreaterThanOrEqual(((N - 1) / RATE) * 1000 * 0.75);
    for (const m of got) expect(m.rcptTo).toEqual([Number(/outage (\d\d)/.exec(m.raw.toString())![1]) % 2 ? bob.address : ann.address]);

    // The report says so.
    const rep = await waitFor(async () => {
      const r = await cli(['--json', 'recovery', 'report', '--tenant', t.slug], env);
      if (r.code !== 0) throw new Error(r.stderr);
      const j = JSON.parse(r.stdout);
      return j.endedAt && j.allDelivered ? j : null;
    }, { what: 'a complete reconciliation report', timeoutMs: 20000, intervalMs: 500 });
    expect(rep.activationTransitionId).toBe(activation.id);
    expect(rep.totals).toMatchObject({ receivedDuringEvent: N, replayed: N, failed: 0, pending: 0 });
    const per = Object.fromEntries(rep.mailboxes.map((m: { mailbox: string }) => [m.mailbox, m]));
    expect(per[ann.address]).toMatchObject({ receivedDuringEvent: N / 2, replayed: N / 2 });
    expect(per[bob.address]).toMatchObject({ receivedDuringEvent: N / 2, replayed: N / 2 });
    const text = await cli(['recovery', 'report', '--tenant', t.slug], env);
    expect(text.stdout).toContain('nothing is missing');
    transport.close();
  });
});
