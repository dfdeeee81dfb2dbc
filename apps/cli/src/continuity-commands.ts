import { Command, InvalidArgumentError } from 'commander';
import { userInfo } from 'node:os';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { Metrics } from '@app/observability';
import { Queues } from '@app/queues';
import { NodeDnsTxtLookup, TenantsService } from '@app/tenants';
import {
  BREAKER_OVERRIDES,
  BreakerOverride,
  CONTINUITY_POLICIES,
  ContinuityMetrics,
  ContinuityPolicyKind,
  ContinuityService,
  ContinuitySettingsPatch,
  TenantAdminsService,
  TransitionRecord,
  UPSTREAM_KINDS,
  UpstreamHealthStore,
  UpstreamKind,
} from '@app/continuity';
import { oneOf, parseDuration, parseInteger } from './cli-arguments';
import { Output, table } from './cli-output';

type Opts = Record<string, unknown> & { json?: boolean };

interface ContinuityServices {
  tenants: TenantsService;
  continuity: ContinuityService;
  admins: TenantAdminsService;
  health: UpstreamHealthStore;
}

/**
 * The continuity services on one DataSource, and on Redis only for commands
 * that commit a transition (its effects job is enqueued at once; if Redis is
 * unreachable the worker's sweeper enqueues it a few seconds later).
 */
class ContinuityCliContext {
  private ds: DataSource | null = null;
  private queues: Queues | null = null;

  async open(withQueues: boolean): Promise<ContinuityServices> {
    const cfg = loadConfig();
    this.ds = await createDataSource({ DATABASE_URL: cfg.DATABASE_URL, DATABASE_POOL_SIZE: 2 }, 'cli').initialize();
    this.queues = withQueues ? await readyQueues(cfg) : (null as unknown as Queues);
    // Log lines go to stderr so that stdout stays the command's result.
    const logger = pino({ level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'warn', base: { app: 'cli' } }, pino.destination(2));
    const health = new UpstreamHealthStore(this.ds);
    const continuity = new ContinuityService(this.ds, health, this.queues as Queues, new ContinuityMetrics(new Metrics('cli')), logger);
    return { tenants: new TenantsService(this.ds, new NodeDnsTxtLookup()), continuity, admins: new TenantAdminsService(this.ds), health };
  }

  async close(): Promise<void> {
    await this.queues?.onApplicationShutdown().catch(() => undefined);
    if (this.ds?.isInitialized) await this.ds.destroy();
    this.ds = null;
    this.queues = null;
  }
}

