/**
 * The ingest benchmark of issue 2: the same smtp-source load against
 * (a) smtp-sink, (b) a private stock Postfix relaying to smtp-sink, and
 * (c) our mx + worker relaying to smtp-sink; then pass-through latency at a
 * paced rate and the relay's peak memory with large concurrent messages.
 * Run through `npm run bench:ingest` (bench/ingest/run.sh), which installs
 * Postfix and builds first. Everything listens on 127.0.0.1 and everything it
 * starts is stopped and removed at the end, also when interrupted.
 */
import { existsSync, mkdirSync, mkdtempSync, chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { concurrentLarge, pacedLoad, startProbe } from './load-clients';
import { OursInstance, PG_ADMIN_URL, withPg } from './ours-instance';
import { PostfixInstance } from './postfix-instance';
import { measurePrimitives, PrimitiveResult } from './primitives';
import { freePort, machineCpu, run, runSmtpSource, SmtpSink, sleep, stopAllChildren, waitFor } from './processes';
import { fmt, fmtSpread, percentile, ratio, spread } from './stats';
import { TimestampSink } from './timestamp-sink';

/** Where the build this file belongs to lives (dist/ or the bench's private build). */
const ROOT = join(__dirname, '..', '..', '..');
/** The repository (run.sh runs from it): results go to its bench/results/. */
const REPO = process.cwd();
const DOMAIN = 'bench.example';
const FROM = 'sender@source.example';
const MAILBOX = 'rcpt';
const TO = `${MAILBOX}@${DOMAIN}`;

type ReceiverName = 'sink' | 'postfix' | 'ours' | 'ours-nofsync' | 'ours-async-commit' | 'ours-volatile' | 'ours-noindex';
const RECEIVER_LABEL: Record<ReceiverName, string> = {
  sink: '(a) smtp-sink',
  postfix: '(b) Postfix → smtp-sink',
  ours: '(c) ours mx+worker → smtp-sink',
  // Diagnostics only (--only …): what durability costs. Never figures of the product.
  'ours-nofsync': 'diagnostic: ours, BLOB_FSYNC=false',
  'ours-async-commit': 'diagnostic: ours, synchronous_commit=off',
  'ours-volatile': 'diagnostic: ours, both off',
  'ours-noindex': 'diagnostic: ours, index queue paused',
};
const DIAGNOSTIC_ENV: Partial<Record<ReceiverName, NodeJS.ProcessEnv>> = {
  'ours-nofsync': { BLOB_FSYNC: 'false' },
  // node-postgres passes PGOPTIONS to the server as the session's options.
  'ours-async-commit': { PGOPTIONS: '-c synchronous_commit=off' },
  'ours-volatile': { BLOB_FSYNC: 'false', PGOPTIONS: '-c synchronous_commit=off' },
  // The index queue is paused in Redis after start-up: the mirror's parsing and full-text update do not run.
  'ours-noindex': {},
};
const isOurs = (r: ReceiverName) => r === 'ours' || r in DIAGNOSTIC_ENV;

interface Options {
  runs: number;
  messages: number;
  size: number;
  receivers: ReceiverName[];
  passthroughRate: number;
  passthroughSeconds: number;
  rssCount: number;
  rssBytes: number;
  deliverTimeoutMs: number;
  waitQuietSeconds: number;
  json: string | null;
  withNew20: boolean;
  primitivesOps: number;
}

interface Load {
  name: 'new' | 'reused' | 'new20';
  args: string[];
  describe: string;
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const o: Options = {
    runs: quick ? 1 : 3,
    messages: quick ? 2000 : 20000,
    size: 10240,
    receivers: ['sink', 'postfix', 'ours'],
    passthroughRate: 100,
    passthroughSeconds: quick ? 5 : 20,
    rssCount: 20,
    rssBytes: 25 * 1024 * 1024,
    deliverTimeoutMs: quick ? 120_000 : 600_000,
    waitQuietSeconds: 0,
    json: null,
    withNew20: false,
    primitivesOps: quick ? 300 : 2000,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') continue;
    else if (a === '--runs') o.runs = Math.max(1, Number(next()));
    else if (a === '--messages') o.messages = Math.max(1, Number(next()));
    else if (a === '--only') o.receivers = next().split(',').map((s) => s.trim()) as ReceiverName[];
    else if (a === '--passthrough-seconds') o.passthroughSeconds = Number(next());
    else if (a === '--rss-count') o.rssCount = Number(next());
    else if (a === '--rss-mb') o.rssBytes = Number(next()) * 1024 * 1024;
    else if (a === '--deliver-timeout') o.deliverTimeoutMs = Number(next()) * 1000;
    else if (a === '--wait-quiet') o.waitQuietSeconds = Number(next());
    else if (a === '--json') o.json = next();
    else if (a === '--with-new20') o.withNew20 = true;
    else if (a === '--primitives-ops') o.primitivesOps = Number(next());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'npm run bench:ingest -- [--runs N] [--quick] [--messages N] [--only sink,postfix,ours]\n' +
          '  (diagnostic receivers for --only: ours-nofsync, ours-async-commit, ours-volatile, ours-noindex)\n' +
          '  [--passthrough-seconds S] [--rss-count N] [--rss-mb MB] [--deliver-timeout S] [--wait-quiet S] [--json FILE]\n' +
          '  [--primitives-ops N]  per-message cost of blob fsync, Postgres commit, BullMQ add (0: skip)\n' +
          '  [--report-from FILE]  print the report of a saved results file again\n' +
          '  [--with-new20]  also run -s 20 with a new connection per message (the load of docs/BENCHMARKING baselines)\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const r of o.receivers) if (!RECEIVER_LABEL[r]) throw new Error(`unknown receiver ${r}`);
  return o;
}

const cleanups: Array<() => Promise<void> | void> = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (e) {
      log(`cleanup: ${String(e)}`);
    }
  }
  await stopAllChildren();
}

