import { Command } from 'commander';
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { migrate } from '@app/database/migrate';
import { TenantDomain, Upstream } from '@app/tenants';
import { Mailbox, MailboxPatch } from '@app/mailboxes';
import { oneOf, parseDuration, parseInteger } from './cli-arguments';
import { CliContext } from './cli-context';
import { ExitCode, Output, table } from './cli-output';

type Opts = Record<string, unknown> & { json?: boolean };

/** Wraps an action so it gets the output printer and the services. */
function action<A extends unknown[]>(ctx: CliContext, fn: (out: Output, services: Awaited<ReturnType<CliContext['open']>>, opts: Opts, ...args: A) => Promise<void>) {
  return async (...params: unknown[]) => {
    const cmd = params[params.length - 1] as Command;
    const opts = cmd.optsWithGlobals() as Opts;
    const args = params.slice(0, -2) as A;
    await fn(new Output(!!opts.json), await ctx.open(), opts, ...args);
  };
}

function domainLine(d: TenantDomain): string {
  return `${d.name}  ${d.verifiedAt ? `verified (${d.verifiedBy}, ${d.verifiedAt.toISOString()})` : 'NOT verified'}`;
}

function upstreamLine(u: Upstream): string {
  return `${u.host}:${u.port}  priority ${u.priority}  tls ${u.tlsPolicy}${u.privateAddressAllowed ? '  private address approved' : ''}`;
}

function mailboxLine(m: Mailbox): string {
  return [m.address, m.displayName && `"${m.displayName}"`, m.mobileE164, m.alternateEmail && `alt ${m.alternateEmail}`, m.status !== 'active' && m.status, m.kind !== 'user' && m.kind].filter(Boolean).join('  ');
}

