import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One database, one Redis key prefix and one data directory per test run, so
 * that concurrent runs on the same servers cannot disturb each other. Test
 * workers inherit these variables.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.MC_TEST_RUN) return; // several projects in one run share the setup
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const base = process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = new URL(base);
  url.pathname = `/mc_test_${run}`;
  process.env.MC_TEST_RUN = run;
  process.env.DATABASE_URL = url.toString();
  process.env.REDIS_PREFIX = `mctest-${run}`;
  process.env.DATA_DIR = mkdtempSync(join(tmpdir(), `mc-test-${run}-`));
  process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
  process.env.NODE_ENV = 'test';
  // Every lookup of the code under test goes to a DNS server of this run that answers at
  // once (NXDOMAIN unless a test serves records itself): no test waits on, or depends on,
  // the machine's resolver. Tests that need records run their own server.
  const { TinyDnsServer } = await import('./tiny-dns-server');
  const dns = new TinyDnsServer();
  process.env.DNS_SERVERS = await dns.start();
  (globalThis as { __mcTestDns?: InstanceType<typeof TinyDnsServer> }).__mcTestDns = dns;
  // globalSetup runs outside Jest's module mapper: resolve @app/* through tsconfig.
  const { compilerOptions } = await import('../../tsconfig.json');
  (await import('tsconfig-paths')).register({ baseUrl: join(__dirname, '../..'), paths: compilerOptions.paths });
  const { migrate } = await import('../../libs/database/src/migrate');
  await migrate(process.env.DATABASE_URL);
}
