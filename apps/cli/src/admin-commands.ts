import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { HttpError } from '@app/http';
import { DirectoryError, DirectoryErrorKind } from '@app/tenants/tenants.errors';
import { AdminAuditService, AdminRole, AdminUserRow, AdminUsersService, adminUserView } from '@app/admin-access';
import { oneOf } from './cli-arguments';
import { Output, table } from './cli-output';

type Opts = Record<string, unknown> & { json?: boolean };

interface AdminTools {
  ds: DataSource;
  users: AdminUsersService;
  audit: AdminAuditService;
}

const KIND_OF_STATUS: Record<number, DirectoryErrorKind> = { 400: 'invalid', 404: 'not_found', 409: 'conflict' };

/** The admin API's services on one DataSource; its HTTP errors become the CLI's exit codes. */
async function withAdminTools<T>(fn: (t: AdminTools) => Promise<T>): Promise<T> {
  const cfg = loadConfig();
  const ds = await createDataSource({ DATABASE_URL: cfg.DATABASE_URL, DATABASE_POOL_SIZE: 2 }, 'cli').initialize();
  try {
    return await fn({ ds, users: new AdminUsersService(ds, cfg), audit: new AdminAuditService(ds, pino({ level: 'silent' })) });
  } catch (e) {
    if (e instanceof HttpError && KIND_OF_STATUS[e.statusCode]) throw new DirectoryError(e.code, KIND_OF_STATUS[e.statusCode], e.message);
    throw e;
  } finally {
    await ds.destroy();
  }
}

function run(fn: (out: Output, t: AdminTools, o: Opts) => Promise<void>) {
  return async (_o: Opts, cmd: Command) => {
    const o = cmd.optsWithGlobals() as Opts;
    await withAdminTools((t) => fn(new Output(!!o.json), t, o));
  };
}

const cliActor = () => ({ kind: 'cli' as const, id: null, name: `cli:${userInfo().username}` });

async function readPassword(o: Opts): Promise<string> {
  if (o.passwordFile && o.passwordStdin) throw new DirectoryError('usage', 'invalid', 'give either --password-file or --password-stdin, not both');
  let raw: string;
  if (typeof o.passwordFile === 'string') raw = readFileSync(o.passwordFile, 'utf8');
  else if (o.passwordStdin) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    raw = Buffer.concat(chunks).toString('utf8');
  } else throw new DirectoryError('usage', 'invalid', 'the password is read from --password-file <file> or --password-stdin (never from the command line)');
  // One trailing newline (echo, files) is not part of the password.
  return raw.replace(/\r?\n$/, '');
}

async function tenantIdOf(ds: DataSource, ref: string): Promise<string> {
  const rows: Array<{ id: string }> = await ds.query(`SELECT id FROM tenants WHERE slug = $1 OR id::text = $1`, [ref]);
  if (!rows[0]) throw new DirectoryError('tenant_not_found', 'not_found', `no tenant "${ref}"`);
  return rows[0].id;
}

async function userByEmail(users: AdminUsersService, email: string): Promise<AdminUserRow> {
  const u = await users.byEmail(email);
  if (!u) throw new DirectoryError('admin_not_found', 'not_found', `no admin ${email.trim().toLowerCase()}`);
  return u;
}

/**
 * `admin create|list|totp-reset|unlock` — accounts of the admin API. Operators
 * (who see every tenant) are created only here, on the server; tenant admins
 * and viewers can also be created by an operator in the admin API.
 */
export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('accounts of the admin API and console: operators, tenant admins, viewers');

  admin
    .command('create')
    .description('create an account; it enrols an authenticator app (TOTP) at its first sign-in')
    .requiredOption('--email <address>', 'sign-in address (stored lower-case)')
    .requiredOption('--role <role>', 'operator (all tenants), admin or viewer (one tenant)', oneOf<AdminRole>('operator', 'admin', 'viewer'))
    .option('--tenant <slug>', "the tenant of an admin or viewer (slug or id); not for an operator")
    .option('--name <name>', 'display name (default: the address)')
    .option('--password-file <file>', 'read the initial password from this file')
    .option('--password-stdin', 'read the initial password from standard input')
    .action(
      run(async (out, { ds, users, audit }, o) => {
        const role = o.role as AdminRole;
        if (role === 'operator' && o.tenant) throw new DirectoryError('usage', 'invalid', 'an operator belongs to no tenant: leave out --tenant');
        if (role !== 'operator' && !o.tenant) throw new DirectoryError('usage', 'invalid', `an ${role} belongs to a tenant: give --tenant <slug>`);
        const tenantId = role === 'operator' ? null : await tenantIdOf(ds, String(o.tenant));
        const password = await readPassword(o);
        const email = String(o.email);
        const u = await users.create({ email, name: typeof o.name === 'string' ? o.name : email, role, tenantId, password });
        await audit.recordAs(cliActor(), tenantId, 'admin.create', u.id, { email: u.email, role });
        out.result(adminUserView(u), [`created ${role} ${u.email}${tenantId ? ` of tenant ${o.tenant}` : ''} (${u.id})`, 'at the first sign-in they set up an authenticator app (TOTP)']);
      }),
    );

  admin
    .command('list')
    .description('list accounts (of one tenant, or operators with --operators)')
    .option('--tenant <slug>', 'one tenant (slug or id)')
    .option('--operators', 'the operators')
    .action(
      run(async (out, { ds, users }, o) => {
        let rows: AdminUserRow[];
        if (o.tenant) rows = await users.listOfTenant(await tenantIdOf(ds, String(o.tenant)));
        else if (o.operators) rows = await ds.query(`SELECT * FROM admin_users WHERE role = 'operator' ORDER BY email`);
        else throw new DirectoryError('usage', 'invalid', 'give --tenant <slug> or --operators');
        const views = rows.map(adminUserView);
        out.result(views, table(['EMAIL', 'ROLE', 'NAME', 'TOTP', 'LAST SIGN-IN', 'LOCKED UNTIL'], views.map((v) => [v.email, v.role, v.name, v.totpEnabled ? 'yes' : 'no', v.lastLoginAt, v.lockedUntil])));
      }),
    );

  admin
    .command('totp-reset')
    .description('forget an account’s authenticator app (lost phone); it enrols a new one at the next sign-in, and its sessions end')
    .requiredOption('--email <address>', 'the account')
    .action(
      run(async (out, { ds, users, audit }, o) => {
        const u = await userByEmail(users, String(o.email));
        await users.update(u.id, { resetTotp: true });
        await ds.query(`DELETE FROM admin_sessions WHERE user_id = $1`, [u.id]);
        await audit.recordAs(cliActor(), u.tenant_id, 'admin.totp_reset', u.id, { email: u.email });
        out.result({ id: u.id, email: u.email, totpEnabled: false }, `TOTP of ${u.email} reset; they set up an authenticator app at the next sign-in`);
      }),
    );

  admin
    .command('unlock')
    .description('clear an account’s lock after repeated failed sign-ins')
    .requiredOption('--email <address>', 'the account')
    .action(
      run(async (out, { users, audit }, o) => {
        const u = await userByEmail(users, String(o.email));
        await users.update(u.id, { unlock: true });
        await audit.recordAs(cliActor(), u.tenant_id, 'admin.unlock', u.id, { email: u.email });
        out.result({ id: u.id, email: u.email }, `${u.email} unlocked`);
      }),
    );
}