function log(s: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
}

function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

interface LoadResult {
  receiver: ReceiverName;
  load: Load['name'];
  run: number;
  ok: boolean;
  error?: string;
  acceptedPerSec: number;
  deliveredPerSec: number;
  deliveredAll: boolean;
  deliveredCount: number;
  sourceWallMs: number;
  deliverWallMs: number;
  probeP50: number;
  probeP99: number;
  probeMax: number;
  probeSamples: number;
  probeErrors: number;
  deliveryStates?: Record<string, number>;
  /** CPU milliseconds per message, by process (ours only), from the load's start until all were delivered. */
  cpuMsPerMessage?: Record<string, number>;
  /** Postgres work per message (ours only): commits, rows inserted/updated/deleted in our database, WAL bytes (whole server). */
  pgPerMessage?: Record<string, number>;
  /** What the relay looked like when delivery did not finish in time (queue counts, log tails). */
  stuck?: string;
  /** Share of the machine's CPU that was busy during the same window (all processes, ours or not). */
  machineBusy: number;
}

interface PassthroughResult {
  receiver: 'postfix' | 'ours';
  run: number;
  offeredPerSec: number;
  sent: number;
  accepted: number;
  arrived: number;
  duplicates: number;
  errors: number;
  lastError: string | null;
  p50: number;
  p99: number;
  max: number;
  dotP99: number;
}

interface RssResult {
  count: number;
  bytes: number;
  accepted: number;
  arrived: number;
  errors: string[];
  mxHwmBefore: number;
  workerHwmBefore: number;
  mxHwm: number;
  workerHwm: number;
  elapsedMs: number;
}

