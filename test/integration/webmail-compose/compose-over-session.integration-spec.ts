import { createTestTenant, TestTenant } from '../../support/factories';
import { signInEmployee, startTestWebmail, TestWebmail } from '../../support/webmail';
import { rows } from './compose-harness';

jest.setTimeout(60000);

/**
 * The compose routes inside the real webmail app: behind the session guard
 * and its CSRF check, writing and sending as the signed-in employee.
 */
describe('webmail compose behind the session', () => {
  let webmail: TestWebmail;
  let t: TestTenant;

  beforeAll(async () => {
    webmail = await startTestWebmail({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}:compose-session` });
    t = await createTestTenant({ mailboxes: ['amy', 'ray'] });
  });

  afterAll(async () => {
    await webmail?.stop();
  });

  it('needs a session and the CSRF token', async () => {
    for (const [method, path] of [['GET', '/api/drafts'], ['POST', '/api/drafts'], ['GET', '/api/directory?q=a'], ['POST', '/api/compose/reply-template']] as const) {
      const res = await fetch(`${webmail.baseUrl}${path}`, { method, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      expect([path, res.status]).toEqual([path, 401]);
    }
    const amy = await signInEmployee(webmail, { tenantId: t.id, mailboxId: t.mailboxes.amy.id });
    const noCsrf = await amy.fetch('/api/drafts', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(noCsrf.status).toBe(403);
    expect(await rows(`SELECT count(*)::int AS n FROM webmail_drafts WHERE mailbox_id = $1`, [t.mailboxes.amy.id])).toEqual([{ n: 0 }]);
  });

  it('writes, attaches and sends as the signed-in employee', async () => {
    const amy = await signInEmployee(webmail, { tenantId: t.id, mailboxId: t.mailboxes.amy.id });
    const created = await amy.post('/api/drafts', { to: [{ name: 'Ray', address: t.mailboxes.ray.address }], subject: 'Plan', text: 'See the plan.' });
    expect(created.status).toBe(201);
    const draft = (await created.json()) as { id: string; from: { address: string } };
    expect(draft.from.address).toBe(t.mailboxes.amy.address);
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('step 1\nstep 2\n')], { type: 'text/plain' }), 'plan.txt');
    const up = await amy.post(`/api/drafts/${draft.id}/attachments`, form);
    expect(up.status).toBe(201);
    const withFile = (await up.json()) as { attachments: Array<{ id: string }> };
    const download = await amy.get(`/api/drafts/${draft.id}/attachments/${withFile.attachments[0].id}`);
    expect(await download.text()).toBe('step 1\nstep 2\n');
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="plan.txt"; filename*=UTF-8''plan.txt`);
    expect(download.headers.get('content-security-policy')).toContain('sandbox');
    // A page among the files is still only a download, never rendered by the browser.
    const page = new FormData();
    page.append('file', new Blob(['<script>alert(1)</script>'], { type: 'text/html' }), 'invoice.html');
    const withPage = (await (await amy.post(`/api/drafts/${draft.id}/attachments`, page)).json()) as { attachments: Array<{ id: string; filename: string }> };
    const pageId = withPage.attachments.find((a) => a.filename === 'invoice.html')!.id;
    const pageDownload = await amy.get(`/api/drafts/${draft.id}/attachments/${pageId}`);
    expect(pageDownload.headers.get('content-type')).toBe('application/octet-stream');
    expect(pageDownload.headers.get('x-content-type-options')).toBe('nosniff');
    await amy.delete(`/api/drafts/${draft.id}/attachments/${pageId}`);

    const sent = await amy.post(`/api/drafts/${draft.id}/send`);
    expect(sent.status).toBe(202);
    const { queueId } = (await sent.json()) as { queueId: string };
    const [msg] = await rows(`SELECT id, mail_from, direction, subject, to_addr, message_id_header FROM messages WHERE queue_id = $1 AND tenant_id = $2`, [queueId, t.id]);
    // no worker runs here: what the Sent list shows is there without the index job
    expect(msg).toMatchObject({ mail_from: t.mailboxes.amy.address, direction: 'outbound', subject: 'Plan', to_addr: [{ name: 'Ray', address: t.mailboxes.ray.address }] });
    expect(msg.message_id_header).toMatch(/^<[0-9A-Z]{16}\.[0-9a-f]+@/);
    expect(await rows(`SELECT mailbox_id, folder FROM mirror_entries WHERE message_id = $1 ORDER BY folder`, [msg.id])).toEqual([
      { mailbox_id: t.mailboxes.ray.id, folder: 'inbox' },
      { mailbox_id: t.mailboxes.amy.id, folder: 'sent' },
    ]);
    expect(await rows(`SELECT author_mailbox_id, from_mailbox_id, mode, recipients FROM webmail_sent_messages WHERE message_id = $1`, [msg.id])).toEqual([
      { author_mailbox_id: t.mailboxes.amy.id, from_mailbox_id: t.mailboxes.amy.id, mode: 'new', recipients: 1 },
    ]);
  });

  it('saves a draft bigger than the HTTP default of 100 kB (a reply quoting a long message)', async () => {
    const amy = await signInEmployee(webmail, { tenantId: t.id, mailboxId: t.mailboxes.amy.id });
    const text = 'a long thread, quoted\n'.repeat(20_000); // about 440 kB
    const created = await amy.post('/api/drafts', { to: [{ name: 'Ray', address: t.mailboxes.ray.address }], subject: 'Long', text });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await rows(`SELECT length(body_text)::int AS n FROM webmail_drafts WHERE id = $1`, [id])).toEqual([{ n: text.length }]);
  });
});
