import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dkimSign } from 'mailauth/lib/dkim/sign';
import { generateDkimKey } from '@app/dkim';
import { DnsStandin } from '../../../infra/dns-standin/dns-standin';
import { createTestTenant, TestTenant, uniqueLabel, withDb } from '../../support/factories';
import { freshDataDir, messageByQueueId, queueIdsOf, sendRaw, startTestMx } from './mx-harness';
import type { RunningMx } from '../../../apps/mx/src/mx.bootstrap';

jest.setTimeout(40_000);

/**
 * Tenants that chose to refuse mail failing DMARC under the sender domain's
 * reject policy: the MX verifies before its 250 and answers 550 5.7.1, so
 * the sender learns of it and no bounce goes to a forged address later.
 * Everyone else is unchanged: accepted, verified by the worker, flagged.
 */
describe('MX: refusing DMARC failures for tenants that chose to', () => {
  const dns = new DnsStandin();
  const strict = `strict-${uniqueLabel('d')}.example`;
  const relaxed = `relaxed-${uniqueLabel('d')}.example`;
  const broken = `broken-${uniqueLabel('d')}.example`;
  const key = generateDkimKey('rsa');
  let mx: RunningMx;
  let dataDir: string;
  let refusing: TestTenant;
  let refusing2: TestTenant;
  let flagging: TestTenant;

  const chunks = (v: string) => [Array.from({ length: Math.ceil(v.length / 255) }, (_, i) => v.slice(i * 255, i * 255 + 255))];

  beforeAll(async () => {
    // The MX sees the test client at 127.0.0.1: the strict domain's SPF allows only another address.
    dns.txt.set(strict, chunks('v=spf1 ip4:192.0.2.10 -all'));
    dns.txt.set(`_dmarc.${strict}`, chunks('v=DMARC1; p=reject'));
    dns.txt.set(`s1._domainkey.${strict}`, chunks(`v=DKIM1; k=rsa; p=${key.publicKey}`));
    dns.txt.set(relaxed, chunks('v=spf1 ip4:192.0.2.10 -all'));
    dns.txt.set(`_dmarc.${relaxed}`, chunks('v=DMARC1; p=none'));
    dns.txt.set(`_dmarc.${broken}`, 'servfail');
    dns.txt.set(broken, 'servfail');
    const servers = await dns.start();
    dataDir = freshDataDir();
    mx = await startTestMx({ DNS_SERVERS: servers, DATA_DIR: dataDir, AUTH_VERIFY_TIMEOUT_MS: '3000' });
    refusing = await createTestTenant({ mailboxes: ['ann'] });
    refusing2 = await createTestTenant({ mailboxes: ['bea'] });
    flagging = await createTestTenant({ mailboxes: ['cid'] });
    await withDb((db) => db.query(`UPDATE tenants SET reject_on_dmarc_fail = true WHERE id = ANY($1::uuid[])`, [[refusing.id, refusing2.id]]));
  });

  afterAll(async () => {
    await mx?.stop();
    await dns.stop();
  });

  function message(from: string, to: string[], subject: string): string {
    return `From: <${from}>\r\nTo: ${to.map((a) => `<${a}>`).join(', ')}\r\nSubject: ${subject}\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <${uniqueLabel('m')}@${from.split('@')[1]}>\r\n\r\nHello.\r\n`;
  }

  const blobFilesOf = (tenantId: string) => (readdirSync(dataDir, { recursive: true }) as string[]).filter((p) => p.includes(tenantId) && statSync(join(dataDir, p)).isFile());
  const summaryOf = async (queueId: string) => withDb(async (db) => (await db.query(`SELECT auth_results, auth_summary FROM messages WHERE queue_id = $1`, [queueId])).rows[0]);

  it('refuses a forged sender of a p=reject domain with 550 5.7.1 and keeps nothing', async () => {
    const ann = refusing.mailboxes.ann.address;
    const r = await sendRaw(mx.smtpPort, `ceo@${strict}`, [ann], message(`ceo@${strict}`, [ann], 'wire the money'));
    expect(r.ok).toBe(false);
    expect(r.response).toMatch(new RegExp(`^550 5\\.7\\.1 Message rejected: it fails the DMARC policy of ${strict.replace(/\./g, '\\.')}`));
    expect(await withDb(async (db) => (await db.query(`SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1`, [refusing.id])).rows[0].n)).toBe(0);
    expect(blobFilesOf(refusing.id)).toEqual([]);
  });

  it('accepts a genuine message of the same domain (DKIM aligned) and stores the verdict with it', async () => {
    const ann = refusing.mailboxes.ann.address;
    const raw = message(`news@${strict}`, [ann], 'genuine');
    const signed = (await dkimSign(raw, { signTime: new Date(), signingDomain: strict, selector: 's1', privateKey: key.privateKeyPem, signatureData: [{ signingDomain: strict, selector: 's1', privateKey: key.privateKeyPem, canonicalization: 'relaxed/relaxed' }] })).signatures + raw;
    const r = await sendRaw(mx.smtpPort, `bounces@${strict}`, [ann], signed);
    expect(r).toMatchObject({ ok: true });
    const [queueId] = queueIdsOf(r.response);
    const row = await summaryOf(queueId);
    expect(row.auth_summary).toMatchObject({ dkim: 'pass', dmarc: 'pass', spf: 'fail', action: 'deliver' });
    expect(row.auth_results).toMatch(/^Authentication-Results: mx\.test\.example;/);
  });

  it('accepts a failing message of a p=none domain, and a forged one for a tenant that did not choose to refuse', async () => {
    const ann = refusing.mailboxes.ann.address;
    const none = await sendRaw(mx.smtpPort, `x@${relaxed}`, [ann], message(`x@${relaxed}`, [ann], 'p=none'));
    expect(none.ok).toBe(true);
    expect((await summaryOf(queueIdsOf(none.response)[0])).auth_summary).toMatchObject({ dmarc: 'fail', action: 'deliver' });
    const cid = flagging.mailboxes.cid.address;
    const forged = await sendRaw(mx.smtpPort, `ceo@${strict}`, [cid], message(`ceo@${strict}`, [cid], 'forged, not refused'));
    expect(forged.ok).toBe(true);
    // Verified by the worker at delivery, as before.
    expect(await summaryOf(queueIdsOf(forged.response)[0])).toMatchObject({ auth_results: null, auth_summary: null });
  });

  it('accepts a transaction shared with a tenant that did not choose to refuse (a 550 at DATA would refuse its recipients too)', async () => {
    const to = [refusing.mailboxes.ann.address, flagging.mailboxes.cid.address];
    const r = await sendRaw(mx.smtpPort, `ceo@${strict}`, to, message(`ceo@${strict}`, to, 'mixed'));
    expect(r.ok).toBe(true);
    expect(queueIdsOf(r.response)).toHaveLength(2);
  });

  it('refuses for two tenants that both chose to, in one transaction', async () => {
    const to = [refusing.mailboxes.ann.address, refusing2.mailboxes.bea.address];
    const r = await sendRaw(mx.smtpPort, `ceo@${strict}`, to, message(`ceo@${strict}`, to, 'both refuse'));
    expect(r.ok).toBe(false);
    expect(r.response).toMatch(/^550 5\.7\.1 /);
    expect(await withDb(async (db) => (await db.query(`SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1`, [refusing2.id])).rows[0].n)).toBe(0);
  });

  it('accepts when DNS fails: temperror is no reason to refuse', async () => {
    const ann = refusing.mailboxes.ann.address;
    const r = await sendRaw(mx.smtpPort, `x@${broken}`, [ann], message(`x@${broken}`, [ann], 'dns trouble'));
    expect(r.ok).toBe(true);
    const row = await summaryOf(queueIdsOf(r.response)[0]);
    expect(row.auth_summary.action).toBe('deliver');
    expect(row.auth_summary.dmarc).toMatch(/^(temperror|none)$/);
    expect(await messageByQueueId(queueIdsOf(r.response)[0])).not.toBeNull();
  });
});