async function measureLoad(
  receiver: ReceiverName,
  port: number,
  upstream: SmtpSink,
  load: Load,
  o: Options,
  runNo: number,
  states?: () => Promise<Record<string, number>>,
  cpu?: () => Promise<Record<string, number>>,
  pgCounters?: () => Promise<Record<string, number>>,
  onStuck?: () => Promise<string>,
): Promise<LoadResult> {
  // pg_stat_database counts what backends have flushed (within 10 s of going idle), so the deltas are read after a pause.
  const pg0 = pgCounters ? await pgCounters() : null;
  const base = upstream.messages;
  const cpu0 = cpu ? await cpu() : null;
  const m0 = machineCpu();
  log(`run ${runNo} ${RECEIVER_LABEL[receiver]} load ${load.name}: smtp-source ${load.describe} (load ${loadavg()})`);
  const probe = startProbe(port, FROM, TO, o.size);
  const t0 = performance.now();
  const src = await runSmtpSource([...load.args, '-l', String(o.size), '-m', String(o.messages), '-f', FROM, '-t', TO, `127.0.0.1:${port}`]);
  const pr = await probe.stop();
  const expected = base + o.messages + pr.accepted;
  const res: LoadResult = {
    receiver,
    load: load.name,
    run: runNo,
    ok: src.code === 0,
    acceptedPerSec: src.code === 0 ? o.messages / (src.wallMs / 1000) : NaN,
    deliveredPerSec: NaN,
    deliveredAll: false,
    deliveredCount: 0,
    sourceWallMs: src.wallMs,
    deliverWallMs: NaN,
    probeP50: percentile(pr.samples, 50),
    probeP99: percentile(pr.samples, 99),
    probeMax: percentile(pr.samples, 100),
    probeSamples: pr.samples.length,
    probeErrors: pr.errors,
    machineBusy: NaN,
  };
  if (src.code !== 0) {
    res.error = `smtp-source exited ${src.code}: ${src.stderr.trim().split('\n').slice(-3).join(' | ')}`;
    log(res.error);
  }
  const done = await waitFor(() => upstream.messages >= expected, o.deliverTimeoutMs, 20);
  const t1 = performance.now();
  res.deliveredCount = upstream.messages - base;
  res.deliveredAll = !!done;
  if (done && res.ok) {
    res.deliverWallMs = t1 - t0;
    res.deliveredPerSec = o.messages / ((t1 - t0) / 1000);
  }
  if (states) res.deliveryStates = await states();
  if (!done && onStuck) {
    res.stuck = await onStuck().catch((e) => String(e));
    log(`  not all delivered; state of the relay:\n${res.stuck}`);
  }
  const m1 = machineCpu();
  res.machineBusy = (m1.busy - m0.busy) / Math.max(0.001, m1.total - m0.total);
  if (cpu && cpu0) {
    const cpu1 = await cpu();
    const n = res.deliveredCount || o.messages;
    res.cpuMsPerMessage = Object.fromEntries(Object.keys(cpu1).map((k) => [k, ((cpu1[k] - cpu0[k]) * 1000) / n]));
  }
  if (pgCounters && pg0) {
    await sleep(11_000); // idle backends flush their statistics within 10 s (PostgreSQL 15)
    const pg1 = await pgCounters();
    const n = res.deliveredCount || o.messages;
    res.pgPerMessage = Object.fromEntries(Object.keys(pg1).map((k) => [k, (pg1[k] - pg0[k]) / n]));
  }
  log(
    `  accepted ${fmt(res.acceptedPerSec)}/s, delivered ${res.deliveredAll ? `${fmt(res.deliveredPerSec)}/s` : `${res.deliveredCount} of ${o.messages + pr.accepted} in ${fmt(o.deliverTimeoutMs / 1000)} s`}, ` +
      `dot→250 p50 ${fmt(res.probeP50, 1)} ms p99 ${fmt(res.probeP99, 1)} ms (${res.probeSamples} probes, ${pr.errors} errors${pr.lastError ? `: ${pr.lastError.slice(0, 120)}` : ''})` +
      (res.deliveryStates ? ` deliveries ${JSON.stringify(res.deliveryStates)}` : '') +
      `; machine CPU busy ${fmt(res.machineBusy * 100)}%` +
      (res.pgPerMessage ? `; Postgres/message ${Object.entries(res.pgPerMessage).map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ')}` : '') +
      (res.cpuMsPerMessage ? `; CPU ms/message ${Object.entries(res.cpuMsPerMessage).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(', ')}` : ''),
  );
  return res;
}

const LOADS = (o: Options): Load[] => [
  { name: 'new', args: ['-s', '200'], describe: `-s 200 -l ${o.size} -m ${o.messages} (new connection per message)` },
  { name: 'reused', args: ['-s', '20', '-d'], describe: `-s 20 -d -l ${o.size} -m ${o.messages} (connections reused)` },
  ...(o.withNew20 ? [{ name: 'new20' as const, args: ['-s', '20'], describe: `-s 20 -l ${o.size} -m ${o.messages} (new connection per message, 20 sessions)` }] : []),
];

async function throughputRun(o: Options, scratch: string, runNo: number, oursAvailable: boolean): Promise<LoadResult[]> {
  const out: LoadResult[] = [];
  for (const receiver of o.receivers) {
    if (isOurs(receiver) && !oursAvailable) continue;
    const mark = cleanups.length;
    const undo = async () => {
      while (cleanups.length > mark) await Promise.resolve(cleanups.pop()!()).catch((e) => log(`cleanup: ${String(e)}`));
    };
    try {
      const upstream = new SmtpSink(await freePort());
      await upstream.start();
      cleanups.push(() => upstream.stop());
      let port = upstream.port;
      let states: (() => Promise<Record<string, number>>) | undefined;
      let cpu: (() => Promise<Record<string, number>>) | undefined;
      let pg: (() => Promise<Record<string, number>>) | undefined;
      let stuck: (() => Promise<string>) | undefined;
      if (receiver === 'postfix') {
        const pf = new PostfixInstance(join(scratch, `postfix-${runNo}`), await freePort(), upstream.port, DOMAIN);
        cleanups.push(() => pf.remove());
        cleanups.push(() => pf.stop());
        await pf.start();
        port = pf.port;
      } else if (isOurs(receiver)) {
        const ours = new OursInstance({ root: ROOT, dir: join(scratch, `ours-${runNo}`), dbName: `mc_bench_${process.pid}`, domain: DOMAIN, mailbox: MAILBOX, upstreamPort: upstream.port, extraEnv: DIAGNOSTIC_ENV[receiver] });
        cleanups.push(() => ours.tearDown());
        await ours.setUp();
        await ours.start();
        if (receiver === 'ours-noindex') await ours.pauseQueue('index');
        port = ours.smtpPort;
        states = () => ours.deliveryStates();
        cpu = () => ours.cpu();
        pg = () => ours.pgCounters();
        stuck = () => ours.describeStuck();
      }
      for (const load of LOADS(o)) out.push(await measureLoad(receiver, port, upstream, load, o, runNo, states, cpu, pg, stuck));
    } catch (e) {
      log(`run ${runNo} ${RECEIVER_LABEL[receiver]} failed: ${e instanceof Error ? e.message : String(e)}`);
      for (const load of LOADS(o)) out.push(failed(receiver, load.name, runNo, String(e)));
    } finally {
      await undo();
    }
  }
  return out;
}

