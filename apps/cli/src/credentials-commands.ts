import { Command } from 'commander';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { Queues } from '@app/queues';
import { DirectoryError } from '@app/tenants/tenants.errors';
import { outboxPath, readOutbox, SmsQueue, SmsStore } from '@app/sms';
import { parseInteger } from './cli-arguments';
import { Output, table } from './cli-output';

type Opts = Record<string, unknown> & { json?: boolean };

/** A DataSource and the SMS queue for one command; Redis is optional (the worker's sweeper enqueues what it misses). */
async function withSms<T>(fn: (ds: DataSource, sms: SmsQueue, cfg: AppConfig) => Promise<T>): Promise<T> {
  const cfg = loadConfig();
  const ds = await createDataSource({ DATABASE_URL: cfg.DATABASE_URL, DATABASE_POOL_SIZE: 2 }, 'cli').initialize();
  const queues = new Queues(cfg);
  try {
    return await fn(ds, new SmsQueue(new SmsStore(ds), queues), cfg);
  } finally {
    await queues.onApplicationShutdown();
    await ds.destroy();
  }
}

async function tenantRef(ds: DataSource, ref: string): Promise<{ id: string; slug: string }> {
  const rows = await ds.query(`SELECT id, slug FROM tenants WHERE slug = $1 OR id::text = $1`, [ref]);
  if (!rows[0]) throw new DirectoryError('tenant_not_found', 'not_found', `no tenant with slug or id "${ref}"`);
  return rows[0];
}

/** Mailbox ids for --mailbox / --group / --all (null: all), and how many of them have no mobile number. */
async function targetMailboxes(ds: DataSource, tenantId: string, o: Opts): Promise<{ ids: string[] | null; total: number; withoutMobile: number }> {
  const chosen = [o.mailbox, o.group, o.all].filter(Boolean).length;
  if (chosen !== 1) throw new DirectoryError('usage', 'invalid', 'name exactly one of --mailbox, --group or --all');
  let rows: { id: string; mobile: string | null }[];
  if (o.mailbox) {
    rows = await ds.query(`SELECT id, mobile_e164 AS mobile FROM mailboxes WHERE tenant_id = $1 AND address = lower($2) AND status = 'active' AND kind = 'user'`, [tenantId, o.mailbox]);
    if (!rows.length) throw new DirectoryError('mailbox_not_found', 'not_found', `no active user mailbox "${o.mailbox}" in this tenant`);
  } else if (o.group) {
    const g = await ds.query(`SELECT id FROM distribution_groups WHERE tenant_id = $1 AND address = lower($2)`, [tenantId, o.group]);
    if (!g.length) throw new DirectoryError('group_not_found', 'not_found', `no group "${o.group}" in this tenant`);
    rows = await ds.query(
      `SELECT m.id, m.mobile_e164 AS mobile FROM group_members gm JOIN mailboxes m ON m.id = gm.mailbox_id
        WHERE gm.group_id = $1 AND m.status = 'active' AND m.kind = 'user'`,
      [g[0].id],
    );
  } else {
    rows = await ds.query(`SELECT id, mobile_e164 AS mobile FROM mailboxes WHERE tenant_id = $1 AND status = 'active' AND kind = 'user'`, [tenantId]);
  }
  return { ids: o.all ? null : rows.map((r) => r.id), total: rows.length, withoutMobile: rows.filter((r) => !r.mobile).length };
}

/** Seconds until every pending text is handed over, at the sender's sustained rate (segments per second). */
export function estimateSmsDrainSeconds(pendingTexts: number, segmentsPerText: number, segmentsPerSecond: number): number {
  return Math.ceil((pendingTexts * segmentsPerText) / segmentsPerSecond);
}

export function registerCredentialsCommands(program: Command): void {
  const credentials = program.command('credentials').description('one-time webmail credentials by SMS');
  credentials
    .command('send')
    .description('text a new one-time code and sign-in link (replaces any unused one)')
    .requiredOption('--tenant <slug>', 'tenant slug or id')
    .option('--mailbox <address>', 'one mailbox')
    .option('--group <address>', 'the members of a distribution group')
    .option('--all', 'every active user mailbox')
    .action(async (_o: Opts, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const out = new Output(!!o.json);
      await withSms(async (ds, sms) => {
        const tenant = await tenantRef(ds, o.tenant as string);
        const target = await targetMailboxes(ds, tenant.id, o);
        const queued = target.ids && !target.ids.length ? [] : await sms.queueForMailboxes(tenant.id, 'credentials', { mailboxIds: target.ids, params: { reason: 'request' } });
        out.result(
          { tenant: tenant.slug, queued: queued.length, mailboxes: target.total, withoutMobile: target.withoutMobile },
          [`queued ${queued.length} credentials text(s) for ${tenant.slug}`, ...(target.withoutMobile ? [`${target.withoutMobile} mailbox(es) have no mobile number and get nothing`] : [])],
        );
      });
    });

  const sms = program.command('sms').description('texts sent by the service');
  sms
    .command('outbox')
    .description('texts recorded by SMS_DRIVER=outbox (the demo), newest last')
    .option('--limit <n>', 'show the last n texts', parseInteger, 20)
    .option('--to <e164>', 'only texts to this number')
    .action(async (_o: Opts, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const out = new Output(!!o.json);
      const cfg = loadConfig();
      const all = await readOutbox(outboxPath(cfg.DATA_DIR));
      const shown = all.filter((e) => !o.to || e.to === o.to).slice(-(o.limit as number));
      out.result(shown, shown.length ? shown.map((e) => `${e.at}  ${e.to}  ${e.body}`) : `no texts in ${outboxPath(cfg.DATA_DIR)}`);
    });
  sms
    .command('status')
    .description("a tenant's texts by kind and state, and the time until the pending ones are handed over")
    .requiredOption('--tenant <slug>', 'tenant slug or id')
    .action(async (_o: Opts, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const out = new Output(!!o.json);
      await withSms(async (ds, _sms, cfg) => {
        const tenant = await tenantRef(ds, o.tenant as string);
        const rows: { kind: string; state: string; n: string }[] = await ds.query(`SELECT kind, state, count(*) AS n FROM sms_messages WHERE tenant_id = $1 GROUP BY kind, state ORDER BY kind, state`, [tenant.id]);
        const pending = rows.filter((r) => r.state === 'queued' || r.state === 'sending').reduce((a, r) => a + Number(r.n), 0);
        const etaSeconds = estimateSmsDrainSeconds(pending, 2, cfg.SMS_SENDER_SEGMENTS_PER_SECOND);
        out.result({ tenant: tenant.slug, counts: rows.map((r) => ({ ...r, n: Number(r.n) })), pending, etaSeconds }, [
          ...table(['kind', 'state', 'texts'], rows.map((r) => [r.kind, r.state, r.n])),
          `pending: ${pending}; all handed over in about ${etaSeconds} s at ${cfg.SMS_SENDER_SEGMENTS_PER_SECOND} segment(s)/s (2 segments per text)`,
        ]);
      });
    });
}