async function readyQueues(cfg: AppConfig): Promise<Queues> {
  const queues = new Queues(cfg);
  if (queues.connection.status !== 'ready') {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      queues.connection.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  return queues;
}

function action<A extends unknown[]>(withQueues: boolean, fn: (out: Output, s: ContinuityServices, opts: Opts, ...args: A) => Promise<void>) {
  return async (...params: unknown[]) => {
    const cmd = params[params.length - 1] as Command;
    const opts = cmd.optsWithGlobals() as Opts;
    const args = params.slice(0, -2) as A;
    const ctx = new ContinuityCliContext();
    try {
      await fn(new Output(!!opts.json), await ctx.open(withQueues), opts, ...args);
    } finally {
      await ctx.close();
    }
  };
}

function defaultActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

function transitionLine(t: TransitionRecord): string {
  return `${t.fromMode} → ${t.toMode} (${t.event}) by ${t.actor} at ${t.createdAt.toISOString()}${t.reason ? `: ${t.reason}` : ''}`;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** 'none' stays a string here: commander replaces a parser's null with a default. */
const NONE = 'none';

function durationOrNone(value: string): number | typeof NONE {
  return value === NONE ? NONE : parseDuration(value);
}

function noneToNull<T>(value: T | typeof NONE | undefined): T | null | undefined {
  return value === NONE ? null : value;
}

function onOff(value: string): boolean {
  if (['on', 'true', 'yes'].includes(value)) return true;
  if (['off', 'false', 'no'].includes(value)) return false;
  throw new InvalidArgumentError('must be on or off');
}

export function registerContinuityCommands(program: Command): void {
  const c = program.command('continuity').description('continuity mode: status, activation, drills, detection settings, tenant admins, circuit breaker');
  const reasonOpts = (cmd: Command) => cmd.requiredOption('--reason <text>', 'why (stored in the audit log and told to the tenant admins)').option('--actor <who>', 'who is acting (default: cli:<your user name>)');

  c.command('status')
    .description("a tenant's mode, policy, upstream evidence and the circuit breaker")
    .argument('<tenant>', 'slug or id')
    .action(
      action(false, async (out, s, _o, ref: string) => {
        const t = await s.tenants.findTenant(ref);
        const st = await s.continuity.status(t.id);
        const p = st.tenant.policy;
        const ev = st.evidence;
        out.result(st, [
          `${st.tenant.slug}: ${st.tenant.mode.toUpperCase()}${st.tenant.modeChangedAt ? ` since ${st.tenant.modeChangedAt.toISOString()}` : ''}`,
          `policy ${p.kind}${st.tenant.chosenPolicy ? '' : ` (default for ${st.tenant.upstreamKind})`}: down after ${p.failureThreshold} failures over ≥ ${p.failureWindowSeconds}s, probe every ${st.tenant.probeIntervalSeconds}s, hysteresis ${p.hysteresisSeconds}s, switch-back ${p.autoSwitchBack ? `after ${p.healthyBeforeSwitchBackSeconds}s healthy` : 'by an admin'}${p.kind === 'confirm' ? `, confirm timeout ${p.confirmTimeoutSeconds === null ? 'none' : `${p.confirmTimeoutSeconds}s`}` : ''}${st.tenant.canaryAddress ? `, canary ${st.tenant.canaryAddress}` : ''}`,
          ...(st.tenant.activationRequestedAt ? [`ACTIVATION WAITING FOR CONFIRMATION since ${st.tenant.activationRequestedAt.toISOString()} (npm run cli -- continuity confirm ${st.tenant.slug} --reason …)`] : []),
          `evidence: ${!ev ? 'none yet' : ev.kind === 'healthy' ? `healthy since ${ev.since.toISOString()}` : `failing: ${ev.consecutiveFailures} consecutive since ${ev.firstFailureAt.toISOString()}`}`,
          ...table(
            ['UPSTREAM', 'STATE', 'FAILURES', 'SINCE', 'LAST'],
            st.upstreams.map((u) => [`${u.host}:${u.port}`, u.lastOk === null ? 'unknown' : u.lastOk ? 'healthy' : 'failing', u.consecutiveFailures, (u.lastOk ? u.healthySince : u.firstFailureAt)?.toISOString(), u.lastDetail]),
          ),
          `circuit breaker: ${st.breaker.tripped ? 'TRIPPED (automatic activations paused)' : 'closed'} — ${st.breaker.failingTenants} of ${st.breaker.tenantsWithUpstreams} tenants failing, override ${st.breaker.override}`,
          ...st.recentTransitions.slice(0, 3).map((r) => `  ${transitionLine(r)}`),
        ]);
      }),
    );

  const transition = (name: string, description: string, run: (s: ContinuityServices, tenantId: string, actor: string, reason: string) => Promise<TransitionRecord>) =>
    reasonOpts(c.command(name).description(description).argument('<tenant>', 'slug or id')).action(
      action(true, async (out, s, o, ref: string) => {
        const t = await s.tenants.findTenant(ref);
        const r = await run(s, t.id, (o.actor as string) ?? defaultActor(), o.reason as string);
        out.result(r, `${t.slug}: ${transitionLine(r)}`);
      }),
    );
  transition('activate', 'put the tenant into continuity mode now (admins override hysteresis and the circuit breaker)', (s, id, a, r) => s.continuity.activate(id, a, r));
  transition('confirm', 'confirm an activation the confirm policy asked for', (s, id, a, r) => s.continuity.confirm(id, a, r));
  transition('end', 'end the event: replay held mail to Exchange, then back to normal', (s, id, a, r) => s.continuity.end(id, a, r));

  const drill = c.command('drill').description('a rehearsal: webmail and credentials for chosen mailboxes while delivery to Exchange goes on');
  reasonOpts(
    drill
      .command('start')
      .description('start a drill for some mailboxes')
      .argument('<tenant>', 'slug or id')
      .requiredOption('--mailbox <address|id...>', 'mailboxes taking part (repeat, or separate with commas)', collect),
  ).action(
    action(true, async (out, s, o, ref: string) => {
      const t = await s.tenants.findTenant(ref);
      const r = await s.continuity.startDrill(t.id, o.mailbox as string[], (o.actor as string) ?? defaultActor(), o.reason as string);
      out.result(r, `${t.slug}: ${transitionLine(r)} — ${r.drillMailboxIds?.length ?? 0} mailbox(es)`);
    }),
  );
  drill
    .command('end')
    .description('end the drill')
    .argument('<tenant>', 'slug or id')
    .option('--reason <text>', 'why', 'drill finished')
    .option('--actor <who>', 'who is acting (default: cli:<your user name>)')
    .action(
      action(true, async (out, s, o, ref: string) => {
        const t = await s.tenants.findTenant(ref);
        const r = await s.continuity.endDrill(t.id, (o.actor as string) ?? defaultActor(), o.reason as string);
        out.result(r, `${t.slug}: ${transitionLine(r)}`);
      }),
    );

  c.command('history')
    .description('the audit log of continuity transitions, newest first')
    .argument('<tenant>', 'slug or id')
    .option('--limit <n>', 'how many', parseInteger, 50)
    .action(
      action(false, async (out, s, o, ref: string) => {
        const t = await s.tenants.findTenant(ref);
        const rows = await s.continuity.history(t.id, o.limit as number);
        out.result(
          rows,
          rows.length
            ? table(['WHEN', 'FROM', 'TO', 'EVENT', 'ACTOR', 'EFFECTS', 'REASON'], rows.map((r) => [r.createdAt.toISOString(), r.fromMode, r.toMode, r.event, r.actor, r.effectsCompletedAt ? 'done' : r.effectsError ? `failing: ${r.effectsError}` : 'pending', r.reason]))
            : `${t.slug}: no transitions yet`,
        );
      }),
    );

  c.command('settings')
    .description("show or change a tenant's continuity policy and detection settings")
    .argument('<tenant>', 'slug or id')
    .option('--upstream-kind <kind>', UPSTREAM_KINDS.join(' | '), oneOf(...UPSTREAM_KINDS))
    .option('--policy <policy>', `${CONTINUITY_POLICIES.join(' | ')} | default (confirm for exchange-online, automatic otherwise)`, oneOf(...CONTINUITY_POLICIES, 'default'))
    .option('--probe-interval <duration>', 'how often each upstream is probed (default 30s)', parseDuration)
    .option('--failure-threshold <n>', 'consecutive failures before the upstream counts as down (default 4)', parseInteger)
    .option('--failure-window <duration>', '…spanning at least this long (default 2m)', parseDuration)
    .option('--hysteresis <duration>', 'at least this long between automatic transitions (default 10m)', parseDuration)
    .option('--auto-switch-back <on|off>', 'end the event by itself once the upstream is healthy again', onOff)
    .option('--healthy-before-switch-back <duration>', 'how long healthy before switching back (default 15m)', parseDuration)
    .option('--confirm-timeout <duration|none>', 'confirm policy: activate when no admin answered within this', durationOrNone)
    .option('--canary <address|none>', 'probe with RCPT TO this address after EHLO', (v: string) => v)
    .action(
      action(false, async (out, s, o, ref: string) => {
        const t = await s.tenants.findTenant(ref);
        const patch: ContinuitySettingsPatch = {
          upstreamKind: o.upstreamKind as UpstreamKind | undefined,
          policy: o.policy === undefined ? undefined : o.policy === 'default' ? null : (o.policy as ContinuityPolicyKind),
          probeIntervalSeconds: o.probeInterval as number | undefined,
          failureThreshold: o.failureThreshold as number | undefined,
          failureWindowSeconds: o.failureWindow as number | undefined,
          hysteresisSeconds: o.hysteresis as number | undefined,
          autoSwitchBack: o.autoSwitchBack as boolean | undefined,
          healthyBeforeSwitchBackSeconds: o.healthyBeforeSwitchBack as number | undefined,
          confirmTimeoutSeconds: noneToNull(o.confirmTimeout as number | typeof NONE | undefined),
          canaryAddress: noneToNull(o.canary as string | undefined),
        };
        const r = await s.continuity.updateSettings(t.id, patch);
        out.result({ upstreamKind: r.upstreamKind, chosenPolicy: r.chosenPolicy, policy: r.policy, probeIntervalSeconds: r.probeIntervalSeconds, canaryAddress: r.canaryAddress }, [
          `${r.slug}: upstream kind ${r.upstreamKind}, policy ${r.policy.kind}${r.chosenPolicy ? '' : ' (default)'}`,
          `probe every ${r.probeIntervalSeconds}s${r.canaryAddress ? ` with canary RCPT ${r.canaryAddress}` : ''}; down after ${r.policy.failureThreshold} failures over ≥ ${r.policy.failureWindowSeconds}s; hysteresis ${r.policy.hysteresisSeconds}s`,
          `switch-back: ${r.policy.autoSwitchBack ? `automatic after ${r.policy.healthyBeforeSwitchBackSeconds}s healthy` : 'by an admin'}; confirm timeout: ${r.policy.confirmTimeoutSeconds === null ? 'none' : `${r.policy.confirmTimeoutSeconds}s`}`,
        ]);
      }),
    );

  const breaker = c.command('breaker').description('the global circuit breaker that pauses automatic activations when most tenants fail at once');
  breaker
    .command('status')
    .description('state, counts and override')
    .action(
      action(false, async (out, s) => {
        const b = await s.health.breaker();
        const tripped = b.override === 'force-open' || (b.override === 'auto' && b.state === 'open');
        out.result({ ...b, tripped }, [
          `circuit breaker: ${tripped ? 'TRIPPED — automatic activations paused' : 'closed — automatic activations allowed'}`,
          `automatic state ${b.state}${b.trippedAt ? ` (last tripped ${b.trippedAt.toISOString()})` : ''}: ${b.failingTenants} of ${b.tenantsWithUpstreams} tenants failing at ${b.updatedAt.toISOString()}`,
          `override: ${b.override}${b.reason ? ` (${b.reason})` : ''}${b.overrideBy ? ` set by ${b.overrideBy}${b.overrideAt ? ` at ${b.overrideAt.toISOString()}` : ''}` : ''}`,
        ]);
      }),
    );
  breaker
    .command('override')
    .description('force the breaker open or closed, or give it back to the automatic count')
    .argument('<override>', BREAKER_OVERRIDES.join(' | '), oneOf(...BREAKER_OVERRIDES))
    .requiredOption('--reason <text>', 'why (shown in status)')
    .action(
      action(false, async (out, s, o, override: BreakerOverride) => {
        const b = await s.health.setBreakerOverride(override, o.reason as string, defaultActor());
        out.result(b, `circuit breaker override: ${b.override} (${b.reason})`);
      }),
    );

  const admin = c.command('admin').description("the tenant's admins: they hear about every transition (SMS and e-mail) and may confirm activations");
  admin
    .command('add')
    .description('add an admin')
    .argument('<tenant>', 'slug or id')
    .requiredOption('--name <name>', 'full name')
    .option('--mobile <e164>', 'mobile number in E.164 form, e.g. +491701234567')
    .option('--email <address>', 'an address outside the tenant’s own Exchange')
    .option('--language <lang>', 'en | de', oneOf('en', 'de'), 'en')
    .action(
      action(false, async (out, s, o, ref: string) => {
        const t = await s.tenants.findTenant(ref);
        const a = await s.admins.add(t.id, { name: o.name as string, mobileE164: (o.mobile as string) ?? null, email: (o.email as string) ?? null, language: o.language as 'en' | 'de' });
        out.result(a, `${t.slug}: admin ${a.name} added (${[a.mobileE164, a.email].filter(Boolean).join(', ')}, ${a.language})`);
      }),
    );
  admin
    .command('list')
    .description("list the tenant's admins")
    .argument('<tenant>', 'slug or id')
    .action(
      action(false, async (out, s, _o, ref: string) => {
        const t = await s.tenants.findTenant(ref);
        const rows = await s.admins.list(t.id);
        out.result(rows, rows.length ? table(['NAME', 'MOBILE', 'EMAIL', 'LANG', 'ID'], rows.map((a) => [a.name, a.mobileE164, a.email, a.language, a.id])) : `${t.slug}: no admins yet`);
      }),
    );
  admin
    .command('remove')
    .description('remove an admin')
    .argument('<tenant>', 'slug or id')
    .argument('<admin>', 'id, e-mail or mobile number')
    .action(
      action(false, async (out, s, _o, ref: string, adminRef: string) => {
        const t = await s.tenants.findTenant(ref);
        const a = await s.admins.remove(t.id, adminRef);
        out.result(a, `${t.slug}: admin ${a.name} removed`);
      }),
    );
}