function failed(receiver: ReceiverName, load: Load['name'], runNo: number, error: string): LoadResult {
  return { receiver, load, run: runNo, ok: false, error, acceptedPerSec: NaN, deliveredPerSec: NaN, deliveredAll: false, deliveredCount: 0, sourceWallMs: NaN, deliverWallMs: NaN, probeP50: NaN, probeP99: NaN, probeMax: NaN, probeSamples: 0, probeErrors: 0, machineBusy: NaN };
}

async function passthroughRun(o: Options, scratch: string, runNo: number, receiver: 'postfix' | 'ours'): Promise<PassthroughResult | null> {
  const mark = cleanups.length;
  try {
    const sink = new TimestampSink();
    await sink.start();
    cleanups.push(() => sink.stop());
    let port: number;
    if (receiver === 'postfix') {
      const pf = new PostfixInstance(join(scratch, `postfix-pt-${runNo}`), await freePort(), sink.port, DOMAIN);
      cleanups.push(() => pf.remove());
      cleanups.push(() => pf.stop());
      await pf.start();
      port = pf.port;
    } else {
      const ours = new OursInstance({ root: ROOT, dir: join(scratch, `ours-pt-${runNo}`), dbName: `mc_bench_${process.pid}_pt`, domain: DOMAIN, mailbox: MAILBOX, upstreamPort: sink.port });
      cleanups.push(() => ours.tearDown());
      await ours.setUp();
      await ours.start();
      port = ours.smtpPort;
    }
    log(`run ${runNo} pass-through ${receiver}: ${o.passthroughRate} msg/s for ${o.passthroughSeconds} s (load ${loadavg()})`);
    const r = await pacedLoad(port, FROM, TO, o.size, o.passthroughRate, o.passthroughSeconds, `pt-${receiver}-${runNo}-${process.pid}`);
    await waitFor(() => [...r.acceptedAt.keys()].every((id) => sink.arrivals.has(id)), 60_000, 50);
    const lat: number[] = [];
    let arrived = 0;
    for (const [id, at] of r.acceptedAt) {
      const got = sink.arrivals.get(id);
      if (got === undefined) continue;
      arrived++;
      lat.push(got - at);
    }
    const res: PassthroughResult = {
      receiver,
      run: runNo,
      offeredPerSec: r.sent / (r.elapsedMs / 1000),
      sent: r.sent,
      accepted: r.accepted,
      arrived,
      duplicates: sink.duplicates,
      errors: r.errors,
      lastError: r.lastError,
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      max: percentile(lat, 100),
      dotP99: percentile(r.dotToReply, 99),
    };
    log(`  250 → upstream p50 ${fmt(res.p50, 1)} ms, p99 ${fmt(res.p99, 1)} ms, max ${fmt(res.max, 1)} ms; ${res.accepted}/${res.sent} accepted, ${res.arrived} arrived, ${res.errors} errors${res.lastError ? ` (${res.lastError.slice(0, 120)})` : ''}`);
    if (process.env.BENCH_PT_TIMELINE) {
      const first = Math.min(...r.acceptedAt.values());
      const bySecond = new Map<number, number[]>();
      for (const [id, at] of r.acceptedAt) {
        const got = sink.arrivals.get(id);
        if (got === undefined) continue;
        const s = Math.floor((at - first) / 1000);
        bySecond.set(s, [...(bySecond.get(s) ?? []), got - at]);
      }
      for (const [s, l] of [...bySecond.entries()].sort((a, b) => a[0] - b[0])) log(`    second ${s}: n ${l.length} p50 ${fmt(percentile(l, 50), 1)} p99 ${fmt(percentile(l, 99), 1)} max ${fmt(percentile(l, 100), 1)}`);
    }
    return res;
  } catch (e) {
    log(`pass-through ${receiver} failed: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  } finally {
    while (cleanups.length > mark) await Promise.resolve(cleanups.pop()!()).catch((e) => log(`cleanup: ${String(e)}`));
  }
}

async function rssRun(o: Options, scratch: string): Promise<RssResult | null> {
  const mark = cleanups.length;
  try {
    const sink = new TimestampSink();
    await sink.start();
    cleanups.push(() => sink.stop());
    const ours = new OursInstance({
      root: ROOT,
      dir: join(scratch, 'ours-rss'),
      dbName: `mc_bench_${process.pid}_rss`,
      domain: DOMAIN,
      mailbox: MAILBOX,
      upstreamPort: sink.port,
      maxMessageBytes: Math.max(o.rssBytes * 2, 64 * 1024 * 1024),
    });
    cleanups.push(() => ours.tearDown());
    await ours.setUp();
    await ours.start();
    await sleep(1000);
    const before = ours.memory();
    log(`peak memory: ${o.rssCount} concurrent messages of ${fmt(o.rssBytes / 1048576)} MB (load ${loadavg()})`);
    const r = await concurrentLarge(ours.smtpPort, FROM, TO, o.rssCount, o.rssBytes, `rss-${process.pid}`);
    await waitFor(() => sink.messages >= r.accepted, 180_000, 100);
    await sleep(500);
    const after = ours.memory();
    const res: RssResult = {
      count: o.rssCount,
      bytes: o.rssBytes,
      accepted: r.accepted,
      arrived: sink.messages,
      errors: r.errors.slice(0, 5),
      mxHwmBefore: before.mx?.hwm ?? NaN,
      workerHwmBefore: before.worker?.hwm ?? NaN,
      mxHwm: after.mx?.hwm ?? NaN,
      workerHwm: after.worker?.hwm ?? NaN,
      elapsedMs: r.elapsedMs,
    };
    log(`  mx VmHWM ${mb(res.mxHwm)} MB (idle ${mb(res.mxHwmBefore)}), worker VmHWM ${mb(res.workerHwm)} MB (idle ${mb(res.workerHwmBefore)}); ${res.accepted}/${res.count} accepted, ${res.arrived} at upstream`);
    if (res.errors.length) log(`  errors: ${res.errors.join(' | ').slice(0, 400)}`);
    return res;
  } catch (e) {
    log(`peak memory test failed: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  } finally {
    while (cleanups.length > mark) await Promise.resolve(cleanups.pop()!()).catch((e) => log(`cleanup: ${String(e)}`));
  }
}

async function primitivesRun(o: Options, scratch: string): Promise<PrimitiveResult[]> {
  const mark = cleanups.length;
  try {
    const ours = new OursInstance({ root: ROOT, dir: join(scratch, 'primitives'), dbName: `mc_bench_${process.pid}_prim`, domain: DOMAIN, mailbox: MAILBOX, upstreamPort: 1 });
    cleanups.push(() => ours.tearDown());
    await ours.setUp();
    const ids = await withPg(ours.dbUrl, async (c) => (await c.query(`SELECT tenant_id, id FROM mailboxes LIMIT 1`)).rows[0] as { tenant_id: string; id: string });
    log(`per-message primitives, ${o.primitivesOps} each at concurrency 1 and 20 (load ${loadavg()})`);
    const res = await measurePrimitives({ dataDir: join(scratch, 'primitives', 'data'), dbUrl: ours.dbUrl, redisUrl: ours.env.REDIS_URL as string, tenantId: ids.tenant_id, mailboxId: ids.id, ops: o.primitivesOps });
    for (const r of res) log(`  c=${r.concurrency} ${r.name}: ${fmt(r.perSec)}/s, p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms`);
    return res;
  } catch (e) {
    log(`primitives failed: ${e instanceof Error ? e.message : String(e)}`);
    return [];
  } finally {
    while (cleanups.length > mark) await Promise.resolve(cleanups.pop()!()).catch((e) => log(`cleanup: ${String(e)}`));
  }
}

const mb = (b: number) => fmt(b / 1048576);

async function environment(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  env.date = new Date().toISOString();
  env.host = hostname();
  env.cpu = `${cpus().length} × ${cpus()[0]?.model ?? '?'}`;
  env.memory = `${fmt(totalmem() / 1073741824, 1)} GiB`;
  env.kernel = release();
  env.node = process.version;
  env.loadavgAtStart = loadavg();
  const pf = await run('/usr/sbin/postconf', ['-d', 'mail_version']);
  env.postfix = pf.stdout.trim().replace(/^mail_version = /, '') || '?';
  const rv = await run('redis-server', ['--version']);
  env.redis = /v=(\S+)/.exec(rv.stdout)?.[1] ?? '?';
  await withPg(PG_ADMIN_URL, async (c) => {
    const get = async (q: string) => {
      const row = (await c.query(q)).rows[0] as Record<string, unknown> | undefined;
      return row ? String(Object.values(row)[0]) : '?';
    };
    env.postgres = await get('SHOW server_version');
    env.pg_fsync = await get('SHOW fsync');
    env.pg_synchronous_commit = await get('SHOW synchronous_commit');
    env.pg_wal_sync_method = await get('SHOW wal_sync_method');
    env.pg_commit_delay = await get('SHOW commit_delay');
    env.pg_full_page_writes = await get('SHOW full_page_writes');
  });
  env.blob_fsync = process.env.BLOB_FSYNC === undefined ? 'true (default)' : process.env.BLOB_FSYNC;
  return env;
}

async function waitQuiet(seconds: number): Promise<void> {
  if (seconds <= 0) return;
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const one = Number(loadavg().split(' ')[0]);
    if (one < 1.0) return;
    log(`waiting for a quiet machine (load ${loadavg()})`);
    await sleep(15000);
  }
}

