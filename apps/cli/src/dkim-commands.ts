import { Command } from 'commander';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { DkimAlgorithm, DkimKeysService, DkimKeyView, SystemDkimTxtLookup, txtChunks } from '@app/dkim';
import { oneOf, parseInteger } from './cli-arguments';
import { Output, table } from './cli-output';

type Opts = Record<string, unknown> & { json?: boolean };

/** What `dkim` commands need, on one DataSource closed when the command is done. */
async function withKeys<T>(fn: (keys: DkimKeysService) => Promise<T>): Promise<T> {
  const cfg = loadConfig();
  const ds: DataSource = await createDataSource({ DATABASE_URL: cfg.DATABASE_URL, DATABASE_POOL_SIZE: 2 }, 'cli').initialize();
  try {
    return await fn(new DkimKeysService(ds, cfg, new SystemDkimTxtLookup()));
  } finally {
    await ds.destroy();
  }
}

function run(fn: (out: Output, keys: DkimKeysService, o: Opts) => Promise<void>) {
  return async (_o: Opts, cmd: Command) => {
    const o = cmd.optsWithGlobals() as Opts;
    await withKeys((keys) => fn(new Output(!!o.json), keys, o));
  };
}

/** The record as a zone file line, split into 255-octet strings as DNS wants. */
function zoneLine(k: DkimKeyView): string {
  return `${k.record.name}. IN TXT ${txtChunks(k.record.value).map((c) => `"${c}"`).join(' ')}`;
}

function keyRows(keys: DkimKeyView[]): string[] {
  return table(
    ['SELECTOR', 'ALGORITHM', 'STATE', 'CREATED', 'ACTIVE SINCE', 'RETIRING SINCE'],
    keys.map((k) => [k.selector, k.algorithm === 'rsa' ? `rsa-${k.bits}` : k.algorithm, k.state, k.createdAt.toISOString(), k.activatedAt?.toISOString(), k.retiringSince?.toISOString()]),
  );
}

function publishLines(keys: DkimKeyView[]): string[] {
  const live = keys.filter((k) => k.state !== 'retired');
  if (live.length === 0) return [];
  return ['publish (and keep published) these DNS records:', ...live.map((k) => `  ${zoneLine(k)}`)];
}

/**
 * `dkim create|show|rotate|check|signing` — a domain's DKIM keys: we generate
 * them, the tenant publishes the record shown, `check` activates a key once
 * its record is in DNS (the worker runs the same check every
 * DKIM_CHECK_INTERVAL_MS), and `rotate` starts a successor with overlap.
 */
export function registerDkimCommands(program: Command): void {
  const dkim = program.command('dkim').description('DKIM keys of tenant domains (and of the service’s own domain) and their rotation');

  dkim
    .command('create')
    .description('generate a key for a domain (pending until its DNS record is seen)')
    .requiredOption('--domain <domain>', "a tenant's verified domain, or with --service the service's own")
    .option('--algorithm <algorithm>', 'rsa (default) or ed25519 (in addition to an RSA key)', oneOf<DkimAlgorithm>('rsa', 'ed25519'), 'rsa')
    .option('--bits <bits>', 'RSA key size', parseInteger, 2048)
    .option('--service', "a domain of the service itself (MX_HOSTNAME: signs DSNs and notifications)")
    .action(
      run(async (out, keys, o) => {
        const k = await keys.createKey({ domain: o.domain as string, algorithm: o.algorithm as DkimAlgorithm, bits: o.bits as number, service: !!o.service });
        out.result(k, [`created ${k.algorithm} key ${k.selector} for ${k.domain} (pending)`, ...publishLines([k]), `then: npm run cli -- dkim check --domain ${k.domain}`]);
      }),
    );

  dkim
    .command('show')
    .description("a domain's keys and the DNS records to publish")
    .requiredOption('--domain <domain>')
    .option('--all', 'include retired keys')
    .action(
      run(async (out, keys, o) => {
        const list = await keys.keys(o.domain as string, !!o.all);
        out.result(list, list.length ? [...keyRows(list), '', ...publishLines(list)] : `no DKIM keys for ${o.domain}`);
      }),
    );

  dkim
    .command('rotate')
    .description('start a rotation: a pending successor per active key; the old key keeps signing until the new record is seen, then stays published for the overlap')
    .requiredOption('--domain <domain>')
    .option('--algorithm <algorithm>', 'rotate only this algorithm', oneOf<DkimAlgorithm>('rsa', 'ed25519'))
    .action(
      run(async (out, keys, o) => {
        const created = await keys.rotate(o.domain as string, o.algorithm as DkimAlgorithm | undefined);
        out.result(created, [...created.map((k) => `new ${k.algorithm} key ${k.selector} (pending)`), ...publishLines(created), `then: npm run cli -- dkim check --domain ${o.domain}`]);
      }),
    );

  dkim
    .command('check')
    .description('look up pending keys in DNS, activate those published, retire old keys after the overlap')
    .option('--domain <domain>', 'one domain (default: every domain with pending or retiring keys)')
    .action(
      run(async (out, keys, o) => {
        const domains = o.domain ? [o.domain as string] : await keys.domainsToCheck();
        const results = [];
        for (const d of domains) results.push(await keys.check(d));
        out.result(
          results,
          results.length
            ? results.flatMap((r) => [
                `${r.domain}:`,
                ...r.steps.map((s) => `  ${s.selector}: ${s.kind === 'activate' ? 'now active' : s.kind === 'retire-start' ? 'retiring (stays published for the overlap)' : 'retired (its record may be removed)'}`),
                ...r.waiting.map((s) => `  ${s}: record not found in DNS yet`),
                ...(r.steps.length || r.waiting.length ? [] : ['  nothing to do']),
              ])
            : 'no domain has pending or retiring keys',
        );
      }),
    );

  dkim
    .command('signing')
    .description("whether we sign a tenant's outbound mail from this domain")
    .requiredOption('--domain <domain>')
    .argument('<on|off>', 'on or off', oneOf('on', 'off'))
    .action(async (value: 'on' | 'off', _o: Opts, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      await withKeys(async (keys) => {
        await keys.setSignOutbound(o.domain as string, value === 'on');
        new Output(!!o.json).result({ domain: o.domain, signOutbound: value === 'on' }, `outbound mail from ${o.domain} is ${value === 'on' ? 'now DKIM-signed' : 'no longer signed'} by us`);
      });
    });
}