export function registerCommands(program: Command, ctx: CliContext, setExitCode: (code: number) => void): void {
  program
    .command('migrate')
    .description('create the database if missing and apply pending migrations')
    .action(async (_opts: Opts, cmd: Command) => {
      const out = new Output(!!cmd.optsWithGlobals().json);
      const applied = await migrate();
      out.result({ applied }, applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    });

  const tenant = program.command('tenant').description('tenants (one customer company each)');
  tenant
    .command('create')
    .description('create a tenant')
    .requiredOption('--name <name>', 'company name')
    .option('--slug <slug>', 'short identifier used by every other command (default: from the name)')
    .option('--unknown-recipients <policy>', 'reject: 550 5.1.1 for addresses not in the directory; passthrough: accept them after an RCPT callout to the upstream', oneOf('reject', 'passthrough'), 'reject')
    .option('--delivery-lifetime <duration>', 'how long temporarily failing deliveries are retried before a DSN (e.g. 5d, 12h)', parseDuration)
    .option('--rolling-window <days>', 'days of mail kept in the standby mailboxes', parseInteger)
    .action(
      action(ctx, async (out, { tenants }, o) => {
        const t = await tenants.createTenant({
          name: o.name as string,
          slug: o.slug as string | undefined,
          unknownRecipientPolicy: o.unknownRecipients as 'reject' | 'passthrough',
          deliveryLifetimeSeconds: o.deliveryLifetime as number | undefined,
          rollingWindowDays: o.rollingWindow as number | undefined,
        });
        out.result(t, [`created tenant ${t.slug} (${t.id})`, `next: npm run cli -- domain add ${t.slug} <domain>`]);
      }),
    );
  tenant
    .command('list')
    .description('list tenants')
    .action(
      action(ctx, async (out, { tenants }) => {
        const rows = await tenants.listTenants();
        out.result(rows, rows.length ? table(['SLUG', 'NAME', 'MODE', 'UNKNOWN RCPT', 'LIFETIME', 'WINDOW', 'ID'], rows.map((t) => [t.slug, t.name, t.mode, t.unknownRecipientPolicy, `${t.deliveryLifetimeSeconds}s`, `${t.rollingWindowDays}d`, t.id])) : 'no tenants yet');
      }),
    );
  tenant
    .command('show')
    .description('a tenant with its domains, upstreams and directory')
    .argument('<tenant>', 'slug or id')
    .action(
      action(ctx, async (out, { tenants, mailboxes }, _o, ref: string) => {
        const o = await tenants.overview(ref);
        const [boxes, aliases, groups] = await Promise.all([mailboxes.listMailboxes(ref), mailboxes.listAliases(ref), mailboxes.listGroups(ref)]);
        const byId = new Map(boxes.map((m) => [m.id, m.address]));
        out.result({ ...o, mailboxes: boxes, aliases, groups }, [
          `${o.tenant.name} (${o.tenant.slug}, ${o.tenant.id}) mode ${o.tenant.mode}, unknown recipients: ${o.tenant.unknownRecipientPolicy}`,
          'domains:',
          ...o.domains.map((d) => `  ${domainLine(d)}`),
          'upstream groups:',
          ...o.upstreamGroups.flatMap((g) => [`  ${g.name}`, ...g.upstreams.map((u) => `    ${upstreamLine(u)}`)]),
          `mailboxes (${boxes.length}):`,
          ...boxes.map((m) => `  ${mailboxLine(m)}`),
          'aliases:',
          ...aliases.map((a) => `  ${a.address} -> ${byId.get(a.mailboxId)}`),
          'groups:',
          ...groups.map((g) => `  ${g.address}: ${g.members.join(', ')}`),
        ]);
      }),
    );

  const domain = program.command('domain').description("a tenant's mail domains");
  domain
    .command('add')
    .description('register a domain and print the TXT record that proves control of it')
    .argument('<tenant>', 'slug or id')
    .argument('<domain>', 'e.g. example.com')
    .action(
      action(ctx, async (out, { tenants }, _o, ref: string, name: string) => {
        const { domain: d, record, releasedClaim } = await tenants.addDomain(ref, name);
        out.result({ domain: d, record, releasedClaim }, [
          ...(releasedClaim
            ? [`released tenant ${releasedClaim.tenantId}'s claim on ${d.name} (unverified since ${releasedClaim.claimedAt.toISOString()}; deleted ${releasedClaim.mailboxes} mailbox(es), ${releasedClaim.aliases} alias(es), ${releasedClaim.groups} group(s) in it)`]
            : []),
          `added ${d.name} (not verified: mail for it is refused until it is)`,
          'publish this DNS record, then run "domain verify":',
          `  ${record.name}. IN TXT "${record.value}"`,
        ]);
      }),
    );
  domain
    .command('verify')
    .description('look up the TXT record in DNS and mark the domain verified if it is there')
    .argument('<tenant>', 'slug or id')
    .argument('<domain>')
    .action(
      action(ctx, async (out, { tenants }, _o, ref: string, name: string) => {
        const d = await tenants.verifyDomain(ref, name);
        out.result(d, domainLine(d));
      }),
    );
  domain
    .command('mark-verified')
    .description('mark a domain verified without DNS (the operator has checked ownership otherwise)')
    .argument('<tenant>', 'slug or id')
    .argument('<domain>')
    .action(
      action(ctx, async (out, { tenants }, _o, ref: string, name: string) => {
        const d = await tenants.markDomainVerified(ref, name);
        out.result(d, domainLine(d));
      }),
    );

  const upstream = program.command('upstream').description("the tenant's Exchange servers, tried in priority order");
  upstream
    .command('add')
    .description('add an upstream server to a group')
    .argument('<tenant>', 'slug or id')
    .argument('<host>', 'host name or IP address')
    .option('--port <port>', 'SMTP port', parseInteger, 25)
    .option('--priority <n>', 'lower is tried first', parseInteger, 10)
    .option('--tls <policy>', 'verify: STARTTLS with a publicly trusted certificate; pinned: STARTTLS with exactly --pinned-cert; none: plain (laboratories only)', oneOf('verify', 'pinned', 'none'), 'verify')
    .option('--pinned-cert <file>', 'PEM file of the server certificate, for --tls pinned')
    .option('--group <name>', 'upstream group', 'default')
    .action(
      action(ctx, async (out, { tenants }, o, ref: string, host: string) => {
        const pem = o.pinnedCert ? readFileSync(o.pinnedCert as string, 'utf8') : undefined;
        // The CLI is the operator's tool: a private address given here (a VPN-connected server) is approved as such.
        const u = await tenants.addUpstream(ref, { host, port: o.port as number, priority: o.priority as number, tlsPolicy: o.tls as 'verify' | 'pinned' | 'none', pinnedCertPem: pem, group: o.group as string }, { byOperator: true });
        out.result(u, `added upstream ${upstreamLine(u)} to group ${o.group as string}`);
      }),
    );
  upstream
    .command('group-add')
    .description('create another upstream group (every tenant starts with "default")')
    .argument('<tenant>', 'slug or id')
    .argument('<name>')
    .action(
      action(ctx, async (out, { tenants }, _o, ref: string, name: string) => {
        const g = await tenants.createUpstreamGroup(ref, name);
        out.result(g, `created upstream group ${g.name}`);
      }),
    );

  const mailbox = program.command('mailbox').description('standby mailboxes');
  const mailboxFields = (c: Command) =>
    c
      .option('--name <display name>', 'display name')
      .option('--mobile <E.164>', 'mobile number for credentials by SMS, e.g. +4915112345678 ("" clears)')
      .option('--alternate-email <address>', 'private address outside the tenant\'s domains ("" clears)');
  mailboxFields(mailbox.command('add').description('create a mailbox').argument('<tenant>', 'slug or id').argument('<address>'))
    .option('--shared', 'a shared mailbox rather than a person\'s')
    .action(
      action(ctx, async (out, { mailboxes }, o, ref: string, address: string) => {
        const m = await mailboxes.createMailbox(ref, { address, displayName: o.name as string | undefined, mobile: o.mobile as string | undefined, alternateEmail: o.alternateEmail as string | undefined, kind: o.shared ? 'shared' : 'user' });
        out.result(m, `created mailbox ${mailboxLine(m)}`);
      }),
    );
  mailboxFields(mailbox.command('update').description('change a mailbox\'s fields').argument('<tenant>', 'slug or id').argument('<address>')).action(
    action(ctx, async (out, { mailboxes }, o, ref: string, address: string) => {
      const patch: MailboxPatch = {};
      if (o.name !== undefined) patch.displayName = o.name as string;
      if (o.mobile !== undefined) patch.mobile = o.mobile as string;
      if (o.alternateEmail !== undefined) patch.alternateEmail = o.alternateEmail as string;
      const m = await mailboxes.updateMailbox(ref, address, patch);
      out.result(m, `updated mailbox ${mailboxLine(m)}`);
    }),
  );
  for (const [verb, method] of [['disable', 'disableMailbox'], ['enable', 'enableMailbox']] as const) {
    mailbox
      .command(verb)
      .description(`${verb} a mailbox`)
      .argument('<tenant>', 'slug or id')
      .argument('<address>')
      .action(
        action(ctx, async (out, { mailboxes }, _o, ref: string, address: string) => {
          const m = await mailboxes[method](ref, address);
          out.result(m, `${verb}d mailbox ${m.address}`);
        }),
      );
  }
  mailbox
    .command('list')
    .description("list a tenant's mailboxes")
    .argument('<tenant>', 'slug or id')
    .action(
      action(ctx, async (out, { mailboxes }, _o, ref: string) => {
        const rows = await mailboxes.listMailboxes(ref);
        out.result(rows, rows.length ? table(['ADDRESS', 'NAME', 'MOBILE', 'ALTERNATE E-MAIL', 'STATUS', 'KIND'], rows.map((m) => [m.address, m.displayName, m.mobileE164, m.alternateEmail, m.status, m.kind])) : 'no mailboxes');
      }),
    );
  mailbox
    .command('import')
    .description('create or update mailboxes from CSV: header address,display_name,mobile,alternate_email[,aliases][,groups]; aliases and groups separated by ";"')
    .argument('<tenant>', 'slug or id')
    .argument('<file>', 'CSV file, or - for standard input')
    .action(
      action(ctx, async (out, { mailboxes }, _o, ref: string, file: string) => {
        const input: Readable = file === '-' ? process.stdin : createReadStream(file);
        const r = await mailboxes.importCsv(ref, input);
        out.result(r, [
          `${r.rows} row(s): ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged, ${r.errorCount} refused`,
          ...r.errors.map((e) => `  row ${e.row}: ${e.reason} [${e.code}]`),
          ...(r.errorCount > r.errors.length ? [`  … and ${r.errorCount - r.errors.length} more`] : []),
          ...r.warnings.map((w) => `  row ${w.row}: warning: ${w.message}`),
        ]);
        if (r.errorCount) setExitCode(ExitCode.partialImport);
      }),
    );

  program
    .command('alias')
    .description('additional addresses of a mailbox')
    .command('add')
    .description('add an alias address to a mailbox')
    .argument('<tenant>', 'slug or id')
    .argument('<alias>', 'the additional address')
    .argument('<mailbox>', 'the mailbox it delivers to')
    .action(
      action(ctx, async (out, { mailboxes }, _o, ref: string, alias: string, target: string) => {
        const a = await mailboxes.addAlias(ref, alias, target);
        out.result(a, `added alias ${a.address} -> ${target.trim().toLowerCase()}`);
      }),
    );

  const group = program.command('group').description('distribution groups (mail to a group is mirrored to each member)');
  group
    .command('add')
    .description('create a distribution group')
    .argument('<tenant>', 'slug or id')
    .argument('<address>')
    .option('--name <display name>', 'display name', '')
    .action(
      action(ctx, async (out, { mailboxes }, o, ref: string, address: string) => {
        const g = await mailboxes.createGroup(ref, address, o.name as string);
        out.result(g, `created group ${g.address}`);
      }),
    );
  group
    .command('add-member')
    .description('add mailboxes to a group (adding a member twice is harmless)')
    .argument('<tenant>', 'slug or id')
    .argument('<group>', 'group address')
    .argument('<mailbox...>', 'mailbox addresses')
    .action(
      action(ctx, async (out, { mailboxes }, _o, ref: string, groupAddress: string, members: string[]) => {
        const results = [];
        for (const m of members) results.push(await mailboxes.addGroupMember(ref, groupAddress, m));
        out.result(
          results.map((r) => ({ group: r.group.address, mailbox: r.mailbox.address, added: r.added })),
          results.map((r) => `${r.mailbox.address} ${r.added ? 'added to' : 'already in'} ${r.group.address}`),
        );
      }),
    );
}
