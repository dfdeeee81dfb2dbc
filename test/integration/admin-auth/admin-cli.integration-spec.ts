import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../apps/cli/src/main';
import { createTestTenant, uniqueLabel, withDb } from '../../support/factories';
import { anonymous, auditRowsOf, startTestApi, TestApi } from '../../support/admin-api';

describe('admin accounts from the CLI', () => {
  let api: TestApi;
  const dir = mkdtempSync(join(tmpdir(), 'admin-cli-'));
  const quietly = async (argv: string[]) => {
    const write = process.stdout.write;
    const writeErr = process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      return await run(['node', 'cli', ...argv]);
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    }
  };

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('creates an operator from a password file, who must enrol TOTP at sign-in; totp-reset makes them enrol again', async () => {
    const email = `${uniqueLabel('op')}@provider.example`;
    const file = join(dir, 'pw');
    writeFileSync(file, 'operator password 123\n');
    expect(await quietly(['admin', 'create', '--email', email, '--role', 'operator', '--password-file', file])).toBe(0);
    const login = await anonymous(api).post('/api/auth/login', { email, password: 'operator password 123' });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ user: { role: 'operator', tenantId: null }, mfa: 'enrol' });
    const created = (await auditRowsOf(null)).find((r) => r.action === 'admin.create' && r.details.email === email);
    expect(created?.actor_kind).toBe('cli');

    await withDb((db) => db.query(`UPDATE admin_users SET totp_secret_enc = 'v1.x.y.z', totp_enabled_at = now() WHERE email = $1`, [email]));
    expect(await quietly(['admin', 'totp-reset', '--email', email])).toBe(0);
    const row = await withDb(async (db) => (await db.query(`SELECT totp_secret_enc, totp_enabled_at FROM admin_users WHERE email = $1`, [email])).rows[0]);
    expect(row).toEqual({ totp_secret_enc: null, totp_enabled_at: null });
    expect((await anonymous(api).request('GET', '/api/auth/session', undefined, { headers: { cookie: `mc_admin=${login.headers.get('set-cookie')?.split(';')[0].split('=')[1]}` } })).status).toBe(401);
  });

  it('creates a tenant admin by tenant slug and refuses an operator with a tenant, a weak password and a duplicate', async () => {
    const tenant = await createTestTenant();
    const file = join(dir, 'pw2');
    writeFileSync(file, 'tenant admin password');
    const email = `${uniqueLabel('adm')}@${tenant.domain}`;
    expect(await quietly(['admin', 'create', '--email', email, '--role', 'admin', '--tenant', tenant.slug, '--password-file', file])).toBe(0);
    expect(await quietly(['admin', 'create', '--email', email, '--role', 'admin', '--tenant', tenant.slug, '--password-file', file])).toBe(4);
    expect(await quietly(['admin', 'create', '--email', `x${email}`, '--role', 'operator', '--tenant', tenant.slug, '--password-file', file])).toBe(2);
    expect(await quietly(['admin', 'create', '--email', `y${email}`, '--role', 'viewer', '--password-file', file])).toBe(2);
    writeFileSync(file, 'short');
    expect(await quietly(['admin', 'create', '--email', `z${email}`, '--role', 'viewer', '--tenant', tenant.slug, '--password-file', file])).toBe(2);
    expect(await quietly(['admin', 'create', '--email', `w${email}`, '--role', 'viewer', '--tenant', 'no-such-tenant', '--password-file', file])).toBe(3);
  });
});
