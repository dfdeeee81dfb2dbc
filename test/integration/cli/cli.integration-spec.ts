import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueLabel, withDb } from '../../support/factories';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'dist/apps/cli/src/main.js');

interface CliRun { code: number | null; stdout: string; stderr: string }

/** Runs the built CLI as an operator would, against this run's database. */
function cli(args: string[], input?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input ?? '');
  });
}

async function json<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const r = await cli(['--json', ...args]);
  if (r.code !== 0) throw new Error(`cli ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

// Each step spawns the built CLI (a Node start-up and a database connection); on a busy
// two-core machine a step can take a second or more.
jest.setTimeout(60_000);

describe('operator CLI (built, spawned)', () => {
  let dir: string;

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" before the integration tests (npm test does)`);
    dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('provisions a tenant end to end and reads it back', async () => {
    const slug = uniqueLabel('cli');
    const domain = `${slug}.example`;
    const t = await json<{ id: string; slug: string }>(['tenant', 'create', '--name', `CLI ${slug}`, '--slug', slug, '--delivery-lifetime', '2d', '--rolling-window', '14', '--unknown-recipients', 'passthrough']);
    expect(t.slug).toBe(slug);

    const added = await json<{ record: { value: string } }>(['domain', 'add', slug, domain.toUpperCase()]);
    expect(added.record.value).toMatch(/^continuity-verification=[0-9a-f]{32}$/);
    await json(['domain', 'mark-verified', slug, domain]);
    await json(['upstream', 'add', slug, '127.0.0.1', '--port', '2526', '--tls', 'none', '--priority', '5']);
    await json(['mailbox', 'add', slug, `alice@${domain}`, '--name', 'Alice', '--mobile', '+49 151 0000001', '--alternate-email', 'alice@private.example']);
    await json(['mailbox', 'add', slug, `bob@${domain}`, '--name', 'Bob']);
    await json(['alias', 'add', slug, `info@${domain}`, `alice@${domain}`]);
    await json(['group', 'add', slug, `team@${domain}`, '--name', 'Team']);
    await json(['group', 'add-member', slug, `team@${domain}`, `alice@${domain}`, `bob@${domain}`]);

    const row = await withDb(async (db) => (await db.query(
      `SELECT t.delivery_lifetime_seconds, t.rolling_window_days, t.unknown_recipient_policy, d.verified_by, u.port, u.tls_policy, u.priority
         FROM tenants t JOIN tenant_domains d ON d.tenant_id = t.id JOIN upstreams u ON u.tenant_id = t.id WHERE t.slug = $1`, [slug])).rows[0]);
    expect(row).toEqual({ delivery_lifetime_seconds: 172800, rolling_window_days: 14, unknown_recipient_policy: 'passthrough', verified_by: 'operator', port: 2526, tls_policy: 'none', priority: 5 });

    const show = await cli(['tenant', 'show', slug]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`${domain}  verified (operator`);
    expect(show.stdout).toContain('127.0.0.1:2526  priority 5  tls none');
    expect(show.stdout).toContain(`info@${domain} -> alice@${domain}`);
    expect(show.stdout).toContain(`team@${domain}: alice@${domain}, bob@${domain}`);

    const list = await json<Array<{ slug: string }>>(['tenant', 'list']);
    expect(list.map((x) => x.slug)).toContain(slug);
  });

  it('exits with distinct codes and clear messages on errors', async () => {
    const slug = uniqueLabel('clierr');
    const domain = `${slug}.example`;
    await json(['tenant', 'create', '--name', slug]);
    await json(['domain', 'add', slug, domain]);

    const usage = await cli(['mailbox', 'add']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("missing required argument 'tenant'");

    const badOption = await cli(['upstream', 'add', slug, 'x.example', '--tls', 'off']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('must be one of verify, pinned, none');

    const notFound = await cli(['--json', 'mailbox', 'add', 'no-such-tenant', `x@${domain}`]);
    expect(notFound.code).toBe(3);
    expect(JSON.parse(notFound.stderr)).toEqual({ error: { code: 'tenant_not_found', message: 'no tenant with slug or id "no-such-tenant"' } });

    const conflict = await cli(['domain', 'add', slug, domain]);
    expect(conflict.code).toBe(4);
    expect(conflict.stderr).toBe(`error: the tenant already has domain "${domain}" [domain_taken]\n`);

    const invalid = await cli(['mailbox', 'add', slug, `x@${domain}`, '--mobile', '0151 1234']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('E.164');

    const down = await new Promise<CliRun>((resolve) => {
      const p = spawn(process.execPath, [CLI, 'tenant', 'list'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' } });
      let stderr = '';
      p.stderr.on('data', (b) => (stderr += b));
      p.on('close', (code) => resolve({ code, stdout: '', stderr }));
    });
    expect(down.code).toBe(6);
    expect(down.stderr).toContain('cannot reach Postgres');
  });

  it('imports mailboxes from a CSV file, reports refused rows, and re-imports without changes', async () => {
    const slug = uniqueLabel('csv');
    const domain = `${slug}.example`;
    await json(['tenant', 'create', '--name', slug]);
    await json(['domain', 'add', slug, domain]);
    const file = join(dir, `${slug}.csv`);
    writeFileSync(file, [
      'address,display_name,mobile,alternate_email,aliases,groups',
      `alice@${domain},Alice,+4915100000001,,a@${domain},all@${domain}`,
      `bob@${domain},Bob,12345,,,`,
      `carol@${domain},Carol,,,,all@${domain}`,
      `mallory@elsewhere.example,Mallory,,,,`,
    ].join('\r\n'));

    const first = await cli(['mailbox', 'import', slug, file]);
    expect(first.code).toBe(7);
    expect(first.stdout).toContain('4 row(s): 2 created, 0 updated, 0 unchanged, 2 refused');
    expect(first.stdout).toContain('row 3: mobile "12345" is not in E.164 form');
    expect(first.stdout).toMatch(/row 5: .*elsewhere\.example is not one of this tenant's domains/);

    const second = await cli(['--json', 'mailbox', 'import', slug, file]);
    expect(second.code).toBe(7);
    expect(JSON.parse(second.stdout)).toMatchObject({ rows: 4, created: 0, updated: 0, unchanged: 2, errorCount: 2, errors: [{ row: 3, code: 'mobile_invalid' }, { row: 5, code: 'address_outside_tenant' }] });

    const fromStdin = await cli(['mailbox', 'import', slug, '-'], `address,display_name,mobile,alternate_email\ndave@${domain},Dave,,\n`);
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toContain('1 row(s): 1 created');

    const badHeader = await cli(['mailbox', 'import', slug, '-'], 'email,name\n');
    expect(badHeader.code).toBe(2);
    expect(badHeader.stderr).toContain('CSV header');

    const listed = await json<Array<{ address: string }>>(['mailbox', 'list', slug]);
    expect(listed.map((m) => m.address)).toEqual([`alice@${domain}`, `carol@${domain}`, `dave@${domain}`]);
  });

  it('runs migrations idempotently', async () => {
    const r = await cli(['migrate']);
    expect(r).toMatchObject({ code: 0, stdout: 'database is up to date\n' });
  });
});
