import { Command } from 'commander';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { NodeDnsTxtLookup, TenantsService } from '@app/tenants';
import { ConnectorsService, journalAddress, OutboundConnectorView } from '@app/outbound';
import { parseInteger } from './cli-arguments';
import { Output, table } from './cli-output';

type Opts = Record<string, unknown> & { json?: boolean };

/**
 * `connector …`: a tenant's outbound connectors (its Exchange relaying
 * through our smarthost). Generated passwords are printed once and stored
 * only hashed; lose one and run `connector set-password`.
 */
export function registerConnectorCommands(program: Command): void {
  const withService = <A extends unknown[]>(fn: (out: Output, svc: ConnectorsService, opts: Opts, ...args: A) => Promise<void>) => {
    return async (...params: unknown[]) => {
      const cmd = params[params.length - 1] as Command;
      const opts = cmd.optsWithGlobals() as Opts;
      const cfg = loadConfig();
      const ds: DataSource = await createDataSource({ DATABASE_URL: cfg.DATABASE_URL, DATABASE_POOL_SIZE: 2 }, 'cli').initialize();
      try {
        await fn(new Output(!!opts.json), new ConnectorsService(ds, new TenantsService(ds, new NodeDnsTxtLookup())), opts, ...(params.slice(0, -2) as A));
      } finally {
        await ds.destroy();
      }
    };
  };
  const journalDomain = () => {
    const cfg = loadConfig();
    return cfg.JOURNAL_DOMAIN || cfg.MX_HOSTNAME;
  };
  const line = (c: OutboundConnectorView) =>
    [
      c.name,
      c.sourceCidrs.length ? `from ${c.sourceCidrs.join(', ')}` : null,
      c.authUsername ? `auth ${c.authUsername}` : null,
      c.requireTls ? 'tls required' : 'tls optional',
      `${c.messagesPerMinute} msg/min`,
      `${c.recipientsPerMinute} rcpt/min`,
      c.enabled ? null : 'DISABLED',
    ]
      .filter(Boolean)
      .join('  ');
  const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((x) => x.trim()).filter(Boolean)];

  const connector = program.command('connector').description("a tenant's outbound connectors: its Exchange relaying through our smarthost");
  connector
    .command('add')
    .description('register an outbound connector (source networks and/or SMTP AUTH); prints a generated password once')
    .argument('<tenant>', 'slug or id')
    .argument('<name>', 'e.g. exchange or m365')
    .option('--cidr <network>', "source address or network of the tenant's Exchange (repeatable, or comma-separated)", collect)
    .option('--auth', 'give the connector SMTP AUTH credentials (a generated password)')
    .option('--username <name>', 'SMTP AUTH user name (implies --auth; default <tenant>.<name>)')
    .option('--no-require-tls', 'accept relaying from the source networks without STARTTLS (AUTH always requires it)')
    .option('--messages-per-minute <n>', 'messages per minute before 451 4.7.1 (default 300)', parseInteger)
    .option('--recipients-per-minute <n>', 'recipients per minute before 451 4.7.1 (default 3000)', parseInteger)
    .action(
      withService(async (out, svc, o, tenant: string, name: string) => {
        const { connector: c, password } = await svc.add(tenant, {
          name,
          sourceCidrs: o.cidr as string[] | undefined,
          auth: !!o.auth,
          authUsername: o.username as string | undefined,
          requireTls: o.requireTls as boolean,
          messagesPerMinute: o.messagesPerMinute as number | undefined,
          recipientsPerMinute: o.recipientsPerMinute as number | undefined,
        });
        out.result({ connector: c, password, journalAddress: journalAddress(c.tenantSlug, journalDomain()) }, [
          `added connector ${line(c)}`,
          ...(password ? [`SMTP AUTH user name: ${c.authUsername}`, `password (shown only now): ${password}`] : []),
          `journaling address of ${c.tenantSlug}: ${journalAddress(c.tenantSlug, journalDomain())}`,
          'see docs/exchange-setup.md for the Exchange side',
        ]);
      }),
    );
  connector
    .command('list')
    .description('list outbound connectors (of one tenant, or all)')
    .argument('[tenant]', 'slug or id')
    .action(
      withService(async (out, svc, _o, tenant?: string) => {
        const rows = await svc.list(tenant);
        out.result(
          rows,
          rows.length
            ? table(
                ['TENANT', 'NAME', 'SOURCE NETWORKS', 'AUTH USER', 'TLS', 'MSG/MIN', 'RCPT/MIN', 'ENABLED'],
                rows.map((c) => [c.tenantSlug, c.name, c.sourceCidrs.join(',') || '-', c.authUsername ?? '-', c.requireTls ? 'required' : 'optional', c.messagesPerMinute, c.recipientsPerMinute, c.enabled ? 'yes' : 'no']),
              )
            : 'no outbound connectors',
        );
      }),
    );
  connector
    .command('set-password')
    .description('generate a new SMTP AUTH password (printed once); the old one stops working at once')
    .argument('<tenant>', 'slug or id')
    .argument('<name>')
    .action(
      withService(async (out, svc, _o, tenant: string, name: string) => {
        const { connector: c, password } = await svc.setPassword(tenant, name);
        out.result({ connector: c, password }, [`new password for ${c.authUsername} (shown only now): ${password}`]);
      }),
    );
  connector
    .command('set-limits')
    .description("change the tenant's outbound rate limits on this connector")
    .argument('<tenant>', 'slug or id')
    .argument('<name>')
    .option('--messages-per-minute <n>', 'messages per minute', parseInteger)
    .option('--recipients-per-minute <n>', 'recipients per minute', parseInteger)
    .action(
      withService(async (out, svc, o, tenant: string, name: string) => {
        const c = await svc.setLimits(tenant, name, { messagesPerMinute: o.messagesPerMinute as number | undefined, recipientsPerMinute: o.recipientsPerMinute as number | undefined });
        out.result(c, `updated ${line(c)}`);
      }),
    );
  for (const [verb, enabled] of [['disable', false], ['enable', true]] as const) {
    connector
      .command(verb)
      .description(enabled ? 'accept relaying through this connector again' : 'stop accepting relaying through this connector (sessions already open keep their identity until they end)')
      .argument('<tenant>', 'slug or id')
      .argument('<name>')
      .action(
        withService(async (out, svc, _o, tenant: string, name: string) => {
          const c = await svc.setEnabled(tenant, name, enabled);
          out.result(c, `${enabled ? 'enabled' : 'disabled'} ${line(c)}`);
        }),
      );
  }
}