function report(o: Options, env: Record<string, string>, loads: LoadResult[], pts: PassthroughResult[], rss: RssResult | null, prims: PrimitiveResult[]): string {
  const L: string[] = [];
  const runsNote = o.runs > 1 ? `median (min–max) of ${o.runs} runs` : 'one run';
  L.push(`## Ingest benchmark — ${env.date}`);
  L.push('');
  L.push(`Machine: ${env.cpu}, ${env.memory}, kernel ${env.kernel}; load average at start ${env.loadavgAtStart}, at end ${env.loadavgAtEnd ?? '?'}.`);
  L.push(`Software: Node ${env.node}, Postfix ${env.postfix}, PostgreSQL ${env.postgres}, Redis ${env.redis}.`);
  L.push(`Durability: Postgres fsync=${env.pg_fsync}, synchronous_commit=${env.pg_synchronous_commit}, wal_sync_method=${env.pg_wal_sync_method}, commit_delay=${env.pg_commit_delay}; blob store BLOB_FSYNC=${env.blob_fsync}.`);
  L.push(`Load: smtp-source, ${fmt(o.messages)} messages of ${fmt(o.size)} bytes; "new" = -s 200, one message per connection; "reused" = -s 20 -d. Figures: ${runsNote}.`);
  L.push('');
  L.push('| receiver | load | accepted msg/s | delivered msg/s | dot→250 p50 ms | dot→250 p99 ms | machine CPU busy | machine CPU ms / message |');
  L.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  // Whole machine, load generator and sinks included (and anything else running): comparable between receivers of one run only.
  const cpuPerMessage = (x: LoadResult) => (x.machineBusy * cpus().length * x.deliverWallMs) / o.messages;
  const pick = (r: ReceiverName, l: string) => loads.filter((x) => x.receiver === r && x.load === l);
  for (const r of o.receivers) {
    for (const l of ['new', 'reused', 'new20']) {
      const xs = pick(r, l);
      if (!xs.length) continue;
      const failures = xs.filter((x) => !x.ok || !x.deliveredAll).length;
      L.push(
        `| ${RECEIVER_LABEL[r]} | ${l} | ${fmtSpread(spread(xs.map((x) => x.acceptedPerSec)))} | ${r === 'sink' ? '(= accepted)' : fmtSpread(spread(xs.map((x) => x.deliveredPerSec)))}${failures ? ` ⚠ ${failures} run(s) incomplete` : ''} | ${fmtSpread(spread(xs.map((x) => x.probeP50)), 1)} | ${fmtSpread(spread(xs.map((x) => x.probeP99)), 1)} | ${fmt(spread(xs.map((x) => x.machineBusy * 100)).median)}% | ${fmt(spread(xs.map(cpuPerMessage)).median, 2)} |`,
      );
    }
  }
  L.push('');
  const verdicts: string[] = [];
  const med = (r: ReceiverName, l: string, k: keyof LoadResult) => spread(pick(r, l).map((x) => x[k] as number)).median;
  if (o.receivers.includes('ours') && o.receivers.includes('postfix')) {
    L.push('| ratio ours / Postfix | new | reused |');
    L.push('| --- | ---: | ---: |');
    const row = (name: string, k: keyof LoadResult) => `| ${name} | ${fmt(ratio(med('ours', 'new', k), med('postfix', 'new', k)), 2)}× | ${fmt(ratio(med('ours', 'reused', k), med('postfix', 'reused', k)), 2)}× |`;
    L.push(row('accepted (durable ingest)', 'acceptedPerSec'));
    L.push(row('delivered (sustained pass-through)', 'deliveredPerSec'));
    L.push(row('dot→250 p99 (lower is better)', 'probeP99'));
    if (o.receivers.includes('sink')) L.push(`| ours accepted / smtp-sink | ${fmt(ratio(med('ours', 'new', 'acceptedPerSec'), med('sink', 'new', 'acceptedPerSec')), 2)}× | ${fmt(ratio(med('ours', 'reused', 'acceptedPerSec'), med('sink', 'reused', 'acceptedPerSec')), 2)}× |`);
    L.push('');
    const both = (k: keyof LoadResult, test: (x: number) => boolean) => ['new', 'reused'].map((l) => ratio(med('ours', l, k), med('postfix', l, k))).map((x) => [x, Number.isFinite(x) && test(x)] as const);
    const line = (name: string, k: keyof LoadResult, target: string, test: (x: number) => boolean) => {
      const rs = both(k, test);
      verdicts.push(`- ${name} ${target}: new ${fmt(rs[0][0], 2)}×, reused ${fmt(rs[1][0], 2)}× — ${rs.every((x) => x[1]) ? 'met' : 'NOT met'}`);
    };
    line('sustained pass-through (delivered) ours/Postfix', 'deliveredPerSec', '≥ 1.0×', (x) => x >= 1.0);
    line('durable ingest (accepted) ours/Postfix', 'acceptedPerSec', '≥ 1.5×', (x) => x >= 1.5);
    line('p99 dot→250 ours/Postfix', 'probeP99', '< 1.0× (below Postfix)', (x) => x < 1.0);
  }
  const cpuRows = loads.filter((x) => x.cpuMsPerMessage);
  if (cpuRows.length) {
    L.push('Where our CPU goes (CPU ms per message from the start of a load until all were delivered; median over runs):');
    L.push('');
    L.push('| receiver | load | mx | worker | Postgres (our backends + WAL writer) | Redis | machine CPU busy | Postgres transactions / message | rows written / message | WAL KB / message (whole server) |');
    L.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of o.receivers) {
      for (const l of ['new', 'reused', 'new20']) {
        const xs = cpuRows.filter((x) => x.receiver === r && x.load === l);
        if (!xs.length) continue;
        const m = (k: string) => fmt(spread(xs.map((x) => x.cpuMsPerMessage![k])).median, 2);
        const g = (f: (p: Record<string, number>) => number, d = 1) => fmt(spread(xs.map((x) => (x.pgPerMessage ? f(x.pgPerMessage) : NaN))).median, d);
        L.push(
          `| ${RECEIVER_LABEL[r]} | ${l} | ${m('mx')} | ${m('worker')} | ${m('postgres')} | ${m('redis')} | ${fmt(spread(xs.map((x) => x.machineBusy * 100)).median)}% | ${g((p) => p.commits)} | ${g((p) => p.inserted + p.updated + p.deleted)} | ${g((p) => p.wal_bytes / 1024)} |`,
        );
      }
    }
    L.push('');
  }
  if (pts.length) {
    L.push(`Pass-through latency (our 250 → the upstream has it), ${o.passthroughRate} msg/s offered for ${o.passthroughSeconds} s, ${runsNote}:`);
    L.push('');
    L.push('| receiver | p50 ms | p99 ms | max ms | arrived / accepted | dot→250 p99 ms |');
    L.push('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of ['postfix', 'ours'] as const) {
      const xs = pts.filter((x) => x.receiver === r);
      if (!xs.length) continue;
      L.push(`| ${r === 'ours' ? 'ours' : 'Postfix'} | ${fmtSpread(spread(xs.map((x) => x.p50)), 1)} | ${fmtSpread(spread(xs.map((x) => x.p99)), 1)} | ${fmtSpread(spread(xs.map((x) => x.max)), 1)} | ${xs.map((x) => `${x.arrived}/${x.accepted}`).join(', ')} | ${fmtSpread(spread(xs.map((x) => x.dotP99)), 1)} |`);
    }
    L.push('');
    const ours = spread(pts.filter((x) => x.receiver === 'ours').map((x) => x.p99));
    if (ours.n) verdicts.push(`- pass-through p99 < 1 s at ${o.passthroughRate} msg/s: ${fmt(ours.median, 1)} ms (worst run ${fmt(ours.max, 1)} ms) — ${ours.max < 1000 && pts.filter((x) => x.receiver === 'ours').every((x) => x.arrived === x.accepted && x.accepted === x.sent) ? 'met' : 'NOT met'}`);
  }
  if (rss) {
    L.push(`Peak memory while receiving ${rss.count} concurrent messages of ${mb(rss.bytes)} MB (fresh processes; VmHWM): mx ${mb(rss.mxHwm)} MB (idle ${mb(rss.mxHwmBefore)} MB), worker ${mb(rss.workerHwm)} MB (idle ${mb(rss.workerHwmBefore)} MB), together ${mb(rss.mxHwm + rss.workerHwm)} MB; ${rss.accepted}/${rss.count} accepted, ${rss.arrived} at the upstream, in ${fmt(rss.elapsedMs / 1000, 1)} s.`);
    L.push('');
    verdicts.push(`- relay RSS < 300 MB with ${rss.count} × ${mb(rss.bytes)} MB: mx ${mb(rss.mxHwm)} MB${rss.accepted === rss.count ? '' : ` (only ${rss.accepted} accepted)`} — ${rss.mxHwm < 300 * 1048576 && rss.accepted === rss.count ? 'met' : 'NOT met'} (worker ${mb(rss.workerHwm)} MB)`);
  }
  if (prims.length) {
    L.push(`Per-message primitives without SMTP (${o.primitivesOps} operations each; same durability settings):`);
    L.push('');
    L.push('| primitive | concurrency | ops/s | p50 ms | p99 ms |');
    L.push('| --- | ---: | ---: | ---: | ---: |');
    for (const p of prims) L.push(`| ${p.name} | ${p.concurrency} | ${fmt(p.perSec)} | ${fmt(p.p50Ms, 2)} | ${fmt(p.p99Ms, 2)} |`);
    L.push('');
  }
  if (verdicts.length) {
    L.push('Targets:');
    L.push('');
    L.push(...verdicts);
    L.push('');
  }
  return L.join('\n');
}

