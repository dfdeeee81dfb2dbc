import { CredentialsService } from '@app/credentials';
import { withDb } from '../../support/factories';
import { cookiesOf, TestWebmail } from '../../support/webmail';

/** Puts a tenant into a continuity mode as the state machine would leave it (a drill with its mailboxes). */
export async function setMode(tenantId: string, mode: 'normal' | 'active' | 'drill' | 'recovering', drillMailboxIds: string[] = []): Promise<void> {
  await withDb(async (db) => {
    const from = (await db.query(`SELECT mode FROM tenants WHERE id = $1`, [tenantId])).rows[0].mode;
    await db.query(`UPDATE tenants SET mode = $2 WHERE id = $1`, [tenantId, mode]);
    await db.query(
      `INSERT INTO continuity_transitions (tenant_id, from_mode, to_mode, event, actor, drill_mailbox_ids, effects_completed_at)
       VALUES ($1, $2, $3, 'test', 'test', $4, now())`,
      [tenantId, from, mode, mode === 'drill' ? drillMailboxIds : null],
    );
  });
}

export async function setPractice(tenantId: string, on: boolean): Promise<void> {
  await withDb((db) => db.query(`UPDATE tenants SET webmail_practice_signin = $2 WHERE id = $1`, [tenantId, on]));
}

export async function issueCode(webmail: TestWebmail, tenantId: string, mailboxId: string): Promise<{ id: string; code: string; token: string }> {
  const c = await webmail.app.get(CredentialsService).issue(tenantId, mailboxId, 'sms', null);
  return { id: c.id, code: c.code, token: new URL(c.link).searchParams.get('t')! };
}

export async function credentialUsed(id: string): Promise<boolean> {
  return withDb(async (db) => (await db.query(`SELECT used_at IS NOT NULL AS used FROM credentials WHERE id = $1`, [id])).rows[0].used);
}

export const json = (webmail: TestWebmail, path: string, body: unknown, cookie = '') =>
  fetch(`${webmail.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(cookie ? { Cookie: cookie } : {}) },
    body: JSON.stringify(body),
    redirect: 'manual',
  });

/** A browser without JavaScript: keeps cookies, posts forms with the page's hidden CSRF field, does not follow redirects. */
export class Browser {
  readonly jar = new Map<string, string>();
  csrf = '';

  constructor(private readonly webmail: TestWebmail, readonly acceptLanguage = 'en') {}

  get cookie(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): Response {
    for (const [k, v] of Object.entries(cookiesOf(res))) {
      if (v === '') this.jar.delete(k);
      else this.jar.set(k, v);
    }
    return res;
  }

  async get(path: string): Promise<{ res: Response; html: string }> {
    const res = this.keep(await fetch(`${this.webmail.baseUrl}${path}`, { headers: { Accept: 'text/html', 'Accept-Language': this.acceptLanguage, Cookie: this.cookie }, redirect: 'manual' }));
    const html = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (m) this.csrf = m[1];
    return { res, html };
  }

  async post(path: string, fields: Record<string, string>, withCsrf = true): Promise<{ res: Response; html: string }> {
    const res = this.keep(
      await fetch(`${this.webmail.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html', 'Accept-Language': this.acceptLanguage, Cookie: this.cookie },
        body: new URLSearchParams(withCsrf ? { ...fields, _csrf: this.csrf } : fields).toString(),
        redirect: 'manual',
      }),
    );
    const html = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (m) this.csrf = m[1];
    return { res, html };
  }

  /** GET /api/session with this browser's cookies. */
  session(): Promise<Response> {
    return fetch(`${this.webmail.baseUrl}/api/session`, { headers: { Accept: 'application/json', Cookie: this.cookie } });
  }
}
