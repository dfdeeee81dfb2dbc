import 'reflect-metadata';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { MailboxesService } from '@app/mailboxes';
import { TenantAdminsService } from '@app/continuity/tenant-admins.service';
import { NodeDnsTxtLookup, TenantsService } from '@app/tenants';
import { AdminUsersService, newTotpSecret } from '@app/admin-access';

/**
 * `node dist/infra/demo/seed-demo.js <mailboxes.csv> <upstream host> <upstream port>`
 * Creates the demo tenant, or completes it if an earlier run made part of it:
 * running it again changes nothing. The mobile numbers are from Ofcom's range
 * reserved for drama (+44 7700 900xxx), so no real phone is ever texted.
 */
const DEMO = { name: 'Demo Corp', slug: 'demo', domain: 'demo.example' } as const;
/** The tenant's admin: told of every continuity transition by text (recorded in the demo's SMS outbox). */
const DEMO_ADMIN = { name: 'Dana Admin', mobileE164: '+447700900100', language: 'en' } as const;
/**
 * Console accounts. Their TOTP secrets are kept in DATA_DIR/demo/totp.json so
 * that `node dist/infra/demo/demo-totp.js` can print the current codes: a
 * demo convenience only; real accounts enrol an authenticator app.
 */
const CONSOLE_ACCOUNTS = [
  { email: 'operator@continuity.example', name: 'Olga Operator', role: 'operator', tenant: false },
  { email: 'dana@demo.example', name: 'Dana Admin', role: 'admin', tenant: true },
  { email: 'victor@demo.example', name: 'Victor Viewer', role: 'viewer', tenant: true },
] as const;
export const DEMO_CONSOLE_PASSWORD = 'demo-console-password';

async function main(): Promise<void> {
  const [csvPath, upstreamHost = '127.0.0.1', upstreamPort = '2526'] = process.argv.slice(2);
  if (!csvPath) throw new Error('usage: seed-demo <mailboxes.csv> [upstream host] [upstream port]');
  const ds = await createDataSource(loadConfig(), 'demo-seed').initialize();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const tenants = new TenantsService(ds, new NodeDnsTxtLookup());
    const mailboxes = new MailboxesService(ds, tenants);

    if (!(await tenants.findTenantBySlug(DEMO.slug))) {
      await tenants.createTenant({ name: DEMO.name, slug: DEMO.slug });
      say(`created tenant ${DEMO.name} (${DEMO.slug})`);
    }
    let overview = await tenants.overview(DEMO.slug);
    if (!overview.domains.some((d) => d.name === DEMO.domain)) {
      await tenants.addDomain(DEMO.slug, DEMO.domain);
      say(`added domain ${DEMO.domain}`);
    }
    // demo.example cannot carry our TXT record: the operator vouches for it.
    await tenants.markDomainVerified(DEMO.slug, DEMO.domain);
    overview = await tenants.overview(DEMO.slug);
    const port = Number(upstreamPort);
    const existing = overview.upstreamGroups.flatMap((g) => g.upstreams).find((u) => u.host === upstreamHost && u.port === port);
    // The stand-in speaks plain SMTP on the loopback, which only an operator may approve; real upstreams use TLS policy "verify" or "pinned".
    if (!existing) {
      await tenants.addUpstream(DEMO.slug, { host: upstreamHost, port, tlsPolicy: 'none' }, { byOperator: true });
      say(`added upstream ${upstreamHost}:${port} (the stand-in Exchange)`);
    } else if (!existing.privateAddressAllowed) {
      await tenants.updateUpstream(existing.tenantId, existing.groupId, existing.id, { host: existing.host }, { byOperator: true });
    }
    const report = await mailboxes.importCsv(DEMO.slug, createReadStream(csvPath));
    say(`mailboxes from ${csvPath}: ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged`);
    if (report.errorCount) throw new Error(`demo CSV has refused rows: ${JSON.stringify(report.errors)}`);

    const admins = new TenantAdminsService(ds);
    const tenant = (await tenants.findTenantBySlug(DEMO.slug))!;
    if (!(await admins.list(tenant.id)).some((a) => a.mobileE164 === DEMO_ADMIN.mobileE164)) {
      await admins.add(tenant.id, DEMO_ADMIN);
      say(`added tenant admin ${DEMO_ADMIN.name} (${DEMO_ADMIN.mobileE164})`);
    }
    const cfg = loadConfig();
    const users = new AdminUsersService(ds, cfg);
    const secretsFile = join(cfg.DATA_DIR, 'demo', 'totp.json');
    mkdirSync(join(cfg.DATA_DIR, 'demo'), { recursive: true });
    let secrets: Record<string, string> = {};
    try {
      secrets = JSON.parse(readFileSync(secretsFile, 'utf8'));
    } catch {
      secrets = {};
    }
    for (const a of CONSOLE_ACCOUNTS) {
      let user = await users.byEmail(a.email);
      if (!user) {
        user = await users.create({ email: a.email, name: a.name, role: a.role, tenantId: a.tenant ? tenant.id : null, password: DEMO_CONSOLE_PASSWORD });
        say(`added console account ${a.email} (${a.role})`);
      }
      if (!user.totp_enabled_at || !secrets[a.email]) {
        secrets[a.email] = newTotpSecret();
        await users.enrolTotpSecret(user.id, secrets[a.email]);
      }
    }
    writeFileSync(secretsFile, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    // Data outlives the demo: an event left running by an earlier run goes on (auto switch-back is off).
    if (tenant.mode !== 'normal') {
      say(`note: ${DEMO.slug} is still in mode ${tenant.mode.toUpperCase()} from an earlier run; tour step 5 ends it (npm run cli -- continuity end ${DEMO.slug} --reason "Exchange is back")`);
    }
  } finally {
    await ds.destroy();
  }
}

main().catch((e) => {
  process.stderr.write(`demo seed failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
