import { freePort } from '../../support/processes';
import { createTestTenant, uniqueLabel, withDb } from '../../support/factories';
import { freshDataDir, startTestMx } from '../mx/mx-harness';
import type { RunningMx } from '../../../apps/mx/src/mx.bootstrap';
import { addConnector, message, relay, storedFor, withConnectors } from './outbound-harness';

jest.setTimeout(30000);

const external = () => `${uniqueLabel('x')}@external.example`;

describe('outbound connectors over their lifetime', () => {
  let mx: RunningMx;

  beforeAll(async () => {
    mx = await startTestMx({ MX_AUTH_FAILURE_DELAY_MS: '10' });
  });
  afterAll(async () => {
    await mx?.stop();
  });

  it('stores only a salted hash; a new password replaces the old one at once; a disabled connector relays nothing', async () => {
    const t = await createTestTenant({ mailboxes: ['ann'] });
    const c = await addConnector(t.slug, { name: 'exchange', auth: true });
    const stored = await withDb(async (db) => (await db.query(`SELECT auth_password_hash FROM outbound_connectors WHERE auth_username = $1`, [c.username])).rows[0].auth_password_hash as string);
    expect(stored).toMatch(/^scrypt\$/);
    expect(stored).not.toContain(c.password!);

    const send = (pass: string) => {
      const to = external();
      return relay({ port: mx.smtpPort, localAddress: '127.0.0.2', from: t.mailboxes.ann.address, to: [to], raw: message(t.mailboxes.ann.address, [to], 'lifecycle'), auth: { user: c.username!, pass }, tls: 'required' });
    };
    expect((await send(c.password!)).response).toMatch(/^250 /);

    const { password: fresh } = await withConnectors((svc) => svc.setPassword(t.slug, 'exchange'));
    expect((await send(c.password!)).response).toBe('535 5.7.8 Authentication credentials invalid');
    expect((await send(fresh)).response).toMatch(/^250 /);

    await withConnectors((svc) => svc.setEnabled(t.slug, 'exchange', false));
    expect((await send(fresh)).response).toBe('535 5.7.8 Authentication credentials invalid');
    const listed = await withConnectors((svc) => svc.list(t.slug));
    expect(listed).toEqual([expect.objectContaining({ name: 'exchange', enabled: false, authUsername: c.username })]);
    expect(JSON.stringify(listed)).not.toContain('scrypt');
  });

  it('refuses networks it must not trust and names that are taken', async () => {
    const t = await createTestTenant();
    await expect(addConnector(t.slug, { name: 'wide', sourceCidrs: ['0.0.0.0/0'] })).rejects.toThrow(/too wide/);
    await expect(addConnector(t.slug, { name: 'typo', sourceCidrs: ['192.0.2.7/24'] })).rejects.toThrow(/host bits/);
    await expect(addConnector(t.slug, { name: 'nothing' })).rejects.toThrow(/needs source networks/);
    await addConnector(t.slug, { name: 'once', sourceCidrs: ['192.0.2.0/24'] });
    await expect(addConnector(t.slug, { name: 'once', sourceCidrs: ['192.0.2.0/24'] })).rejects.toMatchObject({ code: 'connector_name_taken' });
  });

  it('answers 451 4.3.0 (454 4.7.0 to AUTH) when the limits cannot be checked, and relays nothing unmetered', async () => {
    const t = await createTestTenant({ mailboxes: ['ann'] });
    const c = await addConnector(t.slug, { name: 'exchange', auth: true, sourceCidrs: ['127.0.0.1'] });
    const dead = await freePort();
    const broken = await startTestMx({ REDIS_URL: `redis://127.0.0.1:${dead}`, DATA_DIR: freshDataDir() });
    try {
      const to = external();
      const byAddress = await relay({ port: broken.smtpPort, from: t.mailboxes.ann.address, to: [to], raw: 'x' });
      expect(byAddress.response).toMatch(/^451 4\.3\.0 /);
      const byAuth = await relay({ port: broken.smtpPort, localAddress: '127.0.0.2', from: t.mailboxes.ann.address, to: [to], raw: 'x', auth: { user: c.username!, pass: c.password! }, tls: 'required' });
      expect(byAuth.response).toMatch(/^454 4\.7\.0 /);
      expect(await storedFor(to)).toBe(0);
    } finally {
      await broken.stop();
    }
  });
});