async function main(): Promise<void> {
  const from = process.argv.indexOf('--report-from');
  if (from >= 0) {
    // Re-render a saved run's report (e.g. after the report's layout changed).
    const saved = JSON.parse(readFileSync(process.argv[from + 1], 'utf8'));
    process.stdout.write(`${report(saved.options, saved.environment, saved.loads, saved.passthrough ?? [], saved.rss ?? null, saved.primitives ?? [])}\n`);
    return;
  }
  const o = parseArgs(process.argv.slice(2));
  const scratch = mkdtempSync(join(tmpdir(), 'mc-bench-'));
  chmodSync(scratch, 0o755); // Postfix's daemons run as user postfix
  cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      log(`${sig}: stopping and cleaning up`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  const oursAvailable = existsSync(join(ROOT, 'dist/apps/mx/src/main.js')) && existsSync(join(ROOT, 'dist/apps/worker/src/main.js'));
  if (o.receivers.some(isOurs) && !oursAvailable) log('dist/apps/mx or dist/apps/worker is missing: (c) is skipped');
  await waitQuiet(o.waitQuietSeconds);
  const env = await environment();
  log(`apps from ${join(ROOT, 'dist')}`);
  log(`durability: Postgres fsync=${env.pg_fsync} synchronous_commit=${env.pg_synchronous_commit}; BLOB_FSYNC=${env.blob_fsync}; load ${env.loadavgAtStart}`);
  const loads: LoadResult[] = [];
  const pts: PassthroughResult[] = [];
  let rss: RssResult | null = null;
  for (let runNo = 1; runNo <= o.runs; runNo++) {
    loads.push(...(await throughputRun(o, scratch, runNo, oursAvailable)));
    if (o.passthroughSeconds > 0) {
      for (const r of ['postfix', 'ours'] as const) {
        if (!o.receivers.includes(r) || (r === 'ours' && !oursAvailable)) continue;
        const p = await passthroughRun(o, scratch, runNo, r);
        if (p) pts.push(p);
      }
    }
  }
  if (o.rssCount > 0 && o.receivers.includes('ours') && oursAvailable) rss = await rssRun(o, scratch);
  const prims = o.primitivesOps > 0 && existsSync(join(ROOT, 'dist/libs/database/src/migrate.js')) ? await primitivesRun(o, scratch) : [];
  env.loadavgAtEnd = loadavg();
  const text = report(o, env, loads, pts, rss, prims);
  process.stdout.write(`\n${text}\n`);
  const jsonPath = o.json ?? join(REPO, 'bench', 'results', `ingest-${env.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(jsonPath, '..'), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify({ options: o, environment: env, loads, passthrough: pts, rss, primitives: prims, report: text }, null, 2));
  log(`results: ${jsonPath}`);
}

main()
  .catch((e) => {
    log(`failed: ${e instanceof Error ? e.stack : String(e)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanUp());
